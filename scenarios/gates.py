"""gates: one neuron, two inputs, a truth table — and why XOR needs a hidden layer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.datasets import features as feats
from engine.datasets import gates
from engine.losses import get_loss
from engine.trainer import Trainer

from .base import Run
from .common import lr_setting, speed_setting
from .network import build_mlp, network_view, neuron_outputs
from .stopping import until_setting
from .settings import Effect, Schema, Setting
from .views import Field, Points, TruthTable

EXTENT = (-0.25, 1.25, -0.25, 1.25)
GRID = 60
THUMB = 16

SCHEMA = Schema(
    (
        Setting("gate", str, "AND", "logic gate to learn", Effect.DATA, values=gates.NAMES, keys=("y", "Y")),
        Setting("activation", str, "sigmoid", "sigmoid, or step (the perceptron rule)", values=("sigmoid", "step"),
                keys=("a",)),
        Setting("hidden", int, 0, "hidden neurons (0 = a single perceptron)", ladder=(0, 2, 3, 4), lo=0, hi=8,
                keys=("h", "H")),
        lr_setting(0.3),
        speed_setting(),
        until_setting(),
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
        # Sigmoid outputs train on the logit (fused, stable sigmoid + cross-entropy); the views apply the sigmoid.
        out_act = "step" if step else None
        self.model = build_mlp(2, hidden, 1, "tanh", out_act, "glorot", self.weight_seed)
        self.trainer = Trainer(
            self.model,
            get_loss("mse" if step else "bce_logits"),
            self.make_optimizer(),
            self.x, self.y[:, None], self.x, self.y[:, None],
            batch_size=4, seed=self.weight_seed, task="classification",
            accuracy="threshold" if step else "logit",
        )
        self._last_eval_step = -1
        self.evaluate()

    def default_train_steps(self) -> int:
        return 2000

    def _prob(self, out: np.ndarray) -> np.ndarray:
        """The output neuron's value in 0..1: the step's 0/1, or the sigmoid of the logit."""
        return out if self.values["activation"] == "step" else 1.0 / (1.0 + np.exp(-np.clip(out, -60, 60)))

    def outputs(self, x) -> np.ndarray:
        return self._prob(neuron_outputs(self.model, x)[-1][:, 0])

    def solved(self) -> bool:
        return bool(np.all((self.outputs(self.x) > 0.5) == (self.y > 0.5)))

    def view_field(self) -> Field:
        v = self.values
        values = (2 * self.outputs(self.grid_xy) - 1).reshape(self.grid_shape).astype(np.float32)
        title = f"{v['gate']}: {'solved' if self.solved() else 'not yet'}"
        return Field(values, EXTENT, (-1.0, 1.0), title, (Points(self.x, 2 * self.y - 1),))

    def view_network(self):
        thumbs = neuron_outputs(self.model, self.thumb_xy)
        th, tw = self.thumb_shape
        thumbs_in = [(2 * self.thumb_xy[:, j] - 1).reshape(th, tw) for j in range(2)]
        layers = [[np.clip(o[:, j], -1, 1).reshape(th, tw) for j in range(o.shape[1])] for o in thumbs[:-1]]
        layers.append([(2 * self._prob(thumbs[-1][:, 0]) - 1).reshape(th, tw)])
        return network_view(self.model, ("x1", "x2"), "tanh", thumbs_in, layers)

    def view_truth(self) -> TruthTable:
        v = self.values
        out = self.outputs(self.x)
        rows = tuple((int(a), int(b), int(t), float(o)) for (a, b), t, o in zip(self.x, self.y, out))
        if not v["hidden"]:
            w, b = self.model.get_weights()
            fn = "step" if v["activation"] == "step" else "σ"
            formula = f"{fn}({w[0, 0]:+.2f}·x1 {w[1, 0]:+.2f}·x2 {float(b[0]):+.2f})"
        else:
            formula = f"{v['hidden']} tanh hidden neurons → {v['activation']} output"
        why = WHY_XOR if v["gate"] == "XOR" and not v["hidden"] else ""
        return TruthTable(rows, formula, why, bool(np.all((out > 0.5) == (self.y > 0.5))))

    def status(self, playing: bool = False):
        st = super().status(playing)
        if self.values["gate"] == "XOR" and not self.values["hidden"] and not self.diverged and not self.notice:
            st = replace(st, message="XOR is not linearly separable: one neuron cannot learn it. "
                                     "Press h to add a hidden layer.")
        return st
