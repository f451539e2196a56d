"""regress: fit a 1D curve with a network, or a line y = m·x + b across its loss landscape.

``mode=curve``: an MLP learns y = f(x) from noisy samples (x·sin x, sine, a cubic, a
line, or a CSV of x,y rows; clicks add points). Inputs are mapped to -1..1 over
the data's x range and targets standardised, so one learning rate suits every
data set; the loss is therefore relative: 0.5 is no better than predicting the mean.

``mode=hand`` (after Michael Nielsen's visual proof of universal approximation): one
hidden layer of steep sigmoids in pairs, each pair a bump the learner places with keys
(scenarios/bumps.py turns bumps into weights and back); the loss is the same one
training uses, so space hands this very network to gradient descent, and the view
shows where it took the bumps (the hand-placed ones stay, faint).

``mode=line``: a single Dense(1, 1) in the data's own units, so its weight and bias
ARE the slope m and intercept b. The loss surface over (m, b) is exact and cheap
(a quadratic in five data sums) and is recomputed only when the data change; the
path is (m, b) after every step, so the learning rate, the batch size and the
optimizer visibly change the walk. Too large a rate overshoots and diverges
(the trainer's ``diverged`` state).

Views: ``curve`` (a CurveFit: the data, the model's curve in data units and,
with ``show_neurons``, each neuron of ``neuron_layer`` rescaled into the plot:
shape, not scale); ``landscape`` (line mode: log10(loss + floor) over (m, b),
columns m, rows b with the top the largest, and the path, oldest first, at most
PATH_LEN rows); ``network``, ``weights``, ``loss``.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from engine.datasets import csvfile, curves
from engine.errors import DataError
from engine.layers import Dense
from engine.losses import get_loss
from engine.model import Sequential
from engine.trainer import Trainer

from .base import KeyAction, Run
from .bumps import MAX_BUMPS, Bump, BumpScale, bumps_setting, nice_step, steepness_setting
from .common import batch_setting, lr_setting, optimizer_setting, speed_setting
from .network import LayerEdits, activation_setting, build_mlp, network_view, neuron_outputs
from .settings import Effect, Schema, Setting, SettingError
from .stopping import until_setting
from .views import BumpCurves, CurveFit, Field, Landscape

MODES = ("curve", "line", "hand")
DATASETS = curves.NAMES + ("csv",)
NOISE_LADDER = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
POINTS_LADDER = (10, 20, 50, 100, 200, 500, 1000)
MAX_POINTS = 5000
MAX_LAYERS, MAX_NEURONS = 6, 16
FIT_SAMPLES = 400
GRID = 121  # landscape resolution (odd: the minimum sits on the centre sample)
BOX = 1.5  # landscape half-width, in units of the data's spread (see _landscape_box)
PATH_LEN = 2000
THUMB = 16
CURVE_PANES = ("curve", "network", "loss", "weights")
LINE_PANES = ("landscape", "curve", "loss")
HAND_ONLY = ("bumps", "steepness")  # settings only hand mode's network uses
DEFAULT_BUMPS = (Bump(0.0, 2.0, 1.0),)
X_PARTS, Y_PARTS = 24, 15  # the hand keys' steps: about 1/24 of the x range, 1/15 of the y range

SCHEMA = Schema(
    (
        Setting("mode", str, "curve", "curve: a network fits the points; line: y = m·x + b on its loss landscape; "
                "hand: sigmoid bumps you place, then gradient descent", Effect.DATA, values=MODES, keys=("c",)),
        Setting("dataset", str, "xsinx", "data set", Effect.DATA, values=DATASETS, keys=("D",)),
        Setting("csv", str, "", "CSV file of x,y rows (dataset=csv)", Effect.DATA),
        Setting("noise", float, 0.1, "noise, relative to the curve's size", Effect.DATA, ladder=NOISE_LADDER, lo=0.0,
                hi=curves.NOISE_MAX, keys=("n", "N")),
        Setting("points", int, 100, "number of points", Effect.DATA, ladder=POINTS_LADDER, lo=2, hi=MAX_POINTS,
                keys=("i", "I")),
        Setting("layers", tuple, (8, 8), "hidden layer sizes (curve mode)", item=int, lo=1, hi=MAX_NEURONS,
                max_len=MAX_LAYERS),
        activation_setting("tanh", MAX_LAYERS),
        lr_setting(0.1),
        batch_setting(10, MAX_POINTS),
        optimizer_setting("sgd"),
        Setting("show_neurons", bool, False, "draw each neuron of neuron_layer as a faint curve", Effect.LIVE,
                keys=("u",)),
        Setting("neuron_layer", int, 1, "hidden layer whose neurons are drawn (1 = first)", Effect.LIVE, lo=1,
                hi=MAX_LAYERS, keys=("l", "L")),
        bumps_setting(DEFAULT_BUMPS),
        steepness_setting(40.0),
        until_setting(),
        speed_setting(),
    ),
    scenario="regress",
)


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The (m, b) minimising mean((m x + b - y)^2); a flat line through the mean when x has no spread."""
    x, y = np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel()
    dx = x - x.mean()
    sxx = float(dx @ dx)
    m = float(dx @ (y - y.mean())) / sxx if sxx > 1e-12 * max(1.0, float(x @ x)) else 0.0
    return m, float(y.mean() - m * x.mean())


