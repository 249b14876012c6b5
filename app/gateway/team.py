"""The gateway's JSON routes for the municipality's policy, the access log and the backlog.

    GET  /policy              the policy in force (any signed-in user: clients offer its actions)
    PUT  /policy              {"policy": {...}, "reason": "..."}: a new version (administrators)
    GET  /policy/history      every version (administrators)
    GET  /backlog             the team's backlog figures (app.gateway.store.GatewayStore.backlog)
    POST /audit/events        a client delivers its buffered access log (idempotent ids)
    GET  /audit/high-water    ?source=ID: the last source_seq the gateway has from that client
    POST /audit/query         {"cpr": "..."}: every access to one citizen (indsigt), itself
                              logged first; the CPR travels in the body, never in a URL

The actor of every row is the authenticated user; a name in the body is ignored. Refusals are
{"error", "message"} with a one-line Danish message: 403 ROLLE for a role that may not, 400
UGYLDIG for a bad body. Never logs a CPR, a reason text or message content.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web

from app import cpr as cpr_numbers
from app.gateway import authz
from app.gateway.accesslog import CLIENT_ACTIONS, MAX_DETAIL, MAX_EVENTS, one_line
from app.gateway.policy import PolicyError, check_reason, policy_from_json
from app.gateway.store import GatewayStore, utcnow
from app.models.inbox import older_than_cutoff
from app.sf1606.stored import facts_from_json
from app.sf1606.subjects import cprs_for_message

log = logging.getLogger("postfordeler.gateway.team")

POLICY_PATH = "/policy"
POLICY_HISTORY_PATH = "/policy/history"
BACKLOG_PATH = "/backlog"
BACKLOG_ITEMS_PATH = "/backlog/items"  # drill-down: the items behind one figure
BACKLOG_ITEMS_MAX = 500
AUDIT_EVENTS_PATH = "/audit/events"
AUDIT_HIGH_WATER_PATH = "/audit/high-water"
AUDIT_QUERY_PATH = "/audit/query"
ROLE_ADMINISTRATOR = "administrator"
ROLE_TEAM_LEAD = "team_lead"
MAX_BODY = 2 * 1024 * 1024
_SOURCE_RE = re.compile(r"[A-Za-z0-9_.-]{1,24}")
_EVENT_RE = re.compile(r"[A-Za-z0-9_.-]{1,36}")
NOT_ADMIN = "Kun en administrator kan ændre kommunens politik"


class TeamState(Protocol):
    """What the routes need of the gateway's state (app.gateway.server._State)."""

    store: GatewayStore

    def can_see(self, user: str, contact_point_id: str | None) -> bool: ...

    def role_of(self, user: str) -> str | None: ...


Run = Callable[..., Awaitable[Any]]
UserOf = Callable[[web.Request], Awaitable[str | web.Response]]


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


