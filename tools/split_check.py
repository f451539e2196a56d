"""Does the two-thread batch split (engine.data_parallel) beat one thread for the MNIST CNN preset?

    NNPLAY_MNIST_DIR=../shared/data/mnist uv run python tools/split_check.py [--rounds 4] [--steps 100]
        [--set KEY=VALUE ...]

Two copies of the preset's run (same seed) train in turns, ``--steps`` steps a turn: one with BLAS at
one thread (no split), one at two (each batch split in halves).  Prints the median wall and CPU
milliseconds per step of each and their ratio, with the load average before and after: the split
needs the second core free, so on a shared machine say what the load was.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from threadpoolctl import threadpool_limits

import scenarios
from engine import data_parallel
from scenarios.preset import load_preset


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args()
    preset = load_preset("scenarios/presets/mnist-cnn.toml", scenarios.schemas())
    values = scenarios.get("mnist").schema.apply_assignments(preset.values, args.set)
    runs = {t: scenarios.get("mnist")(values, preset.seed or 0) for t in (1, 2)}
    times: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    load0 = os.getloadavg()[0]
    for t, run in runs.items():  # warm-up: work buffers, the worker thread
        with threadpool_limits(t):
            run.trainer.step(20)
    for _ in range(args.rounds):
        for t, run in runs.items():
            with threadpool_limits(t):
                assert data_parallel.eligible(run.model, run.trainer.batch_size) == (t > 1)
                w, c = time.perf_counter(), time.process_time()
                run.trainer.step(args.steps)
                times[t].append(((time.perf_counter() - w) / args.steps * 1e3, (time.process_time() - c) / args.steps * 1e3))
    med = {t: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for t, v in times.items()}
    for t, (w, c) in med.items():
        print(f"{'1 thread ' if t == 1 else '2 threads (split)'}: {w:.1f} ms/step wall, {c:.1f} ms/step CPU")
    print(f"split speed-up (wall): {med[1][0] / med[2][0]:.2f}x; load average {load0:.2f} -> {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
