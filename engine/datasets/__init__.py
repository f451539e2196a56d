"""Data for the scenarios: Playground 2D sets, features, logic gates, 1D curves, CSV points, MNIST.

All functions return host NumPy arrays (float32 inputs/targets, uint8 images);
scenarios move them to the device with ``backend.asarray``. ``mnist`` is
imported on first use so importing this package stays cheap.
"""

from __future__ import annotations

import importlib

from . import csvfile, curves, features, gates, playground
from .csvfile import load_points
from .features import grid
from .playground import CLASSIFICATION, MULTICLASS, REGRESSION, generate, split

__all__ = [
    "CLASSIFICATION",
    "MULTICLASS",
    "REGRESSION",
    "csvfile",
    "curves",
    "features",
    "gates",
    "generate",
    "grid",
    "load_points",
    "mnist",
    "playground",
    "split",
]


def __getattr__(name: str):
    if name == "mnist":
        return importlib.import_module(f"{__name__}.mnist")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
