"""Pilot tests: every key binding does what its description says."""

import numpy as np
import pytest
from textual.widgets import Input

from conftest import make_app
from scenarios.preset import load_preset
from tui.screens import HelpScreen, PathPrompt
from tui.controls import Notice

SIZE = (120, 40)


async def test_space_toggles_play_and_s_steps():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert app.playing
        await pilot.press("space")
        assert not app.playing
        await pilot.press("s", "s", "s")
        assert app.scenario.trainer.steps == 3
        assert "step 3" in str(app.query_one("#status").render())


async def test_w_resets_weights_and_d_regenerates_data():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.advance(30)
        w = [a.copy() for a in app.scenario.model.get_weights()]
        xy = app.scenario.xy.copy()
        await pilot.press("w")
        assert app.scenario.trainer.steps == 0
        assert not all(np.array_equal(a, b) for a, b in zip(w, app.scenario.model.get_weights()))
        assert np.array_equal(xy, app.scenario.xy)
        await pilot.press("d")
        assert not np.array_equal(xy, app.scenario.xy)


@pytest.mark.parametrize("key,name,expected", [
    ("plus", "lr", 0.1), ("minus", "lr", 0.01), ("b", "batch", 16), ("B", "batch", 8),
    ("a", "activation", "relu"), ("A", "activation", "linear"), ("o", "optimizer", "momentum"),
    ("g", "regularization", "l1"), ("r", "reg_rate", 0.00001), ("n", "noise", 0.05),
    ("t", "ratio", 0.6), ("T", "ratio", 0.4), ("v", "show_test", True), ("k", "discretize", True),
    ("F", "speed", 500), ("c", "loss", "ce"), ("D", "dataset", "xor"),
])
async def test_setting_keys(key, name, expected):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        assert app.scenario.values[name] == expected
        controls = str(app.query_one("#controls").render())
        assert name in controls


async def test_lr_keys_never_reset_training():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.advance(20)
        await pilot.press("plus", "plus", "minus")
        assert app.scenario.trainer.steps == 20 and app.scenario.trainer.optimizer.lr == 0.1


async def test_structure_keys():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("greater_than_sign")
        assert app.scenario.values["layers"] == (4, 2, 2)
        await pilot.press("right_curly_bracket")
        assert app.scenario.values["layers"] == (5, 2, 2)
        await pilot.press("left_curly_bracket", "less_than_sign")
        assert app.scenario.values["layers"] == (4, 2)
        await pilot.press("3")
        assert app.scenario.values["features"] == ("x1", "x2", "x1^2")
        assert "new weights" in str(app.query_one("#notice").render())


