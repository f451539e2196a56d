"""gates: one neuron, two inputs, a truth table — and why XOR needs a hidden layer."""

from __future__ import annotations

import numpy as np

from engine.datasets import features as feats
from engine.datasets import gates
from engine.losses import get_loss
from engine.trainer import Trainer

from .base import Run, lr_setting
from .classify import common_view_settings
from .network import build_mlp, network_view, neuron_outputs
from .settings import Schema, Setting
from .snapshot import Field2D, Points

EXTENT = (-0.25, 1.25, -0.25, 1.25)
GRID = 60
THUMB = 16

SCHEMA = Schema(
    (
        Setting("gate", str, "AND", "logic gate to learn", choices=gates.NAMES, keys=("y", "Y")),
        Setting("activation", str, "sigmoid", "sigmoid, or step (the perceptron rule)", choices=("sigmoid", "step"), keys=("a",)),
        Setting("hidden", int, 0, "hidden neurons (0 = a single perceptron)", choices=(0, 2, 3, 4), lo=0, hi=8, keys=("h", "H")),
        lr_setting(0.3),
        *common_view_settings(),
    ),
    scenario="gates",
)

WHY_XOR = (
    "XOR is not linearly separable: no single line puts (0,1),(1,0) on one side and "
    "(0,0),(1,1) on the other, so one neuron cannot learn it. Press h to add a hidden layer."
)


class GatesRun(Run):
    name = "gates"
    description = "The perceptron: one neuron learns AND, OR, NAND, NOR — and fails XOR"
    schema = SCHEMA
    DATA_SETTINGS = frozenset({"gate"})
    panes = ("field", "truth", "network", "loss")
    actions = {"reset": "new random weights", "regenerate": "new weights (the truth table is fixed)"}

    def build_data(self) -> None:
        self.x, self.y = gates.truth_table(self.values["gate"])
        self.grid_xy, self.grid_shape = feats.grid(GRID, EXTENT)
        self.thumb_xy, self.thumb_shape = feats.grid(THUMB, EXTENT)

    def build_model(self) -> None:
        v = self.values
        step = v["activation"] == "step"
        hidden = (v["hidden"],) if v["hidden"] else ()
        out_act = "step" if step else "sigmoid"
        self.model = build_mlp(2, hidden, 1, "tanh" if hidden else out_act, out_act, "glorot", self.weight_seed)
        self.trainer = Trainer(
            self.model,
            get_loss("mse" if step else "bce"),
            self.make_optimizer(),
            self.x, self.y[:, None], self.x, self.y[:, None],
            batch_size=4, seed=self.weight_seed, task="classification", accuracy="threshold",
        )
        self._last_eval_step = -1
        self.evaluate()

    def default_train_steps(self) -> int:
        return 2000

    def outputs(self, x) -> np.ndarray:
        return neuron_outputs(self.model, x)[-1][:, 0]

    def fill_snapshot(self, snap) -> None:
        v = self.values
        out_grid = neuron_outputs(self.model, self.grid_xy)
        thumbs = neuron_outputs(self.model, self.thumb_xy)
        th, tw = self.thumb_shape
        snap.field = Field2D((2 * out_grid[-1][:, 0] - 1).reshape(self.grid_shape).astype(np.float32), EXTENT)
        snap.points = [Points(self.x, 2 * self.y - 1)]
        thumbs_in = [(2 * self.thumb_xy[:, j] - 1).reshape(th, tw) for j in range(2)]
        layers = []
        for li, o in enumerate(thumbs):
            scale = (lambda a: 2 * a - 1) if li == len(thumbs) - 1 else (lambda a: np.clip(a, -1, 1))
            layers.append([scale(o[:, j]).reshape(th, tw) for j in range(o.shape[1])])
        snap.network = network_view(self.model, ("x1", "x2"), "tanh", thumbs_in, layers)
        snap.weight_mats = [(f"W{i + 1}", w) for i, w in enumerate(snap.network.weights)]
        out = self.outputs(self.x)
        snap.extra["truth_table"] = [
            (int(a), int(b), int(t), float(o)) for (a, b), t, o in zip(self.x, self.y, out)
        ]
        if not v["hidden"]:
            w = snap.network.weights[0][:, 0]
            b = float(snap.network.biases[0][0])
            fn = "step" if v["activation"] == "step" else "σ"
            snap.extra["formula"] = f"{fn}({w[0]:+.2f}·x1 {w[1]:+.2f}·x2 {b:+.2f})"
        else:
            snap.extra["formula"] = f"{v['hidden']} tanh hidden neurons → {v['activation']} output"
        solved = bool(np.all((out > 0.5) == (self.y > 0.5)))
        snap.extra["solved"] = solved
        if v["gate"] == "XOR" and not v["hidden"]:
            snap.extra["why"] = WHY_XOR
            if not self.diverged:
                snap.message = "XOR is not linearly separable: one neuron cannot learn it. Press h to add a hidden layer."
        snap.extra["field_title"] = f"{v['gate']}: {'solved' if solved else 'not yet'}"
