"""Layers: one small class each, forward and backward side by side.

Every layer has

* ``forward(x, train=False) -> y``: also keeps ``y`` as ``layer.out`` so the UI can
  draw the latest outputs (hidden activations, feature maps).
* ``backward(grad_y) -> grad_x``: fills ``layer.grads`` (same keys as
  ``layer.params``) in place, using what the last ``forward`` saw.  It may
  overwrite ``grad_y``, and ``grad_x`` may be a work buffer the layer reuses on
  its next call: use it before then (a model does).  Fresh big arrays every
  step would cost page faults; ``layer.out`` is always a fresh array.
* ``params`` / ``grads``: ``dict[str, array]``.  Write them in place
  (``p[...] = v``): a :class:`~engine.model.Sequential` packs them into one flat
  buffer and the dict values are views into it.
* ``input_grad``: when False, ``backward`` skips the input gradient and returns
  ``None`` (the model sets it on its first parameter layer: nothing needs it).

Images are NCHW.  Arrays may have any memory layout: Conv2D hands out NCHW views
of batch-innermost memory (see :mod:`engine.im2col`), and the elementwise layers
and MaxPool2D keep whatever layout they are given.  dtype follows the
``dtype=`` argument (float32 by default; gradient checks use float64).
"""

from __future__ import annotations

import math

import numpy as np

from . import backend, blas, init as initializers
from .im2col import (col2im, col2im_planes, conv_rows, conv_rows_weight_grad, im2col, im2col_planes, out_size,
                     phase_views, phases_shape, shift_columns, to_chwn, weight_grad)


