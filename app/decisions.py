"""The distributor's decisions as typed values: from the UI through the outbox onto the wire.

Every decision is a frozen, slotted dataclass with an `action` name and a schema `VERSION`:

- `Journalise`: put the message on a DUBU case (optionally with a `JournalNote`).
- `Assign`: hand the message to a caseworker or team (optionally on a case, with a note), or
  to DUBU's case creation ("Opret ny sag / genåbn sag": no case, `new_case_kle`).
- `Reject`: the message does not belong here; a reason for the record.
- `Forward`: route the message to another receiving system (a named system and/or a KLE
  subject), with an optional comment.
- `JournalNote`: a journal note on a case (delivered as an SF2900 JOURNALPOST).

The rules are checked in ONE place, each type's `__post_init__`: a value that exists is valid.
Text is stripped, empty optional text becomes None, lengths are bounded and identifiers carry
no control characters (nothing XML cannot carry reaches the wire). A refusal raises
`DecisionError`, whose `str()` is Danish and shown to the distributor as it is.

`to_json()` gives the stored form (the outbox row's payload) with a `version` key;
`decision_from_json(action, data)` reads it back, also the payloads written before the types
existed (the same keys, no `version` key: version 1). The outbox entry's UUID
(`transaction_id`), not the decision, is the idempotency key of a delivery.

Bottom layer: imports nothing from `app`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Final, TypeAlias

__all__ = [
    "ACTIONS",
    "Assign",
    "Decision",
    "DecisionError",
    "Forward",
    "JournalNote",
    "Journalise",
    "Reject",
    "decision_from_json",
]

MAX_ID: Final = 200  # case, caseworker and receiver ids (UUIDs, "team:..." and the like)
MAX_CASE_NUMBER: Final = 64  # "27.24.00-G01-14547-26"
MAX_LABEL: Final = 256  # names shown to the user; SF2900 titles are 256 characters at most
MAX_REASON: Final = 4000
MAX_COMMENT: Final = 4000
MAX_NOTE: Final = 50_000  # a journal note

# C0/C1 control characters; text may keep tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_KLE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")


class DecisionError(ValueError):
    """A decision the rules refuse. `str()` is Danish and shown to the user as it is."""


# ---------------------------------------------------------------------------------------------
# The checks (used only by the types' __post_init__)


def _ident(value: object, what: str, *, required: str | None = None) -> str | None:
    """An identifier: stripped, bounded, no control characters. `required`: the message when
    it is missing (None: optional, an empty value becomes None)."""
    text = _single_line(value, what, MAX_ID)
    if text is None and required is not None:
        raise DecisionError(required)
    return text


def _single_line(value: object, what: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DecisionError(f"{what} har en ugyldig værdi")
    text = value.strip()
    if not text:
        return None
    if _CONTROL.search(text):
        raise DecisionError(f"{what} indeholder ugyldige tegn")
    if len(text) > limit:
        raise DecisionError(f"{what} må højst være {limit} tegn")
    return text


def _text(value: object, what: str, limit: int) -> str | None:
    """Free text (may span lines): stripped, bounded, nothing XML cannot carry."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise DecisionError(f"{what} har en ugyldig værdi")
    text = value.strip()
    if not text:
        return None
    if _TEXT_CONTROL.search(text):
        raise DecisionError(f"{what} indeholder ugyldige tegn")
    if len(text) > limit:
        raise DecisionError(f"{what} må højst være {limit} tegn")
    return text


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # normalising a frozen dataclass in __post_init__


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------------------------------------
# The decisions


@dataclass(frozen=True, slots=True)
class JournalNote:
    """A journal note on a case: `text` under `title` (no title: the receiver's default)."""

    action: ClassVar[str] = "journal_note"
    VERSION: ClassVar[int] = 1

    case_id: str
    text: str
    title: str | None = None

    def __post_init__(self) -> None:
        _set(
            self,
            "case_id",
            _ident(self.case_id, "Sags-id'et", required="Et journalnotat skal høre til en sag"),
        )
        text = _text(self.text, "Journalnotatet", MAX_NOTE)
        if text is None:
            raise DecisionError("Skriv en tekst i journalnotatet")
        _set(self, "text", text)
        _set(self, "title", _single_line(self.title, "Titlen på journalnotatet", MAX_LABEL))

    def to_json(self) -> dict[str, Any]:
        return _stored(self)


