"""The one number formatter for the whole UI, and axis ticks.

Every number a pane or the status line shows goes through here, so that a
diverged loss reads ``6.9e+28`` (not 30 digits), ``inf``/``NaN`` are spelled
out, counts are ``5.2M``, and axis ticks are round and evenly spaced:

>>> fmt(0.012345), fmt(69056889309453043454456102912.0), fmt(3.14e-7), fmt(float("nan"))
('0.01235', '6.9e+28', '3.1e-07', 'NaN')
>>> fmt_int(517448), fmt_count(5174480), fmt_pct(0.9734)
('517,448', '5.2M', '97.3%')
>>> nice_ticks(0, 0.71, 5)
[0.0, 0.2, 0.4, 0.6, 0.8]
>>> tick_labels(nice_ticks(0, 26627.2, 5, integer=True))
['0', '10k', '20k', '30k']
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SCI_LARGE = 1e6  # |x| at or above this: scientific notation
SCI_SMALL = 1e-4  # |x| below this (and not 0): scientific notation
NAN, INF = "NaN", "inf"


def _special(x: float) -> str | None:
    if math.isnan(x):
        return NAN
    if math.isinf(x):
        return INF if x > 0 else "-" + INF
    return None


def _sci(x: float, digits: int) -> str:
    """``digits`` significant digits in scientific notation: 6.9e+28, 3.1e-07."""
    return f"{x:.{max(1, digits) - 1}e}"


def fmt(x: float | None, sig: int = 4, *, strip: bool = True, sep: bool = True) -> str:
    """``x`` with ``sig`` significant digits; scientific notation when huge or tiny.

    Within 1e-4 <= |x| < 1e6 the number is written out (the integer part is never
    cut: 12345.6 -> '12,346'), trailing zeros dropped unless ``strip`` is false.
    Outside it: ``max(2, sig - 2)`` significant digits, e.g. '6.9e+28'. ``None``
    reads '-'; NaN, inf and -inf read 'NaN', 'inf' and '-inf'.
    """
    if x is None:
        return "-"
    x = float(x)
    special = _special(x)
    if special is not None:
        return special
    if x == 0:
        return "0" if strip else f"{0:.{max(0, sig - 1)}f}"
    ax = abs(x)
    if ax >= SCI_LARGE or ax < SCI_SMALL:
        text = _sci(x, max(2, sig - 2))
        if strip:
            mant, exp = text.split("e")
            if "." in mant:
                mant = mant.rstrip("0").rstrip(".")
            text = f"{mant}e{exp}"
        return text
    exponent = math.floor(math.log10(ax))
    decimals = max(0, sig - 1 - exponent)
    text = f"{x:,.{decimals}f}" if sep else f"{x:.{decimals}f}"
    # rounding may carry into a new digit (9.9996 -> 10.000): keep sig digits after the carry
    digits = sum(ch.isdigit() for ch in text.lstrip("-0.,"))
    if decimals and digits > sig:
        text = f"{x:,.{decimals - 1}f}" if sep else f"{x:.{decimals - 1}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_int(n: float) -> str:
    """A whole number with thousands separators: 517448 -> '517,448' (NaN/inf spelled out)."""
    special = _special(float(n))
    return special if special is not None else f"{int(round(n)):,}"


_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def fmt_count(n: float, sig: int = 2) -> str:
    """A count in a few characters: 5174480 -> '5.2M', 15400 -> '15k', 999 -> '999'.

    Below 1000 the number is exact; above, ``sig`` significant digits but never
    fewer than the integer part (154000 -> '154k'); 999,960 -> '1M', not '1000k'.
    """
    x = float(n)
    special = _special(x)
    if special is not None:
        return special
    ax = abs(x)
    if ax < 1000:
        return f"{x:.0f}" if x == round(x) else fmt(x, 3)
    i = next(i for i, (unit, _) in enumerate(_UNITS) if ax >= unit)
    while True:
        unit, name = _UNITS[i]
        v = x / unit
        decimals = max(0, sig - 1 - math.floor(math.log10(abs(v))))
        text = f"{v:.{decimals}f}"
        if abs(float(text)) >= 1000 and i > 0:
            i -= 1
            continue
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text + name


def fmt_pct(x: float, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.9734 -> '97.3%'. Never rounds up to 100% (0.99996 -> '99.9%')."""
    x = float(x)
    special = _special(x)
    if special is not None:
        return special
    p = x * 100
    if p == round(p):
        return f"{p:.0f}%"
    q = 10 ** decimals
    shown = math.floor(p * q) / q if p > 0 else math.ceil(p * q) / q  # truncate towards 0
    return f"{shown:.{decimals}f}%"


