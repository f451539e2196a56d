"""One-dimensional regression targets: a curve plus Gaussian noise, for fitting y = f(x)."""

from __future__ import annotations

import numpy as np

from ..errors import DataError

_CURVES = {
    "xsinx": (lambda x: x * np.sin(x), (-6.0, 6.0)),
    "sine": (np.sin, (-2 * np.pi, 2 * np.pi)),
    "poly": (lambda x: x**3 - 3 * x, (-2.2, 2.2)),
    "line": (lambda x: 0.8 * x + 0.5, (-3.0, 3.0)),
}
# Noise is relative to each curve's amplitude (max |f| on its range), so noise=0.1
# looks equally noisy on every curve.
_AMPLITUDE = {k: float(np.abs(f(np.linspace(*r, 2001))).max()) for k, (f, r) in _CURVES.items()}
NAMES = tuple(_CURVES)
NOISE_MAX = 1.0


def _check(name: str) -> str:
    key = name.strip().lower()
    if key not in _CURVES:
        raise DataError(f"unknown curve {name!r}: use one of {', '.join(NAMES)}")
    return key


def x_range(name: str) -> tuple[float, float]:
    """The interval the samples are drawn from, for plotting the fit across it."""
    return _CURVES[_check(name)][1]


def true_curve(name: str, x) -> np.ndarray:
    """The noise-free target at ``x`` (any shape), float32."""
    return _CURVES[_check(name)][0](np.asarray(x, dtype=np.float64)).astype(np.float32)


def generate(name: str, n: int = 200, noise: float = 0.1, seed: int | None = 0):
    """``n`` noisy samples: ``(x float32 (n, 1), y float32 (n, 1))``, x uniform on the range and sorted."""
    name = _check(name)
    (f, (lo, hi)), amplitude = _CURVES[name], _AMPLITUDE[name]
    if not 0.0 <= noise <= NOISE_MAX:
        raise DataError(f"noise {noise} is out of range: use 0 to {NOISE_MAX}")
    if n < 2:
        raise DataError(f"a curve needs at least 2 points, got {n}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(lo, hi, n))
    y = f(x) + noise * amplitude * rng.standard_normal(n)
    return x[:, None].astype(np.float32), y[:, None].astype(np.float32)
