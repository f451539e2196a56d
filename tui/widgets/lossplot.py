"""Loss and accuracy curves, drawn as Braille lines, with a cursor that reads exact values.

Each cell holds 2x4 Braille dots; a curve is the polyline through its
evaluations at that resolution. A history longer than the plot is wide is
reduced to each dot column's first, lowest, highest and last value, which is
exactly what the full polyline would light up, so noise stays visible and the
cost is one NumPy pass (plotting every point through plotext cost ~7.6 us a
point). Train is a solid line, test a dashed one in another colour; in ASCII
mode each series has its own marker. The top line names the latest values, or,
with the cursor, the values at the cursor's evaluation.

Keys while focused: left/right move the cursor one column (shift: ten),
home/end jump to the first/last evaluation, ``x`` toggles a log y axis (loss
only). A click puts the cursor there; moving the mouse over the focused plot
moves it. ``LossPlot.CursorMoved(step)`` is posted when the user moves it
(step None when it goes away, on blur).

Axes: round, evenly spaced y ticks (tui/numbers.py, labels at most 8
characters), whole-number step or epoch ticks. After divergence the curve
still draws: non-finite values are skipped, the blow-up is clipped to the
top edge of the range the run had before it, and a red x marks the last
finite value ("diverged at step N" on the top line).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from rich.color import Color, ColorSystem
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click, MouseMove
from textual.message import Message
from textual.strip import Strip

from tui import colors, numbers
from tui.colors import ColorMode, Palette
from tui.widgets.fieldview import CellCanvas, RasterWidget

SERIES_COLORS = ("#4da6ff", "#f59322", "#3fb950", "#d62728")  # train blue, test orange, ...
SERIES_ANSI = (12, 11, 10, 9)
ASCII_MARKERS = "*o+x"
LEGEND_GLYPHS = ("━", "╍", "┅", "┉")  # solid for the first series, dashed for the others
DASHES = ((1, 0), (5, 3), (2, 2), (1, 2))  # (on, off) dots along the line: solid, dashed, dotted, sparse
CURSOR_BG = "#3a3f47"
EPOCH_AXIS_FROM = 2.0  # epochs: below this many the x axis counts steps (whole-epoch ticks would be 0 and 1)
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.intp)
POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.intp)


def downsample_indices(n: int, max_points: int) -> np.ndarray:
    """Every k-th index so that at most ``max_points`` remain, plus the last one (for callers that thin
    a history themselves; the plot uses :func:`reduce_series`, which keeps the extremes)."""
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    max_points = max(1, max_points)
    k = -(-n // max_points)  # ceil
    idx = np.arange(0, n, k)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def column_envelope(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Vertices drawing the polyline (px, py) at dot resolution: per dot column its first, lowest,
    highest and last value, in path order. ``px`` must be sorted. Returns (vx, vy, columns)."""
    col = np.rint(px).astype(np.intp)
    if len(col) == 0:
        return col, col, 0
    starts = np.concatenate(([0], np.flatnonzero(np.diff(col)) + 1))
    ends = np.concatenate((starts[1:], [len(col)])) - 1
    lo, hi = np.minimum.reduceat(py, starts), np.maximum.reduceat(py, starts)
    first, last = py[starts], py[ends]
    # first -> nearer extreme -> farther extreme -> last covers the column's whole range
    up = np.abs(first - lo) <= np.abs(first - hi)
    a, b = np.where(up, lo, hi), np.where(up, hi, lo)
    vy = np.column_stack((first, a, b, last)).reshape(-1)
    vx = np.repeat(col[starts], 4)
    return vx, np.rint(vy).astype(np.intp), len(starts)


