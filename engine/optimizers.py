"""Optimizers: SGD (momentum, Nesterov), Adam, RMSProp, Adagrad, Adadelta.

``opt.step(params)`` updates arrays in place.  ``params`` is a model (anything
with ``param_groups()``) or a list of ``(param, grad)`` / ``(param, grad, decay)``
tuples.  ``decay`` says which entries L1/L2 regularisation applies to: ``True``
(all, the default), ``False`` (none) or an int ``n`` (the first ``n`` elements of
the flattened array: a Sequential packs all weights before all biases in one
buffer, so the whole model is a single entry and each update is a few big ops).

Regularisation applies to weights, not biases: ``l2 * w`` (from a 0.5*l2*w^2
penalty) and ``l1 * sign(w)`` are added to the gradient before the update rule.

State (moments, velocities and the step count behind Adam's bias correction) is
kept per entry position, so pass the same list each step; an entry whose shape
changes (a different model) starts afresh.  ``lr``, ``l1`` and ``l2`` are plain
attributes read on every step: change them between steps freely and the state
is kept.  ``get_optimizer(name, lr, **kw)`` builds one by name;
``switch_optimizer(opt, name)`` builds another kind with ``opt``'s lr, l1 and
l2 (its state is new: one rule's moments mean nothing to another).
``reset()`` forgets the state (new weights, same settings).
"""

from __future__ import annotations

import math

from . import backend


FLUSH_EVERY = 100  # updates between flushes of tiny state values to zero
TINY = 1e-30  # below this a moment is flushed; it moves no float32 weight bigger than 1e-15


def flush_tiny(a) -> None:
    """Set the entries of ``a`` with ``|a| < TINY`` to zero.

    A moment whose gradient has become exactly zero (a weight fed by a dead unit) decays
    geometrically (``m *= 0.9``) into subnormal floats in a few hundred steps, and x86 arithmetic
    on subnormals is many times slower: on the MNIST preset Adam's update took 2 ms a step
    instead of 0.5.  NumPy cannot set the CPU's flush-to-zero mode, so the optimizer does it
    every ``FLUSH_EVERY`` updates, before a value of ``TINY`` can decay that far (0.9**100 ~ 3e-5).
    """
    xp = backend.xp
    xp.copyto(a, 0, where=xp.abs(a) < TINY)


class Optimizer:
    def __init__(self, lr: float, l1: float = 0.0, l2: float = 0.0):
        self.lr, self.l1, self.l2 = float(lr), float(l1), float(l2)
        self.state: list[dict] = []  # per entry: "shape", "t" (updates so far) and the rule's slots

    def reset(self) -> None:
        """Forget every entry's state (moments, step counts); lr, l1 and l2 stay."""
        self.state.clear()

    def step(self, params) -> None:
        if hasattr(params, "param_groups"):
            params = params.param_groups()
        for i, entry in enumerate(params):
            p, g = entry[0], entry[1]
            decay = entry[2] if len(entry) > 2 else True
            if self.l1 or self.l2:
                g = self._regularised(p, g, decay)
            s = self._state(i, p)
            s["t"] += 1
            self._update(s, p, g)
            if s["t"] % FLUSH_EVERY == 0:
                for name in self.slots:
                    flush_tiny(s[name])

    def _regularised(self, p, g, decay):
        n = p.size if decay is True else int(decay)
        if n == 0:
            return g
        g = g.copy()  # never write into the model's gradients
        gv, pv = g.reshape(-1)[:n], p.reshape(-1)[:n]
        if self.l2:
            gv += self.l2 * pv
        if self.l1:
            gv += self.l1 * backend.xp.sign(pv)
        return g

    def _state(self, i: int, p) -> dict:
        while len(self.state) <= i:
            self.state.append({})
        s = self.state[i]
        if s and s["shape"] != p.shape:  # a different model was passed: start afresh, step count too
            s.clear()
        if not s:
            s["shape"], s["t"] = p.shape, 0
            s.update({k: backend.xp.zeros_like(p) for k in self.slots})
        return s

    slots: tuple[str, ...] = ()

    def _update(self, s: dict, p, g) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """PyTorch's form: ``v = momentum*v + g``; ``p -= lr*v`` (Nesterov: ``p -= lr*(g + momentum*v)``)."""

    def __init__(self, lr=0.01, momentum: float = 0.0, nesterov: bool = False, l1=0.0, l2=0.0):
        super().__init__(lr, l1, l2)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.slots = ("v",) if self.momentum else ()

    def _update(self, s, p, g):
        if not self.momentum:
            p -= self.lr * g
            return
        v = s["v"]
        v *= self.momentum
        v += g
        if self.nesterov:
            p -= self.lr * (g + self.momentum * v)
        else:
            p -= self.lr * v


