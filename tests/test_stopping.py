"""Stop conditions: the parser, Condition.met, the until setting and the Run's stop methods."""

import math

import pytest

from scenarios.classify import ClassifyRun
from scenarios.regress import RegressRun
from scenarios.settings import SettingError
from scenarios.stopping import parse_condition, parse_conditions, until_setting
from scenarios.views import Status


@pytest.mark.parametrize("text,key,op,value,norm", [
    ("epoch=50", "epoch", "=", 50.0, "epoch=50"),
    ("step = 7", "step", "=", 7.0, "step=7"),
    ("loss<0.05", "loss", "<", 0.05, "loss<0.05"),
    ("train_loss <= 1e-3", "train_loss", "<=", 1e-3, "train_loss<=1e-3"),
    ("test_acc>=0.95", "test_acc", ">=", 0.95, "test_acc>=0.95"),
    ("TEST_LOSS>0.2", "test_loss", ">", 0.2, "test_loss>0.2"),
    ("train_acc==1", "train_acc", "=", 1.0, "train_acc=1"),
])
def test_parse(text, key, op, value, norm):
    c = parse_condition(text)
    assert (c.key, c.op, c.value, c.text) == (key, op, value, norm)


@pytest.mark.parametrize("text", ["foo<1", "loss", "loss<abc", "loss<nan", "epoch=-1", "<3", "loss<<1", "acc>0.9"])
def test_bad_condition_is_one_line_naming_keys_and_operators(text):
    with pytest.raises(SettingError) as err:
        parse_condition(text)
    msg = str(err.value)
    assert "\n" not in msg and "test_acc" in msg and "<=" in msg


def test_met():
    s = Status("x", step=100, epoch=4.0, train_loss=0.04, test_loss=0.2, train_acc=0.99, test_acc=0.95)
    assert parse_condition("epoch=4").met(s) and parse_condition("epoch=3").met(s)  # = on a counter: reached
    assert not parse_condition("epoch=5").met(s)
    assert parse_condition("step=100").met(s) and not parse_condition("step>100").met(s)
    assert parse_condition("loss<0.05").met(s) and not parse_condition("loss<0.04").met(s)
    assert parse_condition("loss<=0.04").met(s)
    assert parse_condition("test_acc>=0.95").met(s) and not parse_condition("test_acc>0.95").met(s)
    assert parse_condition("test_loss>0.1").met(s)
    assert parse_condition("test_acc=0.95").met(s)


def test_nan_never_meets():
    s = Status("x", train_loss=math.nan, test_acc=math.nan)
    for text in ("loss<1e9", "loss>-1e9", "test_acc>=0", "test_acc<=1", "loss=0"):
        assert not parse_condition(text).met(s)


def test_parse_conditions_from_setting_text_and_lists():
    assert [c.text for c in parse_conditions("epoch=5, loss<0.1")] == ["epoch=5", "loss<0.1"]
    assert [c.text for c in parse_conditions(["epoch=5", "loss<0.1,test_acc>=0.9"])] == \
        ["epoch=5", "loss<0.1", "test_acc>=0.9"]
    assert parse_conditions("") == () and parse_conditions(" ") == ()


def test_until_setting_normalises_and_rejects():
    s = until_setting()
    assert s.live and s.default == "" and "test_acc>=0.95" in s.help
    assert s.parse(" test_acc >= 0.9 ,epoch=3") == "test_acc>=0.9,epoch=3"
    assert s.parse("") == ""
    with pytest.raises(SettingError):
        s.parse("accuracy>0.9")


@pytest.mark.parametrize("cls", [ClassifyRun, RegressRun])
def test_until_is_a_live_setting(cls):
    run = cls({"until": "epoch=2"}, seed=0)
    assert run.values["until"] == "epoch=2"
    run.step(3)
    steps = run.trainer.steps
    assert run.set("until", "loss<0.01") == "until = loss<0.01"
    assert run.trainer.steps == steps  # live: training carries on
    with pytest.raises(SettingError):
        run.set("until", "bogus")
    assert run.values["until"] == "loss<0.01"


