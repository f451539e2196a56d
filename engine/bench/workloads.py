"""The four workloads: their networks, data and recipes, and the timed runs (engine, then references)."""

from __future__ import annotations

import math
import time

import numpy as np

from .. import backend, builders
from ..datasets import features, playground
from ..errors import DataError
from ..losses import get_loss
from ..model import Sequential
from ..optimizers import SGD, Adam
from ..trainer import Trainer
from .references import NumpyMLP, TorchLoop, to_torch
from . import flops, timing
from .report import ratio

WORKLOADS = {"W1": "playground", "W2": "mnist-mlp", "W3": "mnist-cnn", "W4": "mnist-99"}
MNIST_WORKLOADS = ("W2", "W3", "W4")
TARGET, GOAL = 0.990, 0.992  # W4 stops at TARGET and says how far it is from GOAL

W3_NET = {"channels": (8, 16), "dense": (), "seed": 0}  # builders.cnn arguments: conv ReLU pool x2, 10 logits

# The fastest recipe to 99 % found for this engine: W3's small convs and a wide dense layer (conv 16/32
# needs as many epochs at 2.5x the cost; (8, 16, 32) and (10, 20) are no better in 2-3 epochs).  Batch 64
# reaches what batch 32 does per epoch (99.09-99.15 % vs 99.04-99.10 % at epoch 2, seed 0) for less time
# per sample and half the steps; batch 128 falls behind (98.92 %).  Full test set, conv-ReLU-pool order.
W4_RECIPE = {
    "channels": (8, 16),  # 5x5 convs, pad 2, each followed by 2x2 max pool, then ReLU (same function as ReLU first, cheaper)
    "hidden": 256,  # dense ReLU layer before the 10 logits; 0 for none
    "batch": 64,
    "lr": 4e-3,  # Adam
    "decay": 0.35,  # lr = lr * decay ** epoch, updated every 50 steps
    "first_eval": 1.0,  # epochs before the first test
    "eval_every": 0.5,  # epochs between tests after that
    "max_epochs": 5,
}


def engine_accuracy(model: Sequential, x, y, batch: int = 1000) -> float:
    right = sum(int((backend.to_host(model.infer(backend.asarray(x[a : a + batch]))).argmax(1) == y[a : a + batch]).sum())
                for a in range(0, len(x), batch))
    return right / len(x)


def metric(workload: str, name: str, unit: str, better: str | None, engine, torch=None, numpy_ref=None,
           spreads: dict | None = None, **extra) -> dict:
    """One result line; ``vs_*`` is engine speed / reference speed (None for accuracies).  ``spreads``
    (from :func:`spread`) replaces ``vs_*`` by the median of paired chunk ratios and adds ``*_min``/``*_max``."""
    row = {"kind": "metric", "workload": workload, "name": WORKLOADS[workload], "metric": name, "unit": unit,
           "better": better, "engine": engine, "torch": torch, "vs_torch": ratio(engine, torch, better)}
    if workload == "W1":
        row.update(numpy_ref=numpy_ref, vs_numpy=ratio(engine, numpy_ref, better))
    row.update(spreads or {})
    row.update(extra)
    return row


def spread(who: str, values, digits: int = 1) -> dict:
    """``{who: median, who_min: ..., who_max: ...}`` for a metric row."""
    s = timing.summary(values, digits)
    return {who: s["median"], f"{who}_min": s["min"], f"{who}_max": s["max"]}


# ---------------------------------------------------------------- W1


def playground_net(seed: int = 0) -> Sequential:
    return builders.mlp(2, (8, 8, 8), 1, "tanh", "tanh", init="glorot", seed=seed)


def playground_data(seed: int = 0):
    x, y = playground.generate("spiral", noise=0.0, seed=seed, n=500)
    x_train, y_train, _, _ = playground.split(x, y, 0.5, seed=seed)
    return x_train, y_train


