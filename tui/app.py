"""The nnplay app: panes that draw a Run's views, keys that change it while it trains.

The training driver (``tui/driver.py``) steps the Run in a worker thread and
posts Snapshots holding only the views of the panes on screen; the UI thread
draws them. Keys, the command palette, tapes and ``--set`` all end in the same
``Run.set`` / ``Run.nudge`` / ``Run.action`` calls. Anything unexpected pauses
training and says so on the notice line; it never ends the app.
"""

from __future__ import annotations

import sys
import time

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Footer, Static, TabbedContent, TabPane

from engine.errors import NNPlayError
from scenarios.views import Snapshot

from . import colors, errorlog
from . import graphics as gfx
from .asciify import AsciiFilter
from .commands import RunCommands
from .controls import ControlsPane, Notice
from .download import DownloadActions
from .driver import TrainingDriver
from .files import FileActions
from .keys import display, key_name
from .panes import TITLES, pane_class
from .screens import HelpScreen, ZoomScreen
from .widgets.fieldview import RasterWidget, graphics_write
from .widgets.status import StatusLine

MIN_WIDTH, MIN_HEIGHT = 60, 18
NARROW_WIDTH, WIDE_WIDTH = 100, 160  # below: narrow side columns; from: roomier ones
SWITCH_INTERVAL = 0.02
DEFAULT_LIVE_INTERVAL = 0.25  # seconds between redraws of a pane while training (panes may override)
ASCII_FILTER = AsciiFilter()
HIDDEN_SYSTEM_COMMANDS = ("Keys", "Screenshot")  # ours do these (help screen, SVG into nnplay-screenshots/)


