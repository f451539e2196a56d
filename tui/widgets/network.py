"""The Playground's network diagram: a column per layer, a thumbnail per neuron, weights in between.

Connections are drawn as Braille dot lines (2x4 dots per cell) coloured by the
weight's sign and brightened by its magnitude; weak ones are dotted. Where two
lines share a cell, the stronger weight picks the colour. In ASCII mode the
gap instead shows, beside each neuron, one ramp glyph per incoming weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.message import Message
from textual.strip import Strip

from scenarios.views import Network
from tui import palette
from tui.palette import Palette
from tui.widgets.fieldview import CellCanvas, RasterWidget, level_codes, pixel_rows, placeholder, resample

# Braille dot bits, indexed [dot row 0..3][dot column 0..1].
_BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.intp)


@dataclass
class Layout:
    """Where things go: slot = marker + thumbnail + marker; rows are each neuron's top row."""

    tw: int  # thumbnail width (cells)
    th: int  # thumbnail height (cells)
    pitch: int  # rows from one neuron to the next
    name_w: int
    xs: list[int]  # left x of each layer's slot
    rows: list[list[int]]  # per layer, top row of each visible neuron
    hidden: list[int]  # per layer, how many neurons did not fit

    @property
    def slot_w(self) -> int:
        return self.tw + 2

    def hit(self, x: int, y: int) -> tuple[int, int] | None:
        for layer, (x0, rows) in enumerate(zip(self.xs, self.rows)):
            if x0 <= x < x0 + self.slot_w:
                for neuron, r in enumerate(rows):
                    if r <= y < r + self.th:
                        return layer, neuron
        return None


THUMB_SIZES = ((8, 4), (6, 3), (4, 2), (2, 1), (1, 1))  # (columns, rows): square in pixels
MIN_GAP = 6


