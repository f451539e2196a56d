"""Keyboard names for the characters settings use as keys (Textual binds by key name)."""

import unicodedata

_NAMES = {
    "+": "plus", "-": "minus", ">": "greater_than_sign", "<": "less_than_sign",
    "{": "left_curly_bracket", "}": "right_curly_bracket", "[": "left_square_bracket",
    "]": "right_square_bracket", "?": "question_mark", ".": "full_stop", " ": "space",
    "=": "equals_sign", ",": "comma", "/": "slash", "%": "percent_sign",
}


def key_name(char: str) -> str:
    return _NAMES.get(char, char)


def display(key: str) -> str:
    """How the help screen and settings panel show a key: the character, not Textual's name for it."""
    return {" ": "space", "question_mark": "?"}.get(key, key)


# -- Textual's key names, complete --------------------------------------------------
# Every printable ASCII character that is not a letter or digit, named as Textual
# names it (textual.keys._character_to_key: the Unicode name in lower case with
# underscores, a few shortened); _NAMES above is the part of it settings use.

_SHORTER = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
            "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}


def _textual_name(char: str) -> str:
    name = unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")
    return _SHORTER.get(name, name)


NAME_OF_CHAR: dict[str, str] = {c: _textual_name(c) for c in map(chr, range(32, 127)) if not c.isalnum()}
CHAR_OF_NAME: dict[str, str] = {n: c for c, n in NAME_OF_CHAR.items()}
# Keys that are no character, by Textual's names; and the modifiers a key name may carry (ctrl+p).
NAMED_KEYS = frozenset({"enter", "space", "tab", "escape", "backspace", "delete", "insert", "up", "down", "left",
                        "right", "pageup", "pagedown", "home", "end"} | {f"f{i}" for i in range(1, 25)})
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
