"""A real terminal on a virtual X display, for the --graphics tests: start it, run nnplay in it, screenshot it.

Xvfb gives the display; xterm (``-ti vt340``, sixel) or kitty (graphics
protocol) runs ``python -m tui ...``; ImageMagick's ``import`` grabs the
window. :func:`missing` names what is not installed, so tests can skip with a
reason. Run by hand to look at the pictures:

    uv run python tests/xterminal.py xterm OUT.png --preset screenshots/states/classify-circle.toml --graphics sixel
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
COLS, ROWS = 100, 34
TOOLS = {"xterm": ("Xvfb", "xterm", "import", "xwininfo"), "kitty": ("Xvfb", "kitty", "import", "xwininfo")}


def missing(terminal: str) -> list[str]:
    return [t for t in TOOLS[terminal] if shutil.which(t) is None]


@contextmanager
def display():
    """A fresh Xvfb display number (its name, e.g. ':91'), killed on exit."""
    for n in range(91, 120):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            break
    else:
        raise RuntimeError("no free X display number")
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1400x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.1)
        yield f":{n}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def _command(terminal: str, args: list[str]) -> list[str]:
    app = ["env", "COLORTERM=truecolor", sys.executable, "-m", "tui", *args]  # xterm drops COLORTERM
    if terminal == "xterm":
        return ["xterm", "-ti", "vt340", "-b", "0", "-geometry", f"{COLS}x{ROWS}+0+0", "-fa", "DejaVu Sans Mono",
                "-fs", "10", "-xrm", "XTerm*numColorRegisters: 256", "-xrm", "XTerm*scrollBar: false",
                "-e", *app]
    return ["kitty", "--config", "NONE", "-o", "font_size=10", "-o", "remember_window_size=no",
            "-o", "window_padding_width=0", "-o", "placement_strategy=top-left",
            "-o", f"initial_window_width={COLS}c", "-o", f"initial_window_height={ROWS}c", *app]


@contextmanager
def terminal(kind: str, args: list[str], disp: str):
    """Run nnplay ``args`` in ``kind`` on ``disp``; yields the process (killed, with its group, on exit)."""
    env = {**os.environ, "DISPLAY": disp, "COLORTERM": "truecolor", "LIBGL_ALWAYS_SOFTWARE": "1",
           "NNPLAY_LOG": os.devnull}
    env.pop("TMUX", None)
    proc = subprocess.Popen(_command(kind, args), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def window_box(disp: str) -> tuple[int, int, int, int] | None:
    """(x, y, width, height) of the biggest top-level window on the display, or None while there is none."""
    out = subprocess.run(["xwininfo", "-root", "-children"], env={**os.environ, "DISPLAY": disp},
                         capture_output=True, text=True).stdout
    boxes = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("0x") and "+" in line:
            geom = line.split()[-2]  # WxH+X+Y
            try:
                size, x, y = geom.split("+")[0], *geom.split("+")[1:3]
                w, h = (int(v) for v in size.split("x"))
                boxes.append((w * h, int(x), int(y), w, h))
            except ValueError:
                continue
    boxes = [b for b in boxes if b[0] > 10000]
    if not boxes:
        return None
    _, x, y, w, h = max(boxes)
    return x, y, w, h


def screenshot(disp: str, path: Path) -> np.ndarray:
    """The whole display as an (h, w, 3) uint8 array, also written to ``path`` (PNG)."""
    subprocess.run(["import", "-window", "root", str(path)], env={**os.environ, "DISPLAY": disp}, check=True,
                   capture_output=True, timeout=30)
    ppm = subprocess.run(["convert", str(path), "ppm:-"], capture_output=True, check=True, timeout=30).stdout
    return _read_ppm(ppm)


def _read_ppm(data: bytes) -> np.ndarray:
    parts, pos = [], 0
    while len(parts) < 4:  # magic, width, height, maxval
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        parts.append(data[pos:end])
        pos = end
    assert parts[0] == b"P6" and parts[3] == b"255"
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(data[pos + 1:pos + 1 + w * h * 3], np.uint8).reshape(h, w, 3)


def vertical_detail(img: np.ndarray, box: tuple[int, int, int, int], cell_h: float) -> tuple[int, float]:
    """(colour changes between vertically adjacent pixels in ``box``, the share at the 3 commonest rows of a cell).

    Half blocks change colour only where a cell or its half-block glyph ends,
    so their changes pile up on a few rows of the cell; an image changes
    wherever its picture does, spread over all of them (3/cell_h if even).
    """
    x, y, w, h = box
    a = img[y:y + h, x:x + w].astype(np.int32)
    diff = np.abs(np.diff(a, axis=0)).sum(axis=2) > 24  # a visible change, not a rounding step
    rows = np.nonzero(diff)[0] + 1  # the change happens above this row
    if not rows.size:
        return 0, 1.0
    counts = np.bincount(np.mod(rows, round(cell_h)), minlength=round(cell_h))
    return int(rows.size), float(np.sort(counts)[-3:].sum() / rows.size)


def main(argv: list[str]) -> int:
    kind, out, *args = argv
    with display() as disp, terminal(kind, args, disp):
        time.sleep(float(os.environ.get("WAIT", "25")))
        screenshot(disp, Path(out))
        print(window_box(disp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
