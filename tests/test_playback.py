"""Tapes: parsing and line-numbered errors, headless playback of every shipped tape,
byte-identical screenshots, and asciicast v2 recordings from a pseudo-terminal."""

import asyncio
import fcntl
import html
import json
import os
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

import scenarios
from tui import tape as tapes
from tui import playback, record
from tui.cli import main

REPO = Path(__file__).resolve().parents[1]
TAPES = sorted((REPO / "scenarios" / "tapes").glob("*.tape"))


def scenarios_of(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        m = re.match(r"\s*Open\s+(\w+)", line)
        if m:
            names.add(m.group(1))
    return names


def shipped(path: Path):
    missing = scenarios_of(path) - set(scenarios.available())
    marks = [pytest.mark.skip(reason=f"scenario {', '.join(missing)} not available yet")] if missing else []
    return pytest.param(path, id=path.stem, marks=marks)


def svg_text(path: Path) -> str:
    """The words an SVG screenshot shows (tags stripped, &#160; back to spaces)."""
    return html.unescape(re.sub(r"<[^>]+>", "", Path(path).read_text())).replace("\xa0", " ")


def play_headless(tape_path, size=(120, 40)) -> list[str]:
    tape = playback.load(tape_path)
    with threadpool_limits(limits=1):  # as `nnplay play` does
        return asyncio.run(playback.Player(tape, headless=True).play_headless(size))


# -- parsing ------------------------------------------------------------------------

def test_tapes_are_shipped():
    assert {"gates", "classify", "regress", "mnist", "screenshots"} <= {p.stem for p in TAPES}


@pytest.mark.parametrize("path", [shipped(p) for p in TAPES])
def test_every_shipped_tape_parses_and_validates(path):
    tape = playback.load(path)
    assert tape.opens and tape.size == (120, 40)
    assert tape.output is None  # a shipped tape must not record when CI plays it headless


def test_parse_commands():
    tape = tapes.parse(
        "# comment\nSet Size 100x30\nSet TypingSpeed 20ms\nOpen classify --set dataset=spiral --seed 4 --ascii\n"
        'Type "a b"\nUp 3\nCtrl+P\nPress + question_mark ctrl+p f5 shift+tab\nEnter@10ms 2\n'
        "Step 25\nSleep 500ms\nSleep 1.5s\nResize 90x25\nScreenshot out/x.svg\nPlay\nPause\n",
        "t.tape",
    )
    assert tape.size == (100, 30) and tape.typing_speed == pytest.approx(0.02)
    kinds = [(c.line, c.kind, c.value) for c in tape.commands]
    spec = kinds[0][2]
    assert (spec.scenario, spec.values["dataset"], spec.seed, spec.ascii) == ("classify", "spiral", 4, True)
    assert kinds[1:] == [
        (5, "keys", ("a", " ", "b")),
        (6, "keys", ("up", "up", "up")),
        (7, "keys", ("ctrl+p",)),
        (8, "keys", ("+", "?", "ctrl+p", "f5", "shift+tab")),
        (9, "keys", ("enter", "enter")),
        (10, "step", 25),
        (11, "sleep", 0.5),
        (12, "sleep", 1.5),
        (13, "resize", (90, 25)),
        (14, "screenshot", Path("out/x.svg")),
        (15, "play", None),
        (16, "pause", None),
    ]
    assert tape.commands[5].delay == pytest.approx(0.01)


BAD_TAPES = [
    ("Open classify\nStep 5\n\n# x\nPres w\n", 5, "unknown command 'Pres': did you mean Press?"),
    ("Open classify\nStep x\n", 2, "bad step count 'x'"),
    ("Open classify\nStep 0\n", 2, "bad step count '0'"),
    ("Open classify --set lr=fast\n", 1, "bad value 'fast' for lr"),
    ("Set Width 100\nOpen classify --set bogus=1\n", 2, "unknown setting 'bogus' for classify"),
    ("Open nosuch\n", 1, "unknown scenario 'nosuch'"),
    ("Open classify --preset missing.toml\n", 1, "no such preset file"),
    ("Open classify --sed 3\n", 1, "unknown Open option '--sed'"),
    ("Open\n", 1, "Open needs a scenario"),
    ("Step 10\nOpen classify\n", 1, "Step before any Open"),
    ("Open classify\nSleep soon\n", 2, "bad duration 'soon'"),
    ("Open classify\nResize 10\n", 2, "bad size '10'"),
    ("Open classify\nResize 5x5\n", 2, "width 5 out of range"),
    ("Open classify\nScreenshot shot.png\n", 2, "should end in .svg"),
    ("Open classify\nPress + bogus\n", 2, "bad key 'bogus'"),
    ("Open classify\nUp many\n", 2, "bad repeat count 'many'"),
    ('Open classify\nType "unterminated\n', 2, "No closing quotation"),
    ("Open classify\nType a b\n", 2, "Type takes one quoted string"),
    ("Set Width 120\nOpen gates\nSet Height 30\n", 3, "must come before the first Open"),
    ("Set FontSize 20\nOpen gates\n", 1, "unknown setting 'FontSize'"),
    ("Output a.cast\nOutput b.cast\nOpen gates\n", 2, "a second Output (the first is on line 1)"),
    ("Open gates\nOutput demo.gif\n", 2, "should end in .cast"),
    ("Open gates\nPlay now\n", 2, "Play takes no arguments"),
    ("Open classify --set dataset=csv\n", 1, "dataset=csv needs csv=PATH"),  # found by building the run
    ("# nothing\n", None, "nothing to play"),
]


@pytest.mark.parametrize("text,line,fragment", BAD_TAPES)
def test_bad_tape_is_one_line_with_its_line_number_and_exit_2(text, line, fragment, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("bad.tape").write_text(text)
    assert main(["play", "bad.tape", "--headless"]) == 2
    err = capsys.readouterr().err
    where = "bad.tape" if line is None else f"bad.tape:{line}"
    assert err.startswith(f"nnplay: error: {where}: "), err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_nothing_plays_before_the_whole_tape_is_valid(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("bad.tape").write_text("Open gates\nStep 3\nScreenshot early.svg\nStep 3\nPres w\n")
    assert main(["play", "bad.tape", "--headless"]) == 2
    assert "bad.tape:5:" in capsys.readouterr().err
    assert not Path("early.svg").exists()


@pytest.mark.parametrize("args,fragment", [
    (["play", "missing.tape", "--headless"], "missing.tape: no such tape"),
    (["play", "ok.tape", "--headless", "--size", "big"], "--size: bad size 'big'"),
    (["play", "ok.tape"], "no terminal to play in"),  # pytest's stdout is no terminal
])
def test_bad_invocation_is_one_line(args, fragment, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("ok.tape").write_text("Open gates\nStep 1\n")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err


# -- headless playback ------------------------------------------------------------------

@pytest.mark.parametrize("path", [shipped(p) for p in TAPES if p.stem != "live"])
def test_every_shipped_tape_plays_headless(path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # screenshots land here, not in the repository
    (tmp_path / "screenshots").mkdir()
    (tmp_path / "screenshots" / "states").symlink_to(REPO / "screenshots" / "states")  # the tape opens these
    assert main(["play", str(path), "--headless"]) == 0
    shots = [c.value for c in playback.load(path).commands if c.kind == "screenshot"]
    out = capsys.readouterr().out
    for shot in shots:
        assert f"wrote {shot}" in out
        assert (tmp_path / shot).read_text().startswith("<svg")
    if path.stem == "screenshots":  # one picture per scenario, each in its own state
        names = {Path(s).stem.split("-")[0] for s in shots}
        assert set(scenarios.available()) <= names
        assert len({(tmp_path / s).read_bytes() for s in shots}) == len(shots)
        # README shows the committed pictures: they must be what the UI draws today.
        stale = [s for s in shots if (tmp_path / s).read_bytes() != (REPO / s).read_bytes()]
        assert not stale, f"regenerate with `nnplay play scenarios/tapes/screenshots.tape --headless`: {stale}"


def test_live_tape_plays_headless_with_real_training(tmp_path, monkeypatch):
    """Play starts the threaded trainer: the app trains by itself, which no other command allows."""
    monkeypatch.chdir(tmp_path)
    Path("live.tape").write_text("Open gates --seed 1\nPlay\nSleep 300ms\nPause\nScreenshot live.svg\n")
    play_headless("live.tape")
    m = re.search(r"step ([\d,]+)", svg_text("live.svg"))
    assert m and int(m.group(1).replace(",", "")) > 0 and "paused" in svg_text("live.svg")


DETERMINISM = """Set Size 100x30
Open classify --set dataset=spiral --set layers=6,4 --seed {seed}
Step 50
Press + w
Step 30
Screenshot a.svg
Resize 90x28
Open gates --set gate=XOR --set hidden=2 --seed {seed}
Step 200
Screenshot b.svg
"""


def test_headless_playback_is_byte_identical(tmp_path, monkeypatch):
    runs = {}
    for name, seed in (("one", 3), ("two", 3), ("other", 4)):
        d = tmp_path / name
        d.mkdir()
        monkeypatch.chdir(d)
        Path("t.tape").write_text(DETERMINISM.format(seed=seed))
        assert play_headless("t.tape", (100, 30)) == ["a.svg", "b.svg"]
        runs[name] = (Path("a.svg").read_bytes(), Path("b.svg").read_bytes())
    assert runs["one"] == runs["two"]
    assert runs["one"][0] != runs["other"][0] and runs["one"][1] != runs["other"][1]
    text = svg_text(tmp_path / "one" / "a.svg")
    assert re.search(r"\bstep 30\b", text)  # w reset the weights after 50 steps, then 30 more
    assert re.search(r"\blr 0\.1\b", text)  # + raised lr from 0.03 to 0.1
    assert "XOR" in svg_text(tmp_path / "one" / "b.svg")


def test_ascii_open_draws_ascii_and_does_not_leak(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("t.tape").write_text("Open gates --ascii\nStep 5\nScreenshot a.svg\nOpen gates\nStep 5\nScreenshot u.svg\n")
    play_headless("t.tape")
    assert "|| paused" in svg_text("a.svg") and "❚❚ paused" in svg_text("u.svg")


def test_quitting_skips_to_the_next_open(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("t.tape").write_text("Open gates\nPress q\nStep 3\nScreenshot a.svg\nOpen gates\nStep 2\nScreenshot b.svg\n")
    assert play_headless("t.tape") == ["b.svg"]
    assert not Path("a.svg").exists() and re.search(r"\bstep 2\b", svg_text("b.svg"))


def test_step_stops_at_until_set_on_open_or_in_the_palette(tmp_path, monkeypatch):
    """A tape's Step stops where an until condition is met, with its notice, whichever way until was set."""
    monkeypatch.chdir(tmp_path)
    Path("t.tape").write_text(
        "Open classify --set until=step=37 --set activation=sine,relu\nStep 100\nScreenshot a.svg\n"
        "Step 10\nScreenshot b.svg\n"  # step=37 is behind it now: Step trains on
        "Ctrl+P\nType \"until = epoch=3\"\nEnter\nStep 500\nScreenshot c.svg\n")
    play_headless("t.tape")
    a, b, c = (svg_text(f"{n}.svg") for n in "abc")
    assert "stopped: step=37 reached at step 37" in a and re.search(r"\bstep 37\b", a)
    assert re.search(r"\bstep 47\b", b)
    assert "stopped: epoch=3 reached at step 75" in c  # 250 points, batch 10: 25 steps an epoch


# -- recording ------------------------------------------------------------------------

def read_cast(path: Path):
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def test_record_writes_a_valid_asciicast_v2(tmp_path):
    tape = tmp_path / "tiny.tape"
    tape.write_text("Set Size 80x24\nOpen gates --seed 1\nStep 5\nResize 90x26\nStep 5\nScreenshot s.svg\n")
    r = subprocess.run([sys.executable, "-m", "tui", "play", str(tape), "--record", "out/tiny.cast"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "recorded" in r.stdout and (tmp_path / "s.svg").exists()
    header, events = read_cast(tmp_path / "out" / "tiny.cast")
    assert header["version"] == 2 and (header["width"], header["height"]) == (80, 24)
    assert isinstance(header["timestamp"], int) and header["env"]["TERM"] == "xterm-256color" and header["env"]["SHELL"]
    times = [e[0] for e in events]
    assert all(len(e) == 3 and isinstance(e[0], float) and isinstance(e[2], str) for e in events)
    assert times == sorted(times) and times[0] >= 0
    assert {e[1] for e in events} <= {"o", "r"}
    assert [e[2] for e in events if e[1] == "r"] == ["90x26"]
    out = "".join(e[2] for e in events if e[1] == "o")
    assert "\ufffd" not in out and not re.search(r"\x1b\[8;\d+;\d+t", out)  # whole characters; the resize request is consumed
    assert "\x1b[?1049h" in out and "\x1b[?1049l" in out  # the app took the screen and gave it back: it quit
    plain = re.sub(r"\x1b\[[0-9;?<>=$]*[A-Za-z~]", "", out)  # the text, without colours and cursor moves
    assert "truth table" in plain and "step 10" in plain
    # after the resize the app draws on row 26, which an 80x24 screen does not have
    r_at = next(i for i, e in enumerate(events) if e[1] == "r")
    assert "\x1b[26;" in "".join(e[2] for e in events[r_at:] if e[1] == "o")


def test_record_failure_reports_the_childs_error(tmp_path):
    tape = tmp_path / "bad.tape"
    tape.write_text("Open gates\nStep 1\nScreenshot /proc/no/such/dir/x.svg\n")
    r = subprocess.run([sys.executable, "-m", "tui", "play", str(tape), "--record", "x.cast"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "playback failed" in r.stderr and "bad.tape:3:" in r.stderr
    assert not (tmp_path / "x.cast").exists()


@pytest.mark.parametrize("out,why", [
    ("adir", "cannot write adir: it is a directory"),
    ("ok.tape/x.cast", "cannot write ok.tape/x.cast: ok.tape is not a directory"),
    ("/proc/x.cast", "cannot write /proc/x.cast: cannot create files in /proc"),
])
def test_unwritable_recording_is_refused_before_playing(out, why, tmp_path, monkeypatch, capsys):
    import pty

    monkeypatch.chdir(tmp_path)
    Path("ok.tape").write_text("Open gates\nStep 1\n")
    Path("adir").mkdir()
    monkeypatch.setattr(pty, "fork", lambda: pytest.fail("started playing before checking the output"))
    assert main(["play", "ok.tape", "--record", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and why in err, err


def test_pump_splits_neither_characters_nor_resize_requests(tmp_path):
    """Feed a real pseudo-terminal in pieces that cut a UTF-8 character and a resize request in two."""
    master, slave = os.openpty()
    pieces = [b"ab\xe2\x94", b"\x80cd\x1b[8;2", b"6;90t", b"\xe2\x95\xad!"]

    def feed():
        for p in pieces:
            os.write(slave, p)
            time.sleep(0.05)
        os.close(slave)

    t = threading.Thread(target=feed)
    t.start()
    cast = tmp_path / "c.cast"
    with open(cast, "w", encoding="utf-8") as f:
        record._pump(master, record.CastWriter(f, 80, 24, "t"))
    t.join()
    rows, cols = struct.unpack("HHHH", fcntl.ioctl(master, termios.TIOCGWINSZ, b"\0" * 8))[:2]
    os.close(master)
    _, events = read_cast(cast)
    assert "".join(e[2] for e in events if e[1] == "o") == "ab─cd╭!"
    assert [e[2] for e in events if e[1] == "r"] == ["90x26"] and (cols, rows) == (90, 26)
    assert all("\ufffd" not in e[2] for e in events)


def test_open_preset_and_seed_override(tmp_path, monkeypatch):
    from scenarios.preset import Preset, dump_preset

    monkeypatch.chdir(tmp_path)
    Path("p.toml").write_text(dump_preset(Preset("classify", {"dataset": "xor", "lr": 0.1}, 7)))
    a, b = tapes.parse("Open --preset p.toml\nOpen --preset p.toml --seed 2 --set lr=0.3\n").opens
    assert (a.value.scenario, a.value.values["dataset"], a.value.values["lr"], a.value.seed) == ("classify", "xor", 0.1, 7)
    assert (b.value.values["lr"], b.value.seed) == (0.3, 2)
    with pytest.raises(tapes.TapeError, match=r"t.tape:1: p.toml is a preset for classify, not gates"):
        tapes.parse("Open gates --preset p.toml\n", "t.tape")


def test_open_merges_as_the_command_line_does(tmp_path, monkeypatch):
    """One merge (tui.args.resolve) for `nnplay ...` and a tape's Open: preset, then --set in order, then --seed."""
    from scenarios.preset import Preset, dump_preset
    from tui.args import resolve
    from tui.cli import app_parser

    monkeypatch.chdir(tmp_path)
    Path("p.toml").write_text(dump_preset(Preset("classify", {"dataset": "xor", "lr": 0.1}, 7)))
    for words in (["--preset", "p.toml", "--set", "lr=0.3", "--set", "lr=0.01", "--seed", "2"],
                  ["gates", "--set", "gate=OR"], ["--preset", "p.toml"]):
        spec = tapes.parse_open(words)
        opening = resolve(app_parser().parse_args(words))
        assert (spec.scenario, spec.values, spec.seed) == (opening.cls.name, opening.values, opening.seed)


def test_tape_key_names_are_textuals():
    """Press takes Textual's names for characters (from tui.keys, the one table), and modified keys go by name."""
    from tui import keys

    assert all(keys.NAME_OF_CHAR[c] == n for c, n in keys._NAMES.items())  # the settings' subset agrees
    assert [tapes.key_name(t) for t in ("plus", "question_mark", "full_stop", "ctrl++", "ctrl+?", "alt+/", "Tab")] == \
        ["+", "?", ".", "ctrl+plus", "ctrl+question_mark", "alt+slash", "tab"]
    try:
        from textual.keys import _character_to_key  # private: compare while it exists
    except ImportError:
        return
    assert all(_character_to_key(c) == n for c, n in keys.NAME_OF_CHAR.items())


def test_output_in_the_tape_records_unless_the_child_plays_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("t.tape").write_text("Set Size 90x30\nOutput demo.cast\nOpen gates\nStep 1\n")
    calls = []
    monkeypatch.setattr(record, "record", lambda *args: calls.append(args) or 1.0)
    assert main(["play", "t.tape", "--headless"]) == 0  # headless or not, Output records (no terminal needed)
    assert main(["play", "t.tape", "--record", "other.cast", "--size", "100x30"]) == 0
    assert calls == [("t.tape", Path("demo.cast"), (90, 30)), ("t.tape", "other.cast", (100, 30))]
    assert main(["play", "t.tape", "--headless", "--no-record"]) == 0  # the recorder's child plays, quietly
    assert len(calls) == 2 and capsys.readouterr().out.count("recorded") == 2


def test_the_readme_tape_example_is_a_valid_tape(tmp_path):
    """README shows a tape; it must be one that plays."""
    block = re.search(r"```\n(Set Width .*?)```", (REPO / "README.md").read_text(), re.S).group(1)
    path = tmp_path / "readme.tape"
    path.write_text(block)
    assert playback.load(path).commands