async def test_help_screen_lists_keys_and_settings():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_screenshot_key_writes_svg(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        await pilot.press("S")
    shots = sorted((tmp_path / "nnplay-screenshots").glob("classify-*.svg"))
    assert len(shots) == 2  # a second shot never overwrites the first
    svg = shots[0].read_text()
    assert svg.startswith("<svg") and "step" in svg


async def _prompt(pilot, app, key, path):
    await pilot.press(key)
    assert isinstance(app.screen, PathPrompt)
    app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await pilot.pause()


async def test_save_and_load_model(tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.advance(50)
        trained = [a.copy() for a in app.scenario.model.get_weights()]
        await _prompt(pilot, app, "m", tmp_path / "m.npz")
        await pilot.press("w")
        await _prompt(pilot, app, "M", tmp_path / "m.npz")
        assert all(np.array_equal(a, b) for a, b in zip(trained, app.scenario.model.get_weights()))
        await _prompt(pilot, app, "M", tmp_path / "missing.npz")  # an error toast, not a crash
        assert app.is_running
        await pilot.press("greater_than_sign")  # another architecture: its file no longer fits
        await _prompt(pilot, app, "M", tmp_path / "m.npz")
        assert app.is_running
        assert "different architecture" in app.query_one(Notice).text


async def test_save_preset_reopens_the_same_setup(tmp_path):
    app = make_app(values={"dataset": "spiral", "layers": "6,3"}, seed=9)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        await _prompt(pilot, app, "P", tmp_path / "p.toml")
    import scenarios

    preset = load_preset(tmp_path / "p.toml", scenarios.schemas())
    assert preset.seed == 9 and preset.values == app.scenario.values


async def test_a_preset_reopens_what_was_on_screen(tmp_path):
    """After d, w, w and training, P then --preset draws the same field and points, paused at that step."""
    import scenarios
    from scenarios.preset import open_run

    app = make_app(values={"dataset": "xor"}, seed=2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "w", "w")
        app.advance(200)
        await _prompt(pilot, app, "P", tmp_path / "p.toml")
        field, status = app.scenario.view("field"), app.scenario.status()
    assert (tmp_path / "p.npz").exists()
    preset = load_preset(tmp_path / "p.toml", scenarios.schemas())
    assert (preset.data_seed, preset.weight_seed) == (3, 5)
    run = open_run(scenarios.get("classify"), preset)
    again = run.view("field")
    np.testing.assert_array_equal(again.values, field.values)
    for a, b in zip(again.points, field.points, strict=True):
        np.testing.assert_array_equal(a.xy, b.xy)
    assert run.status().step == status.step == 200 and run.status().train_loss == status.train_loss


def test_a_preset_keeps_added_points(tmp_path):
    import scenarios
    from scenarios.preset import load_preset, open_run, save_run

    run = scenarios.get("regress")({}, seed=1)
    run.add_point(0.5, 7.0)
    save_run(run, tmp_path / "r.toml")
    again = open_run(scenarios.get("regress"), load_preset(tmp_path / "r.toml", scenarios.schemas()))
    assert len(again.x) == len(run.x) and again.x[-1] == np.float32(0.5) and again.y[-1] == np.float32(7.0)
    assert again.trainer.steps == 0  # untrained: no state file, the same initial weights
    np.testing.assert_array_equal(again.view("curve").fit_y, run.view("curve").fit_y)


async def test_keys_typed_right_after_a_prompt_opens_are_kept():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P", "a", ".", "t", "o", "m", "l")  # no pause: the prompt is still opening
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt)
        assert app.screen.query_one(Input).value == "a.toml"


async def test_p_cycles_tabs_and_q_quits():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        from textual.widgets import TabbedContent

        tabs = app.query_one(TabbedContent)
        first = tabs.active
        await pilot.press("p")
        assert tabs.active != first
        await pilot.press("q")
    assert not app.is_running


async def test_divergence_pauses_with_a_message():
    app = make_app(values={"dataset": "plane", "activation": "relu", "layers": "8,8", "lr": 10})
    async with app.run_test(size=SIZE) as pilot:
        app.advance(500)
        await pilot.pause()
        status = str(app.query_one("#status").render())
        assert "DIVERGED" in status
        assert "lower learning rate" in str(app.query_one("#notice").render())
        await pilot.press("space")  # refuses to play a diverged run
        assert not app.playing


async def test_tiny_terminal_shows_notice_and_recovers():
    app = make_app()
    async with app.run_test(size=(40, 10)) as pilot:
        assert "too small" in str(app.query_one("#too-small").render())
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.query_one("#body").display


async def test_clicking_a_neuron_shows_its_output():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        diagram = app.query_one("#pane-network")
        diagram.focus()
        await pilot.press("right", "enter")
        await pilot.pause()
        assert app.scenario.selected is not None
        assert app.snap.view("field").title != "output"


@pytest.mark.parametrize("scenario", ["gates", "classify", "regress", "mnist", "optimize"])
async def test_every_setting_key_of_every_scenario(scenario):
    """Each key a setting declares moves that setting exactly as its definition says."""
    import scenarios
    from tui.keys import key_name

    values = {"data": "subset"} if scenario == "mnist" else None
    app = make_app(scenario, values)
    async with app.run_test(size=SIZE) as pilot:
        for setting in scenarios.get(scenario).schema.settings:
            for i, key in enumerate(setting.keys):
                before = app.scenario.values[setting.name]
                expected = setting.nudge(before, 1 if i == 0 else -1, app.scenario.cycle_values(setting))
                await pilot.press(key_name(key))
                if (setting.name, app.scenario.values.get("model")) in (("hidden", "cnn"), ("channels", "mlp")):
                    assert app.scenario.values[setting.name] == before  # the other model's shape: said, not rebuilt
                    assert "n switches model" in app.query_one(Notice).text
                    continue
                if setting.name == "data" and expected == "full":  # no full MNIST here: refused, and said so
                    assert app.scenario.values["data"] == before
                    assert "data=full" in app.query_one(Notice).text
                    continue
                assert app.scenario.values[setting.name] == expected, (setting.name, key)


@pytest.mark.parametrize("scenario", ["classify", "regress", "mnist", "optimize"])
async def test_every_action_key_of_every_scenario(scenario):
    """Keys bound to scenario actions (layers, neurons, features, digits) change what they say."""
    import scenarios
    from tui.keys import key_name

    values = {"data": "subset"} if scenario == "mnist" else None
    app = make_app(scenario, values)
    async with app.run_test(size=SIZE) as pilot:
        def state():
            return dict(app.scenario.values), str(app.query_one("#notice").render())

        for ka in scenarios.get(scenario).key_actions:
            before = state()
            await pilot.press(key_name(ka.key))
            assert state() != before, ka  # a changed setting, or a notice saying why not


async def test_mouse_click_adds_a_point_in_regress():
    app = make_app("regress")
    async with app.run_test(size=SIZE) as pilot:
        before = len(app.scenario.x)
        curve = app.query_one("#pane-curve")
        await pilot.click(curve, offset=(curve.size.width // 2, curve.size.height // 3))
        await pilot.pause()
        assert len(app.scenario.x) == before + 1


async def test_mouse_click_selects_a_neuron():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        diagram = app.query_one("#pane-network")
        layout = diagram.diagram_layout
        x = layout.xs[1] + 1  # first hidden layer, first neuron
        y = layout.rows[1][0]
        await pilot.click(diagram, offset=(x + diagram.content_offset.x, y + diagram.content_offset.y))
        await pilot.pause()
        assert app.scenario.selected == (1, 0)
        assert app.snap.view("field").title == "layer 1 neuron 1"


@pytest.mark.parametrize("scenario", ["classify", "gates", "regress", "mnist"])
async def test_ascii_mode_draws_only_ascii(scenario):
    """--ascii: every pane, title, caption and the help screen reach the terminal as ASCII."""
    import html
    import re

    values = {"data": "subset"} if scenario == "mnist" else None
    app = make_app(scenario, values, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        app.advance(30)
        for key in ("p", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
            text = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")
            assert {c for c in text if ord(c) > 127} == set(), key


@pytest.mark.parametrize("scenario,pane", [("classify", "field"), ("mnist", "activations"), ("gates", "field")])
async def test_z_zooms_the_main_view_to_the_whole_terminal(scenario, pane):
    from tui.screens import ZoomScreen

    values = {"data": "subset"} if scenario == "mnist" else None
    app = make_app(scenario, values)
    async with app.run_test(size=SIZE) as pilot:
        small = app.query_one(f"#pane-{pane}").size
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen, ZoomScreen)
        big = app.screen.query_one("#zoomed").size
        assert big.width > small.width and big.height > small.height
        await pilot.press("escape")
        assert not isinstance(app.screen, ZoomScreen)
