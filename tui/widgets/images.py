"""A grid of small images (digits, conv filters, first-layer weights) with a caption under each."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rich.style import Style
from textual.strip import Strip

from tui import colors
from tui.colors import Palette
from tui.widgets import pixels
from tui.widgets.fieldview import CellCanvas, RasterWidget, elide, level_codes, pixel_rows, placeholder, resample

SCALES = (6, 5, 4, 3, 2, 1, 1 / 2, 1 / 3, 1 / 4)
MAX_TILE_W = 32  # do not blow a 5x5 filter up past this many columns
MAX_CAPTION_W = 20


@dataclass
class ImageItem:
    """``image`` is 2D: grayscale in 0..1, or any real values when ``diverging`` (coloured around 0)."""

    image: np.ndarray
    caption: str = ""
    ok: bool | None = None  # caption green when True, red when False
    diverging: bool = False


def as_image(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        side = math.isqrt(a.size)
        return a.reshape(side, side) if side * side == a.size and side else a.reshape(1, -1)
    if a.ndim == 0:
        return a.reshape(1, 1)
    return a.reshape(a.shape[-2], a.shape[-1]) if a.ndim == 2 else a.reshape(a.shape[0], -1)


@dataclass
class Tiling:
    img_w: int  # columns per image
    img_h: int  # cell rows per image
    col_w: int  # columns per grid column (image or caption, whichever is wider)
    cols: int
    tile_h: int  # rows per grid row, caption included


def choose_tiling(n: int, shape: tuple[int, int], caption_w: int, width: int, height: int) -> Tiling:
    """The biggest scale at which every image fits; the smallest one if none does."""
    h, w = shape
    cap_rows = 1 if caption_w else 0
    tiling = None
    for s in SCALES:
        img_w = max(1, round(w * s))
        if img_w > MAX_TILE_W and s > 1:
            continue
        img_h = max(1, math.ceil(h * s / 2))  # a cell is two pixels tall
        col_w = max(img_w, min(caption_w, MAX_CAPTION_W))
        cols = max(1, (width + 1) // (col_w + 1))
        tile_h = img_h + cap_rows + (0 if cap_rows else 1)  # captions double as separators
        tiling = Tiling(img_w, img_h, col_w, cols, tile_h)
        if col_w <= width and math.ceil(n / cols) * tile_h - (0 if cap_rows else 1) <= height:
            break
    return tiling


class ImageGrid(RasterWidget):
    """Small images in a grid, each with an optional caption line."""

    DEFAULT_CSS = """
    ImageGrid { width: 1fr; height: 1fr; }
    """

    def __init__(self, placeholder: str = "no images yet", **kwargs):
        super().__init__(**kwargs)
        self.placeholder = placeholder
        self.items: list[ImageItem] = []

    def update_images(self, items: Iterable[ImageItem] | None) -> None:
        self.items = [it for it in (items or []) if np.asarray(it.image).size]
        self.invalidate()

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        if not self.items:
            return placeholder(width, height, self.placeholder, base)
        images = [as_image(it.image) for it in self.items]
        shape = (max(im.shape[0] for im in images), max(im.shape[1] for im in images))
        caption_w = max(len(it.caption) for it in self.items)
        t = choose_tiling(len(images), shape, caption_w, width, height)
        canvas = CellCanvas(width, height, base)
        rows_px = pixel_rows(t.img_h, pal)
        for k, (item, im) in enumerate(zip(self.items, images)):
            gx, gy = k % t.cols, k // t.cols
            x, y = gx * (t.col_w + 1), gy * t.tile_h
            if y >= height:
                break
            if item.diverging:
                scale, vrange = pal.diverging, colors.symmetric_range(im)
            else:
                scale, vrange = pal.gray, (0.0, 1.0)
            levels = colors.quantize(resample(im, rows_px, t.img_w), vrange, scale.levels)
            canvas.paint(x + (t.col_w - t.img_w) // 2, y, level_codes(canvas, levels, scale, pal))
            if item.caption:
                style = pal.text if item.ok is None else pal.ok if item.ok else pal.bad
                canvas.text(x, y + t.img_h, elide(item.caption, t.col_w, pal.ascii), style)
        if self.draws_images(pal):
            self._pictures(canvas, t, images, shape)
        return canvas.strips()

    def _pictures(self, canvas: CellCanvas, t: Tiling, images: list[np.ndarray], shape: tuple[int, int]) -> None:
        """--graphics: each row of the grid as one picture (its captions stay text, on the row under it)."""
        ppal = pixels.pixel_palette()
        for first in range(0, len(images), t.cols):
            y = first // t.cols * t.tile_h
            if y >= canvas.height:
                break
            n = min(t.cols, len(images) - first)
            cols = min(canvas.width, n * (t.col_w + 1) - 1)
            box = (0, y, cols, min(t.img_h, canvas.height - y))
            need = (shape[1] * cols // t.img_w, shape[0] * box[3] // t.img_h)  # every image keeps its own pixels
            picture = pixels.TiledPicture(box, canvas.base.bgcolor, need)
            for k in range(first, first + n):
                item, im = self.items[k], images[k]
                if item.diverging:
                    scale, vrange = ppal.diverging, colors.symmetric_range(im)
                else:
                    scale, vrange = ppal.gray, (0.0, 1.0)
                x = (k - first) * (t.col_w + 1) + (t.col_w - t.img_w) // 2
                picture.tile(x, 0, t.img_w, t.img_h, im, vrange, scale)
            self.request_tiles(canvas, picture)
