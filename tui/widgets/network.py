"""The Playground's network diagram: a column per layer, a thumbnail per neuron, weights in between.

Connections are drawn as Braille dot lines (2x4 dots per cell) coloured by the
weight's sign and brightened by its magnitude; weak ones are dotted. Where two
lines share a cell, the stronger weight picks the colour. In ASCII mode the
gap instead shows, beside each neuron, one ramp glyph per incoming weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.style import Style
from textual.binding import Binding
from textual.events import Click, MouseScrollDown, MouseScrollUp
from textual.message import Message
from textual.strip import Strip

from scenarios.views import Network
from tui import colors
from tui.colors import Palette
from tui.widgets import pixels
from tui.widgets.fieldview import CellCanvas, RasterWidget, elide, level_codes, plain, pixel_rows, placeholder, resample

# Braille dot bits, indexed [dot row 0..3][dot column 0..1].
_BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.intp)


@dataclass
class Layout:
    """Where things go. Each layer is a column of thumbnails; the cursor marks sit in the gaps beside them.

    ``rows`` holds the top row of each visible neuron, ``first`` the index of the first visible one:
    a layer with more neurons than fit shows a page of them (``fit`` at a time) instead of shrinking.
    """

    tw: int  # thumbnail width (cells)
    th: int  # thumbnail height (cells)
    pitch: int  # rows from one neuron to the next
    name_w: int  # columns left of the inputs: their names and the cursor mark
    xs: list[int]  # left x of each layer's thumbnails
    rows: list[list[int]]  # per layer, top row of each visible neuron
    hidden: list[int]  # per layer, how many neurons are not on this page
    first: list[int] | None = None  # per layer, index of the first visible neuron
    fit: int = 0  # neurons a column holds
    tight: bool = False  # thumbnails touch; a blank half-pixel row separates them
    note_row: int | None = None  # the row that says which neurons a paged column shows

    def __post_init__(self):
        if self.first is None:
            self.first = [0] * len(self.rows)

    @property
    def slot_w(self) -> int:
        return self.tw

    @property
    def paged(self) -> bool:
        return any(self.hidden)

    def hit(self, x: int, y: int) -> tuple[int, int] | None:
        for layer, (x0, rows) in enumerate(zip(self.xs, self.rows)):
            if x0 - 1 <= x <= x0 + self.tw:
                for neuron, r in enumerate(rows):
                    if r <= y < r + self.th:
                        return layer, self.first[layer] + neuron
        return None

    def column_at(self, x: int) -> int | None:
        for layer, x0 in enumerate(self.xs):
            if x0 - 1 <= x <= x0 + self.tw:
                return layer
        return None


# Column headers too narrow for "8 leaky_relu" try these before falling back to the neuron count alone.
SHORT_ACTIVATIONS = {"leaky_relu": "lrelu", "gelu_tanh": "gelu~", "softplus": "splus", "sigmoid": "sigm",
                     "linear": "lin"}
THUMB_SIZES = ((8, 4), (6, 3), (4, 2), (2, 1), (1, 1))  # (columns, rows): square in pixels
MIN_THUMB_W = 6  # below 6x3 a thumbnail is a swatch: page through the neurons instead
MIN_GAP = 3
NO_THUMB = Color.from_rgb(80, 80, 80)  # a neuron without a thumbnail, in a picture


def _min_gap(tw: int) -> int:
    return max(MIN_GAP, tw // 2)  # room for the connections (and the cursor marks at their ends)


def compute_layout(view: Network, width: int, height: int, starts=None, ramp: bool = False) -> Layout:
    """Fit the columns into the widget.

    The biggest thumbnails whose columns all fit; failing that 6x3 thumbnails (smaller only when even
    they are too wide for the widget) and a page of each layer that has more neurons than fit.
    ``starts`` maps a layer to the first neuron of its page; ``ramp`` (no half blocks) rules out
    touching thumbnails.
    """
    sizes = list(view.layer_sizes)
    ncol = len(sizes)
    starts = starts or {}
    names = [str(n) for n in view.input_names]
    name_w = (min(8, max((len(n) for n in names), default=0)) + 2) if names else 1
    if name_w > width // 4:  # a narrow pane: the thumbnails need the room more than the names do
        name_w = 1
    nmax = max(sizes, default=0)

    def gap_for(tw: int) -> int:
        return (width - name_w - 1 - ncol * tw) // (ncol - 1) if ncol > 1 else _min_gap(tw)

    wide = [(tw, th) for tw, th in THUMB_SIZES if gap_for(tw) >= _min_gap(tw)] or [THUMB_SIZES[-1]]
    wide = [s for s in wide if s[0] >= min(MIN_THUMB_W, wide[0][0])]  # never shrink to swatches to fit rows
    choice = None
    for tw, th in wide:  # everything on one page, thumbnails apart, or else touching
        if 1 + nmax * (th + 1) - 1 <= height:
            choice = (tw, th, False, False)
            break
        if 1 + nmax * th <= height:
            choice = (tw, th, True, False)
            break
    if choice is None:  # pages: the smallest readable thumbnails show the most neurons per page
        readable = [s for s in wide if s[0] >= MIN_THUMB_W and 2 + s[1] <= height]
        short = [s for s in wide if 2 + s[1] <= height]
        tw, th = readable[-1] if readable else short[0] if short else wide[-1]
        choice = (tw, th, True, True)
    tw, th, tight, paged = choice
    if tight and ramp:  # no half blocks to leave a blank pixel row: one row shorter, a blank row between
        th, tight = max(1, th - 1), False
    th = min(th, max(1, height - 1))
    gap = max(1, min(gap_for(tw), 24)) if ncol > 1 else 0
    total = name_w + ncol * tw + gap * (ncol - 1) + 1
    left = max(0, (width - total) // 2) + name_w
    xs = [left + i * (tw + gap) for i in range(ncol)]

    pitch = th if tight else th + 1
    top = 1
    if paged:
        note_row = height - 1 if height >= th + 2 else None
        avail = (note_row if note_row is not None else height) - top
        fit = max(1, (avail + pitch - th) // pitch)
        if note_row is not None:
            note_row = min(note_row, top + fit * pitch - (pitch - th))  # right under the page
    else:
        note_row = None
        if not tight and 2 + nmax * pitch - 1 <= height:
            top = 2  # a blank row under the headers when there is room
        if not tight and nmax > 1:  # spare rows: spread the neurons, up to one thumbnail apart
            pitch = max(pitch, min(2 * th + 1, (height - top - th) // (nmax - 1)))
        fit = nmax
    rows, hidden, first = [], [], []
    for j, n in enumerate(sizes):
        shown = min(n, fit)
        f = min(max(int(starts.get(j, 0)), 0), n - shown)
        offset = (min(nmax, fit) - shown) * pitch // 2
        rows.append([top + offset + i * pitch for i in range(shown)])
        hidden.append(n - shown)
        first.append(f)
    return Layout(tw, th, pitch, name_w, xs, rows, hidden, first, fit, tight, note_row)


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
        Binding("pageup", "page(-1)", "previous neurons", show=False),
        Binding("pagedown", "page(1)", "next neurons", show=False),
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
        self.cursor: tuple[int, int] = (0, 0)  # (layer, neuron), neuron counted over the whole layer
        self.selected: tuple[int, int] | None = None
        self.diagram_layout: Layout | None = None
        self.starts: dict[int, int] = {}  # layer -> first neuron on its page
        self._subtitle: str | None = None  # the paging hint we put in the border, if any

    def update_network(self, view: Network | None, vrange: tuple[float, float] = (-1.0, 1.0)) -> None:
        self.view, self.vrange = view, vrange
        if view is not None and view.selected is not None:
            self.selected = tuple(view.selected)
            self._show(*self.selected)
        self.invalidate()
        if self.is_mounted and self.size.width and self.size.height:
            self.strips()  # lay out now, so the border's paging hint goes out with this frame

    # -- paging ------------------------------------------------------------------------------
    def _show(self, layer: int, neuron: int) -> None:
        """Turn ``layer``'s page so that ``neuron`` is on it."""
        lay = self.diagram_layout
        fit = lay.fit if lay is not None and lay.fit else 1
        start = self.starts.get(layer, 0)
        if neuron < start:
            start = neuron
        elif neuron >= start + fit:
            start = neuron - fit + 1
        self.starts[layer] = max(0, start)

    def scroll_layer(self, layer: int, delta: int) -> None:
        if self.view is None or not 0 <= layer < len(self.view.layer_sizes):
            return
        lay = self.diagram_layout
        fit = lay.fit if lay is not None and lay.fit else 1
        n = self.view.layer_sizes[layer]
        self.starts[layer] = min(max(self.starts.get(layer, 0) + delta, 0), max(0, n - fit))
        self.invalidate()

    def paging_hint(self, pal: Palette) -> str:
        """What the border says when some neurons are off their page (else "")."""
        lay = self.diagram_layout
        if lay is None or not lay.paged:
            return ""
        keys = "up/down" if pal.ascii else "↑/↓"
        n = sum(lay.hidden)
        room = self.size.width - 4  # what a border's subtitle can hold
        for hint in (f"+{n} more neurons: {keys} when focused, or the wheel", f"+{n} more: {keys} or wheel",
                     f"+{n}: {keys}"):
            if len(hint) <= room:
                return hint
        return f"+{n}"

    def _update_subtitle(self, pal: Palette) -> None:
        hint = self.paging_hint(pal)
        if hint == (self._subtitle or ""):
            return
        if self._subtitle is not None and self.border_subtitle not in (self._subtitle, ""):
            self._subtitle = None  # someone else owns the subtitle now: leave it alone
            return
        self._subtitle = hint or None
        # Usually called while a frame is drawn: set the border after it, so the change is not lost.
        self.call_later(self._set_subtitle, hint)

    def _set_subtitle(self, hint: str) -> None:
        self.border_subtitle = hint
        self.refresh()

    # -- interaction -------------------------------------------------------------------------
    def _size_of(self, layer: int) -> int:
        view = self.view
        return int(view.layer_sizes[layer]) if view is not None and layer < len(view.layer_sizes) else 0

    def action_move(self, dlayer: int, dneuron: int) -> None:
        if self.diagram_layout is None or not self.diagram_layout.rows:
            return
        layer = min(max(self.cursor[0] + dlayer, 0), len(self.diagram_layout.rows) - 1)
        neuron = min(max(self.cursor[1] + dneuron, 0), max(0, self._size_of(layer) - 1))
        self.cursor = (layer, neuron)
        self._show(layer, neuron)
        self.invalidate()

    def action_page(self, direction: int) -> None:
        lay = self.diagram_layout
        if lay is not None:
            self.action_move(0, direction * max(1, lay.fit))

    def action_select(self) -> None:
        if self.diagram_layout is not None and self.cursor[1] < self._size_of(self.cursor[0]):
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

    def _scroll(self, event, delta: int) -> None:
        offset = event.get_content_offset(self)
        lay = self.diagram_layout
        if offset is None or lay is None or not lay.paged:
            return
        layer = lay.column_at(offset.x)
        if layer is not None and lay.hidden[layer]:
            event.stop()
            self.scroll_layer(layer, delta)

    def on_mouse_scroll_down(self, event: MouseScrollDown) -> None:
        self._scroll(event, 1)

    def on_mouse_scroll_up(self, event: MouseScrollUp) -> None:
        self._scroll(event, -1)

    def on_focus(self) -> None:
        self.invalidate()

    def on_blur(self) -> None:
        self.invalidate()

    # -- drawing -----------------------------------------------------------------------------
    def build(self, width: int, height: int, pal: Palette, base: Style) -> list[Strip]:
        view = self.view
        if view is None or not view.layer_sizes or max(view.layer_sizes) == 0:
            self.diagram_layout = None
            self._update_subtitle(pal)
            return placeholder(width, height, self.placeholder, base)
        lay = self.diagram_layout = compute_layout(view, width, height, self.starts, pal.ramp)
        self.starts = {j: f for j, f in enumerate(lay.first) if f}
        canvas = CellCanvas(width, height, base)
        for j in range(len(view.layer_sizes) - 1):
            if j < len(view.weights):
                self._draw_weights(canvas, lay, j, np.asarray(view.weights[j], dtype=np.float64), pal)
        for j in range(len(view.layer_sizes)):
            self._draw_column(canvas, lay, j, pal)
        if self.draws_images(pal):
            for j in range(len(view.layer_sizes)):
                self._picture_column(canvas, lay, j)
        self._update_subtitle(pal)
        return canvas.strips()

    def _picture_column(self, canvas: CellCanvas, lay: Layout, j: int) -> None:
        """--graphics: layer ``j``'s thumbnails as one picture over their column (no text sits in it)."""
        rows, x0 = lay.rows[j], lay.xs[j]
        if not rows or x0 >= canvas.width or rows[0] >= canvas.height:
            return
        top = rows[0]
        box = (x0, top, min(lay.tw, canvas.width - x0), min(rows[-1] + lay.th, canvas.height) - top)
        thumbs = self.view.thumbnails[j] if j < len(self.view.thumbnails) else ()
        shapes = [np.shape(t) for t in thumbs if t is not None and np.ndim(t) == 2]
        th_px, tw_px = max(shapes) if shapes else (0, 0)
        picture = pixels.TiledPicture(box, canvas.base.bgcolor, (tw_px * box[2] // lay.tw, th_px * box[3] // lay.th))
        gap = round(picture.px[1] / 2) if lay.tight and lay.th > 1 else 0  # the seam between touching thumbnails
        scale = pixels.pixel_palette().diverging
        for i, y in enumerate(rows):
            k = lay.first[j] + i
            thumb = np.asarray(thumbs[k], dtype=np.float64) if k < len(thumbs) and thumbs[k] is not None else None
            if thumb is None or thumb.ndim != 2 or thumb.size == 0:
                picture.fill(0, y - top, lay.tw, lay.th, NO_THUMB)
            else:
                picture.tile(0, y - top, lay.tw, lay.th, thumb, self.vrange, scale, smooth=True, gap=gap)
        self.request_tiles(canvas, picture)

    def _header_room(self, lay: Layout) -> int:
        gap = lay.xs[1] - lay.xs[0] - lay.tw if len(lay.xs) > 1 else 2 * lay.name_w
        return max(1, lay.tw + gap - 1)

    def _draw_column(self, canvas: CellCanvas, lay: Layout, j: int, pal: Palette) -> None:
        view, x0, rows, first = self.view, lay.xs[j], lay.rows[j], lay.first[j]
        size = view.layer_sizes[j]
        act = view.activations[j - 1] if 0 < j <= len(view.activations) else ""
        room = self._header_room(lay)
        if j == 0:
            tries = [f"{size} in"]
        else:
            tries = [f"{size} {act}".strip(), f"{size} {SHORT_ACTIVATIONS.get(act, act)}".strip()]
        tries = [plain(t) if pal.ascii else t for t in tries]
        # the first that fits; else the count, rather than a cut word
        header = next((t for t in tries if len(t) <= room), str(size)[:room])
        canvas.text(x0 + (lay.tw - len(header)) // 2, 0, header, Style(bold=True))
        thumbs = view.thumbnails[j] if j < len(view.thumbnails) else []
        focused = self.has_focus
        for i, y in enumerate(rows):
            k = first + i
            thumb = np.asarray(thumbs[k]) if k < len(thumbs) and thumbs[k] is not None else None
            self._draw_thumb(canvas, x0, y, lay, thumb, pal)
            marks = None
            if focused and self.cursor == (j, k):
                marks, style = ("[", "]") if pal.ascii else ("▐", "▌"), Style(bold=True, reverse=False)
            elif self.selected == (j, k):
                marks, style = (">", "<") if pal.ascii else ("▶", "◀"), Style(bold=True)
            if marks:
                mid = y + (lay.th - 1) // 2
                canvas.text(x0 - 1, mid, marks[0], style)
                canvas.text(x0 + lay.tw, mid, marks[1], style)
            if j == 0 and k < len(view.input_names) and lay.name_w > 1:
                name = elide(str(view.input_names[k]), lay.name_w - 2, pal.ascii)
                canvas.text(x0 - 1 - len(name), y + (lay.th - 1) // 2, name, Style(dim=False))
        if lay.hidden[j]:
            note = f"{first + 1}-{first + len(rows)}/{size}" if rows else f"+{lay.hidden[j]}"
            room = self._header_room(lay)
            note = note if len(note) <= room else f"+{lay.hidden[j]}" if len(f"+{lay.hidden[j]}") <= room else ""
            y = lay.note_row if lay.note_row is not None else canvas.height - 1
            canvas.text(x0 + (lay.tw - len(note)) // 2, y, note, Style(dim=True))

    def _draw_thumb(self, canvas: CellCanvas, x: int, y: int, lay: Layout, thumb, pal: Palette) -> None:
        if thumb is None or thumb.ndim != 2 or thumb.size == 0:
            glyph = "#" if pal.ascii else "▒"
            canvas.paint(x, y, np.full((lay.th, lay.tw), canvas.code(glyph, Style(dim=True))))
            return
        scale = pal.diverging
        if lay.tight and not pal.ramp and lay.th > 1:  # the last pixel row stays blank: a gap between neighbours
            levels = colors.quantize(resample(thumb, 2 * lay.th - 1, lay.tw), self.vrange, scale.levels)
            codes = np.empty((lay.th, lay.tw), dtype=np.intp)
            codes[:-1] = level_codes(canvas, levels[:-1], scale, pal)
            codes[-1] = [canvas.code(pal.block, Style(color=scale.colors[lv])) for lv in levels[-1].tolist()]
            canvas.paint(x, y, codes)
            return
        levels = colors.quantize(resample(thumb, pixel_rows(lay.th, pal), lay.tw), self.vrange, scale.levels)
        canvas.paint(x, y, level_codes(canvas, levels, scale, pal))

    def _draw_weights(self, canvas: CellCanvas, lay: Layout, j: int, w: np.ndarray, pal: Palette) -> None:
        src, dst = lay.rows[j], lay.rows[j + 1]
        if w.ndim != 2 or not src or not dst:
            return
        fs, fd = lay.first[j], lay.first[j + 1]
        w = w[fs:fs + len(src), fd:fd + len(dst)]
        if w.shape != (len(src), len(dst)):
            return
        scale = pal.lines
        levels = colors.quantize(w, colors.symmetric_range(w), scale.levels)
        x0 = lay.xs[j] + lay.tw
        x1 = lay.xs[j + 1]  # exclusive
        if x1 <= x0 or x0 >= canvas.width:
            return
        if pal.ramp:
            for k, y in enumerate(dst):
                marks = "".join(scale.glyphs[lv] for lv in levels[:, k])[: max(0, x1 - x0 - 2)]
                for i, ch in enumerate(marks):  # one blank column between the marks and the thumbnail
                    canvas.text(x1 - 1 - len(marks) + i, y + (lay.th - 1) // 2,
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