def fmt_epoch(epoch: float) -> str:
    """Epochs: whole ones as integers, fractional ones with one decimal below 100 (3.25 -> '3.2').

    Truncated, never rounded up: an epoch is finished only when it is.
    """
    e = float(epoch)
    special = _special(e)
    if special is not None:
        return special
    if abs(e - round(e)) < 1e-9:
        return f"{int(round(e)):,}"
    if abs(e) < 100:
        return f"{math.floor(e * 10) / 10:.1f}"
    return f"{math.floor(e):,}"


# -- ticks ---------------------------------------------------------------------------------------------

def nice_step(span: float, n: int = 5, integer: bool = False) -> float:
    """The 1, 2 or 5 x 10^k step that cuts ``span`` into about ``n - 1`` intervals (>= 1 if ``integer``)."""
    n = max(2, int(n))
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / (n - 1)
    k = math.floor(math.log10(raw))
    base = 10.0 ** k
    for m in (1, 2, 5, 10):
        if m * base >= raw * (1 - 1e-9):
            step = m * base
            break
    if integer:
        step = max(1.0, round(step))
    return step


def _degenerate(lo: float, hi: float, integer: bool) -> tuple[float, float]:
    """A range to draw when all the data is one value (or none of it is finite)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return (0.0, 1.0)
    if hi < lo:
        lo, hi = hi, lo
    if hi > lo:
        return lo, hi
    if integer:
        return (lo, lo + 1) if lo >= 0 else (lo - 1, lo)
    d = abs(lo) * 0.1 or 1.0
    return (max(0.0, lo - d) if lo >= 0 else lo - d), lo + d


MIN_RELATIVE_SPAN = 1e-3  # a range narrower than this share of its values is widened to it (10% for
# values written in scientific notation, whose labels have fewer digits)


def nice_range(lo: float, hi: float, n: int = 5, integer: bool = False) -> tuple[float, float, list[float]]:
    """(lo', hi', ticks): [lo, hi] widened to whole steps, and the ticks from lo' to hi'.

    One value (a single evaluation at step 0) still gets a real axis: 0..1 for
    an integer axis, +-10% of the value otherwise. A range narrower than 0.1%
    of its values (10% in scientific notation) is widened, so that labels of
at most 8 characters still differ.
    """
    lo, hi = _degenerate(float(lo), float(hi), integer)
    mid = (lo + hi) / 2
    least = abs(mid) * (0.1 if abs(mid) >= 1e15 or 0 < abs(mid) < SCI_SMALL else MIN_RELATIVE_SPAN)
    if hi - lo < least and not integer:  # labels could not tell the ticks apart in 8 characters
        lo, hi = mid - least / 2, mid + least / 2
    step = nice_step(hi - lo, n, integer)
    a = math.floor(lo / step + 1e-9)
    b = math.ceil(hi / step - 1e-9)
    if b <= a:
        b = a + 1
    ticks = [_clean(i * step, step) for i in range(a, b + 1)]
    return ticks[0], ticks[-1], ticks


def nice_ticks(lo: float, hi: float, n: int = 5, integer: bool = False) -> list[float]:
    """Round, evenly spaced ticks covering [lo, hi] (multiples of a 1/2/5 x 10^k step).

    ``integer`` axes (steps, epochs) get whole-number steps only. A degenerate
    range (one point) gets a sensible axis, e.g. [0, 1] at step 0.
    """
    return nice_range(lo, hi, n, integer)[2]


def inner_ticks(lo: float, hi: float, n: int = 5, integer: bool = False) -> list[float]:
    """Round ticks strictly inside [lo, hi] (for an axis that must span the data exactly)."""
    lo, hi = _degenerate(float(lo), float(hi), integer)
    step = nice_step(hi - lo, n, integer)
    a = math.ceil(lo / step - 1e-9)
    b = math.floor(hi / step + 1e-9)
    return [_clean(i * step, step) for i in range(a, b + 1)]


def _clean(v: float, step: float) -> float:
    """Round off float noise (0.30000000000000004 -> 0.3) at the step's precision."""
    if v == 0 or not math.isfinite(v):
        return 0.0 if v == 0 else v
    digits = max(0, math.floor(math.log10(abs(v))) - math.floor(math.log10(step)) + 2)
    return float(f"{v:.{digits}e}") + 0.0  # + 0.0: no '-0'


