"""Colours and glyphs shared by every drawing widget.

Values are quantised to a few levels so that a heatmap row collapses into a
handful of runs and every Style is built once, not per cell. The colour depth
is decided once from the environment (Textual pops ``NO_COLOR`` when the App
starts, so this module reads it at import time) and can be overridden with
:func:`configure`, e.g. for ``--ascii``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from enum import Enum

import numpy as np
from rich.color import Color, ColorSystem
from rich.style import Style

NEGATIVE = "#f59322"  # TensorFlow Playground's orange
MIDDLE = "#e8eaeb"
POSITIVE = "#0877bd"  # and its blue
LINE_DIM = "#4e5257"  # weak connections fade into a dark background, not to white

LEVELS = 21  # diverging levels, odd so that 0 has its own level
GRAY_LEVELS = 16

# ASCII glyphs, weak -> strong: minus-like below zero, plus-like above, none of them so dense
# that a filled region turns into a wall hiding the X/O point markers.
NEG_RAMP = ".-="
POS_RAMP = ":+*"
GRAY_RAMP = " .:-=+*#%@"

CLASS_COLORS = (  # class ids 0..9: Playground orange and blue first
    NEGATIVE, POSITIVE, "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
CLASS_ANSI = (9, 12, 2, 1, 13, 3, 5, 8, 10, 6)  # the same classes in 16 colours (readable on white and black)
CLASS_GLYPHS = "xovsdzkhmw"  # ASCII markers: the class must survive NO_COLOR (upper: train, lower: test)
THIRD = CLASS_COLORS[2]  # a three-class field's middle class: green, never the undecided grey
THIRD_HEAT = "#8fcf8f"  # its region in the heatmap, as light as the other classes' confident tints
THIRD_GLYPH = "~"  # its region in ramp mode (the others use NEG_RAMP / POS_RAMP)
OUTLINE_TRAIN = "#ffffff"  # the Playground outlines train points in white...
OUTLINE_TEST = "#000000"  # ...and test points in black
# The optimizer race, per racer (engine.optimizers.NAMES order): truecolour, 16-colour ANSI, ASCII letter.
# Its path and disc on the map, its legend entry and its loss curve all take them from here.
RACERS = {
    "sgd": ("#e41a1c", 9, "s"),
    "momentum": ("#00b300", 10, "m"),
    "nesterov": ("#a020f0", 13, "n"),
    "adam": ("#00e5ff", 14, "a"),
    "rmsprop": ("#ff33cc", 5, "r"),
    "adagrad": ("#8c510a", 3, "g"),
    "adadelta": ("#ffd400", 11, "d"),
}
UNKNOWN_RACER = ("#ffffff", 15)
HALO_TRAIN, HALO_TEST = 0.7, 0.75  # how far a point's cell moves from the heatmap towards its outline colour


class ColorMode(Enum):
    TRUECOLOR = "truecolor"
    EIGHT_BIT = "256"
    STANDARD = "16"
    NONE = "none"


_SIXTEEN_TERMS = ("xterm", "linux", "vt100", "vt220", "ansi", "screen", "rxvt", "cygwin", "xterm-color")


def detect_mode(environ: Mapping[str, str] | None = None) -> ColorMode:
    """Guess the colour depth; unknown terminals (and SSH sessions, which drop COLORTERM) get 256."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return ColorMode.NONE
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return ColorMode.TRUECOLOR
    term = env.get("TERM", "").lower()
    if term.endswith("256color") or term.endswith("-256"):
        return ColorMode.EIGHT_BIT
    if term == "dumb":
        return ColorMode.NONE
    if term in _SIXTEEN_TERMS:
        return ColorMode.STANDARD
    return ColorMode.EIGHT_BIT


def _mix(a: str, b: str, t: float) -> Color:
    ca, cb = Color.parse(a).get_truecolor(), Color.parse(b).get_truecolor()
    return Color.from_rgb(*(round(x + (y - x) * t) for x, y in zip(ca, cb)))


