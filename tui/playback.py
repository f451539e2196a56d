"""``nnplay play TAPE``: play a tape (see :mod:`tui.tape`, which describes the language) in the app.

Three ways, one driver (an async task that presses keys and steps training):

* in a terminal: the app runs normally and the tape drives it, so
  ``asciinema rec`` or VHS can film it; Sleep and TypingSpeed take real time,
  ``Step N`` trains in frame-sized chunks so the training shows, the app uses
  the terminal's size (``--size`` forces one; the tape's ``Set Width/Height``
  are for headless and recorded playback), and ``Resize`` asks the terminal
  with xterm's ``CSI 8;rows;cols t`` and goes on after 1 s if it refuses;
* ``--headless``: no terminal (CI); Sleep and typing take no time, so a tape
  plays as fast as it trains, and notifications (toasts) are off because
  their timeouts are wall-clock;
* ``--record OUT.cast`` (or ``Output`` in the tape): :mod:`tui.record` plays
  it in a hidden pseudo-terminal and writes an asciicast; ``--headless``
  changes nothing there (no terminal is needed either way).

The app never trains by itself (``autoplay=False, threaded=False``): only
``Step N`` advances it, so a headless tape gives byte-identical screenshots.
BLAS runs on one thread while a tape plays: sums then add up in the same order
on every machine, and small matrices do not stall on thread hand-offs (on a
busy 2-core box a CNN step took 0.8 s with two OpenBLAS threads, 3 ms with one).
``Play`` is the exception: it starts the live trainer (to film or measure real
training), and whatever happens after it depends on the machine's speed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from engine.atomic import atomic_write_text, make_parents
from engine.errors import NNPlayError

from . import tape as tapes
from .args import Parser, nonempty

DEFAULT_SIZE = (120, 40)
DEFAULT_TYPING = 0.05  # seconds between key presses when playing visibly (VHS's default)
FRAME = 1 / 15  # visible Step: train in chunks of at least about this much time, drawing each


class PlaybackError(NNPlayError):
    """A tape that went wrong while playing (``file:line: why``), or no way to play it."""


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="nnplay play", description="Play a tape: a script of keys, training steps and screenshots.")
    p.add_argument("tape", type=nonempty, help="the .tape file (paths inside it are relative to the current directory)")
    p.add_argument("--record", type=nonempty, metavar="OUT.cast", help="write an asciicast v2 recording (plays in a hidden terminal)")
    p.add_argument("--headless", action="store_true", help="no terminal: play instantly, write the screenshots")
    p.add_argument("--size", metavar="COLSxROWS", help="terminal size (default: the tape's Set Width/Height, else 120x40)")
    p.add_argument("--no-record", action="store_true", help=argparse.SUPPRESS)  # the recorder's child: ignore Output
    return p


def load(path: str | Path) -> tapes.Tape:
    """Parse and validate a tape fully (settings, presets, data) before anything plays."""
    tape = tapes.load(path)
    tapes.check_builds(tape)
    return tape


def main(argv) -> int:
    args = parser().parse_args(argv)
    size = None
    if args.size:
        try:
            size = tapes.parse_size(args.size)
        except ValueError as exc:
            raise PlaybackError(f"--size: {exc}") from None
    tape = load(args.tape)
    out = None if args.no_record else (args.record or tape.output)
    if out:
        from . import record

        seconds = record.record(args.tape, out, size or tape.size or DEFAULT_SIZE)
        print(f"recorded {seconds:.1f} s to {out}")
        return 0
    if args.headless:
        with threadpool_limits(limits=1):
            written = asyncio.run(Player(tape, headless=True).play_headless(size or tape.size or DEFAULT_SIZE))
    else:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise PlaybackError("no terminal to play in: use --headless, or --record OUT.cast")
        with threadpool_limits(limits=1):
            written = Player(tape, headless=False).play_visible(size)
    if not args.no_record:  # a recording ends with the app, not with this list
        for path in written:
            print(f"wrote {path}")
    return 0


def segments(tape: tapes.Tape) -> list[tuple[tapes.OpenSpec, list[tapes.Command]]]:
    """The tape cut at each Open: (what to open, what to do in it)."""
    out = []
    for c in tape.commands:
        if c.kind == "open":
            out.append((c.value, []))
        else:
            out[-1][1].append(c)
    return out


def stop(app) -> None:
    """The tape's implicit quit: stop live training too, or its thread would outlive the app."""
    app.playing = False
    app.exit()


