"""History: bounded memory, evenly thinned rows, read-only views, snapshots, saving, truncation."""

import io
import math

import numpy as np
import pytest

from engine.history import HISTORY_KEYS, History


def record(i, **kw):
    return {"step": 10 * i, "epoch": i / 4, "train_loss": 1 / (i + 1), "test_loss": None,
            "train_acc": 0.5, "test_acc": math.nan, **kw}


def filled(n, capacity=2048):
    h = History(capacity=capacity)
    for i in range(n):
        h.append(record(i))
    return h


def gaps(h):
    return np.diff(h["step"])


def test_values_views_and_missing_values():
    h = filled(3)
    assert len(h) == 3 and h.keys() == HISTORY_KEYS and "train_loss" in h and "lr" not in h
    assert h["train_loss"][-1] == 1 / 3 and h["train_loss"].dtype == np.float64
    assert np.all(np.isnan(h["test_loss"])) and np.all(np.isnan(h["test_acc"]))  # None and NaN: NaN
    with pytest.raises(ValueError):
        h["step"][0] = 5  # read-only
    assert h.get("lr") is None and np.array_equal(h.get("step"), [0, 10, 20])
    assert h.last("step") == 20.0 and math.isnan(h.last("test_loss")) and h.last("lr", 7) == 7
    assert math.isnan(History().last("step")) and History().last("step", None) is None
    h.append({"step": 30})  # missing keys are NaN
    assert h.last("step") == 30 and math.isnan(h.last("train_loss"))
    with pytest.raises(KeyError):
        h.append({"step": 40, "train_los": 1.0})
    with pytest.raises(KeyError):
        h["lr"]
    with pytest.raises(KeyError):
        h.append({"train_loss": 1.0})  # no step


def test_capacity_first_and_latest_after_a_million_appends():
    h, r = History(), record(0)
    for i in range(1_000_000):
        r["step"] = i
        h.append(r)
    steps = h["step"]
    assert len(h) <= h.capacity == 2048 and len(h) > h.capacity // 2  # bounded, but not needlessly sparse
    assert steps[0] == 0 and steps[-1] == 999_999
    assert np.all(np.diff(steps) > 0)
    body = np.diff(steps[:-1])
    assert body.min() == body.max() == h.spacing  # evenly spread ...
    assert 0 < steps[-1] - steps[-2] <= h.spacing  # ... and the latest no further out than that


def test_even_spread_through_every_thinning():
    h, before, thinnings = History(capacity=16), 0, 0
    for i in range(5000):
        h.append(record(i))
        g = gaps(h)
        assert len(h) <= 16 and h["step"][0] == 0 and h["step"][-1] == 10 * i
        assert np.all(g > 0)
        if h.spacing:  # kept rows: one spacing apart; the latest: within one spacing of the row before
            assert g[:-1].min() == g[:-1].max() == h.spacing and g[-1] <= h.spacing
        if len(h) < before:  # it just thinned
            thinnings += 1
            assert g.max() <= 2 * g.min()
        before = len(h)
    assert thinnings >= 8 and h.spacing == 10 * 2**thinnings


def test_arrays_are_copies_bounded_whatever_the_runs_age():
    young, old = filled(100), filled(200_000)
    for h in (young, old):
        full, small = h.arrays(), h.arrays(max_points=50)
        assert set(full) == set(small) == set(HISTORY_KEYS)
        assert len(full["step"]) == len(h) <= h.capacity and len(small["step"]) == 50
        assert small["step"][0] == 0 and small["step"][-1] == h["step"][-1]  # first and latest
        assert np.all(np.diff(small["step"]) > 0)
        spacing = np.diff(np.searchsorted(h["step"], small["step"]))
        assert spacing.max() - spacing.min() <= 1  # evenly over the stored rows
        full["step"][0] = -1  # a copy: the history is untouched
        assert h["step"][0] == 0
    assert len(old.arrays(max_points=1)["step"]) == 1 and old.arrays(1)["step"][0] == old.last("step")
    assert len(old.arrays()["step"]) <= 2048  # what a snapshot copies does not grow with the run


def test_copy_is_independent():
    h = filled(40, capacity=8)
    twin = h.copy()
    assert repr(twin) == repr(h) and all(np.array_equal(twin[k], h[k], equal_nan=True) for k in h.keys())
    h.append(record(40))
    assert twin.last("step") == 390 and h.last("step") == 400


def test_state_round_trip_through_npz_and_thinning_carries_on():
    h = filled(1000, capacity=32)
    buf = io.BytesIO()
    np.savez(buf, **h.state())
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as data:
        again = History.from_state(data)
    assert again.keys() == h.keys() and again.capacity == 32 and again.spacing == h.spacing
    for i in range(1000, 3000):  # both keep thinning the same way
        h.append(record(i))
        again.append(record(i))
    for k in h.keys():
        np.testing.assert_array_equal(again[k], h[k])


def test_from_plain_columns_replays_them():
    h = filled(500, capacity=16)
    plain = {k: np.arange(500.0) * (j + 1) for j, k in enumerate(HISTORY_KEYS)}
    plain["step"] = 10 * np.arange(500.0)
    rebuilt = History.from_state(plain, capacity=16)
    assert len(rebuilt) == len(h) and np.array_equal(rebuilt["step"], h["step"])
    assert np.array_equal(rebuilt["epoch"], 2 * rebuilt["step"] / 10)
    with pytest.raises(ValueError):
        History.from_state({"step": np.arange(3.0), "epoch": np.arange(4.0)})


def test_truncate_after():
    h = filled(100)
    h.truncate_after(455)
    assert h.last("step") == 450 and len(h) == 46
    h.truncate_after(10_000)  # nothing later: unchanged
    assert len(h) == 46
    h.append(record(46))
    assert h.last("step") == 460 and len(h) == 47
    h.truncate_after(-1)
    assert len(h) == 0 and math.isnan(h.last("step"))


def test_truncate_after_thinning_then_growing_stays_even():
    h = filled(300, capacity=16)
    h.truncate_after(1234)
    assert h.last("step") <= 1234 and np.all(gaps(h) == h.spacing)  # the transient latest row went too
    for i in range(124, 2000):  # time travel: the run resumes after step 1234
        h.append(record(i))
        g = gaps(h)
        assert len(h) <= 16 and g[:-1].min() == g[:-1].max() == h.spacing and 0 < g[-1] <= h.spacing


def test_a_changed_cadence_stays_even_in_steps():
    """Evaluations every 10 steps, then every 70 (a bigger batch: longer epochs): spread by step, not by count."""
    h, step = History(capacity=32), 0
    for i in range(3000):
        h.append(record(0, step=step))
        step += 10 if i < 500 else 70
        g = gaps(h)
        assert len(h) <= 32 and np.all(g > 0)
        if h.spacing:  # each bucket's first record: gaps within one record gap of the spacing
            assert h.spacing - 70 < g[:-1].min() and g[:-1].max() < h.spacing + 70


def test_bad_arguments():
    with pytest.raises(ValueError):
        History(capacity=2)
    with pytest.raises(ValueError):
        History(keys=("epoch", "loss"))
    with pytest.raises(ValueError):
        filled(10).arrays(max_points=0)
