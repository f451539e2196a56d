"""The optimizer race: a loss surface in contour bands with each racer's coloured path, and a legend.

The heatmap is log10 of the loss (low = blue, as in the loss landscape),
quantised into BANDS bands whose lightness alternates, so the level sets read
as contours. Each racer draws its path as a Braille line in its own colour
(its letter in ASCII mode) and its position as a disc (its capital letter in
ASCII mode), or a cross where it diverged.
The legend rows at the bottom give each racer's key, loss and steps. A click
on the map posts :class:`RaceView.StartSet` with the point in surface units.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from textual.events import Click
from textual.message import Message
from textual.strip import Strip

from scenarios.views import Points, Race
from tui import numbers
from tui.colors import Palette, racer_letter
from tui.widgets.curve import _text, braille_bits
from tui.widgets.fieldview import CellCanvas, FieldView, placeholder, point_cells
from tui.widgets.lossplot import LossPlot

BANDS = 12

ASCII_MATH = {"²": "^2", "ⁱ": "^i", "½·": "0.5*", "·": "*", "Σ": "sum", "ᵢ": "_i"}


def formula_text(text: str, pal: Palette) -> str:
    """A surface's formula as this terminal can show it (ASCII spells the superscripts out)."""
    if pal.ascii:
        for k, v in ASCII_MATH.items():
            text = text.replace(k, v)
    return _text(text, pal)


def band_levels(levels: np.ndarray, n_levels: int, bands: int = BANDS) -> np.ndarray:
    """Palette levels (0 = low value) -> contour bands: the top level of each band, every other one lighter.

    The result is flipped so that low values take the high (blue) end of the scale.
    """
    t = np.asarray(levels, np.float64) / max(n_levels - 1, 1)
    band = np.minimum((t * bands).astype(np.intp), bands - 1)
    out = np.rint((1.0 - band / max(bands - 1, 1)) * (n_levels - 1)).astype(np.intp)
    mid = n_levels // 2
    odd = band % 2 == 1
    out = np.where(odd & (out > mid), out - 1, np.where(odd & (out < mid), out + 1, out))
    return out


