"""LossPlot: Braille lines, round ticks, a cursor with exact readouts, log axis, divergence."""

import asyncio
import math
import time

import numpy as np
import pytest
from textual.app import App

from tui import colors, numbers
from tui.colors import ColorMode
from tui.widgets.lossplot import AccuracyPlot, LossPlot, column_envelope, divergence, polyline_dots


@pytest.fixture(autouse=True)
def _truecolor(monkeypatch):
    monkeypatch.setattr(colors, "_current", colors.Palette(ColorMode.TRUECOLOR))


class Host(App):
    AUTO_FOCUS = None  # as in the app: nothing has focus until the user gives it

    def __init__(self, widget):
        super().__init__()
        self.widget, self.moves = widget, []

    def compose(self):
        yield self.widget

    def on_loss_plot_cursor_moved(self, msg):
        self.moves.append(msg.step)


def run(widget, script, size=(80, 20)):
    async def main():
        app = Host(widget)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot, widget)
        return app

    return asyncio.run(main())


def decaying(n=300, seed=0, every=25):
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=np.float64) * every
    base = 0.7 * np.exp(-np.arange(n) / 60) + 0.02
    return {"step": step, "epoch": step / 250,
            "train_loss": base * (1 + 0.04 * rng.standard_normal(n)),
            "test_loss": base * 1.2 + 0.01 + 0.004 * rng.standard_normal(n)}


def grid(w):
    """The frame as (rows of characters)."""
    return [s.text for s in (w.render_line(y) for y in range(w.size.height))]


def braille(ch):
    return 0x2801 <= ord(ch) <= 0x28FF


def plot_box(w):
    """(top row, rows, left column, columns) of the plot area in the last frame."""
    _, _, _, left, cols, _, _ = w._frame
    height = w.size.height
    top = 1 if height >= 4 else 0
    bottom = 2 if height >= 7 else (1 if height >= 4 else 0)
    return top, height - top - bottom, left, cols


def as_float(label):
    return float(label.rstrip("%")) / (100 if label.endswith("%") else 1)


def assert_round_even(labels, log=False):
    values = [as_float(s) for s in labels]
    assert len(values) >= 2
    if log:
        exps = np.log10(values)
        assert np.allclose(exps, np.round(exps))  # powers of ten
        values = list(exps)
    steps = -np.diff(values)  # top to bottom
    assert np.all(steps > 0) and np.allclose(steps, steps[0], rtol=1e-6), labels
    k = math.floor(math.log10(steps[0]) + 1e-9)
    assert any(math.isclose(steps[0] / 10.0 ** k, m, rel_tol=1e-6) for m in (1, 2, 5)), labels


# -- pure helpers ---------------------------------------------------------------------------------------

def test_polyline_dots_connect_far_points():
    x, y, along = polyline_dots(np.array([0, 40]), np.array([0, 10]))
    assert len(x) == 41 and set(x.tolist()) == set(range(41))  # a dot in every column
    assert np.all(np.abs(np.diff(y)) <= 1) and along[-1] == 40


def test_column_envelope_keeps_each_columns_extremes():
    px = np.repeat(np.arange(5.0), 100)  # 100 samples in each of 5 columns
    py = np.tile(np.linspace(0, 9, 100), 5)
    vx, vy, ncol = column_envelope(px, py)
    assert ncol == 5 and len(vx) == 20
    for c in range(5):
        assert vy[vx == c].min() == 0 and vy[vx == c].max() == 9


def test_divergence_tells_apart_not_measured_from_blown_up():
    assert divergence(np.array([1.0, 0.5, np.inf])) == 2
    assert divergence(np.array([1.0, 0.5, 0.4, np.nan])) == 3
    assert divergence(np.array([1.0, np.nan, 0.5, np.nan])) is None  # measured every other evaluation
    assert divergence(np.array([np.nan, np.nan])) is None
    assert divergence(np.array([0.5, 0.4])) is None


# -- drawing ------------------------------------------------------------------------------------------------

