"""Big MeMo messages end to end over real loopback HTTP and real SQLite: a 99 MB message is
received (spooled, validated from the file), listed without being inlined, streamed out byte-exact
(sha256) and stored in a client cache by `app.core.bigfetch`; small messages stay inline."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from pathlib import Path

import httpx
import pytest

from app.core.bigfetch import ingest_big, ingest_mixed_page, read_big
from app.core.parse import parse_memo
from app.core.worker import DbWorker
from app.gateway.server import GatewayConfig, start_gateway
from app.models.cache import Cache
from app.models.db import open_cache
from app.sf1606 import postmodtag as pm
from app.sf1606.mailbox_client import MailboxClient, MailboxError
from app.sf1606.memo import parse_count, read_memo
from tests.big_memo import make_big_memo
from tests.conftest import MESSAGES

USER, SECRET, CVR = "eva", "eva-hemmelig", "29189129"
SMALL = sorted(MESSAGES.glob("*.xml"), key=lambda p: p.stat().st_size)[:3]
UUID_RE = re.compile(rb"(<memo:messageUUID>)([^<]+)(</memo:messageUUID>)")


def fresh(data: bytes) -> bytes:
    new = str(uuid.uuid4()).encode()
    return UUID_RE.sub(lambda m: m.group(1) + new + m.group(3), data, count=1)


def sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while piece := fh.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


async def post_file(url: str, path: Path) -> pm.Receipt:
    async def body():  # type: ignore[no-untyped-def]
        with path.open("rb") as fh:
            while piece := fh.read(1 << 20):
                yield piece

    headers = pm.request_headers()
    headers["Content-Length"] = str(path.stat().st_size)
    async with httpx.AsyncClient(timeout=120) as http:
        resp = await http.post(url, content=body(), headers=headers)
    return pm.receipt_from_http(resp.status_code, resp.content)


@pytest.mark.slow
def test_99mb_message_through_gateway_and_download_byte_exact(tmp_path):
    big = tmp_path / "big.xml"
    _, size = make_big_memo(big)
    want = sha(big)
    spool = tmp_path / "spool"

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(
                db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", users={USER: SECRET}, spool_dir=spool
            )
        )
        mb = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret=SECRET, timeout=120)
        try:
            async with httpx.AsyncClient() as http:
                small = fresh(SMALL[0].read_bytes())
                r = await http.post(gw.postmodtag_url, content=small, headers=pm.request_headers())
                assert pm.receipt_from_http(r.status_code, r.content).accepted
            receipt = await post_file(gw.postmodtag_url, big)
            assert receipt.accepted and not receipt.duplicate
            assert not list(spool.glob("*.part"))  # the spooled body is gone after storing
            page = await mb.list_items(0, 10, inline_max_bytes=8 * 1024 * 1024)
            inline, not_inline = page.items
            assert inline.memo_inline and inline.memo == small  # small items still inline
            assert not not_inline.memo_inline and not_inline.memo == b""
            assert (not_inline.size, not_inline.sha256) == (size, want)
            dest = tmp_path / "down.memo"
            assert await mb.download_memo(not_inline, dest) == (size, want)
            assert sha(dest) == want
            dest.unlink()
            # by id (metadata from the last listing), and PostHent marks it too
            assert await mb.download_memo(not_inline.item_id, dest) == (size, want)
            fetched = await mb.fetch(not_inline.item_id, inline_max_bytes=1024)
            assert not fetched.memo_inline and fetched.size == size
            # a repeated delivery of the big message is a duplicate, stored once
            again = await post_file(gw.postmodtag_url, big)
            assert again.accepted and again.duplicate
            assert gw.store.count() == 2
            # into a client cache, blob streamed
            cache = Cache(open_cache(tmp_path / "cache.sqlite3"))
            message = read_big(dest)
            assert not isinstance(message, Exception)
            big_file = message.facts.files[-1]
            assert big_file.size > 70_000_000 and big_file.span is not None
            assert ingest_big(cache, not_inline, dest, message).new == 1
            cache_id = cache.item_id_for_uuid(not_inline.message_uuid)
            assert hashlib.sha256(cache.memo_bytes(cache_id)).hexdigest() == want
            # the attachment streams from the stored blob, sha256-checked, without a parse
            parses = parse_count()
            position = len(message.facts.files) - 1
            data = cache.file_bytes(cache_id, position)
            assert hashlib.sha256(data).hexdigest() == big_file.sha256
            del data
            assert parse_count() == parses
            assert cache.cursor() == not_inline.item_id
            bad = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret="forkert")
            with pytest.raises(MailboxError):
                await bad.download_memo(not_inline, tmp_path / "nope.memo")
            assert not (tmp_path / "nope.memo").exists()
            await bad.close()
        finally:
            await mb.close()
            await gw.stop()

    asyncio.run(main())


def test_ingest_big_stores_the_same_rows_as_cache_ingest(tmp_path):
    """The streamed path must not drift from Cache.ingest (same item, file and FTS rows)."""
    data = fresh(SMALL[1].read_bytes())
    path = tmp_path / "m.memo"
    path.write_bytes(data)

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", users={USER: SECRET})
        )
        mb = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret=SECRET)
        try:
            async with httpx.AsyncClient() as http:
                await http.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            (item,) = (await mb.list_items(0, 10)).items
        finally:
            await mb.close()
            await gw.stop()
        a = Cache(open_cache(tmp_path / "a.sqlite3"))
        b = Cache(open_cache(tmp_path / "b.sqlite3"))
        a.ingest([(item, parse_memo(item.memo))])
        assert ingest_big(b, item, path, read_big(path)).new == 1
        skip = {"synced_at"}
        ra = {k: v for k, v in a.item(1).items() if k not in skip}
        rb = {k: v for k, v in b.item(1).items() if k not in skip}
        assert ra == rb
        assert a.files(1) == b.files(1)
        assert a.facts(1) == b.facts(1)
        assert [a.file_bytes(1, n) for n in range(len(a.facts(1).files))] == [
            b.file_bytes(1, n) for n in range(len(b.facts(1).files))
        ]
        assert a.memo_bytes(1) == b.memo_bytes(1) == data
        word = next(w for w in read_memo(data).main_text().split() if w.isalpha() and len(w) > 4)
        assert a.search(word) == b.search(word) == [1]
        assert a.cursor() == b.cursor() == item.item_id
        assert ingest_big(b, item, path, read_big(path)).duplicates == 1

    asyncio.run(main())


def test_mixed_page_keeps_order_and_cursor(tmp_path):
    """A page with inline and not-inlined items is stored completely, cursor at the end."""
    inflated = tmp_path / "nine.xml"
    make_big_memo(inflated, total=9 * 1024 * 1024)
    smalls = [fresh(p.read_bytes()) for p in SMALL]

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", users={USER: SECRET})
        )
        mb = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret=SECRET)
        worker = DbWorker()
        try:
            async with httpx.AsyncClient() as http:
                await http.post(gw.postmodtag_url, content=smalls[0], headers=pm.request_headers())
                assert (await post_file(gw.postmodtag_url, inflated)).accepted
                for data in smalls[1:]:
                    await http.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            page = await mb.list_items(0, 10, inline_max_bytes=8 * 1024 * 1024)
            assert [it.memo_inline for it in page.items] == [True, False, True, True]
            cache = Cache(open_cache(tmp_path / "cache.sqlite3"))
            new, dup, quar = await ingest_mixed_page(
                mb, cache, worker, page.items, page.next_cursor, tmp_path / "tmp"
            )
            assert (new, dup, quar) == (4, 0, 0)
            assert cache.cursor() == page.next_cursor == 4
            assert not list((tmp_path / "tmp").iterdir())
            cid = cache.item_id_for_uuid(page.items[1].message_uuid)
            assert cache.memo_bytes(cid) == inflated.read_bytes()
            again = await ingest_mixed_page(
                mb, cache, worker, page.items, page.next_cursor, tmp_path / "tmp"
            )
            assert again == (0, 4, 0)
        finally:
            worker.close()
            await mb.close()
            await gw.stop()

    asyncio.run(main())


def test_read_memo_without_content_matches_full_read():
    for path in sorted(MESSAGES.glob("*.xml"))[:60]:
        full = read_memo(path)
        lean = read_memo(path, keep_content=False)
        assert [(f.size, f.sha256) for f in full.files] == [(f.size, f.sha256) for f in lean.files]
        assert all(f.content == b"" for f in lean.files if f.size)


def test_read_memo_without_content_still_refuses_bad_base64(tmp_path):
    data = SMALL[0].read_bytes()
    m = re.search(rb"(<memo:content>)([^<]*)(</memo:content>)", data)
    assert m
    for bad in (b"QUJD=QUJD", b"QUJ", b"QU*D"):
        broken = data[: m.start(2)] + bad + data[m.end(2) :]
        with pytest.raises(Exception, match=r"base64|skema"):
            read_memo(broken, keep_content=False)


@pytest.mark.slow
def test_sync_once_streams_big_items_into_the_cache(tmp_path):
    """The real sync path: a page with small and big items lands in the cache in order, the big
    one byte-exact, and a second sync finds nothing new."""
    from app.core.sync import sync_once

    big = tmp_path / "big.xml"
    _, _size = make_big_memo(big, total=20_000_000)
    want = sha(big)

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", users={USER: SECRET})
        )
        mb = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret=SECRET, timeout=120)
        cache = Cache(open_cache(tmp_path / "cache.sqlite3"))
        try:
            async with httpx.AsyncClient() as http:
                for path in SMALL[:2]:
                    r = await http.post(
                        gw.postmodtag_url,
                        content=fresh(path.read_bytes()),
                        headers=pm.request_headers(),
                    )
                    assert pm.receipt_from_http(r.status_code, r.content).accepted
            assert (await post_file(gw.postmodtag_url, big)).accepted
            async with httpx.AsyncClient() as http:
                r = await http.post(
                    gw.postmodtag_url,
                    content=fresh(SMALL[2].read_bytes()),
                    headers=pm.request_headers(),
                )
                assert pm.receipt_from_http(r.status_code, r.content).accepted
            first = await sync_once(mb, cache)
            assert (first.new, first.duplicates, first.total) == (4, 0, 4)
            again = await sync_once(mb, cache)
            assert again.new == 0
            uuid_big = read_memo(big, keep_content=False).message_uuid
            item_id = cache.item_id_for_uuid(uuid_big)
            assert item_id is not None
            assert hashlib.sha256(cache.memo_bytes(item_id)).hexdigest() == want
        finally:
            await mb.close()
            await gw.stop()

    asyncio.run(main())
