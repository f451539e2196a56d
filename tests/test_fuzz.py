"""Thousands of random keys, clicks and resizes: the app must stay alive and consistent."""

import random

import pytest

from conftest import make_app

SAFE_EXTRA = ["up", "down", "left", "right", "enter", "escape", "tab", "shift+tab", "backspace", "x", "c", "e"]
NEVER = {"q", "ctrl+q", "ctrl+c", "ctrl+p"}  # quitting or the palette (which can quit) would end the run early
EVENTS = {"classify": 600, "gates": 350, "regress": 450, "mnist": 250}  # 1,650 events


def _keys(app):
    keys = set(app.screen.active_bindings) | set(SAFE_EXTRA) | set("0123456789abcdefghijklmnopqrstuvwxyz")
    return sorted(keys - NEVER)


def _consistent(app):
    sim = app.scenario
    for s in sim.schema.settings:
        assert s.parse(sim.values[s.name]) == sim.values[s.name]
    snap = app.scenario.snapshot()
    assert set(snap.views) == set(sim.panes)
    net = snap.view("network")
    if net is not None and "layers" in sim.values and sim.name == "classify":
        assert list(net.layer_sizes[1:-1]) == list(sim.values["layers"])


@pytest.mark.parametrize("scenario", list(EVENTS))
async def test_random_input_never_kills_the_app(scenario, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # screenshots and saves land here
    rng = random.Random(f"fuzz-{scenario}")
    values = {"data": "subset"} if scenario == "mnist" else None
    app = make_app(scenario, values)
    async with app.run_test(size=(120, 40)) as pilot:
        keys = _keys(app)
        size = [120, 40]
        for i in range(EVENTS[scenario]):
            r = rng.random()
            if r < 0.75:
                await pilot.press(rng.choice(keys))
            elif r < 0.9:
                await pilot.click(offset=(rng.randrange(size[0]), rng.randrange(size[1])))
            elif r < 0.97:
                if rng.random() < 0.5:
                    app.advance(rng.randrange(1, 30))
                else:
                    await pilot.press("s")
            else:
                size = [rng.randrange(10, 200), rng.randrange(5, 60)]
                await pilot.resize_terminal(*size)
            if i % 100 == 99:
                assert app.is_running
                _consistent(app)
        await pilot.pause()
        assert app.is_running
        _consistent(app)


MODAL_KEYS = {"question_mark", "P", "m", "M"}  # open a screen; escape closes it


def _layout(app) -> dict:
    """Where every frame sits: the panes, the settings column, the status line and the footer."""
    from textual.widgets import Footer, TabbedContent, TabPane

    panes = [w for w in app.query(".pane") if not isinstance(w.parent, TabPane)]  # which tab is open may differ
    widgets = [*panes, *app.query(TabbedContent), app.query_one("#controls"), app.query_one("#status"),
               app.query_one(Footer)]
    return {(w.id or type(w).__name__): (w.region, w.display) for w in widgets}


async def _clean_layout(scenario, values, size) -> dict:
    fresh = make_app(scenario, values)
    async with fresh.run_test(size=size) as pilot:
        await pilot.pause()
        return _layout(fresh)


@pytest.mark.parametrize("scenario", list(EVENTS))
async def test_every_key_in_bursts_between_resizes(scenario, tmp_path, monkeypatch):
    """Each key pressed a dozen times (every cycle wraps, data sets included), bursts between resizes.

    Nothing may reach the error log, and afterwards the frames sit where a clean start puts them.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NNPLAY_LOG", str(tmp_path / "errors.log"))
    values = {"data": "subset"} if scenario == "mnist" else None
    app = make_app(scenario, values)
    rng = random.Random(f"burst-{scenario}")
    async with app.run_test(size=(120, 40)) as pilot:
        keys = [k for k in _keys(app) if k not in SAFE_EXTRA]
        for n, key in enumerate(keys):
            for _ in range(12):
                await pilot.press(key)
                if key in MODAL_KEYS:
                    await pilot.press("escape")
            if n % 5 == 4:  # a burst of random keys, then a resize
                for _ in range(15):
                    await pilot.press(rng.choice(keys))
                    if app.screen is not app.screen_stack[0]:
                        await pilot.press("escape")
                await pilot.resize_terminal(rng.randrange(20, 220), rng.randrange(6, 70))
                await pilot.pause()
            app.advance(3)
            assert app.is_running, key
        assert not (tmp_path / "errors.log").exists(), (tmp_path / "errors.log").read_text()
        if not app.query_one("#controls").display:  # \ hid the settings column: a choice, not a broken layout
            await pilot.press("backslash")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        after = _layout(app)
        values = dict(app.scenario.values)
    assert after == await _clean_layout(scenario, values, (120, 40))
