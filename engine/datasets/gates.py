"""Two-input logic gates: the four-row truth tables a single neuron can (or cannot) learn."""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import DataError

# Output for inputs 00, 01, 10, 11.
_OUTPUTS = {
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "NAND": (1, 1, 1, 0),
    "NOR": (1, 0, 0, 0),
    "XOR": (0, 1, 1, 0),
    "XNOR": (1, 0, 0, 1),
}
NAMES = tuple(_OUTPUTS)
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)


def _check(name: str) -> str:
    key = name.strip().upper()
    if key not in _OUTPUTS:
        raise DataError(f"unknown gate {name!r}: use one of {', '.join(NAMES)}")
    return key


def truth_table(name: str):
    """``(x float32 (4, 2) in {0, 1}, y float32 (4,))`` for gate ``name`` (any case)."""
    return INPUTS.copy(), np.array(_OUTPUTS[_check(name)], dtype=np.float32)


def linearly_separable(name: str) -> bool:
    """Whether one line splits the gate's 0s from its 1s, i.e. a single neuron can learn it.

    Searched, not looked up: every separable two-input gate has a separating
    line with small integer weights, so trying w1, w2, b in -2..2 settles it.
    """
    x, y = truth_table(name)
    target = y > 0.5
    for w1, w2, b in itertools.product(range(-2, 3), repeat=3):
        z = x[:, 0] * w1 + x[:, 1] * w2 + b - 0.5  # the half offset makes z never exactly 0
        if np.array_equal(z > 0, target):
            return True
    return False
