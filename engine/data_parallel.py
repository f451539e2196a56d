"""Two CPU cores on one training batch: its halves run through two copies of the layers at once.

OpenBLAS threads the skinny GEMMs of a small CNN poorly, and nothing else in a step is threaded.
So the calling thread runs the first half of the batch while a second worker runs the other half
through a copy of the layers; the halves' gradients are summed (the loss gradient already divides
by the whole batch, so the sum is the batch's).  BLAS runs one thread per half while they do.

The second half runs in a **worker process** (:class:`ProcessParallel`) where it can: a step of a
small CNN is hundreds of NumPy calls, each of which takes the GIL back when it returns, and two
threads wait on each other for it (``tools/halves_check.py`` measures one half alone, in two
threads and in two processes).  The worker rebuilds the layers from their specs; the parameters
(copied in before each forward), its gradients and the half's input, output and gradient pass
through one shared memory-mapped file, and a pipe carries a few bytes of command each way.
Where no process can be started, or ``NNPLAY_HALVES=thread``, a **worker thread**
(:class:`DataParallel`) runs a copy of the layers that shares the parameter arrays instead.
Both run exactly the same arithmetic on the same halves.

:func:`eligible` decides: NumPy only (CuPy has its own parallelism), only when BLAS may use more
than one thread (``--threads``/``threadpool_limits``: the process was given more than one core),
batches of at least ``2 * MIN_HALF``, no random layers (Dropout's masks come from one generator)
and no input gradient.  The split is fixed, so a seed trains the same way every run; it trains a
little differently from one thread (other float sums), as BLAS threads do.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import backend, blas
from .blas import threads as blas_threads

MIN_HALF = 16  # samples per half: below this the split costs more than the second core gives

_pool: ThreadPoolExecutor | None = None
class _OneBlasThread:
    """BLAS at one thread while both halves run (each half is one core's work), then as before."""

    def __enter__(self):
        self.saved = [(c, c.num_threads) for c in blas.controllers()]
        for c, _ in self.saved:
            c.set_num_threads(1)

    def __exit__(self, *exc):
        for c, n in self.saved:
            c.set_num_threads(n)


def _forward(layers, x, train: bool = True):
    for layer in layers:
        x = layer.forward(x, train)
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

        self.twins = [_copy_layer(layer, self.flat_grads, off) for layer, off in zip(model.layers, offsets)]
        self.layers, self.backward_layers = training_steps(self.twins, model.input_grad)  # as the model trains
        self.half = 0

    def _split(self, x, ours, theirs, train: bool):
        global _pool
        if _pool is None:
            _pool = ThreadPoolExecutor(1, thread_name_prefix="nnplay-half-batch")
        h = (len(x) + 1) // 2
        with _OneBlasThread():
            second = _pool.submit(_forward, theirs, x[h:], train)
            try:
                a = _forward(ours, x[:h], train)
            finally:  # never return while the worker still uses the copies (an error in this half too)
                b = second.result()
        return np.concatenate([a, b])

    def forward(self, x):
        self.half = (len(x) + 1) // 2
        return self._split(x, self.model._train_layers, self.layers, True)

    def infer(self, x):
        """Evaluation-mode outputs of a big batch, its halves on two cores."""
        return self._split(x, self.model.layers, self.twins, False)

    def backward(self, g):
        h = self.half
        with _OneBlasThread():
            second = _pool.submit(_backward, self.backward_layers, g[h:])
            try:
                _backward(self.model._train_backward, g[:h])
            finally:
                second.result()
        self.model.flat_grads += self.flat_grads


class HalfWorkerError(RuntimeError):
    """The worker process that trains the second half of each batch failed or stopped."""


def _map(path: str, dtype, n: int) -> np.ndarray:
    """``n`` items of ``dtype`` in the shared file at ``path`` (read-write, shared between processes)."""
    return np.memmap(path, dtype=dtype, mode="r+", shape=(n,)).view(np.ndarray)  # plain arrays compute faster


def _serve(fd: int) -> None:
    """The worker process (``python -c`` started by :class:`ProcessParallel`): build the layers, then
    run halves on command until told to stop or the training process is gone."""
    from multiprocessing.connection import Connection

    from threadpoolctl import threadpool_limits

    from .layers import from_spec
    from .model import Sequential, training_steps

    conn = Connection(fd)
    try:
        specs, dtype, input_grad, path, n_params = conn.recv()
    except EOFError:
        return
    threadpool_limits(1)
    dtype = np.dtype(dtype)
    model = Sequential([from_spec(spec, dtype=dtype) for spec in specs])
    shared = _map(path, dtype, 2 * n_params)
    model.bind(shared[:n_params], shared[n_params:], keep_values=False)  # the training process writes the weights
    steps, backward_steps = training_steps(model.layers, input_grad)
    io = None
    conn.send(("ready",))
    while True:
        try:
            command = conn.recv()
        except (EOFError, OSError):
            return
        if command is None:
            return
        try:
            kind = command[0]
            if kind == "io":  # a new (bigger) file for the halves' input, output and gradient
                io = _map(command[1], dtype, command[2])
                conn.send(("ok",))
            elif kind in ("forward", "infer"):
                shape, out_at = command[1], command[2]
                x = io[: math.prod(shape)].reshape(shape)
                out = _forward(steps, x) if kind == "forward" else _forward(model.layers, x, False)
                io[out_at : out_at + out.size] = out.reshape(-1)
                conn.send(("ok", out.shape))
            elif kind == "backward":
                shape, at = command[1], command[2]
                _backward(backward_steps, io[at : at + math.prod(shape)].reshape(shape))
                conn.send(("ok",))
            else:
                conn.send(("error", f"unknown command {kind!r}"))
        except Exception as exc:  # said to the training process, which raises it there
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def _shared_file(n_bytes: int) -> str:
    """A new file of ``n_bytes`` zeros in memory-backed storage where there is some (/dev/shm)."""
    where = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    fd, path = tempfile.mkstemp(prefix="nnplay-halves-", dir=where)
    try:
        os.ftruncate(fd, max(n_bytes, 1))
    finally:
        os.close(fd)
    return path


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _stop(process, conn) -> None:
    """Ask the worker to end, then make sure it has (a finalizer: never raises)."""
    try:
        conn.send(None)
        conn.close()
    except (OSError, ValueError):
        pass
    try:
        process.wait(timeout=2)
    except Exception:
        process.kill()
        process.wait()


class ProcessParallel:
    """The second half of each training batch in a worker process (see the module docstring)."""

    def __init__(self, model):
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        self._model = weakref.ref(model)  # no cycle: a model dropped ends its worker at once
        n = int(model.flat_params.size)
        self.dtype = model.dtype
        path = _shared_file(2 * n * self.dtype.itemsize)
        try:
            shared = _map(path, self.dtype, 2 * n)
            self.params, self.grads = shared[:n], shared[n:]
            ours, theirs = socket.socketpair()
            # A fresh interpreter, not multiprocessing's spawn: that would re-run the caller's main script.
            package = __name__.rpartition(".")[0]
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            code = (f"import sys; sys.path.insert(0, {root!r}); "
                    f"from {package}.data_parallel import _serve; _serve({theirs.fileno()})")
            env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
            try:
                self.process = subprocess.Popen([sys.executable, "-c", code], pass_fds=[theirs.fileno()], env=env,
                                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL)  # never onto the app's screen
            finally:
                theirs.close()
            self.conn = Connection(ours.detach())
            self._finalizer = weakref.finalize(self, _stop, self.process, self.conn)
            self._send((model.specs(), self.dtype.str, model.input_grad, path, n))
            self._reply()  # "ready": the layers are built and the file is mapped
        finally:
            _unlink(path)  # both processes hold it mapped: nothing is left behind however they end
        self.io, self.half, self._out_at, self._shapes = None, 0, 0, {}

    @property
    def model(self):
        return self._model()

    def _lost(self) -> HalfWorkerError:
        self.close()
        if self.model is not None and self.model._halves is self:
            self.model._halves = None  # the next split batch starts a new worker
        return HalfWorkerError("the process training the second half of each batch stopped")

    def _send(self, command) -> None:
        try:
            self.conn.send(command)
        except (OSError, ValueError):
            raise self._lost() from None

    def _reply(self) -> tuple:
        try:
            reply = self.conn.recv()
        except (EOFError, OSError):
            raise self._lost() from None
        if reply[0] == "error":
            raise HalfWorkerError(f"the process training the second half of each batch failed: {reply[1]}")
        return reply

    def _sample_out(self, shape: tuple) -> tuple:
        """The model's output shape for one sample of ``shape`` (the last row of its summary)."""
        if shape not in self._shapes:
            self._shapes[shape] = tuple(self.model.summary(shape)[-1][1])
        return self._shapes[shape]

    def _io_for(self, n_items: int) -> np.ndarray:
        """The shared input/output/gradient file, grown (a new one) when a batch needs more room."""
        if self.io is None or self.io.size < n_items:
            size = max(n_items, 2 * (0 if self.io is None else self.io.size))
            path = _shared_file(size * self.dtype.itemsize)
            try:
                self.io = _map(path, self.dtype, size)
                self._send(("io", path, size))
                self._reply()
            finally:
                _unlink(path)
        return self.io

    def forward(self, x):
        self.half = (len(x) + 1) // 2
        return self._split(x, "forward")

    def infer(self, x):
        """Evaluation-mode outputs of a big batch, its halves on two cores."""
        return self._split(x, "infer")

    def _split(self, x, kind: str):
        h = (len(x) + 1) // 2
        second = x[h:]
        out_shape = (len(second), *self._sample_out(second.shape[1:]))
        n_in, n_out = second.size, math.prod(out_shape)
        io = self._io_for(n_in + 2 * n_out)  # the half's input, its output, then (training) its gradient
        io[:n_in] = second.reshape(-1)
        self._out_at = n_in
        self.params[...] = self.model.flat_params  # this step's weights
        with _OneBlasThread():
            self._send((kind, second.shape, n_in))
            try:
                a = (_forward(self.model._train_layers, x[:h]) if kind == "forward"
                     else _forward(self.model.layers, x[:h], False))
            finally:  # never return while the worker still has this step (an error in this half too)
                reply = self._reply()
        b = io[n_in : n_in + math.prod(reply[1])].reshape(reply[1])
        return np.concatenate([a, b])

    def backward(self, g):
        h, at = self.half, self._out_at
        second = g[h:]
        n = second.size
        self.io[at + n : at + 2 * n] = second.reshape(-1)
        with _OneBlasThread():
            self._send(("backward", second.shape, at + n))
            try:
                _backward(self.model._train_backward, g[:h])
            finally:
                self._reply()
        self.model.flat_grads += self.grads

    def close(self) -> None:
        self._finalizer()


def make(model, offsets: list[dict]):
    """The split for ``model``: a worker process where one starts (``NNPLAY_HALVES=thread``: a thread)."""
    if os.environ.get("NNPLAY_HALVES", "").strip().lower() != "thread":
        try:
            return ProcessParallel(model)
        except (OSError, HalfWorkerError, ImportError):
            pass  # no processes here (a sandbox, no shared memory): the thread does the same work, slower
    return DataParallel(model, offsets)


def eligible(model, n: int) -> bool:
    """Whether a training batch of ``n`` should be split (see the module docstring)."""
    from .layers import Dropout

    return (backend.xp is np and n >= 2 * MIN_HALF and not model.input_grad
            and not any(isinstance(layer, Dropout) for layer in model.layers) and blas_threads() > 1)
