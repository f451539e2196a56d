"""engine.schedules: the one-cycle rate against its equation, and the per-epoch step decay."""

import math

import pytest

from engine.schedules import one_cycle, step_decay


def test_one_cycle_equation_at_every_step():
    total, peak, warm = 1000, 0.004, 0.2
    lo, end = peak / 10, peak / 1000
    for step in range(0, total + 1, 7):
        t = step / total
        if t < warm:
            want = lo + (peak - lo) * t / warm
        else:
            want = end + (peak - end) * (1 + math.cos(math.pi * (t - warm) / (1 - warm))) / 2
        assert one_cycle(step, total, peak) == pytest.approx(want, rel=1e-12)


def test_one_cycle_landmarks_and_shape():
    total, peak = 500, 0.01
    assert one_cycle(0, total, peak) == pytest.approx(peak / 10)
    assert one_cycle(100, total, peak) == pytest.approx(peak)  # end of the 20 % warm-up
    assert one_cycle(300, total, peak) == pytest.approx((peak + peak / 1000) / 2)  # half-way down the cosine
    assert one_cycle(total, total, peak) == pytest.approx(peak / 1000)
    assert one_cycle(10 * total, total, peak) == pytest.approx(peak / 1000)  # past the plan: stays at the end
    rates = [one_cycle(s, total, peak) for s in range(total + 1)]
    top = rates.index(max(rates))
    assert top == 100
    assert all(a < b for a, b in zip(rates[:top], rates[1:top + 1]))  # climbs
    assert all(a > b for a, b in zip(rates[top:], rates[top + 1:]))  # then falls
    assert one_cycle(0, total, peak, warmup=0.0) == pytest.approx(peak)  # no warm-up: starts at the peak


def test_one_cycle_rejects_bad_arguments():
    for args in ((0, 0, 1.0), (0, 10, 0.0)):
        with pytest.raises(ValueError):
            one_cycle(*args)
    with pytest.raises(ValueError):
        one_cycle(0, 10, 1.0, warmup=1.0)


def test_step_decay():
    assert step_decay(0, 0.004, 0.35) == 0.004
    assert step_decay(2, 0.004, 0.35) == pytest.approx(0.004 * 0.35**2)
    assert step_decay(1.5, 0.1, 1.0) == 0.1