def bench_w1(torch, repeats: int, quick: bool) -> list[dict]:
    """Training steps/s and one forward over a 100x100 grid: engine, NumPy and PyTorch take turns, ``repeats`` times."""
    x, y = playground_data()
    grid, _ = features.grid(100)
    steps, fwd_reps = (20, 2) if quick else (2000, 20)
    model = playground_net()
    trainer = Trainer(model, get_loss("mse"), SGD(0.03), x, y, batch_size=10, seed=0)
    ref = NumpyMLP.from_model(model)
    ref_rng = np.random.default_rng(0)
    ref_state = {"pos": len(x)}

    def ref_steps(n):
        for _ in range(n):
            if ref_state["pos"] >= len(x):
                perm = ref_rng.permutation(len(x))
                ref_state.update(xs=x[perm], ys=y[perm], pos=0)
            a = ref_state["pos"]
            b = ref_state["pos"] = a + 10
            ref.step(ref_state["xs"][a:b], ref_state["ys"][a:b], 0.03)

    runs = {"engine": (trainer.step, lambda: model.forward(grid)), "numpy_ref": (ref_steps, lambda: ref.forward(grid))}
    if torch is not None:
        net = to_torch(model, torch)
        loop = TorchLoop(torch, net, "mse", torch.optim.SGD(net.parameters(), lr=0.03), x, y, 10)
        grid_t = torch.from_numpy(grid)

        def torch_grid():
            with torch.inference_mode():
                net(grid_t)

        runs["torch"] = (loop.step, torch_grid)
    for train, forward in runs.values():  # warm up: first calls allocate
        train(steps // 10), forward()

    def turns(train, forward):
        for _ in range(repeats):
            train(steps)
            yield steps
            for _ in range(fwd_reps):
                forward()
            yield fwd_reps

    times = timing.take_turns({k: turns(*fns) for k, fns in runs.items()})
    if trainer.state != "ok":
        raise RuntimeError(f"W1 engine run diverged: {trainer.diverged_reason}")
    train_t = {k: t[0::2] for k, t in times.items()}
    fwd_t = {k: t[1::2] for k, t in times.items()}
    rows = {}
    for name, part in (("train", train_t), ("grid", fwd_t)):
        row = {}
        for k, t in part.items():
            row.update(spread(k, [u / s for s, u, _ in t] if name == "train" else [1000 * s / u for s, u, _ in t], 4))
        for ref_name in ("torch", "numpy_ref"):
            if ref_name in part:
                r = timing.paired_ratios(part["engine"], part[ref_name])
                row.update(spread("vs_" + ref_name.replace("_ref", ""), r, 3))
        rows[name] = row
    tr, gr = rows["train"], rows["grid"]
    return [metric("W1", "train_steps_per_s", "steps/s", "higher", tr["engine"], tr.get("torch"), tr["numpy_ref"],
                   spreads=tr, batch=10, steps_timed=steps),
            metric("W1", "grid_forward_ms", "ms", "lower", gr["engine"], gr.get("torch"), gr["numpy_ref"],
                   spreads=gr, points=len(grid))]


# ---------------------------------------------------------------- MNIST


class MnistArrays:
    """MNIST as float32 in 0..1 (flat and NCHW views of one array) with int64 labels."""

    def __init__(self, data, limit: int | None = None):
        def prep(images, labels):
            images, labels = images[:limit], labels[:limit]
            return (images.astype(np.float32) * np.float32(1 / 255)).reshape(-1, 1, 28, 28), labels.astype(np.int64)

        self.x_train, self.y_train = prep(data.train_images, data.train_labels)
        self.x_test, self.y_test = prep(data.test_images, data.test_labels)
        self.source = data.source

    def x(self, split: str, flat: bool):
        a = self.x_train if split == "train" else self.x_test
        return a.reshape(len(a), 784) if flat else a


def load_mnist(args):
    """``(MnistArrays, None)`` or ``(None, why not)``; never downloads."""
    from ..datasets import mnist

    try:
        data = mnist.load_subset() if args.subset else mnist.load(args.mnist_dir, download=False)
    except DataError as exc:
        return None, str(exc)
    return MnistArrays(data, limit=2000 if args.quick else None), None


def _epoch_turns(trainer_step, seen, n_steps: int, parts: int):
    """A generator that trains ``n_steps`` in ``parts`` chunks, yielding the samples of each."""
    for size in timing.chunk_sizes(n_steps, parts):
        before = seen()
        trainer_step(size)
        yield seen() - before


def _one_epoch(wl: str, model, make_engine_opt, make_torch_opt, data: MnistArrays, flat: bool, torch,
               repeats: int) -> list[dict]:
    """One epoch each from the same weights, engine and PyTorch taking turns in ``repeats`` chunks:
    samples/s (median over chunks), epoch seconds (their sum), test accuracy after the epoch."""
    x, y = data.x("train", flat), data.y_train
    x_test = data.x("test", flat)
    steps = math.ceil(len(x) / 64)
    trainer = Trainer(model, get_loss("softmax_ce"), make_engine_opt(), x, y, batch_size=64, seed=0)
    turns = {"engine": _epoch_turns(trainer.step, lambda: trainer.examples_seen, steps, repeats)}
    if torch is not None:
        net = to_torch(model, torch)
        loop = TorchLoop(torch, net, "softmax_ce", make_torch_opt(net.parameters()), x, y, 64)
        turns["torch"] = _epoch_turns(loop.step, lambda: loop.seen, steps, repeats)
    times = timing.take_turns(turns)
    if trainer.state != "ok":
        raise RuntimeError(f"{wl} engine run diverged: {trainer.diverged_reason}")
    acc = {"engine": round(engine_accuracy(model, x_test, data.y_test), 4)}
    if torch is not None:
        acc["torch"] = round(loop.accuracy(x_test, data.y_test), 4)
    rate, sec, cpu = {}, {}, {}
    for k, t in times.items():
        rate.update(spread(k, timing.rates(t)))
        sec[k], cpu[f"{k}_cpu_s"] = round(timing.total(t), 3), round(timing.total(t, 2), 3)
    if torch is not None:
        rate.update(spread("vs_torch", timing.paired_ratios(times["engine"], times["torch"]), 3))
    common = {"data": data.source, "train_size": len(x), "chunks": len(times["engine"]),
              "train_flops_per_sample": flops.per_sample(model, x.shape[1:])[1]}
    return [metric(wl, "samples_per_s", "samples/s", "higher", rate["engine"], rate.get("torch"), spreads=rate, **common),
            metric(wl, "epoch_s", "s", "lower", sec["engine"], sec.get("torch"), **common, **cpu),
            metric(wl, "test_acc_1_epoch", "fraction", None, acc["engine"], acc.get("torch"), **common)]


def bench_w2(torch, data: MnistArrays, repeats: int = 5) -> list[dict]:
    model = builders.mlp(784, (128,), 10, "relu", init="he", out_init="glorot", seed=0)
    return _one_epoch("W2", model, lambda: SGD(0.05, momentum=0.9),
                      lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), data, True, torch, repeats)


