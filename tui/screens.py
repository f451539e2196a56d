"""Modal screens: help, and a one-line path prompt for saves and loads."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class HelpScreen(ModalScreen[None]):
    """Every key, and every setting with its range and whether it resets the weights."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]
    AUTO_FOCUS = "#help-body"  # so the arrow and page keys scroll it

    def __init__(self, bindings: list[tuple[str, str]], schema, values):
        super().__init__()
        self.key_rows = bindings
        self.schema = schema
        self.values = values

    def compose(self) -> ComposeResult:
        keys = Table(box=None, padding=(0, 1), title="keys", title_justify="left", title_style="bold")
        keys.add_column("key", style="bold cyan", no_wrap=True)
        keys.add_column("does")
        for k, d in self.key_rows:
            keys.add_row(k, d)
        sets = Table(box=None, padding=(0, 1), title="settings (--set key=value, presets, tapes)",
                     title_justify="left", title_style="bold")
        sets.add_column("setting", style="bold")
        sets.add_column("now")
        sets.add_column("allowed", style="dim")
        sets.add_column("")
        for s in self.schema.settings:
            effect = s.effect.value
            sets.add_row(s.name, s.format(self.values[s.name]), s.allowed(),
                         Text(effect, style="green" if s.live else "yellow"))
        with VerticalScroll(id="help-body"):
            yield Static(Text("nnplay help — esc closes; ctrl+p opens the command palette", style="bold"))
            yield Static(keys)
            yield Static(sets)


class PathPrompt(ModalScreen[str | None]):
    """Ask for a file path; Enter confirms, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]
    AUTO_FOCUS = "Input"

    def __init__(self, title: str, default: str):
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(self.title_text)
            yield Input(value=self.default, id="prompt-input")

    def on_key(self, event) -> None:
        """Keys typed before the input has focus (right after the prompt opened) go into it, not astray."""
        box = self.query_one(Input)
        if self.focused is not box and event.is_printable and event.character:
            event.stop()
            box.focus()
            if not getattr(self, "_typed", False):
                box.value = ""  # typing replaces the suggested path, as it would once focused
            self._typed = True
            box.insert_text_at_cursor(event.character)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ZoomScreen(ModalScreen[None]):
    """One pane at the size of the terminal: the selected neuron's output, a digit and its maps, a filter."""

    BINDINGS = [Binding("escape,z,q", "dismiss", "close")]

    def __init__(self, widget, view, status, title: str):
        super().__init__()
        self.widget, self.view, self.status, self.title_text = widget, view, status, title

    def compose(self) -> ComposeResult:
        self.widget.id = "zoomed"
        self.widget.border_title = f"{self.title_text} (zoomed: esc or z closes)"
        yield self.widget

    def on_mount(self) -> None:
        self.widget.update_view(self.view, self.status)
