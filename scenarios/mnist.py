"""mnist: handwritten digits with an MLP or a small CNN, and a canvas to draw your own.

Data comes from ``engine.datasets.mnist``: the full set when ``$NNPLAY_MNIST_DIR``
or the user cache holds it, else the bundled subset (7,400 train / 1,500 test),
which the snapshot says plainly. Nothing is downloaded here: start-up stays fast.
Images stay uint8 in memory; each batch is scaled to 0..1 floats by ``prepare``.

Scoring all 10,000 test images every few steps would stall a live app, so the
``test_*`` history is measured on a fixed **validation sample** of the test set
(``VAL_SIZE`` images, chosen by the data seed) every ``EVAL_INTERVAL`` steps, and
train metrics on ``TRAIN_EVAL_SIZE`` evenly spaced training images.
:meth:`MnistRun.final_metrics` scores the whole test set (for ``nnplay train``).

The rate follows ``schedule``: ``step`` (× ``lr_decay`` per epoch) or ``onecycle``
(``engine.schedules.one_cycle`` over the planned ``epochs``, which is also what
``nnplay train`` runs by default); both are set at fixed step numbers, so chunking
never changes a run. ``shift`` moves each training digit by a few pixels
(``engine.augment``, its own seeded stream), which is what lifts the CNN preset
past 99.2 %.

Views: ``digits`` (a grid of validation digits with top-3 predictions and the
data in use), ``filters`` (first-layer weights as 28×28 images, or the first
conv layer's filters), ``activations`` (each stage's output for the selected
digit), ``confusion`` (on the validation sample, once per evaluation), ``draw``,
``loss``, ``accuracy``. Costly ones are cached per step, so a frame that finds
the model unchanged recomputes nothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from engine import backend, builders
from engine.augment import random_shift
from engine.datasets import mnist
from engine.layers import Conv2D, MaxPool2D, ReLU
from engine.losses import get_loss, softmax
from engine.schedules import one_cycle, step_decay
from engine.trainer import Trainer

from . import mnist_data
from .base import KeyAction, Run
from .common import batch_setting, lr_setting, optimizer_setting, regularization_settings, speed_setting
from .drawn import center_digit
from .stopping import until_setting
from .settings import Effect, Schema, Setting
from .views import Activation, Activations, Confusion, Digit, Digits, Drawing, Images

VAL_SIZE = 1000
TRAIN_EVAL_SIZE = 1000
EVAL_INTERVAL = 100  # steps between validation evaluations
DECAY_EVERY = 50  # steps between updates of a decaying learning rate (schedule = step)
CYCLE_EVERY = 10  # steps between updates of the one-cycle rate: its warm-up is a few hundred steps
N_DIGITS = 15  # test digits in the grid: few enough to draw each one larger
N_UNITS = 16
CLASS_NAMES = tuple(str(d) for d in range(10))
HIDDEN_PRESETS = ((32,), (64,), (128,), (256,), (128, 64), (256, 128))
DECAY_LADDER = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
EPOCHS_LADDER = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0)
CHANNEL_PRESETS = ((4, 8), (8, 16), (16, 32), (32, 64), (8,), (8, 16, 32))

SCHEMA = Schema(
    (
        Setting("model", str, "mlp", "mlp (dense) or cnn (convolutional)", values=("mlp", "cnn"), keys=("n",)),
        Setting("hidden", tuple, (128,), "MLP hidden layer sizes", item=int, lo=1, hi=2048, min_len=0, max_len=4,
                ladder=HIDDEN_PRESETS, keys=("h", "H")),
        Setting("channels", tuple, (8, 16), "CNN channels per 5×5 conv + 2×2 pool block", item=int, lo=1, hi=128,
                min_len=1, max_len=3, ladder=CHANNEL_PRESETS, keys=("l", "L")),
        Setting("cnn_dense", tuple, (), "CNN dense ReLU layers before the 10 outputs (empty: none)", item=int,
                lo=1, hi=2048, min_len=0, max_len=2, show=lambda v: ",".join(map(str, v)) or "none"),
        lr_setting(0.001),
        Setting("lr_decay", float, 1.0, "schedule step: learning rate × this per epoch (1 = constant)", Effect.LIVE,
                ladder=DECAY_LADDER, lo=0.1, hi=1.0, keys=("y", "Y"), apply=lambda run, v: run.set_lr(run.values["lr"])),
        Setting("schedule", str, "step", "learning rate over time: step (× lr_decay per epoch) or onecycle "
                "(warm up to lr over the first 20 % of epochs, cosine down to lr/1000 at its end)", Effect.LIVE,
                values=("step", "onecycle"), keys=("k",), apply=lambda run, v: run.set_lr(run.values["lr"])),
        Setting("epochs", float, 2.0, "planned length: what nnplay train runs and onecycle spans", Effect.LIVE,
                ladder=EPOCHS_LADDER, lo=0.1, hi=100.0, keys=("e", "E"), apply=lambda run, v: run.set_lr(run.values["lr"])),
        Setting("shift", int, 0, "augmentation: each training digit moved by up to this many pixels (0: off)",
                Effect.LIVE, ladder=(0, 1, 2), lo=0, hi=2, keys=("j", "J")),
        batch_setting(32, 1024),
        optimizer_setting("adam"),
        *regularization_settings(),
        Setting("data", str, "auto", "auto (full MNIST if found, else the bundled subset), subset or full",
                Effect.DATA, values=("auto", "subset", "full"), keys=("u",)),
        speed_setting(),
        until_setting(),
    ),
    scenario="mnist",
)




class MnistRun(Run):
    name = "mnist"
    description = "Handwritten digits with an MLP or a CNN; draw your own digit"
    schema = SCHEMA
    actions = {"reset": "new random weights", "regenerate": "another validation sample and digit grid, new weights"}
    key_actions = (KeyAction("]", "next_digit", "activations of the next test digit"),
                   KeyAction("[", "previous_digit", "activations of the previous test digit"))
    panes = ("digits", "draw", "loss", "accuracy", "confusion", "filters", "activations")
    main_panes = 2  # the drawing canvas gets room under the test digits
    zoom_pane = "activations"  # z: the selected digit at 28×14 cells and each map it makes, large

    def __init__(self, values=None, seed=0, **seeds):
        self.selected = 0
        self._train_time = 0.0  # smoothed seconds and examples, for ms per example
        self._train_examples = 0.0
        self._eval_time = 0.0
        self._cache: dict = {}
        super().__init__(values, seed, **seeds)

    # -- data and model ---------------------------------------------------
    def build_data(self) -> None:
        mode = self.values["data"]
        d = self.data = mnist_data.load_data(mode)
        self._data_note = mnist_data.data_note(d, mode)
        rng = np.random.default_rng(self.data_seed)
        pick = np.sort(rng.choice(len(d.test_labels), min(VAL_SIZE, len(d.test_labels)), replace=False))
        self.val_images, self.val_labels = d.test_images[pick], d.test_labels[pick]
        grid = rng.permutation(len(pick))[:N_DIGITS]  # shown digits: a random handful of the validation sample
        self.grid_images, self.grid_labels = self.val_images[grid], self.val_labels[grid]

    def input_shape(self) -> tuple[int, ...]:
        return (1, 28, 28) if self.values["model"] == "cnn" else (784,)

    def download_data(self, progress) -> str:
        """Fetch full MNIST into the user cache (SHA-256 checked); ``progress`` returning False cancels."""
        where = mnist.download_files(progress=progress)
        mnist_data.forget()
        return str(where)

    def prepare(self, x):
        """uint8 images (n, 28, 28) or floats in 0..1 -> float32 on the device, shaped for the model."""
        xp = backend.xp
        a = xp.asarray(x)
        if a.dtype == np.uint8:
            a = a.astype(np.float32)
            a *= np.float32(1 / 255)
        else:
            a = a.astype(np.float32)
        n = a.shape[0]
        return a.reshape(n, 1, 28, 28) if self.values["model"] == "cnn" else a.reshape(n, 784)

    def build_model(self) -> None:
        v = self.values
        if v["model"] == "cnn":
            self.model = builders.cnn(v["channels"], v["cnn_dense"], self.weight_seed)
        else:
            self.model = builders.mlp(784, v["hidden"], 10, "relu", init="he", out_init="glorot", seed=self.weight_seed)
        self.trainer = Trainer(
            self.model,
            get_loss("softmax_ce"),
            self.make_optimizer(),
            self.data.train_images, self.data.train_labels,
            self.val_images, self.val_labels,
            batch_size=v["batch"], seed=self.weight_seed, task="classification", accuracy="argmax",
            prepare=self.prepare, eval_batch=500, train_eval_size=TRAIN_EVAL_SIZE, augment=self.augment,
        )
        self._shift_rng = np.random.default_rng([self.weight_seed, 1])  # its own stream: batch order stays
        self._train_time = self._train_examples = 0.0
        self._cache = {}
        self._last_eval_step = -1
        self.evaluate()

    def data_note(self) -> str:
        return self._data_note

    def idle_settings(self) -> frozenset[str]:
        """The other model's shape, and lr_decay under the one-cycle schedule (which sets the rate itself)."""
        idle = {"hidden"} if self.values["model"] == "cnn" else {"channels", "cnn_dense"}
        if self.values["schedule"] == "onecycle":
            idle.add("lr_decay")
        return frozenset(idle)

    def nudge(self, name: str, direction: int) -> str:
        """The MLP's and the CNN's shape keys say so when the other model is open, instead of rebuilding it."""
        model = self.values["model"]
        if (name, model) in (("hidden", "cnn"), ("channels", "mlp")):
            other = "channels (l/L)" if model == "cnn" else "hidden sizes (h/H)"
            self.notice = f"{name} shapes the {'MLP' if name == 'hidden' else 'CNN'}: this {model.upper()} has {other}; n switches model"
            return self.notice
        return super().nudge(name, direction)

    def eval_interval(self) -> int:
        return EVAL_INTERVAL

    def default_train_steps(self) -> int:
        return self.planned_steps()

    def planned_steps(self) -> int:
        """The ``epochs`` setting in steps at the current batch size: the one-cycle schedule's length."""
        return max(1, round(self.values["epochs"] * self.steps_per_epoch()))

    def augment(self, x):
        """A training batch of uint8 images, each moved by up to ``shift`` pixels (seeded; 0: as it is)."""
        return random_shift(x, self.values["shift"], self._shift_rng)

    def model_summary(self) -> str:
        v = self.values
        if v["model"] == "cnn":
            convs = " → ".join(f"conv5×5×{c}+pool" for c in v["channels"])
            shape = " → ".join(["784", convs, *map(str, v["cnn_dense"]), "10"])
        else:
            shape = " → ".join(map(str, (784, *v["hidden"], 10)))
        return f"{v['model'].upper()} {shape} ({self.model.n_params():,} params)"

    # -- training with timing ------------------------------------------------
    def set_lr(self, lr: float) -> None:
        self._decay_lr()

    def _every(self) -> int:
        return CYCLE_EVERY if self.values["schedule"] == "onecycle" else DECAY_EVERY

    def _decay_lr(self) -> None:
        """The scheduled rate, set every ``_every()`` steps (at the middle of that stretch for onecycle).

        step: lr × lr_decay^epoch (constant when lr_decay is 1); onecycle: ``engine.schedules.one_cycle``
        over ``planned_steps()`` with lr as its peak.
        """
        v, t = self.values, self.trainer
        if v["schedule"] == "onecycle":
            start = t.steps - t.steps % CYCLE_EVERY  # the stretch's first step, however the caller chunks
            t.optimizer.lr = one_cycle(start + CYCLE_EVERY / 2, self.planned_steps(), v["lr"])
        else:
            t.optimizer.lr = step_decay(t.epoch, v["lr"], v["lr_decay"])

    def step(self, n: int = 1) -> int:
        seen, spent_eval = self.trainer.examples_seen, self._eval_time
        t0 = time.perf_counter()
        done = 0
        while done < n and not self.diverged:
            # The scheduled rate is set at fixed step numbers (every _every()), so the same seed trains
            # the same way whether the app steps in small chunks or `nnplay train` in big ones.
            self._decay_lr()
            every = self._every()
            k = min(n - done, every - self.trainer.steps % every)
            ran = super().step(k)
            done += ran
            if ran < k:
                break
        elapsed = time.perf_counter() - t0 - (self._eval_time - spent_eval)
        examples = self.trainer.examples_seen - seen
        if examples:
            keep = 0.5 ** (examples / 5000)  # smoothing with a half-life of 5,000 examples, however they are chunked
            self._train_time = keep * self._train_time + elapsed
            self._train_examples = keep * self._train_examples + examples
        return done

    def evaluate(self) -> None:
        t0 = time.perf_counter()
        super().evaluate()
        self._eval_time += time.perf_counter() - t0

    def ms_per_example(self) -> float:
        return 1000.0 * self._train_time / self._train_examples if self._train_examples else math.nan

    def final_metrics(self) -> dict[str, float]:
        """Loss and accuracy on the whole test set (10,000 images with the full data): slow, for the end of a run."""
        d = self.data
        loss, total, correct = get_loss("softmax_ce"), 0.0, 0
        xp = backend.xp
        for a in range(0, len(d.test_labels), 1000):
            x, y = d.test_images[a : a + 1000], d.test_labels[a : a + 1000]
            out = self.model.infer(self.prepare(x))
            total += loss.forward(out, xp.asarray(y.astype(np.int64))) * len(y)
            correct += int((backend.to_host(out.argmax(axis=1)) == y).sum())
        n = len(d.test_labels)
        return {"full_test_loss": float(total) / n, "full_test_acc": correct / n, "full_test_size": float(n)}

    # -- prediction ------------------------------------------------------------
    def probabilities(self, images) -> np.ndarray:
        """Softmax outputs (n, 10) on the host for uint8 or 0..1 float images (n, 28, 28)."""
        return backend.to_host(softmax(self.model.forward(self.prepare(images)))).astype(np.float64)

    def predict_image(self, img, center: bool = True) -> np.ndarray:
        """Class probabilities (10,) for one 28×28 image with values 0..1 (e.g. the drawing canvas).

        ``center`` first fits the ink into MNIST's 20×20 box around its centre of mass,
        as the training digits were made. Call it between steps, like ``snapshot``.
        """
        a = np.asarray(img, dtype=np.float32)
        if a.shape != (28, 28):
            raise ValueError(f"predict_image needs a 28×28 image, got shape {a.shape}")
        if center:
            a = center_digit(a)
        return self.probabilities(a[None])[0]

    def select_digit(self, i: int) -> None:
        """Show the activations of grid digit ``i`` (wraps around the grid)."""
        self.selected = int(i) % len(self.grid_labels)

    def next_digit(self) -> str:
        self.select_digit(self.selected + 1)
        return f"selected test digit {self.selected + 1} (a {int(self.grid_labels[self.selected])})"

    def previous_digit(self) -> str:
        self.select_digit(self.selected - 1)
        return f"selected test digit {self.selected + 1} (a {int(self.grid_labels[self.selected])})"

    def load_model(self, path: str) -> None:
        super().load_model(path)
        self._cache = {}

    # -- snapshot ----------------------------------------------------------------
    def _cached(self, slot: str, make, *deps, every_step: bool = True):
        """``make()``, recomputed only when ``deps``, the model or (``every_step``) the step count changed."""
        key = (deps, self.drawn_step() if every_step else None, id(self.model))
        if slot not in self._cache or self._cache[slot][0] != key:
            self._cache[slot] = (key, make())
        return self._cache[slot][1]

    def confusion(self) -> np.ndarray:
        """Validation-sample confusion matrix (rows: true digit, columns: predicted)."""
        pred = np.concatenate([
            self.probabilities(self.val_images[a : a + 500]).argmax(axis=1)
            for a in range(0, len(self.val_labels), 500)
        ])
        m = np.zeros((10, 10), dtype=np.int64)
        np.add.at(m, (self.val_labels.astype(np.intp), pred), 1)
        return m

    def digits(self) -> tuple[Digit, ...]:
        probs = self.probabilities(self.grid_images)
        top = np.argsort(-probs, axis=1)[:, :3]
        return tuple(
            Digit(i, img.astype(np.float32) / 255.0, int(label), tuple((int(k), float(probs[i, k])) for k in top[i]))
            for i, (img, label) in enumerate(zip(self.grid_images, self.grid_labels))
        )

    def activations(self) -> tuple[tuple[Activation, ...], np.ndarray]:
        """Each stage's output for the selected digit: input, hidden layers / feature maps; and the probabilities."""
        img = self.grid_images[self.selected]
        logits = self.model.forward(self.prepare(img[None]))
        probs = backend.to_host(softmax(logits))[0].astype(np.float32)
        out = [Activation("input 28×28", "maps", (img.astype(np.float32) / 255.0)[None])]
        layers, n_conv, n_dense, n_pool = self.model.layers, 0, 0, 0
        for i, layer in enumerate(layers):
            data = np.array(backend.to_host(layer.out)[0], dtype=np.float32)
            if isinstance(layer, ReLU) and isinstance(layers[i - 1], Conv2D):
                n_conv += 1
                out.append(Activation(f"conv{n_conv} ReLU {'×'.join(map(str, data.shape))}", "maps", data))
            elif isinstance(layer, ReLU):
                n_dense += 1
                out.append(Activation(f"hidden{n_dense} ReLU ({data.shape[0]})", "vector", data))
            elif isinstance(layer, MaxPool2D):
                n_pool += 1
                out.append(Activation(f"pool{n_pool} {'×'.join(map(str, data.shape))}", "maps", data))
        return tuple(out), probs

    def filters(self) -> Images:
        first = self.model.layers[0]
        w = backend.to_host(first.params["W"])
        if isinstance(first, Conv2D):
            kh, kw = first.kernel
            return Images(f"conv1 filters {kh}×{kw} ({w.shape[0]})",
                              tuple((f"filter {k + 1}", w[k, 0].copy()) for k in range(w.shape[0])))
        units = min(N_UNITS, w.shape[1])
        return Images(f"first-layer weights, {units} of {w.shape[1]} units (28×28)",
                          tuple((f"unit {j + 1}", w[:, j].reshape(28, 28).copy()) for j in range(units)))

    # -- views -------------------------------------------------------------------
    def view_digits(self) -> Digits:
        digits = tuple(replace(d, selected=d.index == self.selected) for d in self._cached("digits", self.digits))
        return Digits(digits, self.data.source, self._data_note, self.ms_per_example())

    def view_filters(self) -> Images:
        return self._cached("filters", self.filters)

    def view_activations(self) -> Activations:
        layers, probs = self._cached("activations", self.activations, self.selected)
        sel = self.selected
        top = tuple((int(k), float(probs[k])) for k in np.argsort(-probs)[:3])
        digit = Digit(sel, layers[0].data[0], int(self.grid_labels[sel]), top, True)
        return Activations(digit, layers, probs)

    def view_confusion(self) -> Confusion:
        # Once per evaluation, like the accuracy it explains: 1,000 images is too many for every frame.
        m = self._cached("confusion", self.confusion, self._last_eval_step, self.drawn_step(), every_step=False)
        return Confusion(m, CLASS_NAMES)

    def view_draw(self) -> Drawing:
        return Drawing(self.trainer.steps)
