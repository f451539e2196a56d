"""The Playground's input features: functions of (x1, x2) fed to the network instead of raw points.

Also the sampling grid over the plane, so heatmaps and training data go
through the same feature code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from ..errors import DataError

NAMES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
DEFAULT = ("x1", "x2")

_FUNCS = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}

# Spellings people type (after lower-casing and dropping spaces), mapped to display names.
_ALIASES = {
    "x": "x1", "y": "x2",
    "x1sq": "x1^2", "x1**2": "x1^2", "x1²": "x1^2", "x1x1": "x1^2",
    "x2sq": "x2^2", "x2**2": "x2^2", "x2²": "x2^2", "x2x2": "x2^2",
    "x1x2": "x1*x2", "x2*x1": "x1*x2", "x2x1": "x1*x2",
    "sinx1": "sin(x1)", "sin_x1": "sin(x1)",
    "sinx2": "sin(x2)", "sin_x2": "sin(x2)",
}  # fmt: skip


def canonical(name: str) -> str:
    """The display name for ``name`` or any accepted alias; DataError listing the allowed names."""
    key = re.sub(r"\s+", "", name).lower()
    key = _ALIASES.get(key, key)
    if key not in _FUNCS:
        raise DataError(f"unknown feature {name.strip()!r}: use some of {', '.join(NAMES)}")
    return key


def parse(text: str | Iterable[str]) -> tuple[str, ...]:
    """Features from ``"x1, x2, x1x2"`` (commas or spaces) or a list; order kept, repeats dropped."""
    parts = re.split(r"[,;\s]+", text) if isinstance(text, str) else list(text)
    names = tuple(dict.fromkeys(canonical(p) for p in parts if p.strip()))
    if not names:
        raise DataError(f"no features given: use some of {', '.join(NAMES)}")
    return names


def apply(xy, names: Iterable[str]) -> np.ndarray:
    """Feature columns for points ``xy`` (n, 2): float32 (n, len(names)), in the order given."""
    xy = np.asarray(xy, dtype=np.float32)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise DataError(f"features need points of shape (n, 2), got {xy.shape}")
    names = parse(names) if isinstance(names, str) else [canonical(n) for n in names]
    a, b = xy[:, 0], xy[:, 1]
    return np.stack([_FUNCS[n](a, b) for n in names], axis=1).astype(np.float32, copy=False)


def grid(n: int | tuple[int, int] = 100, extent=(-6.0, 6.0, -6.0, 6.0)):
    """Cell centres over ``extent`` (xmin, xmax, ymin, ymax): ``(xy float32 (rows*cols, 2), (rows, cols))``.

    Rows run top (largest y) to bottom like ``Field2D``, so
    ``model(xy).reshape(shape)`` is ready to draw.
    """
    rows, cols = (n, n) if np.isscalar(n) else n
    if rows < 1 or cols < 1:
        raise DataError(f"grid size must be positive, got {rows}x{cols}")
    xmin, xmax, ymin, ymax = extent
    xs = xmin + (np.arange(cols) + 0.5) * (xmax - xmin) / cols
    ys = ymax - (np.arange(rows) + 0.5) * (ymax - ymin) / rows
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32), (int(rows), int(cols))