class NNPlayApp(TrainingDriver, FileActions, DownloadActions, App):
    CSS_PATH = "app.tcss"
    TITLE = "nnplay"
    AUTO_FOCUS = None  # nothing grabs the keys at start: space must play, not paint on the digit canvas
    COMMANDS = App.COMMANDS | {RunCommands}
    NOTIFICATION_TIMEOUT = 4

    BINDINGS = [
        Binding("space", "toggle_play", "Play/Pause"),
        Binding("s", "step", "Step"),
        Binding("w", "reset", "New weights"),
        Binding("d", "regenerate", "New data"),
        Binding("question_mark", "help", "Help"),
        Binding("S", "screenshot", "Screenshot (SVG)", show=False),
        Binding("m", "save_model", "Save model", show=False),
        Binding("M", "load_model", "Load model", show=False),
        Binding("P", "save_preset", "Save preset", show=False),
        Binding("p", "next_tab", "Next tab", show=False),
        Binding("q", "quit", "Quit"),
        Binding("escape", "blur", "Leave the focused pane", show=False),
        Binding("backslash", "toggle_settings", "Hide/show the settings column", show=False),
        Binding("comma", "film(-1)", "Back in time (the run's film)", show=False),
        Binding("full_stop", "film(1)", "Forward in time; past the newest frame: now", show=False),
        Binding("ctrl+r", "resume", "Train on from the past frame shown", show=False),
        Binding("z", "zoom", "Zoom: the main view (or the selected digit's maps) at full size", show=False),
    ]

    def __init__(self, run_cls=None, values=None, seed: int = 0, *, run=None, ascii: bool = False,
                 autoplay: bool = True, threaded: bool = True, graphics: gfx.Choice | None = None,
                 graphics_asked: str = "cells"):
        """Open ``run_cls(values, seed)``, or an already built ``run`` (a preset with its state).

        ``graphics``: what ``--graphics`` resolved to (``tui.graphics.choose``); None draws with cells.
        """
        colors.configure(ascii=bool(ascii))
        self.graphics_choice = gfx.configure(graphics)
        self._graphics_asked = graphics_asked
        super().__init__()
        self.ascii = ascii
        self.scenario = run if run is not None else run_cls(values, seed)  # the live Run (App.run starts the app)
        self.init_driver()
        self.autoplay = autoplay
        self.threaded = threaded
        self.snap: Snapshot | None = None
        self._drawn_at: dict[str, float] = {}
        self._reported: set[str] = set()
        self.past_step: int | None = None  # the film's frame on screen, or None for now
        self._run_said = None
        # reset / regenerate mean slightly different things per scenario: say what they do here
        self.key_help = [(display(b.key), f"{b.description}: {self.scenario.actions[b.action]}" if b.action in self.scenario.actions
                          else b.description) for b in self.BINDINGS]
        self._bind_scenario()

    # -- bindings and commands from the scenario -----------------------------
    def _bind_scenario(self) -> None:
        for s in self.scenario.schema.settings:
            for i, k in enumerate(s.keys):
                direction = 1 if i == 0 else -1
                if s.type is bool:
                    desc = f"toggle {s.name}"
                elif s.type is str:
                    desc = f"{s.name}: {'next' if direction > 0 else 'previous'}"
                else:
                    desc = f"{s.name} {'up' if direction > 0 else 'down'}"
                self.bind(key_name(k), f"nudge('{s.name}', {direction})", description=desc, show=False)
                self.key_help.append((display(k), desc))
        for ka in self.scenario.key_actions:
            self.bind(key_name(ka.key), f"call({', '.join(map(repr, (ka.method, *ka.args)))})",
                      description=ka.desc, show=False)
            self.key_help.append((display(ka.key), ka.desc))

    def action_commands(self):
        """(title, help, callback) for every action, once: what the palette lists besides settings."""
        yield "Play / pause", "Start or stop training (space)", self.action_toggle_play
        yield "Step", "One training step (s)", self.action_step
        yield "New weights", self.scenario.actions["reset"] + " (w)", self.action_reset
        yield "New data", self.scenario.actions["regenerate"] + " (d)", self.action_regenerate
        yield "Save model", "Write the weights to an .npz file (m)", self.action_save_model
        yield "Load model", "Read weights from an .npz file (M)", self.action_load_model
        yield "Save preset", "Write this setup, and trained weights, to a TOML preset (P)", self.action_save_preset
        yield "Screenshot", "Save an SVG of the screen in nnplay-screenshots/ (S)", self.action_screenshot
        yield "Help", "Every key and setting (?)", self.action_help
        for ka in self.scenario.key_actions:
            yield ka.desc.capitalize(), f"key {ka.key}", lambda ka=ka: self.action_call(ka.method, *ka.args)
        if hasattr(self.scenario, "download_data"):
            yield "Download full MNIST", "Fetch the 60k/10k set into the user cache (SHA-256 checked)", self.action_download
            yield "Cancel download", "Stop a running download; only verified files are kept", self.action_cancel_download

    def get_line_filters(self):
        filters = super().get_line_filters()
        return [*filters, ASCII_FILTER] if self.ascii else filters

    def get_system_commands(self, screen):
        for cmd in super().get_system_commands(screen):
            if cmd.title not in HIDDEN_SYSTEM_COMMANDS:
                yield cmd

    # -- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self._panes = tuple(self.scenario.panes)
        panes = list(self.scenario.panes)
        n_main = self.scenario.main_panes
        main, side, rest = panes[:n_main], panes[n_main:n_main + 2], panes[n_main + 2:]
        with Horizontal(id="body"):
            yield ControlsPane(self.scenario.schema, id="controls")
            with Vertical(id="main"):
                for p in main:
                    yield self._pane(p)
            with Vertical(id="side"):
                for p in side:
                    yield self._pane(p)
                if rest:
                    with TabbedContent(id="tabs"):
                        for p in rest:
                            with TabPane(TITLES.get(p, p), id=f"tab-{p}"):
                                yield self._pane(p)
        yield Static("", id="too-small")
        yield Notice("", id="notice")
        yield StatusLine("", id="status")
        yield Footer()

    def _pane(self, name: str):
        w = pane_class(name)(id=f"pane-{name}", classes="pane")
        w.pane_name = name
        w.border_title = TITLES.get(name, name)
        return w

    def on_mount(self) -> None:
        # Fewer, longer GIL slices for the training thread: the UI still answers within ~20 ms.
        sys.setswitchinterval(SWITCH_INTERVAL)
        if self.ascii:
            self.screen.add_class("ascii")
        self.refresh_snapshot()
        self._check_size()
        if self._graphics_asked != "cells":
            g = self.graphics_choice
            self.say(f"graphics: {g.mode} ({g.reason}" + (f", cell {g.cell[0]}x{g.cell[1]} px)" if g.images else ")"))
        if self.autoplay and not self.scenario.hands_on():  # hand mode opens on the learner's bumps
            self.action_toggle_play()

    # -- --graphics kitty: pictures stay on the terminal until deleted --------
    def hide_images(self, only_hidden: bool = False) -> None:
        """Delete the kitty pictures of the main screen (another screen covers it, or panes are hidden)."""
        if not self.graphics_choice.images:
            return
        widgets = self.screen_stack[0].query(RasterWidget) if self.screen_stack else []
        graphics_write(self, "".join(w.hide_image() for w in widgets if not only_hidden or not self._shown(w)))

    def _shown(self, w) -> bool:
        """``w`` is on screen: its pane is, and it and every container above it are displayed."""
        pane = next((a for a in w.ancestors_with_self if hasattr(a, "pane_name")), w)
        return self._on_screen(pane) and all(a.display for a in w.ancestors_with_self if isinstance(a, Widget))

    def show_images(self) -> None:
        if self.graphics_choice.images and self.screen_stack:
            for w in self.screen_stack[0].query(RasterWidget):
                w.refresh()

    def export_screenshot(self, *args, **kwargs) -> str:
        """The SVG of the screen; with --graphics it shows the cells (an SVG holds text, not the terminal's images)."""
        choice = self.graphics_choice
        if not choice.images:
            return super().export_screenshot(*args, **kwargs)
        widgets = [w for w in self.screen.query(RasterWidget) if w.pictures]
        try:
            self.graphics_choice = gfx.configure(gfx.Choice("cells", "screenshot"))
            for w in widgets:
                w._strips = None
                w.refresh()
            return super().export_screenshot(*args, **kwargs)
        finally:
            self.graphics_choice = gfx.configure(choice)
            for w in widgets:
                w._strips = None
                w.refresh()

    def push_screen(self, screen, *args, **kwargs):
        self.hide_images()
        return super().push_screen(screen, *args, **kwargs)

    def pop_screen(self):
        done = super().pop_screen()
        if self.graphics_choice.images:
            self.call_after_refresh(self.show_images)
        return done

    async def _on_resize(self, event) -> None:
        self.hide_images()  # kitty: the pictures' cells move; they are placed again where the new layout puts them
        await super()._on_resize(event)  # Textual stops the event here; re-check after it settles
        self.set_timer(0.02, self._check_size)

    def _check_size(self) -> None:
        w, h = self.size
        small = w < MIN_WIDTH or h < MIN_HEIGHT
        try:
            notice = self.query_one("#too-small", Static)
            body = self.query_one("#body")
        except NoMatches:  # mid re-layout
            return
        notice.update(f"terminal too small: {w}×{h}, need {MIN_WIDTH}×{MIN_HEIGHT}" if small else "")
        notice.display = small
        body.display = not small
        if small:  # now, and after the frame that lays the hidden panes out (it may have placed a picture)
            self.hide_images()
            self.call_after_refresh(self.hide_images)
        # The picture gets the room: the side columns narrow on small terminals (see app.tcss).
        self.screen.set_class(w < NARROW_WIDTH, "narrow")
        self.screen.set_class(w >= WIDE_WIDTH, "wide")

    # -- which views to compute -------------------------------------------------
    def _pane_widgets(self):
        return [w for w in self.query(".pane") if hasattr(w, "pane_name")]

    @staticmethod
    def _on_screen(w) -> bool:
        return not (isinstance(w.parent, TabPane) and not w.region.area)

    def visible_views(self) -> frozenset[str]:
        """The panes on screen now (an inactive tab's pane is not)."""
        return frozenset(w.pane_name for w in self._pane_widgets() if self._on_screen(w))

    def due_views(self) -> frozenset[str]:
        """For the worker: visible panes whose redraw interval has passed (read without the UI thread)."""
        now = time.monotonic()
        return frozenset(
            w.pane_name for w in self._pane_widgets() if self._on_screen(w)
            and now - self._drawn_at.get(w.pane_name, 0.0) >= self._live_interval(w)
        )

    def _live_interval(self, w) -> float:
        interval = getattr(w, "live_interval", DEFAULT_LIVE_INTERVAL)
        if self.graphics_choice.images:  # an image costs more bytes than cells: space them by their size
            rasters = [w] if isinstance(w, RasterWidget) else list(w.query(RasterWidget))
            if any(r.pictures for r in rasters):
                sent = sum(r.image_bytes for r in rasters)
                interval = max(interval, gfx.MIN_INTERVAL, sent / gfx.IMAGE_BYTES_PER_S)
        return interval

    # -- drawing --------------------------------------------------------------
    def refresh_snapshot(self) -> None:
        """Take a snapshot now (UI thread) and draw every visible pane; re-lay out if the panes changed."""
        try:
            with self.ui_lock():
                snap = self.scenario.snapshot(self.visible_views(), playing=self.playing, at=self.past_step)
        except Exception as exc:
            self.report_error(exc, "drawing")
            return
        if tuple(self.scenario.panes) != self._panes:
            self.call_later(self._relayout)
            return
        self.draw(snap)

    async def _relayout(self) -> None:
        await self.recompose()
        self._check_size()
        self.refresh_snapshot()

    def draw(self, snap: Snapshot) -> None:
        self.snap = snap
        now = time.monotonic()
        try:
            for w in self._pane_widgets():
                if w.pane_name not in snap.views:
                    continue
                self._drawn_at[w.pane_name] = now
                try:
                    w.update_view(snap.views[w.pane_name], snap.status)
                except Exception as exc:  # a pane must never take the app down
                    self.report_error(exc, f"pane {w.pane_name}")
            self.query_one(ControlsPane).show(self.scenario.values, self.scenario.idle_settings())
            self.query_one(StatusLine).show(snap.status, self.playing)
            st = snap.status
            said = st.message or st.data_note
            if said != self._run_said:  # the run's own notice, when it changes: ours stay until then
                self._run_said = said
                self.say(said, "error" if st.state == "diverged" else "info")
        except NoMatches:  # mid re-layout or shutting down: the next frame draws
            pass

    def on_tabbed_content_tab_activated(self, event) -> None:
        self.hide_images(only_hidden=True)
        self.refresh_snapshot()

    def say(self, text: str, severity: str = "info") -> None:
        """One line on the notice line (no toasts: they would hide the status line)."""
        try:
            self.query_one(Notice).say(text, severity)
        except NoMatches:
            pass

    def report_error(self, exc: Exception, where: str) -> None:
        """Pause, log the trace, and say what went wrong in one line (once per distinct error)."""
        self.playing = False
        line = errorlog.record(exc, where) if f"{where}{exc!r}" not in self._reported else None
        self._reported.add(f"{where}{exc!r}")
        if line:
            self.say(line, "error")

    # -- keys -----------------------------------------------------------------
    def _change(self, fn, *args) -> None:
        try:
            with self.ui_lock():
                msg = fn(*args)
        except NNPlayError as exc:
            self.say(str(exc), "error")
            self.refresh_snapshot()
            return
        except Exception as exc:
            self.report_error(exc, "key")
            return
        if self.playing and self.scenario.hands_on():  # a bump placed by hand is not trained away at once
            self.playing = False
        self.refresh_snapshot()
        if msg:
            self.say(msg)

    def action_nudge(self, name: str, direction: int) -> None:
        self._change(self.scenario.nudge, name, direction)

    def set_value(self, name: str, value) -> None:
        self._change(self.scenario.set, name, value)

    def action_call(self, method: str, *args) -> None:
        self._change(getattr(self.scenario, method), *args)

    def action_reset(self) -> None:
        self._change(self.scenario.action, "reset")

    def action_regenerate(self) -> None:
        self._change(self.scenario.action, "regenerate")

    # -- time travel ---------------------------------------------------------------
    def show_past(self, step: int | None) -> None:
        """Draw the film's frame for ``step`` (None: now); looking back pauses training."""
        if step is not None and self.playing:
            self.playing = False
        self.past_step = step
        self.refresh_snapshot()

    def action_film(self, direction: int) -> None:
        """``,`` one frame back in the run's film, ``.`` one forward (past the newest: now)."""
        film, now = self.scenario.film, self.scenario.trainer.steps
        if self.past_step is None:
            if direction > 0:
                self.say("this is now: , goes back in time")
                return
            frame = film.at(now)
            if frame is not None and frame.step >= now:
                frame = film.neighbour(frame.step, -1)
            if frame is None or frame.step >= now:
                self.say("no earlier frame yet: train a little first")
                return
        else:
            frame = film.neighbour(self.past_step, direction)
            if frame is None or frame.step >= now:
                self.show_past(None)
                self.say("back to now")
                return
            if frame.step == self.past_step:
                self.say("this is the oldest frame the film keeps")
                return
        self.show_past(frame.step)

    def action_resume(self) -> None:
        if self.past_step is None:
            self.say(", goes back in time first; ctrl+r then trains on from the frame shown")
            return
        step, self.past_step = self.past_step, None
        self._change(self.scenario.resume_from, step)

    def on_loss_plot_cursor_moved(self, message) -> None:
        step = getattr(message, "step", None)
        self.show_past(None if step is None or step >= self.scenario.trainer.steps else step)

    def action_toggle_settings(self) -> None:
        controls = self.query_one(ControlsPane)
        controls.display = not controls.display
        self.say("settings column shown" if controls.display else "settings column hidden: \\ shows it again")

    def action_blur(self) -> None:
        self.set_focus(None)

    def action_next_tab(self) -> None:
        tabs = self.query(TabbedContent)
        ids = [p.id for p in tabs.first().query(TabPane)] if tabs else []
        if len(ids) < 2:
            self.say("no other tab to show here")
            return
        t = tabs.first()
        i = ids.index(t.active) if t.active in ids else -1
        t.active = ids[(i + 1) % len(ids)]

    def on_network_diagram_neuron_selected(self, message) -> None:
        if hasattr(self.scenario, "select"):
            self._change(self.scenario.select, (message.layer, message.neuron))

    def on_draw_pane_predict(self, message) -> None:
        try:
            with self.ui_lock():
                probs = self.scenario.predict_image(message.image)
        except Exception as exc:
            self.report_error(exc, "prediction")
            return
        message.pane.show_prediction(probs)

    def on_digits_pane_digit_selected(self, message) -> None:
        self._change(self.scenario.select_digit, message.index)

    def on_curve_view_point_added(self, message) -> None:
        if hasattr(self.scenario, "add_point"):
            self._change(self.scenario.add_point, message.x, message.y)

    def on_race_view_start_set(self, message) -> None:
        self._change(self.scenario.set_start, message.x, message.y)

    def action_zoom(self) -> None:
        name = self.scenario.zoom_pane or self.scenario.panes[0]
        with self.ui_lock():
            snap = self.scenario.snapshot({name}, playing=self.playing, at=self.past_step)
        widget = pane_class(name)(classes="pane")
        widget.pane_name = name
        self.push_screen(ZoomScreen(widget, snap.view(name), snap.status, TITLES.get(name, name)))

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_help, self.scenario.schema, self.scenario.values))

    def action_quit(self) -> None:
        self.playing = False
        self.exit()

    def on_unmount(self) -> None:
        self.playing = False
        sys.setswitchinterval(0.005)