class Layer:
    """Base class: no parameters, identity shape."""

    decay: tuple[str, ...] = ("W",)  # parameters that L1/L2 regularisation applies to (weights, not biases)
    input_grad = True

    def __init__(self):
        self.params: dict = {}
        self.grads: dict = {}
        self.out = None
        self._work_bufs: dict = {}

    def _work(self, key: str, shape, dtype, like=None, zero: bool = False):
        """A scratch array kept between calls; ``like``: copy that array's memory layout.

        ``zero`` zeroes it when (re)allocated only: callers rely on parts they never write.
        """
        sig = (tuple(shape), dtype, None if like is None else like.strides)
        entry = self._work_bufs.get(key)
        if entry is None or entry[0] != sig:
            xp = backend.xp
            buf = xp.empty_like(like, dtype=dtype) if like is not None else xp.empty(shape, dtype=dtype)
            if zero:
                buf[...] = 0
            self._work_bufs[key] = entry = (sig, buf)
        return entry[1]

    @property
    def name(self) -> str:
        return type(self).__name__

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (JSON-able); weights are saved separately."""
        return {}

    def spec(self) -> dict:
        return {"type": self.name, **self.config()}

    def describe(self) -> str:
        """A short label for tables and diagrams, e.g. ``conv 5x5x8 pad2``."""
        return self.name.lower()

    def output_shape(self, shape: tuple) -> tuple:
        """Per-sample output shape for a per-sample input ``shape`` (no batch axis)."""
        return tuple(shape)

    def n_params(self) -> int:
        return sum(int(p.size) for p in self.params.values())

    def _new_params(self, w: np.ndarray, b: np.ndarray) -> None:
        xp = backend.xp
        self.params = {"W": xp.asarray(w), "b": xp.asarray(b)}
        self.grads = {k: xp.zeros_like(v) for k, v in self.params.items()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{self.name}({args})"


class Dense(Layer):
    """Fully connected: ``y = x @ W + b`` with ``W`` of shape (n_in, n_out)."""

    def __init__(self, n_in: int, n_out: int, init: str = "glorot", rng=None, dtype=np.float32):
        super().__init__()
        self.n_in, self.n_out, self.init = int(n_in), int(n_out), init
        self._new_params(*initializers.make(init, (n_in, n_out), n_in, n_out, rng, n_out, dtype))

    def config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "init": self.init}

    def describe(self):
        return f"dense {self.n_in}->{self.n_out}"

    def output_shape(self, shape):
        if tuple(shape) != (self.n_in,):
            raise ValueError(f"Dense({self.n_in}, {self.n_out}) got input shape {tuple(shape)}")
        return (self.n_out,)

    def forward(self, x, train=False):
        if x.dtype != self.params["W"].dtype:
            x = x.astype(self.params["W"].dtype)
        self.x = x
        y = backend.xp.dot(x, self.params["W"])  # dot: less call overhead than @ on tiny nets
        y += self.params["b"]
        self.out = y
        return y

    def backward(self, g):
        xp = backend.xp
        if g.dtype != self.x.dtype:
            g = g.astype(self.x.dtype)
        xp.dot(self.x.T, g, out=self.grads["W"])
        g.sum(axis=0, out=self.grads["b"])
        if self.input_grad:
            return xp.dot(g, self.params["W"].T)
        return None


class Conv2D(Layer):
    """2D convolution (cross-correlation) on NCHW input with a (out_ch, in_ch, kh, kw) kernel.

    Computed as matrix products in batch-innermost memory (see engine.im2col): with stride 1
    and several input channels as ``kh`` row products that read one shifted copy of the input
    in place; otherwise (stride > 1, or one input channel) as one product over full im2col
    columns.  The output is an NCHW view of ``(out_ch, Ho, Wo, N)`` memory.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel, stride: int = 1, padding: int = 0,
                 init: str = "he", rng=None, dtype=np.float32):
        super().__init__()
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
        self.in_ch, self.out_ch, self.kernel = int(in_ch), int(out_ch), (int(kh), int(kw))
        self.stride, self.padding, self.init = int(stride), int(padding), init
        self._cols = None
        if self.stride < 1 or self.padding < 0:
            raise ValueError("Conv2D needs stride >= 1 and padding >= 0")
        # Row products need the input gradient's padding k - 1 - p to be >= 0; one input channel: full columns.
        self._rows = self.stride == 1 and self.in_ch > 1 and self.padding < min(kh, kw)
        shape = (out_ch, in_ch, kh, kw)
        self._new_params(*initializers.make(init, shape, in_ch * kh * kw, out_ch * kh * kw, rng, out_ch, dtype))

    def config(self):
        return {"in_ch": self.in_ch, "out_ch": self.out_ch, "kernel": list(self.kernel),
                "stride": self.stride, "padding": self.padding, "init": self.init}

    def describe(self):
        (kh, kw), s, p = self.kernel, self.stride, self.padding
        return f"conv {kh}x{kw}x{self.out_ch}" + (f" stride{s}" if s != 1 else "") + (f" pad{p}" if p else "")

    def output_shape(self, shape):
        c, h, w = shape
        if c != self.in_ch:
            raise ValueError(f"Conv2D expects {self.in_ch} input channels, got shape {tuple(shape)}")
        (kh, kw), s, p = self.kernel, self.stride, self.padding
        return (self.out_ch, out_size(h, kh, s, p), out_size(w, kw, s, p))

    def _row_conv(self, key: str, x, w_all, ph: int, pw: int, out):
        """Stride-1 convolution of CHWN ``x`` padded by ``ph``/``pw`` with ``w_all`` (kh*O, C*kw) into ``out`` (O, L)."""
        c, h, w, n = x.shape
        kh, kw = self.kernel
        shape = (c, kw, h, w + 2 * pw - kw + 1, n)
        cols = shift_columns(x, kw, pw, out=self._work(key, shape, x.dtype, zero=True))
        prod = self._work(key + "_prod", (w_all.shape[0], h * shape[3] * n), x.dtype)
        return conv_rows(cols, w_all, out, prod, ph), cols

    def forward(self, x, train=False):
        xp, wt = backend.xp, self.params["W"]
        if x.dtype != wt.dtype:
            x = x.astype(wt.dtype)
        n, c, h, w = x.shape
        (kh, kw), s, p, o = self.kernel, self.stride, self.padding, self.out_ch
        ho, wo = out_size(h, kh, s, p), out_size(w, kw, s, p)
        y = xp.empty((o, ho, wo, n), dtype=x.dtype)  # layer.out is a fresh array
        if train or n <= self.EVAL_CHUNK:
            self._cols = self._forward(x, y.reshape(o, -1), "")
        else:  # evaluation of a big batch: equal chunks keep the columns in cache and the buffers one size
            size = -(-n // -(-n // self.EVAL_CHUNK))
            part = self._work("eval_out", (o, ho * wo * size), x.dtype)
            for a in range(0, n, size):
                b = min(a + size, n)
                chunk = part[:, : ho * wo * (b - a)]
                self._forward(x[a:b], chunk, "eval_")
                y[..., a:b] = chunk.reshape(o, ho, wo, b - a)
            self._cols = None  # nothing to differentiate
        self.out = y.transpose(3, 0, 1, 2)
        return self.out

    EVAL_CHUNK = 64  # samples per chunk when evaluating (train=False) bigger batches: measured best of 32..256

    def _forward(self, x, y, key: str):
        """``y (O, Ho*Wo*N) = conv(x) + b`` for NCHW ``x``; returns the columns backward needs."""
        wt = self.params["W"]
        n, c, h, w = x.shape
        (kh, kw), s, p, o = self.kernel, self.stride, self.padding, self.out_ch
        ho, wo = out_size(h, kh, s, p), out_size(w, kw, s, p)
        x = to_chwn(x, lambda shape: self._work(key + "chwn", shape, x.dtype))  # a view when x is our own output
        if self._rows:
            _, cols = self._row_conv(key + "rows", x, wt.transpose(2, 0, 1, 3).reshape(kh * o, c * kw), p, p, y)
        else:
            shape = (c, kh, kw, ho, wo, n)
            cols = im2col(x, kh, kw, s, p, ho, wo, out=self._work(key + "cols", shape, x.dtype, zero=True))
            blas.matmul(wt.reshape(o, -1), cols.reshape(-1, ho * wo * n), out=y)
        y += self.params["b"][:, None]
        self._in_shape = x.shape
        return cols

    def planes_ok(self, shape) -> bool:
        """Whether a training forward of NCHW ``shape`` can give its output window-major (:meth:`forward_planes`)."""
        _, _, h, w = shape
        (kh, kw), p = self.kernel, self.padding
        return (not self._rows and self.stride == 1 and out_size(h, kh, 1, p) % 2 == 0
                and out_size(w, kw, 1, p) % 2 == 0)

    def forward_planes(self, x):
        """Training forward with the output in window-major memory ``(O, 2, 2, Ho/2, Wo/2, N)``, for a 2x2 pool
        (engine.fusion; needs :meth:`planes_ok`).  ``out`` is left unset: nothing but the pool reads it."""
        xp, wt = backend.xp, self.params["W"]
        if x.dtype != wt.dtype:
            x = x.astype(wt.dtype)
        n, c, h, w = x.shape
        (kh, kw), p, o = self.kernel, self.padding, self.out_ch
        hb, wb = out_size(h, kh, 1, p) // 2, out_size(w, kw, 1, p) // 2
        x = to_chwn(x, lambda shape: self._work("chwn", shape, x.dtype))
        q = self._work("phases", phases_shape(c, h, w, n, p), x.dtype, zero=True)
        cols = im2col_planes(x, kh, kw, p, out=self._work("planes", (c, kh, kw, 2, 2, hb, wb, n), x.dtype, zero=True),
                             q=q, views=self._views_of("phases", q, hb, wb))
        y = xp.empty((o, 2, 2, hb, wb, n), dtype=x.dtype)
        blas.matmul(wt.reshape(o, -1), cols.reshape(c * kh * kw, -1), out=y.reshape(o, -1))
        y.reshape(o, -1)[...] += self.params["b"][:, None]
        self._cols, self._in_shape, self.out = cols, x.shape, None
        return y

    def _views_of(self, key: str, q, hb: int, wb: int) -> list:
        """engine.im2col.phase_views of the work buffer ``q``, kept with it (a strided view costs ~4 µs to make)."""
        entry = self._work_bufs.get(key + "_views")
        if entry is None or entry[0] is not q:
            self._work_bufs[key + "_views"] = entry = (q, phase_views(q, *self.kernel, hb, wb))
        return entry[1]

    def backward_planes(self, g):
        """:meth:`backward` for the output gradient in :meth:`forward_planes`' layout ``(O, 2, 2, Ho/2, Wo/2, N)``."""
        if self._cols is None or self._cols.ndim != 8:
            raise RuntimeError("Conv2D.backward_planes needs a forward_planes first")
        return self._backward_matrix(g.reshape(self.out_ch, -1))

    def backward(self, g):
        xp, o, cols = backend.xp, self.out_ch, self._cols
        if cols is None:
            raise RuntimeError("Conv2D.backward needs a forward first (each backward uses up its forward's columns)")
        if g.dtype != cols.dtype:
            g = g.astype(cols.dtype)
        g = g.transpose(1, 2, 3, 0)  # (O, Ho, Wo, N): free when g is in CHWN memory, like our output
        if not g.flags.c_contiguous:
            g = xp.ascontiguousarray(g)
        return self._backward_matrix(g.reshape(o, -1))

    def _backward_matrix(self, gm):
        """Gradients from ``gm`` (O, L), the output gradient in the columns' order; returns d loss / d x (NCHW view)."""
        o, cols, wt = self.out_ch, self._cols, self.params["W"]
        self._cols = None
        if gm.dtype != cols.dtype:
            gm = gm.astype(cols.dtype)
        g = gm.reshape(o, *self.output_shape(self._in_shape[:3])[1:], -1) if self._rows else None
        gm.sum(axis=1, out=self.grads["b"])
        (kh, kw), p = self.kernel, self.padding
        c, h, w, n = self._in_shape
        if self._rows:
            dw = conv_rows_weight_grad(gm, cols, self._work("g_t", gm.shape[::-1], gm.dtype),
                                       out=self._work("dw", (kh, c * kw, o), gm.dtype), ph=p)
            self.grads["W"][...] = dw.reshape(kh, c, kw, o).transpose(3, 1, 0, 2)
            if not self.input_grad:
                return None
            # d loss / d x: the output gradient convolved with the flipped kernel, in and out channels swapped
            w_flip = wt[:, :, ::-1, ::-1].transpose(2, 1, 0, 3).reshape(kh * c, o * kw)
            dx, _ = self._row_conv("grad_rows", g, w_flip, kh - 1 - p, kw - 1 - p,
                                   out=self._work("dx", (c, h * w * n), gm.dtype))
            return dx.reshape(c, h, w, n).transpose(3, 0, 1, 2)
        cm = cols.reshape(-1, gm.shape[1])
        dw = weight_grad(gm, cm, out=self._work("dw", cm.shape[:1] + gm.shape[:1], gm.dtype))
        self.grads["W"][...] = dw.T.reshape(self.grads["W"].shape)
        if not self.input_grad:
            return None
        # The columns are spent: their buffer takes d loss / d columns (one big buffer, not two, stays in cache),
        # so its padding entries are no longer zero: zero the buffer again for the next forward.
        blas.matmul(wt.reshape(o, -1).T, gm, out=cm)
        dx = self._work("dx", (c, h, w, n), cols.dtype)
        if cols.ndim == 8:  # window-major columns (forward_planes)
            q = self._work("dphases", phases_shape(c, h, w, n, p), cols.dtype)
            col2im_planes(cols, p, q, out=dx, views=self._views_of("dphases", q, *cols.shape[5:7]))
        else:
            col2im(cols, self.stride, p, out=dx)
        cols[...] = 0
        return dx.transpose(3, 0, 1, 2)


class MaxPool2D(Layer):
    """Max pooling over ``size`` x ``size`` windows (floor mode), stride defaults to ``size``.

    Backward routes each window's gradient to exactly ONE element, the first
    maximum in row-major order, even when several are tied (flat image
    backgrounds make exact ties common; sending it to all would inflate it).
    Forward keeps, per window element ``t``, one bool per window: "beat every
    earlier element" (strict, so ties stay with the earlier one); the maximum
    is the last element that did.
    """

    def __init__(self, size: int = 2, stride: int | None = None):
        super().__init__()
        self.size = int(size)
        self.stride = int(stride) if stride is not None else self.size

    def config(self):
        return {"size": self.size, "stride": self.stride}

    def describe(self):
        return f"maxpool {self.size}" + (f" stride{self.stride}" if self.stride != self.size else "")

    def output_shape(self, shape):
        c, h, w = shape
        k, s = self.size, self.stride
        return (c, (h - k) // s + 1, (w - k) // s + 1)

    def _views(self, a, ho, wo):
        """The k*k strided views of ``a``: view t holds element t (row-major) of every window."""
        k, s = self.size, self.stride
        return [a[:, :, i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s]
                for i in range(k) for j in range(k)]

    def forward(self, x, train=False):
        _, _, h, w = x.shape
        k, s = self.size, self.stride
        ho, wo = (h - k) // s + 1, (w - k) // s + 1
        best = self._pool(self._views(x, ho, wo))  # layer.out is a fresh array, in the input's memory layout
        self.x, self._hw, self._planes = x, (ho, wo), False
        return best

    def forward_planes(self, planes):
        """A 2x2, stride-2 pool of window-major input ``(C, 2, 2, Ho, Wo, N)`` (engine.fusion): the four
        elements of each window are four contiguous planes.  Returns the NCHW view of ``(C, Ho, Wo, N)`` memory."""
        if self.size != 2 or self.stride != 2:
            raise ValueError("forward_planes is for a 2x2 pool with stride 2")
        best = self._pool([planes[:, i, j] for i in range(2) for j in range(2)])
        self.x, self._planes = planes, True
        return best.transpose(3, 0, 1, 2)

    def _pool(self, views):
        """The max over ``views`` (the window elements in row-major order); keeps who won for backward."""
        xp = backend.xp
        if len(views) == 1:
            best, wins = views[0].copy(order="K"), [None]
        else:
            best = xp.maximum(views[0], views[1])
            wins = [None, xp.greater(views[1], views[0], out=self._work("win1", best.shape, xp.bool_, like=best))]
        for t in range(2, len(views)):
            wins.append(xp.greater(views[t], best, out=self._work(f"win{t}", best.shape, xp.bool_, like=best)))
            xp.maximum(best, views[t], out=best)
        self.wins = wins
        self.out = best
        return best

    def backward(self, g):
        if self._planes:
            raise RuntimeError("MaxPool2D.backward after forward_planes: use backward_planes")
        k, s = self.size, self.stride
        (ho, wo), x = self._hw, self.x
        dx = self._work("dx", x.shape, x.dtype, like=x)
        if not (s == k and ho * k == x.shape[2] and wo * k == x.shape[3]):
            dx[...] = 0  # some elements are in no window, or in several
        self._route(g, self._views(dx, ho, wo), overlap=s < k)
        return dx

    def backward_planes(self, g):
        """Backward of :meth:`forward_planes`: d loss / d input in the window-major layout."""
        planes = self.x
        dx = self._work("dx_planes", planes.shape, planes.dtype)
        self._route(g.transpose(1, 2, 3, 0), [dx[:, i, j] for i in range(2) for j in range(2)], overlap=False)
        return dx

    def _route(self, g, views, overlap: bool) -> None:
        """Each window's gradient to its first maximum: into ``views`` of d loss / d input."""
        xp, wins = backend.xp, self.wins
        # From the last element back: it got the gradient where it won; the rest goes to the earlier ones.
        rest = g  # backward may overwrite its argument
        for t in range(len(views) - 1, 0, -1):
            if not overlap:  # windows do not overlap: each element is written once
                xp.multiply(rest, wins[t], out=views[t])
                rest -= views[t]
            else:
                part = rest * wins[t]
                views[t] += part
                rest -= part
        if not overlap:
            views[0][...] = rest
        else:
            views[0] += rest


class Flatten(Layer):
    """(N, ...) -> (N, features), in C order of the logical NCHW axes."""

    def output_shape(self, shape):
        return (math.prod(shape),)

    def forward(self, x, train=False):
        self.x = x
        self.out = x.reshape(x.shape[0], -1)
        return self.out

    def backward(self, g):
        g = g.reshape(self.x.shape)
        if self.x.flags.c_contiguous:
            return g
        dx = self._work("dx", g.shape, g.dtype, like=self.x)
        dx[...] = g  # back to the input's memory layout: mixed layouts make later ops slow
        return dx


class Dropout(Layer):
    """Inverted dropout: in training zero each input with probability ``rate`` and scale
    the rest by 1/(1-rate), so evaluation is the identity.  Masks come from ``rng``."""

    def __init__(self, rate: float = 0.5, rng=None):
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.rng = initializers.as_rng(rng)
        self._device_rng = None
        self.mask = None

    def config(self):
        return {"rate": self.rate}

    def describe(self):
        return f"dropout {self.rate:g}"

    def _uniform(self, shape, dtype):
        xp = backend.xp
        if xp is np:
            return self.rng.random(shape, dtype=dtype)
        if self._device_rng is None:  # seeded once from the host generator
            self._device_rng = xp.random.default_rng(int(self.rng.integers(2**63)))
        return self._device_rng.random(shape, dtype=dtype)

    def forward(self, x, train=False):
        if not train or self.rate == 0.0:
            self.mask = None
            self.out = x
            return x
        keep = 1.0 - self.rate
        mask = self._uniform(x.shape, x.dtype) < keep
        self.mask = mask * x.dtype.type(1.0 / keep)
        self.out = x * self.mask
        return self.out

    def backward(self, g):
        if self.mask is not None:
            g *= self.mask
        return g


# --- activations: parameter-free elementwise layers ------------------------------


class Linear(Layer):
    """Identity activation (regression outputs, logits)."""

    def forward(self, x, train=False):
        self.out = x
        return x

    def backward(self, g):
        return g


class ReLU(Layer):
    def forward(self, x, train=False):
        self.out = backend.xp.maximum(x, 0)
        return self.out

    def backward(self, g):
        g *= self.out > 0
        return g


class Tanh(Layer):
    def forward(self, x, train=False):
        self.out = backend.xp.tanh(x)
        return self.out

    def backward(self, g):
        d = self.out * self.out
        backend.xp.subtract(1, d, out=d)
        g *= d
        return g


class Sigmoid(Layer):
    """Computed as 0.5 * tanh(x / 2) + 0.5: same function, no exp overflow."""

    def forward(self, x, train=False):
        xp = backend.xp
        y = xp.multiply(x, 0.5)
        xp.tanh(y, out=y)
        y *= 0.5
        y += 0.5
        self.out = y
        return y

    def backward(self, g):
        y = self.out
        d = 1 - y
        d *= y
        g *= d
        return g


class Step(Layer):
    """The perceptron's threshold: 1 where x > 0, else 0.

    Its true derivative is zero almost everywhere, so backward passes the
    gradient straight through. With squared error that turns gradient descent
    into Rosenblatt's rule, w += lr * (t - y) * x (averaged over the batch).
    """

    def forward(self, x, train=False):
        self.out = (x > 0).astype(x.dtype)
        return self.out

    def backward(self, g):
        return g


class LeakyReLU(Layer):
    """x where x > 0, else slope * x: negative inputs keep a small gradient, so units cannot die."""

    def __init__(self, slope: float = 0.01):
        super().__init__()
        self.slope = float(slope)

    def config(self):
        return {"slope": self.slope}

    def forward(self, x, train=False):
        self.x = x
        self.out = backend.xp.where(x > 0, x, x * self.slope)
        return self.out

    def backward(self, g):
        return backend.xp.where(self.x > 0, g, g * self.slope)


class ELU(Layer):
    """x where x > 0, else alpha * (exp(x) - 1): smooth at 0 (for alpha 1), saturating to -alpha."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(alpha)

    def config(self):
        return {"alpha": self.alpha}

    def forward(self, x, train=False):
        xp = backend.xp
        neg = xp.expm1(xp.minimum(x, 0))  # never exp of a large positive number
        neg *= self.alpha
        self.out = xp.where(x > 0, x, neg)
        return self.out

    def backward(self, g):
        y = self.out  # y > 0 exactly where x > 0; below, d/dx = alpha * exp(x) = y + alpha
        g *= backend.xp.where(y > 0, 1, y + self.alpha)
        return g


class Softplus(Layer):
    """log(1 + exp(x)), a smooth ReLU, as max(x, 0) + log1p(exp(-|x|)): no overflow for any x."""

    def forward(self, x, train=False):
        xp = backend.xp
        self.x = x
        y = xp.exp(-xp.abs(x))
        xp.log1p(y, out=y)
        y += xp.maximum(x, 0)
        self.out = y
        return y

    def backward(self, g):
        g *= _sigmoid(self.x)  # d softplus / dx
        return g


class SiLU(Layer):
    """x * sigmoid(x) (swish): smooth, non-monotonic just below 0."""

    def forward(self, x, train=False):
        self.x, self.s = x, _sigmoid(x)
        self.out = x * self.s
        return self.out

    def backward(self, g):
        s = self.s
        d = 1 - s  # d/dx = s + x s (1 - s) = s (1 + x (1 - s))
        d *= self.x
        d += 1
        d *= s
        g *= d
        return g


class GELU(Layer):
    """x * Phi(x), Phi the standard normal CDF: the exact (erf) GELU, not the tanh form.

    NumPy has no erf, so Phi(x) = erfc(-x / sqrt 2) / 2 uses Numerical Recipes'
    Chebyshev-fitted erfc (relative error < 1.2e-7 for every z >= 0, below float32
    resolution; also in the far negative tail, unlike Abramowitz-Stegun 7.1.26).
    backward is the exact derivative of that same function, not of the true GELU.
    """

    def forward(self, x, train=False):
        xp = backend.xp
        z = xp.abs(x)
        z *= _SQRT_HALF
        t = 1 / (1 + 0.5 * z)
        q = _horner(t, _ERFC_R)  # erfc(z) = t exp(R(t) - z^2)
        q -= z * z
        xp.exp(q, out=q)
        q *= 0.5 * t  # q = erfc(|x| / sqrt 2) / 2 = Phi(-|x|)
        phi = xp.where(x >= 0, 1 - q, q)
        self.x, self._z, self._t, self._q, self._phi = x, z, t, q, phi
        self.out = x * phi
        return self.out

    def backward(self, g):
        t, z = self._t, self._z
        # d erfc / dz = -erfc * (t/2 * (1 + t R'(t)) + 2z), from dt/dz = -t^2 / 2; Phi's derivative is
        # the same for both signs of x: dPhi/dx = q * (t/2 * (1 + t R'(t)) + 2z) / sqrt 2
        d = _horner(t, _ERFC_DR)
        d *= t
        d += 1
        d *= 0.5 * t
        d += 2 * z
        d *= self._q
        d *= _SQRT_HALF * self.x  # x Phi'(x)
        d += self._phi  # d/dx x Phi(x) = Phi + x Phi'
        g *= d
        return g


class GELUTanh(Layer):
    """The tanh approximation of GELU: x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (GPT-2, BERT)."""

    def forward(self, x, train=False):
        xp = backend.xp
        u = x * x
        u *= _GELU_CUBIC
        u += 1
        u *= _SQRT_2_OVER_PI * x
        self.x, self.th = x, xp.tanh(u)
        y = 1 + self.th
        y *= 0.5 * x
        self.out = y
        return y

    def backward(self, g):
        x, th = self.x, self.th
        du = x * x  # du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
        du *= 3 * _GELU_CUBIC
        du += 1
        du *= _SQRT_2_OVER_PI
        d = th * th  # dy/dx = (1 + th) / 2 + x/2 (1 - th^2) du/dx
        backend.xp.subtract(1, d, out=d)
        d *= du
        d *= x
        d += th
        d += 1
        d *= 0.5
        g *= d
        return g


class Sine(Layer):
    """sin(x): periodic units (SIREN-style) fit wiggly functions with few neurons."""

    def forward(self, x, train=False):
        self.x = x
        self.out = backend.xp.sin(x)
        return self.out

    def backward(self, g):
        g *= backend.xp.cos(self.x)
        return g


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715
# Numerical Recipes (2nd ed., 6.2) erfcc: erfc(z) = t exp(R(t) - z^2), t = 1/(1 + z/2), z >= 0;
# R's coefficients, lowest power first, and those of its derivative R'.
_ERFC_R = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
           0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)
_ERFC_DR = tuple(k * c for k, c in enumerate(_ERFC_R) if k)


def _horner(t, coeffs):
    """sum(c_k t^k) for ``coeffs`` lowest power first, in one new array of t's dtype."""
    r = t * coeffs[-1]
    for c in coeffs[-2:0:-1]:
        r += c
        r *= t
    r += coeffs[0]
    return r


def _sigmoid(x):
    """1 / (1 + exp(-x)) as (1 or e) / (1 + e), e = exp(-|x|): no overflow, accurate in both tails."""
    xp = backend.xp
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": Linear, "step": Step,
               "elu": ELU, "softplus": Softplus, "silu": SiLU, "gelu": GELU, "gelu_tanh": GELUTanh,
               "leaky_relu": LeakyReLU, "sine": Sine}
LAYERS = {cls.__name__: cls for cls in (Dense, Conv2D, MaxPool2D, Flatten, Dropout, *ACTIVATIONS.values())}


def activation(name: str) -> Layer:
    """A new activation layer by name (a key of ``ACTIVATIONS``), with its default settings."""
    try:
        return ACTIVATIONS[name.lower()]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}: use one of {', '.join(ACTIVATIONS)}") from None


def from_spec(spec: dict, rng=None, dtype=np.float32) -> Layer:
    """Rebuild a layer from :meth:`Layer.spec` (weights are set afterwards)."""
    spec = dict(spec)
    cls = LAYERS[spec.pop("type")]
    if cls in (Dense, Conv2D):
        spec["dtype"] = dtype
    if cls in (Dense, Conv2D, Dropout):
        spec["rng"] = rng
    return cls(**spec)
