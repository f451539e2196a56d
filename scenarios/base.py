"""A scenario run: data, model and trainer built from settings, stepped on demand.

The app, ``nnplay train`` and playback all drive a :class:`Run` the same way:
``set``/``nudge`` a setting, ``action`` (reset, regenerate...), ``step(n)``,
``snapshot()``. Live settings apply between steps; the others rebuild and say so.
"""

from __future__ import annotations

import math
import time
from typing import Any, ClassVar, NamedTuple

import numpy as np

from engine import backend
from engine.optimizers import get_optimizer

from .settings import LR_LADDER, REG_RATE_LADDER, Schema, Setting, SettingError
from .snapshot import Snapshot

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad", "adadelta")


def lr_setting(default: float) -> Setting:
    return Setting("lr", float, default, "learning rate", choices=LR_LADDER, lo=1e-6, hi=10.0, live=True, keys=("+", "-"))


def optimizer_setting(default: str = "sgd") -> Setting:
    return Setting("optimizer", str, default, "optimizer (keeps the weights)", choices=OPTIMIZERS, live=True, keys=("o", "O"))


def regularization_settings() -> tuple[Setting, Setting]:
    return (
        Setting("regularization", str, "none", "weight penalty", choices=("none", "l1", "l2"), live=True, keys=("g", "G")),
        Setting("reg_rate", float, 0.0, "regularization rate", choices=REG_RATE_LADDER, lo=0.0, hi=10.0, live=True, keys=("r", "R")),
    )


class KeyAction(NamedTuple):
    """A key bound to a Run method (``method(*args)``), beyond the settings' own keys."""

    key: str
    method: str
    desc: str
    args: tuple = ()