class Player:
    def __init__(self, tape: tapes.Tape, *, headless: bool):
        self.tape = tape
        self.headless = headless
        self.typing = tape.typing_speed if tape.typing_speed is not None else (0.0 if headless else DEFAULT_TYPING)
        self.written: list[str] = []

    def make_app(self, spec: tapes.OpenSpec):
        import scenarios

        from . import colors
        from .app import NNPlayApp

        if self.headless:  # no terminal to ask: draw SVGs in full colour, the same on every machine
            colors.configure(colors.ColorMode.TRUECOLOR, ascii=spec.ascii)
        else:
            colors.configure(ascii=spec.ascii)
        run = spec.opening.build() if spec.opening is not None else scenarios.get(spec.scenario)(spec.values, spec.seed)
        return NNPlayApp(run=run, ascii=spec.ascii, autoplay=False, threaded=False)

    # -- the three ways ---------------------------------------------------------
    async def play_headless(self, size: tuple[int, int]) -> list[str]:
        from . import colors

        saved = colors.current()
        try:
            for spec, commands in segments(self.tape):
                app = self.make_app(spec)
                async with app.run_test(size=size, notifications=False) as pilot:
                    await pilot.pause()
                    await self.drive(pilot, commands)
                    size = tuple(app.size)
                    stop(app)
        finally:
            colors.configure(saved.mode, ascii=saved.ascii)
        return self.written

    def play_visible(self, size: tuple[int, int] | None) -> list[str]:
        for spec, commands in segments(self.tape):
            app = self.make_app(spec)

            async def autopilot(pilot, commands=commands):
                await pilot.pause()
                await self.drive(pilot, commands)
                stop(pilot.app)

            app.run(size=size, auto_pilot=autopilot)
        return self.written

    # -- commands -----------------------------------------------------------------
    async def drive(self, pilot, commands: list[tapes.Command]) -> None:
        for c in commands:
            if pilot.app.return_code is not None:  # the tape quit the app (q): skip to the next Open
                return
            try:
                await getattr(self, f"do_{c.kind}")(pilot, c)
            except (NNPlayError, OSError) as exc:
                raise PlaybackError(f"{self.tape.path}:{c.line}: {exc}") from None

    async def do_keys(self, pilot, c: tapes.Command) -> None:
        delay = self.typing if c.delay is None else c.delay
        if self.headless or not delay:
            await pilot.press(*c.value)
            return
        for key in c.value:
            await pilot.press(key)
            await asyncio.sleep(delay)

    async def do_step(self, pilot, c: tapes.Command) -> None:
        app, n = pilot.app, c.value
        if self.headless:
            app.advance(n)
            await pilot.pause()
            return
        # Visibly: chunks that take about as long as drawing them (at least a frame), drawn as they finish.
        # An until condition met on the way ends the Step, as headless; one met before it began does not.
        done, chunk, met = 0, 1, app.scenario.conditions_met()
        while done < n:
            t0 = time.perf_counter()
            k = app.advance(min(chunk, n - done), ignore=met)
            t1 = time.perf_counter()
            await pilot.pause()
            spent, target = t1 - t0, max(FRAME, time.perf_counter() - t1)
            if k == 0 or app.scenario.stop_reached(ignore=met):  # diverged, or stopped by a condition
                break
            done += k
            if spent < target / 2:
                chunk *= 2
            elif spent > target * 2 and chunk > 1:
                chunk //= 2

    async def do_sleep(self, pilot, c: tapes.Command) -> None:
        app = pilot.app
        if self.headless and not (app.playing and app.threaded):
            await pilot.pause()  # nothing moves by itself: skip the wait
        else:
            await asyncio.sleep(c.value)

    async def do_resize(self, pilot, c: tapes.Command) -> None:
        cols, rows = c.value
        app = pilot.app
        if self.headless:
            await pilot.resize_terminal(cols, rows)
            return
        # Ask the terminal (xterm's window op; tui.record honours it) and wait for the SIGWINCH.
        driver = getattr(app, "_driver", None)
        if driver is not None:
            driver.write(f"\x1b[8;{rows};{cols}t")
            driver.flush()
        deadline = time.monotonic() + 1.0
        while tuple(app.size) != (cols, rows) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await pilot.pause()

    async def do_screenshot(self, pilot, c: tapes.Command) -> None:
        await pilot.pause()
        path = Path(c.value)
        make_parents(path)
        atomic_write_text(path, pilot.app.export_screenshot())
        self.written.append(str(path))

    async def do_play(self, pilot, c: tapes.Command) -> None:
        app = pilot.app
        app.threaded = True
        if not app.playing:
            app.action_toggle_play()
        await pilot.pause()

    async def do_pause(self, pilot, c: tapes.Command) -> None:
        app = pilot.app
        if app.playing:
            app.action_toggle_play()
        app.threaded = False
        await app.workers.wait_for_complete()
        app.refresh_snapshot()
        await pilot.pause()
