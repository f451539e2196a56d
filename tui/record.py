"""``nnplay play TAPE --record OUT.cast``: an asciicast v2 recording, no terminal needed.

The tape plays visibly in a child process whose terminal is a pseudo-terminal
we own; everything the app draws is read back with its time and written as
``[t, "o", text]`` events. The child asks for a ``Resize`` with xterm's window
op ``CSI 8;rows;cols t``: we resize the pseudo-terminal (the child gets
SIGWINCH), log ``[t, "r", "COLSxROWS"]`` and drop the request from the output.
"""

from __future__ import annotations

import codecs
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

from engine.atomic import atomic_file, check_writable, make_parents
from engine.errors import NNPlayError

RESIZE = re.compile(r"\x1b\[8;(\d+);(\d+)t")
# A chunk may end part-way through a resize request: hold such a tail back for the next read.
RESIZE_PREFIX = re.compile(r"\x1b(\[(8(;\d*(;\d*)?)?)?)?$")
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
TERM = "xterm-256color"


class RecordError(NNPlayError):
    pass


def set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "TMUX")}
    env.update(TERM=TERM, COLORTERM="truecolor")
    return env


class CastWriter:
    """asciicast v2: a JSON header line, then one ``[time, code, data]`` line per event, times non-decreasing."""

    def __init__(self, f, cols: int, rows: int, title: str):
        self.f = f
        self.last = 0.0
        header = {"version": 2, "width": cols, "height": rows, "timestamp": int(time.time()),
                  "env": {"TERM": TERM, "SHELL": os.environ.get("SHELL", "/bin/sh")}, "title": title}
        f.write(json.dumps(header) + "\n")

    def event(self, t: float, code: str, data: str) -> None:
        if code == "o" and not data:
            return
        self.last = max(self.last, round(t, 6))
        self.f.write(json.dumps([self.last, code, data], ensure_ascii=False) + "\n")


def record(tape_path: str, out: str | Path, size: tuple[int, int]) -> float:
    """Play ``tape_path`` in a pseudo-terminal of ``size`` and write the cast to ``out``; returns seconds."""
    out = Path(out)
    make_parents(out)
    check_writable(out)  # before the tape plays, not after
    cols, rows = size
    argv = [sys.executable, "-m", "tui", "play", str(tape_path), "--no-record"]
    env = child_env()
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdio is the pseudo-terminal
        try:
            set_size(1, cols, rows)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    try:
        with atomic_file(out, "w", encoding="utf-8") as f:  # a failed run leaves no file behind
            seconds, tail = _pump(fd, CastWriter(f, cols, rows, Path(tape_path).name))
            status = _wait(pid)
            pid = None
            if status != 0:
                raise RecordError(f"playback failed (exit {status}): {_last_line(tail)}")
        return seconds
    finally:
        if pid is not None:  # interrupted: stop the child we started
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            _wait(pid)
        os.close(fd)


def _pump(fd: int, cast: CastWriter) -> tuple[float, str]:
    """Copy the child's output into ``cast`` until it closes the terminal; returns (duration, last output)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")  # never splits a character across events
    start = None  # the clock starts at the first output: Python's start-up is no part of the show
    held, tail = "", ""
    while True:
        select.select([fd], [], [])
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child exited and closed the terminal
            data = b""
        if start is None:
            start = time.monotonic()
        now = time.monotonic() - start
        text = held + (decoder.decode(data) if data else decoder.decode(b"", final=True))
        held = ""
        if data:
            m = RESIZE_PREFIX.search(text)
            if m:
                text, held = text[: m.start()], text[m.start():]
        pos = 0
        for m in RESIZE.finditer(text):
            cast.event(now, "o", text[pos: m.start()])
            new_rows, new_cols = int(m.group(1)), int(m.group(2))
            set_size(fd, new_cols, new_rows)
            cast.event(now, "r", f"{new_cols}x{new_rows}")
            pos = m.end()
        cast.event(now, "o", text[pos:])
        tail = (tail + text)[-4000:]
        if not data:
            return now, tail


def _wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _last_line(output: str) -> str:
    lines = [ln.strip() for ln in ANSI.sub("", output).replace("\r", "\n").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
