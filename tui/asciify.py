"""``--ascii``: whatever a widget or a scenario's text draws reaches the terminal as ASCII.

A Textual line filter, so no drawing code needs its own fallback for every
glyph: each non-ASCII character becomes one ASCII character of the same width
(a stand-in that keeps its meaning where there is one, ``?`` otherwise).
"""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from textual.filter import LineFilter

_ONE = {
    "×": "x", "→": ">", "←": "<", "↑": "^", "↓": "v", "…": "~", "·": ".", "•": "o", "●": "o", "○": "o",
    "✕": "x", "✗": "x", "✓": "v", "▶": ">", "◀": "<", "❚": "|", "σ": "s", "²": "2", "–": "-", "—": "-",
    "│": "|", "─": "-", "┃": "|", "━": "-", "▏": "|", "▕": "|", "▔": "-", "▁": "_", "█": "#", "▀": "^", "▄": "_",
    "▌": "|", "▐": "|", "░": ".", "▒": ":", "▓": "#", "■": "#", "□": "o", "±": "+", "≥": ">", "≤": "<", "≈": "~",
    "∞": "8", "µ": "u", "°": "o", "“": '"', "”": '"', "‘": "'", "’": "'", "╭": "+", "╮": "+", "╰": "+", "╯": "+",
}


@lru_cache(4096)
def to_ascii(text: str) -> str:
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif "\u2800" <= ch <= "\u28ff":  # Braille dots: a dot if any is set
            out.append("." if ch != "\u2800" else " ")
        else:
            out.append(_ONE.get(ch, "?"))
    return "".join(out)


class AsciiFilter(LineFilter):
    def apply(self, segments: list[Segment], background) -> list[Segment]:
        return [Segment(to_ascii(s.text), s.style, s.control) if not s.text.isascii() else s for s in segments]