def _note_on(note: JournalNote | None, case_id: str | None) -> None:
    if note is None:
        return
    if not isinstance(note, JournalNote):
        raise DecisionError("Journalnotatet har en ugyldig værdi")
    if case_id is None:
        raise DecisionError("Et journalnotat kræver en sag")
    if note.case_id != case_id:
        raise DecisionError("Journalnotatet skal høre til den sag, beslutningen gælder")


@dataclass(frozen=True, slots=True)
class Journalise:
    """Journalise the message on a DUBU case, optionally with a journal note on that case."""

    action: ClassVar[str] = "journalise"
    VERSION: ClassVar[int] = 1

    case_id: str
    case_number: str | None = None
    note: JournalNote | None = None

    def __post_init__(self) -> None:
        _set(
            self,
            "case_id",
            _ident(self.case_id, "Sags-id'et", required="Vælg en sag at journalisere på"),
        )
        _set(self, "case_number", _single_line(self.case_number, "Sagsnummeret", MAX_CASE_NUMBER))
        _note_on(self.note, self.case_id)

    def to_json(self) -> dict[str, Any]:
        return _stored(self)


@dataclass(frozen=True, slots=True)
class Assign:
    """Assign the message to a caseworker (or a team), optionally on a case with a note."""

    action: ClassVar[str] = "assign"
    VERSION: ClassVar[int] = 1

    caseworker_id: str
    caseworker_label: str | None = None
    case_id: str | None = None
    case_number: str | None = None
    note: JournalNote | None = None
    # "Opret ny sag / genåbn sag": no case fits, so the letter goes to DUBU without a case, for
    # the caseworker to create one (or reopen `reopen_case_number`) with this KLE subject
    new_case_kle: str | None = None
    reopen_case_number: str | None = None

    def __post_init__(self) -> None:
        _set(
            self,
            "caseworker_id",
            _ident(self.caseworker_id, "Sagsbehandlerens id", required="Vælg en sagsbehandler"),
        )
        _set(
            self,
            "caseworker_label",
            _single_line(self.caseworker_label, "Sagsbehandlerens navn", MAX_LABEL),
        )
        _set(self, "case_id", _ident(self.case_id, "Sags-id'et"))
        _set(self, "case_number", _single_line(self.case_number, "Sagsnummeret", MAX_CASE_NUMBER))
        if self.case_number is not None and self.case_id is None:
            raise DecisionError("Et sagsnummer kræver en sag")
        _note_on(self.note, self.case_id)
        kle = _single_line(self.new_case_kle, "KLE-emnet", 8)
        if kle is not None and not _KLE.match(kle):
            raise DecisionError("KLE-emnet skal have formen NN.NN.NN")
        _set(self, "new_case_kle", kle)
        _set(
            self,
            "reopen_case_number",
            _single_line(self.reopen_case_number, "Sagsnummeret", MAX_CASE_NUMBER),
        )
        if kle is not None and self.case_id is not None:
            raise DecisionError("En ny sag kan ikke samtidig lægges på en eksisterende sag")
        if self.reopen_case_number is not None and kle is None:
            raise DecisionError("Angiv KLE-emnet for sagen, der skal genåbnes")

    @property
    def new_case(self) -> bool:
        """A hand-off to DUBU's case creation (no case; `new_case_kle` names the subject)."""
        return self.new_case_kle is not None

    def to_json(self) -> dict[str, Any]:
        return _stored(self)


@dataclass(frozen=True, slots=True)
class Reject:
    """Reject the message (it does not belong to this office), with a reason."""

    action: ClassVar[str] = "reject"
    VERSION: ClassVar[int] = 1

    reason: str

    def __post_init__(self) -> None:
        reason = _text(self.reason, "Begrundelsen", MAX_REASON)
        if reason is None:
            raise DecisionError("Angiv en begrundelse for afvisningen")
        _set(self, "reason", reason)

    def to_json(self) -> dict[str, Any]:
        return _stored(self)


