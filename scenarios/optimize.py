"""optimize: the optimizer race. Seven update rules descend one 2D loss surface side by side.

The parameters are a single 2-vector (x, y) per racer; the loss is an analytic
surface from :mod:`engine.surfaces` (a rotated quadratic bowl whose condition
number is a setting, Rosenbrock, Beale, a saddle, Himmelblau) and the gradient
is exact. Each racer is :mod:`engine.optimizers` unchanged, stepping its own
copy of the start point. One run step moves every racer one step.

Learning rates: ``lr`` is the rate of the rules whose step is ``lr × gradient``
(SGD, momentum, Nesterov); ``adaptive_lr`` that of the rules whose step is about
``lr`` whatever the gradient's size (Adam, RMSProp, Adagrad); Adadelta has no
rate of its own (1.0, as in Zeiler's paper). Both rates, the momentum and the
Adam betas change live: every racer keeps its position and its state. Choosing
another surface (key or palette) also moves both rates to the ones that suit it,
and so does opening with a surface but no rates (``--set surface=beale``).

A racer whose loss overflows, or which leaves the map by far, is marked diverged
and stops where it last was; the others keep going. The run as a whole is
diverged only when every racer is. ``racers`` says which rules race (keys 1-7
toggle them; one toggled back in starts afresh from the start point). The arrows
move the start point and a click on the map sets it: either restarts the race.

Views: ``race`` (log10 of the loss over the box, each racer's path, the start
and the minima) and ``race_loss`` (each racer's loss by race step, log axis).
"""

from __future__ import annotations

import dataclasses
from collections import deque

import numpy as np

from engine import backend
from engine.history import History
from engine.optimizers import NAMES as OPTIMIZERS
from engine.optimizers import get_optimizer
from engine.surfaces import NAMES as SURFACES
from engine.surfaces import Surface, get_surface

from .base import HISTORY_POINTS, KeyAction, Run
from .common import lr_setting, speed_setting
from .settings import LR_LADDER, Effect, Schema, Setting, SettingError
from .views import Curves, Field, Race, Racer, Status

GRID_COLS, GRID_ROWS = 161, 121
PATH_LEN = 2000  # positions kept per racer (oldest dropped)
DECADES = 4.0  # the heatmap shows the loss over this many decades below the box's highest
DIVERGE_LOSS = 1e12
DIVERGE_BOX = 1e3  # a racer this many box widths off the map has left for good
START_STEP = 1 / 20  # an arrow key moves the start by this much of the box
CONDITION_LADDER = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
MOMENTUM_LADDER = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
BETA2_LADDER = (0.9, 0.99, 0.999, 0.9999)
GRADIENT_SCALED = ("sgd", "momentum", "nesterov")  # step = lr × gradient: ``lr``
ADAPTIVE = ("adam", "rmsprop", "adagrad")  # step ≈ lr: ``adaptive_lr``
ADADELTA_LR = 1.0
RACER_KEYS = {name: str(i + 1) for i, name in enumerate(OPTIMIZERS)}


def _set_rates(run, value) -> None:
    run.sync_hyperparameters()


def _set_racers(run, value) -> None:
    run.sync_racers()


