"""Versions and upgrades (issue 14 point 6): the client and a real gateway on loopback exchange
versions over `/health` and the client says plainly when it is too old; a populated cache made
by the previous release's schema (the revision before head) upgrades with every item intact."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest
from sqlalchemy import text

from app import __version__
from app.core.compat import VERSION_HEADER, check_gateway, judge
from app.core.sync import backfill_facts
from app.core.worker import DbWorker
from app.gateway import server
from app.gateway.server import GatewayConfig, start_gateway
from app.models.cache import Cache
from app.models.db import cache_engine, open_cache
from tests.test_migrations import FILES, _dump, _populate, _script


def _with_gateway(tmp_path, body):
    async def main():
        gateway = await start_gateway(GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.db'}"))
        try:
            return await body(gateway)
        finally:
            await gateway.stop()

    return asyncio.run(main())


@pytest.mark.expect_log("postfordeler.compat", "refused by gateway")
def test_client_and_gateway_exchange_versions(tmp_path, monkeypatch):
    async def body(gw):
        ok = await check_gateway(gw.base_url)
        async with httpx.AsyncClient() as client:
            health = (await client.get(gw.health_url, headers={VERSION_HEADER: "0.0.1"})).json()
        monkeypatch.setattr(server, "MIN_CLIENT_VERSION", "99.0.0")
        refused = await check_gateway(gw.base_url)
        return ok, health, refused

    ok, health, refused = _with_gateway(tmp_path, body)
    assert ok.ok and ok.gateway_version == __version__ and ok.message == ""
    assert health["version"] == __version__ and health["min_client_version"]
    assert health["client_accepted"] is False  # 0.0.1 is older than any release
    assert not refused.ok and refused.min_client_version == "99.0.0"
    assert refused.message == (
        f"Postfordeler {__version__} er for gammel til postserveren (version {__version__}), "
        "som kræver mindst version 99.0.0: bed IT om at opdatere Postfordeler på denne computer."
    )


def test_a_gateway_that_names_no_version_is_not_called_incompatible():
    result = judge("0.1.0", {"status": "ok"})
    assert result.ok and result.gateway_version == ""
    assert not judge("0.1.0", {"version": "2.0", "min_client_version": "1.0"}).ok


def test_a_populated_cache_of_the_previous_release_upgrades_intact(tmp_path):
    path = tmp_path / "previous.sqlite3"
    engine, encrypted = cache_engine(path)
    assert encrypted
    script = _script(engine)
    head = script.get_current_head()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str), "the previous release's schema is one revision"
    from app.models.db import migrate

    migrate(engine, previous)
    expected = _populate(engine, previous)
    tables = ("items", "item_blobs", "item_files", "access_log", "outbox", "items_fts")
    before = {t: _dump(engine, t) for t in tables if t != "items_fts"}
    engine.dispose()

    db = open_cache(path)  # what the new version does at its first start
    try:
        with db.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
            )
        for table, rows in before.items():
            assert rows, table
            assert [r[: len(rows[0])] for r in _dump(db.engine, table)] == rows, table
        cache = Cache(db)
        assert cache.cursor() == 6
        worker = DbWorker()  # the client's one-time backfill at start (facts of old items)
        try:
            assert asyncio.run(backfill_facts(cache, worker)) == len(FILES)
        finally:
            worker.close()
        for item_id, digests in expected["files"].items():
            item = cache.item(item_id)
            assert item["message_uuid"]
            got = [
                hashlib.sha256(cache.file_bytes(item_id, n)).hexdigest()
                for n in range(len(digests))
            ]
            assert got == digests
        assert len(expected["files"]) == len(FILES)
        rows = {r.id: r for r in cache.outbox_entries()}
        assert rows[2].status == "pending" and rows[2].decision.case_id == "c-1"
        word = max(cache.item(1)["label"].split(), key=len).strip(".,:;!?()")
        assert 1 in cache.search(word)
    finally:
        db.engine.dispose()


@pytest.mark.parametrize("header", ["", "ukendt"])
def test_health_without_or_with_a_bad_client_version(tmp_path, header):
    async def body(gw):
        async with httpx.AsyncClient() as client:
            headers = {VERSION_HEADER: header} if header else {}
            return (await client.get(gw.health_url, headers=headers)).json()

    health = _with_gateway(tmp_path, body)
    assert health["status"] == "ok" and health["version"] == __version__
    assert health.get("client_accepted") is (None if not header else False)
