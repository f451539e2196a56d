"""Loss and accuracy curves via textual-plotext.

plotext costs about 7.6 us per plotted point, so the history is thinned to
about two points per column before plotting, and the built plot is reused
until the data, the size or the theme changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tui import palette

SERIES_COLORS = ((77, 166, 255), (245, 147, 34), (63, 185, 80), (214, 39, 40))  # train blue, test orange, ...
ASCII_MARKERS = "*o+x"

# Box drawing and Braille have no ASCII equivalent in plotext; translate what it emits.
_ASCII_FRAME = str.maketrans({"─": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "┤": "+",
                              "├": "+", "┬": "+", "┴": "+", "┼": "+", "•": "*", "▄": "_", "▀": "-", "█": "#"})


def downsample_indices(n: int, max_points: int) -> np.ndarray:
    """Every k-th index so that at most ``max_points`` remain, plus the last one."""
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    max_points = max(1, max_points)
    k = -(-n // max_points)  # ceil
    idx = np.arange(0, n, k)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def _to_ascii(text: str) -> str:
    text = text.translate(_ASCII_FRAME)
    return "".join(ch if ord(ch) < 128 else "." for ch in text)


class LossPlot(PlotextPlot):
    """Training curves from a Snapshot's history (loss by default; see AccuracyPlot)."""

    DEFAULT_KEYS: tuple[str, ...] = ("train_loss", "test_loss")
    DEFAULT_TITLE = "loss"
    YLIM: tuple[float, float] | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.history: dict[str, np.ndarray] = {}
        self.keys: tuple[str, ...] = self.DEFAULT_KEYS
        self.title = self.DEFAULT_TITLE
        self.ylog = False
        self.points_plotted = 0  # after the last build, for tests and tuning
        self._signature: tuple | None = None
        self._cache_key: tuple | None = None
        self._cache: Text | None = None

    def update_history(self, history: Mapping[str, Sequence[float]] | None, keys: Sequence[str] | None = None,
                       title: str | None = None, ylog: bool | None = None) -> None:
        keys = tuple(keys) if keys is not None else self.keys
        title = title if title is not None else self.title
        ylog = ylog if ylog is not None else self.ylog
        history = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in (history or {}).items()}
        signature = (keys, title, ylog, *((k, len(v), v[-1] if len(v) else None) for k, v in sorted(history.items())
                                          if k in keys or k in ("epoch", "step")))
        if signature == self._signature:
            return  # histories only grow: same lengths and last values mean nothing new to draw
        self._signature = signature
        self.history, self.keys, self.title, self.ylog = history, keys, title, ylog
        self._cache_key = None
        self.refresh()

    def _x_axis(self, n: int) -> tuple[np.ndarray, str]:
        for name in ("epoch", "step"):
            x = self.history.get(name)
            if x is not None and len(x) >= n:
                return x[:n], name
        return np.arange(n, dtype=np.float64), "step"

    def _replot(self, width: int) -> None:
        plt, ascii = self.plt, palette.use_ascii()
        plt.clear_data()
        plt.yscale("log" if self.ylog else "linear")
        ylim = self.YLIM or ((0.0, 1.0) if self.keys and all("acc" in k for k in self.keys) else None)
        if ylim is not None:
            plt.ylim(*ylim)
        else:
            plt.ylim(None, None)
        plotted, xname, shown = 0, "step", []
        for i, key in enumerate(self.keys):
            y = self.history.get(key)
            if y is None or not len(y):
                continue
            x, xname = self._x_axis(len(y))
            ok = np.isfinite(y) & np.isfinite(x) & ((y > 0) if self.ylog else True)
            x, y = x[ok], y[ok]
            if not len(y):
                continue
            idx = downsample_indices(len(y), 2 * max(1, width))
            # No plotext legend: it sits on the top-left of the plot, right where a loss curve starts.
            # The legend goes in the border's subtitle instead (see legend()).
            plt.plot(x[idx].tolist(), y[idx].tolist(),
                     marker=ASCII_MARKERS[i % 4] if ascii else "braille", color=SERIES_COLORS[i % 4])
            plotted += len(idx)
            shown.append(i)
        self.border_subtitle = self.legend(shown)
        self.points_plotted = plotted
        plt.title(self.title if plotted else f"{self.title} (no data yet)")
        plt.xlabel(xname if plotted else "")

    def legend(self, shown: Sequence[int]) -> str:
        """Markup naming each plotted series in its colour, e.g. '━ train loss  ━ test loss'."""
        mark = "-" if palette.use_ascii() else "━"
        parts = []
        for i in shown:
            r, g, b = SERIES_COLORS[i % 4]
            name = self.keys[i].replace("_", " ")
            glyph = ASCII_MARKERS[i % 4] if palette.use_ascii() else mark
            parts.append(f"[rgb({r},{g},{b})]{glyph}[/] {name}")
        return "  ".join(parts)

    def render(self) -> RenderResult:
        width, height = self.size
        if width <= 0 or height <= 0:
            return Text("")
        ascii = palette.use_ascii()
        key = (width, height, self.app.theme, self.theme, ascii)
        if self._cache is None or key != self._cache_key:
            self._replot(width)
            text = super().render()
            if ascii:  # one character for one, so the colour spans still line up
                text = Text(_to_ascii(text.plain), spans=list(text.spans))
            self._cache, self._cache_key = text, key
        return self._cache


class AccuracyPlot(LossPlot):
    """Accuracy curves, y fixed to 0..1 (as for any LossPlot whose keys are all accuracies)."""

    DEFAULT_KEYS = ("train_acc", "test_acc")
    DEFAULT_TITLE = "accuracy"
    YLIM = (0.0, 1.0)
