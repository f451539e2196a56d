"""Tapes: small scripts that drive nnplay, in the spirit of charmbracelet VHS.

This docstring is the tape language's one description (README points here).
A tape is parsed and validated completely before anything plays, so a typo on
line 40 is reported as ``demo.tape:40: ...`` instead of after a minute of
playback. This module reads tapes and imports no Textual: key names come from
:mod:`tui.keys`, an ``Open`` line is merged by :func:`tui.args.resolve` as the
command line is, and :mod:`tui.playback` plays the result.

Commands (one a line, ``#`` starts a comment line; arguments may be quoted)::

    Set Width 120 | Set Height 40 | Set Size 120x40   terminal size (before Open)
    Set TypingSpeed 50ms                              pause between key presses
    Output demo.cast                                  record (like --record)
    Open classify --set layers=8,8 --seed 3 [--ascii] open a scenario (again: a new one)
    Open --preset setup.toml [--set k=v] [--seed N]   ... or a saved preset (as `nnplay --preset`)
    Type[@50ms] "text"                                each character as a key press
    Enter Space Tab Escape Backspace Delete Insert Up Down Left Right
    PageUp PageDown Home End Ctrl+P Shift+Tab Alt+x   keys, VHS style: ``Up[@100ms] [N]``
    Press + + w ctrl+p question_mark                  Textual key names or characters
    Step 200                                          train exactly 200 steps (an ``until`` condition
                                                      met on the way stops it there, with its notice)
    Sleep 500ms | Sleep 1.5s | Sleep 2                wall time (skipped when headless)
    Resize 100x30                                     resize the terminal
    Screenshot shots/classify.svg                     an SVG of the screen
    Play | Pause                                      start/stop *live* training (not deterministic)

All paths are relative to the current directory, as in VHS. A key that quits
the app (``q``) skips the rest of that Open's commands; the tape always ends
by quitting.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import NNPlayError
from engine.textfile import read_text

from . import keys
from .args import Parser, add_setup_options, resolve

MIN_SIZE, MAX_SIZE = (20, 5), (1000, 500)
MAX_STEPS = 10_000_000

# VHS key commands -> Textual key names
KEY_COMMANDS = {
    "Enter": "enter", "Space": "space", "Tab": "tab", "Escape": "escape", "Backspace": "backspace",
    "Delete": "delete", "Insert": "insert", "Up": "up", "Down": "down", "Left": "left", "Right": "right",
    "PageUp": "pageup", "PageDown": "pagedown", "Home": "home", "End": "end",
}
COMMANDS = ("Set", "Output", "Open", "Type", "Press", *KEY_COMMANDS, "Ctrl+", "Alt+", "Shift+",
            "Step", "Sleep", "Resize", "Screenshot", "Play", "Pause")
SETTINGS = ("Width", "Height", "Size", "TypingSpeed")


class TapeError(NNPlayError):
    """A tape that cannot play; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class OpenSpec:
    scenario: str
    values: dict[str, Any]
    seed: int
    ascii: bool = False
    opening: Any = None  # tui.args.Opening: builds the run (a preset's saved state included)


@dataclass(frozen=True)
class Command:
    """One action. ``kind`` and ``value``:

    open: OpenSpec; keys: tuple of Textual key names; step: int; sleep: seconds;
    resize: (cols, rows); screenshot: Path; play / pause: None.
    ``delay`` is the per-key pause a ``@time`` suffix asked for (None: the tape's TypingSpeed).
    """

    line: int
    kind: str
    value: Any = None
    delay: float | None = None


@dataclass
class Tape:
    path: Path
    commands: list[Command] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    typing_speed: float | None = None
    output: Path | None = None
    output_line: int = 0

    @property
    def size(self) -> tuple[int, int] | None:
        """The size the tape asks for (missing half: 120x40's), or None when it sets none."""
        if self.width is None and self.height is None:
            return None
        return (self.width or 120, self.height or 40)

    @property
    def opens(self) -> list[Command]:
        return [c for c in self.commands if c.kind == "open"]


# -- argument parsers (each raises ValueError with the message to show) ------

