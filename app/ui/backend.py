"""What the widgets may ask of the client core, as awaitables on the qasync loop.

`UiBackend` is handed to the main window (widgets are fed, not foraging): inbox queries and
message reads run on the read thread, every write (decisions, undo, read marks, suggestions) on
C's single DB writer thread, suggestion ranking on the read thread. The UI thread never waits on
the disk or the network. Decisions only ever go into the outbox (`Cache.enqueue`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.audit import AccessLog, cprs_for_message
from app.cpr import find as find_cprs
from app.models.cache import Cache, OutboxRow
from app.models.inbox import (
    FileRow,
    InboxFilter,
    InboxQueries,
    InboxRow,
    SortColumn,
)
from app.models.schema import OutboxStatus
from app.sf1606.model import MemoMessage
from app.ui.suggestions import Suggester, SuggestionView
from app.ui.tasks import Background

log = logging.getLogger("postfordeler.ui.backend")


@dataclass(frozen=True, slots=True)
class ItemDetail:
    item_id: int
    row: InboxRow
    message: MemoMessage
    files: tuple[FileRow, ...]
    outbox: tuple[OutboxRow, ...]

    @property
    def open_outbox(self) -> OutboxRow | None:
        return next((o for o in reversed(self.outbox) if o.status in OutboxStatus.OPEN), None)

    @property
    def last_outbox(self) -> OutboxRow | None:
        live = [o for o in self.outbox if o.status != OutboxStatus.CANCELLED]
        return live[-1] if live else None


class UiBackend:
    def __init__(
        self,
        *,
        cache: Cache,
        background: Background,
        suggester: Suggester | None,
        user: str,
        receivers: Callable[[], Any] | None = None,
        wake_outbox: Callable[[], None] | None = None,
        audit: AccessLog | None = None,
        claim: Callable[[int], Awaitable[bool]] | None = None,
    ) -> None:
        self.cache = cache
        self.queries = InboxQueries(cache.engine, user)
        # Every view of personal data is logged per citizen (keyed hash; key in the OS
        # keyring). Without a keyring AccessLog.open raises AuditKeyUnavailable: no logging,
        # no personal data on screen.
        self.audit = audit or AccessLog.open(cache.db, user=user)
        self.bg = background
        self.suggester = suggester
        self.user = user
        self._receivers = receivers
        self.wake_outbox = wake_outbox or (lambda: None)
        # Team mode: claim the item at the gateway before deciding (ClaimRefused → shown).
        self.claim = claim

    # ------------------------------------------------------------------ inbox
    async def ids(self, flt: InboxFilter, sort: SortColumn, descending: bool) -> list[int]:
        return await self.bg.read(self.queries.ids, flt, sort, descending)

    async def rows(self, ids: Sequence[int]) -> dict[int, InboxRow]:
        return await self.bg.read(self.queries.rows, list(ids))

    async def view_counts(self) -> dict[str, int]:
        return await self.bg.read(self.queries.view_counts)

    async def filter_choices(self) -> dict[str, list[Any]]:
        def load() -> dict[str, list[Any]]:
            return {
                "contact_points": self.queries.contact_points(),
                "assignees": self.queries.assignees(),
                "claimers": self.queries.claimers(),
            }

        return await self.bg.read(load)

    async def detail(self, item_id: int) -> ItemDetail:
        def load() -> ItemDetail:
            row = self.queries.rows([item_id])[item_id]
            return ItemDetail(
                item_id,
                row,
                self.cache.message(item_id),
                tuple(self.queries.files(item_id)),
                tuple(self.cache.outbox_entries(item_id=item_id)),
            )

        return await self.bg.read(load)

    # ------------------------------------------------------------------ access log
    async def log_view(self, item_id: int, message: MemoMessage) -> None:
        await self.bg.write(self.audit.view_item, item_id, cprs_for_message(message))

    async def log_file(
        self, item_id: int, message: MemoMessage, position: int, action: str
    ) -> None:
        """`action`: "open_file" or "save_file" (both are a look at the file's content)."""
        del action
        await self.bg.write(self.audit.open_file, item_id, position, cprs_for_message(message))

    async def log_case_search(self, query: str, item_id: int | None) -> None:
        """A case search by CPR is itself a look-up in that citizen's data."""
        cprs = [hit.cpr for hit in find_cprs(query) if hit.valid_date]

        def write() -> None:
            for cpr in dict.fromkeys(cprs):
                self.audit.search_cpr(cpr)
            if not cprs and query.strip():
                self.audit.search_name(query)

        await self.bg.write(write)

    async def mark_read(self, item_ids: Sequence[int], read: bool = True) -> None:
        await self.bg.write(self.queries.set_read, list(item_ids), read)

    # ------------------------------------------------------------------ suggestions
    async def suggest(self, item_id: int, message: MemoMessage) -> SuggestionView:
        if self.suggester is None:
            return SuggestionView()
        view = await self.bg.read(self.suggester.suggest, message)
        top = view.choices[0] if view.choices else None
        await self.bg.write(
            self.cache.set_suggestion,
            item_id,
            top.case_id if top else None,
            top.case_number if top else None,
            top.score if top else None,
            view.misrouted,
        )
        return view

    async def suggest_pending(
        self, on_batch: Callable[[list[int]], None] | None = None, batch: int = 25
    ) -> int:
        """Give every open item without a suggestion one, in small batches off the UI thread,
        so the inbox's "Forslag" column fills in without selecting each item."""
        if self.suggester is None:
            return 0
        suggester = self.suggester
        done = 0
        while True:
            ids = await self.bg.background(self.queries.unsuggested_ids, batch)
            if not ids:
                return done

            def rank(ids: list[int] = ids) -> list[tuple[int, SuggestionView | None]]:
                out: list[tuple[int, SuggestionView | None]] = []
                for item_id in ids:
                    try:
                        out.append((item_id, suggester.suggest(self.cache.message(item_id))))
                    except Exception:
                        log.warning("suggestion failed for item %s", item_id, exc_info=True)
                        out.append((item_id, None))
                return out

            ranked = await self.bg.background(rank)
            for item_id, view in ranked:
                top = view.choices[0] if view and view.choices else None
                await self.bg.write(
                    self.cache.set_suggestion,
                    item_id,
                    top.case_id if top else None,
                    top.case_number if top else None,
                    top.score if top else None,
                    bool(view and view.misrouted),
                )
            done += len(ids)
            if on_batch is not None:
                on_batch(ids)
            await asyncio.sleep(0.05)  # let the UI breathe between batches

    async def search_cases(self, query: str, message: MemoMessage | None = None) -> SuggestionView:
        if self.suggester is None:
            return SuggestionView()
        return await self.bg.read(self.suggester.search, query, message)

    async def caseworkers(self) -> list[tuple[str, str, str]]:
        if self.suggester is None:
            return []
        return self.suggester.caseworkers()

    async def receivers(self) -> list[tuple[str, str]]:
        """Receiving systems for Videresend (SF2900 FordelingsmodtagerList when available)."""
        if self._receivers is None:
            return []
        result = self._receivers()
        if asyncio.iscoroutine(result):
            result = await result
        return list(result)

    # ------------------------------------------------------------------ decisions
    async def enqueue(self, item_id: int, action: str, payload: dict[str, Any]) -> int:
        if self.claim is not None:
            await self.claim(item_id)
        outbox_id = await self.bg.write(self.cache.enqueue, item_id, action, payload, self.user)
        self.wake_outbox()
        return outbox_id

    async def undo(self, outbox_id: int) -> bool:
        return await self.bg.write(self.cache.undo, outbox_id)

    async def outbox_counts(self) -> dict[str, int]:
        return await self.bg.read(self.cache.outbox_counts)
