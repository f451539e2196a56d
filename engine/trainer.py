"""``Trainer``: minibatch training on demand; no threads, no clocks.

    tr = Trainer(model, get_loss("mse"), SGD(0.03), x, y, x_test, y_test, batch_size=10, seed=0)
    tr.step(100)            # 100 minibatch steps (reshuffled every epoch, seeded)
    tr.evaluate()           # train/test loss + accuracy, appended to tr.history (an engine.history.History)
    tr.state                # "ok" | "diverged"; tr.diverged_reason says why

Divergence (a non-finite loss or weights) is a state, never an exception; once
diverged, ``step`` does nothing.  No step waits for the device: each step's loss
and a probe of the weights stay on it and are read once per ``step`` call (every
``CHECK_EVERY`` steps in long calls); the divergence is still reported at the
step where it happened (see :meth:`Trainer.step`).  Data may be host NumPy arrays.  Without
``prepare`` the training set is moved to the device once and each epoch's
shuffled copy is sliced into batches (no per-step copies or transfers).  With
``prepare`` (e.g. uint8 images -> float32 on the device) inputs stay on the host
and each batch goes through ``prepare``; targets are moved once.

Accuracy (``task="classification"``), by ``accuracy=``: ``"argmax"`` (multi-class
outputs; targets are labels or one-hot rows), ``"sign"`` (one ±1 output, e.g. tanh:
right when output and target have the same sign), ``"threshold"`` (one output in
(0, 1): output > 0.5 vs target > 0.5), ``"logit"`` (one logit: output > 0 vs target
> 0.5), a callable ``f(output, target) -> number correct``, or ``"auto"``:
argmax for several outputs, else logit for ``bce_logits``, else sign when some
target is negative, else threshold.  Regression records NaN accuracies.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import backend
from .history import HISTORY_KEYS, History  # noqa: F401  (HISTORY_KEYS: re-exported)
from .init import as_rng
from .losses import BCEWithLogits

SHUFFLED_COPY_BYTES = 32 << 20  # below this, one shuffled copy per epoch is cheaper than a gather per batch
CHECK_EVERY = 1000  # most steps between host reads of the losses (one device->host transfer each)


class _Gather:
    """``x[idx]`` taken lazily, one slice at a time: ``_Gather(x, idx)[a:b] == x[idx[a:b]]``."""

    __slots__ = ("x", "idx")

    def __init__(self, x, idx):
        self.x, self.idx = x, idx

    def __getitem__(self, s: slice):
        return self.x[self.idx[s]]


def _correct_argmax(out, y):
    truth = y if y.ndim == 1 else y.argmax(axis=1)
    return (out.argmax(axis=1) == truth).sum()


def _correct_sign(out, y):
    return ((out.reshape(-1) > 0) == (y.reshape(-1) > 0)).sum()


def _correct_threshold(out, y):
    return ((out.reshape(-1) > 0.5) == (y.reshape(-1) > 0.5)).sum()


def _correct_logit(out, y):
    return ((out.reshape(-1) > 0) == (y.reshape(-1) > 0.5)).sum()


ACCURACY_RULES = {"argmax": _correct_argmax, "sign": _correct_sign,
                  "threshold": _correct_threshold, "logit": _correct_logit}


class Trainer:
    """Steps a model through shuffled minibatches and keeps score (see the module docstring)."""

    def __init__(self, model, loss, optimizer, x_train, y_train, x_test=None, y_test=None, *,
                 batch_size: int = 32, seed: int | None = 0, rng: np.random.Generator | None = None,
                 task: str = "classification", prepare=None, accuracy="auto",
                 eval_batch: int = 500, train_eval_size: int | None = None, augment=None):
        """``train_eval_size``: measure train metrics on that many evenly spaced examples (big sets).

        ``augment(batch) -> batch``: applied to each training batch as stored (before ``prepare``),
        never to evaluation batches (e.g. MNIST's random shifts of the uint8 images).
        """
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be classification or regression, not {task!r}")
        if len(x_train) != len(y_train) or len(x_train) == 0:
            raise ValueError("x_train and y_train need the same, non-zero length")
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.batch_size, self.eval_batch = int(batch_size), int(eval_batch)
        self.rng = rng if rng is not None else as_rng(seed)
        self.task, self.prepare, self.augment = task, prepare, augment
        self.n_train = len(x_train)
        self._x = self._inputs(x_train)
        self._y = self._targets(y_train)
        self._test = None
        if x_test is not None and y_test is not None and len(x_test):
            self._test = (self._inputs(x_test), self._targets(y_test))
        self._train_eval = (self._x, self._y)
        if train_eval_size is not None and train_eval_size < self.n_train:
            pick = np.linspace(0, self.n_train - 1, int(train_eval_size)).astype(np.int64)
            self._train_eval = (self._x[self._index(pick, self._x)], self._y[backend.xp.asarray(pick)])
        self._accuracy = accuracy if task == "classification" else None
        self._count_correct = None
        self.steps = 0
        self.examples_seen = 0
        self.last_loss = math.nan
        self.state = "ok"
        self.diverged_reason = ""
        self.history = History()
        self.metrics: dict[str, float] = {}
        self._pos = self.n_train  # the first step shuffles
        self._probe = (None, None)  # (param groups, its probe) for _weights_probe

    # --- data ---------------------------------------------------------------------

    def _inputs(self, x):
        if self.prepare is not None:
            return x  # stays where the caller keeps it; prepare() moves each batch
        return backend.asarray(x, dtype=self.model.dtype)

    def _targets(self, y):
        y = backend.to_host(y)
        dtype = y.dtype if y.dtype.kind in "iub" else self.model.dtype
        return backend.asarray(y, dtype=dtype)

    def _index(self, idx, arr):
        """Index ``arr`` (host or device) with host indices ``idx``."""
        return idx if isinstance(arr, np.ndarray) else backend.xp.asarray(idx)

    def _batch_x(self, x, a: int, b: int):
        return self.prepare(x[a:b]) if self.prepare is not None else x[a:b]

    def _new_epoch(self) -> None:
        perm = self.rng.permutation(self.n_train)
        if self._x.nbytes <= SHUFFLED_COPY_BYTES:
            self._xs = self._x[self._index(perm, self._x)]  # a shuffled copy, sliced into batches
        else:  # big inputs (MNIST as float32: 188 MB): gather each batch instead of copying it all
            self._xs = _Gather(self._x, self._index(perm, self._x))
        self._ys = self._y[backend.xp.asarray(perm)]
        self._pos = 0

    @property
    def epoch(self) -> float:
        return self.examples_seen / self.n_train

    # --- training -----------------------------------------------------------------

    def step(self, n: int = 1) -> int:
        """Run up to ``n`` minibatch steps; returns how many ran (fewer once diverged).

        The losses are read from the device once per chunk of up to ``CHECK_EVERY``
        steps.  If a loss or the weights became NaN or infinite in a chunk, the
        trainer diverges with the step where that first happened: ``steps``,
        ``examples_seen`` and the return value count up to it, ``last_loss`` is the
        last finite loss, exactly as stepping one at a time would report.  The rest
        of that chunk ran on non-finite weights, which changes nothing: they stay so.
        """
        done = 0
        while done < n and self.state == "ok":
            done += self._chunk(min(n - done, CHECK_EVERY))
        return done

    def _chunk(self, n: int) -> int:
        model, loss, bs, groups = self.model, self.loss, self.batch_size, self.model.param_groups()
        update, prepare, probe = self.optimizer.step, self.prepare, self._weights_probe(groups)
        augment = self.augment
        losses, probes, sizes = [], [], []  # device scalars (CuPy stacks them on the device) and host ints
        with np.errstate(all="ignore"):
            for _ in range(n):
                if self._pos >= self.n_train:
                    self._new_epoch()
                a = self._pos
                b = self._pos = min(a + bs, self.n_train)
                xb = self._xs[a:b]
                if augment is not None:
                    xb = augment(xb)
                if prepare is not None:
                    xb = prepare(xb)
                losses.append(loss.forward(model.forward(xb, True), self._ys[a:b]))
                model.backward(loss.backward())
                update(groups)
                probes.append(probe())
                sizes.append(b - a)
        losses, weights = backend.to_host(backend.xp.array([losses, probes], dtype=np.float64))  # one transfer
        bad = ~(np.isfinite(losses) & np.isfinite(weights))
        diverged = bool(bad.any())
        done = int(bad.argmax()) + 1 if diverged else n  # up to the first bad step, included
        self.steps += done
        self.examples_seen += sum(sizes[:done])
        finite = losses[:done][np.isfinite(losses[:done])]
        if finite.size:
            self.last_loss = float(finite[-1])
        if diverged:
            value = losses[done - 1]
            if not math.isfinite(value):
                self._diverge(f"loss became {_word(value)} at step {self.steps}")
            else:
                self._diverge(f"weights became NaN or infinite at step {self.steps}")
        return done

    def _weights_probe(self, groups):
        """A function returning a device scalar that is 0 while every parameter is finite, else NaN.

        It is ``vdot(params, 0)``: each term is +-0 for a finite weight (however large:
        nothing to overflow, unlike a sum) and NaN for a NaN or infinite one (inf * 0
        = NaN).  One small op per step, read with the losses.
        """
        if self._probe[0] is not groups:
            xp = backend.xp
            dots = [functools.partial(xp.vdot, g[0], xp.zeros_like(g[0])) for g in groups]
            if len(dots) == 1:  # a Sequential: one flat buffer
                probe = dots[0]
            else:
                probe = lambda: sum((dot() for dot in dots), xp.zeros((), np.float64))  # noqa: E731
            self._probe = (groups, probe)
        return self._probe[1]

    def run_epochs(self, n: int = 1) -> int:
        """Train until ``n`` more epoch boundaries pass (finishing the current epoch counts)."""
        per_epoch = math.ceil(self.n_train / self.batch_size)
        left = math.ceil((self.n_train - self._pos) / self.batch_size)
        steps = left + (n - 1) * per_epoch if left else n * per_epoch
        return self.step(steps)

    def _diverge(self, reason: str) -> None:
        self.state, self.diverged_reason = "diverged", reason

    # --- evaluation ---------------------------------------------------------------

    def _rule(self, out, y):
        acc = self._accuracy
        if callable(acc):
            return acc
        if acc == "auto":
            if out.ndim == 2 and out.shape[1] > 1:
                acc = "argmax"
            elif isinstance(self.loss, BCEWithLogits):
                acc = "logit"
            else:
                acc = "sign" if float(y.min()) < 0 else "threshold"
        if acc not in ACCURACY_RULES:
            raise ValueError(f"unknown accuracy rule {acc!r}: use one of auto, {', '.join(ACCURACY_RULES)}")
        return ACCURACY_RULES[acc]

    def _measure(self, data) -> tuple[float, float]:
        x, y = data
        n, total, correct = len(y), 0.0, 0  # summed on the device, read once at the end
        for a in range(0, n, self.eval_batch):
            b = min(a + self.eval_batch, n)
            out = self.model.infer(self._batch_x(x, a, b))  # two cores where training has them
            total = total + self.loss.forward(out, y[a:b]) * (b - a)
            if self._accuracy is not None:
                if self._count_correct is None:
                    self._count_correct = self._rule(out, y)
                correct = correct + self._count_correct(out, y[a:b])
        accuracy = int(correct) / n if self._accuracy is not None else math.nan
        return float(total) / n, accuracy

    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy on the training and test sets, recorded in ``history`` (while ok)."""
        with np.errstate(all="ignore"):
            train_loss, train_acc = self._measure(self._train_eval)
            test_loss, test_acc = self._measure(self._test) if self._test else (math.nan, math.nan)
        record = {"step": self.steps, "epoch": self.epoch, "train_loss": train_loss,
                  "test_loss": test_loss, "train_acc": train_acc, "test_acc": test_acc}
        if self.state == "ok" and not self.model.all_finite():
            self._diverge(f"weights became NaN or infinite at step {self.steps}")
        elif self.state == "ok" and not math.isfinite(train_loss):
            self._diverge(f"loss became {_word(train_loss)} at step {self.steps}")
        if self.state == "ok":
            self.history.append(record)
        self.metrics = record
        return record


def _word(value: float) -> str:
    return "NaN" if math.isnan(value) else "infinite"
