"""Timing on a noisy machine: runners take turns in chunks, and each figure is a median with its spread.

Two runs measured one after the other see different machines when others share it (another
job starts, the clock steps down).  So :func:`take_turns` interleaves them: each runner does a
chunk of its work in turn, the order alternating (ABBA), and every chunk is timed on its own.
A figure is then the median over chunks, with the lowest and highest chunk as its spread, and
an engine/reference ratio is the median of the ratios of chunks run back to back.
"""

from __future__ import annotations

import math
import statistics
import time


def summary(values, digits: int = 1) -> dict:
    """``{"median", "min", "max", "n"}`` of some numbers (rounded)."""
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "n": len(values)}


def take_turns(chunks: dict, clock=time.perf_counter) -> dict:
    """Run generators in turn until all are exhausted; each ``next()`` is one timed chunk.

    ``chunks``: name -> generator that does a chunk of work per ``next()`` and yields how many
    units (steps, samples) it did.  Returns name -> list of ``(seconds, units, cpu_seconds)``.
    The order alternates every round (A B, B A, ...) so neither runner always goes first.
    """
    times = {k: [] for k in chunks}
    live = list(chunks)
    round_no = 0
    while live:
        order = live if round_no % 2 == 0 else live[::-1]
        for name in list(order):
            t, c = clock(), time.process_time()
            try:
                units = next(chunks[name])
            except StopIteration:
                live.remove(name)
                continue
            times[name].append((clock() - t, units, time.process_time() - c))
        round_no += 1
    return times


def rates(times) -> list[float]:
    """Units per second of each chunk."""
    return [u / s for s, u, _ in times if s > 0]


def paired_ratios(engine, ref) -> list[float]:
    """Engine rate / reference rate for chunks run back to back (same index)."""
    return [e / r for e, r in zip(rates(engine), rates(ref)) if r > 0]


def total(times, index: int = 0) -> float:
    return sum(t[index] for t in times)


def chunk_sizes(n: int, parts: int) -> list[int]:
    """``n`` split into ``parts`` near-equal positive sizes (fewer when ``n`` is small)."""
    parts = max(1, min(parts, n))
    return [n // parts + (i < n % parts) for i in range(parts)]
