"""Colour-mode detection and quantisation."""

import numpy as np
import pytest
from rich.color import Color, ColorType

from tui import colors
from tui.colors import ColorMode, Palette, detect_mode, quantize


@pytest.fixture(autouse=True)
def _restore_palette(monkeypatch):
    monkeypatch.setattr(colors, "_current", colors.current())


@pytest.mark.parametrize(
    "env, mode",
    [
        ({"COLORTERM": "truecolor", "TERM": "xterm-256color"}, ColorMode.TRUECOLOR),
        ({"COLORTERM": "24bit", "TERM": "xterm"}, ColorMode.TRUECOLOR),
        ({"COLORTERM": "yes", "TERM": "xterm-256color"}, ColorMode.EIGHT_BIT),
        ({"TERM": "screen-256color"}, ColorMode.EIGHT_BIT),
        ({"TERM": "xterm"}, ColorMode.STANDARD),
        ({"TERM": "linux"}, ColorMode.STANDARD),
        ({"TERM": "dumb"}, ColorMode.NONE),
        ({"SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22"}, ColorMode.EIGHT_BIT),
        ({"NO_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm-256color"}, ColorMode.NONE),
        ({"NO_COLOR": "", "TERM": "xterm"}, ColorMode.STANDARD),  # NO_COLOR counts only when non-empty
    ],
)
def test_detect_mode(env, mode):
    assert detect_mode(env) is mode


def test_quantize_is_monotonic_and_spans_all_levels():
    v = np.linspace(-1.5, 1.5, 1001)
    q = quantize(v, (-1, 1), 21)
    assert np.all(np.diff(q) >= 0)
    assert q[0] == 0 and q[-1] == 20
    assert set(q.tolist()) == set(range(21))
    assert quantize(np.array([0.0, np.nan]), (-1, 1), 21).tolist() == [10, 10]


def test_quantize_respects_vrange_and_discretize():
    assert quantize(np.array([0.0, 0.5, 1.0]), (0, 1), 11).tolist() == [0, 5, 10]
    q = quantize(np.linspace(-1, 1, 50), (-1, 1), 21, discretize=True)
    assert set(q.tolist()) == {0, 20}


def test_truecolor_palette_ends_are_the_playground_colours():
    div = Palette(ColorMode.TRUECOLOR).diverging
    assert div.colors[0] == Color.parse(colors.NEGATIVE)
    assert div.colors[-1] == Color.parse(colors.POSITIVE)
    assert div.colors[div.levels // 2] == Color.parse(colors.MIDDLE)
    assert div.pair[0][-1].color == div.colors[0] and div.pair[0][-1].bgcolor == div.colors[-1]


def test_256_colour_palette_uses_nearest_xterm_colours():
    div = Palette(ColorMode.EIGHT_BIT).diverging
    assert all(c.type is ColorType.EIGHT_BIT for c in div.colors)
    assert div.colors[0].number == Color.parse(colors.NEGATIVE).downgrade(colors.ColorSystem.EIGHT_BIT).number


def test_16_colour_palette_keeps_the_sign_boundary_readable():
    div = Palette(ColorMode.STANDARD).diverging
    half = div.levels // 2
    neg = {c.number for c in div.colors[:half - 1]}
    pos = {c.number for c in div.colors[half + 2:]}
    assert neg and pos and not neg & pos
    assert div.colors[half].number == 0
    assert len(neg) >= 2 and len(pos) >= 2  # a few brightness levels per side


def test_no_colour_and_ascii_use_ramp_glyphs():
    none = Palette(ColorMode.NONE)
    assert none.ramp and all(c is None for c in none.diverging.colors)
    asc = Palette(ColorMode.TRUECOLOR, ascii=True)
    assert asc.ramp and asc.block.isascii()
    glyphs = asc.diverging.glyphs
    half = len(glyphs) // 2
    assert glyphs.isascii() and glyphs[half] == " "
    assert not set(glyphs[:half]) & set(glyphs[half + 1:])  # the two signs never share a glyph


def test_configure_switches_the_app_wide_flags():
    colors.configure(mode=ColorMode.STANDARD, ascii=True)
    assert colors.use_ascii() and colors.current().mode is ColorMode.STANDARD
    colors.configure(ascii=False)
    assert not colors.use_ascii() and colors.current().mode is ColorMode.STANDARD


@pytest.mark.parametrize("mode", [ColorMode.TRUECOLOR, ColorMode.EIGHT_BIT, ColorMode.STANDARD])
def test_third_class_is_not_the_undecided_grey(mode):
    pal = Palette(mode)
    half = pal.diverging.levels // 2
    middle = pal.three.colors[half]
    assert middle != pal.diverging.colors[half]  # the heatmap's third-class region
    assert middle not in (pal.three.colors[0], pal.three.colors[-1])
    first3 = pal.classes[:3]
    assert len(set(first3)) == 3 and pal.point_levels[half] not in first3  # points: three hues, none grey
    assert pal.three.colors[:half] == pal.diverging.colors[:half]  # the two outer classes as before


@pytest.mark.parametrize("mode", [ColorMode.TRUECOLOR, ColorMode.EIGHT_BIT, ColorMode.STANDARD])
def test_point_halo_is_lighter_for_train_and_darker_for_test(mode):
    pal = Palette(mode)

    def brightness(c):
        return sum(c.get_truecolor())

    for under in (pal.diverging.colors[0], pal.diverging.colors[len(pal.diverging.colors) // 2],
                  pal.diverging.colors[-1]):
        train, test = pal.halo(under, False), pal.halo(under, True)
        assert brightness(train) >= brightness(under) >= brightness(test)
        assert brightness(train) - brightness(test) > 300  # train and test points never look alike


def test_class_glyphs_are_distinct_letters_with_a_case_for_train_and_test():
    glyphs = colors.CLASS_GLYPHS
    assert len(set(glyphs)) == len(glyphs) and glyphs.isascii() and glyphs.isalpha()
    assert all(g.upper() != g.lower() for g in glyphs)
    asc = Palette(ColorMode.NONE, ascii=True)
    assert colors.THIRD_GLYPH in asc.three.glyphs and colors.THIRD_GLYPH not in asc.diverging.glyphs
