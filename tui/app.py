"""The nnplay app: panes that draw Snapshots, keys that change a live Run.

Training runs in a thread worker that steps the Run and posts a Snapshot at
most ~20 times a second; the UI thread only draws. Tests and playback call
:meth:`NNPlayApp.advance` instead, so frames are deterministic.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
import time
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from engine.errors import NNPlayError
from engine.atomic import atomic_write_text
from scenarios.settings import Preset, dump_preset
from scenarios.snapshot import Snapshot

from . import palette
from .keys import display, key_name
from .panes import TITLES, pane_class
from .screens import HelpScreen, PathPrompt

MIN_WIDTH, MIN_HEIGHT = 60, 18
SWITCH_INTERVAL = 0.02
DEFAULT_LIVE_INTERVAL = 0.25  # seconds between redraws of a pane while training (panes may override)
FRAME_INTERVAL = 0.05  # at most ~20 snapshots a second when stepping slowly
FAST_FRAME_INTERVAL = 0.1  # at full speed: drawing competes with training for the GIL
CHUNK_SECONDS = 0.005  # training steps between lock releases, so a key never waits long


class SnapshotReady(Message):
    def __init__(self, snap: Snapshot) -> None:
        super().__init__()
        self.snap = snap


class DownloadProgress(Message):
    def __init__(self, done: int, total: int | None) -> None:
        super().__init__()
        self.done, self.total = done, total


class DownloadDone(Message):
    def __init__(self, where: str = "", error: str = "") -> None:
        super().__init__()
        self.where, self.error = where, error


class StatusLine(Static):
    """Epoch, speed, examples, losses, lr, device and the run's state at a glance."""

    def show(self, snap: Snapshot, playing: bool) -> None:
        state = "DIVERGED" if snap.state == "diverged" else ("▶ running" if playing else "❚❚ paused")
        if palette.use_ascii():
            state = state.replace("▶", ">").replace("❚❚", "||")
        style = "bold white on red" if snap.state == "diverged" else ("bold green" if playing else "bold yellow")
        t = Text()
        t.append(f" {state} ", style=style)
        m = snap.metrics
        parts = [f"epoch {snap.epoch:,.1f}", f"step {snap.step:,}", f"{snap.steps_per_sec:,.0f} steps/s",
                 f"{snap.examples_seen:,} seen"]
        if "train_loss" in m:
            parts.append(f"loss {m['train_loss']:.4f}" + (f"/{m['test_loss']:.4f}" if "test_loss" in m else ""))
        if "train_acc" in m:
            parts.append(f"acc {m['train_acc']:.1%}" + (f"/{m['test_acc']:.1%}" if "test_acc" in m else ""))
        parts += [f"lr {snap.lr:g}", snap.device]
        t.append(" " + " │ ".join(parts) if not palette.use_ascii() else " " + " | ".join(parts))
        self.update(t)


class Notice(Static):
    def say(self, text: Text) -> None:
        if text != getattr(self, "_said", None):
            self._said = text
            self.update(text)


class ControlsPane(Static):
    """Every setting, its value and its key; yellow ones reset the weights."""

    def __init__(self, schema, **kw):
        super().__init__(**kw)
        self.schema = schema

    def show(self, values: dict) -> None:
        if values == getattr(self, "_shown", None):
            return  # unchanged: repainting 30 lines every frame would cost a slow link dearly
        self._shown = dict(values)
        t = Text()
        for s in self.schema.settings:
            keys = "/".join(display(k) for k in s.keys)
            t.append(f"{keys:>3} ", style="bold cyan")
            t.append(f"{s.name:<15}", style="" if s.live else "yellow")
            t.append(f"{s.format(values[s.name])}\n", style="bold")
        self.update(t)


class NNPlayApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "nnplay"
    AUTO_FOCUS = None  # nothing grabs the keys at start: space must play, not paint on the digit canvas

    BINDINGS = [
        Binding("space", "toggle_play", "Play/Pause"),
        Binding("s", "step", "Step"),
        Binding("w", "reset", "Reset weights"),
        Binding("d", "regenerate", "New data"),
        Binding("question_mark", "help", "Help"),
        Binding("S", "screenshot", "Screenshot (SVG)", show=False),
        Binding("m", "save_model", "Save model", show=False),
        Binding("M", "load_model", "Load model", show=False),
        Binding("P", "save_preset", "Save preset", show=False),
        Binding("p", "next_tab", "Next pane", show=False),
        Binding("q", "quit", "Quit"),
        Binding("escape", "blur", "Leave the focused pane", show=False),
    ]

    def __init__(self, run_cls, values=None, seed: int = 0, *, ascii: bool = False,
                 autoplay: bool = True, threaded: bool = True):
        palette.configure(ascii=bool(ascii))
        super().__init__()
        self.ascii = ascii
        self.sim = run_cls(values, seed)
        self.lock = threading.RLock()
        self._ui_waiting = 0
        self.playing = False
        self.autoplay = autoplay
        self.threaded = threaded
        self.snap: Snapshot | None = None
        self._drawn_at: dict[str, float] = {}
        # reset / regenerate mean slightly different things per scenario: say what they do here
        self.key_help = [(display(b.key), f"{b.description}: {self.sim.actions[b.action]}" if b.action in self.sim.actions
                          else b.description) for b in self.BINDINGS]
        self._bind_scenario()
        self._screenshots = 0

    # -- bindings from the scenario's settings ------------------------------
    def _bind_scenario(self) -> None:
        for s in self.sim.schema.settings:
            for i, k in enumerate(s.keys):
                direction = 1 if i == 0 else -1
                if s.type is bool:
                    desc = f"toggle {s.name}"
                elif s.type is str or s.cycle:
                    desc = f"{s.name}: {'next' if direction > 0 else 'previous'}"
                else:
                    desc = f"{s.name} {'up' if direction > 0 else 'down'}"
                self.bind(key_name(k), f"nudge('{s.name}', {direction})", description=desc, show=False)
                self.key_help.append((display(k), desc))
        for ka in self.sim.key_actions:
            self.bind(key_name(ka.key), f"call({', '.join(map(repr, (ka.method, *ka.args)))})",
                      description=ka.desc, show=False)
            self.key_help.append((display(ka.key), ka.desc))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Play / pause", "Start or stop training", self.action_toggle_play)
        yield SystemCommand("Step", "One training step", self.action_step)
        yield SystemCommand("Reset weights", "New random weights; keeps the data", self.action_reset)
        yield SystemCommand("Regenerate data", "New data and new weights", self.action_regenerate)
        yield SystemCommand("Save model", "Write the weights to an .npz file", self.action_save_model)
        yield SystemCommand("Load model", "Read weights from an .npz file", self.action_load_model)
        yield SystemCommand("Save preset", "Write this setup to a TOML preset", self.action_save_preset)
        yield SystemCommand("Screenshot", "Save an SVG of the screen", self.action_screenshot)
        yield SystemCommand("Help", "Keys and settings", self.action_help)
        for s in self.sim.schema.settings:
            if s.type is bool:
                yield SystemCommand(f"Toggle {s.name}", s.help, lambda n=s.name: self.action_nudge(n, 1))
            elif s.choices:
                for c in s.choices:
                    yield SystemCommand(f"Set {s.name} = {s.format(c)}", s.help, lambda n=s.name, c=c: self.set_value(n, c))
        for ka in self.sim.key_actions:
            yield SystemCommand(ka.desc.capitalize(), f"key {ka.key}", lambda ka=ka: self.action_call(ka.method, *ka.args))
        if hasattr(self.sim, "download_data"):
            yield SystemCommand("Download full MNIST", "Fetch the 60k/10k set into the user cache (SHA-256 checked)",
                                self.action_download)
            yield SystemCommand("Cancel download", "Stop a running download; only verified files are kept",
                                self.action_cancel_download)

    # -- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self._panes = tuple(self.sim.panes)
        panes = [p for p in self.sim.panes if p != "controls" and pane_class(p) is not None]
        n_main = self.sim.main_panes
        main, side, rest = panes[:n_main], panes[n_main:n_main + 2], panes[n_main + 2:]
        with Horizontal(id="body"):
            yield ControlsPane(self.sim.schema, id="controls")
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
        w.border_title = TITLES.get(name, name)
        return w

    def on_mount(self) -> None:
        # Fewer, longer GIL slices for the training thread: the UI still answers within ~20 ms.
        sys.setswitchinterval(SWITCH_INTERVAL)
        if self.ascii:
            self.screen.add_class("ascii")
        self.refresh_snapshot()
        self._check_size()
        if self.autoplay:
            self.action_toggle_play()

    async def _on_resize(self, event) -> None:
        await super()._on_resize(event)  # Textual stops the event here; re-check after it settles
        self.set_timer(0.02, self._check_size)

    def _check_size(self) -> None:
        w, h = self.size
        small = w < MIN_WIDTH or h < MIN_HEIGHT
        notice = self.query_one("#too-small", Static)
        notice.update(f"terminal too small: {w}×{h}, need {MIN_WIDTH}×{MIN_HEIGHT}" if small else "")
        notice.display = small
        self.query_one("#body").display = not small

    @contextmanager
    def ui_lock(self):
        """The Run's lock, for the UI thread: the trainer steps aside between chunks while this waits."""
        self._ui_waiting += 1
        try:
            self.lock.acquire()
        finally:
            self._ui_waiting -= 1
        try:
            yield
        finally:
            self.lock.release()

    # -- drawing --------------------------------------------------------------
    def refresh_snapshot(self) -> None:
        """Take a snapshot now (UI thread) and draw it; re-lay out if the scenario's panes changed."""
        with self.ui_lock():
            snap = self.sim.snapshot()
        if tuple(self.sim.panes) != self._panes:
            self.call_later(self._relayout, snap)
            return
        self.draw(snap, force=True)  # a key's effect shows at once, even on panes throttled while training

    async def _relayout(self, snap: Snapshot) -> None:
        await self.recompose()
        self._check_size()
        self.draw(snap)

    def draw(self, snap: Snapshot, force: bool = False) -> None:
        try:
            self._draw(snap, force)
        except NoMatches:  # mid re-layout or shutting down: the next frame draws
            pass

    def _draw(self, snap: Snapshot, force: bool = False) -> None:
        self.snap = snap
        if self.playing and snap.state != "diverged":
            snap.state = "running"
        now = time.monotonic()
        for w in self.query(".pane"):
            if not w.region.area and w.parent is not None and isinstance(w.parent, TabPane):
                continue  # hidden in an inactive tab: drawn when it is shown
            if self.playing and not force and snap.state != "diverged":
                # While training, slow-changing panes redraw less often: the link and the GIL thank us.
                if now - self._drawn_at.get(w.id, 0.0) < getattr(w, "live_interval", DEFAULT_LIVE_INTERVAL):
                    continue
            self._drawn_at[w.id] = now
            try:
                w.update_snapshot(snap)
            except Exception as exc:  # a pane must never take the app down
                self.log.error(f"pane {w.id} failed: {exc!r}")
        self.query_one(ControlsPane).show(self.sim.values)
        self.query_one(StatusLine).show(snap, self.playing)
        note = snap.message or snap.extra.get("data_note", "")
        self.query_one(Notice).say(Text(note, style="bold red" if snap.state == "diverged" else "italic"))

    def on_tabbed_content_tab_activated(self, event) -> None:
        if self.snap is not None:
            for w in event.pane.query(".pane"):
                w.update_snapshot(self.snap)

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self.playing and message.snap.state != "diverged":
            return  # a frame from a worker that was just paused or is shutting down
        self.draw(message.snap)
        if message.snap.state == "diverged" and self.playing:
            self.playing = False
            self.notify(message.snap.message, title="training diverged", severity="error", timeout=8)
            self.query_one(StatusLine).show(message.snap, False)

    # -- training -------------------------------------------------------------
    def advance(self, steps: int) -> int:
        """Step training explicitly (tests, playback) and redraw."""
        with self.ui_lock():
            done = self.sim.step(steps)
        self.refresh_snapshot()
        return done

    @work(thread=True, exclusive=True, group="train")
    def train_loop(self) -> None:
        """Step in ~5 ms chunks (the lock is free between them, so keys act at once), snapshot, post.

        Never touches widgets: the UI thread draws what it is posted.
        """
        worker = get_current_worker()
        chunk = 1
        while self.playing and not worker.is_cancelled:
            speed = self.sim.values.get("speed", 0)
            start = time.perf_counter()
            if speed:  # slow motion: `speed` steps per frame, then rest until the next frame
                with self.lock:
                    self.sim.step(speed)
                frame = FRAME_INTERVAL
            else:  # as fast as it goes; no rest: the UI thread gets the GIL at every switch interval
                frame = 0.0
                while time.perf_counter() - start < FAST_FRAME_INTERVAL and self.playing and not self.sim.diverged:
                    t0 = time.perf_counter()
                    with self.lock:
                        self.sim.step(chunk)
                    took = time.perf_counter() - t0
                    while self._ui_waiting:  # a key is waiting for the lock: let it in (locks are not fair)
                        time.sleep(0.0005)
                    chunk = max(1, min(chunk * 2, int(chunk * CHUNK_SECONDS / took) if took > 0 else chunk * 2))
            with self.lock:
                diverged = self.sim.diverged
                self.sim.measure_rate()
                snap = self.sim.snapshot()
            self.post_message(SnapshotReady(snap))
            if diverged:
                break
            rest = frame - (time.perf_counter() - start)
            if rest > 0:
                time.sleep(rest)

    def action_toggle_play(self) -> None:
        if self.sim.diverged and not self.playing:
            self.notify("training diverged: lower the learning rate (-) and reset the weights (w)", severity="warning")
            return
        self.playing = not self.playing
        if self.playing and self.threaded:
            self.train_loop()
        if not self.playing:
            self.refresh_snapshot()  # every pane, including those throttled while training
        elif self.snap is not None:
            self.query_one(StatusLine).show(self.snap, self.playing)

    def action_blur(self) -> None:
        self.set_focus(None)

    def action_step(self) -> None:
        self.advance(1)

    def _change(self, fn, *args) -> None:
        try:
            with self.ui_lock():
                msg = fn(*args)
        except NNPlayError as exc:
            self.notify(str(exc), severity="error")
            return
        self.refresh_snapshot()
        if msg:
            self.query_one(Notice).say(Text(msg, style="italic"))

    def action_nudge(self, name: str, direction: int) -> None:
        self._change(self.sim.nudge, name, direction)

    def set_value(self, name: str, value) -> None:
        self._change(self.sim.set, name, value)

    def action_call(self, method: str, *args) -> None:
        self._change(getattr(self.sim, method), *args)

    def action_reset(self) -> None:
        self._change(self.sim.action, "reset")

    def action_regenerate(self) -> None:
        self._change(self.sim.action, "regenerate")

    def on_network_diagram_neuron_selected(self, message) -> None:
        if hasattr(self.sim, "select"):
            with self.ui_lock():
                self.sim.select((message.layer, message.neuron))
            self.refresh_snapshot()

    def on_draw_pane_predict(self, message) -> None:
        with self.ui_lock():
            probs = self.sim.predict_image(message.image)
        message.pane.show_prediction(probs)

    def on_digits_pane_digit_selected(self, message) -> None:
        self._change(self.sim.select_digit, message.index)

    def on_curve_view_point_added(self, message) -> None:
        if hasattr(self.sim, "add_point"):
            self._change(self.sim.add_point, message.x, message.y)

    def action_next_tab(self) -> None:
        tabs = self.query(TabbedContent)
        if tabs:
            t = tabs.first()
            ids = [p.id for p in t.query(TabPane)]
            if ids:
                i = ids.index(t.active) if t.active in ids else -1
                t.active = ids[(i + 1) % len(ids)]

    # -- data download (slow: a worker, with progress and cancel) ----------------
    def action_download(self) -> None:
        self._cancel_download = False
        self.notify("downloading MNIST: progress on the notice line; palette → Cancel download stops it")
        self.download_worker()

    def action_cancel_download(self) -> None:
        self._cancel_download = True

    @work(thread=True, exclusive=True, group="download")
    def download_worker(self) -> None:
        last = [0.0]

        def progress(done, total):
            now = time.monotonic()
            if now - last[0] > 0.1 or (total and done >= total):
                last[0] = now
                self.post_message(DownloadProgress(done, total))
            return not self._cancel_download

        try:
            where = self.sim.download_data(progress)
        except NNPlayError as exc:
            self.post_message(DownloadDone(error=str(exc)))
        else:
            self.post_message(DownloadDone(where))

    def on_download_progress(self, message: DownloadProgress) -> None:
        total = f"/{message.total / 1e6:.1f}" if message.total else ""
        self.query_one(Notice).say(Text(f"downloading MNIST: {message.done / 1e6:.1f}{total} MB", style="italic"))

    def on_download_done(self, message: DownloadDone) -> None:
        if message.error:
            self.notify(message.error, title="download", severity="error", timeout=10)
            self.query_one(Notice).say(Text(""))
            return
        self.notify(f"MNIST saved in {message.where}")
        self.set_value("data", "full")

    # -- files ------------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_help, self.sim.schema, self.sim.values))

    def action_screenshot(self, path: str | None = None) -> str:
        if path is None:
            self._screenshots += 1
            path = f"nnplay-{self.sim.name}-{self._screenshots}.svg"
        p = Path(path)
        atomic_write_text(p, self.export_screenshot())
        self.notify(f"saved screenshot {p}")
        return str(p)

    def action_save_model(self) -> None:
        def done(path):
            if path:
                self._file_op(lambda: self.sim.save_model(path), f"saved model to {path}")

        self.push_screen(PathPrompt("Save the model's weights to (.npz):", f"nnplay-{self.sim.name}.npz"), done)

    def action_load_model(self) -> None:
        def done(path):
            if path:
                self._file_op(lambda: self.sim.load_model(path), f"loaded weights from {path}")

        self.push_screen(PathPrompt("Load weights from (.npz):", f"nnplay-{self.sim.name}.npz"), done)

    def save_preset(self, path: str) -> None:
        text = dump_preset(Preset(self.sim.name, dict(self.sim.values), self.sim.seed))
        atomic_write_text(path, text)

    def action_save_preset(self) -> None:
        def done(path):
            if path:
                self._file_op(lambda: self.save_preset(path), f"saved preset to {path}: reopen with nnplay --preset {path}")

        self.push_screen(PathPrompt("Save this setup as a TOML preset:", f"nnplay-{self.sim.name}.toml"), done)

    def _file_op(self, fn, ok: str) -> None:
        try:
            with self.ui_lock():
                fn()
        except (NNPlayError, OSError) as exc:
            self.notify(f"{exc}", severity="error")
            return
        self.notify(ok)
        self.refresh_snapshot()

    def action_quit(self) -> None:
        self.playing = False
        self.exit()

    def on_unmount(self) -> None:
        self.playing = False
        sys.setswitchinterval(0.005)
