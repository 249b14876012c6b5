"""The client's access log is a buffer: each row is delivered to the gateway exactly once.

Rows of the local `access_log` (app/core/audit.py) go to `POST /audit/events` in id order, in
batches. Each row's event id is its local id under this cache's `source` id (random, made once,
kept in `sync_state`), and the gateway skips an id it already has, so a batch answered but lost
on the way back is simply sent again. Where to start is asked of the gateway once per worker
(`GET /audit/high-water`), then followed locally: a round with nothing new costs no call.

The actor is never sent: the gateway records the authenticated user. The citizen's CPR numbers
are recomputed from the item's stored facts (`cprs_for_message`, over-logging is harmless) and
sent in the request body over TLS; the gateway keeps only its own keyed hash. A CPR search or
reveal without an item cannot be recovered from the local row (it holds only this PC's keyed
hash) and is delivered without its citizen. Never logs a CPR or message content.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Protocol, cast

from sqlalchemy import Table, select

from app.core.audit import LOG, cprs_for_message
from app.core.worker import DbWorker
from app.models.cache import Cache, CacheError
from app.models.schema import Item, SyncState

log = logging.getLogger("postfordeler.audit")

SOURCE_KEY = "audit_source"
BATCH = 500
_ITEMS = cast(Table, Item.__table__)
_STATE = cast(Table, SyncState.__table__)


class AuditSink(Protocol):
    async def audit_high_water(self, source: str) -> int: ...

    async def audit_deliver(self, source: str, events: list[dict[str, Any]]) -> int: ...


def source_id(cache: Cache) -> str:
    """This cache's id on the gateway's access log (made once; blocking)."""
    with cache.engine.begin() as conn:
        found = conn.execute(select(_STATE.c.value).where(_STATE.c.key == SOURCE_KEY)).scalar()
        if found:
            return str(found)
        fresh = "pc-" + secrets.token_hex(10)
        conn.execute(_STATE.insert().values(key=SOURCE_KEY, value=fresh))
        return fresh


def pending_events(cache: Cache, after: int, limit: int = BATCH) -> list[dict[str, Any]]:
    """Local rows after id `after` as gateway events (blocking): one event per local action,
    its rows (one per citizen) folded together."""
    log_c, items_c = LOG.c, _ITEMS.c
    stmt = (
        select(log_c.id, log_c.at, log_c.action, log_c.item_id, log_c.detail, items_c.message_uuid)
        .select_from(LOG.outerjoin(_ITEMS, items_c.id == log_c.item_id))
        .where(log_c.id > after)
        .order_by(log_c.id)
        .limit(limit)
    )
    with cache.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    events: list[dict[str, Any]] = []
    cprs_of: dict[int, list[str]] = {}
    for r in rows:
        cprs: list[str] = []
        if r.item_id is not None:
            if r.item_id not in cprs_of:
                try:
                    cprs_of[r.item_id] = sorted(cprs_for_message(cache.facts(r.item_id)))
                except CacheError:
                    cprs_of[r.item_id] = []
            cprs = cprs_of[r.item_id]
        at = r.at if isinstance(r.at, str) else r.at.isoformat()
        events.append(
            {
                "id": str(r.id),
                "seq": int(r.id),
                "at": at,
                "action": r.action,
                "item": r.message_uuid,
                "cprs": cprs,
                # a name search's query is personal data: it stays on this PC
                "detail": None if r.action == "search_name" else r.detail,
            }
        )
    return events


class AccessLogDelivery:
    """Deliver the local access log to the gateway; `await deliver_once()` per round."""

    def __init__(self, cache: Cache, gateway: AuditSink, worker: DbWorker) -> None:
        self.cache = cache
        self.gateway = gateway
        self.worker = worker
        self._source: str | None = None
        self._mark: int | None = None  # the last local id the gateway has

    async def deliver_once(self) -> int:
        """Send everything not yet delivered; returns the events sent. Raises the gateway
        client's errors (the caller retries next round)."""
        if self._source is None:
            self._source = await self.worker.submit(source_id, self.cache)
        if self._mark is None:
            self._mark = await self.gateway.audit_high_water(self._source)
        sent = 0
        while True:
            events = await self.worker.submit(pending_events, self.cache, self._mark)
            if not events:
                return sent
            await self.gateway.audit_deliver(self._source, events)
            self._mark = int(events[-1]["seq"])
            sent += len(events)
