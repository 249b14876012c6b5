"""Corruption never goes unnoticed (issue 10, class 3): both stores are damaged at many offsets.

Gateway (real SQLite file, real gateway on loopback): 4 KB and 64-byte flips from the header page
to the tail, and truncations. Every case must end in a start refused with one sentence, or a
store whose every message still reads back byte-exact (a flip in a page's unused space harms
nothing). A store damaged while running flips `/health` to 503 with a reason, EP_FS1 answers
*temporary* (503, Retry-After, no receiptStatus) and the mailbox refuses; a listing that meets
mid-file damage flips health too; `gateway serve` on a truncated file exits non-zero with one
line and no traceback. PostgreSQL: a critical table that cannot be read makes the store
unhealthy, and healthy again once it can.

Client (real SQLCipher cache synced from that gateway): every damaged case is detected at open,
the user is told in plain words, the cache is rebuilt (the damaged file set aside, the open
decisions salvaged or counted as lost) and after a re-sync every message is readable again.
A sync that meets damage stops without moving its cursor; the periodic check stops the syncer.
"""

# ruff: noqa: F811 - the loop fixture imported from tests.ui_fixtures
from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx
import keyring
import pytest
from sqlalchemy import select

from app import paths
from app.core.sync import CACHE_DAMAGED_MESSAGE, ConnectionState, Syncer, sync_once
from app.core.worker import DbWorker
from app.decisions import Reject
from app.gateway.server import GatewayConfig, RunningGateway, start_gateway
from app.gateway.store import DAMAGED_TEXT, GatewayStore, StoreUnavailable, metadata
from app.gateway.storekey import KEY_FILE
from app.models import crypto
from app.models.cache import OUTBOX, Cache
from app.models.db import CacheKeyUnavailable, open_cache
from app.models.integrity import (
    CacheDamaged,
    check_cache,
    damage_marker,
    mark_damaged,
    verify_at_open,
)
from app.models.recovery import open_cache_recovering, rebuild_cache
from app.models.schema import OutboxStatus
from app.sf1606 import postmodtag as pm
from app.sf1606.mailbox_client import MailboxClient, MailboxUnavailable
from tests.hostile.make_hostile import message
from tests.ui_fixtures import loop  # noqa: F401 - the qasync loop fixture

N = 32  # messages in the gateway
CACHED = 24  # of them in the client cache before it is damaged (the rest come with the re-sync)
USER, SECRET, CVR = "fordeler", "hemmelig-test", "66272311"
PAGE = 4096


def memo(i: int) -> bytes:
    """A ~7 KB synthetic message (its blob spans overflow pages in both stores)."""
    text = (f"Linje {i}: syntetisk testtekst om et barn i en sag. " * 110).encode()
    return message(
        uuid=str(uuid.UUID(int=0x1606_0000_0000 + i, version=4)),
        label=f"Testbesked {i}",
        content_b64=base64.b64encode(text).decode(),
    )


MEMOS = [memo(i) for i in range(N)]
SHA = {hashlib.sha256(m).hexdigest() for m in MEMOS}


def damaged(data: bytes, kind: str, at: float) -> bytes:
    """`data` with `kind` damage ("4k"/"64b" flipped, "trunc") at `at` (a fraction of the
    size, a byte offset, or a negative offset from the end)."""
    off = int(at * len(data)) if isinstance(at, float) else (at if at >= 0 else len(data) + at)
    if kind == "trunc":
        return data[:off]
    n = 4096 if kind == "4k" else 64
    out = bytearray(data)
    for i in range(off, min(off + n, len(out))):
        out[i] ^= 0x5A
    return bytes(out)


def one_sentence(text: str) -> None:
    assert text and "\n" not in text and "Traceback" not in text and len(text) < 300, text


def gw_config(path: Path, **kw: Any) -> GatewayConfig:
    return GatewayConfig(
        db_url=f"sqlite:///{path}",
        users={USER: SECRET},
        spool_dir=path.parent / "spool",
        **kw,
    )


async def post(gw: RunningGateway, body: bytes) -> tuple[httpx.Response, pm.Receipt]:
    async with httpx.AsyncClient(timeout=30) as http:
        resp = await http.post(gw.postmodtag_url, content=body, headers=pm.request_headers())
    return resp, pm.receipt_from_http(resp.status_code, resp.content)


