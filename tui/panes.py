"""Pane name -> widget. Each pane draws its own typed view through ``update_view(view, status)``.

Scenarios name the panes they offer (``Run.panes``) and build a view for each
(``Run.view_<name>``); the app asks only for the views of the panes on screen.
"""

from __future__ import annotations

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from scenarios.views import Confusion, Curves, Field, Network, Status, TruthTable, Weights

from .widgets.curve import CurveView, LandscapeView
from .widgets.fieldview import FieldView
from .widgets.lossplot import LossPlot
from .widgets.mnistpanes import ActivationsPane, DigitsPane, DrawPane, FiltersPane
from .widgets.network import NetworkDiagram
from .widgets.race import RaceLossPane, RaceView
from .widgets.space import SpaceView
from .widgets.weights import WeightsView

TITLES = {
    "field": "output", "network": "network", "loss": "loss", "accuracy": "accuracy",
    "weights": "weights", "confusion": "confusion", "truth": "truth table",
    "curve": "fit", "landscape": "loss landscape", "digits": "test digits",
    "filters": "filters", "draw": "draw a digit", "activations": "activations", "space": "hidden space",
    "race": "optimizer race", "race_loss": "loss by racer",
}


class FieldPane(FieldView):
    live_interval = 0.2

    def update_view(self, view: Field | None, status: Status) -> None:
        if view is None:
            self.update_field(None)
            return
        self.update_field(view, view.points, discretize=view.discretize, show_test=view.show_test, title=view.title)


class NetworkPane(NetworkDiagram):
    def update_view(self, view: Network | None, status: Status) -> None:
        self.update_network(view)


class CurvesPane(LossPlot):
    live_interval = 0.5

    def update_view(self, view: Curves | None, status: Status) -> None:
        if view is not None:
            self.update_history(view.history, keys=view.keys, title=view.title, diverged=status.state == "diverged")


class WeightsPane(WeightsView):
    live_interval = 0.5

    def update_view(self, view: Weights | None, status: Status) -> None:
        self.update_mats(None if view is None else view.mats)


class ConfusionPane(Static):
    """Rows: true class, columns: predicted; the diagonal is what it gets right."""

    def update_view(self, view: Confusion | None, status: Status) -> None:
        if view is None or view.matrix is None:
            self.update("no confusion matrix for this task")
            return
        m = np.asarray(view.matrix)
        names = view.class_names or tuple(str(i) for i in range(len(m)))
        width = max(len(str(int(m.max()))), *(len(str(n)) for n in names)) + 1
        t = Table(box=None, padding=0, show_header=True, header_style="dim")
        t.add_column("t\\p", style="dim", no_wrap=True)
        for n in names:
            t.add_column(str(n), justify="right", min_width=width, no_wrap=True)
        for i, row in enumerate(m):
            cells = [Text(str(int(v)), style="bold green" if i == j else ("red" if v else "dim")) for j, v in enumerate(row)]
            t.add_row(str(names[i]), *cells)
        total = int(m.sum())
        acc = float(np.trace(m)) / total if total else 0.0
        self.update(_stack(t, Text(f"test accuracy {acc:.1%} of {total}", style="dim")))


class TruthPane(Static):
    """The gate's truth table with live outputs, the formula, and why XOR fails."""

    live_interval = 0.1

    def update_view(self, view: TruthTable | None, status: Status) -> None:
        if view is None:
            return
        t = Table(box=None, padding=(0, 1))
        for c in ("x1", "x2", "target", "output"):
            t.add_column(c, justify="right")
        for a, b, target, out in view.rows:
            ok = (out > 0.5) == (target > 0.5)
            t.add_row(str(a), str(b), str(target), Text(f"{out:.3f}", style="green" if ok else "bold red"))
        parts = [t, Text(view.formula, style="bold")]
        if view.why:
            parts.append(Text(view.why, style="yellow"))
        self.update(_stack(*parts))


def _stack(*items):
    g = Table.grid()
    for it in items:
        g.add_row(it)
    return g


PANES = {
    "field": FieldPane, "network": NetworkPane, "loss": CurvesPane, "accuracy": CurvesPane,
    "weights": WeightsPane, "confusion": ConfusionPane, "truth": TruthPane,
    "curve": CurveView, "landscape": LandscapeView, "space": SpaceView,
    "digits": DigitsPane, "filters": FiltersPane, "activations": ActivationsPane, "draw": DrawPane,
    "race": RaceView, "race_loss": RaceLossPane,
}


def pane_class(name: str):
    """The widget class for a pane name (KeyError for a name no widget draws: a scenario bug)."""
    return PANES[name]
