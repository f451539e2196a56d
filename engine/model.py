"""``Sequential``: a stack of layers, its parameters in one flat buffer, and model files.

    model = Sequential([Dense(2, 8, rng=rng), Tanh(), Dense(8, 1, rng=rng), Tanh()])
    y = model.forward(x)                 # also keeps each layer's output: model.activations
    model.backward(loss.backward())      # fills the gradients
    opt.step(model)                      # or opt.step(model.param_groups())
    model.save("net.npz"); model = Sequential.load("net.npz")

All parameters live in one flat array (weights first, then biases) and each
layer's ``params``/``grads`` entries are views into it: an optimizer updates the
whole model with a handful of array operations, which is what keeps a tiny
Playground net fast.  Layers belong to one model.

Model files are ``.npz`` with the layer specs as JSON text (no pickle; read with
``allow_pickle=False``), written atomically (temp file + ``os.replace``).
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from . import backend, data_parallel, fusion
from .atomic import atomic_file
from .errors import ModelFileError
from .layers import Layer, MaxPool2D, ReLU, from_spec

FORMAT = "nnplay-model-1"


def train_order(layers: list[Layer]) -> list[Layer]:
    """The order a training pass runs ``layers`` in: each ReLU directly followed by a MaxPool2D runs after it.

    Max pooling commutes with ReLU (a non-decreasing function), in value and in gradient: where
    a window's maximum is positive both orders send the gradient to the same first maximum, and
    elsewhere both send 0.  Pooling first, ReLU and its gradient see a quarter of the values.
    Evaluation keeps the written order, so each layer's ``out`` is what its name says.
    """
    order = list(layers)
    for i in range(len(order) - 1):
        if type(order[i]) is ReLU and isinstance(order[i + 1], MaxPool2D):
            order[i], order[i + 1] = order[i + 1], order[i]
    return order


def training_steps(layers: list[Layer], input_grad: bool) -> tuple[list, list]:
    """What a training pass runs, forward and backward: :func:`train_order`, then engine.fusion's fused steps.

    Without an input gradient, backward stops at the first step with parameters.
    """
    steps = fusion.fuse(train_order(layers))
    return steps, backward_steps(steps, input_grad)


def backward_steps(steps: list, input_grad: bool) -> list:
    """``steps`` in the order backward runs them: reversed, and without an input gradient only from the
    first step with parameters on (nothing before it needs a gradient)."""
    if input_grad:
        return steps[::-1]
    first = next((i for i, step in enumerate(steps) if step.params), None)
    return [] if first is None else steps[first:][::-1]


class Sequential:
    """Layers applied in order; owns their parameters (packed flat) and their model file."""

    def __init__(self, layers: list[Layer], input_grad: bool = False):
        """``input_grad``: make ``backward`` return the gradient w.r.t. the input (off: nothing needs it)."""
        self.layers = list(layers)
        self.meta: dict = {}
        self._pack()
        self.input_grad = input_grad

    # --- parameters ---------------------------------------------------------------

    def _pack(self) -> None:
        """Move every parameter and gradient into one flat buffer, weights before biases."""
        entries = [(layer, name) for layer in self.layers for name in layer.params]
        entries.sort(key=lambda e: e[1] not in e[0].decay)  # stable: decayed ones first
        dtypes = {e[0].params[e[1]].dtype for e in entries}
        if len(dtypes) > 1:
            raise ValueError(f"layers mix dtypes {sorted(map(str, dtypes))}")
        self.dtype = dtypes.pop() if dtypes else np.dtype(np.float32)
        self.n_decay, offset = 0, 0
        self._offsets = [{} for _ in self.layers]  # per layer: parameter name -> offset in the flat buffers
        index = {id(layer): i for i, layer in enumerate(self.layers)}
        for layer, name in entries:
            self._offsets[index[id(layer)]][name] = offset
            offset += int(layer.params[name].size)
            if name in layer.decay:
                self.n_decay = offset
        xp = backend.xp
        self.bind(xp.zeros(offset, dtype=self.dtype), xp.zeros(offset, dtype=self.dtype))
        self._halves = None  # data_parallel.DataParallel, made on the first training batch that is split
        self._split = None  # the one the last forward used, for its backward

    def bind(self, flat_params, flat_grads, keep_values: bool = True) -> None:
        """Make every parameter and gradient a view into these flat buffers (``keep_values``: copy the
        current weights in); e.g. data_parallel's worker process binds to shared memory."""
        for layer, offsets in zip(self.layers, self._offsets):
            for name, at in offsets.items():
                p = layer.params[name]
                view = flat_params[at : at + p.size].reshape(p.shape)
                if keep_values:
                    view[...] = p
                layer.params[name] = view
                layer.grads[name] = flat_grads[at : at + p.size].reshape(p.shape)
        self.flat_params, self.flat_grads = flat_params, flat_grads
        self._groups = [(self.flat_params, self.flat_grads, self.n_decay)]

    def param_groups(self) -> list[tuple]:
        """What an optimizer updates: ``[(flat_params, flat_grads, n_decay)]`` (see engine.optimizers)."""
        return self._groups

    def parameters(self) -> list[tuple[int, str, object, object]]:
        """``(layer_index, name, param, grad)`` for every parameter, in layer order."""
        return [(i, name, p, layer.grads[name]) for i, layer in enumerate(self.layers) for name, p in layer.params.items()]

    def n_params(self) -> int:
        return int(self.flat_params.size)

    def get_weights(self) -> list[np.ndarray]:
        """Host copies of the parameters in :meth:`parameters` order."""
        return [np.array(backend.to_host(p)) for _, _, p, _ in self.parameters()]

    def set_weights(self, weights) -> None:
        """Copy host arrays (in :meth:`parameters` order) into the model; shapes must match."""
        params = self.parameters()
        if len(weights) != len(params):
            raise ValueError(f"expected {len(params)} arrays, got {len(weights)}")
        for (i, name, p, _), w in zip(params, weights):
            if tuple(np.shape(w)) != tuple(p.shape):
                raise ValueError(f"layer {i} {name}: shape {tuple(np.shape(w))} != {tuple(p.shape)}")
        for (_, _, p, _), w in zip(params, weights):
            p[...] = backend.asarray(w, dtype=p.dtype)

    def all_finite(self) -> bool:
        return bool(backend.xp.isfinite(self.flat_params).all())

    # --- forward / backward -------------------------------------------------------

    @property
    def input_grad(self) -> bool:
        return self._input_grad

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        # Without an input gradient, backward stops at the first layer with parameters.
        self._input_grad = value = bool(value)
        first = next((i for i, layer in enumerate(self.layers) if layer.params), None)
        for i, layer in enumerate(self.layers):
            layer.input_grad = value or (first is not None and i > first)
        self._backward_layers = backward_steps(self.layers, value)
        self._train_layers, self._train_backward = training_steps(self.layers, value)
        self._last_backward = self._backward_layers  # what backward runs: the reverse of the last forward's order
        self._halves = None  # its copies of the layers were made for the old setting

    def forward(self, x, train: bool = False):
        """``train``: keep what backward needs; with BLAS allowed several threads, a big enough batch runs
        as two halves on two cores (engine.data_parallel), and each layer's ``out`` holds the first half."""
        self._split = None
        if train and data_parallel.eligible(self, len(x)):
            self._split = self._two_halves()
            return self._split.forward(x)
        layers, self._last_backward = ((self._train_layers, self._train_backward) if train
                                       else (self.layers, self._backward_layers))
        for layer in layers:
            x = layer.forward(x, train)
        return x

    def infer(self, x):
        """Evaluation-mode outputs only (scoring a data set): with BLAS allowed several threads a big batch
        runs as two halves on two cores, like training, so the layers' ``out`` are not this batch's
        (use :meth:`forward` for activations). Between a training forward and its backward, don't."""
        if not data_parallel.eligible(self, len(x)):
            return self.forward(x)
        return self._two_halves().infer(x)

    def _two_halves(self):
        """The model's data_parallel split, made on first use."""
        if self._halves is None:
            self._halves = data_parallel.make(self, self._offsets)
        return self._halves

    def backward(self, grad):
        """Fill every layer's grads; returns d loss / d input if ``input_grad`` else None."""
        if self._split is not None:
            split, self._split = self._split, None
            split.backward(grad)
            return None
        for layer in self._last_backward:
            grad = layer.backward(grad)
        return grad if self._input_grad else None

    def predict(self, x, batch_size: int = 1024):
        """Forward in chunks (evaluation mode) for big inputs; returns one device array."""
        if len(x) <= batch_size:
            return self.forward(x)
        xp = backend.xp
        return xp.concatenate([self.forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])

    @property
    def activations(self) -> list:
        """Each layer's last output (device arrays; NCHW views for image layers)."""
        return [layer.out for layer in self.layers]

    # --- description --------------------------------------------------------------

    def summary(self, input_shape) -> list[tuple[str, tuple, int]]:
        """``(layer name, per-sample output shape, n params)`` per layer for a per-sample input shape."""
        rows, shape = [], tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
            rows.append((layer.name, shape, layer.n_params()))
        return rows

    def summary_table(self, input_shape) -> str:
        """The summary as an aligned text table with a total line."""
        rows = self.summary(input_shape)
        lines = [f"{'layer':<20}{'output':>12}{'params':>10}"]
        for layer, (_, shape, n) in zip(self.layers, rows):
            lines.append(f"{layer.describe():<20}{'x'.join(map(str, shape)):>12}{n:>10,}")
        lines.append(f"{'total':<20}{'':>12}{self.n_params():>10,}")
        return "\n".join(lines)

    def specs(self) -> list[dict]:
        return [layer.spec() for layer in self.layers]

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(map(repr, self.layers)) + "])"

    # --- files --------------------------------------------------------------------

    def save(self, path, meta: dict | None = None) -> None:
        """Write layer specs, ``meta`` (JSON-able) and weights to ``path`` (.npz) atomically."""
        path = os.fspath(path)
        header = {"format": FORMAT, "dtype": str(self.dtype), "layers": self.specs(), "meta": meta or self.meta}
        arrays = {f"{i}.{name}": backend.to_host(p) for i, name, p, _ in self.parameters()}
        arrays["__spec__"] = np.array(json.dumps(header))
        with atomic_file(path) as f:
            np.savez(f, **arrays)

    @staticmethod
    def _read(path) -> tuple[dict, dict]:
        """The header and arrays of a model file; ModelFileError (one line, naming ``path``) otherwise."""
        not_model = ModelFileError(f"{path} is not an nnplay model (.npz written by nnplay)")
        try:
            with open(path, "rb") as f:
                magic = f.read(4)
        except FileNotFoundError:
            raise ModelFileError(f"model file {path}: not found") from None
        except IsADirectoryError:
            raise ModelFileError(f"model file {path}: is a directory") from None
        except OSError as exc:
            raise ModelFileError(f"model file {path}: cannot read it ({exc.strerror or exc})") from None
        if magic != b"PK\x03\x04":  # not a zip at all (text, .npy, pickle...): np.load would talk of pickles
            raise not_model
        try:
            with np.load(path, allow_pickle=False) as data:
                if "__spec__" not in data.files:
                    raise not_model
                arrays = {k: data[k] for k in data.files}
            header = json.loads(str(arrays.pop("__spec__")))
        except ModelFileError:
            raise
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelFileError(f"model file {path} is unreadable or corrupt ({_short(exc)})") from None
        if not isinstance(header, dict) or not str(header.get("format", "")).startswith("nnplay-model-"):
            raise not_model
        if header["format"] != FORMAT:
            raise ModelFileError(f"model file {path} is in format {header['format']}, which this nnplay "
                                 f"cannot read (it reads {FORMAT}): a newer nnplay wrote it")
        return header, arrays

    @classmethod
    def load(cls, path) -> "Sequential":
        """Rebuild architecture and weights from a file written by :meth:`save`."""
        path = os.fspath(path)
        header, arrays = cls._read(path)
        try:
            dtype = np.dtype(header.get("dtype", "float32"))
            model = cls([from_spec(spec, dtype=dtype) for spec in header["layers"]])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"model file {path} has a bad layer list ({_short(exc)})") from None
        model._assign(path, arrays)
        model.meta = header.get("meta") or {}
        return model

    def load_weights(self, path) -> None:
        """Load weights saved from a model with this same architecture (layer types, sizes; not their init)."""
        path = os.fspath(path)
        header, arrays = self._read(path)
        layers = header.get("layers")
        if not isinstance(layers, list) or not all(isinstance(s, dict) for s in layers):
            raise ModelFileError(f"model file {path} has a bad layer list")
        why = _first_difference(layers, arrays, self)
        if why:
            raise ModelFileError(f"model file {path} holds a different architecture: {why}")
        self._assign(path, arrays)

    def _assign(self, path, arrays: dict) -> None:
        params = self.parameters()
        expected = {f"{i}.{name}" for i, name, _, _ in params}
        if set(arrays) != expected:
            raise ModelFileError(f"model file {path}: weights do not match its layers")
        for i, name, p, _ in params:
            w = arrays[f"{i}.{name}"]
            if w.shape != tuple(p.shape) or w.dtype.kind != "f":
                raise ModelFileError(f"model file {path}: layer {i} {name} has shape {w.shape}, expected {tuple(p.shape)}")
            p[...] = backend.asarray(w, dtype=p.dtype)


