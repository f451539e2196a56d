"""Time travel: the run's film of its past, drawing a past frame, and training on from it."""

import numpy as np

from conftest import make_app
from scenarios.classify import ClassifyRun
from scenarios.film import Film
from scenarios.regress import RegressRun


def test_film_stays_within_its_budget_and_keeps_first_and_newest():
    film = Film(frame_bytes=1 << 20, budget=64 << 20)  # 64 frames of 1 MB at most
    assert film.max_frames == 64
    for step in range(0, 100_000, 10):
        film.capture(step, step * 10, [np.zeros(4)])
    steps = [f.step for f in film.frames]
    assert len(steps) <= film.max_frames and steps[0] == 0 and steps[-1] == 99_990
    gaps = np.diff(steps[:-1])
    assert gaps.max() <= 2 * gaps.min()  # evenly thinned, not just the tail
    assert film.at(55_555).step <= 55_555 < film.neighbour(film.at(55_555).step, 1).step


def test_a_past_frame_draws_what_the_run_drew_then():
    run = ClassifyRun({"dataset": "xor"}, seed=1)
    run.step(250)
    frame = run.film.at(100)
    fresh = ClassifyRun({"dataset": "xor"}, seed=1)
    fresh.step(frame.step)
    now = run.view("field").values
    past = run.snapshot({"field"}, at=100)
    assert past.status.past == frame.step and past.status.step == 250 and "the past" in past.status.message
    np.testing.assert_array_equal(past.view("field").values, fresh.view("field").values)
    np.testing.assert_array_equal(run.view("field").values, now)  # drawing the past left the present alone
    assert past.status.train_loss == fresh.metrics()["train_loss"]


def test_resume_from_the_past_drops_the_future_and_trains_on():
    run = ClassifyRun({"dataset": "xor"}, seed=1)
    run.step(250)
    step = run.film.at(100).step
    run.resume_from(step)
    assert run.trainer.steps == step and run.trainer.history["step"][-1] == step
    assert max(f.step for f in run.film.frames) == step
    run.set("lr", 0.3)
    assert run.step(50) == 50 and run.trainer.steps == step + 50


def test_regress_line_mode_films_its_path():
    run = RegressRun({"mode": "line", "dataset": "line", "batch": 1000}, seed=2)
    run.step(100)
    past = run.snapshot({"landscape"}, at=50).view("landscape")
    now = run.view("landscape")
    assert len(past.path) < len(now.path)


async def test_keys_scrub_back_and_resume():
    app = make_app(values={"dataset": "xor"})
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(300)
        await pilot.press("comma", "comma")
        assert app.past_step is not None and app.snap.status.past == app.past_step < 300 == app.snap.status.step
        await pilot.press("full_stop")
        later = app.past_step
        assert later is None or later > app.snap.status.past - 100
        await pilot.press("comma")
        shown = app.past_step
        await pilot.press("ctrl+r")
        assert app.past_step is None and app.scenario.trainer.steps == shown
        await pilot.press("space")  # plays again (threaded=False: nothing runs by itself)
        assert app.playing