def parse_duration(text: str) -> float:
    """``500ms``, ``1.5s`` or ``2`` (seconds) -> seconds."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?|\.\d+)(ms|s)?", text)
    if not m:
        raise ValueError(f"bad duration {text!r}: expected e.g. 500ms, 1.5s or 2")
    value = float(m.group(1))
    return value / 1000 if m.group(2) == "ms" else value


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)[xX×](\d+)", text)
    if not m:
        raise ValueError(f"bad size {text!r}: expected COLSxROWS, e.g. 120x40")
    cols, rows = int(m.group(1)), int(m.group(2))
    for what, n, lo, hi in (("width", cols, MIN_SIZE[0], MAX_SIZE[0]), ("height", rows, MIN_SIZE[1], MAX_SIZE[1])):
        if not lo <= n <= hi:
            raise ValueError(f"{what} {n} out of range {lo}..{hi}")
    return cols, rows


def _int(text: str, what: str, lo: int, hi: int) -> int:
    if not re.fullmatch(r"\d+", text) or not lo <= int(text) <= hi:
        raise ValueError(f"bad {what} {text!r}: expected an integer in {lo}..{hi}")
    return int(text)


def key_name(token: str) -> str:
    """The key to press for ``token``: a character (``+``, or from ``plus``), a key name (``f5``) or ``ctrl+p``."""
    if len(token) == 1:
        if not token.isprintable():
            raise ValueError(f"bad key {token!r}")
        return token
    if token.endswith("++"):  # ctrl++: the modifier applies to '+'
        mods, base = token[:-2].split("+"), "+"
    else:
        *mods, base = token.split("+")
    mods = [m.lower() for m in mods]
    for m in mods:
        if m not in keys.MODIFIERS:
            raise ValueError(f"bad key {token!r}: unknown modifier {m!r} (allowed: {', '.join(keys.MODIFIERS)})")
    bad = ValueError(f"bad key {token!r}: use a single character, a Textual key name "
                     f"(enter, escape, tab, space, up, f5, plus, question_mark...) or ctrl+KEY")
    if not base:
        raise bad
    if len(base) > 1:
        low = base.lower()
        if low in keys.NAMED_KEYS:
            base = low
        elif low in keys.CHAR_OF_NAME:
            base = keys.CHAR_OF_NAME[low]
        else:
            raise bad
    if not mods:
        return base
    if len(base) == 1:  # modified keys go by name in Textual: ctrl+p, ctrl+plus
        base = base.lower() if base.isalnum() else keys.NAME_OF_CHAR.get(base, "")
        if not base:
            raise bad
    return "+".join([*mods, base])


def _vhs_modifier_key(word: str) -> str | None:
    """``Ctrl+P`` / ``Shift+Tab`` / ``Ctrl+Alt+x``, or None when ``word`` is not one."""
    if not re.match(r"(Ctrl|Alt|Shift|Meta)\+", word):
        return None
    return key_name(word.replace("Ctrl+", "ctrl+").replace("Alt+", "alt+").replace("Shift+", "shift+")
                    .replace("Meta+", "meta+"))


# -- the parser -----------------------------------------------------------------

class _Parser:
    def __init__(self, path: Path):
        self.tape = Tape(path)
        self.opened = False
        self.acted = False

    def parse(self, text: str) -> Tape:
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                words = shlex.split(line, comments=False, posix=True)
            except ValueError as exc:
                self.fail(number, f"cannot split {line!r}: {exc}")
            try:
                self.command(number, words)
            except ValueError as exc:
                self.fail(number, str(exc))
            except NNPlayError as exc:  # a setting, preset or scenario error
                self.fail(number, str(exc))
        if not self.tape.commands:
            self.fail(None, "nothing to play: add e.g. 'Open classify' and 'Step 100'")
        return self.tape

    def fail(self, line: int | None, message: str):
        where = f"{self.tape.path}:{line}" if line else f"{self.tape.path}"
        raise TapeError(f"{where}: {message}")

    def add(self, line: int, kind: str, value=None, delay=None) -> None:
        if kind != "open" and not self.opened:
            raise ValueError(f"{kind_label(kind)} before any Open: open a scenario first (e.g. 'Open classify')")
        self.acted = True
        self.tape.commands.append(Command(line, kind, value, delay))

    def command(self, line: int, words: list[str]) -> None:
        head, args = words[0], words[1:]
        name, _, at = head.partition("@")
        delay = None
        if at:
            if name != "Type" and name not in KEY_COMMANDS and _vhs_modifier_key(name) is None:
                raise ValueError(f"'@{at}' only applies to Type and key commands")
            delay = parse_duration(at)
        if name == "Set":
            return self.set(args)
        if name == "Output":
            return self.output(line, args)
        if name == "Open":
            self.opened = True
            return self.add(line, "open", parse_open(args))
        if name == "Type":
            if len(args) != 1:
                raise ValueError('Type takes one quoted string, e.g. Type "hello"')
            return self.add(line, "keys", tuple(args[0]), delay)
        if name == "Press":
            if not args:
                raise ValueError("Press needs at least one key, e.g. Press + + w")
            return self.add(line, "keys", tuple(key_name(a) for a in args), delay)
        key = KEY_COMMANDS.get(name) or _vhs_modifier_key(name)
        if key is not None:
            if len(args) > 1:
                raise ValueError(f"{name} takes an optional repeat count, e.g. {name} 3")
            count = _int(args[0], "repeat count", 1, 1000) if args else 1
            return self.add(line, "keys", (key,) * count, delay)
        if name == "Step":
            self.expect(name, args, 1, "Step 100")
            return self.add(line, "step", _int(args[0], "step count", 1, MAX_STEPS))
        if name == "Sleep":
            self.expect(name, args, 1, "Sleep 500ms")
            return self.add(line, "sleep", parse_duration(args[0]))
        if name == "Resize":
            self.expect(name, args, 1, "Resize 100x30")
            return self.add(line, "resize", parse_size(args[0]))
        if name == "Screenshot":
            self.expect(name, args, 1, "Screenshot shots/demo.svg")
            if not args[0].endswith(".svg"):
                raise ValueError(f"screenshots are SVG files: {args[0]!r} should end in .svg")
            return self.add(line, "screenshot", Path(args[0]))
        if name in ("Play", "Pause"):
            self.expect(name, args, 0, name)
            return self.add(line, name.lower())
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ValueError(f"unknown command {name!r}: {hint}(commands: {', '.join(c for c in COMMANDS if not c.endswith('+'))}, Ctrl+KEY)")

    @staticmethod
    def expect(name: str, args: list[str], n: int, example: str) -> None:
        if len(args) != n:
            what = "no arguments" if n == 0 else f"{n} argument{'s' if n > 1 else ''}"
            raise ValueError(f"{name} takes {what}, e.g. '{example}'")

    def set(self, args: list[str]) -> None:
        if len(args) != 2:
            raise ValueError("Set takes a name and a value, e.g. 'Set Width 120'")
        what, value = args
        if what in ("Width", "Height", "Size") and self.acted:
            raise ValueError(f"Set {what} must come before the first Open (use Resize to change the size later)")
        t = self.tape
        if what == "Width":
            t.width = _int(value, "width", MIN_SIZE[0], MAX_SIZE[0])
        elif what == "Height":
            t.height = _int(value, "height", MIN_SIZE[1], MAX_SIZE[1])
        elif what == "Size":
            t.width, t.height = parse_size(value)
        elif what == "TypingSpeed":
            t.typing_speed = parse_duration(value)
        else:
            close = difflib.get_close_matches(what, SETTINGS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ValueError(f"unknown setting {what!r}: {hint}(allowed: {', '.join(SETTINGS)})")

    def output(self, line: int, args: list[str]) -> None:
        self.expect("Output", args, 1, "Output demo.cast")
        if self.tape.output is not None:
            raise ValueError(f"a second Output (the first is on line {self.tape.output_line})")
        if not args[0].endswith(".cast"):
            raise ValueError(f"Output writes an asciicast: {args[0]!r} should end in .cast")
        self.tape.output, self.tape.output_line = Path(args[0]), line


def kind_label(kind: str) -> str:
    return {"keys": "a key press", "step": "Step", "sleep": "Sleep", "resize": "Resize",
            "screenshot": "Screenshot", "play": "Play", "pause": "Pause"}.get(kind, kind)


def _open_parser() -> Parser:
    p = Parser(prog="Open", add_help=False, allow_abbrev=False)
    p.add_argument("scenario", nargs="?")
    add_setup_options(p)
    p.add_argument("--ascii", action="store_true")
    return p


_OPEN = _open_parser()


def parse_open(args: list[str]) -> OpenSpec:
    """``[scenario] [--set k=v]... [--seed N] [--preset FILE] [--ascii]``, merged as the command line's are."""
    ns, extra = _OPEN.parse_known_args(args)
    for a in extra:
        if a.startswith("-"):
            raise ValueError(f"unknown Open option {a!r} (allowed: --set, --seed, --preset, --ascii)")
    if extra:
        raise ValueError(f"Open takes one scenario, got {ns.scenario!r} and {extra[0]!r}")
    if not ns.scenario and not ns.preset:
        raise ValueError("Open needs a scenario (or --preset FILE.toml), e.g. 'Open classify'")
    opening = resolve(ns)
    return OpenSpec(opening.cls.name, opening.values, opening.seed, ns.ascii, opening)


def parse(text: str, path: str | Path = "<tape>") -> Tape:
    """Parse a tape's text; raise :class:`TapeError` naming the first bad line."""
    return _Parser(Path(path)).parse(text)


def load(path: str | Path) -> Tape:
    p = Path(path)
    return parse(read_text(p, "tape", TapeError), p)


def check_builds(tape: Tape) -> None:
    """Build each Open's run once, so data errors (a missing CSV, data=full without the files) name their line."""
    import scenarios

    for c in tape.opens:
        spec: OpenSpec = c.value
        try:
            spec.opening.build() if spec.opening is not None else scenarios.get(spec.scenario)(spec.values, spec.seed)
        except NNPlayError as exc:
            raise TapeError(f"{tape.path}:{c.line}: {exc}") from None
