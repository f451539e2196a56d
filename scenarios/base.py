"""A scenario run: data, model and trainer built from settings, stepped on demand.

The app, ``nnplay train`` and playback all drive a :class:`Run` the same way:
``set``/``nudge`` a setting, ``action`` (reset, regenerate...), ``step(n)``,
``snapshot(visible)``. What a setting change does is the setting's own
``effect`` (live, new weights, new data); a change that fails leaves the run
as it was.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, ClassVar, Collection, NamedTuple

import numpy as np

from engine import backend
from engine.optimizers import get_optimizer

from .film import Film
from .settings import Effect, Schema, Setting, SettingError
from .stopping import Condition, first_met, parse_conditions, steps_left
from .views import Curves, Snapshot, Status, Weights

HISTORY_POINTS = 512  # at most this many evaluations go into a learning-curve view, however long the run


class KeyAction(NamedTuple):
    """A key bound to a Run method (``method(*args)``), beyond the settings' own keys."""

    key: str
    method: str
    desc: str
    args: tuple = ()


class Run:
    """Base class: subclasses set ``name``, ``description``, ``schema``, ``panes`` and build data and model.

    Each pane name in ``panes`` has a ``view_<name>()`` method returning its
    typed view; ``snapshot(visible)`` calls only those asked for.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    schema: ClassVar[Schema]
    actions: ClassVar[dict[str, str]] = {"reset": "new random weights", "regenerate": "new data, new weights"}
    key_actions: ClassVar[tuple[KeyAction, ...]] = ()
    panes: tuple[str, ...] = ()  # what the app shows, most important first
    main_panes: ClassVar[int] = 1  # how many of them share the big middle column
    zoom_pane: ClassVar[str] = ""  # what z shows at full size (default: the first pane)

    def __init__(self, values: dict[str, Any] | None = None, seed: int = 0, *,
                 data_seed: int | None = None, weight_seed: int | None = None):
        self.values = self.schema.defaults()
        for k, v in (values or {}).items():
            self.values[k] = self.schema[k].parse(v)
        self.seed = int(seed)
        self.data_seed = self.seed if data_seed is None else int(data_seed)
        self.weight_seed = self.seed if weight_seed is None else int(weight_seed)
        self.notice = ""
        self._rate = 0.0
        self._rate_mark: tuple[object, float, int] = (None, 0.0, 0)
        self._last_eval_step = -1
        self.build_data()
        self.build_model()

    # -- to override -----------------------------------------------------
    def build_data(self) -> None:
        raise NotImplementedError

    def build_model(self) -> None:
        """Create ``self.model`` and ``self.trainer`` with fresh weights from ``self.weight_seed``."""
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

    def cycle_values(self, setting: Setting) -> tuple | None:
        """The values a key may cycle a string setting through now (None: all of them)."""
        return None

    def hands_on(self) -> bool:
        """True while the learner is setting the weights by hand: the app does not train until asked."""
        return False

    def idle_settings(self) -> frozenset[str]:
        """Settings the other values make moot now (a mode that ignores them): the panel shows them dim."""
        return frozenset()

    def data_note(self) -> str:
        """A standing remark about the data, shown under the panes."""
        return ""

    def state_arrays(self) -> dict:
        """Arrays beyond weights and history that a saved state needs to show the run again."""
        return {}

    def restore_arrays(self, arrays: dict) -> None:
        pass

    # -- settings ---------------------------------------------------------
    def set(self, name: str, value: Any) -> str:
        """Change one setting (a string or a typed value); returns the notice to show.

        If the rebuild it causes fails (a CSV that does not load, data that are
        not there) the old value is restored and the run is as it was.
        """
        setting = self.schema[name]
        value = setting.parse(value)
        old = self.values[name]
        if old == value:
            return ""
        self.values[name] = value
        shown = f"{name} = {setting.format(value)}"
        try:
            self._apply(setting, value)
        except Exception:
            self.values[name] = old
            if setting.effect is not Effect.LIVE:
                self._restore_after_failed_rebuild(setting)
            raise
        self.notice = {Effect.LIVE: shown, Effect.WEIGHTS: f"{shown}: new weights",
                       Effect.DATA: f"{shown}: new data, new weights"}[setting.effect]
        return self.notice

    def _apply(self, setting: Setting, value: Any) -> None:
        if setting.effect is Effect.LIVE:
            if setting.apply is not None:
                setting.apply(self, value)
        elif setting.effect is Effect.DATA:
            self.build_data()
            self.build_model()
        else:
            self.build_model()

    def _restore_after_failed_rebuild(self, setting: Setting) -> None:
        """Rebuild from the restored values (data only if the data may have been touched)."""
        if setting.effect is Effect.DATA:
            self.build_data()
        self.build_model()

    def nudge(self, name: str, direction: int) -> str:
        """The key for a setting: the next value, or a notice saying it is already at the end."""
        setting = self.schema[name]
        cur = self.values[name]
        new = setting.nudge(cur, direction, self.cycle_values(setting))
        if new == cur:
            end = "highest" if direction > 0 else "lowest"
            self.notice = f"{name} is already at its {end} value ({setting.format(cur)})"
            return self.notice
        return self.set(name, new)

    def set_lr(self, lr: float) -> None:
        self.trainer.optimizer.lr = lr

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
            ran = t.step(k)
            done += ran
            if t.steps % interval == 0 or t.state == "diverged":
                self.evaluate()
            if ran < k:
                break
        return done

    def evaluate(self) -> None:
        if self._last_eval_step != self.trainer.steps:
            self.trainer.evaluate()
            self._last_eval_step = self.trainer.steps
            self.record_frame()

    # -- time travel ------------------------------------------------------------
    def record_frame(self) -> None:
        """Add this moment to the film (a new network starts a new film)."""
        t = self.trainer
        film = getattr(self, "film", None)
        if film is None or getattr(self, "_film_model", None) is not self.model:
            weights = self.model.get_weights()
            self.film, self._film_model = Film(sum(w.nbytes for w in weights)), self.model
        if t.state == "ok":
            self.film.capture(t.steps, t.examples_seen, self.model.get_weights(), self.state_arrays())

    @contextmanager
    def shown_at(self, step: int):
        """Inside: the model (and the scenario's extra state) as they were at the film's frame for ``step``."""
        frame = self.film.at(step)
        now_w, now_extra = self.model.get_weights(), self.state_arrays()
        self.model.set_weights(frame.weights)
        self.restore_arrays(frame.extra)
        self._shown_step = frame.step
        try:
            yield frame
        finally:
            self._shown_step = None
            self.model.set_weights(now_w)
            self.restore_arrays(now_extra)

    def drawn_step(self) -> int:
        """The step the views show: now, or the past frame being drawn (a key for caches of views)."""
        shown = getattr(self, "_shown_step", None)
        return self.trainer.steps if shown is None else shown

    def past_status(self, frame) -> Status:
        """The status line for a past frame: the metrics measured then; ``step`` stays now's, ``past`` is the frame's."""
        h = self.trainer.history
        steps = h["step"]
        i = int(np.searchsorted(steps, frame.step, side="right")) - 1 if len(h) else -1
        at = {k: (float(h[k][i]) if i >= 0 else math.nan) for k in ("train_loss", "test_loss", "train_acc", "test_acc")}
        return replace(self.status(False), state="paused", past=frame.step,
                       message=f"the past: step {frame.step:,} of {self.trainer.steps:,}. "
                               f"ctrl+r trains on from here, . goes forward, space returns to now", **at)

    def resume_from(self, step: int) -> str:
        """Go back to the film's frame for ``step`` for good: its weights, its counters; what came after is dropped."""
        frame = self.film.at(step)
        self.model.set_weights(frame.weights)
        self.restore_arrays(frame.extra)
        t = self.trainer
        t.steps, t.examples_seen, t.state, t.diverged_reason = frame.step, frame.examples_seen, "ok", ""
        t.history.truncate_after(frame.step)
        t.optimizer = self.make_optimizer()  # moments belonged to the future that was dropped
        self.film.truncate_after(frame.step)
        self._last_eval_step = frame.step
        self.notice = f"resumed from step {frame.step:,}: change a setting and train on from here"
        return self.notice

    def stop_conditions(self) -> tuple[Condition, ...]:
        """The ``until`` setting's conditions (none for a scenario without it)."""
        return parse_conditions(self.values.get("until", ""))

    def stop_reached(self, conditions=None, ignore=()) -> str | None:
        """The first stop condition met now (its text, e.g. ``test_acc>=0.95``), or None.

        ``conditions``: Condition objects or strings (default: the ``until``
        setting's); ``ignore``: texts of conditions not to report (those already
        met when the app started playing).
        """
        conds = self.stop_conditions() if conditions is None else parse_conditions(
            [c.text if isinstance(c, Condition) else c for c in conditions])
        conds = [c for c in conds if c.text not in ignore]
        if not conds:
            return None
        hit = first_met(conds, self.status())
        return hit.text if hit else None

    def conditions_met(self) -> set[str]:
        """Texts of the ``until`` conditions met now: training that starts here does not stop on them again."""
        return {c.text for c in self.stop_conditions() if c.met(self.status())}

    def step_until(self, n: int, ignore=()) -> tuple[int, str | None]:
        """Up to ``n`` steps that stop at the first ``until`` condition met (not in ``ignore``).

        Returns (steps done, the condition's text or None). It steps to each
        evaluation and each step/epoch target, so it stops exactly where the
        condition is first met, whatever ``n`` is; a stop between evaluations
        is evaluated there, so the status and the film show that step.
        """
        done, interval = 0, self.eval_interval()
        while done < n and not self.diverged:
            k = min(n - done, interval - self.trainer.steps % interval)
            k = min(k, self.steps_to_stop() or k)
            ran = self.step(k)
            done += ran
            hit = self.stop_reached(ignore=ignore)
            if hit:
                self.evaluate()
                return done, hit
            if ran < k:
                break
        return done, None

    def steps_to_stop(self, conditions=None) -> int | None:
        """Steps to the nearest ``step=N``/``epoch=N`` condition not reached yet (None: none ahead)."""
        conds = self.stop_conditions() if conditions is None else parse_conditions(
            [c.text if isinstance(c, Condition) else c for c in conditions])
        return steps_left(conds, self.trainer)

    def stop_notice(self, text: str) -> str:
        """Set and return the notice for a condition that stopped the run."""
        self.notice = f"stopped: {text} reached at step {self.trainer.steps:,}"
        return self.notice

    def measure_rate(self) -> float:
        """Steps per second since the last call (the app calls it once per frame); 0 after a rebuild."""
        now = time.perf_counter()
        trainer, t0, s0 = self._rate_mark
        if trainer is not self.trainer:  # new weights: a new count starts
            self._rate_mark, self._rate = (self.trainer, now, self.trainer.steps), 0.0
        elif now - t0 >= 0.5:
            self._rate = max(0.0, (self.trainer.steps - s0) / (now - t0))
            self._rate_mark = (self.trainer, now, self.trainer.steps)
        return self._rate

    # -- what the UI draws ----------------------------------------------------
    def status(self, playing: bool = False) -> Status:
        t = self.trainer
        if t.steps and self._last_eval_step < 0:
            self.evaluate()
        h = t.history
        state = "diverged" if self.diverged else ("running" if playing else "paused")
        return Status(
            scenario=self.name, state=state, step=t.steps, epoch=float(t.epoch),
            examples_seen=int(t.examples_seen), steps_per_sec=self._rate if playing else 0.0,
            lr=float(t.optimizer.lr), device=backend.device,
            train_loss=h.last("train_loss"), test_loss=h.last("test_loss"),
            train_acc=h.last("train_acc"), test_acc=h.last("test_acc"),
            message=self.divergence_message() if self.diverged else self.notice,
            data_note=self.data_note(),
        )

    def metrics(self) -> dict[str, float]:
        """The latest measured losses and accuracies (what ``nnplay train`` reports)."""
        return self.status().metrics()

    def snapshot(self, visible: Collection[str] | None = None, playing: bool = False,
                 at: int | None = None) -> Snapshot:
        """The status and the views of the panes in ``visible`` (all of ``panes`` when None).

        ``at``: draw the film's frame for that step instead of now (learning curves stay whole).
        """
        names = self.panes if visible is None else [p for p in self.panes if p in visible]
        if at is None or not len(self.film):
            return Snapshot(self.status(playing), {n: self.view(n) for n in names})
        with self.shown_at(at) as frame:
            return Snapshot(self.past_status(frame), {n: self.view(n) for n in names})

    def view(self, name: str):
        return getattr(self, f"view_{name}")()

    def curves(self, keys: tuple[str, ...], title: str) -> Curves:
        return Curves(self.trainer.history.arrays(max_points=HISTORY_POINTS), keys, title)

    def view_loss(self) -> Curves:
        return self.curves(("train_loss", "test_loss"), "loss")

    def view_accuracy(self) -> Curves:
        return self.curves(("train_acc", "test_acc"), "accuracy")

    def view_weights(self) -> Weights:
        """Each dense layer's weight matrix (inputs down, outputs across)."""
        ws = [w for w in self.model.get_weights() if w.ndim == 2]
        return Weights(tuple((f"W{i + 1} {w.shape[0]}×{w.shape[1]}", w) for i, w in enumerate(ws)))

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
