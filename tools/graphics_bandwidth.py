"""Bytes per second the app writes to its terminal while training, per --graphics mode.

Runs ``nnplay SCENARIO --graphics MODE`` on a pseudo-terminal of COLSxROWS
cells (each cell CELL_W x CELL_H pixels, as TIOCGWINSZ tells the app), lets
it start and train for --warmup seconds, then counts every byte it writes for
--seconds. Explicit modes ask the terminal nothing, so no one has to answer.

    uv run python tools/graphics_bandwidth.py [--modes cells,kitty,sixel] [--size 120x40] [--seconds 20]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def measure(mode: str, scenario: str, cols: int, rows: int, cell: tuple[int, int], warmup: float,
            seconds: float, extra: list[str]) -> dict:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, cols * cell[0], rows * cell[1]))
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    cmd = [sys.executable, "-m", "tui", scenario, "--graphics", mode, *extra]
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    counted, images = 0, 0
    start = time.monotonic()
    t0 = start + warmup
    end = t0 + seconds
    try:
        while (now := time.monotonic()) < end:
            ready, _, _ = select.select([master], [], [], min(0.2, end - now))
            if not ready:
                continue
            try:
                data = os.read(master, 1 << 16)
            except OSError:
                break
            if not data:
                break
            if time.monotonic() >= t0:
                counted += len(data)
                images += data.count(b"\x1b_Ga=T") + data.count(b"\x1bP0;1;0q")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        os.close(master)
    return {"mode": mode, "bytes": counted, "seconds": seconds, "bytes_per_s": round(counted / seconds),
            "images_per_s": round(images / seconds, 2)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modes", default="cells,kitty,sixel")
    p.add_argument("--scenario", default="classify")
    p.add_argument("--size", default="120x40")
    p.add_argument("--cell", default="10x20", help="pixels of one cell")
    p.add_argument("--warmup", type=float, default=10.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--json", action="store_true")
    p.add_argument("extra", nargs="*", help="more nnplay arguments (after --)")
    args = p.parse_args()
    cols, rows = (int(v) for v in args.size.split("x"))
    cell = tuple(int(v) for v in args.cell.split("x"))
    results = []
    for mode in args.modes.split(","):
        r = measure(mode, args.scenario, cols, rows, cell, args.warmup, args.seconds, args.extra)
        results.append(r)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            print(f"{mode:6} {r['bytes_per_s']:>9,} B/s  ({r['images_per_s']} images/s, {r['bytes']:,} B in {args.seconds:g} s)",
                  flush=True)
    base = next((r for r in results if r["mode"] == "cells"), None)
    if base and base["bytes_per_s"] and not args.json:
        for r in results:
            if r is not base:
                print(f"{r['mode']} / cells = {r['bytes_per_s'] / base['bytes_per_s']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
