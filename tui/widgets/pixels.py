"""Pictures drawn as real images (kitty or sixel) inside a RasterWidget's cells: heatmaps, and tiles of small images.

The widget still builds its cell canvas (so the legend, titles and markers
stay text); the heat cells of the image's box become blanks, and the last row
of the box carries one zero-width control Segment that moves the cursor to the
box, writes the image and, for sixel (which paints over text), the box's text
cells again. Textual repaints a widget's lines top to bottom, so the image
lands after the blanks it covers. The picture is encoded once per change.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from rich.control import Control
from rich.segment import ControlType, Segment
from rich.style import Style
from textual.strip import Strip

from tui import graphics, termimage

__all__ = ["PixelImage", "TiledPicture", "picture_size", "pixel_palette", "upsample"]

PIXEL_LEVELS = 41  # colour levels of an image (cells use 21); odd, so 0 keeps a level of its own
MAX_KITTY_SIDE = 256  # kitty scales the picture to its cells: a 100x100 field needs no more pixels
NULL_CONTROL = ((ControlType.CURSOR_FORWARD, 0),)  # marks a Segment as control: zero cells wide
_ids = itertools.count(7000)
_palettes: dict = {}


def pixel_palette():
    """The truecolor Palette images use, whatever the terminal's colour depth for text."""
    from tui import colors

    pal = _palettes.get("p")
    if pal is None:
        pal = _palettes["p"] = colors.Palette(colors.ColorMode.TRUECOLOR, levels=PIXEL_LEVELS)
    return pal


def scale_rgb(scale) -> np.ndarray:
    """(levels, 3) uint8 colours of a colors.Scale."""
    return np.array([c.get_truecolor()[:3] for c in scale.colors], dtype=np.uint8)


def colors_rgb(cols) -> np.ndarray:
    """(n, 3) uint8 of Rich Colors or colour strings."""
    from rich.color import Color

    return np.array([(Color.parse(c) if isinstance(c, str) else c).get_truecolor()[:3] for c in cols], dtype=np.uint8)


def discs(index: np.ndarray, row: np.ndarray, col: np.ndarray, fill: np.ndarray, rim: int, radius: float) -> None:
    """Paint a disc of colour ``fill[k]`` with a one-pixel ``rim`` at each (row[k], col[k]), clipped."""
    h, w = index.shape
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r - 1:r + 2, -r - 1:r + 2]
    dist = np.hypot(dy, dx)
    for colour, sel in ((rim, dist <= radius + 1), (None, dist <= radius)):
        oy, ox = dy[sel], dx[sel]
        y = row[:, None] + oy[None, :]
        x = col[:, None] + ox[None, :]
        ok = (y >= 0) & (y < h) & (x >= 0) & (x < w)
        value = np.broadcast_to(np.asarray(fill)[:, None] if colour is None else colour, y.shape)
        index[y[ok], x[ok]] = value[ok]