class Adam(Optimizer):
    """``m, v`` moving averages of g and g^2, bias-corrected: ``p -= lr * m^ / (sqrt(v^) + eps)``."""

    slots = ("m", "v")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, l1=0.0, l2=0.0):
        super().__init__(lr, l1, l2)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, s, p, g):
        xp, b1, b2, t = backend.xp, self.beta1, self.beta2, s["t"]
        m, v = s["m"], s["v"]
        tmp = s.get("tmp")  # one scratch array kept with the state: fresh temporaries cost page faults
        if tmp is None:
            tmp = s["tmp"] = xp.empty_like(p)
        m *= b1
        xp.multiply(g, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        xp.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        denom = xp.sqrt(v, out=tmp)
        denom *= 1.0 / math.sqrt(1 - b2**t)  # sqrt(v^)
        denom += self.eps
        step = xp.divide(m, denom, out=tmp)
        step *= self.lr / (1 - b1**t)  # m^ = m / (1 - b1^t)
        p -= step


class RMSProp(Optimizer):
    """``s = rho*s + (1-rho)*g^2``; ``p -= lr * g / (sqrt(s) + eps)``."""

    slots = ("s",)

    def __init__(self, lr=0.001, rho=0.9, eps=1e-8, l1=0.0, l2=0.0):
        super().__init__(lr, l1, l2)
        self.rho, self.eps = float(rho), float(eps)

    def _update(self, s, p, g):
        acc = s["s"]
        acc *= self.rho
        acc += (1 - self.rho) * (g * g)
        denom = backend.xp.sqrt(acc)
        denom += self.eps
        p -= self.lr * g / denom


class Adagrad(Optimizer):
    """``s += g^2``; ``p -= lr * g / (sqrt(s) + eps)``: steps shrink where gradients have been large."""

    slots = ("s",)

    def __init__(self, lr=0.01, eps=1e-8, l1=0.0, l2=0.0):
        super().__init__(lr, l1, l2)
        self.eps = float(eps)

    def _update(self, s, p, g):
        acc = s["s"]
        acc += g * g
        denom = backend.xp.sqrt(acc)
        denom += self.eps
        p -= self.lr * g / denom


class Adadelta(Optimizer):
    """Zeiler's rule: ``Eg = rho*Eg + (1-rho)*g^2``; ``d = sqrt(Ed + eps) / sqrt(Eg + eps) * g``;
    ``Ed = rho*Ed + (1-rho)*d^2``; ``p -= lr * d`` (lr 1.0 is the paper's method)."""

    slots = ("eg", "ed")

    def __init__(self, lr=1.0, rho=0.95, eps=1e-6, l1=0.0, l2=0.0):
        super().__init__(lr, l1, l2)
        self.rho, self.eps = float(rho), float(eps)

    def _update(self, s, p, g):
        xp, rho = backend.xp, self.rho
        eg, ed = s["eg"], s["ed"]
        eg *= rho
        eg += (1 - rho) * (g * g)
        d = xp.sqrt(ed + self.eps)
        d /= xp.sqrt(eg + self.eps)
        d *= g
        ed *= rho
        ed += (1 - rho) * (d * d)
        p -= self.lr * d


NAMES = ("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad", "adadelta")


def get_optimizer(name: str, lr: float, **kw) -> Optimizer:
    """An optimizer by name; ``momentum``/``nesterov`` are SGD with momentum 0.9 unless ``momentum=`` is given."""
    name = name.lower()
    if name == "sgd":
        return SGD(lr, **kw)
    if name in ("momentum", "nesterov"):
        kw.setdefault("momentum", 0.9)
        return SGD(lr, nesterov=name == "nesterov", **kw)
    classes = {"adam": Adam, "rmsprop": RMSProp, "adagrad": Adagrad, "adadelta": Adadelta}
    if name not in classes:
        raise ValueError(f"unknown optimizer {name!r}: use one of {', '.join(NAMES)}")
    return classes[name](lr, **kw)


def switch_optimizer(old: Optimizer, name: str, **kw) -> Optimizer:
    """A new optimizer ``name`` with ``old``'s lr, l1 and l2 (``kw`` overrides); its state starts empty.

    To change only lr or the regularisation, set ``old.lr``/``old.l1``/``old.l2`` instead: that keeps the state.
    """
    settings = {"lr": old.lr, "l1": old.l1, "l2": old.l2, **kw}
    return get_optimizer(name, settings.pop("lr"), **settings)
