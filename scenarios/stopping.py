"""Stop conditions: ``epoch=N``, ``step=N``, ``loss<X``, ``test_acc>=Y``...

``nnplay train --until COND`` (repeatable) and the app's ``until`` setting
(several comma-separated) both use them: the first condition met stops the
run. A condition reads the Run's :class:`~scenarios.views.Status`, so losses
and accuracies are the latest evaluation's; a NaN (not measured yet, or
diverged) never meets one. For ``epoch`` and ``step``, ``=`` means "reached"
(the same as ``>=``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .settings import Effect, Setting, SettingError

# name as written -> Status field
KEYS = {"epoch": "epoch", "step": "step", "loss": "train_loss", "train_loss": "train_loss",
        "test_loss": "test_loss", "train_acc": "train_acc", "test_acc": "test_acc"}
OPERATORS = ("<=", ">=", "<", ">", "=")
COUNTERS = ("epoch", "step")  # where = means "reached"
EPS = 1e-9

_PATTERN = re.compile(r"^\s*([A-Za-z_]+)\s*(<=|>=|==|<|>|=)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Condition:
    """One stop condition; ``text`` is its normal spelling (``test_acc>=0.95``)."""

    key: str  # as written: loss, train_loss, test_acc, epoch...
    op: str
    value: float
    text: str

    @property
    def field(self) -> str:
        return KEYS[self.key]

    def met(self, status) -> bool:
        """Whether ``status`` (a views.Status) meets it; NaN never does."""
        v = float(getattr(status, self.field))
        if math.isnan(v):
            return False
        x, op = self.value, self.op
        if op == "=":
            if self.field in COUNTERS:
                return v >= x - EPS
            return math.isclose(v, x, rel_tol=1e-9, abs_tol=1e-12)
        return {"<": v < x, "<=": v <= x, ">": v > x, ">=": v >= x}[op]

    def steps_left(self, trainer) -> int | None:
        """For ``step``/``epoch`` targets not reached yet: steps that get to it without going past; else None.

        For an epoch the count assumes full batches, so it never overshoots (a
        short last batch leaves a step or two for the next chunk).
        """
        if self.field not in COUNTERS or self.op not in ("=", ">=", ">"):
            return None
        if self.field == "step":
            target = math.floor(self.value) + 1 if self.op == ">" else math.ceil(self.value - EPS)
            left = target - int(trainer.steps)
        else:
            need = self.value * trainer.n_train - trainer.examples_seen
            if self.op == ">":
                need += 1
            left = math.ceil(need / max(1, int(trainer.batch_size)) - EPS)
        return left if left > 0 else None


def _bad(text: str, why: str) -> SettingError:
    return SettingError(
        f"bad stop condition {text!r}: {why}; expected KEY OP NUMBER with KEY one of {', '.join(KEYS)} "
        f"and OP one of {' '.join(OPERATORS)} (e.g. epoch=50, loss<0.05, test_acc>=0.95)")


def parse_condition(text: str) -> Condition:
    """``"test_acc >= 0.95"`` -> Condition; a one-line SettingError naming the allowed keys and operators."""
    raw = str(text)
    m = _PATTERN.match(raw)
    if not m:
        raise _bad(raw.strip(), "no operator" if not any(o in raw for o in OPERATORS) else "cannot read it")
    key, op, num = m.group(1).lower(), m.group(2), m.group(3)
    op = "=" if op == "==" else op
    if key not in KEYS:
        raise _bad(raw.strip(), f"unknown key {key!r}")
    try:
        value = float(num)
    except ValueError:
        raise _bad(raw.strip(), f"{num!r} is not a number") from None
    if not math.isfinite(value):
        raise _bad(raw.strip(), f"{num!r} is not a finite number")
    if KEYS[key] in COUNTERS and value < 0:
        raise _bad(raw.strip(), f"{key} cannot be negative")
    return Condition(key, op, value, f"{key}{op}{num}")


def parse_conditions(spec) -> tuple[Condition, ...]:
    """A comma-separated string (the ``until`` setting) or a list of strings (repeated ``--until``)."""
    parts = [spec] if isinstance(spec, str) else list(spec or ())
    out = []
    for part in parts:
        out += [parse_condition(p) for p in str(part).split(",") if p.strip()]
    return tuple(out)


def first_met(conditions, status) -> Condition | None:
    return next((c for c in conditions if c.met(status)), None)


def steps_left(conditions, trainer) -> int | None:
    """The fewest steps to the nearest step/epoch target among ``conditions`` (None: none ahead)."""
    left = [n for n in (c.steps_left(trainer) for c in conditions) if n is not None]
    return min(left) if left else None


class UntilSetting(Setting):
    """A str setting holding comma-separated stop conditions, validated (and normalised) when parsed."""

    def allowed(self) -> str:
        return (f"comma-separated conditions KEY OP NUMBER, KEY one of {', '.join(KEYS)}, "
                f"OP one of {' '.join(OPERATORS)} (empty: none)")

    def parse(self, raw):
        return ",".join(c.text for c in parse_conditions(str(raw)))


def until_setting() -> Setting:
    """The ``until`` setting: stop conditions that pause the app when one is met."""
    return UntilSetting("until", str, "", "pause when reached, e.g. epoch=50 or test_acc>=0.95,loss<0.05 "
                        "(empty: never)", Effect.LIVE)