def _shape(shape) -> str:
    return "×".join(map(str, shape))


def _first_difference(file_specs: list[dict], arrays: dict, model: Sequential) -> str:
    """The first layer where a saved network differs from ``model``, in words ("" when none does)."""
    ignore = ("init",)  # how the weights were first drawn does not change what they mean
    for i, (saved, layer) in enumerate(zip(file_specs, model.layers)):
        ours = layer.spec()
        kind, saved_kind = ours["type"], saved.get("type")
        if saved_kind != kind:
            return f"layer {i}: file has {saved_kind}, this network has {kind}"
        saved_w, our_w = arrays.get(f"{i}.W"), layer.params.get("W")
        if saved_w is not None and our_w is not None and tuple(saved_w.shape) != tuple(our_w.shape):
            return (f"layer {i} ({kind}): file has {_shape(saved_w.shape)} weights, "
                    f"this network has {_shape(our_w.shape)}")
        keys = [k for k in ours.keys() | saved.keys()
                if k not in ignore and k != "type" and ours.get(k) != saved.get(k)]
        if keys:
            have = ", ".join(f"{k}={saved.get(k)}" for k in sorted(keys))
            want = ", ".join(f"{k}={ours.get(k)}" for k in sorted(keys))
            return f"layer {i} ({kind}): file has {have}, this network has {want}"
    n_file, n_ours = len(file_specs), len(model.layers)
    if n_file != n_ours:
        i = min(n_file, n_ours)
        extra = file_specs[i].get("type") if n_file > n_ours else model.layers[i].name
        where = "the file has" if n_file > n_ours else "this network has"
        return f"{where} more layers: the file has {n_file}, this network has {n_ours} (layer {i}: {extra})"
    return ""


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= 80 else text[:77] + "..."

