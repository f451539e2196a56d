"""The TensorFlow Playground's 2D data sets, with its formulas and noise semantics.

Noise is the Playground's slider divided by 100 (0..0.5) and means different
things per set, as it does there: for ``circle``, ``xor`` and the regressions it
perturbs the point only when computing the label (so labels near the boundary
flip); for ``spiral`` it moves the points; for ``gauss`` it widens the clouds.

Every random draw happens whatever the noise, so one seed gives the same base
points at every noise level: moving the noise slider perturbs, not reshuffles.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
REGRESSION = ("plane", "gaussian")
MULTICLASS = ("spiral3",)
NAMES = CLASSIFICATION + REGRESSION + MULTICLASS

DOMAIN = 6.0  # points live in [-6, 6]^2, the Playground's plotted square
EXTENT = (-DOMAIN, DOMAIN, -DOMAIN, DOMAIN)
NOISE_MAX = 0.5
N_CLASSIFY = 500
N_REGRESS = 1200


def kind(name: str) -> str:
    """``classification`` (labels ±1), ``regression`` (values in [-1, 1]) or ``multiclass`` (0, 1, 2)."""
    name = _check_name(name)
    if name in CLASSIFICATION:
        return "classification"
    return "regression" if name in REGRESSION else "multiclass"


def generate(name: str, noise: float = 0.0, seed: int | None = 0, n: int | None = None):
    """Sample data set ``name``: ``(xy float32 (n, 2), y float32 (n,))``, shuffled like the Playground's."""
    name = _check_name(name)
    if not 0.0 <= noise <= NOISE_MAX:
        raise DataError(f"noise {noise} is out of range: use 0 to {NOISE_MAX} (the Playground's 0-50 %)")
    if n is None:
        n = N_REGRESS if name in REGRESSION else N_CLASSIFY
    if n < 3:
        raise DataError(f"a data set needs at least 3 points, got {n}")
    rng = np.random.default_rng(seed)
    xy, y = _GENERATORS[name](rng, int(n), float(noise))
    order = rng.permutation(len(y))
    return xy[order].astype(np.float32), y[order].astype(np.float32)


def split(x, y, ratio: float = 0.5, seed: int | None = 0):
    """Shuffle, then keep ``ratio`` of the rows for training: ``(x_tr, y_tr, x_te, y_te)``."""
    if not 0.1 <= ratio <= 0.9:
        raise DataError(f"train ratio {ratio} is out of range: use 0.1 to 0.9")
    if len(x) != len(y):
        raise DataError(f"{len(x)} inputs but {len(y)} targets")
    order = np.random.default_rng(seed).permutation(len(y))
    n_train = min(max(round(len(y) * ratio), 1), len(y) - 1)
    tr, te = order[:n_train], order[n_train:]
    return x[tr], y[tr], x[te], y[te]


_ALIASES = {"reg-plane": "plane", "reg-gauss": "gaussian", "circles": "circle", "spirals": "spiral"}


def _check_name(name: str) -> str:
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in NAMES:
        raise DataError(f"unknown data set {name!r}: use one of {', '.join(NAMES)}")
    return key


def _circle(rng, n, noise):
    radius = 5.0
    n_in = n // 2
    r = np.concatenate([rng.uniform(0, 0.5 * radius, n_in), rng.uniform(0.7 * radius, radius, n - n_in)])
    angle = rng.uniform(0, 2 * np.pi, n)
    xy = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    seen = xy + rng.uniform(-radius, radius, (n, 2)) * noise  # noise only moves the point the label sees
    label = np.where(np.hypot(seen[:, 0], seen[:, 1]) < 0.5 * radius, 1.0, -1.0)
    return xy, label


def _xor(rng, n, noise):
    padding = 0.3
    xy = rng.uniform(-5, 5, (n, 2))
    xy += np.where(xy > 0, padding, -padding)  # keep points off the axes
    seen = xy + rng.uniform(-5, 5, (n, 2)) * noise
    label = np.where(seen[:, 0] * seen[:, 1] >= 0, 1.0, -1.0)
    return xy, label


def _gauss(rng, n, noise):
    variance = 0.5 + noise / NOISE_MAX * (4.0 - 0.5)  # the Playground's d3 scale [0, .5] -> [0.5, 4]
    n_pos = n // 2
    centre = np.where(np.arange(n) < n_pos, 2.0, -2.0)[:, None]
    xy = centre + np.sqrt(variance) * rng.standard_normal((n, 2))
    # The Playground lets far tails leave its plot; we keep every point on the plane we draw.
    xy = np.clip(xy, -DOMAIN, DOMAIN)
    return xy, np.sign(centre[:, 0])


def _arms(rng, n, noise, arms):
    """Interleaved spiral arms of 1.75 turns out to radius 5, points jittered by ±noise."""
    xs, labels = [], []
    for k, m in enumerate(np.diff(np.linspace(0, n, arms + 1).round().astype(int))):
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * np.pi + k * 2 * np.pi / arms
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        labels.append(np.full(m, k))
    xy = np.concatenate(xs)
    xy += rng.uniform(-1, 1, xy.shape) * noise
    return xy, np.concatenate(labels)


def _spiral(rng, n, noise):
    xy, arm = _arms(rng, n, noise, 2)
    return xy, np.where(arm == 0, 1.0, -1.0)  # arm at deltaT 0 is positive, deltaT pi negative


def _spiral3(rng, n, noise):
    xy, arm = _arms(rng, n, noise, 3)
    return xy, arm.astype(np.float64)


def _regress(rng, n, noise, label):
    xy = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
    seen = xy + rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
    return xy, label(seen[:, 0], seen[:, 1])


def _plane(rng, n, noise):
    # (x + y) / 10 reaches ±1.2 in the corners; clip so targets stay in a tanh's range.
    return _regress(rng, n, noise, lambda x, y: np.clip((x + y) / 10, -1.0, 1.0))


_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], float)


def _bumps(x, y):
    """Six cones of height ±1 and radius 2; each point takes the cone largest in magnitude."""
    dist = np.hypot(x[:, None] - _BUMPS[:, 0], y[:, None] - _BUMPS[:, 1])
    heights = _BUMPS[:, 2] * np.clip(1 - dist / 2, 0, 1)
    return heights[np.arange(len(x)), np.abs(heights).argmax(axis=1)]


def _gaussian(rng, n, noise):
    return _regress(rng, n, noise, _bumps)


_GENERATORS = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "plane": _plane,
    "gaussian": _gaussian,
    "spiral3": _spiral3,
}
