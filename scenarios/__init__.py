"""The scenarios nnplay offers, looked up by name.

Each is a :class:`scenarios.base.Run` subclass; modules import on first use so
``nnplay list`` and start-up stay cheap.
"""

from __future__ import annotations

import importlib
import importlib.util

from engine.errors import NNPlayError

# name -> (module, class, one-line description)
REGISTRY: dict[str, tuple[str, str, str]] = {
    "gates": ("scenarios.gates", "GatesRun", "The perceptron: one neuron learns AND, OR, NAND, NOR — and fails XOR"),
    "classify": ("scenarios.classify", "ClassifyRun", "The TensorFlow Playground: 2D data sets, feature crosses, decision boundary"),
    "regress": ("scenarios.regress", "RegressRun", "Fit 1D curves, and watch gradient descent walk a line fit's loss landscape"),
    "mnist": ("scenarios.mnist", "MnistRun", "Handwritten digits with an MLP or a CNN; draw your own digit"),
    "optimize": ("scenarios.optimize", "OptimizeRun", "The optimizer race: seven update rules descend one 2D loss surface"),
}
DEFAULT = "classify"


class UnknownScenario(NNPlayError):
    pass


def available() -> list[str]:
    return [n for n, (mod, _, _) in REGISTRY.items() if importlib.util.find_spec(mod) is not None]


def get(name: str):
    """The Run class for ``name``; a one-line error listing the scenarios otherwise."""
    if name not in REGISTRY or name not in available():
        raise UnknownScenario(f"unknown scenario {name!r}: choose one of {', '.join(available())}")
    mod, cls, _ = REGISTRY[name]
    return getattr(importlib.import_module(mod), cls)


def schemas() -> dict:
    return {n: get(n).schema for n in available()}