def line_loss(x: np.ndarray, y: np.ndarray, m, b) -> np.ndarray:
    """The trainer's loss, 0.5·mean((m x + b - y)^2), for arrays of m and b (broadcast together).

    Written around the least-squares point as L* + a quadratic in (m - m*, b - b*) whose
    coefficients are the data sums, so it costs O(grid) not O(grid × n) and is exact
    (no cancellation near the minimum).
    """
    x, y = np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel()
    ms, bs = least_squares(x, y)
    r = ms * x + bs - y
    base = 0.5 * float(r @ r) / len(x)
    dm, db = np.asarray(m, np.float64) - ms, np.asarray(b, np.float64) - bs
    sxx, sx = float(x @ x) / len(x), float(x.mean())
    return base + 0.5 * (dm * dm * sxx + 2.0 * dm * db * sx + db * db)


def _area_thumb(v: np.ndarray, rows: int) -> np.ndarray:
    """A 1D function in -1..1 as a tiny filled plot: pixels between 0 and v(x) take v's colour."""
    v = np.clip(np.nan_to_num(v), -1.0, 1.0)[None, :]
    h = np.linspace(1.0, -1.0, rows)[:, None]
    inside = ((h <= v) & (h >= 0)) | ((h >= v) & (h <= 0))
    return np.where(inside, 0.4 * np.sign(v) + 0.6 * v, 0.0).astype(np.float32)


