"""Convolution as matrix products, in a batch-innermost ("CHWN") memory layout.

Layers see NCHW arrays, but Conv2D keeps its data with the batch axis last in
memory: ``(C, H, W, N)``.  Then a row of a shifted window, ``x[c, y, j:j+Wo, :]``,
is one contiguous run of ``Wo * N`` numbers, every copy below is a few big strided
copies (no ``add.at``, no per-pixel work), and a product with the output channels
first, ``(O, ...) @ (..., Ho*Wo*N)``, is already ``(O, Ho, Wo, N)``: the next layer
gets it as an NCHW *view* (``transpose(3, 0, 1, 2)``), so no transposes are copied
between layers.  Two ways to get there:

* **Row products** (stride 1, the usual case): :func:`shift_columns` copies the input
  ``kw`` times, shifted by each kernel column: ``X[c, j, h, x, n] = xpad[c, h, x+j, n]``
  (padded along x only).  For kernel row ``i`` the columns a GEMM needs, ``X[(c, j), (y+i-ph, x, n)]``,
  are then ONE contiguous range of each of the ``C*kw`` rows of ``X``: an ordinary strided
  matrix that BLAS reads in place.  :func:`conv_rows` makes all ``kh`` products in one GEMM
  and adds each to the output rows where its kernel row sees the image (rows of padding are
  neither stored nor multiplied).  ``X`` is ``kh`` times smaller than the full columns, so it
  stays in cache, and the input gradient is the same routine run on the output gradient
  with the kernel flipped: no col2im at all.
* **Full columns** (any stride): :func:`im2col` builds ``(C, kh, kw, Ho, Wo, N)`` with one
  strided copy per kernel offset for ONE product, and :func:`col2im` is its adjoint.  With a
  single input channel these columns are small (``kh*kw`` rows) and one product with
  ``K = kh*kw`` beats ``kh`` thin ones, so the first layer of an image net uses them.

Copies write only the part of a buffer that has data; the zero border of a padded
buffer is written once, when it is allocated (``zero=True`` work buffers).  Only slicing,
basic ufuncs and ``matmul`` are used, so the same code runs under CuPy.
"""

from __future__ import annotations

from . import backend, blas


def out_size(size: int, k: int, stride: int, pad: int) -> int:
    """Output length along one axis (floor mode)."""
    return (size + 2 * pad - k) // stride + 1


def _window(i: int, n_out: int, stride: int) -> slice:
    return slice(i, i + stride * (n_out - 1) + 1, stride)


