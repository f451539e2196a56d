"""The training driver: a worker thread that steps the Run and reports by messages.

The worker steps in ~5 ms chunks (the lock is free between them, so a key
acts at once), takes a Snapshot of only the panes that are on screen and due
for a redraw, and posts it; it never touches a widget. An exception in it
pauses training and is reported, never ending the app. Tests and playback
call :meth:`TrainingDriver.advance` instead, so frames are deterministic.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from scenarios.views import Snapshot

FRAME_INTERVAL = 0.05  # at most ~20 snapshots a second when stepping slowly
FAST_FRAME_INTERVAL = 0.1  # at full speed: drawing competes with training for the GIL
CHUNK_SECONDS = 0.005  # training steps between lock releases, so a key never waits long


class SnapshotReady(Message):
    def __init__(self, snap: Snapshot) -> None:
        super().__init__()
        self.snap = snap


class StopReached(Message):
    """A stop condition (the ``until`` setting) was met: pause and say so."""

    def __init__(self, snap: Snapshot, notice: str) -> None:
        super().__init__()
        self.snap = snap
        self.notice = notice


class TrainingFailed(Message):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


class TrainingDriver:
    """Mixed into the App: owns the Run's lock, the play state and the worker."""

    def init_driver(self) -> None:
        self.lock = threading.RLock()
        self._ui_waiting = 0
        self.playing = False

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

    def advance(self, steps: int, ignore: set[str] | None = None) -> int:
        """Step training explicitly (tests, playback, ``s``) and redraw.

        Like playing, it stops at an ``until`` condition that was not met when
        it started (``ignore``: those met when a longer stretch of steps
        started), and says so; so ``Step 1000`` in a tape shows the stop.
        """
        with self.ui_lock():
            run = self.scenario
            done, stopped = run.step_until(steps, ignore=run.conditions_met() if ignore is None else ignore)
            notice = run.stop_notice(stopped) if stopped and not run.diverged else None
        self.refresh_snapshot()
        if notice:
            self.say(notice, "warning")
        return done

    @work(thread=True, exclusive=True, group="train")
    def train_loop(self) -> None:
        worker = get_current_worker()
        try:
            self._train(worker)
        except Exception as exc:  # reported on the UI thread; the app carries on, paused
            self.playing = False
            self.post_message(TrainingFailed(exc))

    def _train(self, worker) -> None:
        run, chunk = self.scenario, 1
        with self.lock:  # a condition already met when play starts does not stop it again
            met = run.conditions_met()
        stopped = None
        while self.playing and not worker.is_cancelled:
            speed = run.values.get("speed", 0)
            start = time.perf_counter()
            if speed:  # slow motion: `speed` steps per frame, then rest until the next frame
                with self.lock:
                    stopped = run.step_until(speed, ignore=met)[1]
                frame = FRAME_INTERVAL
            else:  # as fast as it goes; no rest: the UI thread gets the GIL at every switch interval
                frame = 0.0
                while time.perf_counter() - start < FAST_FRAME_INTERVAL and self.playing and not run.diverged:
                    t0 = time.perf_counter()
                    with self.lock:  # stops exactly at the step (or evaluation) that meets a condition
                        stopped = run.step_until(chunk, ignore=met)[1]
                    if stopped:
                        break
                    took = time.perf_counter() - t0
                    while self._ui_waiting:  # a key is waiting for the lock: let it in (locks are not fair)
                        time.sleep(0.0005)
                    chunk = max(1, min(chunk * 2, int(chunk * CHUNK_SECONDS / took) if took > 0 else chunk * 2))
            with self.lock:
                diverged = run.diverged
                run.measure_rate()
                if stopped and not diverged:
                    notice = run.stop_notice(stopped)
                    self.post_message(StopReached(run.snapshot(self.visible_views(), playing=False), notice))
                    break
                snap = run.snapshot(self.due_views(), playing=not diverged)
            self.post_message(SnapshotReady(snap))
            if diverged:
                break
            rest = frame - (time.perf_counter() - start)
            if rest > 0:
                time.sleep(rest)

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self.playing and message.snap.status.state != "diverged":
            return  # a frame from a worker that was just paused or is shutting down
        self.draw(message.snap)
        if message.snap.status.state == "diverged" and self.playing:
            self.playing = False
            self.say(message.snap.status.message, "error")

    def on_stop_reached(self, message: StopReached) -> None:
        if not self.playing:
            return  # paused by hand meanwhile
        self.playing = False
        self.draw(message.snap)
        self.say(message.notice, "warning")

    def on_training_failed(self, message: TrainingFailed) -> None:
        self.report_error(message.error, "training")

    def action_toggle_play(self) -> None:
        if getattr(self, "past_step", None) is not None:  # looking back: space returns to now first
            self.past_step = None
            self.refresh_snapshot()
            self.say("back to now: space trains on")
            return
        if self.scenario.diverged and not self.playing:
            self.say("training diverged: lower the learning rate (-) and reset the weights (w)", "warning")
            return
        self.playing = not self.playing
        if self.playing and self.threaded:
            self.train_loop()
        self.refresh_snapshot()  # every pane at once, including those throttled while training

    def action_step(self) -> None:
        self.past_step = None
        if self.playing:
            self.say("training is running: space pauses it, then s steps one at a time", "warning")
            return
        self.advance(1)
