"""The sandbox's DUBU case directory: JSON over HTTP, seeded from a dataset (dubu.json format).

Stands in for DUBU's read API (SF1475 in production). Routes, relative to `base_url`:

- `GET /cases?cpr=DDMMYYSSSS`  cases of the child, then cases where the person is a party
- `GET /cases?number=...`       0 or 1 case (tolerant number match, see DubuDataset)
- `GET /cases?name=...`         cases of persons whose name matches (typo tolerant)
- `GET /cases/{id}`             one case (404 if unknown)
- `GET /letters/{message_uuid}` the letter DUBU sent with that messageUUID (case-insensitive)
- `GET /caseworkers`, `GET /persons/{cpr}`, `GET /health`
- `GET|POST /faults`            fault plan (http500, slow, drop; see app/sandbox/faults.py)

Case JSON: id, number, title, kle, child_cpr, child_name, parties [{cpr,name,role}],
caseworker {id,initials,name,team}, status, opened, closed. All answers come from
`DatasetDubuDirectory`, so the HTTP and in-process directories always agree.
No access log: query strings carry CPR numbers, which must never reach a log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from app.dubu.dataset import DubuDataset
from app.dubu.directory import DatasetDubuDirectory
from app.gateway.server import client_gone
from app.sandbox.faults import FaultPlan, FaultRule
from app.sandbox.loopback import LoopbackService

log = logging.getLogger("postfordeler.sandbox.dubu")
_KINDS = frozenset({"http500", "slow", "drop"})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


class DubuDirectoryService(LoopbackService):
    def __init__(
        self,
        dataset: DubuDataset,
        *,
        faults: Iterable[FaultRule | Mapping[str, Any]] | FaultPlan | None = None,
        seed: int | None = None,
    ) -> None:
        self.dataset = dataset
        self.directory = DatasetDubuDirectory(dataset)
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan.of(faults, seed=seed)
        self.base_url: str | None = None
        self.calls = 0
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[client_gone, self._fault_middleware])
        r = app.router
        r.add_get("/cases", self._cases)
        r.add_get("/cases/{case_id}", self._case)
        r.add_get("/letters/{message_uuid}", self._letter)
        r.add_get("/caseworkers", self._caseworkers)
        r.add_get("/persons/{cpr}", self._person)
        r.add_get("/health", self._health)
        r.add_get("/faults", self._get_faults)
        r.add_post("/faults", self._post_faults)
        return app

    # -- faults ---------------------------------------------------------------------------

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in ("/faults", "/health"):
            return await handler(request)
        self.calls += 1
        rule = self.faults.draw(request.path.split("/")[1] or "/", _KINDS)
        if rule is not None:
            if rule.kind == "http500":
                return web.json_response({"error": "injiceret fejl"}, status=500)
            if rule.kind == "slow":
                await asyncio.sleep(rule.seconds)
            elif rule.kind == "drop":
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
        return await handler(request)

    async def _get_faults(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.faults.to_json())

    async def _post_faults(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
            items = payload if isinstance(payload, list) else [payload]
            if any(isinstance(i, Mapping) and i.get("kind") not in (None, *_KINDS) for i in items):
                raise ValueError(f"DUBU understands only {sorted(_KINDS)}")
            self.faults.apply_json(payload)
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "faults": self.faults.to_json()})

    # -- routes ---------------------------------------------------------------------------

    async def _cases(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        d = self.directory
        if "cpr" in q:
            found = d.sync_cases_by_cpr(q["cpr"])
        elif "number" in q:
            one = d.sync_case_by_number(q["number"])
            found = [one] if one else []
        elif "name" in q:
            found = await asyncio.to_thread(d.sync_cases_by_name, q["name"])
        else:
            return web.json_response({"error": "angiv cpr, number eller name"}, status=400)
        return web.json_response([c.to_json() for c in found], dumps=_dumps)

    async def _case(self, request: web.Request) -> web.StreamResponse:
        case = self.directory.sync_case(request.match_info["case_id"])
        if case is None:
            raise web.HTTPNotFound()
        return web.json_response(case.to_json(), dumps=_dumps)

    async def _letter(self, request: web.Request) -> web.StreamResponse:
        letter = self.directory.sync_letter(request.match_info["message_uuid"])
        if letter is None:
            raise web.HTTPNotFound()
        return web.json_response(letter.to_json(), dumps=_dumps)

    async def _caseworkers(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            [w.to_json() for w in self.directory.sync_caseworkers()], dumps=_dumps
        )

    async def _person(self, request: web.Request) -> web.StreamResponse:
        person = self.directory.sync_person(request.match_info["cpr"])
        if person is None:
            raise web.HTTPNotFound()
        return web.json_response(person.to_json(), dumps=_dumps)

    async def _health(self, request: web.Request) -> web.StreamResponse:
        ds = self.dataset
        return web.json_response(
            {
                "ok": True,
                "service": "dubu",
                "municipality": ds.municipality.name,
                "cases": len(ds.cases),
                "letters": len(ds.letters),
            },
            dumps=_dumps,
        )
