"""Find CPR numbers in free text (letters, PDF text, ContactInfo values).

Recognises DDMMYYSSSS with or without separators (`-`, space, `/`, dots between the date
parts as in `12.09.14-4371`) and light OCR damage (O→0, l/I/|→1, S→5, B→8, Z→2). A hit is kept
only when its date part is a real date (python-stdnum's century rule). The modulus-11 check is
NEVER used to reject: numbers without it have been issued since 2007.

Never log what this module finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError

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
    }
)
_X = r"[0-9OoDQIl|iSsBZz]"
_CPR_RE = re.compile(
    rf"(?<![\w.\-/])({_X}{{2}})([.\-/ ]?)({_X}{{2}})\2({_X}{{2}})"
    rf"[ \t]{{0,2}}[-–‐./]?[ \t]{{0,2}}({_X}{{4}})(?![\w]|[.\-/]\d)"
)


@dataclass(frozen=True, slots=True)
class CprHit:
    cpr: str  # 10 digits
    start: int
    end: int
    ocr_repaired: bool  # letters were read as digits
    valid_date: bool


def birth_date(cpr: str) -> date | None:
    """The birth date encoded in a 10-digit CPR, or None if the date part is not a real date."""
    try:
        return stdnum_cpr.get_birth_date(cpr)
    except (ValidationError, ValueError, IndexError):
        return None


def is_plausible_cpr(cpr: str) -> bool:
    """10 digits with a real birth date. Modulus 11 is deliberately not checked."""
    return len(cpr) == 10 and cpr.isdigit() and birth_date(cpr) is not None


def find_cprs(text: str, *, keep_invalid_dates: bool = False) -> list[CprHit]:
    """All CPR-looking numbers in `text`, in order, de-duplicated by value.

    With `keep_invalid_dates`, hits whose date part is not a real date are returned too (the
    caller may try to repair them against known numbers); otherwise they are dropped.
    """
    hits: list[CprHit] = []
    seen: set[str] = set()
    for m in _CPR_RE.finditer(text):
        raw = m.group(1) + m.group(3) + m.group(4) + m.group(5)
        digits = raw.translate(_OCR)
        if not digits.isdigit():
            continue
        ocr = digits != raw
        if ocr and sum(c.isdigit() for c in raw) < 8:
            continue  # too much guessing: probably a word
        valid = birth_date(digits) is not None
        if (valid or keep_invalid_dates) and digits not in seen:
            seen.add(digits)
            hits.append(CprHit(digits, m.start(), m.end(), ocr, valid))
    return hits


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
