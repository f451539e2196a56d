"""Two CPU cores on one training batch: its halves run through two copies of the layers at once.

OpenBLAS threads the skinny GEMMs of a small CNN poorly, and nothing else in a step is threaded.
NumPy releases the GIL inside BLAS calls and big ufunc loops, so a worker thread running the
second half of the batch through a copy of the layers, while the calling thread runs the first
half, keeps two cores busy for the whole step.  The copy shares the parameter arrays (views into
the model's flat buffer) and has its own gradient buffer and work buffers; the halves' gradients
are summed (the loss gradient already divides by the whole batch, so the sum is the batch's).
BLAS runs one thread per half while they do.

:func:`eligible` decides: NumPy only (CuPy has its own parallelism), only when BLAS may use more
than one thread (``--threads``/``threadpool_limits``: the process was given more than one core),
batches of at least ``2 * MIN_HALF``, no random layers (Dropout's masks come from one generator)
and no input gradient.  The split is fixed, so a seed trains the same way every run; it trains a
little differently from one thread (other float sums), as BLAS threads do.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import backend

MIN_HALF = 16  # samples per half: below this the split costs more than the second core gives

_pool: ThreadPoolExecutor | None = None
_blas: list | None = None


def _blas_controllers() -> list:
    """threadpoolctl's controllers of the BLAS libraries NumPy loaded (found once; [] without threadpoolctl)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            _blas = []
        else:
            _blas = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _blas


def blas_threads() -> int:
    """How many threads BLAS may use now (1 when it cannot be told)."""
    return max([c.num_threads for c in _blas_controllers()] or [1])


class _OneBlasThread:
    """BLAS at one thread while both halves run (each half is one core's work), then as before."""

    def __enter__(self):
        self.saved = [(c, c.num_threads) for c in _blas_controllers()]
        for c, _ in self.saved:
            c.set_num_threads(1)

    def __exit__(self, *exc):
        for c, n in self.saved:
            c.set_num_threads(n)


def _forward(layers, x):
    for layer in layers:
        x = layer.forward(x, True)
    return x


def _backward(layers, g):
    for layer in layers:
        g = layer.backward(g)
    return g


def _copy_layer(layer, flat_grads, offsets: dict):
    """A copy of ``layer`` with the same parameter arrays, gradients in ``flat_grads``, no work buffers."""
    twin = copy.copy(layer)
    twin.params = dict(layer.params)
    twin.grads = {name: flat_grads[offsets[name] : offsets[name] + g.size].reshape(g.shape)
                  for name, g in layer.grads.items()}
    twin._work_bufs = {}
    return twin


class DataParallel:
    """The second copy of a model's layers and the split forward/backward of a training batch."""

    def __init__(self, model, offsets: list[dict]):
        self.model = model
        self.flat_grads = np.zeros_like(model.flat_grads)
        from .model import training_steps

        twins = [_copy_layer(layer, self.flat_grads, off) for layer, off in zip(model.layers, offsets)]
        self.layers, self.backward_layers = training_steps(twins, model.input_grad)  # as the model trains
        self.half = 0

    def forward(self, x):
        global _pool
        if _pool is None:
            _pool = ThreadPoolExecutor(1, thread_name_prefix="nnplay-half-batch")
        h = self.half = (len(x) + 1) // 2
        with _OneBlasThread():
            second = _pool.submit(_forward, self.layers, x[h:])
            try:
                a = _forward(self.model._train_layers, x[:h])
            finally:  # never return while the worker still uses the copies (an error in this half too)
                b = second.result()
        return np.concatenate([a, b])

    def backward(self, g):
        h = self.half
        with _OneBlasThread():
            second = _pool.submit(_backward, self.backward_layers, g[h:])
            try:
                _backward(self.model._train_backward, g[:h])
            finally:
                second.result()
        self.model.flat_grads += self.flat_grads


def eligible(model, n: int) -> bool:
    """Whether a training batch of ``n`` should be split (see the module docstring)."""
    from .layers import Dropout

    return (backend.xp is np and n >= 2 * MIN_HALF and not model.input_grad
            and not any(isinstance(layer, Dropout) for layer in model.layers) and blas_threads() > 1)
