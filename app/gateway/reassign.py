"""The team lead's bulk reassignment (issue 11, point 4: holiday, sickness): `POST /reassign`.

    POST /reassign  {"from_caseworker": id, "to_caseworker": id,
                     "message_uuids": [...] (optional: every open item of from_caseworker),
                     "reason": str}
                 -> {"reassigned": [message_uuid, ...],
                     "skipped": [{"message_uuid", "reason"}, ...]}

Team leads only (`app.gateway.authz`, 403 ROLLE). Each item whose current decision assigns it
to `from_caseworker` gets a new `assign` decision to `to_caseworker` (the old one's case, note
and KLE kept), by the team lead, through the normal gateway outbox: the delivery worker sends it
to SF2900 as `Fordelt` with the new caseworker's BrugerRef. Each is in the access log twice:
the decision, and a `reassign` row with the reason. An item that cannot be reassigned is
skipped with one Danish line (not assigned to from_caseworker, not visible, the assignment
not yet delivered to DUBU, ...). Refusals: 400 UGYLDIG with one Danish line.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from app.gateway import authz, team
from app.gateway.accesslog import MAX_DETAIL, one_line
from app.gateway.store import StoreError, utcnow

log = logging.getLogger("postfordeler.gateway.reassign")

REASSIGN_PATH = "/reassign"
MAX_BODY = 1024 * 1024
MAX_ITEMS = 5000
MIN_REASON = 3
NOT_ASSIGNED = "Elementet er ikke fordelt til sagsbehandleren"

Run = Callable[..., Awaitable[Any]]
UserOf = Callable[[web.Request], Awaitable[str | web.Response]]


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def parse(body: object) -> tuple[str, str, list[str] | None, str] | str:
    """(from, to, message_uuids or None, reason) of a request body, or the Danish reason it
    is refused."""
    if not isinstance(body, dict):
        return "Forespørgslen skal være et JSON-objekt"
    src, dst, reason = (body.get(k) for k in ("from_caseworker", "to_caseworker", "reason"))
    if not (isinstance(src, str) and src.strip() and isinstance(dst, str) and dst.strip()):
        return "from_caseworker og to_caseworker skal angives"
    if len(src) > 200 or len(dst) > 200:
        return "En sagsbehandlers id er højst 200 tegn"
    if src.strip() == dst.strip():
        return "Vælg en anden sagsbehandler at omfordele til"
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        return f"Angiv en begrundelse (mindst {MIN_REASON} tegn)"
    raw = body.get("message_uuids")
    uuids: list[str] | None = None
    if raw is not None:
        if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
            return f"message_uuids skal være en liste af højst {MAX_ITEMS} UUID'er"
        try:
            uuids = [str(uuid.UUID(str(u))) for u in raw]
        except ValueError:
            return "message_uuids skal være UUID'er"
    return src.strip(), dst.strip(), uuids, " ".join(reason.split())


def mount(app: web.Application, state: Callable[[], Any], run: Run, user_of: UserOf) -> None:
    """Add POST /reassign to `app` (as `app.gateway.team.mount`)."""

    async def reassign(request: web.Request) -> web.Response:
        st = state()
        user = await user_of(request)
        if isinstance(user, web.Response):
            return user
        if (why := authz.strict_refusal(st.role_of(user), "reassign.post")) is not None:
            return _error(403, "ROLLE", why)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(400, "UGYLDIG", "Forespørgslen er for stor")
        raw = await request.content.read(MAX_BODY + 1)
        try:
            body = json.loads(raw) if len(raw) <= MAX_BODY else None
        except (ValueError, UnicodeDecodeError):
            body = None
        parsed = parse(body)
        if isinstance(parsed, str):
            return _error(400, "UGYLDIG", parsed)
        src, dst, wanted, reason = parsed
        open_items = {a["message_uuid"]: a for a in await run(st.store.assignments_of, src)}
        targets = wanted if wanted is not None else list(open_items)
        done: list[str] = []
        skipped: list[dict[str, str]] = []
        for message_uuid in dict.fromkeys(targets):
            current = open_items.get(message_uuid)
            if current is None or not st.can_see(user, current["contact_point_id"]):
                skipped.append({"message_uuid": message_uuid, "reason": NOT_ASSIGNED})
                continue
            payload = dict(current["payload"])
            payload["caseworker_id"] = dst
            payload.pop("caseworker_label", None)
            decision_id = str(uuid.uuid4())
            try:
                await run(
                    st.store.submit_decision,
                    user,
                    decision_id,
                    message_uuid,
                    "assign",
                    payload,
                    can_see=lambda cp: st.can_see(user, cp),
                )
            except StoreError as exc:
                skipped.append({"message_uuid": message_uuid, "reason": exc.text})
                continue
            done.append(message_uuid)
            try:
                await run(team.log_decision, st.store, user, decision_id, message_uuid, "assign")
                event: tuple[str, Any, str, str, list[str], int, str] = (
                    f"reassign:{decision_id}",
                    utcnow(),
                    "reassign",
                    message_uuid,
                    [],
                    0,
                    one_line(f"{src} -> {dst}: {reason}", MAX_DETAIL),
                )
                await run(st.store.append_access, [event], actor=user, source="gateway")
            except Exception:
                log.exception("reassignment %s not written to the access log", decision_id)
        if done and getattr(st, "wake", None) is not None:
            st.wake()
        log.info("%s reassigned %d items (%d skipped)", user, len(done), len(skipped))
        return web.json_response({"reassigned": done, "skipped": skipped})

    app.router.add_post(REASSIGN_PATH, reassign)
