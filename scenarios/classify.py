"""classify: the TensorFlow Playground, plus accuracy, cross-entropy, 3 classes and your CSV."""

from __future__ import annotations

import itertools

import numpy as np

from engine import datasets
from engine.datasets import features as feats
from engine.datasets import playground
from engine.errors import DataError
from engine.losses import get_loss, softmax
from engine.trainer import Trainer

from .base import KeyAction, Run
from .common import batch_setting, lr_setting, optimizer_setting, regularization_settings, speed_setting
from .network import (BOUNDED, LayerEdits, activation_setting, build_mlp, layer_activations, network_view,
                      neuron_outputs)
from .settings import BATCH_LADDER, Effect, Schema, Setting, SettingError
from .stopping import until_setting
from .views import Confusion, Field, HiddenSpace, Points

DATASETS = playground.CLASSIFICATION + playground.MULTICLASS + playground.REGRESSION + ("csv",)
NOISE_LADDER = tuple(round(0.05 * i, 2) for i in range(11))
RATIO_LADDER = tuple(round(0.1 * i, 1) for i in range(1, 10))
MAX_LAYERS, MAX_NEURONS = 8, 16
GRID = 100
THUMB = 24
SPACE_LINES, SPACE_SAMPLES = 13, 48  # the hidden-space view's grid: lines each way, points per line


SCHEMA = Schema(
    (
        Setting("dataset", str, "circle", "data set", Effect.DATA, values=DATASETS, keys=("D",)),
        Setting("csv", str, "", "CSV file of x1,x2,label points (dataset=csv)", Effect.DATA),
        Setting("noise", float, 0.0, "noise (0..0.5)", Effect.DATA, ladder=NOISE_LADDER, lo=0.0, hi=0.5, keys=("n", "N")),
        Setting("ratio", float, 0.5, "share of points used for training", Effect.DATA, ladder=RATIO_LADDER, lo=0.1,
                hi=0.9, keys=("t", "T")),
        Setting("features", tuple, ("x1", "x2"), "input features", items=feats.NAMES, min_len=1, max_len=7),
        Setting("layers", tuple, (4, 2), "hidden layer sizes", item=int, lo=1, hi=MAX_NEURONS, max_len=MAX_LAYERS),
        activation_setting("tanh", MAX_LAYERS),
        Setting("loss", str, "mse", "loss: squared error or cross-entropy", values=("mse", "ce"), keys=("c",)),
        lr_setting(0.03),
        batch_setting(10, 256, BATCH_LADDER[:10]),
        optimizer_setting("sgd"),
        *regularization_settings(),
        Setting("show_test", bool, False, "show test points", Effect.LIVE, keys=("v",)),
        Setting("discretize", bool, False, "show only the sign of the output", Effect.LIVE, keys=("k",)),
        Setting("space_layer", int, 1, "hidden layer shown in the hidden-space view", Effect.LIVE, lo=1,
                hi=MAX_LAYERS, keys=("l", "L")),
        Setting("space_pair", int, 0, "which pair of its neurons are the axes (cycles)", Effect.LIVE, lo=0,
                hi=MAX_NEURONS ** 2, keys=("e", "E")),
        until_setting(),
        speed_setting(),
    ),
    scenario="classify",
)


