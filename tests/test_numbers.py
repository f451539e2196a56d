"""tui/numbers.py: the UI's one number formatter and its axis ticks."""

import doctest
import math

import numpy as np
import pytest

from tui import numbers
from tui.numbers import (
    fmt,
    fmt_count,
    fmt_epoch,
    fmt_int,
    fmt_pct,
    inner_ticks,
    log_range,
    nice_range,
    nice_step,
    nice_ticks,
    tick_labels,
)

INF, NAN = math.inf, math.nan


def test_doctests():
    assert doctest.testmod(numbers).failed == 0


@pytest.mark.parametrize("x, sig, text", [
    (0.012345, 4, "0.01235"),
    (0.5, 4, "0.5"),
    (1 / 3, 4, "0.3333"),
    (1 / 3, 2, "0.33"),
    (-0.25, 4, "-0.25"),
    (12345.6, 4, "12,346"),  # the integer part is never cut
    (999_999, 4, "999,999"),
    (9.99996, 4, "10"),  # rounding carries into a new digit
    (0.00099996, 4, "0.001"),
    (0.00012, 4, "0.00012"),
    (0, 4, "0"),
    (69056889309453043454456102912.0, 4, "6.9e+28"),  # the issue's diverged loss
    (3.14e-7, 4, "3.1e-07"),
    (-2.5e9, 4, "-2.5e+09"),
    (1e6, 4, "1e+06"),
    (123456789.0, 6, "1.235e+08"),
    (INF, 4, "inf"),
    (-INF, 4, "-inf"),
    (NAN, 4, "NaN"),
    (None, 4, "-"),
    (np.float32(0.25), 4, "0.25"),
])
def test_fmt(x, sig, text):
    assert fmt(x, sig) == text


def test_fmt_keeps_zeros_when_asked_and_sig_bounds_length():
    assert fmt(0.5, 4, strip=False) == "0.5000"
    assert fmt(12345.6, sep=False) == "12346"
    rng = np.random.default_rng(0)
    for x in np.concatenate([10.0 ** rng.uniform(-300, 300, 500), -(10.0 ** rng.uniform(-20, 20, 500))]):
        text = fmt(float(x), 4)
        assert len(text) <= 10, (x, text)  # '-0.0001839', '-1.2e+300' at worst
        assert math.isclose(float(text.replace(",", "")), x, rel_tol=0.06)


@pytest.mark.parametrize("n, text", [(0, "0"), (517448, "517,448"), (5174480.0, "5,174,480"), (-3, "-3"),
                                     (INF, "inf"), (NAN, "NaN")])
def test_fmt_int(n, text):
    assert fmt_int(n) == text


@pytest.mark.parametrize("n, text", [
    (0, "0"), (999, "999"), (1000, "1k"), (15_400, "15k"), (154_000, "154k"), (5_174_480, "5.2M"),
    (999_960, "1M"), (2.5e9, "2.5G"), (1.2e13, "12T"), (3.5, "3.5"), (-15_400, "-15k"), (NAN, "NaN"),
])
def test_fmt_count(n, text):
    assert fmt_count(n) == text


@pytest.mark.parametrize("x, text", [(0.9734, "97.3%"), (1.0, "100%"), (0.99996, "99.9%"), (0.0, "0%"),
                                     (0.5, "50%"), (0.001, "0.1%"), (NAN, "NaN")])
def test_fmt_pct_never_rounds_up_to_100(x, text):
    assert fmt_pct(x) == text


@pytest.mark.parametrize("e, text", [(20697.9, "20,697"), (20.0, "20"), (20697.0, "20,697"), (3.25, "3.2"),
                                     (99.96, "99.9"), (0.0, "0"), (0.04, "0.0"), (150.5, "150")])
def test_fmt_epoch_whole_epochs_are_integers(e, text):
    assert fmt_epoch(e) == text


# -- ticks ---------------------------------------------------------------------------------------------

def _evenly_spaced_round(ticks, integer=False):
    ticks = np.asarray(ticks, dtype=np.float64)
    steps = np.diff(ticks)
    assert len(ticks) >= 2 and np.all(steps > 0)
    assert np.allclose(steps, steps[0], rtol=1e-9)
    k = math.floor(math.log10(steps[0]) + 1e-9)
    mantissa = steps[0] / 10.0 ** k
    assert any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (1, 2, 5)), steps[0]
    assert np.allclose(ticks / steps[0], np.round(ticks / steps[0]), atol=1e-6)  # multiples of the step
    if integer:
        assert np.all(ticks == np.round(ticks)) and steps[0] >= 1


