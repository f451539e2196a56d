"""Keyboard names for the characters settings use as keys (Textual binds by key name)."""

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
