import pytest

from scenarios.classify import SCHEMA
from scenarios.preset import Preset, dump_preset, load_preset
from scenarios.settings import SettingError


def test_parse_typed_values():
    assert SCHEMA["lr"].parse("0.1") == 0.1
    assert SCHEMA["layers"].parse("8, 8,4") == (8, 8, 4)
    assert SCHEMA["features"].parse("x1,x1*x2") == ("x1", "x1*x2")
    assert SCHEMA["show_test"].parse("yes") is True
    assert SCHEMA["dataset"].parse("Spiral") == "spiral"


@pytest.mark.parametrize("key,raw,fragment", [
    ("lr", "abc", "a number in"),
    ("lr", "100", "a number in"),
    ("lr", "nan", "a number in"),
    ("layers", "8,99", "each 1..16"),
    ("layers", "1,1,1,1,1,1,1,1,1", "at most 8"),
    ("dataset", "moons", "one of circle"),
    ("features", "x3", "from x1"),
    ("batch", "0", "an integer in"),
    ("show_test", "maybe", "true or false"),
])
def test_bad_values_name_key_and_allowed(key, raw, fragment):
    with pytest.raises(SettingError) as e:
        SCHEMA[key].parse(raw)
    msg = str(e.value)
    assert key in msg and fragment in msg and "\n" not in msg


def test_unknown_key_lists_allowed():
    with pytest.raises(SettingError, match="unknown setting 'foo' for classify: allowed are dataset"):
        SCHEMA.parse_assignment("foo=1")


def test_lr_ladder_nudges_along_the_playground_values():
    s = SCHEMA["lr"]
    assert s.nudge(0.03, 1) == 0.1
    assert s.nudge(0.03, -1) == 0.01
    assert s.nudge(10.0, 1) == 10.0
    assert s.nudge(0.00001, -1) == 0.00001
    assert s.nudge(0.05, 1) == 0.1  # off-ladder values snap to the next rung


def test_preset_round_trip(tmp_path):
    values = SCHEMA.defaults() | {"layers": (8, 3), "lr": 0.1, "dataset": "spiral", "show_test": True}
    path = tmp_path / "p.toml"
    path.write_text(dump_preset(Preset("classify", values, seed=7)))
    p = load_preset(path, {"classify": SCHEMA})
    assert p.scenario == "classify" and p.seed == 7 and p.values == values


@pytest.mark.parametrize("text,fragment", [
    ('scenario = "classify"\n[settings]\nlr = "fast"\n', ":3: bad value 'fast' for lr"),
    ('scenario = "classify"\n[settings]\nbogus = 1\n', ":3: unknown setting 'bogus'"),
    ('scenario = "nope"\n', ":1: scenario must be one of"),
    ('scenario = "classify"\ncolour = 1\n', ":2: unknown key 'colour'"),
    ('scenario = "classify\n', "malformed TOML"),
])
def test_bad_preset_names_file_line_and_key(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SettingError) as e:
        load_preset(path, {"classify": SCHEMA})
    assert str(e.value).startswith(str(path)) and fragment in str(e.value)


def test_missing_preset(tmp_path):
    with pytest.raises(SettingError, match="no such preset"):
        load_preset(tmp_path / "none.toml", {"classify": SCHEMA})


def test_every_shipped_preset_loads_and_builds():
    from pathlib import Path

    import scenarios

    presets = sorted((Path(scenarios.__file__).parent / "presets").glob("*.toml"))
    assert len(presets) >= 6
    for path in presets:
        p = load_preset(path, scenarios.schemas())
        values = dict(p.values)
        if p.scenario == "mnist":
            values["data"] = "subset"  # tests never depend on the full set being present
        run = scenarios.get(p.scenario)(values, p.seed or 0)
        assert run.step(3) == 3, path.name


def test_xor_cross_preset_learns_without_hidden_layers():
    from pathlib import Path

    import scenarios

    p = load_preset(Path(scenarios.__file__).parent / "presets" / "classify-xor-cross.toml", scenarios.schemas())
    run = scenarios.get("classify")(p.values, p.seed)
    run.step(200)
    assert run.metrics()["test_acc"] >= 0.95