@dataclass(frozen=True, slots=True)
class Forward:
    """Forward the message to another receiving system: a named system (`receiver_id`) and/or
    a KLE subject the routing finds the system by."""

    action: ClassVar[str] = "forward"
    VERSION: ClassVar[int] = 1

    receiver_id: str | None = None
    receiver_label: str | None = None
    kle: str | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        _set(self, "receiver_id", _ident(self.receiver_id, "Modtagerens id"))
        _set(
            self, "receiver_label", _single_line(self.receiver_label, "Modtagerens navn", MAX_LABEL)
        )
        kle = _single_line(self.kle, "KLE-emnet", 8)
        if kle is not None and not _KLE.match(kle):
            raise DecisionError("KLE-emnet skal have formen NN.NN.NN")
        _set(self, "kle", kle)
        _set(self, "comment", _text(self.comment, "Kommentaren", MAX_COMMENT))
        if self.receiver_id is None and self.kle is None:
            raise DecisionError("Vælg det system, elementet skal videresendes til")

    def to_json(self) -> dict[str, Any]:
        return _stored(self)


Decision: TypeAlias = Journalise | Assign | Reject | Forward | JournalNote

_TYPES: Final[dict[str, type[Decision]]] = {
    cls.action: cls for cls in (Journalise, Assign, Reject, Forward, JournalNote)
}
ACTIONS: Final = tuple(_TYPES)


def _note_json(note: JournalNote | None) -> dict[str, Any]:
    # Flat keys inside journalise/assign (the stored shape since version 1).
    return {} if note is None else {"note": note.text, "note_title": note.title}


def _stored(decision: Decision) -> dict[str, Any]:
    """The stored form of every decision type: its `VERSION`, then its fields in order (a
    journal note inside a decision as the flat `note`/`note_title` keys), unset ones left out."""
    data: dict[str, Any] = {"version": decision.VERSION}
    for f in fields(decision):
        value = getattr(decision, f.name)
        if f.name == "note":
            data.update(_note_json(value))
        else:
            data[f.name] = value
    return _drop_none(data)


# ---------------------------------------------------------------------------------------------
# Reading the stored form


def decision_from_json(action: str, data: Mapping[str, Any]) -> Decision:
    """The decision stored as `to_json()` under `action` (an outbox row's action + payload).

    Reads every version up to each type's `VERSION`; a payload without a `version` key is
    version 1 (the dicts the outbox stored before the types existed). Unknown keys are
    ignored. Raises `DecisionError` for an unknown action, a newer version or a payload the
    rules refuse.
    """
    cls = _TYPES.get(action)
    if cls is None:
        raise DecisionError(f"Ukendt handling: {action}")
    if not isinstance(data, Mapping):
        raise DecisionError("Beslutningen har en ugyldig form")
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DecisionError("Beslutningen har et ugyldigt versionsnummer")
    if version > cls.VERSION:
        raise DecisionError(
            f"Beslutningen er gemt af en nyere version af Postfordeler (version {version})"
        )

    def d(key: str) -> Any:
        return data.get(key)

    if cls is JournalNote:
        return JournalNote(case_id=d("case_id"), text=d("text"), title=d("title"))
    if cls is Journalise:
        case_id = d("case_id")
        return Journalise(
            case_id=case_id,
            case_number=d("case_number"),
            note=_stored_note(case_id, data),
        )
    if cls is Assign:
        case_id = d("case_id")
        return Assign(
            caseworker_id=d("caseworker_id"),
            caseworker_label=d("caseworker_label"),
            case_id=case_id,
            case_number=d("case_number"),
            note=_stored_note(case_id, data),
            new_case_kle=d("new_case_kle"),
            reopen_case_number=d("reopen_case_number"),
        )
    if cls is Reject:
        return Reject(reason=d("reason"))
    return Forward(
        receiver_id=d("receiver_id"),
        receiver_label=d("receiver_label"),
        kle=d("kle"),
        comment=d("comment"),
    )


def _stored_note(case_id: Any, data: Mapping[str, Any]) -> JournalNote | None:
    text = data.get("note")
    if text is None or (isinstance(text, str) and not text.strip()):
        return None  # before version 1 was written down, an empty note meant "no note"
    if not isinstance(case_id, str) or not case_id.strip():
        raise DecisionError("Et journalnotat kræver en sag")
    return JournalNote(case_id=case_id, text=text, title=data.get("note_title"))
