"""--graphics in real terminals: xterm -ti vt340 (sixel) and kitty (graphics protocol) under Xvfb, screenshotted.

Each terminal runs nnplay on a committed state twice, ``--graphics cells`` and
its image mode, and the field's box in the window screenshots is compared:
half blocks change colour only on a few rows of each cell, an image anywhere.
Skips with the reason when Xvfb, the terminal, ImageMagick or xwininfo is
absent (``apt-get install xvfb xterm kitty imagemagick x11-utils``). The
screenshots are written to ``$NNPLAY_GRAPHICS_SHOTS`` (default: pytest's tmp dir).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

import xterminal as xt
from conftest import STATES

STATE = "classify-circle"
MNIST_STATE = "mnist-mlp"
READY_TIMEOUT = 120  # seconds for a terminal and the app to start on a loaded 2-core machine


async def _headless(state: str, mode: str, cell: tuple[int, int], where):
    """``where(app)`` on the state laid out headless at the terminals' size (the same layout they get)."""
    import scenarios
    from scenarios.preset import load_preset, open_run
    from tui import graphics
    from tui.app import NNPlayApp

    preset = load_preset(STATES / f"{state}.toml", scenarios.schemas())
    app = NNPlayApp(run=open_run(scenarios.get(preset.scenario), preset), autoplay=False, threaded=False,
                    graphics=graphics.Choice(mode, "test", cell))
    try:
        async with app.run_test(size=(xt.COLS, xt.ROWS)) as pilot:
            await pilot.pause()
            return where(app)
    finally:
        graphics.configure(None)


async def field_box(mode: str, cell: tuple[int, int]) -> tuple[int, int, int, int]:
    """The field's heatmap box in window pixels, from the same layout computed headless."""
    def where(app):
        f = app.query_one("#pane-field")
        r, (x0, y0, cols, rows) = f.content_region, f.plane
        return r.x + x0, r.y + y0 + 1, cols, rows - 1  # without the title row

    x, y, cols, rows = await _headless(STATE, mode, cell, where)
    cw, ch = cell
    return x * cw, y * ch, cols * cw, rows * ch


async def digits_box(mode: str, cell: tuple[int, int]) -> tuple[int, int, int, int]:
    """The first row of test digits in window pixels (the cells of its images, not their captions)."""
    from tui.widgets.images import as_image, choose_tiling

    def where(app):
        g = app.query_one("DigitGrid")
        t = choose_tiling(len(g.items), as_image(g.items[0].image).shape, max(len(i.caption) for i in g.items),
                          *g.size)
        return g.content_region.x, g.content_region.y, min(g.size.width, t.cols * (t.col_w + 1) - 1), t.img_h

    x, y, cols, rows = await _headless(MNIST_STATE, mode, cell, where)
    cw, ch = cell
    return x * cw, y * ch, cols * cw, rows * ch


def shoot(kind: str, mode: str, disp: str, out: Path, state: str = STATE):
    """Run ``state`` in ``kind`` with ``--graphics mode``; (screenshot, window box) once the app has drawn."""
    args = ["--preset", str(STATES / f"{state}.toml"), "--graphics", mode]
    with xt.terminal(kind, args, disp) as proc:
        deadline = time.monotonic() + READY_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            time.sleep(3)
            if proc.poll() is not None:
                if kind == "kitty" and last is None:  # it needs OpenGL 3.3: Mesa's llvmpipe has it, some displays not
                    raise RuntimeError(f"kitty exited ({proc.returncode}) before drawing anything")
                pytest.fail(f"{kind} with --graphics {mode} exited ({proc.returncode})")
            box = xt.window_box(disp)
            if box is None:
                continue
            img = xt.screenshot(disp, out)
            x, y, w, h = box
            win = img[y:y + h, x:x + w]
            # drawn: the status line's "paused" is there and the picture no longer changes
            if last is not None and last.shape == win.shape and np.array_equal(last, win) and win.std() > 20:
                return win, box
            last = win
    pytest.fail(f"{kind} with --graphics {mode}: the app did not settle within {READY_TIMEOUT} s")


def _in_window(box, icell, cell):
    """A box measured at whole-pixel cells, at the window's real (fractional) cell size."""
    x, y, bw, bh = box
    return (round(x / icell[0] * cell[0]), round(y / icell[1] * cell[1]),
            round(bw / icell[0] * cell[0]), round(bh / icell[1] * cell[1]))


async def _detail(results: dict, box_of) -> dict:
    measured = {}
    for m, (win, (_, _, w, h)) in results.items():
        cell = (w / xt.COLS, h / xt.ROWS)
        assert cell[0] >= 5 and cell[1] >= 10, f"odd window size {w}x{h}"
        icell = (round(cell[0]), round(cell[1]))
        x, y, bw, bh = _in_window(await box_of(m, icell), icell, cell)
        box = win[y:y + bh, x:x + bw]
        assert box.std() > 20, f"{m}: the box is blank"
        measured[m] = xt.vertical_detail(win, (x, y, bw, bh), cell[1])
    return measured


def _shots(kind: str, mode: str, tmp_path, state: str, name: str) -> dict:
    gone = xt.missing(kind)
    if gone:
        pytest.skip(f"not installed: {', '.join(gone)}")
    shots = Path(os.environ.get("NNPLAY_GRAPHICS_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with xt.display() as disp:
        try:
            return {m: shoot(kind, m, disp, shots / f"{kind}-{name}{m}.png", state) for m in ("cells", mode)}
        except RuntimeError as exc:  # e.g. kitty without OpenGL 3.3 on this display
            pytest.skip(f"{kind} did not start: {exc}")


@pytest.mark.parametrize("kind, mode", [("xterm", "sixel"), ("kitty", "kitty")])
async def test_image_mode_draws_pixels_cells_cannot(kind, mode, tmp_path):
    measured = await _detail(_shots(kind, mode, tmp_path, STATE, ""), field_box)
    (n_cells, on_cells), (n_img, on_img) = measured["cells"], measured[mode]
    print(f"{kind}: cells {n_cells} changes, {on_cells:.0%} on a cell's 3 commonest rows; "
          f"{mode} {n_img} changes, {on_img:.0%}")
    assert n_img > 2000 and on_img < 0.3  # the image: plenty of detail, spread over the cell's rows
    assert on_img < 0.7 * on_cells  # and far less tied to the cell grid than half blocks


@pytest.mark.parametrize("kind, mode", [("xterm", "sixel"), ("kitty", "kitty")])
async def test_digits_are_pictures(kind, mode, tmp_path):
    """The mnist state's test digits: strokes with edges anywhere in a cell, not on the half-block grid."""
    measured = await _detail(_shots(kind, mode, tmp_path, MNIST_STATE, "mnist-"), digits_box)
    (n_cells, on_cells), (n_img, on_img) = measured["cells"], measured[mode]
    print(f"{kind} digits: cells {n_cells} changes, {on_cells:.0%} on a cell's 3 commonest rows; "
          f"{mode} {n_img} changes, {on_img:.0%}")
    assert n_img > 300 and on_img < 0.7 * on_cells
