"""The one place that knows what a Danish CPR number looks like: find, normalise, validate, mask.

Every user of a CPR recogniser goes through this module: the suggestion engine (`find`), the
logging redaction filter (`redact`), the UI (`mask`) and the access log (`normalise`, `find`).

Shape: DDMMYYSSSS with or without separators. The date parts may be separated by the same
`-`, `.`, `/` or space (`01.01.99-0120`, `01 01 99 0120`); the serial may follow after up to two
spaces and one of `-`, `–`, `‐`, `‑`, `−`, `.` or `/` (`010199 - 0120`, `010199/0120`). Light OCR
damage is repaired (O/o/D/Q→0, I/l/|/i→1, S/s→5, B→8, Z/z→2) when at least eight of the ten
characters are real digits. A number is *valid* when its date part is a real date under the
CPR century rule. The modulus-11 check is NEVER used to reject: numbers without
it have been issued since 2007.

`find` is what the engine uses: a number must stand alone (not glued to letters or other
digits). `redact` and `mask` hide a superset of it: every span `find` reports (whatever its
date) plus the same shape with looser edges (`ID:a0101990120`, `01.01-99 0120`), because hiding
a number too many is harmless and missing one is not.

This module sits in the bottom layer (it imports nothing from `app`). Never log what it finds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

__all__ = [
    "LENGTH",
    "CprHit",
    "InvalidCpr",
    "birth_date",
    "find",
    "is_valid",
    "mask",
    "neighbours",
    "normalise",
    "redact",
    "spans",
]

LENGTH = 10
REDACTED = "<cpr>"
MASKED_SERIAL = "xxxx"

_OCR = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "i": "1",
        "S": "5",
        "s": "5",
        "B": "8",
        "Z": "2",
        "z": "2",
        **{chr(0xFF10 + n): str(n) for n in range(10)},  # full-width digits (logs only)
    }
)
_X = r"[0-9OoDQIl|iSsBZz]"  # a digit, or a letter OCR often reads for one
_DATE_SEP = r"[.\-/ ]"
_GAP = r"[ \t\u00a0\u202f]{0,2}"  # spaces around the serial separator (also no-break spaces)
_SERIAL_SEP = r"[-\u2013\u2010\u2011\u2212./]"  # - – ‐ ‑ − . /
_MIN_REAL_DIGITS = 8  # with fewer, an OCR "repair" is a guess at a word

# The engine's shape: the same separator between the date parts, the number standing alone.
_FIND_RE = re.compile(
    rf"(?<![\w.\-/])({_X}{{2}})({_DATE_SEP}?)({_X}{{2}})\2({_X}{{2}})"
    rf"{_GAP}{_SERIAL_SEP}?{_GAP}({_X}{{4}})(?![\w]|[.\-/]\d)"
)
# The redaction shape: any separators, only digits count as "glued" at the edges, and the
# spaces may also be written as repr() escapes (a traceback shows KeyError('010199\\t0120')).
# As it is written in logs and dumps: full-width digits, a line break or `_` between the parts,
# URL-encoding (`%2D`, `%20`, `+`, a number right after `%22`) and JSON/repr escapes
# (`\\u002d`, `\\x2d`, `\\n`) count too. Hiding a number too many is harmless.
_LX = r"[0-9OoDQIl|iSsBZz\uff10-\uff19]"
_ESCAPE = r"%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}"
_LOOSE_DATE_SEP = rf"(?:[.\-/ _+]|{_ESCAPE})"
_LOOSE_GAP = r"(?:[ \t\u00a0\u202f\r\n+]|\\[tnr]|\\xa0|\\u202f|%20|%0[AaDd]){0,2}"
_LOOSE_SERIAL_SEP = rf"(?:[-\u2013\u2010\u2011\u2212./_]|{_ESCAPE})"
_LOOSE_RE = re.compile(
    rf"(?:(?<![0-9\uff10-\uff19])|(?<=%[0-9A-Fa-f]{{2}}))"
    rf"({_LX}{{2}}){_LOOSE_DATE_SEP}?({_LX}{{2}}){_LOOSE_DATE_SEP}?({_LX}{{2}})"
    rf"{_LOOSE_GAP}{_LOOSE_SERIAL_SEP}?{_LOOSE_GAP}({_LX}{{4}})(?![0-9\uff10-\uff19])"
)
_STRICT_SEPARATORS = re.compile(r"[\s\-\u2013\u2010\u2011\u2212./]")


class InvalidCpr(ValueError):
    """The text is not a 10-digit CPR number. `str()` is Danish and never echoes the input."""

    def __init__(self, message: str = "Et CPR-nummer skal have 10 cifre (DDMMÅÅ-XXXX)") -> None:
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class CprHit:
    """One CPR-looking number in a text: its 10 digits and where it stands."""

    cpr: str  # 10 digits
    start: int
    end: int
    ocr_repaired: bool  # letters were read as digits
    valid_date: bool


def birth_date(cpr: str) -> date | None:
    """The birth date encoded in a 10-digit CPR, or None if the date part is not a real date
    (or `cpr` is not 10 digits).

    The century comes from the first serial digit (CPR-kontoret's rule, as python-stdnum):
    0-3 → 1900s; 4 and 9 → 2000s for years 00-36, else 1900s; 5-8 → 2000s for 00-57, else 1800s.
    """
    if len(cpr) != LENGTH or not cpr.isdigit() or not cpr.isascii():
        return None
    day, month, year, digit = int(cpr[0:2]), int(cpr[2:4]), int(cpr[4:6]), cpr[6]
    if digit in "0123" or (digit in "49" and year > 36):
        year += 1900
    elif digit in "5678" and year > 57:
        year += 1800
    else:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def is_valid(cpr: str) -> bool:
    """10 digits with a real birth date (day, month, century digit). No modulus-11 check."""
    return birth_date(cpr) is not None


def normalise(value: str) -> str:
    """One CPR number as typed or stored (`DDMMYY-SSSS`, `DDMMYY SSSS`, `DD.MM.YY-SSSS`,
    `DDMMYYSSSS`, surrounding spaces) → its 10 digits; InvalidCpr for anything else.

    Only separators are dropped (no OCR repair, no date check: see `is_valid`)."""
    digits = _STRICT_SEPARATORS.sub("", str(value))
    if len(digits) != LENGTH or not digits.isdigit() or not digits.isascii():
        raise InvalidCpr()
    return digits


def _repair(raw: str) -> str | None:
    """The digits of a 10-character match, OCR letters read as digits; None if too guessy."""
    digits = raw.translate(_OCR)
    if not digits.isdigit() or not digits.isascii():
        return None
    if digits != raw and sum(c.isdigit() for c in raw) < _MIN_REAL_DIGITS:
        return None
    return digits


def _engine_hits(text: str) -> Iterator[CprHit]:
    """Every match of the engine's shape, in order, repeated values included."""
    for m in _FIND_RE.finditer(text):
        raw = m.group(1) + m.group(3) + m.group(4) + m.group(5)
        digits = _repair(raw)
        if digits is None:
            continue
        valid = birth_date(digits) is not None
        yield CprHit(digits, m.start(), m.end(), digits != raw, valid)


def find(text: str, *, keep_invalid_dates: bool = False) -> list[CprHit]:
    """All CPR-looking numbers in `text`, in order, de-duplicated by value.

    With `keep_invalid_dates`, hits whose date part is not a real date are returned too (the
    caller may try to repair them against known numbers); otherwise they are dropped.
    """
    hits: list[CprHit] = []
    seen: set[str] = set()
    for hit in _engine_hits(text):
        if (hit.valid_date or keep_invalid_dates) and hit.cpr not in seen:
            seen.add(hit.cpr)
            hits.append(hit)
    return hits


def spans(text: str) -> list[tuple[int, int, str]]:
    """Every region of `text` to hide, as (start, end, digits), sorted and non-overlapping.

    A superset of `find(text, keep_invalid_dates=True)` with repeats: each engine hit and each
    loose-shape match, whatever its date; overlapping regions are merged (digits of the first).
    """
    found = [(h.start, h.end, h.cpr) for h in _engine_hits(text)]
    for m in _LOOSE_RE.finditer(text):
        digits = _repair("".join(m.groups()))
        if digits is not None:
            found.append((m.start(), m.end(), digits))
    found.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, digits in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, digits))
    return merged


def _replace(text: str, replacement: str | None) -> str:
    regions = spans(text)
    if not regions:
        return text
    out: list[str] = []
    pos = 0
    for start, end, digits in regions:
        out.append(text[pos:start])
        out.append(replacement if replacement is not None else f"{digits[:6]}-{MASKED_SERIAL}")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """`text` with every CPR-looking number replaced by `<cpr>` (for logs and stored detail)."""
    return _replace(text, REDACTED)


def mask(text: str) -> str:
    """`text` with every CPR-looking number shown as `DDMMYY-xxxx` (for the UI): the birth
    date stays readable, the serial never is."""
    return _replace(text, None)


def neighbours(cpr: str) -> list[str]:
    """Numbers one keystroke/OCR slip away: one digit changed, or two adjacent digits swapped."""
    out: list[str] = []
    for i, c in enumerate(cpr):
        for d in "0123456789":
            if d != c:
                out.append(cpr[:i] + d + cpr[i + 1 :])
    for i in range(len(cpr) - 1):
        if cpr[i] != cpr[i + 1]:
            out.append(cpr[:i] + cpr[i + 1] + cpr[i] + cpr[i + 2 :])
    return out