class Run:
    """Base class: subclasses set ``name``, ``description``, ``schema`` and implement ``build``/``snapshot``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    schema: ClassVar[Schema]
    actions: ClassVar[dict[str, str]] = {"reset": "new random weights", "regenerate": "new data, new weights"}
    key_actions: ClassVar[tuple[KeyAction, ...]] = ()
    panes: tuple[str, ...] = ()  # what the app shows, most important first
    main_panes: ClassVar[int] = 1  # how many of them share the big middle column

    def __init__(self, values: dict[str, Any] | None = None, seed: int = 0):
        self.values = self.schema.defaults()
        for k, v in (values or {}).items():
            self.values[k] = self.schema[k].parse(v)
        self.seed = int(seed)
        self.data_seed = self.seed
        self.weight_seed = self.seed
        self.notice = ""
        self._rate = 0.0
        self._rate_mark = (time.perf_counter(), 0)
        self._last_eval_step = -1
        self.build_data()
        self.build_model()

    # -- to override -----------------------------------------------------
    def build_data(self) -> None:
        raise NotImplementedError

    def build_model(self) -> None:
        """Create ``self.model`` and ``self.trainer`` with fresh weights from ``self.weight_seed``."""
        raise NotImplementedError

    def fill_snapshot(self, snap: Snapshot) -> None:
        raise NotImplementedError

    def steps_per_epoch(self) -> int:
        return max(1, math.ceil(self.trainer.n_train / self.trainer.batch_size))

    def eval_interval(self) -> int:
        """Steps between evaluations: one epoch by default."""
        return self.steps_per_epoch()

    def input_shape(self) -> tuple[int, ...]:
        """One example's shape as the model sees it (for the model summary)."""
        return (self.model.layers[0].n_in,)

    def default_train_steps(self) -> int:
        """What ``nnplay train`` runs when neither --steps nor --epochs is given."""
        return 100 * self.steps_per_epoch()

    # -- settings ---------------------------------------------------------
    DATA_SETTINGS: ClassVar[frozenset[str]] = frozenset()

    def set(self, name: str, value: Any) -> str:
        """Change one setting (a string or a typed value); returns the notice to show."""
        setting = self.schema[name]
        value = setting.parse(value)
        if self.values[name] == value:
            return ""
        self.values[name] = value
        shown = f"{name} = {setting.format(value)}"
        if setting.live:
            self.apply_live(name)
            self.notice = shown
        elif name in self.DATA_SETTINGS:
            self.build_data()
            self.build_model()
            self.notice = f"{shown}: new data, new weights"
        else:
            self.build_model()
            self.notice = f"{shown}: new weights"
        return self.notice

    def nudge(self, name: str, direction: int) -> str:
        setting = self.schema[name]
        return self.set(name, setting.nudge(self.values[name], direction))

    def apply_live(self, name: str) -> None:
        t = self.trainer
        if name == "lr":
            t.optimizer.lr = self.values["lr"]
        elif name == "batch":
            t.batch_size = self.values["batch"]
        elif name in ("optimizer", "regularization", "reg_rate"):
            t.optimizer = self.make_optimizer()

    def make_optimizer(self):
        v = self.values
        reg = v.get("regularization", "none")
        rate = v.get("reg_rate", 0.0)
        return get_optimizer(
            v.get("optimizer", "sgd"),
            lr=v["lr"],
            l1=rate if reg == "l1" else 0.0,
            l2=rate if reg == "l2" else 0.0,
        )

    def action(self, name: str) -> str:
        if name == "reset":
            self.weight_seed += 1
            self.build_model()
            self.notice = "reset: new random weights"
        elif name == "regenerate":
            self.data_seed += 1
            self.weight_seed += 1
            self.build_data()
            self.build_model()
            self.notice = "regenerated data: new weights"
        else:
            raise SettingError(f"unknown action {name!r} for {self.name}: allowed are {', '.join(self.actions)}")
        return self.notice

    # -- training ---------------------------------------------------------
    @property
    def diverged(self) -> bool:
        return self.trainer.state == "diverged"

    def step(self, n: int = 1) -> int:
        """Run up to ``n`` minibatch steps, evaluating at each interval boundary; returns steps done."""
        t = self.trainer
        done = 0
        interval = self.eval_interval()
        while done < n and t.state != "diverged":
            to_boundary = interval - (t.steps % interval)
            k = min(n - done, to_boundary)
            t.step(k)
            done += k
            if t.steps % interval == 0 or t.state == "diverged":
                self.evaluate()
        return done

    def evaluate(self) -> None:
        if self._last_eval_step != self.trainer.steps:
            self.trainer.evaluate()
            self._last_eval_step = self.trainer.steps

    def measure_rate(self) -> float:
        """Steps per second since the last call (the app calls it once per frame)."""
        now = time.perf_counter()
        t0, s0 = self._rate_mark
        if now - t0 >= 0.5:
            self._rate = (self.trainer.steps - s0) / (now - t0)
            self._rate_mark = (now, self.trainer.steps)
        return self._rate

    def metrics(self) -> dict[str, float]:
        h = self.trainer.history
        out = {}
        for k in ("train_loss", "test_loss", "train_acc", "test_acc"):
            if h.get(k):
                val = h[k][-1]
                if val is not None and not math.isnan(val):  # NaN: not measured (no test set, regression)
                    out[k] = float(val)
        return out

    def snapshot(self) -> Snapshot:
        t = self.trainer
        if t.steps and self._last_eval_step < 0:
            self.evaluate()
        snap = Snapshot(
            scenario=self.name,
            step=t.steps,
            epoch=float(t.epoch),
            examples_seen=int(t.examples_seen),
            steps_per_sec=self._rate,
            state="diverged" if self.diverged else "paused",
            message=self.divergence_message() if self.diverged else self.notice,
            lr=float(t.optimizer.lr),
            device=backend.device,
            metrics=self.metrics(),
            history={k: np.asarray([np.nan if x is None else x for x in v], dtype=np.float64) for k, v in t.history.items()},
        )
        self.fill_snapshot(snap)
        return snap

    def divergence_message(self) -> str:
        return (
            f"diverged: {self.trainer.diverged_reason}. Try a lower learning rate "
            f"(now {self.values['lr']:g}) and reset the weights."
        )

    # -- saving -----------------------------------------------------------
    def save_model(self, path: str) -> None:
        self.model.save(path)

    def load_model(self, path: str) -> None:
        """Weights saved from this same network (ModelFileError, one line, for any other file)."""
        self.model.load_weights(path)
        self.notice = f"loaded weights from {path}"
