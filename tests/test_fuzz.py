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
    sim = app.sim
    for s in sim.schema.settings:
        assert s.parse(sim.values[s.name]) == sim.values[s.name]
    snap = app.sim.snapshot()
    if snap.network is not None and "layers" in sim.values and sim.name == "classify":
        assert snap.network.layer_sizes[1:-1] == list(sim.values["layers"])


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
