"""What a scenario run hands the UI: host arrays and plain numbers only.

Widgets draw from a Snapshot and never touch the live model, so the training
thread and the UI thread share nothing mutable.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field

import numpy as np


@dataclass
class Field2D:
    """A function sampled over the input plane, for heatmaps.

    ``values`` has shape (rows, cols); row 0 is the TOP of the plane (largest y),
    column 0 is the left (smallest x). Values are in ``vrange`` (e.g. -1..1 for
    the Playground's tanh output, 0..1 for a sigmoid).
    """

    values: np.ndarray
    extent: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax
    vrange: tuple[float, float] = (-1.0, 1.0)


@dataclass
class Points:
    """Labelled points over the plane: ``xy`` (n, 2), ``labels`` (n,) in the field's vrange (or class ids)."""

    xy: np.ndarray
    labels: np.ndarray
    test: bool = False


@dataclass
class NetworkView:
    """The network diagram: sizes per layer (inputs first), weights between them, per-neuron thumbnails."""

    input_names: list[str]
    layer_sizes: list[int]  # including inputs and output layer
    weights: list[np.ndarray]  # weights[i] has shape (layer_sizes[i], layer_sizes[i+1])
    biases: list[np.ndarray]
    thumbnails: list[list[np.ndarray]] = _field(default_factory=list)  # per layer (inputs first), per neuron: (h, w) in vrange
    activations: list[str] = _field(default_factory=list)  # per non-input layer
    selected: tuple[int, int] | None = None  # (layer index, neuron index)


@dataclass
class Snapshot:
    scenario: str
    step: int = 0
    epoch: float = 0.0
    examples_seen: int = 0
    steps_per_sec: float = 0.0
    state: str = "paused"  # running | paused | diverged
    message: str = ""
    lr: float = 0.0
    device: str = "cpu"
    metrics: dict[str, float] = _field(default_factory=dict)  # train_loss, test_loss, train_acc, test_acc ...
    history: dict[str, np.ndarray] = _field(default_factory=dict)  # "step", "train_loss", "test_loss", ...
    field: Field2D | None = None
    points: list[Points] = _field(default_factory=list)
    network: NetworkView | None = None
    weight_mats: list[tuple[str, np.ndarray]] = _field(default_factory=list)  # (title, 2D array) for weight heatmaps
    images: list[tuple[str, np.ndarray]] = _field(default_factory=list)  # (title, 2D array) small images (filters, digits)
    extra: dict = _field(default_factory=dict)  # scenario-specific plain data (truth table, confusion matrix, curves)
