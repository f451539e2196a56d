"""Weight matrices as diverging heatmaps, stacked top to bottom.

Each matrix is coloured symmetrically around 0 (scaled by its own max|w|) and
fitted to the widget: big ones (784x128) are downsampled nearest-neighbour,
small ones blown up by a whole factor so every weight stays a visible block.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from rich.style import Style
from textual.strip import Strip

from tui import colors
from tui.colors import Palette
from tui.widgets.fieldview import CellCanvas, RasterWidget, level_codes, placeholder, resample

MAX_UPSCALE = 6


def as_matrix(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(a.shape[0], -1)


def share_rows(wants: list[int], total: int) -> list[int]:
    """Split ``total`` rows: small requests are met in full, big ones share the rest evenly (at least 1 each)."""
    out = [0] * len(wants)
    left = total
    order = sorted(range(len(wants)), key=lambda i: wants[i])
    for n, i in enumerate(order):
        out[i] = max(1, min(wants[i], left // (len(wants) - n)))
        left -= out[i]
    return out


def fit(shape: tuple[int, int], width: int, rows_px: int) -> tuple[int, int]:
    """(pixel rows, columns) for a matrix: one whole upscale factor while it fits, else squeezed to the room."""
    r, c = shape
    f = min(MAX_UPSCALE, max(1, width // c), max(1, rows_px // r))
    return min(r * f, rows_px), min(c * f, width)


def range_text(a: np.ndarray) -> str:
    finite = a[np.isfinite(a)]
    if not finite.size:
        return "no finite values"
    return f"{finite.min():.3g} .. {finite.max():.3g}"


class WeightsView(RasterWidget):
    """A column of titled weight heatmaps."""

    DEFAULT_CSS = """
    WeightsView { width: 1fr; height: 1fr; }
    """

    def __init__(self, placeholder: str = "no weights yet", **kwargs):
        super().__init__(**kwargs)
        self.placeholder = placeholder
        self.mats: list[tuple[str, np.ndarray]] = []

    def update_mats(self, mats: Iterable[tuple[str, np.ndarray]] | None) -> None:
        self.mats = [(str(t), as_matrix(m)) for t, m in (mats or []) if np.asarray(m).size]
        self.invalidate()

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        if not self.mats:
            return placeholder(width, height, self.placeholder, base)
        shown = self.mats[: max(1, height // 2)]  # each needs a title row and at least one row of cells
        per_cell = 1 if pal.ramp else 2
        wants = [-(-fit(m.shape, width, 10**6)[0] // per_cell) for _, m in shown]
        budgets = share_rows(wants, height - len(shown))
        canvas = CellCanvas(width, height, base)
        scale = pal.diverging
        y = 0
        for (title, m), rows in zip(shown, budgets):
            canvas.text(0, y, f"{title}  {range_text(m)}"[:width], Style(bold=True))
            y += 1
            if y >= height:
                break
            rows_px, cols = fit(m.shape, width, rows * per_cell)
            levels = colors.quantize(resample(m, rows_px, cols), colors.symmetric_range(m), scale.levels)
            canvas.paint(0, y, level_codes(canvas, levels, scale, pal))
            y += -(-rows_px // per_cell)
        return canvas.strips()
