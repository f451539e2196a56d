"""Weight initialisers: ``glorot`` (uniform), ``he`` (normal) and ``playground``.

Weights are drawn on the host from a seeded ``numpy.random.Generator`` (so a seed
gives the same network on CPU and GPU) and moved to the device by the layer.

    W, b = init.make("he", (16, 8, 5, 5), fan_in=200, fan_out=400, rng=rng)
"""

from __future__ import annotations

import numpy as np

NAMES = ("glorot", "he", "playground")


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A Generator from a Generator, a seed, or ``None`` (seed 0: runs stay reproducible)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


def glorot(shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform on ±sqrt(6 / (fan_in + fan_out)): keeps tanh/sigmoid nets' variance steady both ways."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def he(shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """Normal with std sqrt(2 / fan_in): ReLU halves the variance, this doubles it back."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def playground(shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """U(-0.5, 0.5) like TensorFlow Playground, whose biases start at 0.1."""
    return rng.uniform(-0.5, 0.5, size=shape)


_WEIGHTS = {"glorot": glorot, "he": he, "playground": playground}
_BIAS = {"glorot": 0.0, "he": 0.0, "playground": 0.1}


def make(name: str, w_shape, fan_in: int, fan_out: int, rng, n_bias: int, dtype=np.float32):
    """Host arrays ``(W, b)`` for initialiser ``name``; ``b`` has ``n_bias`` entries."""
    if name not in _WEIGHTS:
        raise ValueError(f"unknown init {name!r}: use one of {', '.join(NAMES)}")
    w = _WEIGHTS[name](tuple(w_shape), fan_in, fan_out, as_rng(rng)).astype(dtype)
    b = np.full(n_bias, _BIAS[name], dtype=dtype)
    return w, b
