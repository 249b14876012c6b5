"""Tolerant matching of children's names, birth dates, ages and school classes in free text.

Used by the suggestion engine to find which known child a letter is about. Matching is done on
folded text (see `app.dubu.dataset.fold`) with rapidfuzz, so small typos, Danish letters written
as 'aa'/'oe', possessives ("Emilies") and common nicknames ("Tilde" for Mathilde) still match.
Pure functions over strings; never logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz

from app.dubu.dataset import fold

# A few common Danish/English nickname forms: nickname -> full first names (folded).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "tilde": ("mathilde", "matilde"),
    "thilde": ("mathilde",),
    "alex": ("alexander", "alexandra"),
    "frede": ("frederik",),
    "freddy": ("frederik",),
    "fie": ("sofie", "sofia"),
    "sofi": ("sofie", "sofia"),
    "benji": ("benjamin",),
    "ben": ("benjamin",),
    "chris": ("christian", "christoffer", "kristian", "kristoffer"),
    "kris": ("kristian", "kristoffer"),
    "nicki": ("nicolai", "nikolaj"),
    "nico": ("nicolai", "nikolaj"),
    "seb": ("sebastian",),
    "basse": ("sebastian",),
    "emi": ("emilie", "emil"),
    "ella": ("ellen", "elisabeth"),
    "liz": ("elisabeth",),
    "lise": ("elisabeth",),
    "bette": ("elisabeth",),
    "isa": ("isabella", "isabel"),
    "bella": ("isabella",),
    "josse": ("josefine",),
    "fine": ("josefine",),
    "vicky": ("victoria", "viktoria"),
    "vic": ("victor", "viktor", "victoria"),
    "magge": ("magnus",),
    "mads": ("mads",),
    "willi": ("william",),
    "will": ("william",),
    "olli": ("oliver",),
    "ollie": ("oliver",),
    "noa": ("noah",),
    "lulu": ("luna", "lucas"),
    "karo": ("karoline", "caroline"),
    "caro": ("caroline", "karoline"),
    "anton": ("anton",),
    "toni": ("anton",),
    "jo": ("johannes", "josefine", "johanne"),
    "hanne": ("johanne",),
    "mikkel": ("mikkel",),
    "misse": ("mikkel",),
    "ida": ("ida",),
    "gus": ("august", "gustav"),
    "gusse": ("august", "gustav"),
    "silas": ("silas",),
    "marie": ("marie",),
    "kalle": ("karla", "karl", "carl", "carla"),
    "kalli": ("karla", "karl"),
    "sebbe": ("sebastian",),
    "malle": ("malthe",),
    "mulle": ("mathilde", "ulrikke"),
    "lolle": ("laura", "louise", "lone"),
    "sisse": ("cecilie", "signe"),
    "cille": ("cecilie",),
    "cilla": ("cecilie",),
    "rikke": ("frederikke", "henriette", "ulrikke"),
    "jens": ("jens",),
    "hanse": ("hans",),
    "mie": ("maria", "marie", "emilie"),
    "mia": ("maria", "emilia"),
    "lulle": ("luna", "lucas", "ludvig"),
    "luddi": ("ludvig",),
    "vicki": ("victoria", "viktoria"),
    "stoffer": ("kristoffer", "christoffer"),
    "toffer": ("kristoffer", "christoffer"),
    "bertie": ("bertram",),
    "berte": ("bertram",),
    "bjorn": ("bjorn",),
    "fidde": ("frederik", "frida"),
    "fredde": ("frederik",),
    "sine": ("josefine", "signe"),
    "villy": ("villads", "william"),
    "ville": ("villads", "william"),
    "lisbeth": ("elisabeth",),
    "beth": ("elisabeth",),
    "augi": ("august",),
    "asse": ("asta", "aske"),
    "emse": ("emma", "emil"),
    "emmi": ("emma", "emilie"),
    "bimse": ("benjamin",),
    "benni": ("benjamin",),
    "benny": ("benjamin",),
    "mangus": ("magnus",),
    "otte": ("otto",),
    "vigge": ("vigga", "viggo"),
    "alfie": ("alfred",),
    "fede": ("alfred",),
}

_VOWELS = set("aeiouy")


def pet_forms(name: str) -> frozenset[str]:
    """Everyday short forms of a folded first name, derived by rule (shortened first syllable,
    the syllable plus -e/-i/-y, a doubled consonant plus -e, the name without its ending) and
    from the `NICKNAMES` table: "frederik" -> {"fred", "frede", "fredde", "freddy", ...}."""
    cached = _PET_CACHE.get(name)
    return cached if cached is not None else _pet_forms(name)


_PET_CACHE: dict[str, frozenset[str]] = {}
_NICK_OF: dict[str, set[str]] = {}
for _nick, _fulls in NICKNAMES.items():
    for _full in _fulls:
        _NICK_OF.setdefault(_full, set()).add(_nick)


def _pet_forms(name: str) -> frozenset[str]:
    out: set[str] = set(_NICK_OF.get(name, ()))
    n = len(name)
    if n >= 5:
        # first syllable: up to and including the first consonant after the first vowel
        i = next((k for k, c in enumerate(name) if c in _VOWELS), -1)
        j = next((k for k in range(i + 1, n) if name[k] not in _VOWELS), -1) if i >= 0 else -1
        if i >= 0 and 2 <= j < n - 1:
            stem = name[: j + 1]  # "fred", "sof", "mat"
            cons = name[j]
            if len(stem) >= 3:
                out.add(stem)
            out.update({stem + "e", stem + "i", stem + "y", stem + "ie"})
            out.update({stem + cons + "e", stem + cons + "i", stem + cons + "y"})
            if name[j + 1] not in _VOWELS and j + 2 < n and n >= 7:  # "alex" from "alexander"
                out.add(name[: j + 2])
        if name.endswith(("ine", "ina")):  # "josefine" -> "fine"; "karoline" -> "line"
            out.add(name[-4:] if len(name) >= 7 else name)
        if name[-1] == "e" and n >= 6:
            out.add(name[:-1])  # "mathild", "sofi"
    if n >= 7 and name.endswith("ian"):
        out.add(name[-5:])  # "sebastian" -> "stian"
    out.discard(name)
    out = {f for f in out if len(f) >= 3}
    forms = frozenset(out)
    if len(_PET_CACHE) > 50_000:
        _PET_CACHE.clear()
    _PET_CACHE[name] = forms
    return forms


_WORD_RE = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*")


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as written
    folded: str  # folded, possessive 's' NOT stripped
    capital: bool
    index: int
    sentence: int = 0  # which sentence (split at . ! ? and line breaks)


def tokens(text: str) -> list[Token]:
    """Words of `text` with their folded form and whether they start with a capital."""
    out = []
    sentence, last = 0, 0
    for i, m in enumerate(_WORD_RE.finditer(text)):
        if _SENTENCE_END.search(text, last, m.start()):
            sentence += 1
        last = m.end()
        w = m.group(0).strip("'’-")
        if not w:
            continue
        f = fold(w).replace(" ", "")
        if f:
            out.append(Token(w, f, w[0].isupper(), i, sentence))
    return out


_SENTENCE_END = re.compile(r"[.!?\n]")


def _variants(tok: str) -> tuple[str, ...]:
    """The token and its possessive-stripped forms ("emilies" -> "emilie", "mariuss" -> "marius")."""
    out = [tok]
    if len(tok) > 3 and tok.endswith("s"):
        out.append(tok[:-1])
    return tuple(out)


@lru_cache(maxsize=200_000)
def first_name_score(name: str, tok: str) -> float:
    """How well text token `tok` (folded) names first name `name` (folded): 0..1."""
    best = 0.0
    for v in _variants(tok):
        if v == name:
            return 1.0
        if name in NICKNAMES.get(v, ()) or v in pet_forms(name):
            best = max(best, 0.9)
        if len(v) >= 5 and len(name) >= 5:
            r = fuzz.ratio(v, name) / 100
            if r >= 0.8:
                best = max(best, 0.6 + (r - 0.8) * 1.5)  # 0.8 -> 0.6, 0.9 -> 0.75
        elif len(v) >= 3 and name.startswith(v) and len(name) - len(v) <= 4 and v != name:
            best = max(best, 0.6)  # short form: "Alex", "Fred"
    return best


def surname_score(surnames: tuple[str, ...], tok: str) -> float:
    best = 0.0
    for v in _variants(tok):
        for s in surnames:
            if v == s:
                return 1.0
            if len(v) >= 5 and len(s) >= 5:
                r = fuzz.ratio(v, s) / 100
                if r >= 0.8:
                    best = max(best, r)
    return best


@dataclass(frozen=True, slots=True)
class NameMatch:
    score: float  # 0..1
    full: bool  # first name and a surname matched side by side
    text: str  # the words matched, for the reason


def match_child_name(name_tokens: tuple[str, ...], toks: list[Token]) -> NameMatch | None:
    """Best mention of a child (folded name tokens) in tokenised text, or None.

    A first name alone scores up to ~0.7; with an adjacent surname (any of the child's other
    name parts) up to 1.0. A first name must be written with a capital letter.
    """
    if not name_tokens:
        return None
    first, others = name_tokens[0], name_tokens[1:]
    best: NameMatch | None = None
    for i, t in enumerate(toks):
        fs = first_name_score(first, t.folded)
        if fs <= 0 or (not t.capital and fs < 0.9):  # lower case: exact or a pet form only
            continue
        score, full, words = fs * 0.7, False, t.text
        for j in range(i + 1, min(i + 4, len(toks))):
            nxt = toks[j]
            if not nxt.capital and nxt.folded not in others:
                break
            ss = surname_score(others, nxt.folded)
            if ss > 0:
                score = max(score, 0.55 * fs + 0.45 * ss)
                full = True
                words = " ".join(x.text for x in toks[i : j + 1])
                break
        if best is None or score > best.score:
            best = NameMatch(score, full, words)
    return best


def mentions(first: str, toks: list[Token]) -> list[int]:
    """Positions (token indexes into `toks`) where first name `first` (folded) is written,
    as itself, a pet form or a near spelling; lower case counts for exact and pet forms."""
    out = []
    for i, t in enumerate(toks):
        fs = first_name_score(first, t.folded)
        if fs >= 0.6 and (t.capital or fs >= 0.9):
            out.append(i)
    return out


# Words before a name that make it the letter's subject, or take it back.
FOCUS_BEFORE = (
    ("drejer", "sig", "om"),
    ("handler", "om"),
    ("handler", "kun", "om"),
    ("gaelder",),
    ("angaaende",),
    ("ang",),
    ("vedr",),
    ("vedrorende",),
    ("skriver", "om"),
    ("skriver", "angaaende"),
    ("bekymret", "for"),
    ("bekymrede", "for"),
    ("mente",),
    ("men",),
    ("about",),
    ("regarding",),
    ("concerning",),
    ("worried", "about"),
    ("only",),
    ("kun",),
)
DEMOTE_BEFORE = (("ikke",), ("not",), ("skrev", "jeg"), ("skrev", "jeg", "om"), ("i", "wrote"))
PASSING_AFTER = (
    ("har", "det", "fint"),
    ("har", "det", "godt"),
    ("er", "ikke", "med"),
    ("vil", "ikke", "med"),
    ("skal", "ikke", "med"),
    ("skal", "ikke", "naevnes"),
    ("bliver", "hjemme"),
    ("er", "fine"),
    ("is", "fine"),
    ("har", "det", "ok"),
)


def _before(toks: list[Token], i: int, cue: tuple[str, ...], gap: int) -> bool:
    """`cue` ends at most `gap` tokens before position i ("det drejer sig om [hendes bror] X")."""
    n = len(cue)
    for end in range(i - 1, max(-1, i - 1 - gap), -1):
        start = end - n + 1
        if start < 0 or toks[start].sentence != toks[i].sentence:
            break
        if tuple(t.folded for t in toks[start : end + 1]) == cue:
            return True
    return False


def _after(toks: list[Token], i: int, cue: tuple[str, ...]) -> bool:
    n = len(cue)
    for start in range(i + 1, min(len(toks), i + 3)):
        if toks[start].sentence != toks[i].sentence:
            break
        if tuple(t.folded for t in toks[start : start + n]) == cue:
            return True
    return False


def salience(positions: list[int], toks: list[Token], n_label: int) -> float:
    """How much a letter is about the child named at `positions`: the subject line, repeated
    mentions, "det drejer sig om X", "angående X", corrections ("ikke X", "skrev jeg X") and
    mentions in passing ("X har det fint")."""
    if not positions:
        return 0.0
    score = min(3, len(positions)) * 1.0
    if any(p < n_label for p in positions):
        score += 2.5
    for p in positions:
        if any(_before(toks, p, cue, 3) for cue in FOCUS_BEFORE):
            score += 3.0
        if any(_before(toks, p, cue, 1 if cue == ("ikke",) else 2) for cue in DEMOTE_BEFORE):
            score -= 3.5
        if any(_after(toks, p, cue) for cue in PASSING_AFTER):
            score -= 2.0
    return score


# --- birth date, age and class clues -----------------------------------------------------------

_MONTHS = {
    "januar": 1,
    "january": 1,
    "jan": 1,
    "februar": 2,
    "february": 2,
    "feb": 2,
    "marts": 3,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "maj": 5,
    "may": 5,
    "juni": 6,
    "june": 6,
    "jun": 6,
    "juli": 7,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "october": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_BORN = r"(?:født|f\.|født den|born(?: on)?|date of birth:?|fødselsdato:?|d\.o\.b\.?:?)"
_DATE_WORDS_RE = re.compile(
    _BORN + r"\s*(?:d\.|den)?\s*(\d{1,2})\.?\s+([A-Za-zæøå]+)\.?\s+(\d{4})", re.IGNORECASE
)
_DATE_EN_RE = re.compile(_BORN + r"\s*([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})", re.IGNORECASE)
_DATE_NUM_RE = re.compile(_BORN + r"\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})", re.IGNORECASE)
_AGE_RE = re.compile(r"(?<!\d)(\d{1,2})\s*(?:år|-årig|årig|years? old|yrs)", re.IGNORECASE)
# "en dreng på 14", "Noa på 6", "ham på 14" (not "på 2 uger", "på 40 m2")
_AGE_PAA_RE = re.compile(
    r"\b(?:dreng|pige|barn|søn|datter|ham|hende|[A-ZÆØÅ][a-zæøå]+)\s+på\s+(\d{1,2})\b"
    r"(?!\s*(?:dage|uger|måneder|mdr|timer|kr|m2|%|[.,]\d))",
)
_CLASS_RE = re.compile(
    r"(?<![\d.])(\d{1,2})\.\s?([a-hA-H])\b|\b(?:grade|class)\s+(\d{1,2})", re.IGNORECASE
)


def birth_dates(text: str) -> list[date]:
    out: list[date] = []
    for m in _DATE_WORDS_RE.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            _add_date(out, int(m.group(3)), month, int(m.group(1)))
    for m in _DATE_EN_RE.finditer(text):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            _add_date(out, int(m.group(3)), month, int(m.group(2)))
    for m in _DATE_NUM_RE.finditer(text):
        year = int(m.group(3))
        year = year + 2000 if year < 100 and year <= 40 else year + 1900 if year < 100 else year
        _add_date(out, year, int(m.group(2)), int(m.group(1)))
    return out


def _add_date(out: list[date], y: int, m: int, d: int) -> None:
    try:
        out.append(date(y, m, d))
    except ValueError:
        pass


# "hun er 9", "han er kun 4", "she is 12" (not "er 3 uger", "er 2 timer")
_AGE_IS_RE = re.compile(
    r"\b(?:hun|han|she|he|som)\s+(?:er|is)\s+(?:kun\s+|lige\s+blevet\s+|snart\s+|nu\s+)?"
    r"(\d{1,2})\b(?!\s*(?:uger|dage|måneder|mdr|timer|minutter|kr|%|[.,]\d))",
    re.IGNORECASE,
)
_BOY_RE = re.compile(
    r"\b(?:min|vores|hans|hendes|my|our)\s+(?:søn|dreng|lille\s+dreng|son|boy)\b|\bsønnen\b"
    r"|\bdrengen\b|\bsønnesøn\b|\bbarnebarn\s+\w+\s+han\b",
    re.IGNORECASE,
)
_GIRL_RE = re.compile(
    r"\b(?:min|vores|hans|hendes|my|our)\s+(?:datter|pige|lille\s+pige|daughter|girl)\b"
    r"|\bdatteren\b|\bpigen\b|\bdatterdatter\b|\bsønnedatter\b",
    re.IGNORECASE,
)


_GRANDPARENT_RE = re.compile(
    r"\b(?:mormor|morfar|farmor|farfar|bedstemor|bedstefar|oldemor|grandmother|grandfather"
    r"|grandma|grandpa|barnebarn|barnebarnet|barnebørn)\b",
    re.IGNORECASE,
)


def sex_named(text: str) -> str | None:
    """ "M" when the letter speaks of a son or boy only, "F" of a daughter or girl only."""
    if _GRANDPARENT_RE.search(text):  # "min datter" is then the child's parent
        return None
    boy, girl = bool(_BOY_RE.search(text)), bool(_GIRL_RE.search(text))
    return "M" if boy and not girl else "F" if girl and not boy else None


def ages(text: str) -> list[int]:
    found = [int(m.group(1)) for m in _AGE_RE.finditer(text)]
    found += [int(m.group(1)) for m in _AGE_PAA_RE.finditer(text)]
    found += [int(m.group(1)) for m in _AGE_IS_RE.finditer(text)]
    return [a for a in found if a <= 25]


def school_classes(text: str) -> list[int]:
    out = []
    for m in _CLASS_RE.finditer(text):
        n = m.group(1) or m.group(3)
        if n is not None and int(n) <= 10:
            out.append(int(n))
    return out


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def class_fits(grade: int, born: date, today: date) -> bool:
    """A child starts 0. klasse the year it turns 6; allow one year either way."""
    school_year = today.year if today.month >= 8 else today.year - 1
    expected = school_year - born.year - 6
    return abs(expected - grade) <= 1
