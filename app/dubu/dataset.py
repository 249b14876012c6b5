"""The DUBU dataset model: an in-memory, indexed view of a DUBU extract.

Loads a file in the `../shared/corpus/dubu.json` format (municipality, contact points,
caseworkers, persons, partners, cases, letters) into immutable dataclasses and builds every
index once, at load time, so look-ups during suggestion and in the sandbox's case directory are
dictionary hits: persons by CPR, cases by id / number / child CPR / party CPR, letters by
message UUID (case-insensitive), partners by CVR, name tokens for fuzzy name search.

This module is pure data: no Qt, no network, no logging of CPR numbers or names.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "Case",
    "CaseParty",
    "Caseworker",
    "ContactPoint",
    "DubuDataset",
    "Letter",
    "Municipality",
    "Partner",
    "Person",
    "fold",
    "normalize_case_number",
]


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class Municipality:
    cvr: str
    name: str


@dataclass(frozen=True, slots=True)
class ContactPoint:
    id: str
    label: str
    visible: bool
    purpose: str  # "nyhenvendelse" | "retursvar" | ...


@dataclass(frozen=True, slots=True)
class Caseworker:
    id: str
    initials: str
    name: str
    team: str


@dataclass(frozen=True, slots=True)
class Person:
    cpr: str
    name: str
    address: str = ""

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""

    @property
    def last_name(self) -> str:
        parts = self.name.split()
        return parts[-1] if len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class Partner:
    cvr: str
    name: str
    kind: str  # skole, dagtilbud, politi, sundhedspleje, hospital, psykiatri, anden kommune


@dataclass(frozen=True, slots=True)
class CaseParty:
    cpr: str
    role: str  # mor, far, plejeforælder, værge


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    number: str
    title: str
    kle: str
    child_cpr: str
    parties: tuple[CaseParty, ...]
    caseworker_id: str | None
    status: str  # "open" | "closed"
    opened: date | None
    closed: date | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def role_of(self, cpr: str) -> str | None:
        """The party role of `cpr` on this case ("barn" for the child), or None."""
        if cpr == self.child_cpr:
            return "barn"
        for party in self.parties:
            if party.cpr == cpr:
                return party.role
        return None


@dataclass(frozen=True, slots=True)
class Letter:
    message_uuid: str  # lower-cased
    case_id: str
    recipient_cpr: str
    sent: datetime | None
    label: str


# ---------------------------------------------------------------------------------------------
# Normalisation helpers (shared with the suggestion engine)

_CASE_NO_RE = re.compile(
    r"(?<!\d)(?P<kle>\d{2}\s*\.\s*\d{2}\s*\.\s*\d{2})[\s\-–]*(?P<facet>[A-ZÆØÅ]\s?\d{2})[\s\-–/]+"
    r"(?P<serial>\d{3,6})(?:\s*[-–]\s*(?P<year>\d{2}))?(?!\d)",
    re.IGNORECASE,
)


def normalize_case_number(text: str) -> tuple[str, str | None] | None:
    """Parse a case number written loosely ("27.24.00 - G01 - 14547 - 26", "27.24.00-g01-14547").

    Returns (stem, year) where stem is "27.24.00-G01-14547" and year "26" or None, or None if
    `text` holds no case number.
    """
    m = _CASE_NO_RE.search(text)
    if not m:
        return None
    kle = re.sub(r"\s+", "", m.group("kle"))
    facet = re.sub(r"\s+", "", m.group("facet")).upper()
    return f"{kle}-{facet}-{m.group('serial')}", m.group("year")


def fold(text: str) -> str:
    """Case- and accent-insensitive form for name matching: 'Søren Ålund' -> 'soren aalund'."""
    text = text.casefold().replace("å", "aa").replace("æ", "ae").replace("ø", "o")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# ---------------------------------------------------------------------------------------------
# The dataset


@dataclass(slots=True)
class DubuDataset:
    """An indexed DUBU extract. Build with `load(path)` or `from_dict(data)`; treat as read-only."""

    municipality: Municipality
    contact_points: tuple[ContactPoint, ...]
    partners: tuple[Partner, ...]
    cases: tuple[Case, ...]
    letters: tuple[Letter, ...]
    persons: tuple[Person, ...]
    _caseworkers: tuple[Caseworker, ...] = ()
    # indexes, filled by _index()
    _person: dict[str, Person] = field(default_factory=dict, repr=False)
    _case: dict[str, Case] = field(default_factory=dict, repr=False)
    _case_stem: dict[str, list[Case]] = field(default_factory=dict, repr=False)
    _case_serial: dict[str, list[Case]] = field(default_factory=dict, repr=False)
    _child: dict[str, tuple[Case, ...]] = field(default_factory=dict, repr=False)
    _party: dict[str, tuple[Case, ...]] = field(default_factory=dict, repr=False)
    _letter: dict[str, Letter] = field(default_factory=dict, repr=False)
    _letters_to: dict[str, tuple[Letter, ...]] = field(default_factory=dict, repr=False)
    _partner: dict[str, Partner] = field(default_factory=dict, repr=False)
    _caseworker: dict[str, Caseworker] = field(default_factory=dict, repr=False)
    _token: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _first: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _children: frozenset[str] = frozenset()
    _folded_names: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> DubuDataset:
        """Read a dataset file (dubu.json format) and index it."""
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DubuDataset:
        muni = data.get("municipality") or {}
        ds = cls(
            municipality=Municipality(str(muni.get("cvr", "")), str(muni.get("name", ""))),
            contact_points=tuple(
                ContactPoint(
                    str(c["id"]).lower(),
                    c.get("label", ""),
                    bool(c.get("visible", False)),
                    c.get("purpose", ""),
                )
                for c in data.get("contact_points", ())
            ),
            partners=tuple(
                Partner(str(p["cvr"]), p.get("name", ""), p.get("kind", ""))
                for p in data.get("partners", ())
            ),
            cases=tuple(
                Case(
                    id=str(c["id"]).lower(),
                    number=str(c["number"]),
                    title=c.get("title", ""),
                    kle=c.get("kle", ""),
                    child_cpr=str(c["child_cpr"]),
                    parties=tuple(
                        CaseParty(str(p["cpr"]), p.get("role", "")) for p in c.get("parties", ())
                    ),
                    caseworker_id=c.get("caseworker_id"),
                    status=c.get("status", "open"),
                    opened=_date(c.get("opened")),
                    closed=_date(c.get("closed")),
                )
                for c in data.get("cases", ())
            ),
            letters=tuple(
                Letter(
                    message_uuid=str(lt["message_uuid"]).lower(),
                    case_id=str(lt["case_id"]).lower(),
                    recipient_cpr=str(lt.get("recipient_cpr", "")),
                    sent=_datetime(lt.get("sent")),
                    label=lt.get("label", ""),
                )
                for lt in data.get("letters", ())
            ),
            persons=tuple(
                Person(str(p["cpr"]), p.get("name", ""), p.get("address", ""))
                for p in data.get("persons", ())
            ),
            _caseworkers=tuple(
                Caseworker(
                    str(w["id"]), w.get("initials", ""), w.get("name", ""), w.get("team", "")
                )
                for w in data.get("caseworkers", ())
            ),
        )
        ds._index()
        return ds

    def _index(self) -> None:
        self._person = {p.cpr: p for p in self.persons}
        self._case = {c.id: c for c in self.cases}
        stem: dict[str, list[Case]] = defaultdict(list)
        serial: dict[str, list[Case]] = defaultdict(list)
        child: dict[str, list[Case]] = defaultdict(list)
        party: dict[str, list[Case]] = defaultdict(list)
        for case in self.cases:
            parsed = normalize_case_number(case.number)
            if parsed:
                stem[parsed[0]].append(case)
                serial[parsed[0].rsplit("-", 1)[-1]].append(case)
            child[case.child_cpr].append(case)
            for p in case.parties:
                party[p.cpr].append(case)
        self._case_stem = dict(stem)
        self._case_serial = dict(serial)

        # newest first, open before closed
        def order(c: Case) -> tuple[bool, date]:
            return (c.is_open, c.opened or date.min)

        self._child = {k: tuple(sorted(v, key=order, reverse=True)) for k, v in child.items()}
        self._party = {k: tuple(sorted(v, key=order, reverse=True)) for k, v in party.items()}
        self._letter = {lt.message_uuid: lt for lt in self.letters}
        to: dict[str, list[Letter]] = defaultdict(list)
        for letter in self.letters:
            to[letter.recipient_cpr].append(letter)
        self._letters_to = {
            k: tuple(sorted(v, key=lambda lt: lt.sent or datetime.min, reverse=True))
            for k, v in to.items()
        }
        self._partner = {p.cvr: p for p in self.partners}
        self._caseworker = {w.id: w for w in self._caseworkers}
        token: dict[str, set[str]] = defaultdict(set)
        first: dict[str, set[str]] = defaultdict(set)
        folded: dict[str, tuple[str, ...]] = {}
        for person in self.persons:
            parts = tuple(fold(person.name).split())
            folded[person.cpr] = parts
            for t in parts:
                token[t].add(person.cpr)
            if parts:
                first[parts[0]].add(person.cpr)
        self._token = {k: frozenset(v) for k, v in token.items()}
        self._first = {k: frozenset(v) for k, v in first.items()}
        self._folded_names = folded
        self._children = frozenset(child)

    # -- look-ups ----------------------------------------------------------------------------

    def case_by_id(self, case_id: str) -> Case | None:
        return self._case.get(case_id.strip().lower())

    def case_by_number(self, text: str) -> Case | None:
        """Exact or tolerant case-number look-up (spaces, lower case, without the year suffix).

        Without the year, the number must be unambiguous (else the open case, else None).
        """
        found = self.cases_by_number(text)
        if len(found) == 1:
            return found[0]
        open_ = [c for c in found if c.is_open]
        return open_[0] if len(open_) == 1 else None

    def cases_by_number(self, text: str) -> list[Case]:
        """All cases whose number matches `text` (several only when the year is missing)."""
        parsed = normalize_case_number(text)
        if parsed is None:
            digits = re.sub(r"\D", "", text)
            return list(self._case_serial.get(digits, ())) if 4 <= len(digits) <= 6 else []
        stem, year = parsed
        cases = self._case_stem.get(stem, [])
        if not cases:  # another KLE prefix written by hand: fall back to facet + serial
            facet_serial = stem.split("-", 1)[1]
            cases = [
                c
                for c in self._case_serial.get(stem.rsplit("-", 1)[-1], ())
                if c.number.split("-", 1)[1].startswith(facet_serial)
            ]
        if year is not None:
            exact = [c for c in cases if c.number.endswith(f"-{year}")]
            return exact or []
        return list(cases)

    def cases_for_child(self, cpr: str) -> tuple[Case, ...]:
        """The child's cases, open first then newest first."""
        return self._child.get(_digits(cpr), ())

    def cases_for_party(self, cpr: str) -> tuple[Case, ...]:
        """Cases on which `cpr` is a party (mor, far, plejeforælder, værge); open first."""
        return self._party.get(_digits(cpr), ())

    def open_case_for_child(self, cpr: str) -> Case | None:
        for case in self.cases_for_child(cpr):
            if case.is_open:
                return case
        return None

    def is_child(self, cpr: str) -> bool:
        return _digits(cpr) in self._children

    def children_of(self, cpr: str) -> tuple[str, ...]:
        """CPRs of children on whose cases `cpr` is a party (unique, stable order)."""
        seen: dict[str, None] = {}
        for case in self.cases_for_party(cpr):
            seen.setdefault(case.child_cpr, None)
        return tuple(seen)

    def letter_by_uuid(self, uuid: str) -> Letter | None:
        return self._letter.get(uuid.strip().lower())

    def letters_to(self, cpr: str) -> tuple[Letter, ...]:
        """Letters DUBU sent to `cpr`, newest first."""
        return self._letters_to.get(_digits(cpr), ())

    def person(self, cpr: str) -> Person | None:
        return self._person.get(_digits(cpr))

    def partner(self, cvr: str) -> Partner | None:
        return self._partner.get(_digits(cvr))

    def caseworker(self, caseworker_id: str | None) -> Caseworker | None:
        return self._caseworker.get(caseworker_id or "")

    def caseworkers(self) -> tuple[Caseworker, ...]:
        return self._caseworkers

    def contact_point(self, contact_point_id: str) -> ContactPoint | None:
        cid = contact_point_id.strip().lower()
        return next((c for c in self.contact_points if c.id == cid), None)

    def folded_name(self, cpr: str) -> tuple[str, ...]:
        """The person's name as folded tokens (see `fold`), () if unknown."""
        return self._folded_names.get(cpr, ())

    def persons_with_token(self, token: str) -> frozenset[str]:
        """CPRs of persons with the folded name token `token` anywhere in their name."""
        return self._token.get(token, frozenset())

    def persons_with_first_name(self, token: str) -> frozenset[str]:
        return self._first.get(token, frozenset())

    def name_tokens(self) -> Iterable[str]:
        return self._token.keys()

    def first_name_tokens(self) -> Iterable[str]:
        return self._first.keys()

    def search_names(self, query: str, limit: int = 20) -> list[tuple[Person, float]]:
        """Persons whose name matches `query` (tolerant of typos and order), best first.

        Scores are in [0, 1]. Every query token must match some name token reasonably well.
        """
        from rapidfuzz import fuzz, process

        q = fold(query).split()
        if not q:
            return []
        vocab = list(self._token)
        candidates: dict[str, float] = {}
        for i, tok in enumerate(q):
            hits = process.extract(
                tok, vocab, scorer=fuzz.ratio, limit=50, score_cutoff=75 if len(tok) > 3 else 100
            )
            # also prefix matches ("Alex" -> "alexander")
            scores: dict[str, float] = {}
            for name_tok, score, _ in hits:
                for cpr in self._token[name_tok]:
                    scores[cpr] = max(scores.get(cpr, 0.0), score / 100)
            if len(tok) >= 3:
                for name_tok in vocab:
                    if name_tok.startswith(tok) and name_tok != tok:
                        for cpr in self._token[name_tok]:
                            scores[cpr] = max(scores.get(cpr, 0.0), 0.8)
            if i == 0:
                candidates = scores
            else:
                candidates = {c: candidates[c] + s for c, s in scores.items() if c in candidates}
        ranked = sorted(
            ((self._person[c], s / len(q)) for c, s in candidates.items()),
            key=lambda ps: (-ps[1], ps[0].name),
        )
        return ranked[:limit]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")