def bench_w3(torch, data: MnistArrays, repeats: int = 5) -> list[dict]:
    model = builders.cnn(**W3_NET)
    return _one_epoch("W3", model, lambda: Adam(1e-3), lambda p: torch.optim.Adam(p, lr=1e-3), data, False, torch,
                      repeats)


def target_run(trainer_step, set_lr, accuracy, seen, n_train: int, recipe: dict, result: dict, clock=time.perf_counter):
    """Train with the recipe's lr schedule, testing on its schedule, until accuracy >= TARGET; a generator
    yielding after each chunk (<= 50 steps, or one test) so runs can take turns.  It times itself (its own
    chunks only) and fills ``result``: ``seconds`` to the last test, ``acc``, ``epochs``, ``reached``,
    ``tests`` = [(epoch, seconds, accuracy), ...]."""
    bs, lr0, decay = recipe["batch"], recipe["lr"], recipe["decay"]
    tests, spent = [], 0.0
    next_test = recipe["first_eval"]
    while True:
        t = clock()
        epoch = seen() / n_train
        set_lr(lr0 * decay**epoch)
        steps_to_test = math.ceil((next_test * n_train - seen()) / bs)
        trainer_step(max(1, min(50, steps_to_test)))
        epoch = seen() / n_train
        done = False
        if epoch + 1e-9 >= next_test:
            acc = accuracy()
            tests.append((round(epoch, 3), round(spent + clock() - t, 2), round(acc, 4)))
            next_test += recipe["eval_every"]
            done = acc >= TARGET or epoch + 1e-9 >= recipe["max_epochs"]
        spent += clock() - t
        yield 1
        if done:
            break
    result.update(seconds=tests[-1][1], acc=tests[-1][2], epochs=tests[-1][0], reached=tests[-1][2] >= TARGET,
                  tests=tests)


