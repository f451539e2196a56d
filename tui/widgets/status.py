"""The status line: the run's state and latest numbers, fitted to the terminal's width.

What matters most is always there: the state, the step, loss and accuracy,
the learning rate and the device. When the line is too narrow, the lesser
fields go first (the data note, examples seen, epochs, steps/s), then the
separators and labels get shorter; the line never wraps nor runs past the
edge. A frame from the past (``Status.past``) is marked ``◀ past: step N``.

:func:`status_text` is pure (tests call it at any width); :class:`StatusLine`
calls it with its own width and again whenever that changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

from tui import colors, numbers

STATE_STYLES = {"diverged": "bold white on red", "running": "bold green", "paused": "bold yellow"}
PAST_STYLE = "bold black on cyan"
LABEL = "dim"
BAD = "bold red"

# Fields dropped first when the line is too narrow, first to last; the others always stay.
DROP_ORDER = ("note", "seen", "epoch", "rate")


@dataclass
class _Field:
    name: str
    variants: list[Text]  # longest first
    pick: int = 0

    def __post_init__(self) -> None:
        self.widths = [v.cell_len for v in self.variants]

    @property
    def text(self) -> Text:
        return self.variants[self.pick]


def _value(status, key: str) -> float:
    """A measurement from a Status (NaN: not measured); also reads the older Snapshot's ``metrics`` dict."""
    v = getattr(status, key, None)
    if v is None:
        metrics = getattr(status, "metrics", None)
        v = metrics.get(key) if isinstance(metrics, dict) else None
    try:
        return math.nan if v is None else float(v)
    except (TypeError, ValueError):
        return math.nan


def _labelled(label: str, value: str, value_style: str = "") -> Text:
    t = Text()
    if label:
        t.append(label + " ", style=LABEL)
    t.append(value, style=value_style)
    return t


def _pair(label: str, a: float, b: float, form) -> Text | None:
    """'loss 0.0123/0.0345' (train/test), 'loss 0.0123' without a test value, None without either."""
    if math.isnan(a) and math.isnan(b):
        return None
    t = Text()
    t.append(label + " ", style=LABEL)
    for i, v in enumerate((a, b)):
        if math.isnan(v) and i == 1:
            break
        if i:
            t.append("/", style=LABEL)
        t.append(form(v), style=BAD if math.isinf(v) else "")
    return t


def state_of(status, playing: bool) -> str:
    """diverged | running | paused: the run's word wins when it diverged, else the app's play state."""
    return "diverged" if getattr(status, "state", "") == "diverged" else ("running" if playing else "paused")


def _fields(status, playing: bool, ascii: bool) -> list[_Field]:
    state = state_of(status, playing)
    glyph = {"diverged": "X" if ascii else "✕", "running": ">" if ascii else "▶",
             "paused": "||" if ascii else "❚❚"}[state]
    word = "DIVERGED" if state == "diverged" else state
    style = STATE_STYLES[state]
    out = [_Field("state", [Text(f" {glyph} {word} ", style=style), Text(f" {glyph} ", style=style)])]
    past = getattr(status, "past", None)
    if past is not None:
        back = "<" if ascii else "◀"
        out.append(_Field("past", [Text(f" {back} past: step {numbers.fmt_int(past)} ", style=PAST_STYLE),
                                   Text(f" {back} past {numbers.fmt_int(past)} ", style=PAST_STYLE),
                                   Text(f" {back} past {numbers.fmt_count(past, 3)} ", style=PAST_STYLE),
                                   Text(f" {back} {numbers.fmt_count(past, 3)} ", style=PAST_STYLE)]))
    step = int(getattr(status, "step", 0) or 0)
    label = "step" if past is None else "now"  # beside a past frame: the live run's step
    out.append(_Field("step", [_labelled(label, numbers.fmt_int(step)),
                               _labelled(label, numbers.fmt_count(step, 3))]))
    out.append(_Field("epoch", [_labelled("epoch", numbers.fmt_epoch(getattr(status, "epoch", 0.0) or 0.0))]))
    loss = _pair("loss", _value(status, "train_loss"), _value(status, "test_loss"), lambda v: numbers.fmt(v, 3))
    if loss is not None:
        short = _pair("loss", _value(status, "train_loss"), _value(status, "test_loss"), lambda v: numbers.fmt(v, 2))
        out.append(_Field("loss", [loss, short]))
    acc = _pair("acc", _value(status, "train_acc"), _value(status, "test_acc"), numbers.fmt_pct)
    if acc is not None:
        short = _pair("acc", _value(status, "train_acc"), _value(status, "test_acc"), lambda v: numbers.fmt_pct(v, 0))
        out.append(_Field("acc", [acc, short]))
    out.append(_Field("lr", [_labelled("lr", numbers.fmt(getattr(status, "lr", 0.0), 3))]))
    rate = float(getattr(status, "steps_per_sec", 0.0) or 0.0)
    if state == "running" and math.isfinite(rate):  # paused: no rate (it would be stale)
        rate = max(0.0, rate)  # a reset mid-measurement must not read as negative speed
        out.append(_Field("rate", [_labelled("", f"{numbers.fmt_count(rate, 3)} steps/s"),
                                   _labelled("", f"{numbers.fmt_count(rate, 2)}/s")]))
    seen = getattr(status, "examples_seen", 0) or 0
    out.append(_Field("seen", [_labelled("", f"{numbers.fmt_count(seen)} seen")]))
    out.append(_Field("device", [Text(str(getattr(status, "device", "") or "cpu"), style="bold")]))
    note = getattr(status, "data_note", "")
    if note:
        out.append(_Field("note", [Text(note, style=LABEL)]))
    if ascii:
        for f in out:
            f.variants = [Text(v.plain.encode("ascii", "replace").decode(), style=v.style, spans=list(v.spans))
                          for v in f.variants]
            f.__post_init__()
    return out