@pytest.mark.parametrize("lo, hi", [(0, 0.71), (0.12, 0.71), (0, 1), (-1, 1), (0.003, 0.0041), (0, 3.6e35),
                                    (1e-9, 3e-8), (13.7, 13.9), (0.49999, 0.50001), (-5e6, 2e7), (0.693147, 0.693148)])
def test_nice_ticks_are_round_evenly_spaced_and_cover_the_range(lo, hi):
    a, b, ticks = nice_range(lo, hi, 5)
    _evenly_spaced_round(ticks)
    assert a <= lo and b >= hi and ticks[0] == a and ticks[-1] == b
    assert 2 <= len(ticks) <= 9
    assert nice_ticks(lo, hi, 5) == ticks
    labels = tick_labels(ticks)
    assert len(set(labels)) == len(labels) and max(map(len, labels)) <= 8, labels


def test_the_issue_ticks():
    assert tick_labels(nice_ticks(0, 0.71, 6)) == ["0.0", "0.2", "0.4", "0.6", "0.8"]  # not 0.71, 0.59, 0.48, ...


@pytest.mark.parametrize("lo, hi", [(0, 26627.2), (0, 7), (3, 517_448), (0, 1.5), (1_200_000, 1_250_000), (0, 3)])
def test_integer_ticks_are_whole(lo, hi):
    a, b, ticks = nice_range(lo, hi, 5, integer=True)
    _evenly_spaced_round(ticks, integer=True)
    assert a <= lo and b >= hi
    labels = tick_labels(ticks)
    assert len(set(labels)) == len(labels) and max(map(len, labels)) <= 8
    assert not any("." in s and s[-1].isdigit() and s.replace(".", "").isdigit() for s in labels)  # no '26627.2'


def test_step_zero_gets_a_real_axis():
    assert nice_ticks(0, 0, 5, integer=True) == [0.0, 1.0]  # not -1..1
    assert nice_ticks(517448, 517448, 5, integer=True) == [517448.0, 517449.0]
    lo, hi, _ = nice_range(0.69, 0.69, 5)
    assert lo < 0.69 < hi and lo >= 0
    assert nice_range(NAN, NAN)[:2] == (0.0, 1.0)


def test_inner_ticks_lie_inside():
    ticks = inner_ticks(3, 517_448, 5, integer=True)
    _evenly_spaced_round(ticks, integer=True)
    assert ticks[0] >= 3 and ticks[-1] <= 517_448
    assert inner_ticks(0.0, 0.0, integer=True) == [0.0, 1.0]


def test_nice_step():
    assert nice_step(10, 6) == 2
    assert nice_step(1, 5) == 0.5
    assert nice_step(0.3, 5, integer=True) == 1
    assert nice_step(0, 5) == 1 and nice_step(NAN, 5) == 1


def test_tick_labels_styles():
    assert tick_labels([0, 10_000, 20_000, 30_000]) == ["0", "10k", "20k", "30k"]
    assert tick_labels([0, 1e35, 2e35]) == ["0", "1e+35", "2e+35"]
    assert tick_labels([0, 2e-6, 4e-6]) == ["0", "2e-06", "4e-06"]
    assert tick_labels([0, 0.5, 1.0], percent=True) == ["0%", "50%", "100%"]
    assert tick_labels([0.9, 0.95, 1.0], percent=True) == ["90%", "95%", "100%"]
    assert tick_labels([0, 500, 1000]) == ["0", "500", "1000"]
    assert tick_labels([1.2e6, 1.25e6, 1.3e6]) == ["1.20M", "1.25M", "1.30M"]
    assert tick_labels([]) == []


def test_log_ticks():
    lo, hi, ticks = log_range(0.001, 0.7)
    assert (lo, hi) == (0.001, 1.0) and ticks == [0.001, 0.01, 0.1, 1.0]
    assert tick_labels(ticks, log=True) == ["0.001", "0.01", "0.1", "1"]
    lo, hi, ticks = log_range(0.3, 0.7)  # one decade: 1-2-5
    assert ticks == [0.1, 0.2, 0.5, 1.0]
    lo, hi, ticks = log_range(0.08, 3.6e35)  # a diverged loss: every k-th decade, one of them 1
    assert lo <= 0.08 and hi >= 3.6e35 and len(ticks) <= 7 and 1.0 in ticks
    labels = tick_labels(ticks, log=True)
    assert max(map(len, labels)) <= 8 and len(set(labels)) == len(labels)
    assert log_range(0, 1) == (0.1, 1.0, [0.1, 1.0])  # nothing positive to show
