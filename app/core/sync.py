"""Pull new items from the gateway mailbox into the local cache.

`sync_once` is a three-stage pipeline: while page N is parsed (the client's one parse of each
message, `app.core.parse.parse_items` in a thread pool) and committed (one SQLite transaction on the `DbWorker` thread, cursor included), the
network fetch of page N+1 is already in flight. A crash at any moment loses nothing and
duplicates nothing: each page and its cursor commit together, and a page seen twice is counted
as duplicates, not re-inserted.

A message the gateway accepted but the client's reader refuses is stored *quarantined* (kind
"ukendt", status "fejlet", the reason and the raw bytes kept) rather than skipped: it stays
visible in the inbox and is never silently lost, and the cursor can move past it.

Each listed item carries its delivery state (the gateway's truth: afventer, sendt, accepteret,
afvist_af_dubu, fejlet, afsluttet); `Cache.apply_remote_states` mirrors it onto items already
cached, before the page's cursor commits (a state change lists the item again).

The PDF text of new items is extracted right after (`extract_pdf_texts`, from the PDFs stored in
the cache; deferred so a page commits at parse speed): the `Syncer` goes online, extracts, and
only then reports the new items.

`Syncer` runs `sync_once` periodically with tenacity backoff + jitter on `MailboxUnavailable`
and reports online / degraded / offline with a plain-Danish message through a callback.
It never lets an exception escape its loop. Qt-free; never logs message content.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import tenacity
from sqlalchemy.exc import DBAPIError

from app import paths
from app.core.bigfetch import ingest_mixed_page
from app.core.parse import parse_items, parse_memo, parse_pool
from app.core.worker import DbWorker
from app.dbhealth import is_damage
from app.models.cache import Cache, CacheError, IngestResult, Parsed
from app.models.integrity import CacheDamaged, check_cache
from app.models.recovery import restore_salvaged
from app.sf1606.mailbox_client import BIG_MEMO_BYTES, MailboxError, MailboxUnavailable
from app.sf1606.model import MemoError
from app.sf1606.stored import MessageFacts
from app.suggest.text import extractable_pdfs, with_pdf_text

log = logging.getLogger("postfordeler.sync")

BACKFILL_BATCH = 100
CACHE_DAMAGED_MESSAGE = (
    "Den lokale kopi af posten er beskadiget, og synkroniseringen er stoppet. Luk Postfordeler "
    "og start programmet igen: så bygges kopien op på ny, og posten hentes igen fra postserveren."
)
PDF_BATCH = 25


def _parse_stored(pairs: list[tuple[int, bytes]]) -> list[tuple[int, Parsed]]:
    out: list[tuple[int, Parsed]] = []
    for item_id, memo in pairs:
        try:
            out.append((item_id, parse_memo(memo, validate=False)))
        except MemoError as exc:
            out.append((item_id, exc))
    return out


async def backfill_facts(
    cache: Cache, worker: DbWorker, pool: concurrent.futures.Executor | None = None
) -> int:
    """One-time upgrade: items cached before facts were stored (revision f0005) are parsed once
    from their stored raw bytes (checksum-verified; they were validated at their first ingest)
    and get their facts. Returns how many were filled in; 0 once everything has facts."""
    if await worker.submit(cache.facts_backfilled):
        return 0
    done = 0
    loop = asyncio.get_running_loop()
    while True:
        pairs = await worker.submit(cache.items_without_facts, BACKFILL_BATCH)
        if not pairs:
            return done
        parsed = await loop.run_in_executor(pool or parse_pool(), _parse_stored, pairs)
        for item_id, result in parsed:
            await worker.submit(cache.store_facts, item_id, result)
        done += len(parsed)


def _complete_pdf_texts(
    cache: Cache, pending: list[tuple[int, MessageFacts]]
) -> list[tuple[int, MessageFacts]]:
    out = []
    for item_id, facts in pending:
        pdfs = []
        for pos in extractable_pdfs(facts.header):
            try:
                pdfs.append(cache.file_bytes(item_id, pos))
            except CacheError:
                pdfs.append(b"")  # unreadable: no text, and not retried forever
        out.append((item_id, with_pdf_text(facts, pdfs)))
    return out


async def extract_pdf_texts(
    cache: Cache, worker: DbWorker, pool: concurrent.futures.Executor | None = None
) -> int:
    """Complete the facts of newly synced items with their PDF text (deferred at ingest: pypdf
    is pure Python, ~3 ms a PDF, five times the parse). The PDFs stream from the stored blob;
    no message is parsed again. Run by the `Syncer` after each sync, before it reports new
    items (so suggestions see the PDF text), and by `sync_once` for any left over."""
    done = 0
    loop = asyncio.get_running_loop()
    while True:
        pending = await worker.submit(cache.pdf_pending_facts, PDF_BATCH)
        if not pending:
            return done
        completed = await loop.run_in_executor(
            pool or parse_pool(), _complete_pdf_texts, cache, pending
        )
        await worker.submit(cache.complete_facts, completed)
        done += len(completed)


@dataclass(frozen=True, slots=True)
class SyncResult:
    new: int
    duplicates: int
    total: int  # items fetched in this run (new + duplicates)
    pages: int
    quarantined: int = 0
    cursor: int = 0
    seconds: float = 0.0
    changed: int = 0  # cached items whose delivery state the listing changed

    def to_json(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "changed": self.changed,
            "duplicates": self.duplicates,
            "total": self.total,
            "pages": self.pages,
            "quarantined": self.quarantined,
            "cursor": self.cursor,
            "seconds": round(self.seconds, 3),
        }


async def sync_once(
    client: Any,
    cache: Cache,
    *,
    page_size: int = 200,
    worker: DbWorker | None = None,
    pool: concurrent.futures.Executor | None = None,
    max_pages: int | None = None,
    validate: bool | None = None,
) -> SyncResult:
    """Fetch every item after the cache's cursor, page by page, into the cache.

    `validate`: XSD-validate each message on the client too. Default (None): only when the
    gateway does not vouch for it — the gateway XSD-validates before it accepts and sends each
    item's sha256, which is checked here; the hardened parse and strict extraction always run.

    A cache that turns out damaged on the way raises `CacheDamaged` (the page whose write or
    read met the damage never commits, so the cursor stays before it). At the end, decisions
    salvaged by a rebuild go back into the outbox once their items are here again.
    """
    own = worker or DbWorker()
    try:
        result = await _sync_once(
            client,
            cache,
            page_size=page_size,
            worker=own,
            pool=pool,
            max_pages=max_pages,
            validate=validate,
        )
        await own.submit(restore_salvaged, cache)
    except Exception as exc:
        if is_damage(exc) or (_db_failure(exc) and await asyncio.to_thread(_damaged, cache)):
            log.error("the client cache is damaged: sync stopped before the damage")
            raise CacheDamaged(type(exc).__name__) from None
        raise
    finally:
        if worker is None:
            own.close()
    return result


def _db_failure(exc: BaseException) -> bool:
    """An error from the cache's database that does not name damage itself (SQLCipher answers
    a connection that met a failed page with SQLITE_NOMEM): worth an integrity check."""
    return isinstance(exc, DBAPIError | MemoryError)


def _damaged(cache: Cache) -> bool:
    try:
        return not check_cache(cache.db.path).ok
    except Exception:
        return True


async def _sync_once(
    client: Any,
    cache: Cache,
    *,
    page_size: int,
    worker: DbWorker,
    pool: concurrent.futures.Executor | None,
    max_pages: int | None,
    validate: bool | None,
) -> SyncResult:
    started = time.perf_counter()
    new = duplicates = quarantined = pages = changed = 0
    await backfill_facts(cache, worker, pool)
    await extract_pdf_texts(cache, worker, pool)  # left over by an earlier run
    cursor = await worker.submit(cache.cursor)
    # Big items (> BIG_MEMO_BYTES) are not inlined in the page: they are streamed to disk and
    # stored from the file, so a 99 MB message never sits in memory several times over.
    big_dir = paths.sub("client", "download")

    def list_page(after: int) -> asyncio.Future[Any]:
        listing: asyncio.Future[Any] = asyncio.ensure_future(
            client.list_items(after, page_size, inline_max_bytes=BIG_MEMO_BYTES)
        )
        return listing

    fetch: asyncio.Future[Any] | None = list_page(cursor)
    ingest: asyncio.Future[IngestResult] | None = None
    try:
        while fetch is not None:
            page = await fetch
            fetch = None
            pages += 1
            next_cursor = int(page.next_cursor)
            more = (
                bool(page.more)
                and next_cursor > cursor
                and (max_pages is None or pages < max_pages)
            )
            if more:
                fetch = list_page(next_cursor)
            # Delivery states of items already cached (a state change lists an item again);
            # new items get theirs in the ingest transaction. Before the cursor moves on.
            changed += await worker.submit(cache.apply_remote_states, page.items)
            if any(not getattr(item, "memo_inline", True) for item in page.items):
                if ingest is not None:
                    res = await ingest
                    new, duplicates, quarantined = (
                        new + res.new,
                        duplicates + res.duplicates,
                        quarantined + res.quarantined,
                    )
                    ingest = None
                n, d, q = await ingest_mixed_page(
                    client,
                    cache,
                    worker,
                    page.items,
                    max(next_cursor, cursor),
                    big_dir,
                    parse=lambda items: parse_items(items, pool, validate),
                )
                new, duplicates, quarantined = new + n, duplicates + d, quarantined + q
                cursor = max(cursor, next_cursor)
                continue
            # An item listed again only for its delivery state is in the cache already: its
            # MeMo is not parsed again (ingest would skip it as a duplicate anyway).
            known = await worker.submit(
                cache.cached_uuids, [str(item.message_uuid) for item in page.items]
            )
            fresh = [item for item in page.items if str(item.message_uuid).lower() not in known]
            duplicates += len(page.items) - len(fresh)
            parsed = await parse_items(fresh, pool, validate)
            if ingest is not None:
                res = await ingest
                new, duplicates, quarantined = (
                    new + res.new,
                    duplicates + res.duplicates,
                    quarantined + res.quarantined,
                )
                ingest = None
            if parsed or next_cursor > cursor:
                ingest = worker.submit(cache.ingest, parsed, cursor=max(next_cursor, cursor))
            cursor = max(cursor, next_cursor)
        if ingest is not None:
            res = await ingest
            new, duplicates, quarantined = (
                new + res.new,
                duplicates + res.duplicates,
                quarantined + res.quarantined,
            )
            ingest = None
    finally:
        if fetch is not None:
            fetch.cancel()
            try:
                await fetch
            except BaseException:  # noqa: S110 - cancelled or failed; the original error wins
                pass
        if ingest is not None:  # a fetch failed while a page was committing: let it finish
            try:
                await ingest
            except Exception as exc:  # type only: a DB error's text may quote the page's values
                log.error("ingest failed during sync abort: %s", type(exc).__name__)
    return SyncResult(
        new=new,
        duplicates=duplicates,
        total=new + duplicates,
        pages=pages,
        quarantined=quarantined,
        cursor=cursor,
        seconds=time.perf_counter() - started,
        changed=changed,
    )


# ---------------------------------------------------------------------------------------------


class ConnectionState(enum.StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"  # failing, retrying soon
    OFFLINE = "offline"  # repeated failures or refused credentials: working from the cache
    DAMAGED = "damaged"  # the local cache is damaged: sync stopped until it is rebuilt


@dataclass(frozen=True, slots=True)
class SyncStatus:
    state: ConnectionState
    message: str  # plain Danish, for the status bar
    last_error: str | None = None
    last_success_at: datetime | None = None
    last_result: SyncResult | None = None
    failures: int = 0
    retry_in: float | None = None


def seconds_da(seconds: float) -> str:
    """A wait in plain Danish: "0,4 s" (decimal comma) below 10 s, else whole seconds."""
    if seconds < 10:
        return f"{max(seconds, 0.1):.1f} s".replace(".", ",")
    return f"{seconds:.0f} s"


def _danish_error(exc: BaseException) -> str:
    text = (
        getattr(exc, "text", None) or getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    )
    code = getattr(exc, "code", None)
    return f"{text} ({code})" if code else str(text)


@dataclass
class Syncer:
    """Periodic sync with backoff. `on_status(SyncStatus)` is called on every state change and
    after each successful sync; `on_result(SyncResult)` after each sync with new items or changed
    delivery states."""

    client: Any
    cache: Cache
    worker: DbWorker
    interval: float = 15.0
    page_size: int = 200
    on_status: Callable[[SyncStatus], None] | None = None
    on_result: Callable[[SyncResult], None] | None = None
    max_backoff: float = 60.0
    initial_backoff: float = 0.5
    offline_after: int = 3
    status: SyncStatus = field(
        default_factory=lambda: SyncStatus(ConnectionState.OFFLINE, "Ikke synkroniseret endnu")
    )

    def __post_init__(self) -> None:
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._failures = 0

    def _emit(self, status: SyncStatus) -> None:
        self.status = status
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception:
                log.exception("status callback failed")

    def _failed(self, exc: BaseException, retry_in: float | None) -> None:
        self._failures += 1
        err = _danish_error(exc)
        if isinstance(exc, CacheDamaged):
            self._damaged(err)
            return
        if isinstance(exc, MailboxUnavailable):
            if self._failures >= self.offline_after:
                state = ConnectionState.OFFLINE
                msg = "Offline: postserveren kan ikke nås. Du arbejder videre i den lokale kopi."
            else:
                state = ConnectionState.DEGRADED
                msg = "Forbindelsen til postserveren svigter – prøver igen."
        elif isinstance(exc, MailboxError):
            state = ConnectionState.OFFLINE
            msg = f"Postserveren afviste forespørgslen: {err}"
        else:
            state = ConnectionState.DEGRADED
            msg = "Synkroniseringen fejlede uventet – prøver igen."
        if retry_in is not None:
            msg += f" Næste forsøg om {seconds_da(retry_in)}."
        self._emit(
            SyncStatus(
                state,
                msg,
                last_error=err,
                last_success_at=self.status.last_success_at,
                last_result=self.status.last_result,
                failures=self._failures,
                retry_in=retry_in,
            )
        )

    @property
    def damaged(self) -> bool:
        return self.status.state == ConnectionState.DAMAGED

    def cache_damaged(self) -> None:
        """The cache was found damaged (by the periodic check): stop syncing, say so."""
        self._damaged("")
        self.stop()

    def _damaged(self, err: str) -> None:
        self._emit(
            SyncStatus(
                ConnectionState.DAMAGED,
                CACHE_DAMAGED_MESSAGE,
                last_error=err or None,
                last_success_at=self.status.last_success_at,
                last_result=self.status.last_result,
                failures=self._failures,
            )
        )

    async def _succeeded(self, result: SyncResult) -> None:
        """Online at once; then the new items' PDF text (deferred at ingest) is extracted, and
        only then are the new items reported (`on_result`: suggestions see the PDF text). A
        sync that only changed delivery states of cached items is reported too."""
        self._failures = 0
        msg = "Forbundet. " + (f"{result.new} nye" if result.new else "Ingen nye")
        self._emit(
            SyncStatus(
                ConnectionState.ONLINE, msg, last_success_at=datetime.now(UTC), last_result=result
            )
        )
        try:
            await extract_pdf_texts(self.cache, self.worker)
        except Exception:
            log.exception("PDF text extraction failed")  # retried by the next sync_once
        if (result.new or result.changed) and self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                log.exception("result callback failed")

    def _retrying(self, stop: tenacity.stop.stop_base) -> tenacity.AsyncRetrying:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if exc is not None:
                self._failed(exc, state.next_action.sleep if state.next_action else None)

        return tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception_type(MailboxUnavailable),
            wait=tenacity.wait_exponential_jitter(
                multiplier=self.initial_backoff, jitter=self.initial_backoff, max=self.max_backoff
            ),
            stop=stop,
            before_sleep=before_sleep,
            sleep=self._sleep,
            reraise=True,
        )

    async def _sleep(self, seconds: float) -> None:
        """Backoff sleep that `stop()` and `trigger()` cut short."""
        if self._stop.is_set():
            return
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass

    async def sync_now(self, attempts: int = 3) -> SyncResult:
        """One sync, retried up to `attempts` times on MailboxUnavailable. Raises the last error."""
        try:
            async for attempt in self._retrying(tenacity.stop_after_attempt(attempts)):
                with attempt:
                    result = await sync_once(
                        self.client, self.cache, page_size=self.page_size, worker=self.worker
                    )
        except Exception as exc:
            self._failed(exc, None)
            raise
        await self._succeeded(result)
        return result

    def trigger(self) -> None:
        """Sync as soon as possible (e.g. the user pressed "Opdatér")."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run_forever(self) -> None:
        """Sync every `interval` seconds until `stop()`; never raises (except cancellation)."""
        while not self._stop.is_set():
            try:
                async for attempt in self._retrying(tenacity.stop_never):
                    if self._stop.is_set():
                        return
                    with attempt:
                        result = await sync_once(
                            self.client, self.cache, page_size=self.page_size, worker=self.worker
                        )
                await self._succeeded(result)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sync failed: %s", type(exc).__name__)
                self._failed(exc, self.interval)
                if isinstance(exc, CacheDamaged):
                    return  # nothing more is written into a damaged cache
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except TimeoutError:
                pass
