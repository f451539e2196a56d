"""The hidden-layer view from ConvNetJS's 2D demo: the input plane as two neurons see it.

A grid of lines over the input plane and the training points, pushed through
the network and plotted with two chosen neurons of one layer as the axes. As a
network learns, the grid folds and stretches until the classes pull apart.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from textual.strip import Strip

from scenarios.views import HiddenSpace, Points
from tui import colors
from tui.colors import Palette
from tui.widgets.curve import _color, _fmt, braille_bits
from tui.widgets.fieldview import CellCanvas, RasterWidget, elide, label_colors, placeholder, point_cells, square_plane


def polyline_pixels(lines, lim: tuple[float, float], rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of pixels along each polyline (k, 2), sampled finely enough to stay connected."""
    lo, hi = lim
    span = (hi - lo) or 1.0
    starts, ends = [], []
    for pts in lines:  # segments of every line, skipping any that touch a non-finite point
        pts = np.asarray(pts, np.float64).reshape(-1, 2)
        if len(pts) >= 2:
            starts.append(pts[:-1])
            ends.append(pts[1:])
    if not starts:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    a, b = np.concatenate(starts), np.concatenate(ends)
    ok = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1)
    a, b = a[ok], b[ok]
    ax, ay = (a[:, 0] - lo) / span * cols, (hi - a[:, 1]) / span * rows
    bx, by = (b[:, 0] - lo) / span * cols, (hi - b[:, 1]) / span * rows
    steps = np.clip(np.ceil(np.hypot(bx - ax, by - ay) * 1.5), 1, 4 * (rows + cols)).astype(np.intp)
    seg = np.repeat(np.arange(len(steps)), steps + 1)  # each segment sampled at t = 0, 1/s, ..., 1
    t = np.arange(len(seg)) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
    t = t / steps[seg]
    px = ax[seg] + (bx[seg] - ax[seg]) * t
    py = ay[seg] + (by[seg] - ay[seg]) * t
    keep = (px >= 0) & (px < cols) & (py >= 0) & (py < rows)
    return py[keep].astype(np.intp), px[keep].astype(np.intp)


class SpaceView(RasterWidget):
    live_interval = 0.25

    def __init__(self, placeholder: str = "no hidden layer to look through", **kwargs):
        super().__init__(**kwargs)
        self.placeholder = placeholder
        self.space: HiddenSpace | None = None

    def update_view(self, view: HiddenSpace | None, status) -> None:
        self.space = view
        self.invalidate()

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        sp = self.space
        if not sp or height < 3 or width < 4:
            return placeholder(width, height, self.placeholder if not sp else "", base)
        # Both axes share one range: keep the plot square (a cell is 1 x 2 pixels), centred above the caption.
        x0, y0, cols, rows = square_plane(width, height - 1)
        lim = (float(sp.lim[0]), float(sp.lim[1]))
        canvas = CellCanvas(width, height, base)
        grid = Style(color=_color(pal, colors.LINE_DIM, 8))
        if pal.ascii:
            r, c = polyline_pixels(sp.lines, lim, rows, cols)
            canvas.codes[r + y0, c + x0] = canvas.code(".", grid)
        else:
            mask = np.zeros((4 * rows, 2 * cols), dtype=bool)
            mask[polyline_pixels(sp.lines, lim, 4 * rows, 2 * cols)] = True
            bits = braille_bits(mask)
            on = bits > 0
            table = np.zeros(256, dtype=np.intp)
            for b in np.unique(bits[on]).tolist():
                table[b] = canvas.code(chr(0x2800 + b), grid)
            canvas.codes[y0:y0 + rows, x0:x0 + cols][on] = table[bits[on]]
        self._draw_points(canvas, sp, lim, x0, y0, cols, rows, pal)
        canvas.text(0, 0, elide(f" {sp.title} ", width, pal.ascii), Style(bold=True))
        rng = f"[{_fmt(lim[0])}, {_fmt(lim[1])}]"
        for axes in (f" x: {sp.xlabel}  y: {sp.ylabel}  {rng} ", f" x: {sp.xlabel}  y: {sp.ylabel} ",
                     f" x {sp.xlabel}, y {sp.ylabel} "):
            if len(axes) <= width:
                break
        canvas.text(0, height - 1, elide(axes, width, pal.ascii), Style(dim=True))
        return canvas.strips()

    def _draw_points(self, canvas: CellCanvas, sp: HiddenSpace, lim, x0: int, y0: int, cols: int, rows: int,
                     pal: Palette) -> None:
        xy = np.asarray(sp.points, np.float64).reshape(-1, 2)
        if not len(xy):
            return
        labels = np.asarray(sp.labels, np.float64)
        pts = Points(xy, labels)
        r, c, keep = point_cells(pts, (*lim, *lim), cols, rows)
        hues = (*pal.point_levels, *pal.classes)
        n = len(pal.point_levels)
        if getattr(sp, "classes", 0) == 3:  # labels -1, 0, +1: the same three class colours as the field
            lab = np.rint(np.nan_to_num(labels[keep])).astype(np.intp)
            which = n + np.select([lab < 0, lab > 0], [0, 1], 2)
        else:
            which = label_colors(labels[keep], (-1.0, 1.0), pal)
        for k in np.unique(which).tolist():
            pick = which == k
            if pal.ascii:
                glyph = colors.CLASS_GLYPHS[k - n].upper() if k >= n else "X" if k < n // 2 else "O"
            else:
                glyph = "●"
            canvas.codes[r[pick] + y0, c[pick] + x0] = canvas.code(glyph, Style(color=hues[k], bold=True))


PANES = {"space": SpaceView}
