"""The command palette: every action once, every setting, typed assignments checked by the schema."""

import pytest
from textual.command import CommandPalette

from conftest import make_app
from tui.commands import RunCommands
from tui.controls import Notice

SIZE = (120, 40)


async def _hits(app, query):
    provider = RunCommands(app.screen)
    return [hit async for hit in provider.search(query)]


async def _run_typed(pilot, app, text):
    await pilot.press("ctrl+p")
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*[{" ": "space", "=": "equals_sign", ",": "comma", ".": "full_stop"}.get(c, c) for c in text])
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


async def test_typed_assignments_use_the_settings_parser():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _run_typed(pilot, app, "lr = 0.05")  # not on the ladder, valid for --set
        assert app.scenario.values["lr"] == 0.05 and app.scenario.trainer.optimizer.lr == 0.05
        await _run_typed(pilot, app, "layers = 8,8,4")
        assert app.scenario.values["layers"] == (8, 8, 4)
        await _run_typed(pilot, app, "features = x1,x2,x1*x2")
        assert app.scenario.values["features"] == ("x1", "x2", "x1*x2")
        await _run_typed(pilot, app, "lr = 99")
        assert app.scenario.values["lr"] == 0.05 and "bad value '99' for lr" in app.query_one(Notice).text


async def test_every_setting_is_reachable_and_every_action_listed_once():
    app = make_app()
    async with app.run_test(size=SIZE):
        titles = [hit.text for hit in await _hits(app, "set")]
        for name in ("dataset", "noise", "activation", "optimizer", "speed"):
            assert any(t.startswith(f"Set {name} = ") for t in titles), name
        assert not any(t.startswith("Set dataset = csv") for t in titles)  # no CSV file set: cannot open
        # list settings (layers, csv, space_pair) take a typed assignment
        assert [h.text for h in await _hits(app, "space_pair = 3")][0] == "Set space_pair = 3"
        assert [h.text for h in await _hits(app, "csv = pts.csv")][0] == "Set csv = pts.csv"
        provider = RunCommands(app.screen)
        listed = [hit.text async for hit in provider.discover()]
        actions = [t for t in listed if not t.startswith(("Set ", "Toggle "))]
        assert len(actions) == len(set(actions)) and {"Screenshot", "Help", "Save preset"} <= set(actions)
        system = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in system and "Keys" not in system  # ours list these, once


@pytest.mark.parametrize("scenario", ["classify", "regress", "mnist", "gates", "optimize"])
async def test_every_listed_setting_value_parses(scenario):
    values = {"data": "subset"} if scenario == "mnist" else None
    app = make_app(scenario, values)
    async with app.run_test(size=SIZE):
        schema = app.scenario.schema
        for hit in await _hits(app, "set"):
            if hit.text.startswith("Set "):
                name, _, raw = hit.text[4:].partition(" = ")
                schema[name].parse(raw)  # what the palette shows, --set accepts
