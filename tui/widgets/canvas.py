"""A 28x28 canvas for drawing a digit to feed an MNIST model.

Strokes use a soft round brush (a bright core with a grey rim), roughly as
thick as MNIST's pen, so hand-drawn digits look like the ones the model saw.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip

from tui import colors
from tui.colors import Palette
from tui.widgets import pixels
from tui.widgets.fieldview import CellCanvas, RasterWidget, level_codes, resample

SIDE = 28
_YY, _XX = np.mgrid[0:SIDE, 0:SIDE] + 0.5  # pixel centres


def segment_distance(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Distance from every pixel centre to the segment p-q (points as (row, col))."""
    d = q - p
    length2 = float(d @ d)
    t = 0.0 if length2 == 0 else np.clip(((_YY - p[0]) * d[0] + (_XX - p[1]) * d[1]) / length2, 0.0, 1.0)
    return np.hypot(_YY - (p[0] + t * d[0]), _XX - (p[1] + t * d[1]))


def brush(distance: np.ndarray, core: float, rim: float) -> np.ndarray:
    """1 inside ``core``, fading linearly to 0 over ``rim`` pixels."""
    return np.clip(1.0 - (distance - core) / rim, 0.0, 1.0)


def _max_pool(img: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Shrink ``img`` to (rows, cols), each output pixel the maximum of the block it covers."""
    r_edges = np.linspace(0, img.shape[0], rows + 1).astype(np.intp)
    c_edges = np.linspace(0, img.shape[1], cols + 1).astype(np.intp)
    out = np.zeros((rows, cols), dtype=img.dtype)
    for i in range(rows):
        band = img[r_edges[i]:max(r_edges[i + 1], r_edges[i] + 1)]
        for j in range(cols):
            out[i, j] = band[:, c_edges[j]:max(c_edges[j + 1], c_edges[j] + 1)].max(initial=0)
    return out


class DrawCanvas(RasterWidget, can_focus=True):
    """Draw with the mouse (left paints, right erases) or keys (arrows, space, x, c)."""

    DEFAULT_CSS = """
    DrawCanvas { width: 1fr; height: 1fr; }
    """

    BINDINGS = [
        Binding("left", "move(0, -1)", "left", show=False),
        Binding("right", "move(0, 1)", "right", show=False),
        Binding("up", "move(-1, 0)", "up", show=False),
        Binding("down", "move(1, 0)", "down", show=False),
        Binding("space", "paint", "paint", show=False),
        Binding("x", "erase", "erase", show=False),
        Binding("c", "clear", "clear", show=False),
    ]

    class Changed(Message):
        """The drawing changed; ``image`` is a float32 (28, 28) copy in 0..1."""

        def __init__(self, canvas: DrawCanvas, image: np.ndarray):
            super().__init__()
            self.canvas, self.image = canvas, image

        @property
        def control(self) -> DrawCanvas:
            return self.canvas

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._image = np.zeros((SIDE, SIDE), dtype=np.float32)
        self.cursor = np.array([SIDE / 2, SIDE / 2])  # (row, col) in pixels
        self._last: np.ndarray | None = None
        self._button = 0

    @property
    def image(self) -> np.ndarray:
        return self._image.copy()

    def set_image(self, image: np.ndarray) -> None:
        self._image = np.clip(np.asarray(image, dtype=np.float32).reshape(SIDE, SIDE), 0.0, 1.0)
        self.invalidate()

    def clear(self) -> None:
        self._image[:] = 0.0
        self._changed()

    def stroke(self, p, q, erase: bool = False) -> None:
        """Paint (or erase) along the segment p-q, in pixel (row, col) coordinates."""
        d = segment_distance(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64))
        if erase:
            np.minimum(self._image, 1.0 - brush(d, 1.5, 1.0), out=self._image)
        else:
            np.maximum(self._image, brush(d, 0.6, 1.1), out=self._image)
        self._changed()

    def _changed(self) -> None:
        self.invalidate()
        self.post_message(self.Changed(self, self.image))

    # -- geometry: the 28x28-pixel picture, square (a cell is 1x2 pixels), scaled and centred ---------
    def _geometry(self) -> tuple[float, int, int]:
        """(scale, x0, y0): cells per pixel column; a whole number when the 28x14 cells fit, else a fraction."""
        width, height = self.size
        s = min(width // SIDE, height // (SIDE // 2))
        if s >= 1:
            return s, (width - SIDE * s) // 2, (height - SIDE // 2 * s) // 2
        rows = max(1, min(height, width // 2))  # too small: shrink, but stay square
        cols = 2 * rows
        return cols / SIDE, (width - cols) // 2, (height - rows) // 2

    def _cells(self) -> tuple[int, int]:
        """(columns, rows) the picture takes."""
        s = self._geometry()[0]
        return max(1, round(SIDE * s)), max(1, round(SIDE // 2 * s))

    def _pixel(self, event: events.MouseEvent) -> np.ndarray | None:
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        s, x0, y0 = self._geometry()
        return np.array([(offset.y - y0 + 0.5) * 2 / s, (offset.x - x0 + 0.5) / s])

    # -- mouse -------------------------------------------------------------------------------------
    def on_mouse_down(self, event: events.MouseDown) -> None:
        p = self._pixel(event)
        if p is None or event.button not in (1, 3):
            return
        self._button, self._last = event.button, p
        self.cursor = np.clip(p, 0.5, SIDE - 0.5)
        self.capture_mouse()
        self.stroke(p, p, erase=event.button == 3)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if not self._button:
            return
        p = self._pixel(event)
        if p is None:
            return
        self.stroke(self._last, p, erase=self._button == 3)
        self._last, self.cursor = p, np.clip(p, 0.5, SIDE - 0.5)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._button:
            self.release_mouse()
        self._button, self._last = 0, None

    # -- keys --------------------------------------------------------------------------------------
    def action_move(self, drow: int, dcol: int) -> None:
        self.cursor = np.clip(self.cursor + (drow, dcol), 0.5, SIDE - 0.5)
        self.invalidate()

    def action_paint(self) -> None:
        self.stroke(self.cursor, self.cursor)

    def action_erase(self) -> None:
        self.stroke(self.cursor, self.cursor, erase=True)

    def action_clear(self) -> None:
        self.clear()

    def on_focus(self) -> None:
        self.invalidate()

    def on_blur(self) -> None:
        self.invalidate()

    # -- drawing -----------------------------------------------------------------------------------
    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        s, x0, y0 = self._geometry()
        cols, rows = self._cells()
        img = self._image
        if pal.ramp:  # one cell per two pixel rows: keep the brighter so thin strokes survive
            img = np.maximum(img[0::2], img[1::2])
        if s < 1:  # shrunk: keep the brightest pixel under each display pixel, so strokes survive
            img = _max_pool(img, rows if pal.ramp else 2 * rows, cols)
        scale = pal.gray
        rows_px = rows if pal.ramp else 2 * rows
        levels = colors.quantize(resample(img, rows_px, cols), (0.0, 1.0), scale.levels)
        if self.has_focus:
            levels = levels.copy()
            k = max(1, int(s))
            r = int(int(self.cursor[0]) * rows_px / SIDE)
            c = int(int(self.cursor[1]) * cols / SIDE)
            levels[r:r + k, c:c + k] = -1  # marked, replaced below
        marked = levels < 0
        canvas = CellCanvas(width, height, base)
        codes = level_codes(canvas, np.maximum(levels, 0), scale, pal)
        if marked.any():
            self._mark_cursor(canvas, codes, levels, marked, pal)
        canvas.paint(x0, y0, codes)
        if self.draws_images(pal):
            self._picture(canvas, x0, y0, cols, rows)
        return canvas.strips()

    def _picture(self, canvas: CellCanvas, x0: int, y0: int, cols: int, rows: int) -> None:
        """--graphics: the 28x28 drawing as one picture, each of its pixels a sharp square, the cursor's in red."""
        x, y = max(0, x0), max(0, y0)
        box = (x, y, min(cols, canvas.width - x), min(rows, canvas.height - y))
        if box[2] <= 0 or box[3] <= 0:
            return
        picture = pixels.TiledPicture(box, canvas.base.bgcolor, (SIDE, SIDE))
        picture.tile(x0 - x, y0 - y, cols, rows, self._image, (0.0, 1.0), pixels.pixel_palette().gray)
        if self.has_focus:  # the drawing pixel under the cursor, in the colour the cells mark it with
            r, c = (int(v) for v in self.cursor)
            picture.fill(x0 - x + c * cols / SIDE, y0 - y + r * rows / SIDE, cols / SIDE, rows / SIDE,
                         pixels.pixel_palette().diverging.colors[0])
        self.request_tiles(canvas, picture)

    def _mark_cursor(self, canvas: CellCanvas, codes, levels, marked, pal: Palette) -> None:
        hot = pal.diverging.colors[0]
        if pal.ramp:
            codes[marked] = canvas.code("X", Style(color=hot, bold=True, reverse=hot is None))
            return
        scale = pal.gray
        for r, c in zip(*np.nonzero(marked)):
            upper, lower = levels[r - r % 2, c], levels[r - r % 2 + 1, c]
            fg = hot if upper < 0 else scale.colors[upper]
            bg = hot if lower < 0 else scale.colors[lower]
            codes[r // 2, c] = canvas.code(pal.block, Style(color=fg, bgcolor=bg))