def test_lines_not_dots_between_two_far_points():
    async def script(pilot, w):
        w.update_history({"step": np.array([0.0, 1000.0]), "train_loss": np.array([1.0, 0.0])})
        await pilot.pause()
        rows = grid(w)
        top, nrows, left, cols = plot_box(w)
        lit = {c for r in rows[top:top + nrows] for c, ch in enumerate(r[left:left + cols]) if braille(ch)}
        assert lit == set(range(cols))  # every column between the two points is drawn
        assert w.points_plotted == 2

    run(LossPlot(), script)


def test_noisy_history_is_a_connected_line_and_downsampled():
    hist = decaying(20_000, every=5)

    async def script(pilot, w):
        w.update_history(hist)
        await pilot.pause()
        rows = grid(w)
        top, nrows, left, cols = plot_box(w)
        lit_cols = {c for r in rows[top:top + nrows] for c, ch in enumerate(r[left:left + cols]) if braille(ch)}
        assert lit_cols == set(range(cols))
        assert 0 < w.points_plotted <= 2 * (2 * cols)  # each series: one point per dot column at most
        t = time.perf_counter()
        w.invalidate()
        w.strips()
        assert time.perf_counter() - t < 0.5  # a frame of a 20,000-evaluation history (a few ms normally)

    run(LossPlot(), script, size=(100, 20))


def test_train_and_test_differ_in_colour_and_style():
    async def script(pilot, w):
        w.update_history(decaying())
        await pilot.pause()
        colours = {seg.style.color for y in range(w.size.height) for seg in w.render_line(y)
                   if seg.style and seg.style.color and any(braille(c) for c in seg.text)}
        assert len(colours) == 2
        assert "━" in w.readout and "╍" in w.readout  # solid and dashed, also in the legend
        assert "train loss" in str(w.border_subtitle) and "test loss" in str(w.border_subtitle)

    run(LossPlot(), script)


def numbers_from_compact(label):
    units = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    return float(label[:-1]) * units[label[-1]] if label[-1] in units else float(label)


@pytest.fixture
def fed():
    w = LossPlot()
    w.update_history(decaying())
    return w


