"""Bumps built by hand from pairs of sigmoid neurons, after Michael Nielsen's visual proof.

A steep sigmoid σ(w·(u - s)) is a step at ``s``; two of them with output
weights +h and -h make a bump of height h between their steps. One hidden
layer of such pairs sums to any curve you like, which is the universal
approximation argument made by hand (regress ``mode=hand``).

Bumps live in data units (the plot's axes): ``center``, ``width``, ``height``.
The network sees x mapped to u in -1..1 and targets standardised, so
:class:`BumpScale` carries that mapping both ways: bumps -> weights (exact),
and weights -> each neuron's step (position -b/w, height = output weight),
which also reads a network that gradient descent has moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .settings import Effect, Setting, SettingError

MAX_BUMPS = 8  # 16 hidden neurons, regress's widest layer
STEEPNESS_LADDER = (5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0)


class Bump(NamedTuple):
    center: float
    width: float
    height: float

    def text(self) -> str:
        return f"{self.center:g}:{self.width:g}:{self.height:g}"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * z) + 0.5


class BumpsSetting(Setting):
    """A list of bumps: ``center:width:height`` comma-separated (``--set bumps=-3:2:-4,2:1.5:1.5``),
    or in TOML a list of ``[center, width, height]`` rows. Widths are positive, every number finite."""

    def allowed(self) -> str:
        return f"1 to {self.max_len} bumps as center:width:height, comma-separated (width > 0)"

    def format(self, value) -> str:
        return ",".join(Bump(*b).text() for b in value)

    def parse(self, raw):
        bad = SettingError(f"bad value {raw!r} for {self.name}: expected {self.allowed()}")
        if isinstance(raw, str):
            rows = [part.split(":") for part in raw.replace(" ", "").split(",") if part]
        elif isinstance(raw, (list, tuple)):
            rows = list(raw)
        else:
            raise bad
        out = []
        for row in rows:
            if isinstance(row, (str, bytes)) or not isinstance(row, (list, tuple)) or len(row) != 3:
                raise bad
            try:
                if any(isinstance(v, bool) for v in row):
                    raise ValueError
                b = Bump(*(float(v) for v in row))
            except (TypeError, ValueError):
                raise bad from None
            if not all(math.isfinite(v) for v in b) or b.width <= 0:
                raise bad
            out.append(b)
        if not self.min_len <= len(out) <= self.max_len:
            raise bad
        return tuple(out)


def bumps_setting(default: tuple[Bump, ...]) -> Setting:
    return BumpsSetting("bumps", tuple, default, "hand mode's bumps, center:width:height in data units",
                        Effect.WEIGHTS, min_len=1, max_len=MAX_BUMPS)


def steepness_setting(default: float = 40.0) -> Setting:
    return Setting("steepness", float, default, "hand mode: input weight of every bump neuron (x in -1..1)",
                   Effect.WEIGHTS, ladder=STEEPNESS_LADDER, lo=1.0, hi=1000.0, keys=("e", "E"))


def nice_step(span: float, parts: int) -> float:
    """A round key step (1, 2 or 5 times a power of ten) near ``span / parts``."""
    raw = abs(span) / parts
    if not math.isfinite(raw) or raw <= 0:
        return 1.0
    exp = math.floor(math.log10(raw))
    return min((m * 10.0**e for e in (exp, exp + 1) for m in (1, 2, 5)), key=lambda c: abs(math.log(c / raw)))


@dataclass(frozen=True)
class BumpScale:
    """How the network's units relate to the plot's: x = x_center + x_half·u, y = y_mean + y_std·t."""

    x_center: float
    x_half: float
    y_mean: float
    y_std: float

    def to_weights(self, bumps, steepness: float) -> list[np.ndarray]:
        """[W1 (1, 2K), b1 (2K,), W2 (2K, 1), b2 (1,)]: neurons 2k, 2k+1 step up at bump k's two edges."""
        edges = np.array([(b.center - b.width / 2, b.center + b.width / 2) for b in map(Bump._make, bumps)],
                         np.float64).reshape(-1)
        heights = np.repeat([b[2] for b in bumps], 2) * np.tile([1.0, -1.0], len(bumps))
        u = (edges - self.x_center) / self.x_half
        w1 = np.full((1, len(edges)), steepness)
        return [w1.astype(np.float32), (-steepness * u).astype(np.float32),
                (heights / self.y_std)[:, None].astype(np.float32),
                np.array([-self.y_mean / self.y_std], np.float32)]

    def steps(self, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each hidden neuron's (step position in data units, height in data units, steepness), float64.

        A neuron whose input weight is 0 has no step: its position is NaN.
        """
        w1, b1, w2 = (np.asarray(a, np.float64) for a in weights[:3])
        w = w1.reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(w != 0, -b1.reshape(-1) / w, np.nan)
        return self.x_center + self.x_half * u, w2.reshape(-1) * self.y_std, w

    def to_bumps(self, weights) -> tuple[Bump, ...]:
        """Pairs (2k, 2k+1) read back as bumps: center and width from their steps, height from the first."""
        pos, height, _ = self.steps(weights)
        return tuple(Bump(float((a + b) / 2), float(b - a), float(h))
                     for a, b, h in zip(pos[0::2], pos[1::2], height[0::2]))

    def hand_curve(self, bumps, steepness: float, x) -> list[np.ndarray]:
        """Each bump's curve in data units at ``x`` (float64), as the hand-set weights draw it."""
        u = (np.asarray(x, np.float64) - self.x_center) / self.x_half
        out = []
        for c, wd, h in bumps:
            lo, hi = (c - wd / 2 - self.x_center) / self.x_half, (c + wd / 2 - self.x_center) / self.x_half
            out.append(h * (_sigmoid(steepness * (u - lo)) - _sigmoid(steepness * (u - hi))))
        return out