def test_run_stop_reached_and_steps_to_stop():
    run = ClassifyRun({"until": "epoch=2,test_acc>=1.01"}, seed=0)  # 250 points, batch 10: 25 steps an epoch
    assert run.stop_reached() is None
    assert run.steps_to_stop() == 50
    run.step(run.steps_to_stop())
    assert run.trainer.steps == 50 and run.stop_reached() == "epoch=2"
    assert run.steps_to_stop() is None
    assert run.stop_reached(ignore={"epoch=2"}) is None
    assert run.stop_reached(["step=10"]) == "step=10"
    assert run.stop_reached(["step=60"]) is None and run.steps_to_stop(["step=60"]) == 10
    assert run.stop_notice("epoch=2") == "stopped: epoch=2 reached at step 50"
    assert run.status().message == run.notice


def test_epoch_target_never_overshoots_with_a_short_last_batch():
    run = ClassifyRun({"batch": 16}, seed=0)  # 250 points: 15 full batches and one of 10
    cond = ["epoch=3"]
    while run.stop_reached(cond) is None:
        run.step(run.steps_to_stop(cond))
    assert run.trainer.epoch == pytest.approx(3.0)


def test_accuracy_condition_stops_a_run():
    run = ClassifyRun({"until": "test_acc>=0.9"}, seed=0)
    for _ in range(400):
        run.step(run.eval_interval())
        if run.stop_reached():
            break
    assert run.stop_reached() == "test_acc>=0.9" and run.status().test_acc >= 0.9


def test_scenarios_without_until_have_no_conditions():
    from scenarios.gates import GatesRun

    run = GatesRun(seed=0)
    if "until" not in run.values:
        assert run.stop_conditions() == () and run.stop_reached() is None


async def test_app_pauses_with_a_notice_when_until_is_reached():
    """The real worker thread: it stops at exactly step 30 and says so; playing again carries on past it."""
    import asyncio

    import scenarios
    from tui.app import NNPlayApp
    from tui.controls import Notice

    app = NNPlayApp(scenarios.get("classify"), {"until": "step=30", "speed": 5}, 0, autoplay=False, threaded=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        for _ in range(200):
            await asyncio.sleep(0.05)
            if not app.playing:
                break
        assert not app.playing and app.scenario.trainer.steps == 30
        assert app.query_one(Notice).text == "stopped: step=30 reached at step 30"
        await pilot.press("space")  # step=30 is behind it now: it does not stop again at once
        for _ in range(100):
            await asyncio.sleep(0.05)
            if app.scenario.trainer.steps > 30:
                break
        assert app.playing and app.scenario.trainer.steps > 30
        await pilot.press("space")


def test_step_until_stops_exactly_at_the_evaluation_that_meets_a_condition():
    """A loss/accuracy condition stops at the evaluation that first meets it, however many steps were asked for."""
    plain = ClassifyRun({"until": "test_acc>=0.9"}, seed=0)
    first = None
    while first is None:  # where it is first met, one evaluation (epoch) at a time
        plain.step(plain.eval_interval())
        if plain.stop_reached():
            first = plain.trainer.steps
    run = ClassifyRun({"until": "test_acc>=0.9"}, seed=0)
    done, hit = run.step_until(100_000)
    assert (done, hit, run.trainer.steps) == (first, "test_acc>=0.9", first)
    assert run.conditions_met() == {"test_acc>=0.9"}
    done, hit = run.step_until(30, ignore=run.conditions_met())  # met already: it trains on
    assert (done, hit) == (30, None)


def test_step_until_stops_between_evaluations_and_evaluates_there():
    run = ClassifyRun({"until": "step=37"}, seed=0)  # 25 steps an epoch
    assert run.step_until(1000) == (37, "step=37")
    assert run.trainer.history.last("step") == 37  # the status line's losses are those of step 37
    assert run.film.at(37).step == 37  # and time travel can go back to the stop


def test_step_until_without_conditions_runs_all_steps():
    run = ClassifyRun(seed=0)
    assert run.step_until(60) == (60, None) and run.trainer.steps == 60


async def test_explicit_steps_stop_at_until_and_say_so():
    """advance (tape Step, s, tests) stops like playing does: at the condition, with its notice."""
    from conftest import make_app
    from tui.controls import Notice

    app = make_app("classify", {"until": "epoch=2"})
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.advance(500) == 50
        await pilot.pause()
        assert app.query_one(Notice).text == "stopped: epoch=2 reached at step 50"
        assert not app.playing
        assert app.advance(10) == 10  # epoch=2 is behind it: it trains on
