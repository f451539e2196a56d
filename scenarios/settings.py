"""One definition per setting: name, type, range, key, live or rebuild.

The settings panel, the help screen, the palette, TOML presets, ``--set``,
tapes and validation all read these, so a setting means the same thing
everywhere and is validated once, with one error format.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any, Callable

from engine.errors import NNPlayError

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


class Effect(enum.Enum):
    """What changing a setting does to the run."""

    LIVE = "live"  # applied between steps: weights, data and history carry on
    WEIGHTS = "new weights"  # the network is rebuilt from its seed
    DATA = "new data"  # the data are rebuilt, and so is the network


@dataclass(frozen=True)
class Setting:
    """One setting. Its value space is spelled out in separate fields:

    ``values``: the allowed strings of a ``str`` setting (keys cycle through them);
    ``items``: the allowed items of a ``tuple`` (list) setting;
    ``ladder``: the values the keys step along, in order (numbers, or whole lists
    such as MNIST's hidden-layer presets); any value in ``lo..hi`` is valid too;
    ``lo``/``hi``: the range of a number, or of each integer item of a list.
    ``apply(run, value)`` is how a LIVE setting reaches the trainer (None: the run
    reads it when it needs it, e.g. view toggles and speed).
    """

    name: str
    type: type  # int, float, str, bool or tuple (comma list)
    default: Any
    help: str
    effect: Effect = Effect.WEIGHTS
    values: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    ladder: tuple = ()
    lo: float | None = None
    hi: float | None = None
    keys: tuple[str, ...] = ()  # (key that cycles / goes up, key that goes down)
    item: type = str  # element type for tuple settings
    max_len: int | None = None
    min_len: int = 0
    show: Callable[[Any], str] | None = None
    apply: Callable[[Any, Any], None] | None = None

    @property
    def live(self) -> bool:
        return self.effect is Effect.LIVE

    def allowed(self) -> str:
        if self.type is bool:
            return "true or false"
        if self.type is tuple:
            what = f"comma-separated {'integers' if self.item is int else 'names'}"
            if self.items:
                what += " from " + ", ".join(self.items)
            if self.item is int and self.lo is not None:
                what += f" each {_fmt(self.lo)}..{_fmt(self.hi)}"
            if self.max_len is not None:
                what += f", at most {self.max_len}"
            return what
        if self.type is str:
            return "one of " + ", ".join(self.values) if self.values else "a file path"
        if self.show is not None and self.lo is not None:  # e.g. speed: 0 means max
            return f"{'an integer' if self.type is int else 'a number'} in {_fmt(self.lo)}..{_fmt(self.hi)} ({self.show(self.lo)} = {_fmt(self.lo)})"
        return f"{'an integer' if self.type is int else 'a number'} in {_fmt(self.lo)}..{_fmt(self.hi)}"

    def format(self, value: Any) -> str:
        return self.show(value) if self.show else _fmt(value)

    def parse(self, raw: Any) -> Any:
        """Validate a string (from --set, a tape, the palette) or a TOML value; raise SettingError."""
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
                    if self.items and v not in self.items:
                        raise bad
                out.append(v)
            if len(out) < self.min_len or (self.max_len is not None and len(out) > self.max_len):
                raise bad
            return tuple(out)
        if self.type is str:
            s = str(raw).strip()
            if self.values and s not in self.values:
                low = {c.lower(): c for c in self.values}
                if s.lower() in low:
                    return low[s.lower()]
                raise bad
            return s
        try:
            if isinstance(raw, bool):
                raise ValueError
            if self.show is not None and isinstance(raw, str) and raw.strip() == self.show(self.lo):
                raw = self.lo  # "speed = max"
            v = self.type(raw) if self.type is float else int(str(raw).strip()) if not isinstance(raw, int) else raw
        except (TypeError, ValueError):
            raise bad from None
        if self.type is float and not math.isfinite(v):
            raise bad
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise bad
        return v

    def nudge(self, value: Any, direction: int, values: tuple | None = None) -> Any:
        """The next value up (+1) or down (-1); the same value at the end of a ladder.

        Strings cycle (through ``values`` if given: the ones the run can open now);
        a value on the ladder moves to its neighbour; a number off the ladder
        (``lr = 0.05``) moves to the nearest ladder value beyond it.
        """
        if self.type is bool:
            return not value
        if self.type is str:
            cycle = values if values is not None else self.values
            if not cycle:
                raise SettingError(f"{self.name} has no values to step through: set it (e.g. --set {self.name}=...)")
            i = cycle.index(value) if value in cycle else -1 if direction > 0 else 0
            return cycle[(i + direction) % len(cycle)]
        if not self.ladder:
            if self.type is tuple:
                raise SettingError(f"{self.name} is a list: set it (e.g. {self.name} = ...), keys cannot step it")
            step = 1 if self.type is int else (self.hi - self.lo) / 10
            v = value + direction * step
            return min(max(v, self.lo), self.hi) if self.lo is not None else v
        ladder = self.ladder
        if value in ladder:
            i = ladder.index(value)
            return ladder[min(max(i + direction, 0), len(ladder) - 1)]
        if self.type is tuple:  # a list that is not one of the presets: start at the first
            return ladder[0]
        if direction > 0:
            higher = [c for c in ladder if c > value * (1 + 1e-9) + 1e-12]
            return min(higher) if higher else value
        lower = [c for c in ladder if c < value * (1 - 1e-9) - 1e-12]
        return max(lower) if lower else value


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
