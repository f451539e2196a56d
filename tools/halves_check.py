"""Why two threads gain little: one half-batch step alone, two halves in two threads, two in two processes.

    uv run python tools/halves_check.py [--net W3|W4] [--steps 300]

Each half is 32 images through a copy of the preset-shaped CNN (forward and backward, BLAS at one
thread). Threads share the GIL; processes do not. If two processes each run about as fast as one
alone while two threads each run much slower, the cost is the GIL (each NumPy call's return
waits for it), not the cores or the memory.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def half_steps(net: str, steps: int, start: float | None = None) -> float:
    """Median ms of ``steps`` half-batch steps (after a warm-up), starting at wall time ``start``."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from engine import builders, data_parallel

    x = np.random.default_rng(0).random((32, 1, 28, 28), dtype=np.float32)
    model = builders.cnn((8, 16), (256,) if net == "W4" else (), 0)
    with threadpool_limits(1):
        def one():
            out = data_parallel._forward(model._train_layers, x)
            data_parallel._backward(model._train_backward, out)

        for _ in range(20):
            one()
        while start is not None and time.time() < start:
            pass
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            one()
            times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def _worker(net, steps, start, out):
    out.put(half_steps(net, steps, start))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--net", choices=("W3", "W4"), default="W4")
    p.add_argument("--steps", type=int, default=300)
    args = p.parse_args()
    alone = half_steps(args.net, args.steps)
    results: list[float] = []
    start = time.time() + 1.0
    threads = [threading.Thread(target=lambda: results.append(half_steps(args.net, args.steps, start))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start = time.time() + 3.0
    procs = [ctx.Process(target=_worker, args=(args.net, args.steps, start, queue)) for _ in range(2)]
    for pr in procs:
        pr.start()
    in_procs = [queue.get() for _ in procs]
    for pr in procs:
        pr.join()
    print(f"{args.net} half batch (32): alone {alone:.2f} ms; two threads {results[0]:.2f} / {results[1]:.2f} ms; "
          f"two processes {in_procs[0]:.2f} / {in_procs[1]:.2f} ms")


if __name__ == "__main__":
    main()