SCHEMA = Schema(
    (
        Setting("surface", str, "bowl", "the loss surface (also picks the learning rates that suit it)",
                Effect.WEIGHTS, values=SURFACES, keys=("n", "N")),
        Setting("condition", float, 50.0, "the bowl's condition number: how long and narrow its valley is",
                Effect.WEIGHTS, ladder=CONDITION_LADDER, lo=1.0, hi=10000.0, keys=("k", "K")),
        lr_setting(0.1),
        Setting("adaptive_lr", float, 0.05, "learning rate of Adam, RMSProp and Adagrad (their step is about this)",
                Effect.LIVE, ladder=LR_LADDER, lo=1e-6, hi=10.0, keys=("a", "A"), apply=_set_rates),
        Setting("momentum", float, 0.9, "momentum of the momentum and Nesterov racers", Effect.LIVE,
                ladder=MOMENTUM_LADDER, lo=0.0, hi=0.999, keys=("o", "O"), apply=_set_rates),
        Setting("beta1", float, 0.9, "Adam's beta1: how long its gradient average remembers", Effect.LIVE,
                ladder=MOMENTUM_LADDER, lo=0.0, hi=0.999, keys=("b", "B"), apply=_set_rates),
        Setting("beta2", float, 0.999, "Adam's beta2: how long its squared-gradient average remembers", Effect.LIVE,
                ladder=BETA2_LADDER, lo=0.0, hi=0.99999, keys=("v", "V"), apply=_set_rates),
        Setting("racers", tuple, OPTIMIZERS, "the optimizers that race (keys 1-7 toggle them)", Effect.LIVE,
                items=OPTIMIZERS, min_len=1, apply=_set_racers),
        dataclasses.replace(speed_setting(), default=2),
    ),
    scenario="optimize",
)


class RaceClock:
    """The race's counters, in the shape the app and ``nnplay train`` read from a trainer."""

    def __init__(self, names):
        self.steps = 0
        self.epoch = 0.0
        self.examples_seen = 0
        self.history = History(("step", *names))
        self.all_diverged = False
        self.metrics: dict[str, float] = {}

    @property
    def state(self) -> str:
        return "diverged" if self.all_diverged else "ready"


class RacePoints:
    """The race's parameters: one 2-vector per racer (what a saved state holds)."""

    def __init__(self, run: "OptimizeRun"):
        self.run = run

    def parameters(self) -> list:
        return [r.pos for r in self.run.racers.values()]

    def get_weights(self) -> list[np.ndarray]:
        return [backend.to_host(r.pos).copy() for r in self.run.racers.values()]

    def set_weights(self, weights) -> None:
        racers = list(self.run.racers.values())
        if len(weights) != len(racers) or any(np.shape(w) != (2,) for w in weights):
            raise ValueError(f"expected {len(racers)} points (x, y), got {len(weights)}")
        for r, w in zip(racers, weights):
            r.pos[...] = backend.xp.asarray(np.asarray(w, np.float64))
            r.loss = self.run.loss_at(backend.to_host(r.pos))

    def summary_table(self, input_shape=None) -> str:
        run = self.run
        lines = [f"optimizer race on {run.surface.name}: {run.surface.formula}",
                 f"start ({run._start()[0]:.4g}, {run._start()[1]:.4g}); racers: {', '.join(run.racers)}"]
        return "\n".join(lines)


class RacerState:
    def __init__(self, name: str, optimizer, start: tuple[float, float], loss: float):
        self.name, self.optimizer = name, optimizer
        self.pos = backend.xp.asarray(np.asarray(start, np.float64))
        self.path: deque[tuple[float, float]] = deque([tuple(map(float, start))], maxlen=PATH_LEN)
        self.steps = 0
        self.loss = loss
        self.diverged = False


