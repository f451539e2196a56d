"""Pane name -> widget: each pane draws one part of a Snapshot via ``update_snapshot``.

Scenarios name the panes they offer (``Run.panes``); the app looks them up here.
Scenario-specific widget modules export ``PANES`` dicts that are merged in.
"""

from __future__ import annotations

import importlib

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from scenarios.snapshot import Snapshot

from .widgets.fieldview import FieldView
from .widgets.lossplot import LossPlot
from .widgets.network import NetworkDiagram
from .widgets.weights import WeightsView

TITLES = {
    "field": "output", "network": "network", "loss": "loss", "accuracy": "accuracy",
    "weights": "weights", "confusion": "confusion", "truth": "truth table",
    "curve": "fit", "landscape": "loss landscape", "digits": "test digits",
    "filters": "filters", "draw": "draw a digit", "activations": "activations", "space": "hidden space",
}


class FieldPane(FieldView):
    live_interval = 0.2
    def update_snapshot(self, snap: Snapshot) -> None:
        self.update_field(snap.field, snap.points, discretize=bool(snap.extra.get("discretize")),
                          show_test=bool(snap.extra.get("show_test")), title=snap.extra.get("field_title", ""))


class NetworkPane(NetworkDiagram):
    def update_snapshot(self, snap: Snapshot) -> None:
        self.update_network(snap.network)


class LossPane(LossPlot):
    live_interval = 0.5
    def update_snapshot(self, snap: Snapshot) -> None:
        self.update_history(snap.history, keys=("train_loss", "test_loss"), title="loss")


class AccuracyPane(LossPlot):
    live_interval = 0.5
    def update_snapshot(self, snap: Snapshot) -> None:
        self.update_history(snap.history, keys=("train_acc", "test_acc"), title="accuracy")


class WeightsPane(WeightsView):
    live_interval = 0.5
    def update_snapshot(self, snap: Snapshot) -> None:
        self.update_mats(snap.weight_mats)


class ConfusionPane(Static):
    """Rows: true class, columns: predicted; the diagonal is what it gets right."""

    def update_snapshot(self, snap: Snapshot) -> None:
        m = snap.extra.get("confusion")
        if m is None:
            self.update("no confusion matrix for this task")
            return
        m = np.asarray(m)
        names = snap.extra.get("class_names") or [str(i) for i in range(len(m))]
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

    def update_snapshot(self, snap: Snapshot) -> None:
        rows = snap.extra.get("truth_table") or []
        t = Table(box=None, padding=(0, 1))
        for c in ("x1", "x2", "target", "output"):
            t.add_column(c, justify="right")
        for a, b, target, out in rows:
            ok = (out > 0.5) == (target > 0.5)
            t.add_row(str(a), str(b), str(target), Text(f"{out:.3f}", style="green" if ok else "bold red"))
        parts = [t, Text(snap.extra.get("formula", ""), style="bold")]
        if snap.extra.get("why"):
            parts.append(Text(snap.extra["why"], style="yellow"))
        self.update(_stack(*parts))


def _stack(*items):
    g = Table.grid()
    for it in items:
        g.add_row(it)
    return g


PANES = {
    "field": FieldPane, "network": NetworkPane, "loss": LossPane, "accuracy": AccuracyPane,
    "weights": WeightsPane, "confusion": ConfusionPane, "truth": TruthPane,
}
_EXTRA_MODULES = ("tui.widgets.curve", "tui.widgets.mnistpanes", "tui.widgets.space")


def pane_class(name: str):
    if name not in PANES:
        for mod in _EXTRA_MODULES:
            try:
                PANES.update(importlib.import_module(mod).PANES)
            except ModuleNotFoundError:
                continue
    return PANES.get(name)
