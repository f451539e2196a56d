"""im2col / col2im for convolutions in a batch-innermost ("CHWN") memory layout.

Layers see NCHW arrays, but Conv2D keeps its data with the batch axis last in
memory: ``(C, H, W, N)``.  Then a row of a shifted window, ``x[c, y, j:j+Wo, :]``,
is one contiguous run of ``Wo * N`` numbers, so im2col and col2im are a loop of
``kh * kw`` big strided copies/adds (no ``add.at``, no per-pixel work), and the
convolution is ONE matrix product ``W (O, C*kh*kw) @ cols (C*kh*kw, Ho*Wo*N)``
whose result is already ``(O, Ho, Wo, N)``: the next layer gets it as an NCHW
*view* (``transpose(3, 0, 1, 2)``), so no transposes are copied between layers.
Only slicing and basic ufuncs are used, so the same code runs under CuPy.
"""

from __future__ import annotations

from . import backend


def out_size(size: int, k: int, stride: int, pad: int) -> int:
    """Output length along one axis (floor mode)."""
    return (size + 2 * pad - k) // stride + 1


def _window(i: int, n_out: int, stride: int) -> slice:
    return slice(i, i + stride * (n_out - 1) + 1, stride)


def pad_chwn(x, pad: int, out=None):
    """A zero-padded ``(C, H+2p, W+2p, N)`` copy of NCHW ``x`` (any memory layout).

    ``out``: a buffer of that shape whose border is already zero (only the interior is written).
    """
    n, c, h, w = x.shape
    if out is None:
        out = backend.xp.zeros((c, h + 2 * pad, w + 2 * pad, n), dtype=x.dtype)
    out[:, pad : pad + h, pad : pad + w, :] = x.transpose(1, 2, 3, 0)
    return out


def im2col(xpad, kh: int, kw: int, stride: int, ho: int, wo: int, out=None):
    """Columns ``(C, kh, kw, Ho, Wo, N)`` of a padded CHWN image: one strided copy per kernel offset.

    ``out``: a buffer of that shape to fill (reusing one saves page faults on big batches).
    """
    c, _, _, n = xpad.shape
    cols = backend.xp.empty((c, kh, kw, ho, wo, n), dtype=xpad.dtype) if out is None else out
    for i in range(kh):
        rows = _window(i, ho, stride)
        for j in range(kw):
            cols[:, i, j] = xpad[:, rows, _window(j, wo, stride), :]
    return cols


def col2im(dcols, stride: int, out):
    """Adjoint of :func:`im2col`: sums ``(C, kh, kw, Ho, Wo, N)`` into ``out``, a padded CHWN image."""
    _, kh, kw, ho, wo, _ = dcols.shape
    dx = out
    dx[...] = 0
    for i in range(kh):
        rows = _window(i, ho, stride)
        for j in range(kw):
            dx[:, rows, _window(j, wo, stride), :] += dcols[:, i, j]
    return dx