def log_range(lo: float, hi: float, n: int = 5) -> tuple[float, float, list[float]]:
    """(lo', hi', ticks) for a log axis over positive [lo, hi], widened to whole decades.

    Ticks are powers of ten (every 2nd, 5th, 10th, ... when there are many more than ``n``),
    plus 2x and 5x when the range is a single decade.
    """
    if not (lo > 0 and hi > 0 and math.isfinite(lo) and math.isfinite(hi)):
        return 0.1, 1.0, [0.1, 1.0]
    lo, hi = min(lo, hi), max(lo, hi)
    a, b = math.floor(math.log10(lo) + 1e-9), math.ceil(math.log10(hi) - 1e-9)
    if b <= a:
        b = a + 1
    if b - a == 1:
        ticks = [float(f"{m * 10.0 ** k:.1e}") for k in range(a, b + 1) for m in (1, 2, 5)]
        ticks = [t for t in ticks if t <= 10.0 ** b * (1 + 1e-9)]
        return 10.0 ** a, 10.0 ** b, ticks
    stride = int(nice_step(b - a, n, integer=True))  # 1, 2, 5, 10, 20, ... decades
    a, b = stride * math.floor(a / stride), stride * math.ceil(b / stride)
    ticks = [float(f"1e{k}") for k in range(a, b + 1, stride)]
    return ticks[0], ticks[-1], ticks


def log_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Ticks for a log axis over positive [lo, hi] (see :func:`log_range`)."""
    return log_range(lo, hi, n)[2]


MAX_LABEL = 8  # characters: a tick label never takes more of a narrow plot than this


def tick_labels(ticks: Sequence[float], *, percent: bool = False, log: bool = False) -> list[str]:
    """Short labels for evenly spaced ticks, all with the same number of decimals.

    Whole-number ticks from 10,000 up are compact ('20k', '1.5M'), huge or tiny
    ones scientific ('2e+30', '4e-06'); ``percent`` writes fractions as '20%';
    ``log`` labels powers of ten. Each label is at most 8 characters.
    """
    ticks = [float(t) for t in ticks]
    if not ticks:
        return []
    if log:
        return [_log_label(t) for t in ticks]
    step = min((abs(b - a) for a, b in zip(ticks, ticks[1:]) if b != a), default=abs(ticks[0]) or 1.0)
    big = max(abs(t) for t in ticks)
    if percent:
        p_step = step * 100
        decimals = max(0, -math.floor(math.log10(p_step) + 1e-9)) if p_step < 1 else 0
        return [f"{t * 100:.{decimals}f}%" for t in ticks]
    if step >= 1 and all(t == round(t) for t in ticks):
        if big < 10_000:
            return [f"{t:.0f}" for t in ticks]
        if big < 1e15:
            out = _compact_labels(ticks, step)
            if max(map(len, out)) <= MAX_LABEL:
                return out
            if big < 1e7:
                return [f"{t:.0f}" for t in ticks]
        return _sci_labels(ticks, step)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    out = [f"{t:.{decimals}f}" for t in ticks]
    tiny = big < 1e-3  # '4e-06', not '0.000004'
    return out if max(map(len, out)) <= MAX_LABEL and not tiny else _sci_labels(ticks, step)


def _sci_labels(ticks: list[float], step: float) -> list[str]:
    big = max(abs(t) for t in ticks)
    needed = 1 + max(0, math.floor(math.log10(big)) - math.floor(math.log10(step) + 1e-9))
    digits = min(needed, 3 if min(ticks) >= 0 else 2)  # '1.23e+05' / '-1.2e+05': 8 characters
    out = []
    for t in ticks:
        out.append("0" if t == 0 else _sci(t, digits))
    return out


def _compact_labels(ticks: list[float], step: float) -> list[str]:
    big = max(abs(t) for t in ticks)
    unit, name = next(((u, nm) for u, nm in _UNITS if big >= u), (1.0, ""))
    decimals = max(0, math.ceil(math.log10(unit / step) - 1e-9)) if step < unit else 0
    out = []
    for t in ticks:
        text = f"{t / unit:.{decimals}f}"
        out.append("0" if t == 0 else text + name)
    return out


def _log_label(t: float) -> str:
    if t <= 0 or not math.isfinite(t):
        return fmt(t)
    k = math.floor(math.log10(t) + 1e-9)
    if -3 <= k <= 4:
        return f"{t:.{max(0, -k)}f}"
    return _sci(t, 1)