def time_to_target(trainer_step, set_lr, accuracy, seen, n_train: int, recipe: dict):
    """:func:`target_run` on its own: ``(seconds to the last test, accuracy then, epochs, reached, tests)``."""
    r: dict = {}
    for _ in target_run(trainer_step, set_lr, accuracy, seen, n_train, recipe, r):
        pass
    return r["seconds"], r["acc"], r["epochs"], r["reached"], r["tests"]


def describe_recipe(r: dict) -> str:
    convs = " > ".join(f"conv5x5x{c} pool relu" for c in r["channels"])
    dense = f" > dense {r['hidden']} relu" if r["hidden"] else ""
    return (f"{convs}{dense} > dense 10; Adam {r['lr']:g} x {r['decay']:g}^epoch, batch {r['batch']}, "
            f"test every {r['eval_every']:g} epoch from epoch {r['first_eval']:g}")


def bench_w4(torch, data: MnistArrays, recipe: dict = W4_RECIPE, quick: bool = False, seed: int = 0) -> list[dict]:
    """Wall seconds (training plus the tests on the way) until the test accuracy is >= 99.0 %,
    engine and PyTorch taking turns chunk by chunk (each timing only its own chunks)."""
    recipe = dict(recipe, max_epochs=1, first_eval=1.0) if quick else recipe
    model = builders.cnn(recipe["channels"], (recipe["hidden"],) if recipe["hidden"] else (), seed, pool_first=True)
    x, y, x_test = data.x("train", False), data.y_train, data.x("test", False)
    n = len(x)
    results = {"engine": {}}
    net = to_torch(model, torch) if torch is not None else None
    opt = Adam(recipe["lr"])
    trainer = Trainer(model, get_loss("softmax_ce"), opt, x, y, batch_size=recipe["batch"], seed=seed)
    turns = {"engine": target_run(trainer.step, lambda lr: setattr(opt, "lr", lr),
                                  lambda: engine_accuracy(model, x_test, data.y_test),
                                  lambda: trainer.examples_seen, n, recipe, results["engine"])}
    if net is not None:
        loop = TorchLoop(torch, net, "softmax_ce", torch.optim.Adam(net.parameters(), lr=recipe["lr"]), x, y,
                         recipe["batch"], seed)
        results["torch"] = {}
        turns["torch"] = target_run(loop.step, loop.set_lr, lambda: loop.accuracy(x_test, data.y_test),
                                    lambda: loop.seen, n, recipe, results["torch"])
    timing.take_turns(turns)
    if trainer.state != "ok":
        raise RuntimeError(f"W4 engine run diverged: {trainer.diverged_reason}")
    reached = {k: r["reached"] for k, r in results.items()}
    sec = {k: r["seconds"] if r["reached"] else None for k, r in results.items()}
    acc = {k: r["acc"] for k, r in results.items()}
    per_sample = flops.per_sample(model, (1, 28, 28))[1]
    common = {"data": data.source, "recipe": describe_recipe(recipe), "train_flops_per_sample": per_sample,
              "train_gflop": {k: round(per_sample * r["epochs"] * n / 1e9, 1) for k, r in results.items()}}
    gap = {f"{k}_pp_below_99_2": round(100 * (GOAL - a), 2) for k, a in acc.items()}
    return [metric("W4", "seconds_to_99", "s", "lower", sec["engine"], sec.get("torch"), reached=reached, **common),
            metric("W4", "test_acc_reached", "fraction", None, acc["engine"], acc.get("torch"), **gap),
            metric("W4", "epochs", "epochs", None, results["engine"]["epochs"],
                   results["torch"]["epochs"] if "torch" in results else None,
                   tests={k: r["tests"] for k, r in results.items()})]
