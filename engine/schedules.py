"""Learning-rate schedules as plain functions of the step: no state, so any step can be asked for.

``one_cycle`` is the schedule of Smith's super-convergence (and of the fast MNIST recipes such as
tuomaso/train_mnist_fast): the rate climbs linearly from ``peak / start_div`` to ``peak`` over the
first ``warmup`` fraction of the planned steps, then falls along half a cosine to ``peak / end_div``
at the last planned step; past it the rate stays there.  A short climb lets Adam's early, noisy
steps stay small; the long fall spends the last steps fine-tuning at a small rate.
"""

from __future__ import annotations

import math


def one_cycle(step: float, total: float, peak: float, *, warmup: float = 0.2,
              start_div: float = 10.0, end_div: float = 1000.0) -> float:
    """The one-cycle rate at ``step`` (0-based) of ``total`` planned steps (see the module docstring)."""
    if total <= 0 or peak <= 0:
        raise ValueError("one_cycle needs total > 0 and peak > 0")
    if not 0.0 <= warmup < 1.0:
        raise ValueError("one_cycle needs 0 <= warmup < 1")
    lo, end = peak / start_div, peak / end_div
    t = min(max(step / total, 0.0), 1.0)
    if t < warmup:
        return lo + (peak - lo) * t / warmup
    u = (t - warmup) / (1.0 - warmup)
    return end + (peak - end) * 0.5 * (1.0 + math.cos(math.pi * u))


def step_decay(epoch: float, base: float, factor: float) -> float:
    """``base × factor^epoch``: the per-epoch decay (constant when ``factor`` is 1)."""
    return base * factor ** epoch
