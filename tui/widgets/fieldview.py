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
from tui import colors, graphics
from tui.colors import Palette, Scale
from tui.widgets import pixels


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


ELLIPSIS, ASCII_ELLIPSIS = "…", "~"


_ASCII_FOR = {"×": "x", "·": ".", "…": "~", "σ": "s", "→": "->", "←": "<-", "↑": "^", "↓": "v", "−": "-",
              "²": "^2", "√": "sqrt", "≤": "<=", "≥": ">=", "±": "+-"}


def plain(text: str) -> str:
    """``text`` with every non-ASCII character spelled in ASCII (``?`` when there is no spelling)."""
    if text.isascii():
        return text
    return "".join(ch if ch.isascii() else _ASCII_FOR.get(ch, "?") for ch in text)


def elide(text: str, width: int, ascii: bool = False) -> str:
    """``text`` cut to ``width`` cells, ending in an ellipsis when cut; ASCII only when ``ascii``."""
    if ascii:
        text = plain(text)
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: width - 1] + (ASCII_ELLIPSIS if ascii else ELLIPSIS)


def square_plane(width: int, height: int, aspect: float = 2.0) -> tuple[int, int, int, int]:
    """(x0, y0, columns, rows) of the largest square (in pixels: a cell is 1 wide, ``aspect`` tall) centred in the box."""
    if aspect == 2.0:
        rows = max(0, min(height, width // 2))
        cols = 2 * rows
    else:  # an image at the terminal's own cell size (--graphics)
        rows = max(0, min(height, int(width / aspect)))
        cols = min(width, round(rows * aspect))
    if rows == 0:  # too narrow for even one square cell pair: use what there is
        rows, cols = min(height, 1), min(width, 1)
    return (width - cols) // 2, (height - rows) // 2, cols, rows


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


ALL_CODES = (0, np.iinfo(np.intp).max)  # a heat range that blanks every cell of a box


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
        self.pictures: list[pixels.PixelImage] = []  # --graphics kitty/sixel: this widget's pictures, once there are some
        self._image_requests: list[tuple] = []  # what this frame's build asked to show as images
        self._image_shown = 0  # how many of the pictures this frame's strips carry
        self._pending_delete = ""  # kitty: remove pictures no longer drawn

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        raise NotImplementedError

    def _picture_versions(self) -> tuple:
        return (tuple(p.version for p in self.pictures), self._image_shown)

    @property
    def image_bytes(self) -> int:
        """Size of the pictures as last encoded: the app spaces this widget's frames by it."""
        return sum(p.last_bytes for p in self.pictures[: self._image_shown])

    def invalidate(self) -> None:
        """Rebuild the frame and repaint only the lines that changed.

        Textual repaints whole widgets on ``refresh()``; over a modest SSH link a
        heatmap whose boundary barely moves should cost a few lines, not a screen.
        """
        old, old_key = self._strips, self._strips_key
        version = self._picture_versions()
        self._strips = None
        width, height = self.size
        if old is None or not self.is_mounted or old_key != (width, height, id(colors.current())):
            self.refresh()
            return
        new = self.strips()
        if self._picture_versions() != version:
            self.refresh()  # a new picture: repaint the whole widget, its box's last row sends it
            return
        spans = [changed_span(a, b, y) for y, (a, b) in enumerate(zip(old, new)) if a != b]
        if spans:
            self.refresh(*spans)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = None

    def strips(self) -> list[Strip]:
        width, height = self.size
        pal = colors.current()
        key = (width, height, id(pal))
        if self._strips is None or key != self._strips_key:
            self._image_requests = []
            self._strips = self.build(width, height, pal, self.rich_style) if width > 0 and height > 0 else []
            self._strips_key = key
            if self._image_requests or self.pictures:
                self._strips = self._with_images(self._strips)
        return self._strips

    # -- --graphics kitty/sixel ------------------------------------------------------------------
    def request_image(self, canvas: CellCanvas, heat: tuple[int, int], box: tuple[int, int, int, int],
                      index: np.ndarray, palette: np.ndarray) -> None:
        """From ``build``: show ``index`` over ``palette`` as an image in ``box`` instead of heat codes ``heat``.

        Called several times, several pictures (e.g. one per column of thumbnails); boxes must not overlap.
        """
        self._image_requests.append((canvas, heat, box, index, palette))

    @staticmethod
    def draws_images(pal: Palette) -> bool:
        """Pictures instead of half blocks: --graphics kitty/sixel, and not the ASCII ramp."""
        return graphics.current().images and not pal.ramp

    def request_tiles(self, canvas: CellCanvas, picture: pixels.TiledPicture) -> None:
        """From ``build``: show ``picture`` over its box; every cell there becomes a blank (keep text out of it)."""
        self.request_image(canvas, ALL_CODES, picture.box, picture.index, picture.palette)

    def _with_images(self, strips: list[Strip]) -> list[Strip]:
        requests, self._image_requests = self._image_requests, []
        images = graphics.current().images
        if not requests or not images:
            if self._image_shown and images:  # (not for an SVG export: it draws cells for a moment)
                self._pending_delete = "".join(p.delete() for p in self.pictures)
            self._image_shown = 0
            return strips
        gone = self.pictures[len(requests):]
        if gone:  # fewer pictures than last frame: take the others down
            self._pending_delete = "".join(p.delete() for p in gone)
            del self.pictures[len(requests):]
        for k, (canvas, heat, box, index, palette) in enumerate(requests):
            if k == len(self.pictures):
                self.pictures.append(pixels.PixelImage())
            picture = self.pictures[k]
            overlay = pixels.blank_overlay(canvas, heat, box, index, palette)
            picture.set(box, index, palette)
            picture.overlay = overlay
        self._image_shown = len(requests)
        return canvas.strips()

    def hide_image(self) -> str:
        """What removes this widget's kitty pictures from the terminal (another screen covers them, or it goes)."""
        if not self.pictures:
            return ""
        self._strips = None  # shown again: repaint it whole
        return "".join(p.delete() for p in self.pictures)

    def on_unmount(self) -> None:
        seq = self.hide_image()
        if seq:
            graphics_write(self.app, seq)

    def render_line(self, y: int) -> Strip:
        strips = self.strips()
        if 0 <= y < len(strips):
            strip = strips[y]
            if self.pictures:
                if self._pending_delete and y == 0:
                    strip = Strip([Segment(self._pending_delete, None, pixels.NULL_CONTROL), *strip], strip.cell_length)
                    self._pending_delete = ""
                r = None
                for px in self.pictures[: self._image_shown]:
                    if y == px.box[1] + px.box[3] - 1:  # a picture rides on its box's last row
                        r = r or self.content_region
                        seg = px.segment(r.x + px.box[0], r.y + px.box[1], self.app.console)
                        strip = pixels.with_segment(strip, seg)
            return strip
        return Strip.blank(max(0, self.size.width), self.rich_style)


def graphics_write(app, seq: str) -> None:
    """Write a graphics control sequence straight to the terminal (nothing while there is no driver)."""
    driver = getattr(app, "_driver", None)
    if driver is not None and seq:
        try:
            driver.write(seq)
            driver.flush()
        except Exception:  # shutting down: the terminal is going anyway
            pass


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
    levels = colors.quantize(labels, vrange, n)
    classes = n + np.clip(np.nan_to_num(labels), 0, len(pal.classes) - 1).astype(np.intp)
    return np.where(inside, levels, classes)


class FieldView(RasterWidget):
    """Heatmap of a Field with the data points on top and a legend line under it.

    The plane keeps its aspect ratio: the heatmap is the largest square (in
    pixels) that fits, centred; a circle data set draws as a circle.
    """

    DEFAULT_CSS = """
    FieldView { width: 1fr; height: 1fr; }
    """

    LEGEND_MIN_HEIGHT = 6  # below this the plane needs every row

    def __init__(self, placeholder: str = "no field yet", **kwargs):
        super().__init__(**kwargs)
        self.placeholder = placeholder
        self.field: Field | None = None
        self.points: list[Points] = []
        self.discretize = False
        self.show_test = False
        self.title = ""
        self.plane: tuple[int, int, int, int] = (0, 0, 0, 0)  # x0, y0, columns, rows of the heatmap

    def update_field(self, field: Field | None, points: Iterable[Points] = (), *, discretize: bool = False,
                     show_test: bool = False, title: str = "") -> None:
        self.field, self.points = field, list(points)
        self.discretize, self.show_test, self.title = discretize, show_test, title
        self.invalidate()

    @property
    def three(self) -> bool:
        return self.field is not None and getattr(self.field, "classes", 0) == 3

    def scale(self, pal: Palette) -> Scale:
        return pal.three if self.three else pal.diverging

    def heat_levels(self, values: np.ndarray, rows_px: int, width: int, scale: Scale) -> np.ndarray:
        """Palette level per pixel; subclasses may remap (e.g. flip so low loss is blue)."""
        values = resample(values, rows_px, width)
        if self.three and self.discretize:  # three classes keep three colours, not two
            t = colors.normalize(values, self.field.vrange) * 2 - 1
            half = scale.levels // 2
            return np.where(t < -0.2, 0, np.where(t > 0.2, scale.levels - 1, half)).astype(np.intp)
        return colors.quantize(values, self.field.vrange, scale.levels, self.discretize)

    def heat_canvas(self, width: int, height: int, pal: Palette, base: Style):
        """(canvas with the heatmap filling it, levels, pixel rows), or None when there is no field to draw."""
        values = None if self.field is None else np.asarray(self.field.values)
        if values is None or values.ndim != 2 or values.size == 0:
            return None
        rows_px = pixel_rows(height, pal)
        scale = self.scale(pal)
        levels = self.heat_levels(values, rows_px, width, scale)
        canvas = CellCanvas(width, height, base)
        canvas.codes[:] = level_codes(canvas, levels, scale, pal)
        self._image_of(canvas, scale, pal, values, (0, 0, width, height))
        return canvas, levels, rows_px

    def _image_of(self, canvas: CellCanvas, scale: Scale, pal: Palette, values: np.ndarray, box,
                  plane_rows: int | None = None) -> bool:
        """With --graphics kitty/sixel: ask for the heatmap in ``box`` as an image at the terminal's pixels.

        ``plane_rows``: the plane is that many cells tall and the box is its lowest ``box[3]`` rows.
        """
        choice = graphics.current()
        if not choice.images or pal.ramp or box[2] <= 0 or box[3] <= 0:
            return False
        cw, ch = choice.cell
        w, h = box[2] * cw, box[3] * ch
        if choice.mode == "kitty" and max(w, h) > pixels.MAX_KITTY_SIDE:  # kitty scales it to the box itself
            k = pixels.MAX_KITTY_SIDE / max(w, h)
            w, h = max(1, round(w * k)), max(1, round(h * k))
        ppal = pixels.pixel_palette()
        pscale = self.scale(ppal)
        full = h if plane_rows is None else round(h * plane_rows / box[3])
        index = self.heat_levels(pixels.upsample(values, full, w), full, w, pscale)[full - h:]
        self._image_plane_px = full  # the whole plane's pixel rows: the points are placed over it
        n = scale.levels
        first = canvas.block(pal.block * (n * n), scale.pair_flat)
        self.request_image(canvas, (first, first + n * n), box, index, pixels.scale_rgb(pscale))
        return True

    def _image_points(self) -> None:
        """The data points as discs in the requested picture: class colour, white rim (train) or black (test)."""
        canvas, heat, box, index, palette = self._image_requests[-1]
        ppal = pixels.pixel_palette()
        hues = (*ppal.point_levels, *ppal.classes)
        extra = pixels.colors_rgb([*hues, colors.OUTLINE_TRAIN, colors.OUTLINE_TEST])
        first = len(palette)
        palette = np.vstack([palette, extra])
        h, w = index.shape
        cw, ch = graphics.current().cell
        radius = max(2.0, 0.3 * min(cw, ch) * w / (box[2] * cw))  # a dot of about a third of a cell
        for pts in self.points:
            if pts.test and not self.show_test:
                continue
            full = self._image_plane_px
            row, col, keep = point_cells(pts, self.field.extent, w, full)
            row = row - (full - h)  # the box may leave the plane's top (title) row out
            if row.size:
                hue = first + self.point_color_index(np.asarray(pts.labels).reshape(-1)[keep], ppal)
                rim = first + len(hues) + (1 if pts.test else 0)
                pixels.discs(index, row, col, hue, rim, radius)
        self._image_requests[-1] = (canvas, heat, box, index, palette)

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        values = None if self.field is None else np.asarray(self.field.values)
        if values is None or values.ndim != 2 or values.size == 0:
            self.plane = (0, 0, 0, 0)
            return placeholder(width, height, self.placeholder, base)
        legend = height >= self.LEGEND_MIN_HEIGHT
        choice = graphics.current()
        aspect = choice.cell[1] / choice.cell[0] if choice.images and not pal.ramp else 2.0
        x0, y0, cols, rows = square_plane(width, height - legend, aspect)
        if legend:  # plane and legend as one block, centred: the legend sits right under the plane
            y0 = (height - rows - 1) // 2
        self.plane = (x0, y0, cols, rows)
        canvas = CellCanvas(width, height, base)
        scale = self.scale(pal)
        rows_px = pixel_rows(rows, pal)
        levels = self.heat_levels(values, rows_px, cols, scale)
        canvas.paint(x0, y0, level_codes(canvas, levels, scale, pal))
        titled = bool(self.title) and rows > 2  # the title keeps its row: over a picture it would not read
        if self._image_of(canvas, scale, pal, values, (x0, y0 + titled, cols, rows - titled), rows):
            if titled:  # the title's row: plain, not a strip of half blocks
                pixels.blank_overlay(canvas, self._image_requests[-1][1], (x0, y0, cols, 1))
            self._image_points()  # at pixel size, in the picture
        else:
            self._draw_points(canvas, levels, rows_px, pal, x0, y0, cols)
        if self.title:
            canvas.text(x0, y0, elide(f" {self.title} ", cols, pal.ascii), Style(bold=True))
        if legend:
            self._draw_legend(canvas, y0 + rows, pal, scale)
        return canvas.strips()

    # -- points ------------------------------------------------------------------------------------
    def point_color_index(self, labels: np.ndarray, pal: Palette) -> np.ndarray:
        """Index into ``pal.point_levels + pal.classes`` per label."""
        if self.three:  # labels -1, 0, +1: the first, the third (green) and the second class colour
            n = len(pal.point_levels)
            lab = np.rint(np.nan_to_num(np.asarray(labels, np.float64).reshape(-1))).astype(np.intp)
            return n + np.select([lab < 0, lab > 0], [0, 1], 2)
        return label_colors(labels, self.field.vrange, pal)

    def point_glyph(self, ci: int, test: bool, pal: Palette) -> str:
        n, mid = len(pal.point_levels), len(pal.point_levels) // 2
        if not pal.ramp:
            return "○" if test else "●"
        glyph = colors.CLASS_GLYPHS[ci - n] if ci >= n else "x" if ci < mid else "o" if ci > mid else "v"
        return glyph.lower() if test else glyph.upper()

    def _draw_points(self, canvas: CellCanvas, levels: np.ndarray, rows_px: int, pal: Palette,
                     x0: int = 0, y0: int = 0, cols: int | None = None) -> None:
        field = self.field
        cols = canvas.width if cols is None else cols
        hues = (*pal.point_levels, *pal.classes)
        scale = self.scale(pal)
        for pts in self.points:  # train first, so test points land on top
            if pts.test and not self.show_test:
                continue
            row, col, keep = point_cells(pts, field.extent, cols, rows_px)
            if not row.size:
                continue
            color_idx = self.point_color_index(np.asarray(pts.labels).reshape(-1)[keep], pal)
            under = levels[row, col]  # heatmap level of the pixel the point sits on
            nlev = scale.levels
            uniq, inverse = np.unique(color_idx * nlev + under, return_inverse=True)
            codes = []
            for k in uniq.tolist():
                ci, lv = divmod(k, nlev)
                glyph = self.point_glyph(ci, pts.test, pal)
                if pal.ramp:
                    style = Style(color=hues[ci], bold=True)
                else:
                    style = pal.point_style(hues[ci], pal.halo(scale.colors[lv], pts.test))
                codes.append(canvas.code(glyph, style))
            cell_row = (row if pal.ramp else row // 2) + y0
            canvas.codes[cell_row, col + x0] = np.asarray(codes, dtype=np.intp)[inverse.reshape(-1)]

    # -- legend ------------------------------------------------------------------------------------
    def legend_items(self, pal: Palette, scale: Scale) -> list[tuple[str, Style]]:
        """The legend as (text, style) runs: which colour is which class or value, and train vs test."""
        field = self.field
        hues = (*pal.point_levels, *pal.classes)
        n = len(pal.point_levels)
        bold = Style(bold=True)
        out: list[tuple[str, Style]] = []

        def marker(ci: int, test: bool = False) -> tuple[str, Style]:
            glyph = self.point_glyph(ci, test, pal)
            if pal.ramp:
                return glyph, Style(color=hues[ci], bold=True)
            return glyph, pal.point_style(hues[ci], pal.halo(scale.colors[scale.levels // 2], test))

        if self.three:
            for name, ci in (("class 1", n), ("class 2", n + 2), ("class 3", n + 1)):
                out += [marker(ci), (f" {name}  ", bold)]
        else:
            lo, hi = field.vrange
            out += [marker(0), (f" {_num(lo)} ", bold)]
            steps = 2 if self.discretize else 7
            for k in range(steps):
                lv = round(k * (scale.levels - 1) / (steps - 1))
                if pal.ramp:
                    out.append((scale.glyphs[lv] if scale.glyphs[lv] != " " else "_", Style(color=scale.colors[lv])))
                else:
                    out.append((" ", Style(bgcolor=scale.colors[lv])))
            out += [(f" {_num(hi)} ", bold), marker(n - 1), ("  ", _PLAIN)]
        if self.show_test and any(p.test for p in self.points):
            ci = n if self.three else n - 1
            out += [marker(ci), (" train ", _PLAIN), marker(ci, True), (" test", _PLAIN)]
        return out

    def _draw_legend(self, canvas: CellCanvas, y: int, pal: Palette, scale: Scale) -> None:
        items = self.legend_items(pal, scale)
        total = sum(len(t) for t, _ in items)
        while items and total > canvas.width:  # drop whole items from the end rather than cut one
            t, _ = items.pop()
            total -= len(t)
        x = max(0, (canvas.width - total) // 2)
        for text, style in items:
            canvas.text(x, y, text, style)
            x += len(text)


def _num(v: float) -> str:
    v = float(v)
    if v == int(v) and abs(v) < 1e6:
        return f"{int(v):+d}" if v else "0"
    return f"{v:+.3g}"
