"""What a scenario run hands the UI: one small typed dataclass per kind of view.

The app tells the run which panes are on screen; the run builds only their
views (``Run.snapshot(visible)``). Every field is a host NumPy array or a plain
number/string, so widgets never touch the live model and the training thread
and the UI thread share nothing mutable. Arrays in a view are copies: the
trainer may update weights in place while a widget draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np

NAN = math.nan


@dataclass(frozen=True)
class Status:
    """The status line: the run's state and its latest measurements (NaN: not measured)."""

    scenario: str
    state: str = "paused"  # running | paused | diverged
    step: int = 0
    epoch: float = 0.0
    examples_seen: int = 0
    steps_per_sec: float = 0.0
    lr: float = 0.0
    device: str = "cpu"
    train_loss: float = NAN
    test_loss: float = NAN
    train_acc: float = NAN
    test_acc: float = NAN
    message: str = ""  # the run's notice, or why it diverged
    data_note: str = ""  # a standing remark about the data (e.g. "bundled subset")
    past: int | None = None  # the step shown when scrubbing back through time, else None

    def metrics(self) -> dict[str, float]:
        """The measured values only (what ``nnplay train`` prints)."""
        out = {}
        for k in ("train_loss", "test_loss", "train_acc", "test_acc"):
            v = getattr(self, k)
            if not math.isnan(v):
                out[k] = v
        return out


@dataclass(frozen=True)
class Points:
    """Labelled points over the plane: ``xy`` (n, 2); ``labels`` (n,) in the field's value range, or class ids."""

    xy: np.ndarray
    labels: np.ndarray
    test: bool = False


@dataclass(frozen=True)
class Field:
    """A function sampled over a plane, for heatmaps.

    ``values`` (rows, cols): row 0 is the TOP of the plane (largest y), column 0
    the left (smallest x); values lie in ``vrange``. ``classes`` = 3 draws the
    three-class palette (sign and size of the value pick the class and its
    confidence), 0 the diverging two-colour one.
    """

    values: np.ndarray
    extent: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax
    vrange: tuple[float, float] = (-1.0, 1.0)
    title: str = ""
    points: tuple[Points, ...] = ()
    classes: int = 0
    discretize: bool = False
    show_test: bool = False


@dataclass(frozen=True)
class Landscape:
    """A loss surface over two parameters and the path the optimizer took across it."""

    field: Field
    path: np.ndarray  # (k, 2) oldest first
    minimum: tuple[float, float] | None = None
    current: tuple[float, float] | None = None


@dataclass(frozen=True)
class Racer:
    """One optimizer in a race: its path (k, 2) oldest first, latest loss and steps taken."""

    name: str
    key: str  # the key that toggles it
    path: np.ndarray
    loss: float
    steps: int
    diverged: bool = False


@dataclass(frozen=True)
class Race:
    """Optimizers descending one loss surface side by side (``field``: log10 of the loss)."""

    field: Field
    racers: tuple[Racer, ...]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Network:
    """The network diagram: sizes per layer (inputs first), weights between them, per-neuron thumbnails."""

    input_names: tuple[str, ...]
    layer_sizes: tuple[int, ...]  # including inputs and output layer
    weights: tuple[np.ndarray, ...]  # weights[i] has shape (layer_sizes[i], layer_sizes[i+1])
    biases: tuple[np.ndarray, ...]
    thumbnails: tuple[tuple[np.ndarray, ...], ...] = ()  # per layer (inputs first), per neuron: (h, w) in vrange
    activations: tuple[str, ...] = ()  # per non-input layer
    selected: tuple[int, int] | None = None  # (layer index, neuron index)
    vrange: tuple[float, float] = (-1.0, 1.0)


@dataclass(frozen=True)
class Curves:
    """Learning curves: ``history`` maps "step", "epoch" and each series to equal-length arrays."""

    history: dict[str, np.ndarray]
    keys: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True)
class Weights:
    mats: tuple[tuple[str, np.ndarray], ...]  # (title, 2D array) for weight heatmaps


@dataclass(frozen=True)
class Confusion:
    """Rows: true class, columns: predicted."""

    matrix: np.ndarray | None
    class_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class TruthTable:
    rows: tuple[tuple[int, int, int, float], ...]  # x1, x2, target, output
    formula: str = ""
    why: str = ""
    solved: bool = False


@dataclass(frozen=True)
class HiddenSpace:
    """ConvNetJS's view: grid lines and points as two hidden neurons see them."""

    lines: tuple[np.ndarray, ...]  # each (samples, 2)
    points: np.ndarray  # (n, 2)
    labels: np.ndarray
    lim: tuple[float, float]
    xlabel: str
    ylabel: str
    title: str
    classes: int = 0


@dataclass(frozen=True)
class BumpCurves:
    """Hand mode's bumps over ``CurveFit.fit_x``, in data units.

    ``now``: each neuron pair's contribution as the network has it (its sum, plus
    the output bias, is the fit); ``hand``: the bumps as placed by hand, once
    training has moved the network away from them (else empty); ``steps``: each
    hidden neuron's step position (pair k = neurons 2k, 2k+1; NaN: no step).
    """

    now: tuple[np.ndarray, ...]
    steps: np.ndarray
    hand: tuple[np.ndarray, ...] = ()
    selected: int = 0


@dataclass(frozen=True)
class CurveFit:
    """A 1D fit: data points, the model's curve, optional per-neuron curves and the least-squares line."""

    x: np.ndarray
    y: np.ndarray
    fit_x: np.ndarray
    fit_y: np.ndarray
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    title: str = ""
    neurons: tuple[np.ndarray, ...] = ()
    best_y: np.ndarray | None = None
    target_y: np.ndarray | None = None  # a curve to aim for (hand mode: the noise-free curve)
    bumps: BumpCurves | None = None  # hand mode


@dataclass(frozen=True)
class Images:
    """Small images (filters, first-layer weights) with their titles."""

    title: str
    images: tuple[tuple[str, np.ndarray], ...]
    diverging: bool = True


@dataclass(frozen=True)
class Digit:
    index: int  # position in the grid
    image: np.ndarray  # (28, 28) in 0..1
    label: int
    top: tuple[tuple[int, float], ...]  # (class, probability), best first
    selected: bool = False

    @property
    def correct(self) -> bool:
        return bool(self.top) and self.top[0][0] == self.label


@dataclass(frozen=True)
class Digits:
    """A grid of test digits with their top predictions, and which data they come from."""

    digits: tuple[Digit, ...]
    source: str = "full"  # full | subset
    note: str = ""
    ms_per_example: float = NAN


@dataclass(frozen=True)
class Activation:
    """One stage's output for a digit: ``kind`` "maps" (C, H, W), "vector" (n,) or "probs" (10,)."""

    name: str
    kind: str
    data: np.ndarray


@dataclass(frozen=True)
class Activations:
    """Each layer's activations for the selected digit, input first, probabilities last."""

    digit: Digit
    layers: tuple[Activation, ...]
    probs: np.ndarray


@dataclass(frozen=True)
class Drawing:
    """The draw pane asks for predictions itself; it only needs to know the model moved on."""

    step: int


@dataclass(frozen=True)
class Snapshot:
    status: Status
    views: dict[str, Any] = dc_field(default_factory=dict)  # pane name -> its view (only the ones asked for)

    def view(self, name: str):
        return self.views.get(name)