_FILLED: dict[str, Path] = {}  # the filled database's generated store key (storekey.KEY_FILE)


def write_db(path: Path, data: bytes) -> None:
    """Place gateway database bytes at `path` with the store key they were written with
    (the generated key lives beside a SQLite file)."""
    path.write_bytes(data)
    shutil.copy(_FILLED["key"], path.parent / KEY_FILE)


def sound_sqlite_copy(path: Path) -> bytes:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no WAL
    con.close()
    return path.read_bytes()


# --------------------------------------------------------------------------- gateway


@pytest.fixture(scope="module")
def gateway_db(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a sound gateway database holding the N messages, received over EP_FS1."""
    path = tmp_path_factory.mktemp("gw") / "gw.sqlite3"

    async def fill() -> None:
        gw = await start_gateway(gw_config(path))
        try:
            async with httpx.AsyncClient(timeout=60) as http:
                for start in range(0, N, 8):  # eight at a time
                    answers = await asyncio.gather(
                        *(
                            http.post(gw.postmodtag_url, content=b, headers=pm.request_headers())
                            for b in MEMOS[start : start + 8]
                        )
                    )
                    assert all(a.status_code == 200 for a in answers)
        finally:
            await gw.stop()

    asyncio.run(fill())
    _FILLED["key"] = path.parent / KEY_FILE
    return sound_sqlite_copy(path)


GW_CASES = [
    (kind, at)
    for kind in ("4k", "64b")
    for at in (0, 100, PAGE, 0.2, 0.35, 0.5, 0.65, 0.8, -PAGE, -64)
] + [("trunc", 0.5), ("trunc", 100), ("trunc", -PAGE)]


@pytest.mark.parametrize(("kind", "at"), GW_CASES, ids=[f"{k}@{a}" for k, a in GW_CASES])
def test_damaged_gateway_store_refuses_to_start_or_reads_back_intact(
    gateway_db: bytes, tmp_path: Path, kind: str, at: float, expect_log: Any
) -> None:
    expect_log("postfordeler.gateway.store", "damaged", level=40)
    path = tmp_path / "gw.sqlite3"
    write_db(path, damaged(gateway_db, kind, at))

    async def main() -> tuple[str, Any]:
        try:
            gw = await start_gateway(gw_config(path, integrity_check_seconds=0))
        except StoreUnavailable as exc:
            return "refused", exc.text
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                health = await http.get(gw.health_url)
            read = await asyncio.to_thread(read_all, gw.store)
            _resp, receipt = await post(gw, memo(N + 1))
            return "started", (health.status_code, read, receipt.accepted)
        finally:
            await gw.stop()

    outcome, detail = asyncio.run(main())
    if outcome == "refused":
        one_sentence(detail)
        assert detail == DAMAGED_TEXT
        return
    # the damage hit nothing in use (e.g. a page's free space): every message reads back exact
    assert kind == "64b", f"a {kind} damage must never pass the start check"
    health, read, accepted = detail
    assert health == 200 and accepted
    assert read == SHA


def read_all(store: GatewayStore) -> set[str]:
    found: set[str] = set()
    after = 0
    while True:
        page = store.list_after(after, 100)
        for item in page.items:
            assert item.memo is not None
            digest = hashlib.sha256(item.memo).hexdigest()
            assert digest == item.sha256
            found.add(digest)
        after = page.next_cursor
        if not page.more:
            return found


def flip_in_place(path: Path, offset: int, n: int = PAGE) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        data = bytearray(fh.read(n))
        fh.seek(offset)
        fh.write(bytes(b ^ 0x5A for b in data))


async def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    running = asyncio.get_running_loop()
    end = running.time() + timeout
    while not await predicate():
        assert running.time() < end, "condition not reached in time"
        await asyncio.sleep(0.05)


def test_store_damaged_while_running_turns_unhealthy_and_ep_fs1_temporary(
    gateway_db: bytes, tmp_path: Path, expect_log: Any
) -> None:
    expect_log("postfordeler.gateway.store", "damaged", level=40)
    expect_log("postfordeler.gateway", "unhealthy")
    expect_log("postfordeler.gateway", "store unavailable")
    path = tmp_path / "gw.sqlite3"
    write_db(path, gateway_db)

    async def main() -> None:
        gw = await start_gateway(gw_config(path, integrity_check_seconds=0.1))
        mailbox = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret=SECRET)
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                ok = await http.get(gw.health_url)
                assert ok.status_code == 200 and ok.json()["integrity"]["check"] == "content"
                resp, receipt = await post(gw, memo(N + 2))
                assert receipt.accepted
                flip_in_place(path, len(gateway_db) // 2)

                async def sick() -> bool:
                    return (await http.get(gw.health_url)).status_code == 503

                await wait_for(sick)
                health = await http.get(gw.health_url)
                assert health.json()["status"] == "fejl" and health.json()["damaged"] is True
                one_sentence(health.json()["reason"])
                resp, receipt = await post(gw, memo(N + 3))
                assert resp.status_code == 503 and resp.headers["Retry-After"]
                assert receipt.retryable and not receipt.accepted
                assert b"receiptStatus" not in resp.content  # no final answer: redeliver
                with pytest.raises(MailboxUnavailable):  # the mailbox refuses cleanly (retry)
                    await mailbox.list_items(0, 10)
        finally:
            await mailbox.close()
            await gw.stop()
        # nothing was accepted into the damaged store
        con = sqlite3.connect(path)
        try:
            uuids = {r[0] for r in con.execute("SELECT message_uuid FROM gw_messages")}
        except sqlite3.DatabaseError:
            uuids = set()
        finally:
            con.close()
        assert str(uuid.UUID(int=0x1606_0000_0000 + N + 3, version=4)) not in uuids

    asyncio.run(main())


def test_listing_that_meets_mid_file_damage_flips_health(
    gateway_db: bytes, tmp_path: Path, expect_log: Any
) -> None:
    expect_log("postfordeler.gateway.store", "damaged", level=40)
    expect_log("postfordeler.gateway", "")
    path = tmp_path / "gw.sqlite3"
    # damage the middle of the messages table: the start check is off, so only the list sees it
    write_db(path, damaged(gateway_db, "4k", 0.5))

    async def main() -> None:
        gw = await start_gateway(
            gw_config(path, integrity_check_at_start=False, integrity_check_seconds=0)
        )
        mailbox = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret=SECRET)
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                assert (await http.get(gw.health_url)).status_code == 200
                with pytest.raises(MailboxUnavailable):
                    after = 0
                    while True:
                        page = await mailbox.list_items(after, 5)
                        after = page.next_cursor
                        assert page.more, "the listing must meet the damage"
                health = await http.get(gw.health_url)
                assert health.status_code == 503 and health.json()["damaged"] is True
                resp, receipt = await post(gw, memo(N + 4))
                assert resp.status_code == 503 and receipt.retryable
        finally:
            await mailbox.close()
            await gw.stop()

    asyncio.run(main())


def test_gateway_serve_on_a_truncated_database_says_one_sentence(
    gateway_db: bytes, tmp_path: Path
) -> None:
    from tests.conftest import REPO

    path = tmp_path / "gw.sqlite3"
    write_db(path, damaged(gateway_db, "trunc", 0.5))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "gateway",
            "serve",
            "--port",
            "0",
            "--db",
            f"sqlite:///{path}",
        ],
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("postfordeler gateway serve: "), done.stderr
    assert "Traceback" not in done.stderr and "beskadiget" in lines[-1]
    one_sentence(lines[-1])


@pytest.mark.postgres
def test_postgres_store_unreadable_table_is_unhealthy_until_readable_again(
    pg_url: str, expect_log: Any
) -> None:
    expect_log("postfordeler.gateway", "")
    store = GatewayStore(pg_url)
    metadata.drop_all(store.engine)
    store.close()

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(db_url=pg_url, users={USER: SECRET}, integrity_check_seconds=0.1)
        )
        admin = GatewayStore(pg_url)
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                resp, receipt = await post(gw, memo(0))
                assert receipt.accepted
                assert (await http.get(gw.health_url)).status_code == 200
                with admin.engine.begin() as conn:
                    conn.exec_driver_sql("ALTER TABLE gw_outbox RENAME TO gw_outbox_away")

                async def status(code: int) -> bool:
                    return (await http.get(gw.health_url)).status_code == code

                await wait_for(lambda: status(503))
                health = (await http.get(gw.health_url)).json()
                assert health["damaged"] is False
                one_sentence(health["reason"])
                resp, receipt = await post(gw, memo(1))
                assert resp.status_code == 503 and receipt.retryable
                with admin.engine.begin() as conn:
                    conn.exec_driver_sql("ALTER TABLE gw_outbox_away RENAME TO gw_outbox")
                await wait_for(lambda: status(200))
                resp, receipt = await post(gw, memo(1))
                assert receipt.accepted
        finally:
            admin.close()
            await gw.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- client


class GatewayThread:
    """A gateway on its own loop in a thread, for the whole module (the client tests sync
    from it with asyncio.run in each test)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ready = threading.Event()
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            gw = await start_gateway(gw_config(self.path))
            self.url = gw.base_url
            self.ready.set()
            try:
                await self._stop.wait()
            finally:
                await gw.stop()

        asyncio.run(serve())

    def __enter__(self) -> Self:
        self._thread.start()
        assert self.ready.wait(60), "gateway did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


@dataclass(frozen=True)
class ClientWorld:
    gateway_url: str
    cache_bytes: bytes  # a sound cache: CACHED items, two decisions queued (not yet sent)
    key_hex: str
    blob_root_page: int  # the item_blobs table's root page (an insert always passes it)


def client(world: ClientWorld) -> MailboxClient:
    return MailboxClient(world.gateway_url, municipality_cvr=CVR, user=USER, secret=SECRET)


@pytest.fixture(scope="module")
def client_world(gateway_db: bytes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("client")
    gw_path = base / "gw.sqlite3"
    write_db(gw_path, gateway_db)
    with GatewayThread(gw_path) as gw, pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(base / "xdg"))  # the test keyring of this module
        mp.setenv(paths.ENV_DATA_DIR, str(base / "data"))
        paths.set_data_dir(None)
        path = base / "cache.sqlite3"
        db = open_cache(path)
        cache = Cache(db)

        async def fill() -> None:
            mailbox = MailboxClient(gw.url, municipality_cvr=CVR, user=USER, secret=SECRET)
            try:
                await sync_once(mailbox, cache, page_size=8, max_pages=CACHED // 8)
            finally:
                await mailbox.close()

        asyncio.run(fill())
        assert cache.item_count() == CACHED
        for item_id in (3, 17):  # decided on this PC, not yet handed to the gateway
            cache.enqueue(item_id, Reject(reason="Hører til en anden afdeling"), USER)
        key = crypto.load_cache_key(path, create=False)
        assert key is not None
        db.engine.dispose()
        con = crypto.keyed_connect(path, key)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'item_blobs'")
        blob_root = int(root.fetchone()[0])
        con.execute("PRAGMA journal_mode=DELETE")
        con.close()
        world = ClientWorld(gw.url, path.read_bytes(), key.hex(), blob_root)
        paths.set_data_dir(None)
        mp.undo()
        yield world


def place_cache(world: ClientWorld, path: Path, data: bytes) -> None:
    path.write_bytes(data)
    keyring.set_password(crypto.KEYRING_SERVICE, crypto.key_name(path), world.key_hex)


def open_decisions(cache: Cache) -> int:
    with cache.engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.status.in_(OutboxStatus.OPEN)))
        return len(rows.all())