def test_ticks_on_a_fed_plot(fed):
    async def script(pilot, w):
        for size in [(60, 15), (100, 20), (120, 40)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            w.strips()
            assert_round_even(w.y_labels)
            xs = sorted((numbers_from_compact(s) for s in w.x_labels), reverse=True)
            assert len(xs) >= 2 and all(x == int(x) for x in xs)
            assert_round_even([str(x) for x in xs])
            assert all(len(s) <= 8 for s in w.y_labels + w.x_labels)

    run(fed, script)


def test_step_zero_axis_is_sensible():
    async def script(pilot, w):
        w.update_history({"step": np.array([0.0]), "epoch": np.array([0.0]), "train_loss": np.array([0.69]),
                          "test_loss": np.array([np.nan])})
        await pilot.pause()
        text = w.render().plain
        assert w.x_labels and all(numbers_from_compact(s) >= 0 for s in w.x_labels)
        assert "-1" not in w.x_labels and all("." not in s for s in w.x_labels)
        assert w.y_labels and "0.69" in w.readout and text.strip()

    run(LossPlot(), script)


def test_epoch_axis_once_there_are_epochs():
    hist = decaying()  # 30 epochs

    async def script(pilot, w):
        w.update_history(hist)
        await pilot.pause()
        assert "loss epoch 29.9 " in w.readout  # no border title here: the plot names itself
        assert all(numbers_from_compact(s) == int(numbers_from_compact(s)) for s in w.x_labels)
        early = {k: v[:5] for k, v in hist.items()}  # 0.4 epochs: steps
        w.update_history(early)
        await pilot.pause()
        w.strips()
        assert "loss step 100 " in w.readout

    run(LossPlot(), script)


# -- divergence ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tail", [[1e30, np.inf], [1e30, np.nan], [np.inf, np.inf], [3e38, 1e30]])
def test_divergence_still_draws_with_short_labels(tail):
    hist = decaying(100)
    for k in ("train_loss", "test_loss"):
        hist[k] = np.concatenate([hist[k][:-2], tail])

    async def script(pilot, w):
        w.update_history(hist, diverged=True)
        await pilot.pause()
        rows = grid(w)
        top, nrows, left, cols = plot_box(w)
        lit = sum(braille(ch) for r in rows[top:top + nrows] for ch in r[left:left + cols])
        assert lit > cols / 2  # the curve is there, not squashed into a line
        assert cols > 60  # the labels did not eat the plot
        assert w.y_labels and all(len(s) <= 8 for s in w.y_labels)
        assert "diverged" in w.readout and any("✕" in r for r in rows)
        assert max(as_float(s) for s in w.y_labels) < 10  # clipped to the range before the blow-up

    run(LossPlot(), script, size=(80, 20))


def test_divergence_found_in_the_data_and_named():
    hist = decaying(100)
    hist["train_loss"][-1] = np.inf

    async def script(pilot, w):
        w.update_history(hist)
        await pilot.pause()
        w.strips()
        assert f"diverged at step {numbers.fmt_int(hist['step'][-1])}" in w.readout
        assert "inf" in w.readout

    run(LossPlot(), script)


def test_huge_values_on_a_log_axis():
    v = 0.79 * 5.9 ** np.arange(50)

    async def script(pilot, w):
        w.update_history({"step": np.arange(50.0), "train_loss": v})
        w.set_log(True)
        await pilot.pause()
        w.strips()
        assert_round_even(w.y_labels, log=True)
        assert all(len(s) <= 8 for s in w.y_labels)

    run(LossPlot(), script)


# -- log axis -------------------------------------------------------------------------------------------------

def test_log_toggle_changes_the_labels_and_key_x_toggles_it():
    async def script(pilot, w):
        w.update_history(decaying())
        await pilot.pause()
        w.strips()
        linear = list(w.y_labels)
        assert_round_even(linear)
        w.set_log(True)
        w.strips()
        assert w.ylog and w.y_labels != linear
        assert_round_even(w.y_labels, log=True)
        assert "(log)" in w.readout
        w.focus()
        await pilot.press("x")
        await pilot.pause()
        w.strips()
        assert not w.ylog and w.y_labels == linear

    run(LossPlot(), script)


def test_accuracy_stays_linear_in_percent():
    async def script(pilot, w):
        w.update_history({"step": np.arange(3.0), "train_acc": np.array([0.5, 0.9, 0.95]),
                          "test_acc": np.array([np.nan, 0.8, 0.85])})
        await pilot.pause()
        w.strips()
        assert w.y_labels[0] == "100%" and w.y_labels[-1] == "0%"
        assert_round_even(w.y_labels)
        w.set_log(True)
        assert not w.ylog
        assert "train 95%" in w.readout and "test 85%" in w.readout

    run(AccuracyPlot(), script)


# -- cursor ---------------------------------------------------------------------------------------------------

def test_cursor_readout_is_the_history_value():
    hist = decaying()

    async def script(pilot, w):
        w.update_history(hist)
        await pilot.pause()
        assert w.cursor_step is None
        w.focus()
        await pilot.pause()
        assert w.cursor_step == hist["step"][-1]  # focus puts it on the latest evaluation
        await pilot.press(*["left"] * 20)
        await pilot.pause()
        step = w.cursor_step
        assert step is not None and step < hist["step"][-1]
        i = int(np.flatnonzero(hist["step"] == step)[0])
        values = w.cursor_values()
        assert values == {"train_loss": hist["train_loss"][i], "test_loss": hist["test_loss"][i]}
        assert f"step {numbers.fmt_int(step)}" in w.readout
        assert numbers.fmt(hist["train_loss"][i], 4) in w.readout
        assert numbers.fmt(hist["test_loss"][i], 4) in w.readout
        assert pilot.app.moves[-1] == step and len(pilot.app.moves) == 21
        # one column per press: 20 presses left of the last column
        col, cols = w._columns()
        assert col[i] == cols - 1 - 20
        await pilot.press("shift+right")
        await pilot.pause()
        assert col[int(np.flatnonzero(hist["step"] == w.cursor_step)[0])] == cols - 1 - 10
        await pilot.press("home")
        await pilot.pause()
        assert w.cursor_step == 0
        await pilot.press("left")
        assert w.cursor_step == 0  # stays at the first evaluation
        await pilot.press("end")
        await pilot.pause()
        assert w.cursor_step == hist["step"][-1]
        w.blur()
        await pilot.pause()
        assert w.cursor_step is None and pilot.app.moves[-1] is None

    run(LossPlot(), script)


def test_cursor_is_drawn_and_marks_the_values():
    async def script(pilot, w):
        w.update_history(decaying())
        w.focus()
        await pilot.pause()
        await pilot.press("left", "left")
        await pilot.pause()
        rows = grid(w)
        assert sum(r.count("●") for r in rows) == 2  # one per series on the cursor column
        assert any("▲" in r for r in rows) and rows[0].startswith("▸ step")

    run(LossPlot(), script)


def test_click_puts_the_cursor_there():
    hist = decaying()

    async def script(pilot, w):
        w.update_history(hist)
        await pilot.pause()
        _, _, left, cols = plot_box(w)
        await pilot.click(LossPlot, offset=(left + cols // 2, 5))
        await pilot.pause()
        assert w.has_focus and w.cursor_step is not None
        frac = w.cursor_step / hist["step"][-1]
        assert abs(frac - 0.5) < 2 / cols
        assert pilot.app.moves[-1] == w.cursor_step

    run(LossPlot(), script)


def test_set_cursor_step_posts_nothing_and_survives_new_data():
    hist = decaying()

    async def script(pilot, w):
        w.update_history(hist)
        w.set_cursor_step(1012)
        await pilot.pause()
        assert w.cursor_step == 1000 and pilot.app.moves == []
        longer = {k: np.append(v, v[-1]) for k, v in hist.items()}
        w.update_history(longer)
        assert w.cursor_step == 1000  # the same evaluation, not the same column
        w.update_history({k: v[:10] for k, v in hist.items()})  # reset: a shorter history
        assert w.cursor_step == hist["step"][9]
        w.set_cursor_step(None)
        assert w.cursor_step is None

    run(LossPlot(), script)


# -- API, sizes, ASCII ---------------------------------------------------------------------------------------------

def test_update_history_api_and_placeholder():
    async def script(pilot, w):
        w.update_history(None)
        assert "no data yet" in w.render().plain
        hist = decaying()
        w.update_history(hist, keys=("train_loss",), title="loss")
        await pilot.pause()
        first = w.render()
        assert "train loss" in str(w.border_subtitle) and "test" not in str(w.border_subtitle)
        w.update_history({k: v.copy() for k, v in hist.items()}, keys=("train_loss",), title="loss")
        assert w.render() is first  # nothing new: not redrawn

    run(LossPlot(), script)


def test_ascii_mode_is_ascii_with_cursor_and_divergence(monkeypatch):
    monkeypatch.setattr(colors, "_current", colors.Palette(ColorMode.TRUECOLOR, ascii=True))
    hist = decaying(100)
    hist["train_loss"][-1] = np.inf

    async def script(pilot, w):
        w.update_history(hist)
        w.focus()
        await pilot.pause()
        await pilot.press("left")
        await pilot.pause()
        text = w.render().plain
        assert text.isascii() and "*" in text and "o" in text and "@" in text and "^" in text
        assert w.readout.isascii() and "diverged" in w.readout

    run(LossPlot(), script)


@pytest.mark.parametrize("size", [(1, 1), (5, 2), (12, 3), (20, 5), (30, 8), (200, 60)])
def test_any_size(size):
    async def script(pilot, w):
        w.update_history(decaying())
        w.focus()
        await pilot.pause()
        await pilot.press("left")
        await pilot.pause()
        assert all(s.cell_length == w.size.width for s in (w.render_line(y) for y in range(w.size.height)))

    run(LossPlot(), script, size=size)
