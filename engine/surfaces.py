"""Analytic 2D loss surfaces with exact gradients, for racing optimizers across them.

Each :class:`Surface` gives ``value(x, y)`` and ``grad(x, y)`` for arrays (broadcast
together, float64), the box that shows it, a starting point that makes a good race,
its global minima and their value, and the learning rates that suit it: ``lr`` for
the rules whose step is ``lr × gradient`` (SGD, momentum, Nesterov) and
``adaptive_lr`` for the rules whose step is about ``lr`` whatever the gradient's
size (Adam, RMSProp, Adagrad).

    rosenbrock  (1 - x)² + 100 (y - x²)²       a curved, flat-floored valley; minimum (1, 1)
    beale       Σ (cᵢ - x + x yⁱ)²             flat plateaus and steep walls; minimum (3, 0.5)
    saddle      x² + (y² - 1)²                 a saddle at (0, 0) between minima (0, ±1)
    himmelblau  (x² + y - 11)² + (x + y² - 7)²  four minima, all at 0
    bowl        ½ λ (u² / κ + v²)              a quadratic valley, (u, v) rotated 30° from (x, y):
                                               condition number κ, the steep curvature λ = 6
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

NAMES = ("bowl", "rosenbrock", "beale", "saddle", "himmelblau")
BOWL_CURVATURE = 6.0  # λ_max of the bowl: SGD is stable below lr = 2/6 and zigzags above lr = 1/6
BOWL_ANGLE = math.radians(30.0)
BEALE_C = (1.5, 2.25, 2.625)


@dataclass(frozen=True)
class Surface:
    name: str
    formula: str
    f: Callable
    df: Callable  # (x, y) -> (df/dx, df/dy)
    extent: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    min_value: float = 0.0
    lr: float = 0.01  # suits SGD / momentum / Nesterov here
    adaptive_lr: float = 0.05  # suits Adam / RMSProp / Adagrad here

    def value(self, x, y) -> np.ndarray:
        return self.f(np.asarray(x, np.float64), np.asarray(y, np.float64))

    def grad(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        return self.df(np.asarray(x, np.float64), np.asarray(y, np.float64))

    def grid(self, cols: int, rows: int) -> np.ndarray:
        """Values over the box: (rows, cols), row 0 the top (largest y), column 0 the left."""
        xmin, xmax, ymin, ymax = self.extent
        xs = np.linspace(xmin, xmax, cols)
        ys = np.linspace(ymax, ymin, rows)
        return self.value(xs[None, :], ys[:, None])


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(x, y):
    r = y - x * x
    return -2 * (1 - x) - 400 * x * r, 200 * r


def _beale_terms(x, y):
    return [(c - x + x * y ** (i + 1), i + 1) for i, c in enumerate(BEALE_C)]


def _beale(x, y):
    return sum(t * t for t, _ in _beale_terms(x, y))


def _beale_grad(x, y):
    gx = gy = 0.0
    for t, k in _beale_terms(x, y):
        gx = gx + 2 * t * (y**k - 1)
        gy = gy + 2 * t * k * x * y ** (k - 1)
    return gx, gy


def _saddle(x, y):
    return x * x + (y * y - 1) ** 2


def _saddle_grad(x, y):
    return 2 * x, 4 * y * (y * y - 1)


def _himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_grad(x, y):
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


HIMMELBLAU_MINIMA = ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126))


def bowl(condition: float = 50.0) -> Surface:
    """The quadratic valley of 'Why Momentum Really Works': curvatures λ/κ along it and λ across it."""
    k = float(condition)
    if not (k >= 1.0 and math.isfinite(k)):
        raise ValueError(f"condition number must be >= 1, got {condition!r}")
    lam, c, s = BOWL_CURVATURE, math.cos(BOWL_ANGLE), math.sin(BOWL_ANGLE)

    def f(x, y):
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * lam * (u * u / k + v * v)

    def df(x, y):
        u, v = c * x + s * y, -s * x + c * y
        du, dv = lam * u / k, lam * v
        return c * du - s * dv, s * du + c * dv

    # Far out along the valley and a little up its side: the walk down the floor is the race.
    u0, v0 = -4.2, 0.8
    start = (c * u0 - s * v0, s * u0 + c * v0)
    return Surface("bowl", f"½·{lam:g}·(u²/{k:g} + v²)", f, df, (-5.0, 5.0, -3.5, 3.5), start, ((0.0, 0.0),),
                   0.0, lr=0.1, adaptive_lr=0.05)


SURFACES: dict[str, Surface] = {
    "rosenbrock": Surface("rosenbrock", "(1-x)² + 100(y-x²)²", _rosenbrock, _rosenbrock_grad,
                          (-2.0, 2.0, -1.0, 3.0), (-1.5, 2.5), ((1.0, 1.0),), 0.0, lr=0.001, adaptive_lr=0.03),
    "beale": Surface("beale", "Σ (cᵢ - x + x·yⁱ)²", _beale, _beale_grad,
                     (-4.5, 4.5, -4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),), 0.0, lr=0.001, adaptive_lr=0.03),
    "saddle": Surface("saddle", "x² + (y²-1)²", _saddle, _saddle_grad,
                      (-2.0, 2.0, -1.6, 1.6), (-1.8, 0.001), ((0.0, 1.0), (0.0, -1.0)), 0.0, lr=0.03,
                      adaptive_lr=0.03),
    "himmelblau": Surface("himmelblau", "(x²+y-11)² + (x+y²-7)²", _himmelblau, _himmelblau_grad,
                          (-5.0, 5.0, -5.0, 5.0), (0.0, -0.5), HIMMELBLAU_MINIMA, 0.0, lr=0.01, adaptive_lr=0.05),
}


def get_surface(name: str, condition: float = 50.0) -> Surface:
    """A surface by name; ``condition`` shapes the bowl only."""
    if name == "bowl":
        return bowl(condition)
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}: use one of {', '.join(NAMES)}")
    return SURFACES[name]
