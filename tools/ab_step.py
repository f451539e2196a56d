"""Interleaved A/B of one training step: this checkout's engine against the engine of a git revision.

    OPENBLAS_NUM_THREADS=1 uv run python tools/ab_step.py REV [--net W3|W4] [--rounds 30] [--threads 1] [--wall]

``git archive REV engine`` is unpacked into a temporary directory as the package ``engine_base``
(the engine imports itself relatively, so both load side by side). The same CNN (W3: conv 8 and
16 with ReLU and 2x2 pools, 10 logits; W4: pool first and a dense layer of 256) is built by each
engine from the same seed, and the two take turns in chunks of 10 steps on the same random
batches, the order alternating every round. The speedup is the median of the per-round ratios,
with the quartiles. CPU time by default: descheduling on a shared machine is not the code's.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]


def unpack(rev: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "engine"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    (into / "engine").rename(into / "engine_base")


def stepper(pkg: str, net: str, x, y, batch: int):
    builders = importlib.import_module(pkg + ".builders")
    losses = importlib.import_module(pkg + ".losses")
    optimizers = importlib.import_module(pkg + ".optimizers")
    model = builders.cnn((8, 16), (256,) if net == "W4" else (), 0, pool_first=net == "W4")
    loss, opt, groups = losses.get_loss("softmax_ce"), optimizers.Adam(1e-3), model.param_groups()
    state = {"i": 0}
    n = len(x) // batch

    def step():
        i = state["i"] = (state["i"] + 1) % n
        loss.forward(model.forward(x[i * batch : (i + 1) * batch], True), y[i * batch : (i + 1) * batch])
        model.backward(loss.backward())
        opt.step(groups)

    return step


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("rev")
    p.add_argument("--net", choices=("W3", "W4"), default="W3")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--wall", action="store_true", help="wall-clock time instead of this thread's CPU time")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nnplay-ab-"))
    try:
        unpack(args.rev, tmp)
    except subprocess.CalledProcessError as exc:
        sys.exit(f"ab_step: cannot unpack engine/ at {args.rev}: {exc.stderr.decode().strip()}")
    sys.path[:0] = [str(tmp), str(ROOT)]
    try:
        run(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args) -> None:
    rng = np.random.default_rng(0)
    batch = 64
    x = rng.random((batch * 40, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch * 40)
    clock = time.perf_counter if args.wall else time.thread_time
    with threadpool_limits(args.threads):
        runs = {name: stepper(name, args.net, x, y, batch) for name in ("engine_base", "engine")}
        for step in runs.values():
            for _ in range(10):
                step()
        ms = {name: [] for name in runs}
        for r in range(args.rounds):
            for name in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
                t = clock()
                for _ in range(10):
                    runs[name]()
                ms[name].append((clock() - t) / 10 * 1e3)
    base, new = np.array(ms["engine_base"]), np.array(ms["engine"])
    ratio = base / new
    print(f"{args.net}, {args.threads} thread(s), {args.rounds} rounds of 10 steps, {'wall' if args.wall else 'CPU'} time: "
          f"{args.rev} {np.median(base):.2f} ms/step, this checkout {np.median(new):.2f} ms/step; "
          f"speedup {np.median(ratio):.3f} (quartiles {np.percentile(ratio, 25):.3f}-{np.percentile(ratio, 75):.3f})")


if __name__ == "__main__":
    main()
