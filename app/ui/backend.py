"""What the widgets may ask of the client core, as awaitables on the qasync loop.

`UiBackend` is handed to the main window (widgets are fed, not foraging): inbox queries and
message reads run on the read thread, every write (decisions, undo, read marks, suggestions) on
the client's single DB writer thread (`app.core.worker.DbWorker`), suggestion ranking on the
read thread. The UI thread never waits on the disk or the network. Decisions only ever go into
the outbox (`Cache.enqueue`).

Every method that changes state returns what it changed (`app.core.changes.OpChanges`, alone or
with its result in `OpChangesWith`); the caller publishes it once on the window's `ChangeBus`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from app.core import changes
from app.core.audit import AccessLog, cprs_for_message
from app.core.changes import OpChanges, OpChangesWith
from app.cpr import find as find_cprs
from app.decisions import Decision
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
from app.sf1606.stored import MessageFacts
from app.ui.suggestions import Suggester, SuggestionView
from app.ui.tasks import Background, current_loop

log = logging.getLogger("postfordeler.ui.backend")


PRELOAD_BYTES = 4 * 1024 * 1024  # files up to this much in total come with the detail
PREFETCH_KEEP = 2  # read-ahead details held at most (`UiBackend.prefetch`)


class FileSource:
    """The bytes of one cached item's files for the preview: the small ones are read with the
    detail (so the preview shows at once), the rest on demand on the read thread. Every read
    is streamed from the stored raw message and sha256-checked (`Cache.file_bytes`)."""

    def __init__(
        self,
        item_id: int,
        loaded: dict[int, bytes],
        load: Callable[[int, int], Awaitable[bytes]],
    ) -> None:
        self.item_id = item_id
        self._loaded = loaded
        self._load = load

    def cached(self, position: int) -> bytes | None:
        return self._loaded.get(position)

    async def load(self, position: int) -> bytes:
        data = self._loaded.get(position)
        if data is None:
            data = await self._load(self.item_id, position)
        return data


@dataclass(frozen=True, slots=True)
class ItemDetail:
    item_id: int
    row: InboxRow
    facts: MessageFacts  # what the one parse at ingest stored: header, file index, texts
    files: tuple[FileRow, ...]
    outbox: tuple[OutboxRow, ...]
    source: FileSource  # the files' bytes for the preview

    @property
    def message(self) -> MemoMessage:
        """The stored header (files without bytes: read them through `source`)."""
        return self.facts.header

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
        receivers: Callable[[], Awaitable[Sequence[tuple[Any, ...]]]] | None = None,
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
        # seconds a decision waits in the outbox before it is sent (the undo window; the
        # app sets it from the settings, `Settings.undo_hold_s`)
        self.undo_hold = 0.0
        self._ranked: tuple[MessageFacts, SuggestionView] | None = None  # see `detail`
        # read-ahead details by item id, oldest first (`prefetch`)
        self._prefetched: dict[int, asyncio.Future[tuple[ItemDetail, SuggestionView | None]]] = {}

    # ------------------------------------------------------------------ inbox
    async def ids(self, flt: InboxFilter, sort: SortColumn, descending: bool) -> list[int]:
        return await self.bg.read(self.queries.ids, flt, sort, descending)

    async def rows(self, ids: Sequence[int]) -> dict[int, InboxRow]:
        return await self.bg.read(self.queries.rows, list(ids))

    async def view_counts(self, scope: InboxFilter | None = None) -> dict[str, int]:
        """Each saved view's count within `scope` (the contact points this client receives),
        so a tab's count is its list's length."""
        return await self.bg.read(self.queries.view_counts, scope)

    async def filter_choices(self) -> dict[str, list[Any]]:
        def load() -> dict[str, list[Any]]:
            return {
                "contact_points": self.queries.contact_points(),
                "assignees": self.queries.assignees(),
                "claimers": self.queries.claimers(),
            }

        return await self.bg.read(load)

    async def detail(self, item_id: int) -> ItemDetail:
        """The item's row, stored facts, files and outbox entries, and the bytes of its small
        files — all from the cache, never a parse."""
        return await self.start_detail(item_id)

    def _load_detail(self, item_id: int) -> tuple[ItemDetail, SuggestionView | None]:
        """On a read thread: the item's detail and its ranking, in one trip."""
        row = self.queries.rows([item_id])[item_id]
        facts = self.cache.facts(item_id)
        loaded: dict[int, bytes] = {}
        budget = PRELOAD_BYTES
        for pos, f in enumerate(facts.files):
            if f.size <= budget:
                loaded[pos] = self.cache.file_bytes(item_id, pos)
                budget -= f.size
        detail = ItemDetail(
            item_id,
            row,
            facts,
            tuple(self.queries.files(item_id)),
            tuple(self.cache.outbox_entries(item_id=item_id)),
            FileSource(item_id, loaded, self.file_bytes),
        )
        # Rank in the same trip to the read thread: `suggest` for this item right after
        # then needs no second trip (the selection shows preview and suggestions sooner).
        view = None
        if self.suggester is not None:
            try:
                view = self.suggester.suggest(facts)
            except Exception:
                log.warning("suggestion failed for item %s", item_id, exc_info=True)
        return detail, view

    # ------------------------------------------------------------------ prefetch
    def prefetch(self, item_id: int | None) -> None:
        """Load `item_id` (the row a distributor most likely opens next) on the selection
        thread now, so that selecting it shows at once (`take_prefetched`). Only the detail is
        read ahead; the access log records what is shown, when it is shown. At most
        `PREFETCH_KEEP` items are held; `drop_prefetched` forgets the ones a change touched."""
        if item_id is None or item_id in self._prefetched:
            return
        self._prefetched[item_id] = self.bg.select(self._load_detail, item_id)
        while len(self._prefetched) > PREFETCH_KEEP:
            oldest = next(iter(self._prefetched))
            self._prefetched.pop(oldest).cancel()

    def is_prefetched(self, item_id: int) -> bool:
        """Whether `item_id` is read ahead and loaded (selecting it shows it at once)."""
        future = self._prefetched.get(item_id)
        return future is not None and future.done() and not future.cancelled()

    def take_prefetched(self, item_id: int) -> tuple[ItemDetail, SuggestionView | None] | None:
        """The prefetched detail of `item_id` when it is already loaded (else None; a load
        still running stays for `start_detail` to join)."""
        future = self._prefetched.get(item_id)
        if future is None or not future.done():
            return None
        del self._prefetched[item_id]
        if future.cancelled() or future.exception() is not None:
            return None
        return future.result()

    def drop_prefetched(self, changed: OpChanges) -> None:
        """Forget read-ahead details that `changed` may have made stale."""
        if not self._prefetched:
            return
        every = changed.waiting or changed.delivery or changed.membership or changed.settings
        for item_id in list(self._prefetched):
            if every or item_id in changed.items:
                self._prefetched.pop(item_id).cancel()

    def start_detail(self, item_id: int) -> asyncio.Future[ItemDetail]:
        """`detail`, started now: the read thread loads while the UI thread goes on (a
        selection paints the inbox row while its item loads); a prefetch of the item still
        running is joined, not repeated. Cancelling the future drops the answer; a failure is
        kept for whoever awaits it."""
        loaded = self._prefetched.pop(item_id, None)
        if loaded is None or loaded.cancelled():
            loaded = self.bg.select(self._load_detail, item_id)
        answer: asyncio.Future[ItemDetail] = current_loop().create_future()

        def done(f: asyncio.Future[tuple[ItemDetail, SuggestionView | None]]) -> None:
            if f.cancelled():
                if not answer.done():
                    answer.cancel()
                return
            exc = f.exception()  # retrieved even when nobody waits any more
            if answer.done():
                return
            if exc is not None:
                answer.set_exception(exc)
                return
            detail, view = f.result()
            self.remember_ranking(detail, view)
            answer.set_result(detail)

        loaded.add_done_callback(done)
        answer.add_done_callback(lambda a: loaded.cancel() if a.cancelled() else None)
        return answer

    async def file_bytes(self, item_id: int, position: int) -> bytes:
        """One file's bytes, streamed from the stored raw message on the read thread."""
        return await self.bg.read(self.cache.file_bytes, item_id, position)

    # ------------------------------------------------------------------ access log
    async def log_view(self, item_id: int, facts: MessageFacts) -> None:
        await self.bg.write(self.audit.view_item, item_id, cprs_for_message(facts))

    async def log_file(self, item_id: int, facts: MessageFacts, position: int, action: str) -> None:
        """`action`: "open_file" or "save_file" (both are a look at the file's content)."""
        del action
        await self.bg.write(self.audit.open_file, item_id, position, cprs_for_message(facts))

    async def log_reveal(self, item_id: int, cpr: str) -> None:
        """A masked CPR shown in full: logged before it is shown (the caller waits)."""
        await self.bg.write(self.audit.reveal_cpr, cpr, item_id)

    async def log_case_search(self, query: str, item_id: int | None) -> None:
        """A case search by CPR is itself a look-up in that citizen's data."""
        cprs = [hit.cpr for hit in find_cprs(query) if hit.valid_date]

        def write() -> None:
            for cpr in dict.fromkeys(cprs):
                self.audit.search_cpr(cpr)
            if not cprs and query.strip():
                self.audit.search_name(query)

        await self.bg.write(write)

    async def mark_read(self, item_ids: Sequence[int], read: bool = True) -> OpChanges:
        _written, delta = await self.bg.write(self.queries.set_read_counted, list(item_ids), read)
        return changes.marked_read(item_ids, delta)

    async def unread_count(self) -> int:
        """Open items nobody has looked at yet (the window title shows it). A count over the
        whole cache: on the background thread, never queued in front of a selection's read."""
        return await self.bg.background(self.queries.unread_count)

    # ------------------------------------------------------------------ suggestions
    def remember_ranking(self, detail: ItemDetail, view: SuggestionView | None) -> None:
        """`rank(detail.facts)` answers `view` without a trip to the read thread."""
        self._ranked = (detail.facts, view) if view is not None else None

    def has_ranking(self, facts: MessageFacts) -> bool:
        """True when `rank(facts)` answers at once (`detail` already ranked these facts)."""
        return self._ranked is not None and self._ranked[0] is facts

    async def rank(self, facts: MessageFacts) -> SuggestionView:
        """Rank cases from the item's stored facts (no parse). The ranking `detail` made for
        these very facts is reused, so a selection needs no second trip to the read thread."""
        if self.suggester is None:
            return SuggestionView()
        ranked, self._ranked = self._ranked, None
        if ranked is not None and ranked[0] is facts:
            return ranked[1]
        return await self.bg.read(self.suggester.suggest, facts)

    async def suggest(self, item_id: int, facts: MessageFacts) -> OpChangesWith[SuggestionView]:
        """Rank (`rank`) and store the top suggestion (`store_suggestion`)."""
        view = await self.rank(facts)
        return OpChangesWith(view, await self.store_suggestion(item_id, view))

    async def seen(self, detail: ItemDetail, view: SuggestionView) -> OpChanges:
        """What showing an item writes, in one trip to the writer thread: the access-log entry
        for the view, the top suggestion and the read mark."""
        item_id = detail.item_id
        cprs = cprs_for_message(detail.facts)
        top = view.choices[0] if view.choices else None
        suggester = self.suggester
        mark_read = not detail.row.read

        def write() -> int:
            self.audit.view_item(item_id, cprs)
            if suggester is not None:
                self.cache.set_suggestion(
                    item_id,
                    top.case_id if top else None,
                    top.case_number if top else None,
                    top.score if top else None,
                    view.misrouted,
                )
            if mark_read:
                return self.queries.set_read_counted([item_id], True)[1]
            return 0

        delta = await self.bg.write(write)
        changed = changes.suggested([item_id]) if suggester is not None else changes.NOTHING
        return changed | changes.marked_read([item_id], delta) if mark_read else changed

    async def store_suggestion(self, item_id: int, view: SuggestionView) -> OpChanges:
        """Keep the top suggestion on the item (the inbox's "Forslag" column)."""
        if self.suggester is None:
            return changes.NOTHING
        top = view.choices[0] if view.choices else None
        await self.bg.write(
            self.cache.set_suggestion,
            item_id,
            top.case_id if top else None,
            top.case_number if top else None,
            top.score if top else None,
            view.misrouted,
        )
        return changes.suggested([item_id])

    async def suggest_pending(
        self, on_batch: Callable[[OpChanges], None] | None = None, batch: int = 25
    ) -> int:
        """Give every open item without a suggestion one, in small batches off the UI thread,
        so the inbox's "Forslag" column fills in without selecting each item. `on_batch` gets
        what each batch changed (publish it); returns the number of items suggested."""
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
                        out.append((item_id, suggester.suggest(self.cache.facts(item_id))))
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
                on_batch(changes.suggested(ids))
            await asyncio.sleep(0.05)  # let the UI breathe between batches

    async def search_cases(self, query: str, message: MessageFacts | None = None) -> SuggestionView:
        if self.suggester is None:
            return SuggestionView()
        return await self.bg.read(self.suggester.search, query, message)

    async def caseworkers(self) -> list[tuple[str, str, str]]:
        if self.suggester is None:
            return []
        return self.suggester.caseworkers()

    async def receivers(self) -> list[tuple[Any, ...]]:
        """Receiving systems for Videresend, (id, name) or (id, name, KLE subjects) (the
        gateway's `GET /receivers`)."""
        if self._receivers is None:
            return []
        return list(await self._receivers())

    # ------------------------------------------------------------------ decisions
    async def enqueue(self, item_id: int, decision: Decision) -> OpChangesWith[int]:
        """Queue a decision; the value is the outbox id."""
        if self.claim is not None:
            await self.claim(item_id)
        outbox_id = await self.bg.write(
            partial(self.cache.enqueue, hold_s=self.undo_hold), item_id, decision, self.user
        )
        self.wake_outbox()
        return OpChangesWith(outbox_id, changes.decided([item_id], claimed=self.claim is not None))

    async def undo(self, item_id: int, outbox_id: int) -> OpChangesWith[bool]:
        """Cancel a decision still waiting in the outbox; False when it is already on its way
        (then nothing changed)."""
        ok = await self.bg.write(self.cache.undo, outbox_id)
        return OpChangesWith(ok, changes.decided([item_id]) if ok else changes.NOTHING)

    async def outbox_counts(self) -> dict[str, int]:
        return await self.bg.read(self.cache.outbox_counts)
