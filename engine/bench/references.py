"""The references the engine is timed against: PyTorch CPU (optional) and a hand-written NumPy MLP.

Neither is engine code. PyTorch is imported lazily and only if it is there (never a dependency);
:func:`to_torch` copies an engine model's weights so both start from the same point, and
:class:`TorchLoop` runs the engine Trainer's loop (same shuffles, same batches) in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Tanh
from ..model import Sequential


def import_torch():
    """PyTorch if importable, else None (it is an optional reference, never required)."""
    try:
        import torch
    except Exception:  # ImportError, or a broken install: both mean "no reference"
        return None
    return torch


class NumpyMLP:
    """REFERENCE, not engine code: a fully connected tanh net with squared error and plain
    SGD written straight in NumPy (no layers, flat buffers or checks), to price the engine's machinery."""

    def __init__(self, weights):
        self.weights = [(np.array(w), np.array(b)) for w, b in weights]

    @classmethod
    def from_model(cls, model: Sequential) -> "NumpyMLP":
        dense = [layer for layer in model.layers if isinstance(layer, Dense)]
        return cls([(backend.to_host(d.params["W"]), backend.to_host(d.params["b"])) for d in dense])

    def forward(self, x):
        acts = [x]
        for w, b in self.weights:
            x = np.tanh(np.dot(x, w) + b)
            acts.append(x)
        self.acts = acts
        return x

    def step(self, x, y, lr: float) -> float:
        """One SGD step on loss 0.5 * sum (out - y)^2 / n; returns that loss before the step."""
        out = self.forward(x)
        d = out - y.reshape(out.shape)
        n = len(x)
        loss = 0.5 * float((d * d).sum()) / n
        g = d / n
        for i in range(len(self.weights) - 1, -1, -1):
            w, b = self.weights[i]
            a = self.acts[i + 1]
            g = g * (1 - a * a)
            gw, gb = np.dot(self.acts[i].T, g), g.sum(axis=0)
            if i:
                g = np.dot(g, w.T)
            w -= lr * gw
            b -= lr * gb
        return loss


def to_torch(model: Sequential, torch):
    """A ``torch.nn.Sequential`` computing the same function with a copy of the same weights."""
    nn, mods = torch.nn, []
    for layer in model.layers:
        p = {k: torch.from_numpy(np.array(backend.to_host(v))) for k, v in layer.params.items()}
        if isinstance(layer, Dense):
            m = nn.Linear(layer.n_in, layer.n_out)
            m.weight.data.copy_(p["W"].T)
            m.bias.data.copy_(p["b"])
        elif isinstance(layer, Conv2D):
            m = nn.Conv2d(layer.in_ch, layer.out_ch, layer.kernel, layer.stride, layer.padding)
            m.weight.data.copy_(p["W"])
            m.bias.data.copy_(p["b"])
        elif isinstance(layer, MaxPool2D):
            m = nn.MaxPool2d(layer.size, layer.stride)
        else:
            m = {Flatten: nn.Flatten, ReLU: nn.ReLU, Tanh: nn.Tanh}[type(layer)]()
        mods.append(m)
    return nn.Sequential(*mods)


class TorchLoop:
    """The engine Trainer's loop in PyTorch: seeded reshuffle each epoch (the same permutations
    as the Trainer with the same seed), one optimizer step per batch, the loss read every step."""

    def __init__(self, torch, net, loss: str, optimizer, x, y, batch_size: int, seed: int = 0):
        self.torch, self.net, self.opt, self.bs = torch, net, optimizer, batch_size
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        if loss == "mse":
            self.loss = lambda out, t: 0.5 * ((out - t.reshape(out.shape)) ** 2).sum() / len(out)
        else:
            self.loss = torch.nn.functional.cross_entropy
        self.rng = np.random.default_rng(seed)
        self.n, self.pos, self.seen = len(x), len(x), 0

    def step(self, n: int) -> None:
        for _ in range(n):
            if self.pos >= self.n:
                perm = self.torch.from_numpy(self.rng.permutation(self.n))
                self.xs, self.ys, self.pos = self.x[perm], self.y[perm], 0
            a = self.pos
            b = self.pos = min(a + self.bs, self.n)
            self.opt.zero_grad(set_to_none=True)
            value = self.loss(self.net(self.xs[a:b]), self.ys[a:b])
            value.backward()
            self.opt.step()
            float(value.item())
            self.seen += b - a

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr

    def accuracy(self, x, y, batch: int = 1000) -> float:
        torch = self.torch
        with torch.inference_mode():
            right = sum(int((self.net(torch.from_numpy(x[a : a + batch])).argmax(1).numpy() == y[a : a + batch]).sum())
                        for a in range(0, len(x), batch))
        return right / len(x)