class ClassifyRun(LayerEdits, Run):
    name = "classify"
    description = "The TensorFlow Playground: 2D data sets, feature crosses, hidden layers, decision boundary"
    schema = SCHEMA
    panes = ("field", "network", "loss", "space", "weights", "confusion", "accuracy")
    main_panes = 2  # the network diagram goes under the boundary
    key_actions = (
        KeyAction(">", "add_layer", "add a hidden layer"),
        KeyAction("<", "remove_layer", "remove the last hidden layer"),
        KeyAction("}", "add_neuron", "add a neuron to the selected layer"),
        KeyAction("{", "remove_neuron", "remove a neuron from the selected layer"),
        *(KeyAction(str(i + 1), "toggle_feature", f"toggle input {n}", (i,)) for i, n in enumerate(feats.NAMES)),
    )

    def __init__(self, values=None, seed=0, **seeds):
        self.selected: tuple[int, int] | None = None
        super().__init__(values, seed, **seeds)

    def set(self, name, value):
        notice = super().set(name, value)
        if name == "loss" and notice and self.task == "multiclass":
            self.notice = notice = f"{notice} (three classes always train with softmax cross-entropy)"
        return notice

    def cycle_values(self, setting):
        """``D`` offers csv only once a CSV file is set: without one it could not open."""
        if setting.name == "dataset" and not self.values["csv"]:
            return tuple(d for d in DATASETS if d != "csv")
        return None

    # -- data and model ---------------------------------------------------
    @property
    def task(self) -> str:
        return self._task

    def build_data(self) -> None:
        v = self.values
        if v["dataset"] == "csv":
            if not v["csv"]:
                raise SettingError("dataset=csv needs csv=PATH (a file of x1,x2,label rows)")
            x, y = datasets.load_points(v["csv"])
            if x.shape[1] != 2:
                raise DataError(f"{v['csv']}: classify needs three columns (x1,x2,label), got two")
            labels = set(np.unique(y).tolist())
            if labels <= {-1.0, 1.0} or labels <= {0.0, 1.0}:
                y, task = np.where(y > 0, 1.0, -1.0).astype(np.float32), "classification"
            else:
                task = "regression"
            xy = x
        else:
            xy, y = playground.generate(v["dataset"], noise=v["noise"], seed=self.data_seed)
            task = playground.kind(v["dataset"])
        # Everything is computed before anything is assigned: a file that fails to load changes nothing.
        self.xy, self.y, self._task = xy, y, task
        # Scale the plot to the points so CSV data lands in view too.
        lim = max(6.0, float(np.abs(self.xy).max()) * 1.05) if len(self.xy) else 6.0
        self.extent = (-lim, lim, -lim, lim)
        self.xy_tr, self.y_tr, self.xy_te, self.y_te = playground.split(self.xy, self.y, v["ratio"], seed=self.data_seed)
        self.grid_xy, self.grid_shape = feats.grid(GRID, self.extent)
        self.thumb_xy, self.thumb_shape = feats.grid(THUMB, self.extent)
        self.space_xy = _space_grid(self.extent)
        self.points = (Points(self.xy_tr, self._point_labels(self.y_tr)),
                       Points(self.xy_te, self._point_labels(self.y_te), test=True))

    def _targets(self, y):
        if self.task == "multiclass":
            return y.astype(np.int64)
        if self.task == "classification" and self.values["loss"] == "ce":
            return ((y > 0).astype(np.float32))[:, None]
        return y[:, None]

    def output_spec(self) -> tuple[int, str | None, str, str]:
        """(outputs, output activation, loss name, accuracy rule).

        Cross-entropy trains on the logit with the fused, stable sigmoid + BCE
        (a confidently wrong point still gets a gradient); the picture applies
        the sigmoid itself.
        """
        if self.task == "multiclass":
            return 3, None, "softmax_ce", "argmax"
        if self.task == "classification":
            if self.values["loss"] == "ce":
                return 1, None, "bce_logits", "logit"
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
        # What the views feed the network: constant for this build, so computed once here.
        self.grid_in = feats.apply(self.grid_xy, f)
        self.thumb_in = feats.apply(self.thumb_xy, f)
        self.space_in = feats.apply(self.space_xy, f)
        self.train_in = feats.apply(self.xy_tr, f)
        self.test_in = feats.apply(self.xy_te, f)
        th, tw = self.thumb_shape
        self.thumbs_in = tuple(self._norm(self.thumb_in[:, j]).reshape(th, tw) for j in range(len(f)))
        self._confusion = (None, None)
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

    # -- views ---------------------------------------------------------------
    def _as_pm1(self, out: np.ndarray) -> np.ndarray:
        """Map an output column to the diverging -1..1 range the heatmap draws."""
        if self.output_spec()[2] == "bce_logits":
            return np.tanh(0.5 * out)  # = 2·sigmoid(out) - 1
        return np.clip(out, -1.0, 1.0)

    def view_field(self) -> Field:
        v = self.values
        grid_out = neuron_outputs(self.model, self.grid_in)
        values = self._final_values(grid_out[-1]).reshape(self.grid_shape)
        title = "output"
        if self.selected is not None:
            layer, neuron = self.selected
            if layer == 0:
                values = self._norm(self.grid_in[:, neuron]).reshape(self.grid_shape)
                title = f"input {v['features'][neuron]}"
            elif layer - 1 < len(grid_out) - 1:
                values = self._unit(grid_out[layer - 1][:, neuron]).reshape(self.grid_shape)
                title = f"layer {layer} neuron {neuron + 1}"
        return Field(values.astype(np.float32), self.extent, (-1.0, 1.0), title, self.points,
                         classes=3 if self.task == "multiclass" else 0, discretize=v["discretize"],
                         show_test=v["show_test"])

    def view_network(self):
        th, tw = self.thumb_shape
        thumb_out = neuron_outputs(self.model, self.thumb_in)
        layers = [[self._unit(out[:, j]).reshape(th, tw) for j in range(out.shape[1])] for out in thumb_out[:-1]]
        layers.append([self._final_values(thumb_out[-1]).reshape(th, tw)])
        return network_view(self.model, self.values["features"], self.values["activation"], self.thumbs_in, layers,
                            self.selected)

    def view_confusion(self) -> Confusion:
        if self.task == "regression":
            return Confusion(None)
        step, m = self._confusion
        if step != self.drawn_step():  # once per step at most, not per frame
            m = self.confusion()
            self._confusion = (self.drawn_step(), m)
        return Confusion(m, tuple(str(i) for i in range(len(m))))

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

    def view_space(self) -> HiddenSpace | None:
        """ConvNetJS's view: grid lines over the input plane and the training points, as two neurons see them."""
        axes = self.space_axes()
        if axes is None:
            return None
        li, i, j = axes
        hid_grid = neuron_outputs(self.model, self.space_in)[li][:, [i, j]]
        hid_pts = neuron_outputs(self.model, self.train_in)[li][:, [i, j]]
        act = layer_activations(self.values["activation"], len(self.values["layers"]))[li]
        if act in BOUNDED:  # the layer's own activation: its whole range, so the picture keeps still
            lo, hi = BOUNDED[act]
            lim = (lo - 0.05, hi + 0.05)
        else:  # unbounded: fit the points and the grid
            both = np.concatenate([hid_grid, hid_pts])
            both = both[np.isfinite(both).all(axis=1)]
            lo, hi = (float(both.min()), float(both.max())) if len(both) else (-1.0, 1.0)
            pad = 0.05 * ((hi - lo) or 1.0)
            lim = (lo - pad, hi + pad)
        n = SPACE_SAMPLES
        return HiddenSpace(
            lines=tuple(hid_grid[k * n:(k + 1) * n] for k in range(len(hid_grid) // n)),
            points=hid_pts, labels=self._point_labels(self.y_tr), lim=lim,
            xlabel=f"neuron {i + 1}", ylabel=f"neuron {j + 1}", title=f"layer {li + 1}: neurons {i + 1} × {j + 1}",
            classes=3 if self.task == "multiclass" else 0,
        )

    def _final_values(self, out: np.ndarray) -> np.ndarray:
        if self.task == "multiclass":
            # class index scaled into -1..1 with confidence: drawn as three hues by the widget
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
        out = neuron_outputs(self.model, self.test_in)[-1]
        if self.task == "multiclass":
            pred = np.argmax(out, axis=1)
            true = self.y_te.astype(int)
            k = 3
        else:
            pred = (self._as_pm1(out[:, 0]) > 0).astype(int)
            true = (self.y_te > 0).astype(int)
            k = 2
        m = np.zeros((k, k), dtype=np.int64)
        np.add.at(m, (true, pred), 1)
        return m


def _space_grid(extent) -> np.ndarray:
    """The hidden-space view's grid: SPACE_LINES lines each way, SPACE_SAMPLES points along each."""
    xmin, xmax, ymin, ymax = extent
    t = np.linspace(0.0, 1.0, SPACE_SAMPLES, dtype=np.float32)
    lines = []
    for u in np.linspace(0.0, 1.0, SPACE_LINES, dtype=np.float32):
        lines.append(np.column_stack([xmin + t * (xmax - xmin), np.full_like(t, ymin + u * (ymax - ymin))]))
        lines.append(np.column_stack([np.full_like(t, xmin + u * (xmax - xmin)), ymin + t * (ymax - ymin)]))
    return np.concatenate(lines)
