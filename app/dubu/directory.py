"""The one adapter for DUBU case look-ups (in production: SF1475 "Hent sager fra DUBU").

Every case look-up the client makes goes through a `DubuDirectory`: cases by CPR (of the child or
of a party), by case number (tolerant: spaces, lower case, without the year), by name (tolerant
of typos and order), one case by id, the letter DUBU sent with a given messageUUID
(case-insensitive), and the caseworkers. Two implementations with the same answers:

- `DatasetDubuDirectory(dataset)`: in-process, over a `DubuDataset` (app/dubu/dataset.py).
- `HttpDubuDirectory(base_url)`: JSON over HTTP (httpx.AsyncClient) against the sandbox's DUBU
  directory service (app/sandbox/dubu_service.py), which itself wraps a DatasetDubuDirectory.

Results are small frozen dataclasses (`CaseInfo`, `LetterInfo`, ...) with `to_json`/`from_json`
for the wire. This module never logs CPR numbers or names; network failures surface as
`DubuUnavailable` (retryable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from app.dubu.dataset import Case, DubuDataset

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CaseInfo",
    "CaseworkerInfo",
    "DatasetDubuDirectory",
    "DubuDirectory",
    "DubuUnavailable",
    "HttpDubuDirectory",
    "LetterInfo",
    "PartyInfo",
    "PersonInfo",
]


class DubuUnavailable(Exception):
    """The directory could not be reached or answered with a server error (retryable)."""


# ---------------------------------------------------------------------------------------------
# Wire records


@dataclass(frozen=True, slots=True)
class CaseworkerInfo:
    id: str
    initials: str
    name: str
    team: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "initials": self.initials, "name": self.name, "team": self.team}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CaseworkerInfo:
        return cls(str(d["id"]), d.get("initials", ""), d.get("name", ""), d.get("team", ""))


@dataclass(frozen=True, slots=True)
class PartyInfo:
    cpr: str
    name: str
    role: str  # mor, far, plejeforælder, værge

    def to_json(self) -> dict[str, Any]:
        return {"cpr": self.cpr, "name": self.name, "role": self.role}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PartyInfo:
        return cls(str(d["cpr"]), d.get("name", ""), d.get("role", ""))


@dataclass(frozen=True, slots=True)
class CaseInfo:
    id: str
    number: str
    title: str
    kle: str
    child_cpr: str
    child_name: str
    parties: tuple[PartyInfo, ...]
    caseworker: CaseworkerInfo | None
    status: str  # "open" | "closed"
    opened: date | None
    closed: date | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "kle": self.kle,
            "child_cpr": self.child_cpr,
            "child_name": self.child_name,
            "parties": [p.to_json() for p in self.parties],
            "caseworker": self.caseworker.to_json() if self.caseworker else None,
            "status": self.status,
            "opened": self.opened.isoformat() if self.opened else None,
            "closed": self.closed.isoformat() if self.closed else None,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CaseInfo:
        cw = d.get("caseworker")
        return cls(
            id=str(d["id"]),
            number=str(d.get("number", "")),
            title=d.get("title", ""),
            kle=d.get("kle", ""),
            child_cpr=str(d.get("child_cpr", "")),
            child_name=d.get("child_name", ""),
            parties=tuple(PartyInfo.from_json(p) for p in d.get("parties", ())),
            caseworker=CaseworkerInfo.from_json(cw) if cw else None,
            status=d.get("status", "open"),
            opened=date.fromisoformat(d["opened"]) if d.get("opened") else None,
            closed=date.fromisoformat(d["closed"]) if d.get("closed") else None,
        )


@dataclass(frozen=True, slots=True)
class LetterInfo:
    message_uuid: str  # lower case
    case_id: str
    recipient_cpr: str
    sent: datetime | None
    label: str

    def to_json(self) -> dict[str, Any]:
        return {
            "message_uuid": self.message_uuid,
            "case_id": self.case_id,
            "recipient_cpr": self.recipient_cpr,
            "sent": self.sent.isoformat().replace("+00:00", "Z") if self.sent else None,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LetterInfo:
        sent = d.get("sent")
        return cls(
            message_uuid=str(d["message_uuid"]).lower(),
            case_id=str(d["case_id"]).lower(),
            recipient_cpr=str(d.get("recipient_cpr", "")),
            sent=datetime.fromisoformat(sent) if sent else None,
            label=d.get("label", ""),
        )


@dataclass(frozen=True, slots=True)
class PersonInfo:
    cpr: str
    name: str
    address: str

    def to_json(self) -> dict[str, Any]:
        return {"cpr": self.cpr, "name": self.name, "address": self.address}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PersonInfo:
        return cls(str(d["cpr"]), d.get("name", ""), d.get("address", ""))


# ---------------------------------------------------------------------------------------------
# The protocol


@runtime_checkable
class DubuDirectory(Protocol):
    async def cases_by_cpr(self, cpr: str) -> list[CaseInfo]:
        """Cases of the child with this CPR, then cases where it is a party; open first."""
        ...

    async def case_by_number(self, number: str) -> CaseInfo | None: ...

    async def cases_by_name(self, name: str) -> list[CaseInfo]:
        """Cases of persons whose name matches (children and parties), best match first."""
        ...

    async def case(self, case_id: str) -> CaseInfo | None: ...

    async def letter(self, message_uuid: str) -> LetterInfo | None: ...

    async def caseworkers(self) -> list[CaseworkerInfo]: ...

    async def person(self, cpr: str) -> PersonInfo | None: ...

    async def close(self) -> None:
        """Release connections; the directory is not used afterwards."""
        ...


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


# ---------------------------------------------------------------------------------------------
# In-process implementation


class DatasetDubuDirectory:
    """A `DubuDirectory` over an in-memory `DubuDataset` (no I/O; answers are dict hits)."""

    def __init__(self, dataset: DubuDataset, *, name_limit: int = 20) -> None:
        self.dataset = dataset
        self.name_limit = name_limit

    # synchronous core, shared with the HTTP service ------------------------------------

    def _name(self, cpr: str) -> str:
        person = self.dataset.person(cpr)
        return person.name if person else ""

    def case_info(self, case: Case) -> CaseInfo:
        ds = self.dataset
        cw = ds.caseworker(case.caseworker_id)
        return CaseInfo(
            id=case.id,
            number=case.number,
            title=case.title,
            kle=case.kle,
            child_cpr=case.child_cpr,
            child_name=self._name(case.child_cpr),
            parties=tuple(PartyInfo(p.cpr, self._name(p.cpr), p.role) for p in case.parties),
            caseworker=CaseworkerInfo(cw.id, cw.initials, cw.name, cw.team) if cw else None,
            status=case.status,
            opened=case.opened,
            closed=case.closed,
        )

    def sync_cases_by_cpr(self, cpr: str) -> list[CaseInfo]:
        digits = _digits(cpr)
        if len(digits) != 10:
            return []
        seen: dict[str, Case] = {}
        for case in (*self.dataset.cases_for_child(digits), *self.dataset.cases_for_party(digits)):
            seen.setdefault(case.id, case)
        return [self.case_info(c) for c in seen.values()]

    def sync_case_by_number(self, number: str) -> CaseInfo | None:
        case = self.dataset.case_by_number(number)
        return self.case_info(case) if case else None

    def sync_cases_by_name(self, name: str) -> list[CaseInfo]:
        seen: dict[str, Case] = {}
        for person, _score in self.dataset.search_names(name, limit=self.name_limit):
            for case in (
                *self.dataset.cases_for_child(person.cpr),
                *self.dataset.cases_for_party(person.cpr),
            ):
                seen.setdefault(case.id, case)
        return [self.case_info(c) for c in seen.values()]

    def sync_case(self, case_id: str) -> CaseInfo | None:
        case = self.dataset.case_by_id(case_id)
        return self.case_info(case) if case else None

    def sync_letter(self, message_uuid: str) -> LetterInfo | None:
        lt = self.dataset.letter_by_uuid(message_uuid)
        if lt is None:
            return None
        return LetterInfo(lt.message_uuid, lt.case_id, lt.recipient_cpr, lt.sent, lt.label)

    def sync_caseworkers(self) -> list[CaseworkerInfo]:
        return [
            CaseworkerInfo(w.id, w.initials, w.name, w.team) for w in self.dataset.caseworkers()
        ]

    def sync_person(self, cpr: str) -> PersonInfo | None:
        p = self.dataset.person(cpr)
        return PersonInfo(p.cpr, p.name, p.address) if p else None

    # the async protocol ---------------------------------------------------------------

    async def cases_by_cpr(self, cpr: str) -> list[CaseInfo]:
        return self.sync_cases_by_cpr(cpr)

    async def case_by_number(self, number: str) -> CaseInfo | None:
        return self.sync_case_by_number(number)

    async def cases_by_name(self, name: str) -> list[CaseInfo]:
        return self.sync_cases_by_name(name)

    async def case(self, case_id: str) -> CaseInfo | None:
        return self.sync_case(case_id)

    async def letter(self, message_uuid: str) -> LetterInfo | None:
        return self.sync_letter(message_uuid)

    async def caseworkers(self) -> list[CaseworkerInfo]:
        return self.sync_caseworkers()

    async def person(self, cpr: str) -> PersonInfo | None:
        return self.sync_person(cpr)

    async def close(self) -> None:
        return None


# ---------------------------------------------------------------------------------------------
# HTTP implementation


class HttpDubuDirectory:
    """A `DubuDirectory` over the JSON/HTTP directory service (sandbox, or a production shim)."""

    def __init__(
        self, base_url: str, *, timeout: float = 10.0, client: httpx.AsyncClient | None = None
    ) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self._own = client is None
        self._client: httpx.AsyncClient = client or httpx.AsyncClient(timeout=timeout)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any | None:
        import httpx

        try:
            resp = await self._client.get(f"{self.base_url}{path}", params=params)
        except httpx.HTTPError as exc:
            raise DubuUnavailable(f"DUBU-opslag fejlede: {type(exc).__name__}") from exc
        if resp.status_code == 404:
            return None
        if resp.status_code >= 500:
            raise DubuUnavailable(f"DUBU svarede HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise ValueError(f"DUBU afviste opslaget: HTTP {resp.status_code}")
        try:
            return resp.json()
        except ValueError as exc:
            raise DubuUnavailable("DUBU svarede ikke med JSON") from exc

    async def _cases(self, params: dict[str, str]) -> list[CaseInfo]:
        data = await self._get("/cases", params)
        return [CaseInfo.from_json(c) for c in data or ()]

    async def cases_by_cpr(self, cpr: str) -> list[CaseInfo]:
        return await self._cases({"cpr": _digits(cpr)})

    async def case_by_number(self, number: str) -> CaseInfo | None:
        found = await self._cases({"number": number})
        return found[0] if found else None

    async def cases_by_name(self, name: str) -> list[CaseInfo]:
        return await self._cases({"name": name})

    async def case(self, case_id: str) -> CaseInfo | None:
        if not re.fullmatch(r"[0-9A-Za-z\-]{1,64}", case_id.strip()):
            return None
        data = await self._get(f"/cases/{case_id.strip()}")
        return CaseInfo.from_json(data) if data else None

    async def letter(self, message_uuid: str) -> LetterInfo | None:
        if not re.fullmatch(r"[0-9A-Za-z\-]{1,64}", message_uuid.strip()):
            return None
        data = await self._get(f"/letters/{message_uuid.strip()}")
        return LetterInfo.from_json(data) if data else None

    async def caseworkers(self) -> list[CaseworkerInfo]:
        data = await self._get("/caseworkers")
        return [CaseworkerInfo.from_json(w) for w in data or ()]

    async def person(self, cpr: str) -> PersonInfo | None:
        digits = _digits(cpr)
        if len(digits) != 10:
            return None
        data = await self._get(f"/persons/{digits}")
        return PersonInfo.from_json(data) if data else None

    async def close(self) -> None:
        if self._own:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