class OptimizeRun(Run):
    name = "optimize"
    description = "The optimizer race: SGD, momentum, Nesterov, Adam, RMSProp, Adagrad, Adadelta on one 2D loss surface"
    schema = SCHEMA
    actions = {"reset": "restart the race from the start point", "regenerate": "a random start point, a new race"}
    panes = ("race", "race_loss")
    main_panes = 1
    key_actions = (
        *(KeyAction(k, "toggle_racer", f"toggle the {n} racer", (n,)) for n, k in RACER_KEYS.items()),
        KeyAction("left", "move_start", "move the start point left", ("left",)),
        KeyAction("right", "move_start", "move the start point right", ("right",)),
        KeyAction("up", "move_start", "move the start point up", ("up",)),
        KeyAction("down", "move_start", "move the start point down", ("down",)),
    )

    def __init__(self, values=None, seed=0, **seeds):
        self.start: tuple[float, float] | None = None  # None: the surface's own
        self.racers: dict[str, RacerState] = {}
        values = dict(values or {})
        if "surface" in values:  # rates not given: the ones that suit the surface chosen
            suits = get_surface(SCHEMA["surface"].parse(values["surface"]))
            values.setdefault("lr", suits.lr)
            values.setdefault("adaptive_lr", suits.adaptive_lr)
        super().__init__(values, seed, **seeds)

    # -- the surface ----------------------------------------------------------------
    def build_data(self) -> None:
        v = self.values
        self.surface: Surface = get_surface(v["surface"], v["condition"])
        values = self.surface.grid(GRID_COLS, GRID_ROWS) - self.surface.min_value
        top = float(np.max(values))
        self.floor = max(top, 1e-12) * 10 ** -DECADES
        self.heat = np.log10(np.maximum(values, 0.0) + self.floor).astype(np.float32)
        self.heat_range = (float(np.log10(self.floor)), float(np.log10(top + self.floor)))

    def loss_at(self, xy) -> float:
        with np.errstate(all="ignore"):
            return float(self.surface.value(float(xy[0]), float(xy[1])))

    def _apply(self, setting, value) -> None:
        if setting.name == "surface":  # each surface has its own sensible rates: move both with it
            s = get_surface(value, self.values["condition"])
            self.values["lr"], self.values["adaptive_lr"] = s.lr, s.adaptive_lr
            self.start = None
            self.build_data()
        elif setting.name == "condition":
            self.build_data()
        super()._apply(setting, value)

    def set(self, name, value) -> str:
        msg = super().set(name, value)
        if name in ("surface", "condition") and msg:
            v = self.values
            self.notice = f"{name} = {self.schema[name].format(v[name])}: a new race"
            if name == "surface":
                self.notice += f" (lr {v['lr']:g} and adaptive_lr {v['adaptive_lr']:g} suit it)"
            return self.notice
        return msg

    # -- the racers -------------------------------------------------------------------
    def _start(self) -> tuple[float, float]:
        return self.surface.start if self.start is None else self.start

    def make_racer_optimizer(self, name: str):
        v = self.values
        if name == "sgd":
            return get_optimizer("sgd", v["lr"])
        if name in ("momentum", "nesterov"):
            return get_optimizer(name, v["lr"], momentum=v["momentum"])
        if name == "adam":
            return get_optimizer("adam", v["adaptive_lr"], beta1=v["beta1"], beta2=v["beta2"])
        if name == "adadelta":
            return get_optimizer("adadelta", ADADELTA_LR)
        return get_optimizer(name, v["adaptive_lr"])

    def _new_racer(self, name: str) -> RacerState:
        start = self._start()
        return RacerState(name, self.make_racer_optimizer(name), start, self.loss_at(start))

    def build_model(self) -> None:
        """A new race: every chosen racer at the start point, fresh optimizer state, the clock at 0."""
        self.racers = {n: self._new_racer(n) for n in OPTIMIZERS if n in self.values["racers"]}
        self.trainer = RaceClock(OPTIMIZERS)
        self.model = RacePoints(self)
        self._record()

    def sync_hyperparameters(self) -> None:
        """Live rates, momentum and betas: each racer keeps its position and its optimizer's state."""
        v = self.values
        for name, r in self.racers.items():
            opt = r.optimizer
            if name in GRADIENT_SCALED:
                opt.lr = v["lr"]
            elif name in ADAPTIVE:
                opt.lr = v["adaptive_lr"]
            if name in ("momentum", "nesterov"):
                if bool(opt.momentum) != bool(v["momentum"]):  # momentum 0 keeps no velocity: one to start from
                    opt = r.optimizer = get_optimizer(name, v["lr"], momentum=v["momentum"])
                opt.momentum = float(v["momentum"])
            if name == "adam":
                opt.beta1, opt.beta2 = float(v["beta1"]), float(v["beta2"])

    def set_lr(self, lr: float) -> None:
        self.sync_hyperparameters()

    def sync_racers(self) -> None:
        """Racers toggled off leave; racers toggled on join afresh from the start point."""
        chosen = self.values["racers"]
        kept = {n: r for n, r in self.racers.items() if n in chosen}
        self.racers = {n: kept.get(n) or self._new_racer(n) for n in OPTIMIZERS if n in chosen}
        self.trainer.all_diverged = bool(self.racers) and all(r.diverged for r in self.racers.values())

    def toggle_racer(self, name: str) -> str:
        chosen = self.values["racers"]
        if name in chosen:
            if len(chosen) == 1:
                self.notice = f"{name} is the only racer left: toggle another one on first"
                return self.notice
            self.set("racers", tuple(n for n in chosen if n != name))
            self.notice = f"{name} leaves the race"
        else:
            self.set("racers", tuple(n for n in OPTIMIZERS if n in chosen or n == name))
            self.notice = f"{name} joins the race from the start point"
        return self.notice

    # -- the start point ---------------------------------------------------------------
    def set_start(self, x: float, y: float) -> str:
        """A new start point (a click on the map, or the arrows): the race starts again from there."""
        x, y = float(x), float(y)
        if not (np.isfinite(x) and np.isfinite(y)):
            self.notice = "ignored a start point that is not a finite number"
            return self.notice
        xmin, xmax, ymin, ymax = self.surface.extent
        self.start = (min(max(x, xmin), xmax), min(max(y, ymin), ymax))
        self.build_model()
        self.notice = f"start ({self.start[0]:.3g}, {self.start[1]:.3g}): a new race"
        return self.notice

    def move_start(self, direction: str) -> str:
        """The arrows: the start point moves a twentieth of the map left, right, up or down."""
        dx, dy = {"left": (-1, 0), "right": (1, 0), "up": (0, 1), "down": (0, -1)}[direction]
        xmin, xmax, ymin, ymax = self.surface.extent
        x, y = self._start()
        return self.set_start(x + dx * START_STEP * (xmax - xmin), y + dy * START_STEP * (ymax - ymin))

    def add_point(self, x: float, y: float) -> str:
        """A preset's ``points`` (what a click made): here, the start point."""
        return self.set_start(x, y)

    @property
    def added_points(self) -> list[tuple[float, float]]:
        return [] if self.start is None else [self.start]

    def action(self, name: str) -> str:
        if name == "reset":
            self.build_model()
            self.notice = "reset: the race starts again"
            return self.notice
        if name == "regenerate":
            self.data_seed += 1
            rng = np.random.default_rng(self.data_seed)
            xmin, xmax, ymin, ymax = self.surface.extent
            return self.set_start(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax))
        return super().action(name)

    # -- stepping ----------------------------------------------------------------------
    @property
    def diverged(self) -> bool:
        return self.trainer.all_diverged

    def _step_racer(self, r: RacerState) -> None:
        xp = backend.xp
        before = backend.to_host(r.pos).copy()
        with np.errstate(all="ignore"):
            gx, gy = self.surface.grad(before[0], before[1])
            g = xp.asarray(np.array([gx, gy], np.float64))
            r.optimizer.step([(r.pos, g)])
        pos = backend.to_host(r.pos)
        loss = self.loss_at(pos)
        xmin, xmax, ymin, ymax = self.surface.extent
        far = DIVERGE_BOX * max(xmax - xmin, ymax - ymin)
        if not (np.all(np.isfinite(pos)) and np.isfinite(loss) and loss < DIVERGE_LOSS
                and np.all(np.abs(pos) < far)):
            r.pos[...] = xp.asarray(before)  # it stops where it last was
            r.diverged = True
            return
        r.steps += 1
        r.loss = loss
        r.path.append((float(pos[0]), float(pos[1])))

    def step(self, n: int = 1) -> int:
        done = 0
        while done < n and not self.diverged:
            for r in self.racers.values():
                if not r.diverged:
                    self._step_racer(r)
            self.trainer.steps += 1
            done += 1
            self._record()
            self.trainer.all_diverged = all(r.diverged for r in self.racers.values())
        return done

    def _record(self) -> None:
        rec = {"step": self.trainer.steps}
        rec.update({n: r.loss for n, r in self.racers.items() if not r.diverged})
        self.trainer.history.append(rec)
        self.trainer.metrics = {"train_loss": self.best_loss()}

    def evaluate(self) -> None:
        pass  # every step is measured exactly

    def best_loss(self) -> float:
        losses = [r.loss for r in self.racers.values() if not r.diverged]
        return min(losses) if losses else float("nan")

    def steps_per_epoch(self) -> int:
        return 1

    def eval_interval(self) -> int:
        return 50

    def default_train_steps(self) -> int:
        return 500

    def input_shape(self) -> tuple[int, ...]:
        return (2,)

    # -- what the UI draws ---------------------------------------------------------------
    def divergence_message(self) -> str:
        return (f"every racer diverged: try a lower lr (now {self.values['lr']:g}) or adaptive_lr "
                f"(now {self.values['adaptive_lr']:g}) and restart the race (w)")

    def data_note(self) -> str:
        gone = [n for n, r in self.racers.items() if r.diverged]
        return f"diverged: {', '.join(gone)} (the others race on)" if gone and not self.diverged else ""

    def status(self, playing: bool = False) -> Status:
        t = self.trainer
        state = "diverged" if self.diverged else ("running" if playing else "paused")
        return Status(
            scenario=self.name, state=state, step=t.steps, epoch=0.0, examples_seen=0,
            steps_per_sec=self._rate if playing else 0.0, lr=float(self.values["lr"]), device=backend.device,
            train_loss=self.best_loss(),
            message=self.divergence_message() if self.diverged else self.notice, data_note=self.data_note(),
        )

    def metrics(self) -> dict[str, float]:
        out = {f"{n}_loss": r.loss for n, r in self.racers.items() if not r.diverged}
        best = self.best_loss()
        if np.isfinite(best):
            out["train_loss"] = best
        return out

    def view_race(self) -> Race:
        s = self.surface
        x0, y0 = self._start()
        title = f"{s.name}: {s.formula}"
        field = Field(self.heat, s.extent, self.heat_range, title)
        racers = tuple(
            Racer(n, RACER_KEYS[n], np.array(r.path, dtype=np.float64).reshape(-1, 2), float(r.loss), r.steps,
                  r.diverged)
            for n, r in self.racers.items()
        )
        return Race(field, racers, (float(x0), float(y0)), s.minima)

    def view_race_loss(self) -> Curves:
        return Curves(self.trainer.history.arrays(max_points=HISTORY_POINTS), tuple(self.racers), "loss")

    view_loss = view_race_loss

    # -- saving --------------------------------------------------------------------------
    def state_arrays(self) -> dict:
        out = {"steps": np.array([r.steps for r in self.racers.values()], np.int64),
               "diverged": np.array([r.diverged for r in self.racers.values()], bool)}
        for n, r in self.racers.items():
            out[f"path_{n}"] = np.array(r.path, np.float64).reshape(-1, 2)
        return out

    def restore_arrays(self, arrays: dict) -> None:
        racers = list(self.racers.values())
        steps, diverged = arrays.get("steps"), arrays.get("diverged")
        for i, r in enumerate(racers):
            if steps is not None and i < len(steps):
                r.steps = int(steps[i])
            if diverged is not None and i < len(diverged):
                r.diverged = bool(diverged[i])
            path = arrays.get(f"path_{r.name}")
            if path is not None:
                r.path.clear()
                r.path.extend(map(tuple, np.asarray(path, np.float64).reshape(-1, 2).tolist()))
        self.trainer.all_diverged = bool(racers) and all(r.diverged for r in racers)

    def save_model(self, path: str) -> None:
        raise SettingError("the optimizer race has no network to save: P saves the race as a preset")

    def load_model(self, path: str) -> None:
        raise SettingError("the optimizer race has no network to load weights into")