def reduce_series(x: np.ndarray, y: np.ndarray, dot_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """A long history cut to about 8 points per dot column in a few passes: for each run of evaluations
    narrower than half a dot column, its first, lowest, highest and last value (x sorted). Drawn, this
    lights the same dots as the whole history (a run holding an infinity loses its extremes)."""
    n = len(y)
    c = n // max(1, 2 * dot_columns)
    if c < 4:
        return x, y
    m = (n // c) * c
    ys = y[:m].reshape(-1, c)
    lo, hi = np.fmin.reduce(ys, axis=1), np.fmax.reduce(ys, axis=1)  # NaN (not measured) passed over
    xs = x[:m].reshape(-1, c)
    mid = xs[:, c // 2]
    rx = np.column_stack((xs[:, 0], mid, mid, xs[:, -1])).reshape(-1)
    ry = np.column_stack((ys[:, 0], lo, hi, ys[:, -1])).reshape(-1)  # an infinity: left out when drawn
    return np.concatenate((rx, x[m:])), np.concatenate((ry, y[m:]))


def polyline_dots(vx: np.ndarray, vy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dots on the polyline through integer vertices: (x, y, distance along the path in dots)."""
    if len(vx) == 0:
        return vx, vy, vx
    if len(vx) == 1:
        return vx, vy, np.zeros(1, dtype=np.intp)
    dx, dy = np.diff(vx), np.diff(vy)
    n = np.maximum(np.maximum(np.abs(dx), np.abs(dy)), 1)
    seg = np.repeat(np.arange(len(n)), n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    t = offset / n[seg]
    x = np.concatenate((np.rint(vx[seg] + dx[seg] * t), vx[-1:])).astype(np.intp)
    y = np.concatenate((np.rint(vy[seg] + dy[seg] * t), vy[-1:])).astype(np.intp)
    return x, y, np.arange(len(x))


def _color(pal: Palette, hex_rgb: str, ansi: int) -> Color | None:
    if pal.mode is ColorMode.NONE:
        return None
    if pal.mode is ColorMode.STANDARD:
        return Color.from_ansi(ansi)
    rgb = Color.parse(hex_rgb)
    return rgb.downgrade(ColorSystem.EIGHT_BIT) if pal.mode is ColorMode.EIGHT_BIT else rgb


def series_name(key: str, keys: Sequence[str]) -> str:
    """'train_loss' -> 'train' when every key ends in '_loss' (the pane says what is plotted), else 'train loss'."""
    parts = [k.rsplit("_", 1) for k in keys]
    if len(keys) > 1 and all(len(p) == 2 for p in parts) and len({p[1] for p in parts}) == 1:
        return key.rsplit("_", 1)[0]
    return key.replace("_", " ")


def divergence(y: np.ndarray) -> int | None:
    """Index of the first value that shows the run diverged: an infinity, or NaN right after an unbroken
    run of measurements (a series measured only now and then has NaN between its values: not that)."""
    finite = np.isfinite(y)
    if not finite.any():
        return None
    inf = np.flatnonzero(np.isinf(y))
    if inf.size:
        return int(inf[0])
    first, last = int(np.argmax(finite)), len(y) - 1 - int(np.argmax(finite[::-1]))
    if last < len(y) - 1 and finite[first:last + 1].all() and last > first:
        return last + 1
    return None


def blowup_start(y: np.ndarray) -> int:
    """Index of the first blown-up value of ``y`` (finite values, at least 1): the first one over ten
    times everything before it, or the second of the final strictly increasing run if that is earlier."""
    if len(y) < 2:
        return len(y)
    falls = np.flatnonzero(np.diff(y) <= 0)
    run = int(falls[-1] + 2) if falls.size else 1
    before = np.maximum.accumulate(np.abs(y))[:-1]
    jumps = np.flatnonzero(np.abs(y[1:]) > 10 * np.maximum(before, 1e-12)) + 1
    return min(run, int(jumps[0])) if jumps.size else run


class LossPlot(RasterWidget, can_focus=True):
    """Training curves from a history (loss by default; see AccuracyPlot)."""

    DEFAULT_CSS = """
    LossPlot { width: 1fr; height: 1fr; }
    """

    DEFAULT_KEYS: tuple[str, ...] = ("train_loss", "test_loss")
    DEFAULT_TITLE = "loss"
    YLIM: tuple[float, float] | None = None
    LOG_KEY = "x"

    BINDINGS = [
        Binding("left", "cursor(-1)", "cursor", show=False),
        Binding("right", "cursor(1)", "cursor", show=False),
        Binding("shift+left", "cursor(-10)", "cursor x10", show=False),
        Binding("shift+right", "cursor(10)", "cursor x10", show=False),
        Binding("home", "cursor_end(0)", "first", show=False),
        Binding("end", "cursor_end(1)", "last", show=False),
        Binding(LOG_KEY, "toggle_log", "log y"),
    ]

    class CursorMoved(Message):
        """The user moved the cursor: ``step`` is the evaluation's step under it, None when it went away."""

        def __init__(self, plot: LossPlot, step: int | None) -> None:
            super().__init__()
            self.plot, self.step = plot, step

        @property
        def control(self) -> LossPlot:
            return self.plot

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.history: dict[str, np.ndarray] = {}
        self.keys: tuple[str, ...] = self.DEFAULT_KEYS
        self.title = self.DEFAULT_TITLE
        self.ylog = False
        self.diverged: bool | None = None
        self.points_plotted = 0  # after the last build: dot columns drawn, over all series
        self.y_labels: list[str] = []  # after the last build, top to bottom (for tests)
        self.x_labels: list[str] = []
        self.readout = ""  # the top line's text after the last build
        self._cursor: int | None = None  # index into the history arrays
        self._frame: tuple | None = None  # (x, x0, x1, plot left, columns, dot columns, dots a cell) of the last build
        self._signature: tuple | None = None
        self._prepared: tuple | None = None
        self._text: tuple | None = None

    # -- data -----------------------------------------------------------------
    def update_history(self, history: Mapping[str, Sequence[float]] | None, keys: Sequence[str] | None = None,
                       title: str | None = None, ylog: bool | None = None, diverged: bool | None = None) -> None:
        """Plot ``keys`` of ``history`` (arrays of equal length, with "step" and/or "epoch" for the x axis).

        ``diverged`` marks the run as diverged even when the history does not show it (None: tell from the data).
        """
        keys = tuple(keys) if keys is not None else self.keys
        title = title if title is not None else self.title
        ylog = ylog if ylog is not None else self.ylog
        history = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in (history or {}).items()}
        signature = (keys, title, ylog, diverged,
                     *((k, len(v), v[-1] if len(v) else None) for k, v in sorted(history.items())
                       if k in keys or k in ("epoch", "step")))
        if signature == self._signature:
            return  # histories only grow: same lengths and last values mean nothing new to draw
        self._signature = signature
        self.history, self.keys, self.title, self.ylog, self.diverged = history, keys, title, ylog, diverged
        n = self._length()
        if self._cursor is not None and self._cursor >= n:
            self._cursor = n - 1 if n else None
        self.invalidate()

    @property
    def log_allowed(self) -> bool:
        return self.YLIM is None and not self._percent()

    def set_log(self, on: bool) -> None:
        """Log (True) or linear (False) y axis; accuracy plots stay linear."""
        on = bool(on) and self.log_allowed
        if on != self.ylog:
            self.ylog = on
            self._signature = None
            self.invalidate()

    def action_toggle_log(self) -> None:
        if not self.log_allowed:
            self.notify("accuracy is plotted on a linear axis", timeout=2)
            return
        self.set_log(not self.ylog)

    def _percent(self) -> bool:
        return bool(self.keys) and all("acc" in k for k in self.keys)

    def _length(self) -> int:
        return max((len(self.history[k]) for k in self.keys if k in self.history), default=0)

    def _x_axis(self, n: int) -> tuple[np.ndarray, str]:
        """The x values of the first ``n`` evaluations and their name (epoch once there are a few, else step)."""
        ep = self.history.get("epoch")
        if ep is not None and len(ep) >= n and n and ep[n - 1] >= EPOCH_AXIS_FROM and _sorted(ep[:n]):
            return ep[:n], "epoch"
        st = self.history.get("step")
        if st is not None and len(st) >= n and _sorted(st[:n]):
            return st[:n], "step"
        return np.arange(n, dtype=np.float64), "step"

    # -- cursor -----------------------------------------------------------------
    @property
    def cursor_step(self) -> int | None:
        """The step of the evaluation under the cursor, or None without a cursor."""
        return None if self._cursor is None else self._step_at(self._cursor)

    def _step_at(self, i: int) -> int:
        st = self.history.get("step")
        if st is not None and i < len(st) and np.isfinite(st[i]):
            return int(st[i])
        return int(i)

    def cursor_values(self) -> dict[str, float]:
        """The exact value of each plotted series at the cursor (NaN where not measured)."""
        i = self._cursor
        if i is None:
            return {}
        return {k: float(self.history[k][i]) for k in self.keys if k in self.history and i < len(self.history[k])}

    def set_cursor_step(self, step: int | None) -> None:
        """Put the cursor on the evaluation nearest ``step`` (None: hide it). Posts no message."""
        if step is None or not self._length():
            self._set_cursor(None, post=False)
            return
        n = self._length()
        st = self.history.get("step")
        steps = st[:n] if st is not None and len(st) >= n else np.arange(n, dtype=np.float64)
        self._set_cursor(int(np.nanargmin(np.abs(steps - step))), post=False)

    def _set_cursor(self, index: int | None, post: bool = True) -> None:
        if index == self._cursor:
            return
        before = self.cursor_step
        self._cursor = index
        self.invalidate()
        if post and self.cursor_step != before:
            self.post_message(self.CursorMoved(self, self.cursor_step))

    def _columns(self) -> tuple[np.ndarray, int] | None:
        """Plot column of every evaluation (with the last frame's axes), and the number of columns."""
        n = self._length()
        if not n:
            return None
        if self._frame is None:
            self.strips()
        if self._frame is None:
            return None
        x, x0, x1, _, cols, dots_w, per_cell = self._frame
        dots = np.rint((x[:n] - x0) / ((x1 - x0) or 1.0) * (dots_w - 1))
        return np.clip(np.nan_to_num(dots).astype(np.intp) // per_cell, 0, cols - 1), cols

    def action_cursor(self, columns: int) -> None:
        cols = self._columns()
        if cols is None:
            return
        col, _ = cols
        i = self._cursor if self._cursor is not None else len(col) - 1
        here = col[i]
        target = here + columns
        if columns > 0:
            later = np.flatnonzero(col >= target)
            i = int(later[0]) if later.size else len(col) - 1
        else:
            earlier = np.flatnonzero(col <= target)
            i = int(earlier[-1]) if earlier.size else 0
        self._set_cursor(i)

    def action_cursor_end(self, last: int) -> None:
        n = self._length()
        if n:
            self._set_cursor(n - 1 if last else 0)

    def _cursor_at(self, x: int) -> None:
        cols = self._columns()
        if cols is None:
            return
        col, ncols = cols
        left = self._frame[3]
        c = min(max(x - left, 0), ncols - 1)
        self._set_cursor(int(np.argmin(np.abs(col - c))))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None:
            self._cursor_at(offset.x)

    def on_mouse_move(self, event: MouseMove) -> None:
        if self.has_focus:
            offset = event.get_content_offset(self)
            if offset is not None:
                self._cursor_at(offset.x)

    def on_focus(self) -> None:
        if self._cursor is None and self._length():
            self._set_cursor(self._length() - 1)

    def on_blur(self) -> None:
        self._set_cursor(None)

    # -- drawing --------------------------------------------------------------------
    def series_color(self, pal: Palette, i: int) -> Color | None:
        """The colour of series ``i`` (an index into ``keys``) in this terminal's depth."""
        return _color(pal, SERIES_COLORS[i % 4], SERIES_ANSI[i % 4])

    def series_marker(self, i: int) -> str:
        """Series ``i``'s glyph in ASCII mode (Unicode draws Braille lines, solid or dashed)."""
        return ASCII_MARKERS[i % 4]

    def legend(self, shown: Sequence[int]) -> str:
        """Markup naming each plotted series in its colour and line style, e.g. '━ train loss  ╍ test loss'."""
        ascii, pal = colors.use_ascii(), colors.current()
        parts = []
        for i in shown:
            glyph = self.series_marker(i) if ascii else LEGEND_GLYPHS[i % 4]
            name = self.keys[i].replace("_", " ")
            color = self.series_color(pal, i)
            if color is None:
                parts.append(f"{glyph} {name}")
            else:
                r, g, b = color.get_truecolor()
                parts.append(f"[rgb({r},{g},{b})]{glyph}[/] {name}")
        return "  ".join(parts)

    def _y_axis(self, series: list[tuple[int, np.ndarray, np.ndarray]], diverged: bool, rows: int):
        """(to_t, t0, t_top, ticks, tick_rows, clipped): the y axis over ``rows`` cell rows.

        ``to_t`` maps values to axis units (log10 on a log axis); t0 sits on the centre of the bottom row,
        t_top on the centre of the top one. Round ticks land a whole, equal number of rows apart: the
        range above the top tick is stretched to make that so (a fixed 0..1 range picks its tick count).
        """
        span = max(1, rows - 1)
        ys = [y for _, _, y in series]
        allv = np.concatenate(ys)
        if self.YLIM is not None or self._percent():
            lo, hi = self.YLIM or (0.0, 1.0)
            fits = [k for k in (10, 5, 2, 1) if 2 * k <= span] or [1]  # steps of 10, 20, 50 or 100%
            k = next((k for k in fits if span % k == 0 and k > 1), 2 if span >= 4 else 1)
            ticks = [lo + (hi - lo) * j / k for j in range(k + 1)]
            return (lambda v: v), lo, hi, ticks, [round(span * (1 - j / k)) for j in range(k + 1)], False
        clipped = False
        if self.ylog:
            lo, hi = float(allv.min()), float(allv.max())
            to_t = np.log10
            candidates = [numbers.log_range(lo, hi, n)[2] for n in range(2, 9)]
        else:
            lo, hi = float(allv.min()), float(allv.max())
            if diverged:  # the range the run had before it took off, so the curve before it stays readable
                before = [y[: blowup_start(y)] for y in ys if len(y)]
                cap = max(float(b.max()) for b in before)
                width = cap - min(lo, cap)
                if hi > cap + width and sum(map(len, before)) >= 3:
                    hi, clipped = cap + 0.25 * width, True
            to_t = (lambda v: v)
            candidates = [numbers.nice_range(lo, hi, n)[2] for n in range(2, 9)]
        # Pick the ticks: a whole number of rows apart when that wastes few rows at the top, else
        # rounded to rows (one row uneven at most); three to seven of them, never on adjacent rows.
        best = None
        d0, d1 = float(to_t(lo)), float(to_t(hi))
        for ticks in candidates:
            tv = [float(to_t(t)) for t in ticks]
            k = len(tv) - 1
            if k < 1 or k > span:
                continue
            even = np.allclose(np.diff(tv), tv[1] - tv[0])
            few = 1.5 * (3 - k) if k < 3 else (2 if k > 5 else 0)  # 2 or 3 ticks: sparse; 7+: busy

            def unused(top, bottom=tv[0]):  # rows of the axis the data does not reach
                return span * (1 - (d1 - d0) / ((top - bottom) or 1.0))

            options = [(1 + few + unused(tv[-1]) + (4 if span / k < 2 else 0), False)]
            if even and rows > 1:
                every = span // k
                options.append((few + unused(tv[0] + (tv[1] - tv[0]) * span / every) + (4 if every < 2 else 0),
                                True))
            for score, stretch in options:
                if best is None or score < best[0]:
                    best = (score, stretch, ticks, tv)
        if best is None:  # a single row
            t = float(to_t(lo))
            return to_t, t, t + 1, [lo], [0], clipped
        _, stretch, ticks, tv = best
        t0, k = tv[0], len(tv) - 1
        if stretch:
            every = span // k
            t_top = t0 + (tv[1] - tv[0]) * span / every
            tick_rows = [span - j * every for j in range(k + 1)]
        else:
            t_top = tv[-1]
            tick_rows = [round(span * (t_top - t) / (t_top - t0)) for t in tv]
        return to_t, t0, t_top, ticks, tick_rows, clipped

    def _prepare(self, width: int):
        """The series to plot, reduced to the plot's resolution, and where the run diverged.

        (series [(key index, x, y)], shown key indices, series to mark, divergence index, x, x name).
        Kept until the data, the width or the axis changes, so cursor moves redraw cheaply.
        """
        cache_key = (self._signature, width, self.ylog, id(self.history))
        if self._prepared is not None and self._prepared[0] == cache_key:
            return self._prepared[1]
        n = self._length()
        series, shown, marks, div_index = [], [], [], None
        x_all, xname = self._x_axis(n)
        for i, key in enumerate(self.keys):
            y = self.history.get(key)
            if y is None or not len(y):
                continue
            y = y[:n]
            x = x_all[: len(y)]
            d = divergence(y)
            if d is not None:
                div_index = d if div_index is None else min(div_index, d)
            last_finite = bool(np.isfinite(y[-1]))
            x, y = reduce_series(x, y, 2 * width)  # at most 2 dot columns a cell
            ok = np.isfinite(y) & np.isfinite(x) & ((y > 0) if self.ylog else True)
            if not ok.any():
                continue
            series.append((i, x[ok], y[ok]))
            shown.append(i)
            if d is not None or (self.diverged and last_finite):
                marks.append(len(series) - 1)
        out = (series, shown, marks, div_index, x_all, xname)
        self._prepared = (cache_key, out)
        return out

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        ascii = pal.ascii
        canvas = CellCanvas(width, height, base)
        self.y_labels, self.x_labels, self._frame, self.points_plotted = [], [], None, 0
        series, shown, marks, div_index, x_all, xname = self._prepare(width)
        diverged = bool(self.diverged) or div_index is not None
        self.border_subtitle = self.legend(shown)
        top = 1 if height >= 4 else 0
        bottom = 2 if height >= 7 else (1 if height >= 4 else 0)
        rows = height - top - bottom
        if not series or rows < 1:
            self.readout = f"{self.title}: no data yet" if self.title else "no data yet"
            canvas.centred(height // 2, self.readout, Style(dim=True))
            return canvas.strips()

        # y axis
        to_t, t0, t_top, yticks, tick_rows, clipped = self._y_axis(series, diverged, rows)
        percent = self._percent()
        dots_h = 4 * rows if not ascii else rows
        span = max(1, rows - 1)
        yticks, tick_rows = self._spread(yticks, tick_rows)

        def yrow(v):  # dot row of value v (0 = top; a cell's centre is 1.5 dots down), float
            with np.errstate(divide="ignore", invalid="ignore"):
                r = (t_top - to_t(v)) / ((t_top - t0) or 1.0) * (span if rows > 1 else 0)
            return r if ascii else 4 * r + 1.5

        labels = numbers.tick_labels(yticks, percent=percent, log=self.ylog)
        label_w = max(map(len, labels)) if labels and width >= 16 else 0
        left = label_w + 1 if label_w else 0
        cols = width - left
        if cols < 2:
            left, label_w, cols = 0, 0, width
        dots_w = 2 * cols if not ascii else cols

        # x axis: the data's extent, whole-number ticks inside it
        xs_min = min(float(x[0]) for _, x, _ in series)
        xs_max = max(float(x[-1]) for _, x, _ in series)
        if xs_max <= xs_min:
            xs_max = xs_min + 1
        x0, x1 = xs_min, xs_max
        self._frame = (x_all, x0, x1, left, cols, dots_w, 1 if ascii else 2)

        def xdot(v):
            return (np.asarray(v, dtype=np.float64) - x0) / (x1 - x0) * (dots_w - 1)

        # curves
        dim = Style(dim=True)
        styles = [Style(color=self.series_color(pal, i)) for i in range(len(self.keys))]  # by key index
        layers = []
        for i, x, y in series:
            py = np.clip(yrow(y), -0.49, dots_h - 0.51)  # beyond the range: along the edge
            vx, vy, ncol = column_envelope(xdot(x), py)
            self.points_plotted += ncol
            dx, dy, along = polyline_dots(vx, vy)
            dash_on, dash_off = DASHES[i % 4]
            if dash_off and not ascii:
                on = along % (dash_on + dash_off) < dash_on
                on[-1] = True
                dx, dy = dx[on], dy[on]
            layers.append((i, dx, dy))
        plot = np.zeros((rows, cols), dtype=np.intp)  # cell codes, 0 = empty
        if ascii:
            for i, dx, dy in layers:
                plot[dy, dx] = canvas.code(self.series_marker(i), styles[i])
        else:
            bits = np.zeros((len(layers), rows * cols), dtype=np.intp)
            for s, (i, dx, dy) in enumerate(layers):
                np.bitwise_or.at(bits[s], (dy // 4) * cols + dx // 2, BRAILLE_BITS[dy % 4, dx % 2])
            merged = np.bitwise_or.reduce(bits, axis=0)
            owner = len(layers) - 1 - np.argmax(POPCOUNT[bits[::-1]], axis=0)  # most dots; ties: the later
            first = np.array([canvas.block(BRAILLE, _braille_styles(styles[i])) for i, _, _ in layers],
                             dtype=np.intp)
            on = np.flatnonzero(merged)
            plot.reshape(-1)[on] = first[owner[on]] + merged[on]

        # the divergence: a red x at the last finite value
        bad = pal.bad
        cross = "X" if ascii else "✕"
        for s in marks:
            _, x, y = series[s]
            c = int(np.clip(xdot(x[-1]) // (1 if ascii else 2), 0, cols - 1))
            r = int(np.clip(round(float(np.clip(yrow(y[-1]), 0, dots_h - 1))) // (1 if ascii else 4), 0, rows - 1))
            plot[r, c] = canvas.code(cross, bad)

        # the cursor: a column highlight, the series' points on it
        cur_col = None
        if self._cursor is not None and self._cursor < len(x_all):
            cx = x_all[self._cursor]
            if np.isfinite(cx):
                cur_col = int(np.clip(xdot(cx) // (1 if ascii else 2), 0, cols - 1))
                self._draw_cursor(canvas, plot, cur_col, series, xdot, yrow, dots_h, rows, pal, styles)
        canvas.codes[top:top + rows, left:left + cols] = plot

        # axes
        if label_w:
            vbar, tick = ("|", "+") if ascii else ("│", "┤")
            canvas.codes[top:top + rows, left - 1] = canvas.code(vbar, dim)
            for lab, r in zip(labels, tick_rows):
                if 0 <= r < rows:
                    canvas.text(label_w - len(lab), top + r, lab, dim)
                    canvas.codes[top + r, left - 1] = canvas.code(tick, dim)
            self.y_labels = labels
        if bottom:
            self._draw_x_axis(canvas, top + rows, bottom, left, cols, x0, x1, xname, dots_w, xdot, cur_col, pal)

        # the top line
        if top:
            self._draw_top(canvas, width, series, xname, x_all, div_index, diverged, clipped, pal, styles)
        return canvas.strips()

    @staticmethod
    def _spread(ticks: list[float], tick_rows: list[int]) -> tuple[list[float], list[int]]:
        """Ticks at least two rows apart (a log axis's 1-2-5 ticks can crowd), the bottom one kept."""
        order = sorted(range(len(ticks)), key=lambda k: -tick_rows[k])  # bottom first
        keep: list[int] = []
        for k in order:
            if not keep or tick_rows[keep[-1]] - tick_rows[k] >= 2:
                keep.append(k)
        keep.sort(key=lambda k: tick_rows[k])  # top first
        return [ticks[k] for k in keep], [tick_rows[k] for k in keep]

    def _draw_cursor(self, canvas, plot, col, series, xdot, yrow, dots_h, rows, pal, styles) -> None:
        ascii = pal.ascii
        color = _color(pal, CURSOR_BG, 8)
        if ascii or color is None:
            empty = plot[:, col] == 0
            plot[empty, col] = canvas.code("|" if ascii else "│", Style(dim=True))
        else:
            for r in range(rows):
                code = plot[r, col]
                glyph, style = canvas.glyphs[code], canvas.styles[code]
                plot[r, col] = canvas.code(glyph, Style(color=style.color, bgcolor=color))
        i = self._cursor
        for k, (si, _, _) in enumerate(series):
            y = self.history[self.keys[si]]
            if i < len(y) and np.isfinite(y[i]) and (y[i] > 0 or not self.ylog):
                r = int(np.clip(round(float(np.clip(yrow(y[i]), 0, dots_h - 1))) // (1 if ascii else 4), 0, rows - 1))
                plot[r, col] = canvas.code("@" if ascii else "●",
                                           Style(color=styles[si].color, bgcolor=None if ascii else color, bold=True))

    def _draw_x_axis(self, canvas, row, bottom, left, cols, x0, x1, xname, dots_w, xdot, cur_col, pal) -> None:
        ascii = pal.ascii
        dim = Style(dim=True)
        per_cell = 1 if ascii else 2
        # the most ticks (one per 12 columns at most) whose labels keep two spaces apart; at least two
        # where there is room (a step rounded up can leave one tick: then try finer steps)
        many = max(2, cols // 12)
        for n in [*range(many, 1, -1), *range(many + 1, max(many + 1, cols // 3) + 1)]:
            ticks = numbers.inner_ticks(x0, x1, n, integer=True)
            labels = numbers.tick_labels(ticks)
            tick_cols = [int(xdot(t) // per_cell) for t in ticks]
            gaps = [b - a - (len(la) + len(lb)) / 2 for a, b, la, lb in zip(tick_cols, tick_cols[1:], labels,
                                                                             labels[1:])]
            if len(ticks) >= 2 and min(gaps) >= 2:
                break
        label_row = row + bottom - 1
        if bottom == 2:
            h, t, corner = ("-", "+", "+") if ascii else ("─", "┬", "└")
            canvas.codes[row, left:left + cols] = canvas.code(h, dim)
            if left:
                canvas.codes[row, left - 1] = canvas.code(corner, dim)
        placed, end = [], left - 2
        for lab, c in zip(labels, tick_cols):
            if not 0 <= c < cols:
                continue
            start = min(max(left + c - len(lab) // 2, left), left + cols - len(lab))
            if start <= end + 1:
                continue  # would touch the previous label
            canvas.text(start, label_row, lab, dim)
            if bottom == 2:
                canvas.codes[row, left + c] = canvas.code(t, dim)
            placed.append(lab)
            end = start + len(lab) - 1
        self.x_labels = placed
        if left > len(xname):
            canvas.text(0, label_row, xname, dim)
        if cur_col is not None and bottom == 2:
            canvas.codes[row, left + cur_col] = canvas.code("^" if ascii else "▲", Style(bold=True))

    def _draw_top(self, canvas, width, series, xname, x_all, div_index, diverged, clipped, pal, styles) -> None:
        """The top line: where (the cursor's step, or the latest x), each series' value, the divergence.

        Fitted to the width: the title goes first, then the epoch beside a step, the x, the series
        names, then digits; the values stay.
        """
        ascii = pal.ascii
        bold, dim, plain = Style(bold=True), Style(dim=True), Style()
        percent = self._percent()
        i = self._cursor
        cursor = i is not None and i < len(x_all)
        at = i if cursor else len(x_all) - 1
        values = []
        for si, _, _ in series:
            y = self.history[self.keys[si]]
            v = y[at] if at < len(y) else math.nan
            if math.isnan(v) and not cursor:  # no cursor: the latest measured value
                tail = y[max(0, at - 4096): at + 1]
                measured = np.flatnonzero(~np.isnan(tail))
                v = tail[measured[-1]] if measured.size else math.nan
            values.append((si, v))

        def line(title: bool, where: int, names: bool, sig: int, div: int) -> list[tuple[str, Style]]:
            parts: list[tuple[str, Style]] = []
            if cursor:
                parts.append((f"{'>' if ascii else '▸'} step {numbers.fmt_int(self._step_at(i))}", bold))
                ep = self.history.get("epoch")
                if where >= 2 and ep is not None and i < len(ep) and np.isfinite(ep[i]):
                    parts.append((f" (epoch {numbers.fmt_epoch(ep[i])})", dim))
            else:
                same = str(self.border_title or "").strip().lower() == self.title.strip().lower()
                name = (("" if same or not title else self.title) + (" (log)" if self.ylog else "")).strip()
                if name:
                    parts.append((name, bold))
                if where and at >= 0:
                    x = x_all[at]
                    text = numbers.fmt_epoch(x) if xname == "epoch" else numbers.fmt_int(x)
                    parts.append(((" " if name else "") + f"{xname} {text}", dim))
            for si, v in values:
                text = numbers.fmt_pct(v, max(0, sig - 2)) if percent else numbers.fmt(v, sig)
                parts.append(("  " if parts else "", plain))
                parts.append((self.series_marker(si) if ascii else LEGEND_GLYPHS[si % 4], styles[si]))
                parts.append((f" {series_name(self.keys[si], self.keys)} " if names else " ", plain))
                parts.append((text, Style(bold=True, color=pal.bad.color) if not np.isfinite(v) else bold))
            if diverged and div:
                where_ = ""
                if div >= 2 and div_index is not None:
                    where_ = f" at step {numbers.fmt_int(self._step_at(div_index))}"
                elif div >= 2 and len(x_all):
                    where_ = f" after step {numbers.fmt_int(self._step_at(len(x_all) - 1))}"
                parts.append(("  ", plain))
                parts.append((f"{'X' if ascii else '✕'}" + (" diverged" if div >= 1.5 else "") + where_, pal.bad))
                if clipped and div >= 3:
                    parts.append((" (clipped)", dim))
            return parts

        # longest first; the first that fits is drawn (else the last, cut at the edge)
        tries = [(True, 2, True, 4, 3), (True, 2, True, 4, 2), (False, 2, True, 4, 2), (False, 1, True, 4, 2),
                 (False, 1, True, 4, 1.5), (False, 0, True, 4, 1.5), (False, 0, False, 4, 1.5),
                 (False, 0, False, 3, 1), (False, 0, False, 2, 1), (False, 0, False, 2, 0)]
        for t in tries:
            parts = line(*t)
            if sum(len(text) for text, _ in parts) <= width:
                break
        if ascii:
            parts = [(text.encode("ascii", "replace").decode(), style) for text, style in parts]
        self.readout = "".join(text for text, _ in parts)
        x = 0
        for text, style in parts:
            canvas.text(x, 0, text[: max(0, width - x)], style)
            x += len(text)

    # -- as text (tests, and code that wants the picture as a string) ----------------------------
    def render(self) -> Text:
        strips = self.strips()
        if self._text is None or self._text[0] is not strips:
            out = Text(end="")
            for y, strip in enumerate(strips):
                if y:
                    out.append("\n")
                for seg in strip:
                    out.append(seg.text, seg.style)
            self._text = (strips, out)
        return self._text[1]


BRAILLE = tuple(chr(0x2800 + b) for b in range(256))
_BRAILLE_STYLES: dict[Style, tuple[Style, ...]] = {}


def _braille_styles(style: Style) -> tuple[Style, ...]:
    """One style per Braille pattern, the same tuple object every frame (CellCanvas.block caches on it)."""
    found = _BRAILLE_STYLES.get(style)
    if found is None:
        if len(_BRAILLE_STYLES) > 64:
            _BRAILLE_STYLES.clear()
        found = _BRAILLE_STYLES[style] = (style,) * 256
    return found


def _sorted(a: np.ndarray) -> bool:
    """Non-decreasing (checked on at most ~2000 samples: a history is either in order or not at all)."""
    a = a[:: max(1, len(a) // 2000)]
    d = np.diff(a[np.isfinite(a)])
    return bool(np.all(d >= 0))


class AccuracyPlot(LossPlot):
    """Accuracy curves, y fixed to 0..100% (as for any LossPlot whose keys are all accuracies)."""

    DEFAULT_KEYS = ("train_acc", "test_acc")
    DEFAULT_TITLE = "accuracy"
    YLIM = (0.0, 1.0)
