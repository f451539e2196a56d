"""The array module (NumPy or CuPy), chosen once per process.

Engine code refers to ``backend.xp`` at call time, so switching with :func:`use`
before building a model is all it takes to run the same code on a GPU.
"""

from __future__ import annotations

import os

import numpy as np

from .errors import BackendError

xp = np
device = "cpu"


def use(name: str | None = None) -> str:
    """Select ``cpu`` (NumPy) or ``gpu`` (CuPy); ``None`` reads ``NNPLAY_DEVICE``."""
    global xp, device
    name = (name or os.environ.get("NNPLAY_DEVICE") or "cpu").lower()
    if name == "cpu":
        xp, device = np, "cpu"
        return device
    if name != "gpu":
        raise BackendError(f"unknown device {name!r}: use cpu or gpu")
    try:
        import cupy
    except ImportError:
        raise BackendError(
            "device gpu needs CuPy: install it with `uv sync --extra gpu` (CUDA 12) or use --device cpu"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        raise BackendError(f"device gpu: CuPy found no usable GPU ({exc.__class__.__name__}); use --device cpu") from None
    if count < 1:
        raise BackendError("device gpu: CuPy found no GPU; use --device cpu")
    xp, device = cupy, "gpu"
    return device


def to_host(a):
    """A NumPy copy of ``a`` for drawing or saving (no-op on the CPU)."""
    if xp is np or isinstance(a, np.ndarray):
        return np.asarray(a)
    return xp.asnumpy(a)


def asarray(a, dtype=np.float32):
    """Move host data onto the current device with the engine's dtype."""
    return xp.asarray(a, dtype=dtype)