async def _body(request: web.Request) -> Any:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def mount(app: web.Application, state: Callable[[], TeamState], run: Run, user_of: UserOf) -> None:
    """Add the routes to `app`; `state()` is the gateway's state, `run(fn, *args)` runs
    blocking store work off the loop, `user_of(request)` authenticates (or answers 401)."""

    async def authorised(
        request: web.Request, operation: str, *, strict: bool = False
    ) -> str | web.Response:
        """The authenticated user when their role may do `operation` (app.gateway.authz), else
        the refusal (401 from `user_of`, 403 ROLLE). `strict`: refused without a directory too."""
        user = await user_of(request)
        if isinstance(user, web.Response):
            return user
        check = authz.strict_refusal if strict else authz.refusal
        if (why := check(state().role_of(user), operation)) is not None:
            return _error(403, "ROLLE", why)
        return user

    async def policy_get(request: web.Request) -> web.Response:
        st = state()
        user = await authorised(request, "policy.get")
        if isinstance(user, web.Response):
            return user
        current = await run(st.store.policy_version)
        data = current.to_json()
        data["role"] = st.role_of(user)
        return web.json_response(data)

    async def policy_put(request: web.Request) -> web.Response:
        st = state()
        user = await user_of(request)
        if isinstance(user, web.Response):
            return user
        if (why := authz.strict_refusal(st.role_of(user), "policy.put")) is not None:
            log.info("policy change refused: %s is no administrator", user)
            return _error(403, "ROLLE", why)
        body = await _body(request)
        if not isinstance(body, dict):
            return _error(400, "UGYLDIG", "Forespørgslen skal være et JSON-objekt")
        try:
            policy = policy_from_json(body.get("policy"))
            reason = check_reason(body.get("reason"))
        except PolicyError as exc:
            return _error(400, "UGYLDIG", str(exc))
        version = await run(st.store.set_policy, policy, user, reason)
        log.info("policy version %d set by %s", version.version, user)
        return web.json_response(version.to_json())

    async def policy_history(request: web.Request) -> web.Response:
        st = state()
        user = await authorised(request, "policy.history", strict=True)
        if isinstance(user, web.Response):
            return user
        history = await run(st.store.policy_history)
        return web.json_response({"versions": [v.to_json() for v in history]})

    async def backlog_get(request: web.Request) -> web.Response:
        st = state()
        user = await authorised(request, "backlog.get")
        if isinstance(user, web.Response):
            return user
        now = utcnow()
        current = await run(st.store.policy_version)
        frist = current.policy.frist_workdays
        cutoff = older_than_cutoff(frist, now)

        def visible(cp: str | None) -> bool:
            return st.can_see(user, cp)

        figures = await run(st.store.backlog, cutoff, can_see=visible)
        return web.json_response(
            {"as_of": now.isoformat(), "frist_workdays": frist, **figures},
        )

    async def backlog_items_get(request: web.Request) -> web.Response:
        st = state()
        user = await authorised(request, "backlog.items")
        if isinstance(user, web.Response):
            return user
        bucket = request.query.get("bucket", "open")
        assignee = request.query.get("assignee") or None
        try:
            limit = min(max(int(request.query.get("limit", "200")), 1), BACKLOG_ITEMS_MAX)
        except ValueError:
            return _error(400, "UGYLDIG", "limit skal være et tal")
        current = await run(st.store.policy_version)
        cutoff = older_than_cutoff(current.policy.frist_workdays, utcnow())

        def visible(cp: str | None) -> bool:
            return st.can_see(user, cp)

        items = await run(
            lambda: st.store.backlog_items(
                cutoff, bucket, assignee=assignee, can_see=visible, limit=limit
            )
        )
        return web.json_response({"bucket": bucket, "assignee": assignee, "items": items})

    async def audit_events(request: web.Request) -> web.Response:
        st = state()
        user = await authorised(request, "audit.events")
        if isinstance(user, web.Response):
            return user
        body = await _body(request)
        parsed = await run(_events, body, st.store)  # keyed hashes: the store's key
        if isinstance(parsed, str):
            return _error(400, "UGYLDIG", parsed)
        source, events = parsed
        added = await run(st.store.append_access, events, actor=user, source=source)
        return web.json_response({"added": added, "received": len(events)})

    async def audit_high_water(request: web.Request) -> web.Response:
        st = state()
        user = await authorised(request, "audit.high_water")
        if isinstance(user, web.Response):
            return user
        source = request.query.get("source", "")
        if not _SOURCE_RE.fullmatch(source):
            return _error(400, "UGYLDIG", "source skal angives")
        return web.json_response({"high_water": await run(st.store.access_high_water, source)})

    async def audit_query(request: web.Request) -> web.Response:
        st = state()
        user = await authorised(request, "audit.query", strict=True)
        if isinstance(user, web.Response):
            return user
        body = await _body(request)
        given = body.get("cpr") if isinstance(body, dict) else None
        try:
            cpr = cpr_numbers.normalise(given if isinstance(given, str) else "")
        except cpr_numbers.InvalidCpr:
            return _error(400, "UGYLDIG", "Ikke et gyldigt CPR-nummer (DDMMÅÅ-XXXX)")
        subject = await run(st.store.subject_hash, cpr)
        event = (f"query:{uuid.uuid4()}", utcnow(), "search_cpr", "", [subject], 0, "indsigt")
        await run(st.store.append_access, [event], actor=user, source="gateway")
        rows = await run(st.store.access_for_subject, subject)
        return web.json_response(
            {
                "entries": [
                    {
                        "at": r.at.astimezone(UTC).isoformat(),
                        "actor": r.actor,
                        "action": r.action,
                        "item": r.item or None,
                        "detail": r.detail or None,
                    }
                    for r in rows
                ]
            }
        )

    app.router.add_get(POLICY_PATH, policy_get)
    app.router.add_put(POLICY_PATH, policy_put)
    app.router.add_get(POLICY_HISTORY_PATH, policy_history)
    app.router.add_get(BACKLOG_PATH, backlog_get)
    app.router.add_get(BACKLOG_ITEMS_PATH, backlog_items_get)
    app.router.add_post(AUDIT_EVENTS_PATH, audit_events)
    app.router.add_get(AUDIT_HIGH_WATER_PATH, audit_high_water)
    app.router.add_post(AUDIT_QUERY_PATH, audit_query)


