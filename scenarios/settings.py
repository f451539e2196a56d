"""One definition per setting: name, type, range, key, live or rebuild.

The settings panel, the help screen, the palette, TOML presets, ``--set``,
tapes and validation all read these, so a setting means the same thing
everywhere and is validated once, with one error format.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from engine.errors import NNPlayError
from engine.textfile import read_text

# The Playground's learning-rate ladder, extended below.
LR_LADDER = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_LADDER = (1, 2, 4, 5, 8, 10, 16, 20, 25, 30, 32, 50, 64, 100, 128, 256)
REG_RATE_LADDER = (0.0, 0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
SPEED_LADDER = (1, 2, 5, 10, 20, 50, 100, 200, 500, 0)  # steps per frame; 0 = as fast as it goes


class SettingError(NNPlayError):
    """A bad key or value; the message names the key and what is allowed."""


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple):
        return ",".join(_fmt(x) for x in v)
    return str(v)


@dataclass(frozen=True)
class Setting:
    name: str
    type: type  # int, float, str, bool or tuple (comma list)
    default: Any
    help: str
    choices: tuple | None = None  # allowed values (str / tuple items) or a ladder (numbers)
    lo: float | None = None
    hi: float | None = None
    live: bool = False  # applied between steps without new weights
    keys: tuple[str, ...] = ()  # (key that cycles / goes up, key that goes down)
    item: type = str  # element type for tuple settings
    max_len: int | None = None
    min_len: int = 0
    show: Callable[[Any], str] | None = None
    cycle: bool = False  # keys step through `choices` in their listed order (not by size)

    def allowed(self) -> str:
        if self.type is bool:
            return "true or false"
        if self.type is tuple:
            what = f"comma-separated {'integers' if self.item is int else 'names'}"
            if self.choices and self.item is str:
                what += " from " + ", ".join(map(str, self.choices))
            if self.item is int and self.lo is not None:
                what += f" each {_fmt(self.lo)}..{_fmt(self.hi)}"
            if self.max_len is not None:
                what += f", at most {self.max_len}"
            return what
        if self.choices and self.type is str:
            return "one of " + ", ".join(self.choices)
        rng = f"{_fmt(self.lo)}..{_fmt(self.hi)}"
        return f"{'an integer' if self.type is int else 'a number'} in {rng}"

    def format(self, value: Any) -> str:
        return self.show(value) if self.show else _fmt(value)

    def parse(self, raw: Any) -> Any:
        """Validate a string (from --set, a tape) or a TOML value; raise SettingError."""
        bad = SettingError(f"bad value {_fmt(raw)!r} for {self.name}: expected {self.allowed()}")
        if self.type is bool:
            if isinstance(raw, bool):
                return raw
            s = str(raw).strip().lower()
            if s in ("1", "true", "yes", "on"):
                return True
            if s in ("0", "false", "no", "off"):
                return False
            raise bad
        if self.type is tuple:
            items = raw if isinstance(raw, (list, tuple)) else [p for p in str(raw).replace(" ", "").split(",") if p]
            out = []
            for it in items:
                if self.item is int:
                    try:
                        v = int(it)
                    except (TypeError, ValueError):
                        raise bad from None
                    if isinstance(it, bool) or (self.lo is not None and not self.lo <= v <= self.hi):
                        raise bad
                else:
                    v = str(it).strip()
                    if self.choices and v not in self.choices:
                        raise bad
                out.append(v)
            if len(out) < self.min_len or (self.max_len is not None and len(out) > self.max_len):
                raise bad
            return tuple(out)
        if self.type is str:
            s = str(raw).strip()
            if self.choices and s not in self.choices:
                low = {c.lower(): c for c in self.choices}
                if s.lower() in low:
                    return low[s.lower()]
                raise bad
            return s
        try:
            if isinstance(raw, bool):
                raise ValueError
            v = self.type(raw) if self.type is float else int(str(raw).strip()) if not isinstance(raw, int) else raw
        except (TypeError, ValueError):
            raise bad from None
        if self.type is float and not math.isfinite(v):
            raise bad
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise bad
        return v

    def nudge(self, value: Any, direction: int) -> Any:
        """The next value up (+1) or down (-1): along the ladder, or cycling choices."""
        if self.type is bool:
            return not value
        if self.type is str and self.choices:
            i = self.choices.index(value) if value in self.choices else 0
            return self.choices[(i + direction) % len(self.choices)]
        if self.choices and self.cycle:  # an ordered list that is not numerically sorted
            steps = self.choices
            i = steps.index(value) if value in steps else 0
            return steps[min(max(i + direction, 0), len(steps) - 1)]
        if self.choices:  # numeric ladder
            ladder = self.choices
            if direction > 0:
                higher = [c for c in ladder if c > value * (1 + 1e-9) + 1e-12]
                return higher[0] if higher else ladder[-1]
            lower = [c for c in ladder if c < value * (1 - 1e-9) - 1e-12]
            return lower[-1] if lower else ladder[0]
        step = 1 if self.type is int else (self.hi - self.lo) / 10
        v = value + direction * step
        return min(max(v, self.lo), self.hi) if self.lo is not None else v


@dataclass
class Schema:
    settings: tuple[Setting, ...]
    scenario: str = ""

    def __post_init__(self):
        self.by_name = {s.name: s for s in self.settings}

    def __getitem__(self, name: str) -> Setting:
        try:
            return self.by_name[name]
        except KeyError:
            raise SettingError(
                f"unknown setting {name!r} for {self.scenario}: allowed are {', '.join(self.by_name)}"
            ) from None

    def defaults(self) -> dict[str, Any]:
        return {s.name: s.default for s in self.settings}

    def parse_assignment(self, text: str) -> tuple[str, Any]:
        if "=" not in text:
            raise SettingError(f"bad --set {text!r}: expected key=value")
        key, _, raw = text.partition("=")
        key = key.strip()
        return key, self[key].parse(raw)

    def apply_assignments(self, values: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
        values = dict(values)
        for a in assignments:
            k, v = self.parse_assignment(a)
            values[k] = v
        return values


@dataclass
class Preset:
    scenario: str
    values: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


def _line_of(text: str, key: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if line.split("=", 1)[0].strip().strip('"') == key:
            return i
    return 1


def load_preset(path: str | Path, schemas: dict[str, Schema]) -> Preset:
    """Read a TOML preset: ``scenario``, optional ``seed`` and a ``[settings]`` table."""
    p = Path(path)
    text = read_text(p, "preset file", SettingError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(f"{p}: malformed TOML: {exc}") from None
    for key in data:
        if key not in ("scenario", "seed", "settings"):
            raise SettingError(f"{p}:{_line_of(text, key)}: unknown key {key!r} (allowed: scenario, seed, [settings])")
    name = data.get("scenario")
    if name not in schemas:
        raise SettingError(
            f"{p}:{_line_of(text, 'scenario')}: scenario must be one of {', '.join(schemas)}, got {name!r}"
        )
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise SettingError(f"{p}:{_line_of(text, 'seed')}: seed must be a non-negative integer")
    schema = schemas[name]
    values = {}
    table = data.get("settings", {})
    if not isinstance(table, dict):
        raise SettingError(f"{p}:{_line_of(text, 'settings')}: settings must be a table ([settings])")
    for key, raw in table.items():
        line = _line_of(text, key)
        try:
            values[key] = schema[key].parse(raw)
        except SettingError as exc:
            raise SettingError(f"{p}:{line}: {exc}") from None
    return Preset(name, values, seed)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def dump_preset(preset: Preset) -> str:
    lines = [f'scenario = "{preset.scenario}"']
    if preset.seed is not None:
        lines.append(f"seed = {preset.seed}")
    lines += ["", "[settings]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in preset.values.items()]
    return "\n".join(lines) + "\n"