class RegressRun(LayerEdits, Run):
    new_layer_size = 8
    name = "regress"
    description = "Fit 1D curves, and watch gradient descent walk a line fit's loss landscape"
    schema = SCHEMA
    panes = CURVE_PANES  # per instance: set from the mode by build_data
    main_panes = 2  # curve over network, or landscape over the fitted line
    key_actions = (
        KeyAction(">", "add_layer", "add a hidden layer"),
        KeyAction("<", "remove_layer", "remove the last hidden layer"),
        KeyAction("}", "more_neurons", "add a neuron to neuron_layer"),
        KeyAction("{", "fewer_neurons", "remove a neuron from neuron_layer"),
        KeyAction("[", "select_bump", "hand mode: select the previous bump", (-1,)),
        KeyAction("]", "select_bump", "hand mode: select the next bump", (1,)),
        KeyAction("left", "move_bump", "hand mode: move the selected bump left", (-1,)),
        KeyAction("right", "move_bump", "hand mode: move the selected bump right", (1,)),
        KeyAction("up", "raise_bump", "hand mode: raise the selected bump", (1,)),
        KeyAction("down", "raise_bump", "hand mode: lower the selected bump", (-1,)),
        KeyAction("x", "widen_bump", "hand mode: widen the selected bump", (1,)),
        KeyAction("X", "widen_bump", "hand mode: narrow the selected bump", (-1,)),
        KeyAction("k", "add_bump", "hand mode: add a bump where the sum misses the data most"),
        KeyAction("K", "remove_bump", "hand mode: remove the selected bump"),
    )

    def __init__(self, values=None, seed=0, **seeds):
        self.path: deque[tuple[float, float]] = deque(maxlen=PATH_LEN)
        self.added_points: list[tuple[float, float]] = []
        self.selected_bump = 0
        super().__init__(values, seed, **seeds)

    def cycle_values(self, setting):
        """``D`` offers csv only once a CSV file is set: without one it could not open."""
        if setting.name == "dataset" and not self.values["csv"]:
            return tuple(d for d in DATASETS if d != "csv")
        return None

    def state_arrays(self) -> dict:
        return {"path": np.array(self.path, dtype=np.float64).reshape(-1, 2)} if self.line else {}

    def restore_arrays(self, arrays: dict) -> None:
        if self.line and "path" in arrays:
            self.path.clear()
            self.path.extend(map(tuple, np.asarray(arrays["path"], np.float64).reshape(-1, 2).tolist()))

    @property
    def line(self) -> bool:
        return self.values["mode"] == "line"

    def hands_on(self) -> bool:
        """Hand mode at step 0: the bumps are the learner's (a bump edit after training comes back here)."""
        return self.hand and self.trainer.steps == 0

    def idle_settings(self) -> frozenset[str]:
        """Line mode is one Dense(1, 1); hand mode one layer of sigmoid pairs; only hand mode reads the bumps."""
        if self.line:
            return frozenset({"layers", "activation", "show_neurons", "neuron_layer", "bumps", "steepness"})
        if self.hand:
            return frozenset({"layers", "activation", "show_neurons", "neuron_layer"})
        return frozenset({"bumps", "steepness"})

    @property
    def hand(self) -> bool:
        return self.values["mode"] == "hand"

    # -- data -------------------------------------------------------------------
    def build_data(self) -> None:
        v = self.values
        if v["dataset"] == "csv":
            if not v["csv"]:
                raise SettingError("dataset=csv needs csv=PATH (a file of x,y rows)")
            x, y = csvfile.load_points(v["csv"])
            if x.shape[1] != 1:
                raise DataError(f"{v['csv']}: regress needs two columns (x,y), got three")
            x, y = x[:, 0].astype(np.float32), y.astype(np.float32)
            lo, hi = float(x.min()), float(x.max())
            pad = 0.05 * (hi - lo) or 1.0
            self.x, self.y, self.base_xlim = x, y, (lo - pad, hi + pad)
        else:
            x, y = curves.generate(v["dataset"], n=v["points"], noise=v["noise"], seed=self.data_seed)
            self.x, self.y = x[:, 0], y[:, 0]
            self.base_xlim = curves.x_range(v["dataset"])
        self.added_points = []
        # Curve mode's fixed input/target scaling, kept while points are added so the learnt function stays put.
        lo, hi = self.base_xlim
        self.x_center, self.x_half = (lo + hi) / 2, ((hi - lo) / 2) or 1.0
        self.y_mean = float(self.y.mean())
        self.y_std = float(self.y.std()) or max(1.0, abs(self.y_mean))
        self.scale = BumpScale(self.x_center, self.x_half, self.y_mean, self.y_std)
        lo_y, hi_y = self.ylim()
        self.x_step, self.y_step = nice_step(hi - lo, X_PARTS), nice_step(hi_y - lo_y, Y_PARTS)
        self.panes = LINE_PANES if self.line else CURVE_PANES
        self.path.clear()
        self._data_changed()

    def _data_changed(self) -> None:
        """Recompute what depends on the points: the least-squares line and the landscape grid."""
        self.best = least_squares(self.x, self.y)
        if self.line:
            self.box = self._landscape_box()
            m_lo, m_hi, b_lo, b_hi = self.box
            ms = np.linspace(m_lo, m_hi, GRID)
            bs = np.linspace(b_hi, b_lo, GRID)  # row 0 is the top: the largest b
            loss = line_loss(self.x, self.y, ms[None, :], bs[:, None])
            self.min_loss = float(line_loss(self.x, self.y, *self.best))
            floor = 1e-3 * float(loss.max()) + 1e-12  # three decades of contrast, even for noiseless data
            self.landscape = np.log10(loss + floor).astype(np.float32)

    def _landscape_box(self) -> tuple[float, float, float, float]:
        """(m_lo, m_hi, b_lo, b_hi) centred on the minimum; at its edges the loss has risen by ~BOX² × var(y)."""
        x = self.x.astype(np.float64)
        spread = float(self.y.std()) or max(1.0, abs(float(self.y.mean())))
        rms_x = max(float(np.sqrt(np.mean(x * x))), 1e-6)
        m, b = self.best
        hm, hb = BOX * spread / rms_x, BOX * spread
        return m - hm, m + hm, b - hb, b + hb

    def add_point(self, x: float, y: float) -> str:
        """Add one training point (a click on the curve pane); the weights and the history carry on."""
        x, y = float(x), float(y)
        if not (np.isfinite(x) and np.isfinite(y)):
            self.notice = "ignored a point that is not a finite number"
            return self.notice
        if len(self.x) >= MAX_POINTS:
            self.notice = f"at most {MAX_POINTS} points"
            return self.notice
        self.x = np.append(self.x, np.float32(x))
        self.y = np.append(self.y, np.float32(y))
        self.added_points.append((x, y))
        self._data_changed()
        old = self.trainer
        self.trainer = self._make_trainer(old.optimizer)  # same weights, same optimizer state
        for attr in ("steps", "examples_seen", "history", "last_loss", "state", "diverged_reason"):
            setattr(self.trainer, attr, getattr(old, attr))
        self._last_eval_step = -1
        self.evaluate()
        self.notice = f"added point ({x:.3g}, {y:.3g}): {len(self.x)} points"
        return self.notice

    # -- model ------------------------------------------------------------------
    def _inputs(self, x) -> np.ndarray:
        x = np.asarray(x, np.float32).reshape(-1, 1)
        return x if self.line else (x - self.x_center) / self.x_half

    def _targets(self, y) -> np.ndarray:
        y = np.asarray(y, np.float32).reshape(-1, 1)
        return y if self.line else (y - self.y_mean) / self.y_std

    def _make_trainer(self, optimizer) -> Trainer:
        return Trainer(
            self.model, get_loss("mse"), optimizer, self._inputs(self.x), self._targets(self.y),
            batch_size=self.values["batch"], seed=self.weight_seed, task="regression",
        )

    def build_model(self) -> None:
        v = self.values
        if self.line:
            rng = np.random.default_rng(self.weight_seed)
            self.model = Sequential([Dense(1, 1, rng=rng)])
            # Start somewhere on a ring around the minimum, so every reset walks a visible path.
            m_lo, m_hi, b_lo, b_hi = self.box
            angle, radius = rng.uniform(0, 2 * np.pi), rng.uniform(0.55, 0.85)
            m0 = self.best[0] + radius * np.cos(angle) * (m_hi - m_lo) / 2
            b0 = self.best[1] + radius * np.sin(angle) * (b_hi - b_lo) / 2
            self.model.set_weights([np.array([[m0]], np.float32), np.array([b0], np.float32)])
            self.path.clear()
        elif self.hand:
            bumps = v["bumps"]
            self.model = build_mlp(1, (2 * len(bumps),), 1, "sigmoid", None, "playground", self.weight_seed)
            self.model.set_weights(self.scale.to_weights(bumps, v["steepness"]))
            self.selected_bump = min(self.selected_bump, len(bumps) - 1)
        else:
            self.model = build_mlp(1, v["layers"], 1, v["activation"], None, "playground", self.weight_seed)
        self.trainer = self._make_trainer(self.make_optimizer())
        self._last_eval_step = -1
        self.evaluate()
        if self.line:
            self._record()

    def _record(self) -> None:
        m, b = self.line_params()
        if np.isfinite(m) and np.isfinite(b):
            self.path.append((m, b))

    def line_params(self) -> tuple[float, float]:
        w, b = self.model.get_weights()
        return float(w.ravel()[0]), float(b.ravel()[0])

    def step(self, n: int = 1) -> int:
        if not self.line:
            return super().step(n)
        done = 0
        while done < n and not self.diverged:  # one at a time: the path records every step
            k = super().step(1)
            if not k:
                break
            done += k
            self._record()
        return done

    def default_train_steps(self) -> int:
        return 100 * self.steps_per_epoch() if not self.line else 500

    # -- structure edits (key_actions) -----------------------------------------
    def _shown_layer(self) -> int:
        """0-based index of the hidden layer ``neuron_layer`` names, clamped; -1 if there is none."""
        return min(self.values["neuron_layer"], len(self.values["layers"])) - 1

    def more_neurons(self) -> str:
        if self.hand:  # a hand network grows by pairs
            return self.add_bump()
        return self.change_neurons(self.values["neuron_layer"], 1)

    def fewer_neurons(self) -> str:
        if self.hand:
            return self.remove_bump()
        return self.change_neurons(self.values["neuron_layer"], -1)

    def add_layer(self) -> str:
        if self.hand:
            return self._say("hand mode has one layer of bump pairs: k adds a bump, K removes one")
        return super().add_layer()

    def remove_layer(self) -> str:
        if self.hand:
            return self._say("hand mode has one layer of bump pairs: k adds a bump, K removes one")
        return super().remove_layer()

    # -- hand mode: settings that only it uses, and the bump keys ----------------
    def _say(self, text: str) -> str:
        self.notice = text
        return text

    def set(self, name, value) -> str:
        msg = super().set(name, value)
        if msg and name in HAND_ONLY and not self.hand:
            return self._say(f"{name} = {self.schema[name].format(self.values[name])}: used by hand mode "
                             "(c until mode = hand); this network is unchanged")
        return msg

    def _apply(self, setting, value) -> None:
        if setting.name in HAND_ONLY and not self.hand:
            return  # nothing here uses it: keep the network and its training
        super()._apply(setting, value)

    def action(self, name: str) -> str:
        if name == "reset" and self.hand:
            self.build_model()
            return self._say("back to your hand-placed bumps, at step 0")
        return super().action(name)

    def _hand_only(self, what: str) -> str | None:
        """None in hand mode; else the notice saying the key is hand mode's."""
        return None if self.hand else self._say(f"{what} is a hand-mode key: press c until mode = hand")

    def _edit_bump(self, change) -> str:
        """Replace the selected bump by ``change(bump)`` (or say why not) and rebuild the hand network."""
        bumps = list(self.values["bumps"])
        i = self.selected_bump
        new = change(bumps[i])
        if isinstance(new, str):
            return self._say(new)
        bumps[i] = Bump(*(round(v, 9) for v in new))
        return self._set_bumps(tuple(bumps), "")

    def _set_bumps(self, bumps: tuple, what: str) -> str:
        before, trained = self.trainer.history.last("train_loss"), self.trainer.steps > 0
        if not self.set("bumps", bumps):  # the same bumps: nothing to rebuild
            return self._say(f"{what}{self.bump_text()}")
        after = self.trainer.history.last("train_loss")
        back = " (back to your bumps at step 0)" if trained else ""
        return self._say(f"{what}{self.bump_text()} · loss {before:.4g} → {after:.4g}{back}")

    def bump_text(self, i: int | None = None) -> str:
        i = self.selected_bump if i is None else i
        bumps = self.values["bumps"]
        c, w, h = bumps[i]
        return f"bump {i + 1}/{len(bumps)}: at {c:g}, width {w:g}, height {h:+g}"

    def select_bump(self, direction: int) -> str:
        if (no := self._hand_only(f"selecting the {'next' if direction > 0 else 'previous'} bump")) is not None:
            return no
        i = self.selected_bump = (self.selected_bump + direction) % len(self.values["bumps"])
        if self.trainer.steps:  # what gradient descent made of it: its two neurons' steps now
            pos, height, _ = self.scale.steps(self.model.get_weights())
            return self._say(f"{self.bump_text()} by hand; trained: steps at {pos[2 * i]:.3g} ({height[2 * i]:+.3g}) "
                             f"and {pos[2 * i + 1]:.3g} ({height[2 * i + 1]:+.3g})")
        return self._say(f"{self.bump_text()} selected (←/→ move it, ↑/↓ its height, x/X its width)")

    def move_bump(self, direction: int) -> str:
        if (no := self._hand_only(f"moving a bump {'right' if direction > 0 else 'left'}")) is not None:
            return no
        lo, hi = self.xlim()

        def moved(b: Bump):
            c = b.center + direction * self.x_step
            if not lo <= c <= hi:
                return f"bump {self.selected_bump + 1} is at the {'right' if direction > 0 else 'left'} edge of the data"
            return b._replace(center=c)
        return self._edit_bump(moved)

    def raise_bump(self, direction: int) -> str:
        if (no := self._hand_only(f"{'raising' if direction > 0 else 'lowering'} a bump")) is not None:
            return no
        return self._edit_bump(lambda b: b._replace(height=b.height + direction * self.y_step))

    def widen_bump(self, direction: int) -> str:
        if (no := self._hand_only(f"{'widening' if direction > 0 else 'narrowing'} a bump")) is not None:
            return no
        lo, hi = self.xlim()

        def widened(b: Bump):
            w = b.width + direction * self.x_step
            if w < self.x_step * (1 - 1e-9):
                return f"bump {self.selected_bump + 1} is already at its narrowest ({b.width:g})"
            if w > 2 * (hi - lo):
                return f"bump {self.selected_bump + 1} is already twice as wide as the data"
            return b._replace(width=w)
        return self._edit_bump(widened)

    def add_bump(self) -> str:
        """A bump two steps wide where one would cut the loss most: the mean error of the points under it."""
        if (no := self._hand_only("adding a bump")) is not None:
            return no
        bumps = self.values["bumps"]
        if len(bumps) >= MAX_BUMPS:
            return self._say(f"at most {MAX_BUMPS} bumps ({2 * MAX_BUMPS} neurons)")
        x = self.x.astype(np.float64)
        r = self.y.astype(np.float64) - np.sum(self.scale.hand_curve(bumps, self.values["steepness"], x), axis=0)
        lo, hi = self.xlim()
        centers = self.x_step * np.arange(np.ceil(lo / self.x_step), np.floor(hi / self.x_step) + 1)
        under = np.abs(x[None, :] - centers[:, None]) <= self.x_step  # points under a bump of width 2 steps
        count = under.sum(axis=1)
        mean = np.where(count, (under * r[None, :]).sum(axis=1) / np.maximum(count, 1), 0.0)
        k = int(np.argmax(count * mean * mean))  # the loss a box of that height removes
        height = round(float(mean[k]) / self.y_step) * self.y_step or float(np.copysign(self.y_step, mean[k]))
        self.selected_bump = len(bumps)
        new = Bump(round(float(centers[k]), 9), round(2 * self.x_step, 9), round(height, 9))
        return self._set_bumps((*bumps, new), "added ")

    def remove_bump(self) -> str:
        if (no := self._hand_only("removing a bump")) is not None:
            return no
        bumps = self.values["bumps"]
        if len(bumps) == 1:
            return self._say("hand mode keeps at least one bump: ↓ lowers it to 0")
        i = self.selected_bump
        gone = self.bump_text(i)
        self.selected_bump = max(0, i - 1)
        return self._set_bumps(bumps[:i] + bumps[i + 1:], f"removed {gone}; now ")

    # -- drawing ----------------------------------------------------------------
    def xlim(self) -> tuple[float, float]:
        lo, hi = self.base_xlim
        return min(lo, float(self.x.min())), max(hi, float(self.x.max()))

    def ylim(self) -> tuple[float, float]:
        lo, hi = float(self.y.min()), float(self.y.max())
        pad = 0.1 * (hi - lo) or max(1.0, abs(lo))
        return lo - pad, hi + pad

    def predict(self, x) -> np.ndarray:
        """The model's y at ``x`` in data units (host float64)."""
        out = neuron_outputs(self.model, self._inputs(x))
        y = np.asarray(out[-1], np.float64)[:, 0]
        return y if self.line else y * self.y_std + self.y_mean

    def _curve(self, **extra) -> CurveFit:
        xlim, ylim = self.xlim(), self.ylim()
        fit_x = np.linspace(*xlim, FIT_SAMPLES)
        return CurveFit(self.x.astype(np.float64), self.y.astype(np.float64), fit_x, self.predict(fit_x),
                            xlim, ylim, **extra)

    def view_curve(self) -> CurveFit:
        if self.line:
            m, b = self.line_params()
            xlim = self.xlim()
            best = self.best[0] * np.linspace(*xlim, FIT_SAMPLES) + self.best[1]
            title = f"y = {m:.3g}x {b:+.3g}" if np.isfinite(m) and np.isfinite(b) else "y = mx + b (diverged)"
            return self._curve(title=title, best_y=best)
        if self.hand:
            return self._hand_curve()
        v = self.values
        layer = self._shown_layer()
        neurons: tuple = ()
        if v["show_neurons"] and layer >= 0:
            xlim, (lo, hi) = self.xlim(), self.ylim()
            acts = np.asarray(neuron_outputs(self.model, self._inputs(np.linspace(*xlim, FIT_SAMPLES)))[layer], np.float64)
            scale = max(1.0, float(np.nanmax(np.abs(acts))) if acts.size else 1.0)
            mid, half = (lo + hi) / 2, (hi - lo) / 2
            neurons = tuple(mid + half * 0.9 * acts[:, j] / scale for j in range(acts.shape[1]))
        shown = f", layer {layer + 1} neurons" if v["show_neurons"] and layer >= 0 else ""
        return self._curve(title=f"{v['dataset']}: {len(self.x)} points{shown}", neurons=neurons)

    def _hand_curve(self) -> CurveFit:
        """The data, the noise-free target, each pair of neurons as a bump, and their sum (the network's fit)."""
        v = self.values
        fit_x = np.linspace(*self.xlim(), FIT_SAMPLES)
        hidden = np.asarray(neuron_outputs(self.model, self._inputs(fit_x))[0], np.float64)
        weights = self.model.get_weights()
        contrib = hidden * np.asarray(weights[2], np.float64).reshape(1, -1) * self.y_std
        now = tuple(contrib[:, 2 * k] + contrib[:, 2 * k + 1] for k in range(contrib.shape[1] // 2))
        moved = self.drawn_step() > 0
        hand = tuple(self.scale.hand_curve(v["bumps"], v["steepness"], fit_x)) if moved else ()
        target = None if v["dataset"] == "csv" else curves.true_curve(v["dataset"], fit_x).astype(np.float64)
        bumps = BumpCurves(now, self.scale.steps(weights)[0], hand, self.selected_bump)
        if moved:
            title = "trained; faint: your bumps"
        else:
            c, w, h = v["bumps"][self.selected_bump]
            title = f"bump {self.selected_bump + 1}/{len(now)}: x {c:g} w {w:g} h {h:+g}"
        return self._curve(title=title, target_y=target, bumps=bumps)

    def view_landscape(self) -> Landscape | None:
        if not self.line:
            return None
        m, b = self.line_params()
        finite = np.isfinite(m) and np.isfinite(b)
        title = f"loss over (m, b); least squares m={self.best[0]:.3g} b={self.best[1]:.3g}"
        field = Field(self.landscape, self.box, (float(self.landscape.min()), float(self.landscape.max())), title)
        return Landscape(field, np.array(self.path, dtype=np.float64).reshape(-1, 2), self.best,
                             (m, b) if finite else None)

    def view_network(self):
        v = self.values
        thumb_x = np.linspace(*self.base_xlim, THUMB)
        thumb_outs = neuron_outputs(self.model, self._inputs(thumb_x))
        thumbs_in = [_area_thumb(self._inputs(thumb_x)[:, 0], THUMB)]
        thumbs_layers = [[_area_thumb(o[:, j], THUMB) for j in range(o.shape[1])] for o in thumb_outs[:-1]]
        thumbs_layers.append([_area_thumb(thumb_outs[-1][:, 0] / 2, THUMB)])
        act = "sigmoid" if self.hand else v["activation"]
        return network_view(self.model, ("x",), act, thumbs_in, thumbs_layers)

