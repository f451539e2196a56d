"""Reading the user's text files (presets, tapes, CSV points) with one-line errors."""

from __future__ import annotations

from os import PathLike, fspath

from .errors import NNPlayError


def read_text(path: str | PathLike, kind: str, error: type[NNPlayError], name: str | None = None) -> str:
    """The file's text (UTF-8, a BOM allowed), or ``error`` saying in one line why not.

    ``kind`` names the file in the "no such ..." message ("preset file", "tape", "file").
    """
    name = name or fspath(path)
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except FileNotFoundError:
        raise error(f"{name}: no such {kind}") from None
    except IsADirectoryError:
        raise error(f"{name}: is a directory, not a {kind}") from None
    except UnicodeDecodeError:
        raise error(f"{name}: not a text file (cannot decode it as UTF-8)") from None
    except OSError as exc:
        raise error(f"{name}: cannot read it ({exc.strerror or exc})") from None
