"""A drawn digit made to look like MNIST's: the ink fitted into 20×20 and centred by mass."""

from __future__ import annotations

import numpy as np



def _resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize of a 2D array (sampling at pixel centres)."""
    def coords(n_out, n_in):
        x = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        i0 = np.floor(x).astype(np.intp)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, x - i0

    r0, r1, fr = coords(h, a.shape[0])
    c0, c1, fc = coords(w, a.shape[1])
    top = a[r0][:, c0] * (1 - fc) + a[r0][:, c1] * fc
    bottom = a[r1][:, c0] * (1 - fc) + a[r1][:, c1] * fc
    return top * (1 - fr[:, None]) + bottom * fr[:, None]


def center_digit(img: np.ndarray) -> np.ndarray:
    """Normalise a drawing the way MNIST was made: ink fitted into 20×20, centre of mass at the middle."""
    a = np.clip(np.asarray(img, dtype=np.float64), 0.0, 1.0)
    ink = a > 0.05
    if not ink.any():
        return np.zeros((28, 28), dtype=np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = 20.0 / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.clip(_resize(crop, h, w), 0.0, 1.0)
    total = small.sum()
    cy = (small.sum(axis=1) @ np.arange(h)) / total
    cx = (small.sum(axis=0) @ np.arange(w)) / total
    top, left = int(round(13.5 - cy)), int(round(13.5 - cx))
    top, left = min(max(top, 0), 28 - h), min(max(left, 0), 28 - w)
    out = np.zeros((28, 28), dtype=np.float32)
    out[top : top + h, left : left + w] = small
    return out
