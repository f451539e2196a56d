"""classify: the TensorFlow Playground, plus accuracy, cross-entropy, 3 classes and your CSV."""

from __future__ import annotations

import itertools

import numpy as np

from engine import datasets
from engine.datasets import features as feats
from engine.datasets import playground
from engine.errors import DataError
from engine.losses import get_loss
from engine.trainer import Trainer

from .base import KeyAction, Run, lr_setting, optimizer_setting, regularization_settings
from .network import HIDDEN_ACTIVATIONS, LayerEdits, build_mlp, network_view, neuron_outputs
from .settings import BATCH_LADDER, Schema, Setting, SettingError, SPEED_LADDER
from .snapshot import Field2D, Points

DATASETS = playground.CLASSIFICATION + playground.MULTICLASS + playground.REGRESSION + ("csv",)
NOISE_LADDER = tuple(round(0.05 * i, 2) for i in range(11))
RATIO_LADDER = tuple(round(0.1 * i, 1) for i in range(1, 10))
MAX_LAYERS, MAX_NEURONS = 8, 16
GRID = 100
THUMB = 24
SPACE_LINES, SPACE_SAMPLES = 13, 48  # the hidden-space view's grid: lines each way, points per line


def common_view_settings() -> tuple[Setting, ...]:
    return (
        Setting("speed", int, 0, "training steps per frame (0 = max)", choices=SPEED_LADDER, lo=0, hi=500,
                live=True, keys=("f", "F"), cycle=True, show=lambda v: "max" if v == 0 else str(v)),
    )


SCHEMA = Schema(
    (
        Setting("dataset", str, "circle", "data set", choices=DATASETS, keys=("D",)),
        Setting("csv", str, "", "CSV file of x1,x2,label points (dataset=csv)"),
        Setting("noise", float, 0.0, "noise (0..0.5)", choices=NOISE_LADDER, lo=0.0, hi=0.5, keys=("n", "N")),
        Setting("ratio", float, 0.5, "share of points used for training", choices=RATIO_LADDER, lo=0.1, hi=0.9, keys=("t", "T")),
        Setting("features", tuple, ("x1", "x2"), "input features", choices=feats.NAMES, min_len=1, max_len=7),
        Setting("layers", tuple, (4, 2), "hidden layer sizes", item=int, lo=1, hi=MAX_NEURONS, max_len=MAX_LAYERS),
        Setting("activation", str, "tanh", "hidden activation", choices=HIDDEN_ACTIVATIONS, keys=("a", "A")),
        Setting("loss", str, "mse", "loss: squared error or cross-entropy", choices=("mse", "ce"), keys=("c",)),
        lr_setting(0.03),
        Setting("batch", int, 10, "batch size", choices=BATCH_LADDER[:10], lo=1, hi=256, live=True, keys=("b", "B")),
        optimizer_setting("sgd"),
        *regularization_settings(),
        Setting("show_test", bool, False, "show test points", live=True, keys=("v",)),
        Setting("discretize", bool, False, "show only the sign of the output", live=True, keys=("k",)),
        Setting("space_layer", int, 1, "hidden layer shown in the hidden-space view", lo=1, hi=MAX_LAYERS, live=True,
                keys=("l", "L")),
        Setting("space_pair", int, 0, "which pair of its neurons are the axes (cycles)", lo=0, hi=MAX_NEURONS ** 2,
                live=True, keys=("e", "E")),
        *common_view_settings(),
    ),
    scenario="classify",
)


