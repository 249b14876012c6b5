# ruff: noqa: F811 - the pki fixture is imported from tests.test_mtls
"""Issue 10 point 4: a repeated messageUUID with *other* content is never dropped.

Over the real EP_FS1 (HTTPS, mutual TLS with the sandbox CA's pinned Postkomponent certificate)
and the real mailbox (SOAP over HTTPS, zeep client): the same UUID with the same bytes is a
duplicate; with other bytes it is accepted (not "duplicate"), kept as its own item with its own
MeddelelseUUID and `conflictOf` naming the sender's UUID, its bytes exactly as sent; the same
conflicting bytes again are a duplicate of that conflict. The desktop's inbox model shows the
conflict ("Konflikt" / "Conflict") from a real client cache synced from the gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt

from app.core.sync import sync_once
from app.core.worker import DbWorker
from app.gateway.server import GatewayConfig, RunningGateway, start_gateway
from app.gateway.store import GatewayStore, conflict_uuid
from app.models.cache import Cache
from app.models.db import open_cache
from app.models.inbox import InboxQueries, SortColumn
from app.sf1606 import postmodtag as pm
from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.mailbox_client import MailboxClient
from app.sf1606.tls import pem_client_context, trust_context
from tests.test_gateway import SMALL_FILES, fresh_pg, pg_url, with_new_uuid
from tests.test_mtls import Pki, pki, tls_config  # noqa: F401  (pki: a module fixture)

CVR = "29189846"
USER, SECRET = "eva", "eva-hemmelig"
LABEL = b"<memo:label>"


def variant(data: bytes, n: int) -> bytes:
    """The same message (same messageUUID) with a different label: other content."""
    assert LABEL in data
    return data.replace(LABEL, LABEL + f"Rettet {n}: ".encode(), 1)


def db_url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'gw.sqlite3'}"
    url = pg_url()
    if not url:
        pytest.skip("no PostgreSQL server")
    return fresh_pg(url)


_SENDERS: dict[int, httpx.AsyncClient] = {}


async def deliver(gw: RunningGateway, pki: Pki, data: bytes) -> pm.Receipt:
    """POST one MeMo to EP_FS1 as the pinned Postkomponent (one client, one TLS session, per
    gateway run: `run` closes it)."""
    client = _SENDERS.get(id(gw))
    if client is None:
        post = pki.certs.postkomponent
        ctx = pem_client_context(post.cert, post.key, pki.certs.ca)
        client = _SENDERS[id(gw)] = httpx.AsyncClient(verify=ctx, timeout=30)
    resp = await client.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
    assert resp.status_code == 200, resp.text
    return pm.receipt_from_http(resp.status_code, resp.content)


def run(url: str, pki: Pki, body: Any) -> Any:
    async def main() -> Any:
        gw = await start_gateway(
            GatewayConfig(
                db_url=url,
                municipality_cvr=CVR,
                users={USER: SECRET},
                tls=tls_config(pki),
            )
        )
        try:
            return await body(gw)
        finally:
            sender = _SENDERS.pop(id(gw), None)
            if sender is not None:
                await sender.aclose()
            await gw.stop()

    return asyncio.run(main())


@pytest.mark.expect_log("postfordeler.gateway", "repeated with other content")
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_other_content_under_a_known_uuid_is_kept_as_a_flagged_item(kind, tmp_path, pki):
    url = db_url(kind, tmp_path)
    original, message_uuid = with_new_uuid(SMALL_FILES[0].read_bytes())
    first, second = variant(original, 1), variant(original, 2)

    async def body(gw: RunningGateway) -> None:
        r = await deliver(gw, pki, original)
        assert r.accepted and not r.duplicate
        r = await deliver(gw, pki, original)  # same bytes: a duplicate, as before
        assert r.accepted and r.duplicate
        for data in (first, second):  # other bytes: accepted, *not* a duplicate
            r = await deliver(gw, pki, data)
            assert r.accepted and not r.duplicate and r.code is None
            assert r.message_uuid == message_uuid  # the sender hears about its own UUID
        r = await deliver(gw, pki, first)  # the same conflicting bytes again
        assert r.accepted and r.duplicate

        mb = MailboxClient(
            gw.base_url,
            municipality_cvr=CVR,
            user=USER,
            secret=SECRET,
            ssl_context=trust_context(pki.certs.ca),
        )
        try:
            page = await mb.list_items(0)
            items = {i.message_uuid: i for i in page.items}
            assert len(page.items) == 3  # nothing thrown away, nothing stored twice
            assert items[message_uuid].conflict_of is None
            assert items[message_uuid].memo == original
            for data in (first, second):
                digest = hashlib.sha256(data).hexdigest()
                own = conflict_uuid(message_uuid, digest)
                item = items[own]
                assert item.conflict_of == message_uuid
                assert item.memo == data and item.sha256 == digest
                fetched = await mb.fetch(item.item_id)  # PostHent carries the flag too
                assert fetched.conflict_of == message_uuid and fetched.memo == data
        finally:
            await mb.close()
        # distributors can act on the conflict item by its own UUID (the decision routes)
        async with httpx.AsyncClient(
            auth=FreshBasicAuth(USER, SECRET), verify=trust_context(pki.certs.ca), timeout=30
        ) as http:
            resp = await http.get(gw.status_url(conflict_uuid(message_uuid, _sha(first))))
            assert resp.status_code == 200 and resp.json()["state"] == "ny"

    run(url, pki, body)
    store = GatewayStore(url)
    try:
        assert store.count() == 3
    finally:
        store.close()


@pytest.mark.expect_log("postfordeler.gateway", "repeated with other content")
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_racing_deliveries_of_one_uuid_keep_each_content_once(kind, tmp_path, pki):
    """Three contents under one UUID, each sent twice at the same time: three items, each
    content exactly once (inserts are serialised: no lost conflict, no double row)."""
    url = db_url(kind, tmp_path)
    original, message_uuid = with_new_uuid(SMALL_FILES[2].read_bytes())
    contents = [original, variant(original, 1), variant(original, 2)]

    async def body(gw: RunningGateway) -> None:
        receipts = await asyncio.gather(*(deliver(gw, pki, d) for d in contents * 2))
        assert all(r.accepted for r in receipts)
        assert sum(not r.duplicate for r in receipts) == 3
        page = await asyncio.to_thread(gw.store.list_after, 0, 100)
        assert sorted(i.sha256 for i in page.items) == sorted(_sha(d) for d in contents)
        assert sum(i.conflict_of == message_uuid for i in page.items) == 2

    run(url, pki, body)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.expect_log("postfordeler.gateway", "repeated with other content")
def test_the_desktop_shows_the_conflict_in_danish_and_english(tmp_path, pki, qapp):
    from app.ui import i18n
    from app.ui.inbox_model import InboxModel

    original, message_uuid = with_new_uuid(SMALL_FILES[1].read_bytes())
    other = variant(original, 1)

    async def body(gw: RunningGateway) -> dict[int, Any]:
        assert not (await deliver(gw, pki, original)).duplicate
        assert not (await deliver(gw, pki, other)).duplicate
        mb = MailboxClient(
            gw.base_url,
            municipality_cvr=CVR,
            user=USER,
            secret=SECRET,
            ssl_context=trust_context(pki.certs.ca),
        )
        db = open_cache(tmp_path / "cache.sqlite3")
        worker = DbWorker()
        try:
            cache = Cache(db)
            res = await sync_once(mb, cache, worker=worker)
            assert res.new == 2 and res.quarantined == 0
            ids = [
                cache.item_id_for_uuid(u)
                for u in (message_uuid, conflict_uuid(message_uuid, _sha(other)))
            ]
            return InboxQueries(db.engine).rows(i for i in ids if i is not None)
        finally:
            await mb.close()
            worker.close()
            db.engine.dispose()

    rows = run(f"sqlite:///{tmp_path / 'gw.sqlite3'}", pki, body)
    assert len(rows) == 2
    flagged = [r for r in rows.values() if r.conflict_of]
    assert [r.conflict_of for r in flagged] == [message_uuid]

    async def fetch(ids: Any) -> dict[int, Any]:
        return {i: rows[i] for i in ids}

    model = InboxModel(fetch)
    order = sorted(rows)
    model.set_ids(order)
    model._store(dict(rows))  # what the model's own fetch stores (no event loop needed here)

    def cell(item_id: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> Any:
        return model.data(model.index(order.index(item_id), SortColumn.STATUS), role)

    conflict_id = next(i for i, r in rows.items() if r.conflict_of)
    plain_id = next(i for i, r in rows.items() if not r.conflict_of)
    assert cell(conflict_id).startswith("Konflikt · ")
    assert "Konflikt" not in cell(plain_id)
    tip = cell(conflict_id, Qt.ItemDataRole.ToolTipRole)
    assert message_uuid in tip and "andet indhold" in tip
    assert cell(conflict_id, Qt.ItemDataRole.ForegroundRole) is not None  # shown in red
    try:
        assert i18n.install(qapp, "en")
        assert cell(conflict_id).startswith("Conflict · ")
        assert "different content" in cell(conflict_id, Qt.ItemDataRole.ToolTipRole)
    finally:
        i18n.install(qapp, "da")