def densify(xy: np.ndarray, extent, cols: int, rows_px: int, most: int = 400) -> np.ndarray:
    """The polyline ``xy`` sampled about once a pixel, so a path of long steps draws as a line, not dots."""
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    if len(xy) < 2:
        return xy
    xmin, xmax, ymin, ymax = extent
    scale = np.array([cols / ((xmax - xmin) or 1.0), rows_px / ((ymax - ymin) or 1.0)])
    seg = np.diff(xy, axis=0)
    with np.errstate(invalid="ignore", over="ignore"):
        n = np.nan_to_num(np.ceil(np.max(np.abs(seg * scale), axis=1)), nan=1.0, posinf=most)
    n = np.clip(n, 1, most).astype(np.intp)  # a leap off the map is drawn up to its edge, roughly
    owner = np.repeat(np.arange(len(seg)), n)
    t = (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
    return np.vstack([xy[owner] + t[:, None] * seg[owner], xy[-1:]])


def legend_entries(race: Race, pal: Palette) -> list[tuple[str, str, Style, str]]:
    """(key, marker, marker style, text) per racer."""
    out = []
    for r in race.racers:
        style = Style(color=pal.racer_color(r.name), bold=True)
        mark = ("X" if r.diverged else racer_letter(r.name).upper()) if pal.ascii else ("✕" if r.diverged else "●")
        loss = "diverged" if r.diverged else numbers.fmt(r.loss, 3)
        out.append((r.key, mark, style, f"{r.name} {loss} @{r.steps}"))
    return out


class RaceView(FieldView):
    """Each racer's path over the loss surface's contour bands, with a legend of losses and steps."""

    DEFAULT_CSS = """
    RaceView { width: 1fr; height: 1fr; }
    """

    live_interval = 0.1
    START, MINIMUM = "◇", "×"
    ASCII_START, ASCII_MINIMUM = "S", "+"

    class StartSet(Message):
        """A click on the map: start the race from (x, y), in surface units."""

        def __init__(self, view: "RaceView", x: float, y: float) -> None:
            super().__init__()
            self.view, self.x, self.y = view, x, y

        @property
        def control(self) -> "RaceView":
            return self.view

    def __init__(self, placeholder: str = "no race yet", **kwargs):
        super().__init__(placeholder=placeholder, **kwargs)
        self.race: Race | None = None
        self.map_rows = 0  # cell rows the map takes in the last frame (the legend is below)
        self.legend_rows = 0

    def update_view(self, view: Race | None, status) -> None:
        self.race = view
        self.update_field(None if view is None else view.field, title="" if view is None else view.field.title)

    def heat_levels(self, values, rows_px, width, scale):
        return band_levels(super().heat_levels(values, rows_px, width, scale), scale.levels)

    # -- clicks -----------------------------------------------------------------
    def surface_at(self, col: int, row: int) -> tuple[float, float] | None:
        """Surface coordinates of the centre of cell (col, row), or None outside the map."""
        if self.field is None or not (0 <= row < self.map_rows and 0 <= col < self.size.width):
            return None
        xmin, xmax, ymin, ymax = self.field.extent
        return (xmin + (col + 0.5) / self.size.width * (xmax - xmin),
                ymax - (row + 0.5) / self.size.height * (ymax - ymin))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        hit = self.surface_at(offset.x, offset.y)
        if hit is not None:
            self.post_message(self.StartSet(self, *hit))

    # -- drawing ----------------------------------------------------------------
    def _legend_lines(self, width: int, pal: Palette) -> list[list[tuple[str, Style]]]:
        """The legend packed into as few rows as the width allows."""
        lines: list[list[tuple[str, Style]]] = []
        line: list[tuple[str, Style]] = []
        used = 0
        plain = Style(bold=True)
        for key, mark, style, text in legend_entries(self.race, pal):
            cell = [(f" {key} ", Style(dim=True)), (mark, style), (f" {text} ", plain)]
            n = sum(len(t) for t, _ in cell)
            if line and used + n > width:
                lines.append(line)
                line, used = [], 0
            line += cell
            used += n
        if line:
            lines.append(line)
        return lines

    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        drawn = self.heat_canvas(width, height, pal, base)
        race = self.race
        if drawn is None or race is None:
            self.map_rows = 0
            return placeholder(width, height, self.placeholder, base)
        canvas, levels, rows_px = drawn
        self.map_rows = height
        a = pal.ascii
        dark, light = pal.gray.colors[0], pal.gray.colors[-1]
        self._mark(canvas, levels, rows_px, pal, np.array(race.minima, np.float64).reshape(-1, 2),
                   self.ASCII_MINIMUM if a else self.MINIMUM, light, True)
        for r in race.racers:  # paths first, then every racer's position on top
            if pal.ramp:  # one glyph a cell: the racer's letter
                past = densify(r.path, self.field.extent, width, rows_px)[:-1]
                self._mark(canvas, levels, rows_px, pal, past, racer_letter(r.name), pal.racer_color(r.name), False)
            else:
                self._trail(canvas, levels, pal, r.path, pal.racer_color(r.name))
        self._mark(canvas, levels, rows_px, pal, np.array([race.start], np.float64),
                   self.ASCII_START if a else self.START, dark, True)
        for r in race.racers:
            if len(r.path):
                mark = ("X" if r.diverged else racer_letter(r.name).upper()) if a else ("✕" if r.diverged else "●")
                self._mark(canvas, levels, rows_px, pal, r.path[-1:], mark, pal.racer_color(r.name), True)
        text = Style(bold=True)
        title = self.title
        if title:
            canvas.text(0, 0, formula_text(f" {title} ", pal)[:width], text)
        xmin, xmax, ymin, ymax = self.field.extent
        dots, right, up = ("..", "->", "^") if a else ("…", "→", "↑")
        if height >= 4:
            canvas.text(0, 1, f" y {numbers.fmt(ymin, 3)}{dots}{numbers.fmt(ymax, 3)} {up} "[:width], text)
        legend = self._legend_lines(width, pal) if height >= 8 else []
        self.legend_rows = len(legend)
        self.map_rows = height - len(legend) - (1 if legend else 0)  # clicks below are on the legend
        for i, line in enumerate(legend):
            y = height - len(legend) + i - 1
            canvas.codes[y, :] = 0
            x = 0
            for t, style in line:
                canvas.text(x, y, _text(t, pal), style)
                x += len(t)
        if height >= 2:
            if legend:
                canvas.codes[height - 1, :] = 0
            canvas.text(0, height - 1, f" x {numbers.fmt(xmin, 3)}{dots}{numbers.fmt(xmax, 3)} {right} "[:width],
                        text)
        return canvas.strips()

    def _trail(self, canvas: CellCanvas, levels: np.ndarray, pal: Palette, xy: np.ndarray, color) -> None:
        """The path as a Braille line (2×4 dots a cell) in ``color``, over the heatmap colour beneath each cell."""
        rows, cols = canvas.height, canvas.width
        pts = densify(xy, self.field.extent, 2 * cols, 4 * rows)
        if len(pts) < 2:
            return
        row, col, _ = point_cells(Points(pts, np.zeros(len(pts))), self.field.extent, 2 * cols, 4 * rows)
        mask = np.zeros((4 * rows, 2 * cols), dtype=bool)
        mask[row, col] = True
        bits = braille_bits(mask)
        cr, cc = np.nonzero(bits)
        if not cr.size:
            return
        under = levels[np.minimum(2 * cr, levels.shape[0] - 1), cc]  # the cell's upper pixel
        combo = bits[cr, cc] * pal.diverging.levels + under
        uniq, inverse = np.unique(combo, return_inverse=True)
        codes = [canvas.code(chr(0x2800 + b), Style(color=color, bgcolor=pal.diverging.colors[lv]))
                 for b, lv in (divmod(int(k), pal.diverging.levels) for k in uniq)]
        canvas.codes[cr, cc] = np.asarray(codes, dtype=np.intp)[inverse.reshape(-1)]

    def _mark(self, canvas: CellCanvas, levels: np.ndarray, rows_px: int, pal: Palette, xy: np.ndarray,
              glyph: str, color, bold: bool) -> None:
        """Draw ``glyph`` at each (x, y) inside the map, over the heatmap colour beneath it."""
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        if not len(xy):
            return
        row, col, _ = point_cells(Points(xy, np.zeros(len(xy))), self.field.extent, canvas.width, rows_px)
        if not row.size:
            return
        under = levels[row, col]
        cell_row = row if pal.ramp else row // 2
        for lv in np.unique(under).tolist():
            bg = None if pal.ramp else pal.diverging.colors[lv]
            code = canvas.code(glyph, Style(color=color, bgcolor=bg, bold=bold))
            pick = under == lv
            canvas.codes[cell_row[pick], col[pick]] = code


class RaceLossPane(LossPlot):
    """Each racer's loss by race step, on a log axis from the start (losses fall by many decades).

    Each line takes its racer's colour and ASCII letter (tui/colors.py), as its path on the map does.
    """

    live_interval = 0.5

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ylog = True

    def series_color(self, pal: Palette, i: int):
        return pal.racer_color(self.keys[i])

    def series_marker(self, i: int) -> str:
        return racer_letter(self.keys[i])

    def update_view(self, view, status) -> None:
        if view is not None:
            self.update_history(view.history, keys=view.keys, title=view.title, diverged=status.state == "diverged")


PANES = {"race": RaceView, "race_loss": RaceLossPane}