class ClassifyRun(LayerEdits, Run):
    name = "classify"
    description = "The TensorFlow Playground: 2D data sets, feature crosses, hidden layers, decision boundary"
    schema = SCHEMA
    DATA_SETTINGS = frozenset({"dataset", "csv", "noise", "ratio"})
    panes = ("field", "network", "loss", "space", "weights", "confusion", "accuracy")
    main_panes = 2  # the network diagram goes under the boundary
    key_actions = (
        KeyAction(">", "add_layer", "add a hidden layer"),
        KeyAction("<", "remove_layer", "remove the last hidden layer"),
        KeyAction("}", "add_neuron", "add a neuron to the selected layer"),
        KeyAction("{", "remove_neuron", "remove a neuron from the selected layer"),
        *(KeyAction(str(i + 1), "toggle_feature", f"toggle input {n}", (i,)) for i, n in enumerate(feats.NAMES)),
    )

    def __init__(self, values=None, seed=0):
        self.selected: tuple[int, int] | None = None
        super().__init__(values, seed)

    def set(self, name, value):
        notice = super().set(name, value)
        if name == "loss" and notice and self.task == "multiclass":
            self.notice = notice = f"{notice} (three classes always train with softmax cross-entropy)"
        return notice

    # -- data and model ---------------------------------------------------
    @property
    def task(self) -> str:
        ds = self.values["dataset"]
        if ds == "csv":
            return self._csv_task
        return playground.kind(ds)

    def build_data(self) -> None:
        v = self.values
        if v["dataset"] == "csv":
            if not v["csv"]:
                raise SettingError("dataset=csv needs csv=PATH (a file of x1,x2,label rows)")
            x, y = datasets.load_points(v["csv"])
            if x.shape[1] != 2:
                raise DataError(f"{v['csv']}: classify needs three columns (x1,x2,label), got two")
            labels = np.unique(y)
            if set(labels.tolist()) <= {-1.0, 1.0} or set(labels.tolist()) <= {0.0, 1.0}:
                y = np.where(y > 0, 1.0, -1.0).astype(np.float32)
                self._csv_task = "classification"
            else:
                self._csv_task = "regression"
            self.xy, self.y = x, y
        else:
            self.xy, self.y = playground.generate(v["dataset"], noise=v["noise"], seed=self.data_seed)
        # Scale the plot to the points so CSV data lands in view too.
        lim = max(6.0, float(np.abs(self.xy).max()) * 1.05) if len(self.xy) else 6.0
        self.extent = (-lim, lim, -lim, lim)
        self.xy_tr, self.y_tr, self.xy_te, self.y_te = playground.split(self.xy, self.y, v["ratio"], seed=self.data_seed)
        self.grid_xy, self.grid_shape = feats.grid(GRID, self.extent)
        self.thumb_xy, self.thumb_shape = feats.grid(THUMB, self.extent)

    def _targets(self, y):
        if self.task == "multiclass":
            return y.astype(np.int64)
        if self.task == "classification" and self.values["loss"] == "ce":
            return ((y > 0).astype(np.float32))[:, None]
        return y[:, None]

    def output_spec(self) -> tuple[int, str | None, str, str]:
        """(outputs, output activation, loss name, accuracy rule)."""
        if self.task == "multiclass":
            return 3, None, "softmax_ce", "argmax"
        if self.task == "classification":
            if self.values["loss"] == "ce":
                return 1, "sigmoid", "bce", "threshold"
            return 1, "tanh", "mse", "sign"
        return 1, None, "mse", "none"

    def build_model(self) -> None:
        v = self.values
        n_out, out_act, loss, acc_rule = self.output_spec()
        f = v["features"]
        self.model = build_mlp(len(f), v["layers"], n_out, v["activation"], out_act, "playground", self.weight_seed)
        self.trainer = Trainer(
            self.model,
            get_loss(loss),
            self.make_optimizer(),
            feats.apply(self.xy_tr, f),
            self._targets(self.y_tr),
            feats.apply(self.xy_te, f),
            self._targets(self.y_te),
            batch_size=v["batch"],
            seed=self.weight_seed,
            task="regression" if acc_rule == "none" else "classification",
            accuracy=acc_rule if acc_rule != "none" else None,
        )
        self._last_eval_step = -1
        self.evaluate()
        if self.selected and not self._valid_neuron(self.selected):
            self.selected = None

    # -- structure edits (keys add/remove layers and neurons) --------------
    def _valid_neuron(self, sel) -> bool:
        layer, neuron = sel
        sizes = (len(self.values["features"]), *self.values["layers"])
        return 0 <= layer < len(sizes) and 0 <= neuron < sizes[layer]

    def toggle_feature(self, index: int) -> str:
        name = feats.NAMES[index]
        cur = self.values["features"]
        if name in cur:
            if len(cur) == 1:
                self.notice = "keep at least one input feature"
                return self.notice
            new = tuple(n for n in cur if n != name)
        else:
            new = tuple(n for n in feats.NAMES if n in cur or n == name)
        return self.set("features", new)

    def _selected_layer(self) -> int:
        return self.selected[0] if self.selected and self.selected[0] > 0 else 1

    def add_neuron(self) -> str:
        return self.change_neurons(self._selected_layer(), +1)

    def remove_neuron(self) -> str:
        return self.change_neurons(self._selected_layer(), -1)

    def select(self, sel: tuple[int, int] | None) -> None:
        self.selected = sel if sel is None or self._valid_neuron(sel) else None

    # -- drawing ------------------------------------------------------------
    def _as_pm1(self, out: np.ndarray) -> np.ndarray:
        """Map an output column to the diverging -1..1 range the heatmap draws."""
        _, out_act, _, _ = self.output_spec()
        if out_act == "sigmoid":
            return 2.0 * out - 1.0
        return np.clip(out, -1.0, 1.0)

    def fill_snapshot(self, snap) -> None:
        v = self.values
        f = v["features"]
        grid_out = neuron_outputs(self.model, feats.apply(self.grid_xy, f))
        thumb_out = neuron_outputs(self.model, feats.apply(self.thumb_xy, f))
        thumb_in = feats.apply(self.thumb_xy, f)
        th, tw = self.thumb_shape
        thumbs_in = [self._norm(thumb_in[:, j]).reshape(th, tw) for j in range(len(f))]
        thumbs_layers = []
        for li, out in enumerate(thumb_out):
            if li == len(thumb_out) - 1:
                thumbs_layers.append([self._final_values(out).reshape(th, tw)])
            else:
                thumbs_layers.append([self._unit(out[:, j]).reshape(th, tw) for j in range(out.shape[1])])
        values = self._final_values(grid_out[-1]).reshape(self.grid_shape)
        title = "output"
        if self.selected is not None:
            layer, neuron = self.selected
            if layer == 0:
                col = feats.apply(self.grid_xy, f)[:, neuron]
                values, title = self._norm(col).reshape(self.grid_shape), f"input {f[neuron]}"
            elif layer - 1 < len(grid_out) - 1:
                values = self._unit(grid_out[layer - 1][:, neuron]).reshape(self.grid_shape)
                title = f"layer {layer} neuron {neuron + 1}"
        snap.field = Field2D(values.astype(np.float32), self.extent, (-1.0, 1.0))
        snap.extra["field_title"] = title
        snap.extra["classes"] = 3 if self.task == "multiclass" else 0
        snap.points = [Points(self.xy_tr, self._point_labels(self.y_tr)), Points(self.xy_te, self._point_labels(self.y_te), test=True)]
        snap.network = network_view(self.model, f, v["activation"], thumbs_in, thumbs_layers, self.selected)
        snap.weight_mats = [(f"W{i + 1} {w.shape[0]}×{w.shape[1]}", w) for i, w in enumerate(snap.network.weights)]
        snap.extra["show_test"] = v["show_test"]
        snap.extra["discretize"] = v["discretize"]
        snap.extra["task"] = self.task
        if self.task != "regression":
            snap.extra["confusion"] = self.confusion()
        snap.extra["space"] = self.hidden_space()

    def space_axes(self) -> tuple[int, int, int] | None:
        """(hidden layer 0-based, neuron i, neuron j) the hidden-space view plots, or None without hidden layers."""
        layers = self.values["layers"]
        if not layers:
            return None
        li = min(self.values["space_layer"], len(layers)) - 1
        n = layers[li]
        pairs = list(itertools.combinations(range(n), 2)) or [(0, 0)]
        i, j = pairs[self.values["space_pair"] % len(pairs)]
        return li, i, j

    def hidden_space(self) -> dict | None:
        """ConvNetJS's view: grid lines over the input plane and the training points, as two neurons see them."""
        axes = self.space_axes()
        if axes is None:
            return None
        li, i, j = axes
        xmin, xmax, ymin, ymax = self.extent
        t = np.linspace(0.0, 1.0, SPACE_SAMPLES, dtype=np.float32)
        lines = []
        for u in np.linspace(0.0, 1.0, SPACE_LINES, dtype=np.float32):
            lines.append(np.column_stack([xmin + t * (xmax - xmin), np.full_like(t, ymin + u * (ymax - ymin))]))
            lines.append(np.column_stack([np.full_like(t, xmin + u * (xmax - xmin)), ymin + t * (ymax - ymin)]))
        grid = np.concatenate(lines)
        f = self.values["features"]
        hid_grid = neuron_outputs(self.model, feats.apply(grid, f))[li][:, [i, j]]
        hid_pts = neuron_outputs(self.model, feats.apply(self.xy_tr, f))[li][:, [i, j]]
        if self.values["activation"] in ("tanh", "sigmoid"):
            lim = (-1.05, 1.05) if self.values["activation"] == "tanh" else (-0.05, 1.05)
        else:  # unbounded: fit the points and the grid
            both = np.concatenate([hid_grid, hid_pts])
            both = both[np.isfinite(both).all(axis=1)]
            lo, hi = (float(both.min()), float(both.max())) if len(both) else (-1.0, 1.0)
            pad = 0.05 * ((hi - lo) or 1.0)
            lim = (lo - pad, hi + pad)
        n = SPACE_SAMPLES
        return {
            "lines": [hid_grid[k * n:(k + 1) * n] for k in range(len(lines))],
            "points": hid_pts,
            "labels": self._point_labels(self.y_tr),
            "lim": lim,
            "xlabel": f"neuron {i + 1}",
            "ylabel": f"neuron {j + 1}",
            "title": f"layer {li + 1}: neurons {i + 1} × {j + 1}",
        }

    def _final_values(self, out: np.ndarray) -> np.ndarray:
        if self.task == "multiclass":
            # class index scaled into -1..1 with confidence: drawn as three hues by the widget
            from engine.losses import softmax

            p = softmax(out)
            return (np.argmax(p, axis=1) - 1).astype(np.float32) * np.max(p, axis=1)
        return self._as_pm1(out[:, 0])

    def _point_labels(self, y):
        return (y - 1).astype(np.float32) if self.task == "multiclass" else y

    @staticmethod
    def _unit(col: np.ndarray) -> np.ndarray:
        return np.clip(col, -1.0, 1.0)

    @staticmethod
    def _norm(col: np.ndarray) -> np.ndarray:
        m = float(np.abs(col).max()) or 1.0
        return col / m

    def confusion(self) -> np.ndarray:
        """Test-set confusion matrix (rows: true class, columns: predicted)."""
        x = feats.apply(self.xy_te, self.values["features"])
        out = neuron_outputs(self.model, x)[-1]
        if self.task == "multiclass":
            pred = np.argmax(out, axis=1)
            true = self.y_te.astype(int)
            k = 3
        else:
            thr = 0.5 if self.output_spec()[1] == "sigmoid" else 0.0
            pred = (out[:, 0] > thr).astype(int)
            true = (self.y_te > 0).astype(int)
            k = 2
        m = np.zeros((k, k), dtype=np.int64)
        np.add.at(m, (true, pred), 1)
        return m
