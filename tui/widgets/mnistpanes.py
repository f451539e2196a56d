"""Panes for the mnist scenario: test digits, first-layer filters, activations, and a canvas to draw on.

Each pane draws its typed view (``scenarios/views.py``) through ``update_view``. Two need the app:

* ``DigitsPane`` posts ``DigitsPane.DigitSelected(index)`` when a digit is
  clicked; the app answers with ``run.select_digit(index)`` and a fresh snapshot.
* ``DrawPane`` needs predictions for the drawing. Either set ``pane.predict``
  to a callable ``image (28, 28) 0..1 -> probabilities (10,)`` (e.g. one that
  takes the app's lock and calls ``run.predict_image``), or leave it ``None``
  and handle the ``DrawPane.Predict`` message it posts, replying with
  ``message.pane.show_prediction(run.predict_image(message.image))``. It asks
  again whenever the drawing changes and, while there is ink, when training
  has moved on (at most every ``REPREDICT_S`` seconds).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from scenarios.views import Activations, Digits, Drawing, Images, Status
from tui import colors
from tui.widgets.canvas import DrawCanvas
from tui.widgets.images import ImageGrid, ImageItem, as_image, choose_tiling

REPREDICT_S = 0.25
GAP = 0.25  # grey between the maps of a mosaic, so separate channels read as tiles
DIM = Style(dim=True)


BARS = "▁▂▃▄▅▆▇█"
ASCII_BARS = " .:-=+*#%@"


def prob_strip(probs, label: int | None = None) -> Text:
    """Two lines: the digits 0-9, and under each a bar glyph for its probability.

    The top class is green, or red when a known ``label`` says it is wrong; the label is underlined.
    """
    pal = colors.current()
    probs = np.nan_to_num(np.asarray(probs, dtype=np.float64))
    ramp = ASCII_BARS if colors.use_ascii() else BARS
    top = int(np.argmax(probs))
    top_style = pal.bad if label is not None and top != label else pal.ok
    t = Text()
    for d in range(len(probs)):
        style = top_style if d == top else pal.text
        t.append(str(d), style=style + Style(underline=d == label))
        t.append(" ")
    t.append("\n")
    for d, p in enumerate(probs):
        glyph = ramp[min(len(ramp) - 1, int(p * len(ramp)))] if p >= 0.005 else " "
        t.append(glyph, style=top_style if d == top else DIM)
        t.append(" ")
    return t


def top_line(probs) -> str:
    """``7 93% · 1 4% · 2 1%``: the three likeliest digits."""
    probs = np.asarray(probs, dtype=np.float64)
    return " · ".join(f"{k} {probs[k]:.0%}" for k in np.argsort(-probs)[:3])


def mosaic(maps: np.ndarray, gap: float = GAP) -> np.ndarray:
    """(C, H, W) maps tiled into a near-square 2D image, scaled to 0..1 by their common maximum."""
    maps = np.asarray(maps, dtype=np.float64)
    c, h, w = maps.shape
    top = float(np.nanmax(np.abs(maps))) if maps.size else 0.0
    maps = maps / top if top > 0 else maps
    cols = math.ceil(math.sqrt(c))
    rows = math.ceil(c / cols)
    sep = 1 if c > 1 else 0
    out = np.full((rows * (h + sep) - sep, cols * (w + sep) - sep), gap)
    for k in range(c):
        r, q = divmod(k, cols)
        out[r * (h + sep) : r * (h + sep) + h, q * (w + sep) : q * (w + sep) + w] = maps[k]
    return out


def vector_image(v: np.ndarray) -> np.ndarray:
    """A vector of activations as a square image (padding shown grey), scaled to 0..1."""
    v = np.asarray(v, dtype=np.float64).ravel()
    side = math.ceil(math.sqrt(v.size)) or 1
    top = float(np.nanmax(np.abs(v))) if v.size else 0.0
    img = np.full(side * side, GAP)
    img[: v.size] = v / top if top > 0 else v
    return img.reshape(side, side)


class DigitGrid(ImageGrid):
    """The test-digit grid; a click on a digit posts ``DigitsPane.DigitSelected``."""

    def on_click(self, event: events.Click) -> None:
        if not self.items:
            return
        shape = as_image(self.items[0].image).shape
        caption_w = max(len(it.caption) for it in self.items)
        t = choose_tiling(len(self.items), shape, caption_w, self.size.width, self.size.height)
        gx, gy = event.x // (t.col_w + 1), event.y // t.tile_h
        index = gy * t.cols + gx
        if gx < t.cols and 0 <= index < len(self.items):
            self.post_message(DigitsPane.DigitSelected(index))


class DigitsPane(Vertical):
    """Test digits with true label and top-3 predictions; which data is in use, loudly when it is the subset."""

    DEFAULT_CSS = """
    DigitsPane > .mnist-head { height: auto; }
    """

    class DigitSelected(Message):
        def __init__(self, index: int):
            super().__init__()
            self.index = index

    def compose(self) -> ComposeResult:
        yield Static("", classes="mnist-head")
        yield DigitGrid(placeholder="no digits yet")

    def update_view(self, view: Digits | None, status: Status) -> None:
        if view is None:
            return
        head = Text()
        note = view.note
        if view.source == "subset":
            head.append("SUBSET ", style="bold black on yellow")
            head.append(note + "\n", style="bold yellow")
        elif note:
            head.append(note + "\n", style="dim")
        ms = view.ms_per_example
        if status.steps_per_sec <= 0:  # stepped by hand (tests, playback): no live timing to show
            speed = "paused" if status.step else "not trained yet"
        else:
            speed = f"{ms:.3f} ms/example" if math.isfinite(ms) else "measuring"
        head.append(f"true: top-3 predicted (green right, red wrong) · {speed} · click or [ ] selects", style="dim")
        self.query_one(".mnist-head", Static).update(head)
        items = []
        for d in view.digits:
            a, b, c = (k for k, _ in d.top)
            mark = ">" if d.selected else ""
            items.append(ImageItem(d.image, f"{mark}{d.label}: {a} {b} {c}", ok=d.correct))
        self.query_one(DigitGrid).update_images(items)


class FiltersPane(Vertical):
    """First-layer weights as 28×28 images (MLP) or the first conv layer's filters (CNN): orange <0, blue >0."""

    DEFAULT_CSS = """
    FiltersPane > Static { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("")
        yield ImageGrid(placeholder="no weights yet")

    def update_view(self, view: Images | None, status: Status) -> None:
        if view is None:
            return
        self.query_one(Static).update(Text(view.title, style="dim"))
        items = [ImageItem(img, title, diverging=view.diverging) for title, img in view.images]
        self.query_one(ImageGrid).update_images(items)


class ActivationsPane(Vertical):
    """What each layer makes of the selected digit: feature maps as mosaics, dense layers as squares, then the probabilities."""

    DEFAULT_CSS = """
    ActivationsPane > .mnist-head { height: auto; }
    ActivationsPane > .mnist-probs { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", classes="mnist-head")
        yield Static("", classes="mnist-probs")
        yield ImageGrid(placeholder="no activations yet")

    def update_view(self, view: Activations | None, status: Status) -> None:
        if view is None:
            return
        sel, probs = view.digit, np.asarray(view.probs)
        top = int(np.argmax(probs))
        head = Text(f"test digit {sel.index + 1}, a {sel.label}: {top_line(probs)}",
                    style=colors.current().ok if top == sel.label else colors.current().bad)
        head.append("  ([ ] another)", style="dim")
        self.query_one(".mnist-head", Static).update(head)
        items = []
        for layer in view.layers:
            if layer.kind == "maps":
                items.append(ImageItem(mosaic(layer.data), layer.name))
            elif layer.kind == "vector":
                items.append(ImageItem(vector_image(layer.data), layer.name))
        self.query_one(ImageGrid).update_images(items)
        self.query_one(".mnist-probs", Static).update(prob_strip(probs, sel.label))


class DrawPane(Vertical):
    """Draw a digit (mouse: left paints, right erases; keys: arrows, space, x, c) and watch the prediction."""

    DEFAULT_CSS = """
    DrawPane > .mnist-bars { height: auto; }
    DrawPane > .mnist-hint { height: auto; }
    """

    class Predict(Message):
        """Please call ``pane.show_prediction(run.predict_image(image))``."""

        def __init__(self, pane: DrawPane, image: np.ndarray):
            super().__init__()
            self.pane, self.image = pane, image

    def __init__(self, *args, predict: Callable[[np.ndarray], np.ndarray] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.predict = predict
        self.probs: np.ndarray | None = None
        self._step = -1
        self._asked = 0.0

    def compose(self) -> ComposeResult:
        yield Static("", classes="mnist-bars")
        yield DrawCanvas()
        yield Static(Text("mouse: left draws, right erases · or Tab here: arrows, space paints, x erases, c clears, Esc leaves", style="dim"),
                     classes="mnist-hint")

    def on_mount(self) -> None:
        self.show_prediction(None)

    def on_draw_canvas_changed(self, message: DrawCanvas.Changed) -> None:
        message.stop()
        self.request(message.image)

    def request(self, image: np.ndarray) -> None:
        self._asked = time.monotonic()
        if not np.any(image > 0):
            self.show_prediction(None)
        elif self.predict is not None:
            self.show_prediction(self.predict(image))
        else:
            self.post_message(self.Predict(self, image))

    def show_prediction(self, probs) -> None:
        self.probs = None if probs is None else np.asarray(probs, dtype=np.float64)
        bars = self.query_one(".mnist-bars", Static)
        if self.probs is None:
            bars.update(Text("draw a digit below\n\n", style="dim"))
            return
        top = int(np.argmax(self.probs))
        t = Text(f"looks like a {top}: {top_line(self.probs)}\n", style="bold")
        t.append_text(prob_strip(self.probs))
        bars.update(t)

    def update_view(self, view: Drawing | None, status: Status) -> None:
        """The model moved on: ask again for a drawing that has ink, not too often."""
        if view is None or view.step == self._step:
            return
        self._step = view.step
        image = self.query_one(DrawCanvas).image
        if np.any(image > 0) and time.monotonic() - self._asked >= REPREDICT_S:
            self.request(image)


PANES = {"digits": DigitsPane, "filters": FiltersPane, "activations": ActivationsPane, "draw": DrawPane}
