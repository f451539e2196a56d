"""Training steps that run two layers as one: a conv and the 2x2 max pool after it, window-major.

A max pool reads each 2x2 window as four strided views of the conv's output and its backward
writes four strided views of the gradient: for the first conv of an MNIST net (8 maps of 28x28,
64 images) that was about 0.9 ms of a 7 ms step.  When a conv builds its columns in window-major
order (engine.im2col.im2col_planes), its product comes out as four contiguous planes, one per
window element, and the pool's passes run on contiguous memory (a third to a half of the time).
The conv's output is then no NCHW array at all, which is why the two run as one step: only
training uses it (engine.model.train_order, then :func:`fuse`); evaluation runs the layers as
written, so every layer's ``out`` is what its name says.  The arithmetic is the same: outputs are
bit-identical to the layers run one after the other, and gradients equal to the last bits (the
kernel gradient sums the same products over the columns in another order).
"""

from __future__ import annotations

from .layers import Conv2D, MaxPool2D


class ConvPool:
    """A Conv2D and the 2x2, stride-2 MaxPool2D after it, as one training step (see the module docstring).

    Falls back to the two layers one after the other when the conv cannot give window-major output
    (row products, a stride, odd output sizes); ``params`` and ``grads`` are the conv's.
    """

    def __init__(self, conv: Conv2D, pool: MaxPool2D):
        self.conv, self.pool = conv, pool
        self._planes = False

    @property
    def params(self) -> dict:
        return self.conv.params

    @property
    def grads(self) -> dict:
        return self.conv.grads

    name = "ConvPool"

    def forward(self, x, train=False):
        conv, pool = self.conv, self.pool
        self._planes = bool(train) and conv.planes_ok(x.shape)
        if not self._planes:
            return pool.forward(conv.forward(x, train), train)
        return pool.forward_planes(conv.forward_planes(x))

    def backward(self, g):
        if not self._planes:
            return self.conv.backward(self.pool.backward(g))
        return self.conv.backward_planes(self.pool.backward_planes(g))

    def __repr__(self) -> str:
        return f"ConvPool({self.conv!r}, {self.pool!r})"


def fusable(a, b) -> bool:
    return type(a) is Conv2D and type(b) is MaxPool2D and b.size == 2 and b.stride == 2


def fuse(steps: list) -> list:
    """``steps`` with each Conv2D directly followed by a 2x2, stride-2 MaxPool2D replaced by a :class:`ConvPool`."""
    out, i = [], 0
    while i < len(steps):
        if i + 1 < len(steps) and fusable(steps[i], steps[i + 1]):
            out.append(ConvPool(steps[i], steps[i + 1]))
            i += 2
        else:
            out.append(steps[i])
            i += 1
    return out