def _for_mode(rgb: Color, ansi: int, mode: ColorMode) -> Color | None:
    """The colour as the terminal will get it: exact, nearest xterm-256, or a chosen ANSI number."""
    if mode is ColorMode.TRUECOLOR:
        return rgb
    if mode is ColorMode.EIGHT_BIT:
        return rgb.downgrade(ColorSystem.EIGHT_BIT)
    if mode is ColorMode.STANDARD:
        return Color.from_ansi(ansi)
    return None


def _diverging_rgb(levels: int, low: str, mid: str, high: str) -> list[Color]:
    t = np.linspace(-1.0, 1.0, levels)
    return [_mix(mid, low, -x) if x < 0 else _mix(mid, high, x) for x in t]


def _diverging_ansi(levels: int, middle: int) -> list[int]:
    """16 colours: yellow / bright yellow below zero, blue / bright blue above, so the boundary reads."""
    half = levels // 2
    out = []
    for i in range(levels):
        d = (i - half) / half
        if abs(d) < 0.1:
            out.append(middle)
        elif d < 0:
            out.append(11 if d <= -0.45 else 3)
        else:
            out.append(12 if d >= 0.45 else 4)
    return out


def _diverging_glyphs(levels: int) -> str:
    half = levels // 2
    out = []
    for i in range(levels):
        d = i - half
        if d == 0:
            out.append(" ")
        else:
            ramp = NEG_RAMP if d < 0 else POS_RAMP
            out.append(ramp[int(np.ceil(abs(d) / half * len(ramp))) - 1])
    return "".join(out)


class Scale:
    """Per-level colours plus every Style a widget needs, precomputed.

    ``pair[u][l]`` is the half-block style (fg = upper pixel, bg = lower pixel);
    ``glyph_style[i]`` colours a ramp glyph.
    """

    def __init__(self, colors: Sequence[Color | None], glyphs: str):
        self.levels = len(colors)
        self.colors = tuple(colors)
        self.glyphs = glyphs
        self.glyph_style = tuple(Style(color=c) for c in colors)
        self.pair = tuple(tuple(Style(color=u, bgcolor=lo) for lo in colors) for u in colors)
        self.pair_flat = tuple(s for row in self.pair for s in row)  # index upper * levels + lower


