"""``--graphics``: which way pictures reach the terminal (half-block cells, kitty images or sixels).

Decided once, before Textual starts reading the keyboard, and kept for the
process (like the colour depth in :mod:`tui.colors`). ``auto`` asks the
terminal with a hard deadline, so a terminal that never answers costs at most
:data:`QUERY_TIMEOUT` seconds and ends in ``cells``. Everything that is not a
user's own terminal (tapes, recordings, ``nnplay serve``, tests, SVG
screenshots) never calls :func:`choose` and stays in ``cells``.
"""

from __future__ import annotations

import os
import re
import select
import time
from dataclasses import dataclass

__all__ = ["MODES", "QUERY_TIMEOUT", "Choice", "cell_pixels", "choose", "configure", "current", "parse_reply", "query"]

MODES = ("auto", "kitty", "sixel", "cells")
QUERY_TIMEOUT = 0.5  # seconds auto waits for the terminal's answers, at most
MIN_INTERVAL = 0.25  # seconds between two images of one pane: at most 4 a second...
IMAGE_BYTES_PER_S = 40_000  # ...and fewer when they are big: a pane's pictures stay under ~0.3 Mbit/s
DEFAULT_CELL = (10, 20)  # pixels of a cell when the terminal does not say (a VT340's)
KITTY_QUERY = "\x1b_Gi=4242,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
DA1_QUERY = "\x1b[c"  # every terminal answers this one: the query's end marker


@dataclass(frozen=True)
class Choice:
    """The mode in use (kitty, sixel or cells), why, and a cell's size in pixels."""

    mode: str = "cells"
    reason: str = ""
    cell: tuple[int, int] = DEFAULT_CELL

    @property
    def images(self) -> bool:
        return self.mode in ("kitty", "sixel")


_current = Choice()


def current() -> Choice:
    return _current


def configure(choice: Choice | None = None) -> Choice:
    """Use ``choice`` from now on (None: back to cells)."""
    global _current
    _current = choice or Choice()
    return _current


def cell_pixels(fd: int) -> tuple[int, int]:
    """(width, height) of one cell in pixels from the tty's window size, or the VT340's when it says 0."""
    import fcntl
    import struct
    import termios

    try:
        rows, cols, xpix, ypix = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return DEFAULT_CELL
    if rows and cols and xpix and ypix:
        return max(1, xpix // cols), max(1, ypix // rows)
    return DEFAULT_CELL


_DA1 = re.compile(r"\x1b\[\?([0-9;]*)c")
_KITTY_OK = re.compile(r"\x1b_Gi=4242;OK\x1b\\")


def parse_reply(reply: str) -> str | None:
    """The mode a terminal's answers to KITTY_QUERY + DA1_QUERY mean, or None while DA1's is not in yet."""
    if _KITTY_OK.search(reply):
        return "kitty"
    m = _DA1.search(reply)
    if m is None:
        return None
    return "sixel" if "4" in m.group(1).split(";") else "cells"


def query(fd_in: int, fd_out: int, timeout: float = QUERY_TIMEOUT) -> str:
    """Ask the terminal (kitty graphics query, then primary device attributes) and read until DA1 or the deadline.

    The tty is in no-echo, non-canonical mode only while reading and is always restored.
    """
    import termios

    saved = termios.tcgetattr(fd_in)
    raw = termios.tcgetattr(fd_in)
    raw[3] &= ~(termios.ICANON | termios.ECHO)
    raw[6][termios.VMIN], raw[6][termios.VTIME] = 0, 0
    reply = ""
    try:
        termios.tcsetattr(fd_in, termios.TCSANOW, raw)
        os.write(fd_out, (KITTY_QUERY + DA1_QUERY).encode())
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([fd_in], [], [], left)
            if not ready:
                break
            chunk = os.read(fd_in, 1024)
            if not chunk:
                break
            reply += chunk.decode("latin-1")
            found = parse_reply(reply)
            if found is not None:
                return found
        termios.tcflush(fd_in, termios.TCIFLUSH)  # a half-read answer must not reach the app as keys
        return "cells"
    finally:
        termios.tcsetattr(fd_in, termios.TCSANOW, saved)


def choose(requested: str, environ=None, fd_in: int | None = None, fd_out: int | None = None,
           timeout: float = QUERY_TIMEOUT) -> Choice:
    """What ``--graphics requested`` means here; asks the terminal only for ``auto``."""
    env = os.environ if environ is None else environ
    if requested == "cells":
        return Choice("cells", "asked for")
    fd_in = 0 if fd_in is None else fd_in
    fd_out = 1 if fd_out is None else fd_out
    if not (os.isatty(fd_in) and os.isatty(fd_out)):
        return Choice("cells", "not a terminal")
    if env.get("TMUX") or env.get("TERM", "").startswith(("screen", "tmux")):
        return Choice("cells", "tmux/screen pass no images")
    cell = cell_pixels(fd_out)
    if requested in ("kitty", "sixel"):
        return Choice(requested, "asked for", cell)
    try:
        found = query(fd_in, fd_out, timeout)
    except OSError as exc:
        return Choice("cells", f"terminal query failed ({exc.strerror or exc})")
    return Choice(found, "the terminal answered" if found != "cells" else "no image support detected", cell)
