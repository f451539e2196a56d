"""Panes for the regress scenario: the fitted curve over its points, and the loss landscape of a line fit.

``CurveView`` draws curves as Braille dots (2x4 per cell; one per cell in ASCII
mode), the data as point glyphs on top, and turns a click into data
coordinates (``CurveView.PointAdded``). ``LandscapeView`` is a FieldView whose
heatmap is log-loss over (m, b), low loss blue, with gradient descent's path on it.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color, ColorSystem
from rich.style import Style
from textual.events import Click
from textual.message import Message
from textual.strip import Strip

from scenarios.views import CurveFit, Landscape, Points
from tui import colors
from tui.colors import ColorMode, Palette
from tui.widgets.fieldview import (CellCanvas, FieldView, RasterWidget, placeholder,
                                   point_cells)

BUMP, SELECTED = "#3fb950", "#ffffff"  # hand mode: each bump, and the one the keys move
BUMP_TINTS, SELECTED_TINT = ("#173d22", "#0f2a30"), "#4d4216"  # the cells between each and y = 0 (neighbours alternate)

# Braille dot bits, indexed [dot row 0..3][dot column 0..1].
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.intp)


def _color(pal: Palette, hex_rgb: str, ansi: int) -> Color | None:
    """``hex_rgb`` as this palette's terminal gets it (None without colour)."""
    rgb = Color.parse(hex_rgb)
    if pal.mode is ColorMode.NONE:
        return None
    if pal.mode is ColorMode.STANDARD:
        return Color.from_ansi(ansi)
    return rgb.downgrade(ColorSystem.EIGHT_BIT) if pal.mode is ColorMode.EIGHT_BIT else rgb


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _text(text: str, pal: Palette) -> str:
    """Scenario-supplied text, made ASCII in ASCII mode."""
    return text.encode("ascii", "replace").decode() if pal.ascii else text


def _tint(canvas: CellCanvas, mask: np.ndarray, bg) -> None:
    """Give the cells under ``mask`` (the top rows of the canvas) background ``bg``, keeping glyph and colour."""
    codes = canvas.codes[: mask.shape[0]]
    sub = codes[mask]
    out = np.empty_like(sub)
    for u in np.unique(sub).tolist():
        out[sub == u] = canvas.code(canvas.glyphs[u], canvas.styles[u] + Style(bgcolor=bg))
    codes[mask] = out


def _off_baseline(ys, ylim, frac: float = 0.01) -> np.ndarray:
    """A bump's curve where it leaves y = 0 (NaN elsewhere): every bump shares that baseline, which the axis draws."""
    ys = np.asarray(ys, np.float64)
    return np.where(np.abs(ys) > frac * abs(ylim[1] - ylim[0]), ys, np.nan)