def all_readable(cache: Cache) -> set[str]:
    """sha256 of every cached message, read back from the blob (and its facts readable)."""
    found = set()
    for item_id in range(1, N + 5):
        try:
            data = cache.memo_bytes(item_id)
        except Exception:
            continue
        cache.facts(item_id)
        found.add(hashlib.sha256(data).hexdigest())
    return found


CACHE_CASES = (
    [("4k", at) for at in (100, PAGE, 0.3, 0.6, -PAGE)]
    + [("64b", at) for at in (0, 0.45, -64)]
    + [("trunc", 0.5)]
)


@pytest.mark.parametrize(("kind", "at"), CACHE_CASES, ids=[f"{k}@{a}" for k, a in CACHE_CASES])
def test_damaged_cache_is_detected_told_rebuilt_and_refetched(
    client_world: ClientWorld, tmp_path: Path, kind: str, at: float, expect_log: Any
) -> None:
    expect_log("postfordeler.cache", "")
    path = tmp_path / "cache.sqlite3"
    place_cache(client_world, path, damaged(client_world.cache_bytes, kind, at))
    with pytest.raises(CacheKeyUnavailable) as refused:
        open_cache(path)
    told = str(refused.value)
    assert "lokale kopi af posten" in told and told.endswith(".")
    header_hit = kind != "trunc" and int(at) < PAGE and not isinstance(at, float)
    if isinstance(refused.value, CacheDamaged):
        db, report = open_cache_recovering(path)
        assert report is not None
        if report.readable and not report.outbox_lost:
            assert report.decisions_saved + report.decisions_lost == 2
        else:
            # page 1 (the schema) or the outbox's own pages are gone: the user is told so
            assert header_hit or kind == "trunc" or report.readable
            assert report.lost_anything and "kunne ikke reddes" in report.text_da()
    else:  # the file's salt is hit: it looks like a wrong key, and the user rebuilds on request
        assert kind == "64b" and at == 0
        db, report = rebuild_cache(path)
        assert not report.readable and report.lost_anything
        assert "kunne ikke reddes" in report.text_da()
    assert report.moved_to is not None and report.moved_to.exists()
    assert report.moved_to.name.startswith("cache.sqlite3.beskadiget-")
    cache = Cache(db)
    try:
        mailbox = client(client_world)

        async def resync() -> Any:
            try:
                return await sync_once(mailbox, cache, page_size=25)
            finally:
                await mailbox.close()

        result = asyncio.run(resync())
        assert result.new == N and cache.item_count() == N
        assert all_readable(cache) == SHA  # every message readable again
        assert open_decisions(cache) == report.decisions_saved  # salvaged decisions are back
        assert check_cache(path).ok
    finally:
        db.engine.dispose()


