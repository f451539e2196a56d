"""Where a CNN training step spends its time: per layer, per phase (forward/backward), per part.

    OPENBLAS_NUM_THREADS=1 NNPLAY_MNIST_DIR=/path/to/mnist uv run python tools/profile_cnn.py [--workload W3|W4]
        [--threads N] [--steps 300] [--batch B] [--subset] [--json]

It runs the loop of ``Trainer.step`` written out (shuffle once per epoch, gather the batch, forward,
loss, backward, optimizer update) on the bench's W3 or W4 network and times each piece.  Inside a layer
it splits the time into parts by wrapping, for the run only, the helper functions the conv layers call
(the names in ``PARTS``, where ``engine.layers`` looks them up) and the GEMM calls made through
``backend.xp`` (``xp.matmul``/``xp.dot``; a bare ``a @ b`` is not seen); what is left of a layer's time
is ``other`` (bias adds, elementwise ops, small copies).  Wrapping costs about a microsecond per call,
so the wrapped total is a little above an unwrapped step (both are printed).

With ``--threads`` > 1 a training batch runs as two halves on two threads (engine.data_parallel):
the step times are right (use ``--clock wall``), the per-layer table is not (both threads share the clock).

Times are this thread's CPU time by default (``--clock cpu``: on a shared machine, time spent
descheduled is not the code's), or wall time (``--clock wall``; use it with ``--threads`` > 1).

FLOPs: engine.bench.flops (convolutions and dense layers; a multiply-add is 2).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import backend, builders, layers as layers_module  # noqa: E402
from engine.bench import flops, workloads  # noqa: E402
from engine.datasets import mnist  # noqa: E402
from engine.losses import get_loss  # noqa: E402
from engine.optimizers import Adam  # noqa: E402

# The conv helpers (engine.im2col), wrapped where the layers look them up, when present.
PARTS = ("pad_chwn", "to_chwn", "im2col", "col2im", "shift_columns", "im2col_planes", "col2im_planes")


def helper_modules():
    return [layers_module]


now = time.thread_time


class Clock:
    """Accumulates seconds per (layer, phase, part); ``where`` is the layer call being timed."""

    def __init__(self):
        self.total = defaultdict(float)
        self.where = None

    def wrap(self, fn, part):
        def timed(*a, **k):
            if self.where is None:
                return fn(*a, **k)
            t = now()
            try:
                return fn(*a, **k)
            finally:
                self.total[(*self.where, part)] += now() - t
        return timed

    def layer(self, fn, name, phase):
        def timed(*a, **k):
            self.where = (name, phase)
            t = now()
            try:
                return fn(*a, **k)
            finally:
                self.total[(name, phase, "all")] += now() - t
                self.where = None
        return timed


class TimedXp:
    """``backend.xp`` with its GEMM calls timed (everything else passes through)."""

    def __init__(self, xp, clock):
        self._xp = xp
        self.matmul = clock.wrap(xp.matmul, "gemm")
        self.dot = clock.wrap(xp.dot, "gemm")

    def __getattr__(self, name):
        return getattr(self._xp, name)


def build(workload: str):
    if workload == "W3":
        return builders.cnn(**workloads.W3_NET), 64, 1e-3
    r = workloads.W4_RECIPE
    return builders.cnn(r["channels"], dense=(r["hidden"],) if r["hidden"] else (), seed=0,
                        pool_first=True), r["batch"], r["lr"]


def profile(workload: str, steps: int, batch: int | None, data) -> dict:
    model, bs, lr = build(workload)
    bs = batch or bs
    x = (data.train_images.astype(np.float32) * np.float32(1 / 255)).reshape(-1, 1, 28, 28)
    y = data.train_labels.astype(np.int64)
    loss, opt = get_loss("softmax_ce"), Adam(lr)
    groups = model.param_groups()
    rng = np.random.default_rng(0)
    names = [f"{i}:{layer.describe()}" for i, layer in enumerate(model.layers)]
    clock = Clock()

    def run(n, timed):
        perm, pos, seen = None, len(x), 0
        t_step = []
        for _ in range(n):
            t0 = now()
            if pos >= len(x):
                perm, pos = rng.permutation(len(x)), 0
            a, b = pos, min(pos + bs, len(x))
            pos = b
            xb = x[perm[a:b]]  # the Trainer gathers each batch of a big training set (engine.trainer._Gather)
            t1 = now()
            value = loss.forward(model.forward(xb, True), y[perm[a:b]])
            g = loss.backward()
            model.backward(g)
            t2 = now()
            opt.step(groups)
            t3 = now()
            if not math.isfinite(value):
                raise RuntimeError("diverged")
            if timed:
                clock.total[("data", "gather", "all")] += t1 - t0
                clock.total[("optimizer", "adam", "all")] += t3 - t2
            t_step.append(t3 - t0)
            seen += b - a
        return t_step

    run(20, False)  # warm up: buffers allocated, caches filled
    plain = run(steps, False)
    saved = []
    for mod in helper_modules():
        for part in PARTS:
            if hasattr(mod, part):
                saved.append((mod, part, getattr(mod, part)))
                setattr(mod, part, clock.wrap(getattr(mod, part), part))
    for layer, name in zip(model.layers, names):
        layer.forward = clock.layer(layer.forward, name, "forward")
        layer.backward = clock.layer(layer.backward, name, "backward")
        if hasattr(layer, "forward_planes"):  # the fused conv + pool step (engine.fusion) calls these
            layer.forward_planes = clock.layer(layer.forward_planes, name, "forward")
            layer.backward_planes = clock.layer(layer.backward_planes, name, "backward")
    loss.forward = clock.layer(loss.forward, "loss", "forward")
    loss.backward = clock.layer(loss.backward, "loss", "backward")
    xp = backend.xp
    backend.xp = TimedXp(xp, clock)
    try:
        wrapped = run(steps, True)
    finally:
        backend.xp = xp
        for mod, part, fn in saved:
            setattr(mod, part, fn)
    fwd, train = flops.per_sample(model, (1, 28, 28))
    rows = []
    for (name, phase, part), t in sorted(clock.total.items(), key=lambda kv: (kv[0][0] != "data", kv[0])):
        if part != "all":
            continue
        subs = {p: clock.total[(name, phase, p)] for p in ("gemm", *PARTS) if (name, phase, p) in clock.total}
        row = {"layer": name, "phase": phase, "ms": 1000 * t / steps,
               "parts": {p: 1000 * s / steps for p, s in subs.items()}}
        row["parts"]["other"] = row["ms"] - sum(row["parts"].values()) if subs else None
        rows.append(row)
    step_ms = 1000 * statistics.median(plain)
    return {"workload": workload, "batch": bs, "steps": steps, "rows": rows,
            "step_ms_median": step_ms, "step_ms_wrapped": 1000 * statistics.median(wrapped),
            "samples_per_s": bs / (step_ms / 1000), "flops_forward": fwd, "flops_train": train,
            "gflops_per_s": train * bs / (step_ms / 1000) / 1e9}


def print_table(r: dict) -> None:
    order = {"data": 0, "loss": 2, "optimizer": 3}
    rows = sorted(r["rows"], key=lambda row: (order.get(row["layer"], 1), row["phase"] == "backward",
                                               int(row["layer"].split(":")[0]) * (1 if row["phase"] == "forward" else -1)
                                               if ":" in row["layer"] else 0))
    print(f"{r['workload']} batch {r['batch']}, {r['steps']} steps, {r.get('clock', 'cpu')} time: median step {r['step_ms_median']:.2f} ms "
          f"unwrapped ({r['samples_per_s']:,.0f} samples/s), {r['step_ms_wrapped']:.2f} ms wrapped; "
          f"{r['flops_train'] / 1e6:.2f} MFLOP per training sample ({r['gflops_per_s']:.1f} GFLOP/s)")
    total = sum(row["ms"] for row in rows)
    print(f"{'layer':<26}{'phase':<10}{'ms/step':>9}{'%':>6}  parts (ms)")
    for row in rows:
        parts = "  ".join(f"{p} {v:.3f}" for p, v in row["parts"].items() if v is not None)
        print(f"{row['layer']:<26}{row['phase']:<10}{row['ms']:>9.3f}{100 * row['ms'] / total:>6.1f}  {parts}")
    print(f"{'sum':<36}{total:>9.3f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", default="W3", type=str.upper, choices=("W3", "W4"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch", type=int)
    p.add_argument("--subset", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="this thread's CPU time (default) or wall time")
    args = p.parse_args(argv)
    global now
    now = time.thread_time if args.clock == "cpu" else time.perf_counter
    data = mnist.load_subset() if args.subset else mnist.load(download=False)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.threads), np.errstate(all="ignore"):
        r = profile(args.workload, args.steps, args.batch, data)
    r["threads"], r["clock"] = args.threads, args.clock
    print(json.dumps(r)) if args.json else print_table(r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