class Palette:
    """Everything colour-related for one (mode, ascii) choice."""

    def __init__(self, mode: ColorMode, ascii: bool = False, levels: int = LEVELS):
        self.mode, self.ascii = mode, ascii
        # Ramp drawing (one glyph per cell) when block characters or colours are unavailable.
        self.ramp = ascii or mode is ColorMode.NONE
        self.block = "#" if ascii else "▀"
        c = lambda rgb, ansi: _for_mode(rgb, ansi, mode)  # noqa: E731
        rgb_div = _diverging_rgb(levels, NEGATIVE, MIDDLE, POSITIVE)
        glyphs = _diverging_glyphs(levels)
        self.diverging = Scale([c(x, a) for x, a in zip(rgb_div, _diverging_ansi(levels, 0))], glyphs)
        rgb = _diverging_rgb(levels, NEGATIVE, LINE_DIM, POSITIVE)
        self.lines = Scale([c(x, a) for x, a in zip(rgb, _diverging_ansi(levels, 8))], glyphs)
        grays = [_mix("#000000", "#ffffff", t) for t in np.linspace(0, 1, GRAY_LEVELS)]
        gray_ansi = [(0, 8, 7, 15)[min(3, i * 4 // GRAY_LEVELS)] for i in range(GRAY_LEVELS)]
        gray_glyphs = "".join(GRAY_RAMP[i * len(GRAY_RAMP) // GRAY_LEVELS] for i in range(GRAY_LEVELS))
        self.gray = Scale([c(x, a) for x, a in zip(grays, gray_ansi)], gray_glyphs)
        # Points are drawn in full colour on a white or black cell (the outline), so they read on any region.
        self.classes = tuple(_for_mode(Color.parse(h), a, mode) for h, a in zip(CLASS_COLORS, CLASS_ANSI))
        half = levels // 2
        self.point_levels = tuple(  # continuous labels (regression) on the same scale, grey in the middle
            _for_mode(x if i != half else Color.parse("#7f7f7f"), 9 if i < half else 12 if i > half else 8, mode)
            for i, x in enumerate(rgb_div)
        )
        # Three classes (Field.classes == 3): the diverging scale with its undecided middle turned green.
        three = list(self.diverging.colors)
        three[half] = c(Color.parse(THIRD_HEAT), 10)
        glyphs3 = glyphs[:half] + THIRD_GLYPH + glyphs[half + 1:]
        self.three = Scale(three, glyphs3)
        # Points: their class colour on a white (train) or black (test) cell, so they stand out on any region.
        self.outline_train = c(Color.parse(OUTLINE_TRAIN), 15)
        self.outline_test = c(Color.parse(OUTLINE_TEST), 0)
        self._halos: dict = {}
        self.racers = {n: c(Color.parse(h), a) for n, (h, a, _) in RACERS.items()}
        self._unknown_racer = c(Color.parse(UNKNOWN_RACER[0]), UNKNOWN_RACER[1])
        self.ok = Style(color=c(Color.parse("#3fb950"), 10), bold=True)
        self.bad = Style(color=c(Color.parse("#f85149"), 9), bold=True)
        self.text = Style()

    def racer_color(self, name: str) -> Color | None:
        """A racer's colour in this terminal's depth (None without colour): the map and the loss plot use it."""
        return self.racers.get(name, self._unknown_racer)

    def point_style(self, color: Color | None, background: Color | None) -> Style:
        return Style(color=color, bgcolor=background, bold=True)

    def halo(self, under: Color | None, test: bool) -> Color | None:
        """A point's cell background: the heatmap colour under it pulled towards white (train) or black (test).

        In 256 colours a near-black or near-white grey; in 16 (and with no colour) plain white or black.
        """
        outline = self.outline_test if test else self.outline_train
        if under is None or self.mode in (ColorMode.STANDARD, ColorMode.NONE):
            return outline
        if self.mode is ColorMode.EIGHT_BIT:  # mixed tints land on odd xterm colours (navy, olive): use greys
            return Color.from_ansi(236 if test else 255)
        key = (under, test)
        hit = self._halos.get(key)
        if hit is None:
            a = under.get_truecolor()
            b = (0, 0, 0) if test else (255, 255, 255)
            t = HALO_TEST if test else HALO_TRAIN
            mixed = Color.from_rgb(*(round(x + (y - x) * t) for x, y in zip(a, b)))
            hit = self._halos[key] = _for_mode(mixed, 0, self.mode)
        return hit


def racer_letter(name: str) -> str:
    """A racer's ASCII letter (its path on the map, its marker in the loss plot; upper case: its position)."""
    return RACERS[name][2] if name in RACERS else name[:1]


def normalize(values: np.ndarray, vrange: tuple[float, float]) -> np.ndarray:
    """Map ``vrange`` onto 0..1 (clipped; NaN lands in the middle so a diverged model draws neutral)."""
    lo, hi = float(vrange[0]), float(vrange[1])
    span = hi - lo if hi != lo else 1.0
    t = (np.asarray(values, dtype=np.float64) - lo) / span
    return np.clip(np.nan_to_num(t, nan=0.5, posinf=1.0, neginf=0.0), 0.0, 1.0)


def quantize(values: np.ndarray, vrange: tuple[float, float] = (-1.0, 1.0), levels: int = LEVELS,
             discretize: bool = False) -> np.ndarray:
    """Level index per value (0 = low end); ``discretize`` keeps only which side of the middle."""
    t = normalize(values, vrange)
    if discretize:
        return np.where(t >= 0.5, levels - 1, 0).astype(np.intp)
    return np.rint(t * (levels - 1)).astype(np.intp)


def symmetric_range(values: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m = max|v| over the finite values, for diverging weight plots."""
    a = np.asarray(values, dtype=np.float64)
    finite = a[np.isfinite(a)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    return (-m, m) if m > 0 else (-1.0, 1.0)


_current = Palette(detect_mode())


def configure(mode: ColorMode | None = None, ascii: bool | None = None) -> Palette:
    """Set the app-wide colour mode and ASCII flag (once at start-up; tests use it to switch)."""
    global _current
    _current = Palette(mode or _current.mode, _current.ascii if ascii is None else ascii)
    return _current


def current() -> Palette:
    return _current


def use_ascii() -> bool:
    return _current.ascii