def test_sync_meeting_damage_stops_before_it_and_keeps_the_cursor(
    client_world: ClientWorld, tmp_path: Path, expect_log: Any
) -> None:
    expect_log("postfordeler.sync", "")
    expect_log("postfordeler.cache", "")
    path = tmp_path / "cache.sqlite3"
    root = client_world.blob_root_page
    # damage found only by a write: the table every new message goes into (not checked at open)
    place_cache(client_world, path, damaged(client_world.cache_bytes, "64b", (root - 1) * PAGE + 8))
    db = open_cache(path, check=False)
    cache = Cache(db)
    worker = DbWorker()
    mailbox = client(client_world)
    syncer = Syncer(mailbox, cache, worker)

    async def main() -> None:
        try:
            with pytest.raises(CacheDamaged):
                await syncer.sync_now(attempts=1)
        finally:
            await mailbox.close()

    try:
        asyncio.run(main())
        assert syncer.status.state == ConnectionState.DAMAGED
        assert syncer.status.message == CACHE_DAMAGED_MESSAGE
    finally:
        worker.close()
        db.engine.dispose()
    con = crypto.keyed_connect(path, bytes.fromhex(client_world.key_hex))
    try:  # a fresh connection: the cursor did not move past the page it could not store
        row = con.execute("SELECT value FROM sync_state WHERE key = 'mailbox_cursor'").fetchone()
    finally:
        con.close()
    assert int(row[0]) == CACHED