BADGES = ("state", "past")


def _gaps(fields: list[_Field]) -> list[int]:
    """What goes before each field: 0 nothing, 1 a separator, 2 one space (after a badge with a background:
    its padding is coloured, so the next field would touch it)."""
    out = []
    for i, f in enumerate(fields):
        prev = fields[i - 1] if i else None
        if prev is None or f.name == "past":
            out.append(0)
        elif prev.name in BADGES:
            out.append(2 if " on " in f" {prev.text.style} " else 0)
        else:
            out.append(1)
    return out


def _width(fields: list[_Field], sep: Text) -> int:
    gaps = _gaps(fields)
    return sum(f.widths[f.pick] for f in fields) + gaps.count(1) * sep.cell_len + gaps.count(2)


def _join(fields: list[_Field], sep: Text) -> Text:
    t = Text(no_wrap=True, overflow="crop", end="")
    for gap, f in zip(_gaps(fields), fields):
        if gap == 1:
            t.append_text(sep)
        elif gap == 2:
            t.append(" ")
        t.append_text(f.text)
    return t


def status_text(status, playing: bool, width: int, ascii: bool | None = None) -> Text:
    """The status line for ``status`` in at most ``width`` cells (ASCII only when ``ascii``)."""
    ascii = colors.use_ascii() if ascii is None else ascii
    width = max(0, int(width))
    if width == 0:
        return Text("", no_wrap=True, end="")
    fields = _fields(status, playing, ascii)
    seps = [Text(" | " if ascii else " │ ", style=LABEL), Text("  "), Text(" ")]
    sep = seps[0]

    def fits() -> bool:
        return _width(fields, sep) <= width

    # 1. drop the lesser fields; 2. tighten the separators; 3. shorter forms, the badges first
    for name in DROP_ORDER:
        if fits():
            break
        fields = [f for f in fields if f.name != name]
    for s in seps[1:]:
        if fits():
            break
        sep = s
    for name in ("state", "past", "loss", "acc", "step", "rate"):
        for f in fields:
            while f.name == name and not fits() and f.pick < len(f.variants) - 1:
                f.pick += 1
    if not fits() and any(f.name == "past" for f in fields):
        fields = [f for f in fields if f.name != "step"]  # the past badge names the step on screen
    order = {"past": 0, "loss": 1, "acc": 2, "state": 3}
    for f in sorted(fields, key=lambda f: order.get(f.name, 9)):  # room left: give back longer forms that fit
        while f.pick and _width(fields, sep) + f.widths[f.pick - 1] - f.widths[f.pick] <= width:
            f.pick -= 1
    line = _join(fields, sep)
    if line.cell_len > width:
        line.truncate(width, overflow="crop" if ascii else "ellipsis")
    return line


class StatusLine(Static):
    """One line at the bottom: state, step, loss, accuracy, lr and device, fitted to its width."""

    DEFAULT_CSS = """
    StatusLine { height: 1; }
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._last: tuple | None = None
        self._shown: Text | None = None

    def show(self, status, playing: bool) -> None:
        """Draw ``status`` (a scenarios.views.Status); ``playing`` says whether the app is training."""
        self._last = (status, playing)
        self._draw()

    def _draw(self) -> None:
        if self._last is None:
            return
        width = self.content_size.width or self.size.width
        if width <= 0:
            return  # not laid out yet: on_resize draws it
        text = status_text(*self._last, width)
        if text != self._shown:  # unchanged: nothing to send down a slow link
            self._shown = text
            self.update(text)

    def on_resize(self, event: Resize) -> None:
        self._draw()
