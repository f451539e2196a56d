"""The model builders: every MLP and CNN the scenarios, the bench and the tests make.

    mlp(2, (8, 8), 1, "tanh", "tanh", init="playground", seed=0)    # a Playground net
    mlp(784, (128,), 10, "relu", init="he", out_init="glorot")       # MNIST MLP, 10 logits
    cnn((8, 16), dense=(256,), seed=0)                              # MNIST CNN, 10 logits

Weights are drawn from ``numpy.random.default_rng(seed)`` layer by layer, first to last,
so a seed gives the same network on every machine and device.
"""

from __future__ import annotations

import numpy as np

from .layers import Conv2D, Dense, Flatten, Layer, MaxPool2D, activation as make_activation
from .model import Sequential


def mlp(n_in: int, hidden, n_out: int, activation: str = "relu", out_activation: str | None = None, *,
        init: str = "he", out_init: str | None = None, seed: int = 0, dtype=np.float32) -> Sequential:
    """Dense layers ``n_in -> hidden... -> n_out``, each hidden one followed by ``activation``.

    ``activation``: one name for every hidden layer, or one per hidden layer (a short list
    repeats its last entry). ``out_activation=None`` leaves raw outputs (logits, regression);
    ``out_init`` is the output layer's initialiser (default: ``init``).
    """
    rng = np.random.default_rng(seed)
    sizes = (int(n_in), *map(int, hidden))
    names = [activation] if isinstance(activation, str) else list(activation) or ["relu"]
    names += [names[-1]] * (len(sizes) - 1 - len(names))
    layers: list[Layer] = []
    for (a, b), name in zip(zip(sizes, sizes[1:]), names):
        layers += [Dense(a, b, init=init, rng=rng, dtype=dtype), make_activation(name)]
    layers.append(Dense(sizes[-1], n_out, init=out_init or init, rng=rng, dtype=dtype))
    if out_activation is not None:
        layers.append(make_activation(out_activation))
    return Sequential(layers)


def cnn(channels, dense=(), seed: int = 0, *, n_out: int = 10, in_shape=(1, 28, 28), kernel: int = 5,
        pool: int = 2, pool_first: bool = False, init: str = "he", out_init: str = "glorot",
        dtype=np.float32) -> Sequential:
    """Per entry of ``channels``: a ``kernel`` x ``kernel`` conv (padding ``kernel // 2``: odd kernels
    keep the size), ReLU and a ``pool`` x ``pool`` max pool; then Flatten, dense ReLU layers of
    ``dense`` sizes, and ``n_out`` logits.

    ``pool_first``: pool, then ReLU (the same function, as max and ReLU commute; ReLU then runs on
    a quarter of the values).
    """
    rng = np.random.default_rng(seed)
    c_in, h, w = in_shape
    layers: list[Layer] = []
    for c in channels:
        layers.append(Conv2D(c_in, c, kernel, padding=kernel // 2, init=init, rng=rng, dtype=dtype))
        relu, pooling = make_activation("relu"), MaxPool2D(pool)
        layers += [pooling, relu] if pool_first else [relu, pooling]
        c_in, h, w = c, h // pool, w // pool
    layers.append(Flatten())
    n = c_in * h * w
    for units in dense:
        layers += [Dense(n, units, init=init, rng=rng, dtype=dtype), make_activation("relu")]
        n = units
    layers.append(Dense(n, n_out, init=out_init, rng=rng, dtype=dtype))
    return Sequential(layers)