def compute_layout(view: Network, width: int, height: int) -> Layout:
    """Fit the columns into the widget: the biggest thumbnails that fit, then fewer rows, then hidden neurons."""
    sizes = list(view.layer_sizes)
    ncol = len(sizes)
    names = [str(n) for n in view.input_names]
    name_w = min(8, max((len(n) for n in names), default=0)) + 1 if names else 0
    top = 2 if height >= 8 else 1  # header, then a blank row when there is room
    nmax = max(sizes, default=0)

    def gap_for(tw: int) -> int:
        return (width - name_w - ncol * (tw + 2)) // (ncol - 1) if ncol > 1 else MIN_GAP

    # Thumbnails grow only while the gaps stay about twice as wide, so the connections stay legible.
    wide = [(tw, th) for tw, th in THUMB_SIZES if gap_for(tw) >= max(MIN_GAP, 2 * tw)] or [THUMB_SIZES[-1]]
    tall = [(tw, th) for tw, th in wide if top + nmax * (th + 1) - 1 <= height]
    tw, th = (tall or wide)[0]
    gap = max(1, min(gap_for(tw), 24)) if ncol > 1 else 0
    total = name_w + ncol * (tw + 2) + gap * (ncol - 1)
    left = max(0, (width - total) // 2) + name_w
    xs = [left + i * (tw + 2 + gap) for i in range(ncol)]

    for th_, pitch in ((th, th + 1), (1, 2), (1, 1)):
        if top + nmax * pitch - (pitch - th_) <= height:
            break
    th = min(th, th_)
    if pitch == th + 1 and nmax:  # spare rows: spread the neurons, up to one thumbnail apart
        pitch = max(pitch, min(2 * th + 1, (height - top + 1) // nmax))
    fit = max(0, (height - top + pitch - th) // pitch)  # neuron slots that fit in a column
    rows, hidden = [], []
    for n in sizes:
        shown = n if n <= fit else max(0, fit - 1)  # keep one slot for a "+k" note
        slots = shown + (n > shown)
        offset = (min(nmax, fit) - slots) * pitch // 2
        rows.append([top + offset + i * pitch for i in range(shown)])
        hidden.append(n - shown)
    return Layout(tw, th, pitch, name_w, xs, rows, hidden)


def braille_lines(width: int, height: int, y0: np.ndarray, y1: np.ndarray, levels: np.ndarray, mid: int):
    """Rasterise lines from the left edge (dot rows y0) to the right edge (dot rows y1) of a width x height cell box.

    Returns (bits, level) per cell: Braille dot bits, and the level of the strongest line through it.
    """
    dots_w, dots_h = 2 * width, 4 * height
    steps = int(max(dots_w, np.abs(y1 - y0).max(initial=0) + 1))
    t = np.linspace(0.0, 1.0, steps)
    px = np.rint(t * (dots_w - 1)).astype(np.intp)[None, :].repeat(len(y0), 0)
    py = np.rint(y0[:, None] + t[None, :] * (y1 - y0)[:, None]).astype(np.intp)
    strength = np.abs(levels - mid)
    weak = (strength <= max(1, mid // 4))[:, None]
    faint = (strength <= max(0, mid // 8))[:, None]
    keep = (py >= 0) & (py < dots_h) & ~(weak & ((px + py) % 3 != 0)) & ~faint  # weak: dotted; tiny: left out
    key = (strength * 2 + (levels > mid))[:, None].repeat(steps, 1)
    px, py, key = px[keep], py[keep], key[keep]
    cell = (py // 4) * width + px // 2
    bits = np.zeros(width * height, dtype=np.intp)
    np.bitwise_or.at(bits, cell, _BRAILLE_BITS[py % 4, px % 2])
    best = np.full(width * height, -1, dtype=np.intp)
    np.maximum.at(best, cell, key)
    level = np.where(best % 2 == 1, mid + best // 2, mid - best // 2)
    return bits.reshape(height, width), level.reshape(height, width)


class NetworkDiagram(RasterWidget, can_focus=True):
    """Network diagram; arrows move a cursor, Enter or a click selects a neuron."""

    DEFAULT_CSS = """
    NetworkDiagram { width: 1fr; height: 1fr; }
    """

    BINDINGS = [
        Binding("left", "move(-1, 0)", "prev layer", show=False),
        Binding("right", "move(1, 0)", "next layer", show=False),
        Binding("up", "move(0, -1)", "prev neuron", show=False),
        Binding("down", "move(0, 1)", "next neuron", show=False),
        Binding("enter", "select", "select neuron", show=False),
    ]

    class NeuronSelected(Message):
        """A neuron was picked; ``layer`` counts the inputs as layer 0."""

        def __init__(self, diagram: NetworkDiagram, layer: int, neuron: int):
            super().__init__()
            self.diagram, self.layer, self.neuron = diagram, layer, neuron

        @property
        def control(self) -> NetworkDiagram:
            return self.diagram

    def __init__(self, placeholder: str = "no network yet", **kwargs):
        super().__init__(**kwargs)
        self.placeholder = placeholder
        self.view: Network | None = None
        self.vrange: tuple[float, float] = (-1.0, 1.0)
        self.cursor: tuple[int, int] = (0, 0)
        self.selected: tuple[int, int] | None = None
        self.diagram_layout: Layout | None = None

    def update_network(self, view: Network | None, vrange: tuple[float, float] = (-1.0, 1.0)) -> None:
        self.view, self.vrange = view, vrange
        if view is not None and view.selected is not None:
            self.selected = tuple(view.selected)
        self.invalidate()

    # -- interaction -------------------------------------------------------------------------
    def _visible(self, layer: int) -> int:
        lay = self.diagram_layout
        return len(lay.rows[layer]) if lay is not None and layer < len(lay.rows) else 0

    def action_move(self, dlayer: int, dneuron: int) -> None:
        if self.diagram_layout is None or not self.diagram_layout.rows:
            return
        layer = min(max(self.cursor[0] + dlayer, 0), len(self.diagram_layout.rows) - 1)
        neuron = min(max(self.cursor[1] + dneuron, 0), max(0, self._visible(layer) - 1))
        self.cursor = (layer, neuron)
        self.invalidate()

    def action_select(self) -> None:
        if self.diagram_layout is not None and self.cursor[1] < self._visible(self.cursor[0]):
            self._select(*self.cursor)

    def _select(self, layer: int, neuron: int) -> None:
        self.selected = self.cursor = (layer, neuron)
        self.invalidate()
        self.post_message(self.NeuronSelected(self, layer, neuron))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self.diagram_layout is None:
            return
        hit = self.diagram_layout.hit(offset.x, offset.y)
        if hit is not None:
            self._select(*hit)

    def on_focus(self) -> None:
        self.invalidate()

    def on_blur(self) -> None:
        self.invalidate()

    # -- drawing -----------------------------------------------------------------------------
    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        view = self.view
        if view is None or not view.layer_sizes or max(view.layer_sizes) == 0:
            self.diagram_layout = None
            return placeholder(width, height, self.placeholder, base)
        lay = self.diagram_layout = compute_layout(view, width, height)
        canvas = CellCanvas(width, height, base)
        for j in range(len(view.layer_sizes) - 1):
            if j < len(view.weights):
                self._draw_weights(canvas, lay, j, np.asarray(view.weights[j], dtype=np.float64), pal)
        for j in range(len(view.layer_sizes)):
            self._draw_column(canvas, lay, j, pal)
        return canvas.strips()

    def _draw_column(self, canvas: CellCanvas, lay: Layout, j: int, pal: Palette) -> None:
        view, x0, rows = self.view, lay.xs[j], lay.rows[j]
        size = view.layer_sizes[j]
        act = view.activations[j - 1] if 0 < j <= len(view.activations) else ""
        header = f"{size} in" if j == 0 else f"{size} {act}".strip()
        room = lay.slot_w + (lay.xs[1] - lay.xs[0] - lay.slot_w if len(lay.xs) > 1 else 0) - 1
        header = header[: max(1, room)]
        canvas.text(x0 + (lay.slot_w - len(header)) // 2, 0, header, Style(bold=True))
        thumbs = view.thumbnails[j] if j < len(view.thumbnails) else []
        focused = self.has_focus
        for i, y in enumerate(rows):
            thumb = np.asarray(thumbs[i]) if i < len(thumbs) and thumbs[i] is not None else None
            self._draw_thumb(canvas, x0 + 1, y, lay, thumb, pal)
            marks = None
            if focused and self.cursor == (j, i):
                marks, style = ("[", "]") if pal.ascii else ("▐", "▌"), Style(bold=True, reverse=False)
            elif self.selected == (j, i):
                marks, style = (">", "<") if pal.ascii else ("▶", "◀"), Style(bold=True)
            if marks:
                mid = y + (lay.th - 1) // 2
                canvas.text(x0, mid, marks[0], style)
                canvas.text(x0 + lay.slot_w - 1, mid, marks[1], style)
            if j == 0 and i < len(view.input_names) and lay.name_w:
                name = str(view.input_names[i])[: lay.name_w - 1]
                canvas.text(x0 - len(name), y + (lay.th - 1) // 2, name, Style(dim=False))
        if lay.hidden[j]:
            y = rows[-1] + lay.pitch if rows else 1
            canvas.text(x0, min(y, canvas.height - 1), f"+{lay.hidden[j]}"[: lay.slot_w], Style(dim=True))

    def _draw_thumb(self, canvas: CellCanvas, x: int, y: int, lay: Layout, thumb, pal: Palette) -> None:
        if thumb is None or thumb.ndim != 2 or thumb.size == 0:
            glyph = "#" if pal.ascii else "▒"
            canvas.paint(x, y, np.full((lay.th, lay.tw), canvas.code(glyph, Style(dim=True))))
            return
        scale = pal.diverging
        levels = palette.quantize(resample(thumb, pixel_rows(lay.th, pal), lay.tw), self.vrange, scale.levels)
        canvas.paint(x, y, level_codes(canvas, levels, scale, pal))

    def _draw_weights(self, canvas: CellCanvas, lay: Layout, j: int, w: np.ndarray, pal: Palette) -> None:
        src, dst = lay.rows[j], lay.rows[j + 1]
        if w.ndim != 2 or not src or not dst:
            return
        w = w[: len(src), : len(dst)]
        scale = pal.lines
        levels = palette.quantize(w, palette.symmetric_range(w), scale.levels)
        x0 = lay.xs[j] + lay.slot_w
        x1 = lay.xs[j + 1]  # exclusive
        if x1 <= x0 or x0 >= canvas.width:
            return
        if pal.ramp:
            for k, y in enumerate(dst):
                marks = "".join(scale.glyphs[lv] for lv in levels[:, k])[: x1 - x0 - 1]
                for i, ch in enumerate(marks):
                    canvas.text(x1 - len(marks) + i, y + (lay.th - 1) // 2,
                                ch if ch != " " else "0", scale.glyph_style[levels[i, k]])
            return
        ii, kk = np.meshgrid(np.arange(len(src)), np.arange(len(dst)), indexing="ij")
        centre = 2 * lay.th - 1  # dot row of a thumbnail's middle
        y0 = 4 * np.asarray(src)[ii.ravel()] + centre
        y1 = 4 * np.asarray(dst)[kk.ravel()] + centre
        bits, level = braille_lines(x1 - x0, canvas.height, y0, y1, levels.ravel(), scale.levels // 2)
        on = bits > 0
        combo = np.where(on, bits * scale.levels + level, 0)
        uniq, inverse = np.unique(combo, return_inverse=True)
        codes = np.array([canvas.code(chr(0x2800 + b // scale.levels), scale.glyph_style[b % scale.levels])
                          if b else 0 for b in uniq.tolist()], dtype=np.intp)
        cols = min(x1, canvas.width) - x0
        block, on = codes[inverse.reshape(combo.shape)][:, :cols], on[:, :cols]
        region = canvas.codes[:, x0:x0 + cols]
        region[on] = block[on]
