"""Escape sequences that put an RGB image on a terminal: the kitty graphics protocol and DEC sixel.

Pure functions of NumPy arrays (no terminal, no Textual), so tests can decode
what they emit. The PNG for kitty is written here with ``zlib`` (rows
"Up"-filtered, which suits smooth heatmaps), so no imaging library is needed.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

__all__ = ["CHUNK", "kitty_delete", "kitty_image", "png", "sixel_image"]

CHUNK = 4096  # base64 characters per kitty escape, the protocol's limit
KITTY_Z = -1  # under text: glyphs drawn in those cells (markers, labels) stay readable over the image
KITTY_Z_ALONE = 1  # above text, for a picture with no text over it (see kitty_image)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of ``rgb`` (h, w, 3), every row Up-filtered."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    up = rgb.copy()
    up[1:] = rgb[1:] - rgb[:-1]  # uint8 arithmetic wraps mod 256, as the filter wants
    scan = np.empty((h, 1 + 3 * w), np.uint8)
    scan[:, 0] = 2  # filter type Up
    scan[:, 1:] = up.reshape(h, 3 * w)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(scan.tobytes(), 6)) + _png_chunk(b"IEND", b""))


def kitty_image(rgb: np.ndarray, cols: int, rows: int, image_id: int, placement: int = 1, z: int = KITTY_Z) -> str:
    """Transmit ``rgb`` as image ``image_id`` and place it at the cursor, scaled to cols x rows cells.

    The cursor does not move (C=1) and the terminal sends no reply (q=2), so
    nothing lands in the app's input. Re-sending the same id and placement
    replaces the old picture instead of stacking another. ``z`` < 0 puts it under
    the text (between the cells' backgrounds and their glyphs); a picture with no
    text over it goes above (``KITTY_Z_ALONE``), the layer every kitty draws the
    same (kitty 0.26 on a software renderer tints every cell's background while a
    picture under text is up).
    """
    data = base64.standard_b64encode(png(rgb)).decode("ascii")
    head = f"a=T,f=100,i={image_id},p={placement},c={cols},r={rows},C=1,z={z},q=2"
    parts = [data[k:k + CHUNK] for k in range(0, len(data), CHUNK)] or [""]
    out = []
    for k, part in enumerate(parts):
        more = int(k < len(parts) - 1)
        out.append(f"\x1b_G{head if k == 0 else ''}{',' if k == 0 else ''}m={more};{part}\x1b\\")
    return "".join(out)


def kitty_delete(image_id: int, keep_data: bool = False) -> str:
    """Delete the placements of image ``image_id`` and, unless ``keep_data``, its data (uppercase I)."""
    return f"\x1b_Ga=d,d={'i' if keep_data else 'I'},i={image_id},q=2\x1b\\"


def _runs(chars: np.ndarray) -> str:
    """Sixel characters with runs of more than three written ``!n`` + character."""
    w = len(chars)
    change = np.empty(w, bool)
    change[0] = True
    np.not_equal(chars[1:], chars[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    lengths = np.diff(starts, append=w)
    out = []
    for s, n in zip(starts.tolist(), lengths.tolist()):
        ch = chr(int(chars[s]))
        out.append(f"!{n}{ch}" if n > 3 else ch * n)
    return "".join(out)


def sixel_image(index: np.ndarray, palette: np.ndarray) -> str:
    """A DEC sixel image of palette indices ``index`` (h, w) over ``palette`` (n, 3) RGB 0-255.

    Each band of six pixel rows is written colour by colour (``#c`` then the
    band's bit columns, ``$`` back to its start, ``-`` to the next band), runs
    compressed; ``"1;1;w;h`` fixes the raster size so the terminal reserves it.
    """
    index = np.asarray(index, dtype=np.intp)
    h, w = index.shape
    pal = np.asarray(palette, dtype=np.float64).reshape(-1, 3)
    used, index = np.unique(index, return_inverse=True)  # registers 0..k-1: terminals have few of them
    index = index.reshape(h, w)
    head = [f'\x1bP0;1;0q"1;1;{w};{h}']
    for c, u in enumerate(used.tolist()):
        r, g, b = (round(v * 100 / 255) for v in pal[u])
        head.append(f"#{c};2;{r};{g};{b}")
    bands = []
    weights = (1 << np.arange(6)).reshape(6, 1)
    for top in range(0, h, 6):
        band = index[top:top + 6]
        rows = band.shape[0]
        lines = []
        for c in np.unique(band).tolist():
            bits = ((band == c) * weights[:rows]).sum(axis=0)
            lines.append(f"#{c}" + _runs(bits + 63))
        bands.append("$".join(lines))
    return "".join(head) + "-".join(bands) + "\x1b\\"