def upsample(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Bilinear resample of a 2D array to (rows, cols), sampling at pixel centres (NaN stays NaN)."""
    a = np.asarray(a, dtype=np.float64)
    h, w = a.shape
    y = np.clip((np.arange(rows) + 0.5) * (h / rows) - 0.5, 0, h - 1)
    x = np.clip((np.arange(cols) + 0.5) * (w / cols) - 0.5, 0, w - 1)
    y0, x0 = np.floor(y).astype(np.intp), np.floor(x).astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bottom = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def picture_size(cols: int, rows: int, need: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """(width, height) in pixels of a picture over cols x rows cells in the current mode.

    Sixels are one pixel per terminal pixel; kitty scales the picture to its
    cells, so it is sent at most MAX_KITTY_SIDE a side, but never smaller than
    ``need`` (the pixels its content has: a row of digits keeps each digit's 28).
    """
    cw, ch = graphics.current().cell
    w, h = max(1, cols * cw), max(1, rows * ch)
    if graphics.current().mode == "kitty" and max(w, h) > MAX_KITTY_SIDE:
        k = min(1.0, max(MAX_KITTY_SIDE / max(w, h), need[0] / w, need[1] / h))
        w, h = max(1, round(w * k)), max(1, round(h * k))
    return w, h


class TiledPicture:
    """Small images composed into one picture over a box of cells: one escape and one placement for them all.

    Tiles are placed by cell (relative to the box); what no tile covers is the
    widget's background, so the picture looks like the cells it replaces.
    """

    def __init__(self, box: tuple[int, int, int, int], background, need: tuple[int, int] = (0, 0)):
        self.box = box
        w, h = picture_size(box[2], box[3], need)
        self.px = (w / max(1, box[2]), h / max(1, box[3]))  # pixels per cell, across and down
        self.index = np.zeros((h, w), dtype=np.intp)  # 0: the background
        rgb = background.get_truecolor()[:3] if background is not None else (0, 0, 0)
        self._colours = [np.array([rgb], dtype=np.uint8)]
        self._offsets: dict[int, int] = {}
        self._size = 1

    def _offset(self, scale) -> int:
        """Where ``scale``'s colours start in the picture's palette (added on first use)."""
        off = self._offsets.get(id(scale))
        if off is None:
            off = self._offsets[id(scale)] = self._size
            rgb = scale_rgb(scale)
            self._colours.append(rgb)
            self._size += len(rgb)
        return off

    def rect(self, x: float, y: float, cols: float, rows: float) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) pixels of a cell rectangle (it may reach past the picture)."""
        sx, sy = self.px
        return round(x * sx), round(y * sy), round((x + cols) * sx), round((y + rows) * sy)

    def tile(self, x: int, y: int, cols: int, rows: int, values: np.ndarray, vrange, scale,
             smooth: bool = False, gap: int = 0) -> None:
        """``values`` (2D) coloured on ``scale`` over ``vrange`` in the cells at (x, y), cols x rows.

        ``smooth``: bilinear (fields); else nearest, each value a sharp square (digits, filters).
        ``gap``: pixel rows left blank at the bottom (touching thumbnails keep a seam).
        """
        from tui import colors
        from tui.widgets.fieldview import resample

        x0, y0, x1, y1 = self.rect(x, y, cols, rows)
        y1 = max(y0, y1 - gap)
        h, w = self.index.shape
        if x1 <= x0 or y1 <= y0 or x0 >= w or y0 >= h:
            return
        grid = (upsample if smooth else resample)(values, y1 - y0, x1 - x0)  # whole, then cut as the cells are
        grid = grid[: h - y0, : w - x0]
        self.index[y0:y0 + grid.shape[0], x0:x0 + grid.shape[1]] = self._offset(scale) + colors.quantize(
            grid, vrange, scale.levels)

    def fill(self, x: float, y: float, cols: float, rows: float, colour) -> None:
        """One flat colour (a Rich Color) over a rectangle of cells (fractions of a cell too)."""
        x0, y0, x1, y1 = self.rect(x, y, cols, rows)
        self._colours.append(colors_rgb([colour]))
        self.index[y0:y1, x0:x1] = self._size
        self._size += 1

    @property
    def palette(self) -> np.ndarray:
        return np.vstack(self._colours)


@dataclass
class PixelImage:
    """One widget's picture: its box in cells, palette indices per pixel, and what was last encoded."""

    image_id: int = field(default_factory=lambda: next(_ids))
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # x, y, cols, rows inside the widget
    index: np.ndarray | None = None  # (h, w) palette indices
    palette: np.ndarray | None = None  # (n, 3) uint8
    overlay: list = field(default_factory=list)  # (x, y, Strip) text cells inside the box, for sixel
    version: int = 0
    _encoded: tuple | None = None  # (version, mode, payload, kitty z)
    last_bytes: int = 0  # size of the last encoded picture: the app spaces pictures by it
    placed: bool = False  # kitty: an image of ours is on the terminal

    def set(self, box, index: np.ndarray, palette: np.ndarray) -> bool:
        """Take a new picture; True when it differs from the one shown (so the widget must repaint it)."""
        same = (self.index is not None and box == self.box and index.shape == self.index.shape
                and np.array_equal(index, self.index) and np.array_equal(palette, self.palette))
        if not same:
            self.box, self.index, self.palette = box, index, palette
            self.version += 1
        return not same

    def payload(self, mode: str) -> str:
        z = termimage.KITTY_Z if self.overlay else termimage.KITTY_Z_ALONE  # text over it needs it under text
        if self._encoded is None or self._encoded[:2] != (self.version, mode) or self._encoded[3] != z:
            if mode == "kitty":
                data = termimage.kitty_image(self.palette[self.index], self.box[2], self.box[3], self.image_id, z=z)
            else:
                data = termimage.sixel_image(self.index, self.palette)
            self._encoded = (self.version, mode, data, z)
            self.last_bytes = len(data)
        return self._encoded[2]

    def segment(self, screen_x: int, screen_y: int, console) -> Segment:
        """The control Segment that draws the picture with its top-left cell at (screen_x, screen_y)."""
        mode = graphics.current().mode
        # DECSC/DECRC around it: Textual writes a full frame with newlines, not a cursor move per line
        parts = ["\x1b7", Control.move_to(screen_x, screen_y).segment.text, self.payload(mode)]
        if mode == "kitty":  # no placement of ours survives elsewhere (kitty keeps them through resizes)
            parts.insert(1, termimage.kitty_delete(self.image_id, keep_data=True))
        if mode == "sixel":
            for x, y, strip in self.overlay:
                parts.append(Control.move_to(screen_x + x, screen_y + y).segment.text)
                parts.append(strip.render(console))
        else:
            self.placed = True
        parts.append("\x1b8")
        return Segment("".join(parts), None, NULL_CONTROL)

    def delete(self) -> str:
        """What removes a kitty picture from the terminal ('' when none is up: sixels are overwritten by text)."""
        if not self.placed:
            return ""
        self.placed = False
        return termimage.kitty_delete(self.image_id)


def with_segment(strip: Strip, seg: Segment) -> Strip:
    return Strip([*strip, seg], strip.cell_length)


def blank_overlay(canvas, heat: tuple[int, int], box, index: np.ndarray | None = None,
                  palette: np.ndarray | None = None) -> list:
    """Blank the heat cells of ``box`` in ``canvas`` (codes in [lo, hi)); returns the text cells left there.

    With the picture (``index`` over ``palette``) a marker's background (one
    that is not the widget's, as labels have) becomes the picture's colour at
    the cell's centre, so a marker redrawn over a sixel leaves no square of
    the cells' palette.
    """
    from rich.color import Color

    x, y, cols, rows = box
    sub = canvas.codes[y:y + rows, x:x + cols]
    lo, hi = heat
    sub[(sub >= lo) & (sub < hi)] = 0
    overlay = []
    for r, c in zip(*np.nonzero(sub)):
        code = int(sub[r, c])
        style = canvas.styles[code] or Style()
        if index is not None and style.bgcolor != canvas.base.bgcolor:  # a marker on the map, not a label
            h, w = index.shape
            rgb = palette[index[min(h - 1, int((r + 0.5) * h / rows)), min(w - 1, int((c + 0.5) * w / cols))]]
            style = style + Style(bgcolor=Color.from_rgb(*(int(v) for v in rgb)))
        overlay.append((int(c), int(r), Strip([Segment(canvas.glyphs[code], style)])))
    return overlay