def _valid(offset: int, n_out: int, stride: int, size: int) -> tuple[int, int]:
    """Output positions ``[lo, hi)`` whose input position ``o * stride + offset`` lies in ``[0, size)``."""
    lo = max(0, (stride - 1 - offset) // stride)
    hi = min(n_out, (size - offset + stride - 1) // stride)
    return lo, max(lo, hi)


def to_chwn(x, buffer):
    """``x`` (NCHW, any memory layout) as ``(C, H, W, N)`` memory: a view when it already is, else a copy
    into ``buffer(shape)`` (called only then)."""
    chwn = x.transpose(1, 2, 3, 0)
    if chwn.flags.c_contiguous:
        return chwn
    out = buffer(chwn.shape)
    out[...] = chwn
    return out


# ---------------------------------------------------------------- row products (stride 1)


def shift_columns(x, kw: int, pw: int, out):
    """``out[c, j, h, x, n] = xpad[c, h, x + j, n]``: ``x`` (CHWN) padded by ``pw`` columns, shifted by each kernel column.

    ``out`` has shape ``(C, kw, H, W + 2pw - kw + 1, N)``; only the parts with data are written
    (the rest is padding: zero it once, when the buffer is made).  Rows are not padded: the
    products skip the rows a kernel row would see as padding (see :func:`row_range`).
    """
    _, h, w, _ = x.shape
    wo = out.shape[3]
    for j in range(kw):
        lo, hi = _valid(j - pw, wo, 1, w)
        out[:, j, :, lo:hi] = x[:, :, lo + j - pw : hi + j - pw]
    return out


def row_range(i: int, ph: int, h: int, ho: int) -> tuple[int, int]:
    """Output rows ``[y0, y1)`` that kernel row ``i`` sees inside the image (input row ``y + i - ph``)."""
    return max(0, ph - i), max(max(0, ph - i), min(ho, h + ph - i))


def conv_rows(cols, w_all, out, prod, ph: int):
    """``out (O, Ho*Wo*N) = sum_i (w_all[i*O:(i+1)*O] @ cols)`` shifted by ``i - ph`` rows: a stride-1 convolution as ONE GEMM.

    ``cols``: :func:`shift_columns` output ``(C, kw, H, Wo, N)``; ``w_all``: ``(kh*O, C*kw)``, the
    kernel as ``W.transpose(2, 0, 1, 3)``; ``prod``: scratch ``(kh*O, H*Wo*N)``; ``ph``: the
    vertical padding, which is never stored: kernel row ``i``'s product is added only to the
    output rows where it sees the image, so no multiply meets a padding zero.  The product of
    every kernel row with all rows of ``cols`` is one GEMM with ``kh`` times more output rows
    (``kh`` thin GEMMs run at half the speed, a third with 2 threads); then ``kh - 1`` adds.
    """
    xp = backend.xp
    c, kw, h, wo, n = cols.shape
    o = out.shape[0]
    kh = w_all.shape[0] // o
    row = wo * n
    ho = out.shape[1] // row
    blas.matmul(w_all, cols.reshape(c * kw, h * row), out=prod)
    parts = prod.reshape(kh, o, h * row)

    def part(i, y0, y1):  # kernel row i's contribution to output rows [y0, y1)
        return parts[i, :, (y0 + i - ph) * row : (y1 + i - ph) * row]

    spans = [(i, *row_range(i, ph, h, ho)) for i in range(kh)]
    spans = [s for s in spans if s[2] > s[1]]
    full = [s for s in spans if s[1:] == (0, ho)]
    if not full:  # some output rows see no image row (padding >= half the kernel): start from zeros
        out[...] = 0
        rest = spans
    else:
        first = full[0]
        rest = [s for s in spans if s is not first]
        if rest:  # the first add writes ``out`` too: one pass fewer than copying first
            i, y0, y1 = rest.pop(0)
            xp.add(part(first[0], y0, y1), part(i, y0, y1), out=out[:, y0 * row : y1 * row])
            out[:, : y0 * row] = part(first[0], 0, y0)
            out[:, y1 * row :] = part(first[0], y1, ho)
        else:
            out[...] = part(first[0], 0, ho)
    for i, y0, y1 in rest:
        out[:, y0 * row : y1 * row] += part(i, y0, y1)
    return out


def conv_rows_weight_grad(g, cols, g_t, out, ph: int):
    """``out[i] (C*kw, O) = (the rows of cols kernel row i saw) @ g.T``: the kernel gradient of :func:`conv_rows`, transposed.

    ``g``: ``(O, Ho*Wo*N)``; ``g_t``: scratch ``(Ho*Wo*N, O)`` that takes a contiguous copy of
    ``g.T`` (the product with it runs about 2x faster than ``g @ rows.T``, which has a long
    reduction over a tiny output).
    """
    c, kw, h, wo, n = cols.shape
    kh = out.shape[0]
    row = wo * n
    ho = g.shape[1] // row
    flat = cols.reshape(c * kw, h * row)
    g_t[...] = g.T
    for i in range(kh):
        y0, y1 = row_range(i, ph, h, ho)
        if y1 > y0:
            blas.matmul_sum(flat[:, (y0 + i - ph) * row : (y1 + i - ph) * row], g_t[y0 * row : y1 * row], out=out[i])
        else:
            out[i] = 0
    return out


def weight_grad(g, cols, out):
    """``out (K, O) = cols (K, L) @ g.T`` for ``g (O, L)``: a reduction over all ``L`` into a tiny ``out``,
    cut into blocks where BLAS has a faster path for small products (engine.blas)."""
    return blas.matmul_sum(cols, g.T, out=out)


# ---------------------------------------------------------------- full columns (any stride)


def im2col(x, kh: int, kw: int, stride: int, pad: int, ho: int, wo: int, out):
    """Columns ``(C, kh, kw, Ho, Wo, N)`` of a CHWN image ``x`` padded by ``pad``: one strided copy per kernel offset.

    Only the entries that see the image are written; the ones that see padding are zero
    from the buffer's allocation (``out``: a zeroed buffer, reused between calls).
    """
    _, h, w, _ = x.shape
    for i in range(kh):
        y0, y1 = _valid(i - pad, ho, stride, h)
        rows = _window(y0 * stride + i - pad, y1 - y0, stride)
        for j in range(kw):
            x0, x1 = _valid(j - pad, wo, stride, w)
            if y1 > y0 and x1 > x0:
                out[:, i, j, y0:y1, x0:x1] = x[:, rows, _window(x0 * stride + j - pad, x1 - x0, stride)]
    return out


def col2im(dcols, stride: int, pad: int, out):
    """Adjoint of :func:`im2col`: sums ``(C, kh, kw, Ho, Wo, N)`` into ``out``, an unpadded CHWN image."""
    _, kh, kw, ho, wo, _ = dcols.shape
    _, h, w, _ = out.shape
    out[...] = 0  # image-sized, not column-sized; padding positions are never touched
    for i in range(kh):
        y0, y1 = _valid(i - pad, ho, stride, h)
        rows = _window(y0 * stride + i - pad, y1 - y0, stride)
        for j in range(kw):
            x0, x1 = _valid(j - pad, wo, stride, w)
            if y1 > y0 and x1 > x0:
                out[:, rows, _window(x0 * stride + j - pad, x1 - x0, stride)] += dcols[:, i, j, y0:y1, x0:x1]
    return out


# ---------------------------------------------------------------- window-major columns (a 2x2 pool next)


def _phase_spans(size: int, pad: int, a: int) -> tuple[int, int, int]:
    """For phase ``a`` (padded positions ``2u + a``): first ``u`` inside the image, first image index, count."""
    u0 = (pad - a + 1) // 2
    first = 2 * u0 + a - pad
    return u0, first, len(range(first, size, 2))


def _phases(h: int, w: int, pad: int):
    """``(q index, image index)`` for each parity ``(a, b)``: where in the phases, and from which pixels of the
    unpadded CHWN image, phase ``(a, b)`` of the padded image holds data."""
    for a in range(2):
        u0, r, nr = _phase_spans(h, pad, a)
        for b in range(2):
            v0, s, ns = _phase_spans(w, pad, b)
            yield (slice(None), a, b, slice(u0, u0 + nr), slice(v0, v0 + ns)), (slice(None), slice(r, None, 2),
                                                                                 slice(s, None, 2))


def _phase_view(q, i: int, j: int, hb: int, wb: int):
    """``v[c, di, dj, y, x, n] = xpad[c, 2y + di + i, 2x + dj + j, n]`` as a strided view of the phases ``q``.

    Moving ``di`` by one steps to the other row phase, and for an odd ``i`` also one row on: both
    are fixed strides, so each kernel offset is ONE strided view (and one copy), not four.
    """
    sc, sa, sb, su, sv, sn = q.strides
    s_di = sa if i % 2 == 0 else su - sa
    s_dj = sb if j % 2 == 0 else sv - sb
    base = q[:, i % 2, j % 2, i // 2 :, j // 2 :]
    return backend.xp.lib.stride_tricks.as_strided(base, shape=(q.shape[0], 2, 2, hb, wb, q.shape[5]),
                                                   strides=(sc, s_di, s_dj, su, sv, sn))


def phases_shape(c: int, h: int, w: int, n: int, pad: int) -> tuple:
    return (c, 2, 2, (h + 2 * pad + 1) // 2, (w + 2 * pad + 1) // 2, n)


def phase_views(q, kh: int, kw: int, hb: int, wb: int) -> list:
    """The ``kh * kw`` strided views of the phases ``q`` that :func:`im2col_planes` copies (make them once per buffer)."""
    return [_phase_view(q, i, j, hb, wb) for i in range(kh) for j in range(kw)]


def im2col_planes(x, kh: int, kw: int, pad: int, out, q, views=None):
    """Stride-1 columns of CHWN ``x`` in window-major order: ``out[c, i, j, di, dj, y, x, n] = xpad[c, 2y+di+i, 2x+dj+j, n]``.

    A product with them gives the output as ``(O, 2, 2, Ho/2, Wo/2, N)``: the four elements of
    every 2x2 pooling window in four contiguous planes, which a pool reads and writes far faster
    than four strided views (engine.fusion).  ``q``: a zeroed buffer of :func:`phases_shape` that
    takes the padded input split into its four (row, column) parities; each kernel offset is then
    one copy with long contiguous runs.  Only the parts with data are written (``q``'s border
    stays zero), so both buffers are zeroed once, when made.  ``views``: :func:`phase_views` of ``q``.
    """
    c, h, w, n = x.shape
    _, _, _, _, _, hb, wb, _ = out.shape
    for in_q, in_x in _phases(h, w, pad):
        q[in_q] = x[in_x]
    views = phase_views(q, kh, kw, hb, wb) if views is None else views
    flat = out.reshape(c, kh * kw, *out.shape[3:])
    for t, view in enumerate(views):
        flat[:, t] = view
    return out


def col2im_planes(dcols, pad: int, q, out, views=None):
    """Adjoint of :func:`im2col_planes`: sums ``dcols`` into ``out``, an unpadded CHWN image (``q``: scratch phases)."""
    c, kh, kw, _, _, hb, wb, _ = dcols.shape
    _, h, w, _ = out.shape
    q[...] = 0
    views = phase_views(q, kh, kw, hb, wb) if views is None else views
    flat = dcols.reshape(c, kh * kw, *dcols.shape[3:])
    for t, view in enumerate(views):
        view += flat[:, t]
    for in_q, in_x in _phases(h, w, pad):
        out[in_x] = q[in_q]
    return out
