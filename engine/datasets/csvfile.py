"""Points from a user's CSV file: ``x,y`` rows for 1D regression or ``x1,x2,label`` rows for the plane.

Fields may be separated by commas, semicolons, tabs or spaces; blank lines and
``#`` comments are skipped; the first line may be a header of names. Every
problem is reported as ``file:line: what is wrong`` so it can be fixed in an editor.
"""

from __future__ import annotations

import math
import re
from os import PathLike

import numpy as np

from ..errors import DataError
from ..textfile import read_text

_SEP = re.compile(r"[\s,;]+")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def load_points(path: str | PathLike) -> tuple[np.ndarray, np.ndarray]:
    """``(x float32 (n, 1) or (n, 2), y float32 (n,))``; DataError naming file and line on bad input."""
    name = str(path)
    rows: list[list[float]] = []
    width = first = None  # column count and the line that set it (data row or header)
    for lineno, line in enumerate(read_text(path, "file", DataError, name).splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = _SEP.split(line.strip(",; \t"))
        values = [_number(f) for f in fields]
        if width is None and all(v is None for v in values):  # a header of column names
            if len(fields) not in (2, 3):
                raise DataError(
                    f"{name}:{lineno}: header has {len(fields)} columns, expected 2 (x,y) or 3 (x1,x2,label)"
                )
            width, first = len(fields), lineno
            continue
        bad = next((f for f, v in zip(fields, values) if v is None), None)
        if bad is not None:
            raise DataError(f"{name}:{lineno}: expected 2 or 3 numbers, got {bad!r}")
        if width is not None and len(values) != width:
            raise DataError(f"{name}:{lineno}: expected {width} numbers like line {first}, got {len(values)}")
        if len(values) not in (2, 3):
            raise DataError(f"{name}:{lineno}: expected 2 or 3 numbers, got {len(values)}")
        if not all(math.isfinite(v) for v in values):
            raise DataError(f"{name}:{lineno}: numbers must be finite, got {line!r}")
        if width is None:
            width, first = len(values), lineno
        rows.append(values)
    if not rows:
        raise DataError(f"{name}: no data rows (expected lines of x,y or x1,x2,label)")
    data = np.array(rows, dtype=np.float32)
    return data[:, :-1], data[:, -1]
