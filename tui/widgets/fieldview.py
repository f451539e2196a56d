"""The decision-boundary heatmap, plus the raster helpers every drawing widget shares.

Each cell of the terminal shows two pixels with the upper-half block: the
foreground colours the upper pixel, the background the lower one. The field
is resampled and quantised once per update (NumPy); a frame is then a list of
cached Strips whose runs of equal cells are single Segments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from scenarios.views import Field, Points
from tui import palette
from tui.palette import Palette, Scale


def resample(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Nearest-neighbour resample of a 2D array to (rows, cols), sampling at cell centres."""
    a = np.asarray(a)
    r = np.minimum(((np.arange(rows) + 0.5) * (a.shape[0] / rows)).astype(np.intp), a.shape[0] - 1)
    c = np.minimum(((np.arange(cols) + 0.5) * (a.shape[1] / cols)).astype(np.intp), a.shape[1] - 1)
    return a[r[:, None], c[None, :]]


_PLAIN = Style()
_combined: dict[tuple[int, Style], tuple[Sequence[Style], list[Style]]] = {}


class CellCanvas:
    """A grid of cell codes, each code one (glyph, style); rows become Strips with equal neighbours merged."""

    def __init__(self, width: int, height: int, base: Style | None = None):
        self.width, self.height = max(0, width), max(0, height)
        self.base = base or Style()
        self.codes = np.zeros((self.height, self.width), dtype=np.intp)
        self.glyphs: list[str] = [" "]
        self.styles: list[Style] = [self.base]
        self._index: dict[tuple[str, Style], int] = {(" ", Style()): 0}
        self._blocks: dict[int, tuple[Sequence[Style], int]] = {}

    def code(self, glyph: str, style: Style) -> int:
        """The code for one (glyph, style) pair, registered on first use."""
        key = (glyph, style)
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.glyphs)
            self.glyphs.append(glyph)
            self.styles.append(self.base + style)
        return found

    def block(self, glyphs: Sequence[str], styles: Sequence[Style]) -> int:
        """Register a contiguous table (e.g. all half-block pairs); returns the first code.

        Pass the same (long-lived) ``styles`` object each frame: its combination with the base is cached.
        """
        mine = self._blocks.get(id(styles))
        if mine is not None and mine[0] is styles:
            return mine[1]  # already in this canvas (many thumbnails share one table)
        key = (id(styles), self.base)
        hit = _combined.get(key)
        if hit is None or hit[0] is not styles:
            if len(_combined) > 64:
                _combined.clear()
            hit = _combined[key] = (styles, [self.base + s for s in styles])
        first = len(self.glyphs)
        self.glyphs.extend(glyphs)
        self.styles.extend(hit[1])
        self._blocks[id(styles)] = (styles, first)
        return first

    def paint(self, x: int, y: int, codes: np.ndarray) -> None:
        """Copy a block of codes with its top-left at (x, y), clipped to the canvas."""
        h, w = codes.shape
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        if x1 > x0 and y1 > y0:
            self.codes[y0:y1, x0:x1] = codes[y0 - y:y1 - y, x0 - x:x1 - x]

    def text(self, x: int, y: int, text: str, style: Style | None = None) -> None:
        if not 0 <= y < self.height:
            return
        style = style or _PLAIN
        for i, ch in enumerate(text):
            if 0 <= x + i < self.width:
                self.codes[y, x + i] = self.code(ch, style)

    def centred(self, y: int, text: str, style: Style | None = None) -> None:
        text = text[: self.width]
        self.text((self.width - len(text)) // 2, y, text, style)

    def strips(self) -> list[Strip]:
        glyphs, styles, w = self.glyphs, self.styles, self.width
        made: dict[tuple[int, int], Segment] = {}  # equal runs recur a lot: build each Segment once

        def segment(code: int, length: int) -> Segment:
            seg = made.get((code, length))
            if seg is None:
                seg = made[code, length] = Segment(glyphs[code] * length, styles[code])
            return seg

        out = []
        for row in self.codes:
            starts = [0, *(np.flatnonzero(row[1:] != row[:-1]) + 1).tolist()]
            ends = [*starts[1:], w]
            codes = row[starts].tolist()
            out.append(Strip([segment(c, e - s) for c, s, e in zip(codes, starts, ends)], w))
        return out


def level_codes(canvas: CellCanvas, levels: np.ndarray, scale: Scale, pal: Palette) -> np.ndarray:
    """Cell codes for a level image: (2h, w) pixels as half blocks, or (h, w) ramp glyphs in ramp mode."""
    n = scale.levels
    if pal.ramp:
        return canvas.block(scale.glyphs, scale.glyph_style) + levels
    if levels.shape[0] % 2:
        levels = np.vstack([levels, levels[-1:]])
    first = canvas.block(pal.block * (n * n), scale.pair_flat)
    return first + levels[0::2] * n + levels[1::2]


def pixel_rows(cell_rows: int, pal: Palette) -> int:
    return cell_rows if pal.ramp else 2 * cell_rows


def placeholder(width: int, height: int, text: str, base: Style) -> list[Strip]:
    canvas = CellCanvas(width, height, base)
    canvas.centred(height // 2, text, Style(dim=True))
    return canvas.strips()


def _cells(strip: Strip) -> list:
    return [(ch, seg.style) for seg in strip for ch in seg.text]


def changed_span(old: Strip, new: Strip, y: int) -> Region:
    """The part of line ``y`` that differs, so only those cells go down the wire."""
    a, b = _cells(old), _cells(new)
    if len(a) != len(b):
        return Region(0, y, max(len(a), len(b)), 1)
    diff = [i for i, (p, q) in enumerate(zip(a, b)) if p != q]
    if not diff:
        return Region(0, y, 0, 1)
    return Region(diff[0], y, diff[-1] - diff[0] + 1, 1)


class RasterWidget(Widget):
    """A Line-API widget whose frame is rebuilt only when its data, size, palette or CSS changes."""

    DEFAULT_CSS = """
    RasterWidget { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None,
                 disabled: bool = False):
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._strips: list[Strip] | None = None
        self._strips_key: tuple | None = None

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        raise NotImplementedError

    def invalidate(self) -> None:
        """Rebuild the frame and repaint only the lines that changed.

        Textual repaints whole widgets on ``refresh()``; over a modest SSH link a
        heatmap whose boundary barely moves should cost a few lines, not a screen.
        """
        old, old_key = self._strips, self._strips_key
        self._strips = None
        width, height = self.size
        if old is None or not self.is_mounted or old_key != (width, height, id(palette.current())):
            self.refresh()
            return
        new = self.strips()
        spans = [changed_span(a, b, y) for y, (a, b) in enumerate(zip(old, new)) if a != b]
        if spans:
            self.refresh(*spans)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = None

    def strips(self) -> list[Strip]:
        width, height = self.size
        pal = palette.current()
        key = (width, height, id(pal))
        if self._strips is None or key != self._strips_key:
            self._strips = self.build(width, height, pal, self.rich_style) if width > 0 and height > 0 else []
            self._strips_key = key
        return self._strips

    def render_line(self, y: int) -> Strip:
        strips = self.strips()
        if 0 <= y < len(strips):
            return strips[y]
        return Strip.blank(max(0, self.size.width), self.rich_style)


def point_cells(points: Points, extent: tuple[float, float, float, float], width: int, rows_px: int):
    """(pixel row, column, kept mask) of the points inside the extent."""
    xy = np.asarray(points.xy, dtype=np.float64).reshape(-1, 2)
    xmin, xmax, ymin, ymax = extent
    x, y = xy[:, 0], xy[:, 1]
    keep = np.isfinite(x) & np.isfinite(y) & (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    sx = (x[keep] - xmin) / ((xmax - xmin) or 1.0)
    sy = (ymax - y[keep]) / ((ymax - ymin) or 1.0)  # row 0 is the top of the plane
    col = np.minimum((sx * width).astype(np.intp), width - 1)
    row = np.minimum((sy * rows_px).astype(np.intp), rows_px - 1)
    return row, col, keep


def label_colors(labels: np.ndarray, vrange: tuple[float, float], pal: Palette) -> np.ndarray:
    """Index into ``pal.point_levels + pal.classes``.

    Labels inside vrange (regression targets, +-1) use the diverging scale; others are class ids.
    """
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    n = len(pal.point_levels)
    lo, hi = min(vrange), max(vrange)
    inside = (labels >= lo - 1e-9) & (labels <= hi + 1e-9) | ~np.isfinite(labels)
    levels = palette.quantize(labels, vrange, n)
    classes = n + np.clip(np.nan_to_num(labels), 0, len(pal.classes) - 1).astype(np.intp)
    return np.where(inside, levels, classes)


class FieldView(RasterWidget):
    """Heatmap of a Field with the data points on top."""

    DEFAULT_CSS = """
    FieldView { width: 1fr; height: 1fr; }
    """

    def __init__(self, placeholder: str = "no field yet", **kwargs):
        super().__init__(**kwargs)
        self.placeholder = placeholder
        self.field: Field | None = None
        self.points: list[Points] = []
        self.discretize = False
        self.show_test = False
        self.title = ""

    def update_field(self, field: Field | None, points: Iterable[Points] = (), *, discretize: bool = False,
                     show_test: bool = False, title: str = "") -> None:
        self.field, self.points = field, list(points)
        self.discretize, self.show_test, self.title = discretize, show_test, title
        self.invalidate()

    def heat_levels(self, values: np.ndarray, rows_px: int, width: int, scale: Scale) -> np.ndarray:
        """Palette level per pixel; subclasses may remap (e.g. flip so low loss is blue)."""
        return palette.quantize(resample(values, rows_px, width), self.field.vrange, scale.levels, self.discretize)

    def heat_canvas(self, width: int, height: int, pal: Palette, base: Style):
        """(canvas with the heatmap drawn, levels, pixel rows), or None when there is no field to draw."""
        values = None if self.field is None else np.asarray(self.field.values)
        if values is None or values.ndim != 2 or values.size == 0:
            return None
        rows_px = pixel_rows(height, pal)
        levels = self.heat_levels(values, rows_px, width, pal.diverging)
        canvas = CellCanvas(width, height, base)
        canvas.codes[:] = level_codes(canvas, levels, pal.diverging, pal)
        return canvas, levels, rows_px

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        drawn = self.heat_canvas(width, height, pal, base)
        if drawn is None:
            return placeholder(width, height, self.placeholder, base)
        canvas, levels, rows_px = drawn
        self._draw_points(canvas, levels, rows_px, pal)
        if self.title:
            canvas.text(0, 0, f" {self.title} "[:width], Style(bold=True))
        return canvas.strips()

    def _draw_points(self, canvas: CellCanvas, levels: np.ndarray, rows_px: int, pal: Palette) -> None:
        field = self.field
        colors = (*pal.point_levels, *pal.classes)
        mid = len(pal.point_levels) // 2
        for pts in self.points:  # train first, so test points land on top
            if pts.test and not self.show_test:
                continue
            row, col, keep = point_cells(pts, field.extent, canvas.width, rows_px)
            if not row.size:
                continue
            color_idx = label_colors(np.asarray(pts.labels).reshape(-1)[keep], field.vrange, pal)
            under = levels[row, col]  # heatmap level of the pixel the point sits on
            combo = color_idx * pal.diverging.levels + under
            uniq, inverse = np.unique(combo, return_inverse=True)
            codes = []
            for k in uniq.tolist():
                ci, lv = divmod(k, pal.diverging.levels)
                if pal.ramp:
                    glyph = palette.CLASS_GLYPHS[ci - len(pal.point_levels)] if ci >= len(pal.point_levels) \
                        else "x" if ci < mid else "o" if ci > mid else "*"
                    glyph = glyph.lower() if pts.test else glyph.upper()
                    style = Style(color=colors[ci], bold=True)
                else:
                    glyph = "○" if pts.test else "●"
                    style = pal.point_style(colors[ci], pal.diverging.colors[lv])
                codes.append(canvas.code(glyph, style))
            cell_row = row if pal.ramp else row // 2
            canvas.codes[cell_row, col] = np.asarray(codes, dtype=np.intp)[inverse.reshape(-1)]