Event = tuple[str, datetime, str, str, Sequence[str], int, str]


def log_decision(
    store: GatewayStore, user: str, decision_id: str, message_uuid: str, action: str
) -> None:
    """Record a decision in the access log with the citizens of its item (blocking; a repeat
    of the same decision adds nothing)."""
    subjects: list[str] = []
    row = store.decision(decision_id)
    facts = store.message_facts(int(row["item_id"])) if row is not None else None
    if facts:
        subjects = [store.subject_hash(c) for c in cprs_for_message(facts_from_json(facts))]
    event = (f"decision:{decision_id}", utcnow(), "decision", message_uuid, subjects, 0, action)
    store.append_access([event], actor=user, source="gateway")


def _events(body: Any, store: GatewayStore) -> tuple[str, list[Event]] | str:
    """(source, events) of a POST /audit/events body, CPRs replaced by keyed hashes; or the
    one-line reason it is refused. Body: {"source", "events": [{"id", "seq", "at", "action",
    "item", "cprs", "detail"}]}."""
    if not isinstance(body, dict):
        return "Forespørgslen skal være et JSON-objekt"
    source = body.get("source")
    if not isinstance(source, str) or not _SOURCE_RE.fullmatch(source) or source == "gateway":
        return "source skal være klientens id"
    raw = body.get("events")
    if not isinstance(raw, list) or len(raw) > MAX_EVENTS:
        return f"events skal være en liste af højst {MAX_EVENTS} hændelser"
    out: list[Event] = []
    for entry in raw:
        if not isinstance(entry, dict):
            return "En hændelse skal være et JSON-objekt"
        event_id, seq, at, action = (entry.get(k) for k in ("id", "seq", "at", "action"))
        if not isinstance(event_id, str) or not _EVENT_RE.fullmatch(event_id):
            return "En hændelse mangler sit id"
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            return "En hændelses seq skal være et heltal"
        if action not in CLIENT_ACTIONS:
            return f"Ukendt handling: {str(action)[:40]}"
        try:
            when = datetime.fromisoformat(str(at))
        except ValueError:
            return "En hændelses tidspunkt skal være ISO 8601"
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        item = entry.get("item") or ""
        if item:
            try:
                item = str(uuid.UUID(str(item)))
            except ValueError:
                return "item skal være meddelelsens UUID"
        cprs = entry.get("cprs") or []
        if not isinstance(cprs, list) or len(cprs) > 100:
            return "cprs skal være en liste"
        subjects = []
        for value in cprs:
            try:
                subjects.append(store.subject_hash(cpr_numbers.normalise(str(value))))
            except cpr_numbers.InvalidCpr:
                return "En hændelse har et ugyldigt CPR-nummer"
        # free text stays short and without CPRs; a name search's query is never kept here
        detail = (
            ""
            if action == "search_name"
            else cpr_numbers.redact(one_line(entry.get("detail") or "", MAX_DETAIL))
        )
        out.append((f"{source}:{event_id}", when, str(action), item, subjects, seq, detail))
    return source, out
