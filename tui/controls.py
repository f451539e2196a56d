"""The settings column and the notice line: what the run is set to, and what just happened."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from scenarios.settings import Schema

from . import colors
from .keys import display

SEVERITY_STYLES = {"info": "italic", "warning": "bold yellow", "error": "bold red"}


def elide(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis (``..`` in ASCII mode)."""
    if len(text) <= width:
        return text
    dots = ".." if colors.use_ascii() else "…"
    return text[: max(0, width - len(dots))] + dots if width > len(dots) else text[:width]


class ControlsPane(Static):
    """Every setting on one line: key, name, value; yellow names rebuild the network, dim rows are moot now.

    Lines never wrap: a narrow column elides the value (the help screen and the
    palette show it whole).
    """

    def __init__(self, schema: Schema, **kw):
        super().__init__(**kw)
        self.schema = schema
        self._values: dict | None = None
        self._idle: frozenset = frozenset()
        self._shown: tuple | None = None

    def show(self, values: dict, idle: frozenset = frozenset()) -> None:
        """``idle``: names the run's other values make moot (Run.idle_settings), drawn dim."""
        self._values = dict(values)
        self._idle = frozenset(idle)
        self._render_lines()

    def on_resize(self, event) -> None:
        self._render_lines()

    def _render_lines(self) -> None:
        if self._values is None:
            return
        width = max(8, self.content_region.width or self.size.width or 28)
        key = (tuple(self._values.items()), self._idle, width)
        if key == self._shown:
            return  # unchanged: repainting 30 lines every frame would cost a slow link dearly
        self._shown = key
        names = max(len(s.name) for s in self.schema.settings)
        name_w = min(names, max(6, width - 4 - 1 - 6))  # the value keeps at least 6 cells
        t = Text(no_wrap=True, overflow="ellipsis")
        for i, s in enumerate(self.schema.settings):
            keys = "/".join(display(k) for k in s.keys)
            idle = s.name in self._idle
            t.append(f"{keys:>3} ", style="dim cyan" if idle else "bold cyan")
            t.append(f"{elide(s.name, name_w):<{name_w}} ", style="dim" if idle else "" if s.live else "yellow")
            value = s.format(self._values[s.name]) or "–"
            t.append(elide(value, max(1, width - 4 - name_w - 1)), style="dim" if idle else "bold")
            if i < len(self.schema.settings) - 1:
                t.append("\n")
        self.update(t)


class Notice(Static):
    """One line under the panes: the last thing that happened, styled by how much it matters."""

    def say(self, text: str, severity: str = "info") -> None:
        said = (text, severity)
        if said != getattr(self, "_said", None):
            self._said = said
            self.update(Text(text, style=SEVERITY_STYLES.get(severity, "italic"), no_wrap=True, overflow="ellipsis"))

    @property
    def text(self) -> str:
        return getattr(self, "_said", ("", ""))[0]