def curve_pixels(xs, ys, xlim, ylim, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of the pixels on the polyline (xs, ys), joined vertically so steep parts stay connected."""
    none = np.zeros(0, dtype=np.intp)
    xs, ys = np.asarray(xs, np.float64).ravel(), np.asarray(ys, np.float64).ravel()
    ok = np.isfinite(xs) & np.isfinite(ys)
    if rows <= 0 or cols <= 0 or ok.sum() < 2:
        return none, none
    xs, ys = xs[ok], ys[ok]
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    (x0, x1), (y0, y1) = xlim, ylim
    px = x0 + (np.arange(cols) + 0.5) / cols * ((x1 - x0) or 1.0)
    r = (y1 - np.interp(px, xs, ys)) / ((y1 - y0) or 1.0) * rows
    prev, nxt = np.concatenate((r[:1], r[:-1])), np.concatenate((r[1:], r[-1:]))
    with np.errstate(invalid="ignore"):  # huge values (a diverged fit) are simply off the plot
        lo = np.floor(np.minimum(r, np.minimum((r + prev) / 2, (r + nxt) / 2)))
        hi = np.floor(np.maximum(r, np.maximum((r + prev) / 2, (r + nxt) / 2)))
        keep = (px >= xs[0]) & (px <= xs[-1]) & (hi >= 0) & (lo <= rows - 1)
    col = np.flatnonzero(keep)
    lo, hi = np.maximum(lo[keep], 0).astype(np.intp), np.minimum(hi[keep], rows - 1).astype(np.intp)
    runs = hi - lo + 1
    starts = np.repeat(np.cumsum(runs) - runs, runs)
    return np.repeat(lo, runs) + (np.arange(int(runs.sum())) - starts), np.repeat(col, runs)


def braille_bits(mask: np.ndarray) -> np.ndarray:
    """(4h, 2w) pixel mask -> (h, w) Braille dot patterns (0..255)."""
    h, w = mask.shape[0] // 4, mask.shape[1] // 2
    blocks = mask[: 4 * h, : 2 * w].reshape(h, 4, w, 2)
    return (blocks * BRAILLE_BITS[None, :, None, :]).sum(axis=(1, 3))


class CurveView(RasterWidget):
    """Data points, the network's curve over them, and (faint) its neurons or the least-squares line."""

    DEFAULT_CSS = """
    CurveView { width: 1fr; height: 1fr; }
    """

    class PointAdded(Message):
        """A click on the plot: add the point (x, y), in data units."""

        def __init__(self, view: "CurveView", x: float, y: float) -> None:
            super().__init__()
            self.view, self.x, self.y = view, x, y

        @property
        def control(self) -> "CurveView":
            return self.view

    def __init__(self, placeholder: str = "no data yet", **kwargs):
        super().__init__(**kwargs)
        self.placeholder = placeholder
        self.curve: CurveFit | None = None
        self.plot_area: tuple | None = None  # (rows, cols, xlim, ylim) of the last frame, for clicks

    def update_view(self, view: CurveFit | None, status) -> None:
        self.update_curve(view)

    def update_curve(self, curve: CurveFit | None) -> None:
        self.curve = curve
        self.invalidate()

    # -- clicks ---------------------------------------------------------------
    def data_at(self, col: int, row: int) -> tuple[float, float] | None:
        """Data coordinates of the centre of cell (col, row), or None outside the plot."""
        if self.plot_area is None:
            return None
        rows, cols, (x0, x1), (y0, y1) = self.plot_area
        if not (0 <= row < rows and 0 <= col < cols):
            return None
        return x0 + (col + 0.5) / cols * (x1 - x0), y1 - (row + 0.5) / rows * (y1 - y0)

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        hit = self.data_at(offset.x, offset.y)
        if hit is not None:
            self.post_message(self.PointAdded(self, *hit))

    # -- drawing --------------------------------------------------------------
    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        c = self.curve
        if c is None or not np.all(np.isfinite([*c.xlim, *c.ylim])):
            self.plot_area = None
            return placeholder(width, height, self.placeholder, base)
        x, y = np.asarray(c.x, np.float64).ravel(), np.asarray(c.y, np.float64).ravel()
        xlim, ylim = c.xlim, c.ylim
        rows = height - 1 if height >= 4 else height  # the bottom row holds the x range
        xlim, ylim = (float(xlim[0]), float(xlim[1])), (float(ylim[0]), float(ylim[1]))
        self.plot_area = (rows, width, xlim, ylim)
        canvas = CellCanvas(width, height, base)
        self._draw_axes(canvas, rows, xlim, ylim, pal)
        dim = Style(color=_color(pal, colors.LINE_DIM, 8), dim=pal.mode is ColorMode.NONE)
        faint = [np.asarray(n) for n in c.neurons]
        for extra in (c.best_y, c.target_y):
            if extra is not None:
                faint.append(np.asarray(extra))
        if c.bumps is not None:
            faint.extend(_off_baseline(h, ylim) for h in c.bumps.hand)
        if faint:
            self._draw_curves(canvas, rows, c.fit_x, faint, xlim, ylim, dim, pal, ".")
        if c.bumps is not None:
            self._draw_bumps(canvas, rows, c, xlim, ylim, pal)
        bright = Style(color=_color(pal, "#4da6ff", 12), bold=True)
        self._draw_curves(canvas, rows, c.fit_x, [c.fit_y], xlim, ylim, bright, pal, "*")
        self._draw_points(canvas, rows, x, y, xlim, ylim, pal)
        if c.bumps is not None:
            self._shade_bumps(canvas, rows, c, xlim, ylim, pal)
        label = Style(dim=True)
        canvas.text(0, 0, _fmt(ylim[1]), label)
        if rows >= 2:
            canvas.text(0, rows - 1, _fmt(ylim[0]), label)
        if rows < height:
            canvas.text(0, height - 1, _fmt(xlim[0]), label)
            right = _fmt(xlim[1])
            canvas.text(width - len(right), height - 1, right, label)
        title = c.title
        if title:
            start = len(_fmt(ylim[1])) + 2
            canvas.text(start, 0, _text(f" {title} ", pal)[: max(0, width - start)], Style(bold=True))
        return canvas.strips()

    def _draw_bumps(self, canvas: CellCanvas, rows: int, c: CurveFit, xlim, ylim, pal: Palette) -> None:
        """Each bump (a pair of neurons) as a curve, the selected one brighter, and each neuron's step as a
        tick on the bottom row: where the bumps sit, also after gradient descent has moved them."""
        b = c.bumps
        sel = b.selected if 0 <= b.selected < len(b.now) else -1
        green = Style(color=_color(pal, BUMP, 2))
        white = Style(color=_color(pal, SELECTED, 15), bold=True)
        others = [_off_baseline(y, ylim) for k, y in enumerate(b.now) if k != sel]
        if others:
            self._draw_curves(canvas, rows, c.fit_x, others, xlim, ylim, green, pal, "~")
        if sel >= 0:
            self._draw_curves(canvas, rows, c.fit_x, [_off_baseline(b.now[sel], ylim)], xlim, ylim, white, pal, "#")
        if rows >= canvas.height:
            return
        steps = np.asarray(b.steps, np.float64).ravel()
        (x0, x1), tick = xlim, "^" if pal.ascii else "▲"
        for j in np.argsort(np.arange(len(steps)) // 2 == sel, kind="stable"):  # the selected pair's on top
            if np.isfinite(steps[j]) and x0 <= steps[j] <= x1:
                col = min(int((steps[j] - x0) / ((x1 - x0) or 1.0) * canvas.width), canvas.width - 1)
                canvas.codes[canvas.height - 1, col] = canvas.code(tick, white if j // 2 == sel else green)

    def _shade_bumps(self, canvas: CellCanvas, rows: int, c: CurveFit, xlim, ylim, pal: Palette) -> None:
        """Tint the cells between y = 0 and each bump: the bumps stay visible where the sum runs over them.

        Once trained, a pair need not be a bump any more (one step may have left the data): then only the
        selected pair is tinted, and ``[``/``]`` walk through them."""
        b = c.bumps
        if pal.mode is ColorMode.NONE or rows <= 0 or not len(b.now):
            return
        (x0, x1), (y0, y1) = xlim, ylim
        px = x0 + (np.arange(canvas.width) + 0.5) / canvas.width * ((x1 - x0) or 1.0)
        centre = np.arange(rows)[:, None] + 0.5
        zero = (y1 - 0.0) / ((y1 - y0) or 1.0) * rows
        order = [k for k in range(len(b.now)) if k != b.selected] + [k for k in range(len(b.now)) if k == b.selected]
        steps = np.asarray(b.steps, np.float64).ravel()
        left = np.nan_to_num(np.fmin(steps[0::2], steps[1::2]), nan=np.inf)
        rank = np.argsort(np.argsort(left, kind="stable"), kind="stable")  # left to right, so neighbours differ
        for k in order:
            ys = np.asarray(b.now[k], np.float64)
            ok = np.isfinite(ys)
            if ok.sum() < 2:
                continue
            v = np.interp(px, np.asarray(c.fit_x, np.float64)[ok], ys[ok])
            r = (y1 - v) / ((y1 - y0) or 1.0) * rows
            mask = (centre > np.minimum(r, zero)[None, :]) & (centre < np.maximum(r, zero)[None, :])
            hue, ansi = (SELECTED_TINT, 8) if k == b.selected else (BUMP_TINTS[rank[k] % 2], None)
            if ansi is None and (pal.mode is ColorMode.STANDARD or b.hand):
                continue  # 16 colours, or trained pairs (often steps now, not bumps): only the selected one
            if mask.any():
                _tint(canvas, mask, _color(pal, hue, ansi or 0))

    def _draw_axes(self, canvas: CellCanvas, rows: int, xlim, ylim, pal: Palette) -> None:
        style = Style(dim=True)
        h, v, cross = ("-", "|", "+") if pal.ascii else ("─", "│", "┼")
        r = c = None
        if ylim[0] < 0 < ylim[1]:
            r = min(int((ylim[1] / (ylim[1] - ylim[0])) * rows), rows - 1)
            canvas.codes[r, :] = canvas.code(h, style)
        if xlim[0] < 0 < xlim[1]:
            c = min(int((-xlim[0] / (xlim[1] - xlim[0])) * canvas.width), canvas.width - 1)
            canvas.codes[:rows, c] = canvas.code(v, style)
        if r is not None and c is not None:
            canvas.codes[r, c] = canvas.code(cross, style)

    def _draw_curves(self, canvas: CellCanvas, rows: int, xs, curves, xlim, ylim, style: Style, pal: Palette,
                     ascii_glyph: str) -> None:
        if pal.ascii:  # one "pixel" per cell
            for ys in curves:
                canvas.codes[curve_pixels(xs, ys, xlim, ylim, rows, canvas.width)] = canvas.code(ascii_glyph, style)
            return
        mask = np.zeros((4 * rows, 2 * canvas.width), dtype=bool)
        for ys in curves:
            mask[curve_pixels(xs, ys, xlim, ylim, 4 * rows, 2 * canvas.width)] = True
        bits = braille_bits(mask)
        table = np.zeros(256, dtype=np.intp)
        for b in np.unique(bits[bits > 0]).tolist():
            table[b] = canvas.code(chr(0x2800 + b), style)
        on = bits > 0
        canvas.codes[:rows][on] = table[bits[on]]

    def _draw_points(self, canvas: CellCanvas, rows: int, x, y, xlim, ylim, pal: Palette) -> None:
        n = min(len(x), len(y))
        if not n or rows <= 0:
            return
        pts = Points(np.column_stack([x[:n], y[:n]]), np.zeros(n))
        r, col, _ = point_cells(pts, (*xlim, *ylim), canvas.width, rows)
        style = Style(color=_color(pal, colors.NEGATIVE, 11), bold=True)
        canvas.codes[r, col] = canvas.code("o" if pal.ascii else "•", style)


class LandscapeView(FieldView):
    """log-loss over (m, b) (low = blue), with the path gradient descent takes, its position and the minimum."""

    DEFAULT_CSS = """
    LandscapeView { width: 1fr; height: 1fr; }
    """

    PATH, CURRENT, MINIMUM = "·", "●", "×"
    ASCII_PATH, ASCII_CURRENT, ASCII_MINIMUM = "o", "X", "M"

    def __init__(self, placeholder: str = "no landscape (line mode only)", **kwargs):
        super().__init__(placeholder=placeholder, **kwargs)
        self.path = np.zeros((0, 2))
        self.minimum: tuple[float, float] | None = None
        self.current: tuple[float, float] | None = None

    def update_view(self, view: Landscape | None, status) -> None:
        self.path = np.zeros((0, 2)) if view is None else np.asarray(view.path, np.float64).reshape(-1, 2)
        self.minimum = None if view is None else view.minimum
        self.current = None if view is None else view.current
        self.update_field(None if view is None else view.field, title="" if view is None else view.field.title)

    def heat_levels(self, values, rows_px, width, scale):
        return scale.levels - 1 - super().heat_levels(values, rows_px, width, scale)  # low loss in blue

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        drawn = self.heat_canvas(width, height, pal, base)
        if drawn is None:
            return placeholder(width, height, self.placeholder, base)
        canvas, levels, rows_px = drawn
        field = self.field
        a = pal.ascii
        dark, light = pal.gray.colors[0], pal.gray.colors[-1]
        past = self.path if self.current is None else self.path[:-1]  # the last row is the current position
        self._mark(canvas, levels, rows_px, pal, past, self.ASCII_PATH if a else self.PATH, dark, False)
        if self.minimum is not None:
            self._mark(canvas, levels, rows_px, pal, np.array([self.minimum], np.float64),
                       self.ASCII_MINIMUM if a else self.MINIMUM, light, True)
        m_lo, m_hi, b_lo, b_hi = field.extent
        if self.current is not None:
            current = self.current
            if self.minimum is not None:  # within half a cell of the minimum: converged, draw it there
                half_cell = np.array([(m_hi - m_lo) / width, (b_hi - b_lo) / height]) / 2
                if np.all(np.abs(np.subtract(current, self.minimum)) < half_cell):
                    current = self.minimum
            self._mark(canvas, levels, rows_px, pal, np.array([current], np.float64),
                       self.ASCII_CURRENT if a else self.CURRENT, pal.bad.color, True)
        title = self.title
        if self.current is None:
            title = f"{title}  (diverged)" if title else "diverged"
        elif not (m_lo <= self.current[0] <= m_hi and b_lo <= self.current[1] <= b_hi):
            title = f"{title}  (off the map)"
        text = Style(bold=True)
        if title:
            canvas.text(0, 0, _text(f" {title} ", pal)[:width], text)
        dots, right, up = ("..", "->", "^") if a else ("…", "→", "↑")
        if height >= 3:
            canvas.text(0, 1, f" b {_fmt(b_lo)}{dots}{_fmt(b_hi)} {up} "[:width], text)
        if height >= 2:
            canvas.text(0, height - 1, f" m {_fmt(m_lo)}{dots}{_fmt(m_hi)} {right} "[:width], text)
        return canvas.strips()

    def _mark(self, canvas: CellCanvas, levels: np.ndarray, rows_px: int, pal: Palette, mb: np.ndarray,
              glyph: str, color, bold: bool) -> None:
        """Draw ``glyph`` at each (m, b) inside the map, over the heatmap colour beneath it."""
        if not len(mb):
            return
        row, col, _ = point_cells(Points(mb, np.zeros(len(mb))), self.field.extent, canvas.width, rows_px)
        if not row.size:
            return
        under = levels[row, col]
        cell_row = row if pal.ramp else row // 2
        for lv in np.unique(under).tolist():
            bg = None if pal.ramp else pal.diverging.colors[lv]
            code = canvas.code(glyph, Style(color=color, bgcolor=bg, bold=bold))
            pick = under == lv
            canvas.codes[cell_row[pick], col[pick]] = code


PANES = {"curve": CurveView, "landscape": LandscapeView}
