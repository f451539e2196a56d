"""Losses: ``forward(output, target)`` -> the mean loss over the batch, then ``backward() -> d loss / d output``.

``forward`` returns a float64 scalar that stays on the device, so a trainer can
collect a chunk's losses without a device->host sync per step: a Python float
on the CPU (the host is the device: as before) and a 0-d float64 CuPy array on
the GPU.  ``float()`` reads either.

``get_loss(name)`` with ``mse`` (squared error, the Playground's), ``softmax_ce``
(softmax + cross-entropy fused, on logits), ``bce`` (binary cross-entropy on
probabilities) and ``bce_logits`` (sigmoid + BCE fused, on logits).
Targets for ``softmax_ce`` may be integer class labels (N,) or rows of
probabilities (N, K).  A single-output target of shape (N,) is read as (N, 1).
"""

from __future__ import annotations

import numpy as np

from . import backend


def softmax(x, axis: int = -1):
    """Row-wise softmax (for display: the losses fuse it with cross-entropy)."""
    xp = backend.xp
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _like(target, output):
    """A float target with the output's shape (so (N,) works for one output)."""
    t = target if target.dtype == output.dtype else target.astype(output.dtype)
    return t.reshape(output.shape)


def _mean(total, n: int, scale: float = 1.0):
    """``scale * total / n`` in float64 where ``total`` lives: a float on the CPU, else a 0-d array."""
    if backend.xp is np:
        return scale * float(total) / n  # free on the CPU; a NumPy scalar's astype costs ~10x more
    return _device_mean(total, n, scale)


def _device_mean(total, n: int, scale: float = 1.0):
    """The GPU path of :func:`_mean`: no sync, same rounding as the float path."""
    return scale * total.astype(backend.xp.float64) / n


class Loss:
    name = ""

    def forward(self, output, target):
        """The mean loss as a float64 scalar on the device (see the module docstring)."""
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError


class MSE(Loss):
    """0.5 * (o - t)^2 summed over outputs, averaged over the batch."""

    name = "mse"

    def forward(self, output, target):
        d = output - _like(target, output)
        self.diff, self.n = d, output.shape[0]
        return _mean(backend.xp.vdot(d.ravel(), d.ravel()), self.n, 0.5)

    def backward(self):
        return self.diff * (1.0 / self.n)


class SoftmaxCrossEntropy(Loss):
    """-log softmax(z)[label] averaged over the batch, from logits with a stable log-sum-exp."""

    name = "softmax_ce"

    def forward(self, output, target):
        xp = backend.xp
        n = output.shape[0]
        shifted = output - output.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        self.p = e / s
        logp = shifted - xp.log(s)
        if target.ndim == 1:  # integer class labels
            labels = target.astype(xp.int64, copy=False)
            self.labels, self.t = labels, None
            picked = logp[xp.arange(n), labels]
            total = picked.sum()
        else:
            self.labels, self.t = None, _like(target, output)
            total = xp.vdot(self.t.ravel(), logp.ravel())
        self.n = n
        return _mean(total, n, -1.0)

    def backward(self):
        g = self.p.copy()
        if self.labels is not None:
            g[backend.xp.arange(self.n), self.labels] -= 1
        else:
            g -= self.t
        g *= 1.0 / self.n
        return g


class BinaryCrossEntropy(Loss):
    """-[t log p + (1-t) log(1-p)] on probabilities p, clipped to [eps, 1-eps] so it stays finite.

    Summed over outputs, averaged over the batch.  d loss / d p uses the clipped p, so
    it stays finite; but once a float32 sigmoid has rounded to exactly 0 or 1 (|z| >
    about 17) its own derivative p(1-p) is 0 and a confidently wrong output stops
    learning.  Prefer ``bce_logits`` on the logits (see tests/test_losses.py).
    """

    name = "bce"

    def __init__(self, eps: float = 1e-7):
        self.eps = eps

    def forward(self, output, target):
        xp = backend.xp
        p = xp.clip(output, self.eps, 1 - self.eps)
        t = _like(target, output)
        self.p, self.t, self.n = p, t, output.shape[0]
        total = xp.vdot(t.ravel(), xp.log(p).ravel()) + xp.vdot((1 - t).ravel(), xp.log1p(-p).ravel())
        return _mean(total, self.n, -1.0)

    def backward(self):
        p = self.p
        return (p - self.t) / (p * (1 - p) * self.n)


class BCEWithLogits(Loss):
    """Sigmoid + binary cross-entropy fused, on logits z: softplus(z) - t z.

    softplus in its log-sum-exp form, max(z, 0) + log1p(exp(-|z|)), never exponentiates
    a positive number, so any finite z (1e4 in float32 included) gives a finite loss
    without overflow warnings, and the gradient sigmoid(z) - t stays +-1/n when a
    logit is confidently wrong instead of vanishing as a saturated sigmoid's does.
    """

    name = "bce_logits"

    def forward(self, output, target):
        xp = backend.xp
        t = _like(target, output)
        self.z, self.t, self.n = output, t, output.shape[0]
        per = xp.maximum(output, 0) - t * output + xp.log1p(xp.exp(-xp.abs(output)))
        return _mean(per.sum(), self.n)

    def backward(self):
        xp = backend.xp
        sig = 0.5 * xp.tanh(0.5 * self.z) + 0.5
        return (sig - self.t) * (1.0 / self.n)


LOSSES = {cls.name: cls for cls in (MSE, SoftmaxCrossEntropy, BinaryCrossEntropy, BCEWithLogits)}


def get_loss(name: str) -> Loss:
    """A new loss by name: mse, softmax_ce, bce or bce_logits."""
    try:
        return LOSSES[name]()
    except KeyError:
        raise ValueError(f"unknown loss {name!r}: use one of {', '.join(LOSSES)}") from None