def test_periodic_check_finds_damage_while_running_and_stops_the_syncer(
    client_world: ClientWorld, tmp_path: Path, expect_log: Any
) -> None:
    from app.core.services import ClientServices

    expect_log("postfordeler", "")
    path = tmp_path / "cache.sqlite3"
    place_cache(client_world, path, client_world.cache_bytes)

    async def main() -> None:
        services = await ClientServices.create(
            {"gateway": client_world.gateway_url, "user": USER, "municipality_cvr": CVR},
            secret=SECRET,
            db_path=path,
        )
        try:
            assert services.rebuild is None
            assert await services.check_cache() is True
            flip_in_place(path, len(client_world.cache_bytes) // 2, 64)
            assert await services.check_cache() is False
            assert services.cache_damaged
            assert services.syncer is not None
            assert services.syncer.status.state == ConnectionState.DAMAGED
            assert damage_marker(path).exists()  # the next start checks before opening
        finally:
            await services.close()
        # the next start rebuilds it and fetches everything again
        services = await ClientServices.create(
            {"gateway": client_world.gateway_url, "user": USER, "municipality_cvr": CVR},
            secret=SECRET,
            db_path=path,
        )
        try:
            assert services.rebuild is not None and services.rebuild.decisions_saved == 2
            assert not damage_marker(path).exists()
            assert services.syncer is not None
            await services.syncer.sync_now()
            assert await services.worker.submit(services.cache.item_count) == N
        finally:
            await services.close()

    asyncio.run(main())


def test_a_big_cache_opens_at_once_unless_the_last_run_found_damage(
    client_world: ClientWorld, tmp_path: Path, expect_log: Any
) -> None:
    """Above OPEN_CHECK_MAX_BYTES the check does not hold up the start (the background check
    takes it); damage that check found leaves a marker, and then the start checks first."""
    expect_log("postfordeler.cache.integrity", "damaged", level=40)
    path = tmp_path / "cache.sqlite3"
    place_cache(client_world, path, client_world.cache_bytes)
    flip_in_place(path, len(client_world.cache_bytes) // 2, 64)
    small = len(client_world.cache_bytes) // 4  # the file counts as big here
    verify_at_open(path, max_bytes=small)  # not checked before opening: no delay
    mark_damaged(path)
    with pytest.raises(CacheDamaged):
        verify_at_open(path, max_bytes=small)
    fresh = tmp_path / "fresh.sqlite3"
    place_cache(client_world, fresh, client_world.cache_bytes)
    mark_damaged(fresh)
    verify_at_open(fresh, max_bytes=small)  # sound after all: the marker goes
    assert not damage_marker(fresh).exists()


def test_user_is_told_in_plain_words_in_danish_and_english(qapp: Any) -> None:
    from app.models.recovery import RebuildReport
    from app.ui import cache_notice, i18n

    report = RebuildReport(
        Path("cache.sqlite3.beskadiget-20261202T051500Z"), True, 2, 1, 5, 0, 3, False
    )
    try:
        i18n.install(qapp, "da")
        da = cache_notice.rebuilt_text(report)
        assert "beskadiget" in da and "2 beslutning(er)" in da and "1 beslutning(er)" in da
        assert "cache.sqlite3.beskadiget-20261202T051500Z" in da
        assert "beskadiget" in cache_notice.damaged_text()
        assert i18n.install(qapp, "en")
        en = cache_notice.rebuilt_text(report)
        assert "damaged" in en and "2 decision(s)" in en and "1 decision(s) could not" in en
        assert "damaged" in cache_notice.damaged_text()
    finally:
        i18n.install(qapp, "da")


def test_main_window_says_so_in_plain_words(qtbot: Any, loop: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from app.ui.backend import UiBackend
    from app.ui.main_window import MainWindow
    from app.ui.tasks import Background, Messages, cancel_all

    db = open_cache(tmp_path / "cache.sqlite3")
    backend = UiBackend(cache=Cache(db), background=Background(), suggester=None, user="demo")
    win = MainWindow(backend, Messages(), demo=False)
    qtbot.addWidget(win)
    win.show()
    assert not win.cache_banner.isVisible()
    win.set_connection_state(ConnectionState.DAMAGED.value, CACHE_DAMAGED_MESSAGE)
    assert win.cache_banner.isVisible()
    assert "Den lokale kopi af posten er beskadiget" in win.cache_banner.text()
    assert "beskadiget" in win.state_label.text()
    QApplication.processEvents()  # the status bar lays the longer label out
    assert win.state_label.width() >= win.state_label.sizeHint().width()
    shot = tmp_path / "damaged.png"
    assert win.grab().save(str(shot))
    win.close()
    loop.run_until_complete(cancel_all())
    db.engine.dispose()


def test_cache_check_and_rebuild_commands(
    client_world: ClientWorld, capsys: pytest.CaptureFixture[str], expect_log: Any
) -> None:
    import argparse
    import json

    from app.core.cli import cmd_cache_check, cmd_cache_rebuild

    expect_log("postfordeler.cache", "")
    path = paths.client_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    place_cache(client_world, path, damaged(client_world.cache_bytes, "64b", 0.5))
    as_json = argparse.Namespace(json=True)
    assert cmd_cache_check(as_json) == 1
    found = json.loads(capsys.readouterr().out)
    assert found["ok"] is False and found["hmac_failures"] >= 1 and not found["wrong_key"]
    assert cmd_cache_rebuild(argparse.Namespace(json=False)) == 0
    told = capsys.readouterr().out.strip()
    one_sentence(told.split(". ")[0])
    assert "2 beslutning(er), der ikke var sendt, er reddet" in told
    assert cmd_cache_check(as_json) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert list(path.parent.glob("*.beskadiget-*"))  # the damaged file is kept, set aside
