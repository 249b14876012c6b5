"""The receiving gateway's EP_FS1 PostModtag over real loopback HTTP, with a real SQLite store
(and PostgreSQL when POSTFORDELER_TEST_PG_URL is set): accept only after storing, reject with a
reason, duplicates stored once, size limit enforced while streaming, fault injection."""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.gateway.faults import FaultPlan
from app.gateway.login_store import login_metadata
from app.gateway.server import GatewayConfig, RunningGateway, start_gateway
from app.gateway.store import GatewayStore, make_engine, metadata
from app.sf1606 import postmodtag as pm
from tests.conftest import MESSAGES

CORPUS_FILES = sorted(MESSAGES.glob("*.xml"))
SMALL_FILES = sorted(CORPUS_FILES, key=lambda p: p.stat().st_size)[:40]
UUID_RE = re.compile(rb"(<memo:messageUUID>)([^<]+)(</memo:messageUUID>)")


def with_new_uuid(data: bytes) -> tuple[bytes, str]:
    new = str(uuid.uuid4())
    return UUID_RE.sub(lambda m: m.group(1) + new.encode() + m.group(3), data, count=1), new


def pg_url() -> str | None:
    return os.environ.get("POSTFORDELER_TEST_PG_URL")


def fresh_pg(url: str) -> str:
    """Empty the gateway tables of the test database (each test starts clean)."""
    engine = make_engine(url)  # not a GatewayStore: the old rows may have another test's key
    metadata.drop_all(engine)
    login_metadata.drop_all(engine)
    engine.dispose()
    return url


def db_urls() -> list[Any]:
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def make_db_url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'gw.sqlite3'}"
    url = pg_url()
    if not url:
        pytest.skip("POSTFORDELER_TEST_PG_URL is not set")
    return fresh_pg(url)


def run_gateway(config: GatewayConfig, body: Callable[[RunningGateway], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        gateway = await start_gateway(config)
        try:
            return await body(gateway)
        finally:
            await gateway.stop()

    return asyncio.run(main())


async def post(
    client: httpx.AsyncClient, gw: RunningGateway, data: bytes
) -> tuple[int, pm.Receipt]:
    resp = await client.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
    return resp.status_code, pm.receipt_from_http(resp.status_code, resp.content)


@pytest.mark.parametrize("db", db_urls())
def test_accept_stores_before_answering_and_duplicate_stored_once(db, tmp_path):
    url = make_db_url(db, tmp_path)
    files = SMALL_FILES[:5]

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            for path in files:
                status, receipt = await post(client, gw, path.read_bytes())
                assert status == 200 and receipt.accepted and not receipt.duplicate
                # accepted means committed: a separate connection sees it now
                assert receipt.message_uuid == path.stem.lower()
            check = GatewayStore(url)
            assert check.count() == len(files)
            check.close()
            status, receipt = await post(client, gw, files[0].read_bytes())
            assert status == 200 and receipt.accepted and receipt.duplicate
            assert receipt.code == pm.CODE_DUPLICATE
            # the same message posted concurrently: all accepted, stored once
            data, new_uuid = with_new_uuid(files[1].read_bytes())
            results = await asyncio.gather(*(post(client, gw, data) for _ in range(12)))
            assert all(s == 200 and r.accepted for s, r in results)
            assert sum(not r.duplicate for _, r in results) == 1
            page = gw.store.list_after(0, 100, with_memo=True)
            assert [i.message_uuid for i in page.items].count(new_uuid) == 1
            assert len(page.items) == len(files) + 1
            stored = {i.message_uuid: i for i in page.items}
            assert stored[new_uuid].memo == data
            first = stored[files[0].stem.lower()]
            assert first.memo == files[0].read_bytes()
            assert first.received_at.tzinfo is not None
            resp = await client.get(gw.health_url)
            assert resp.json()["last_item_id"] == max(stored[u].item_id for u in stored)

    run_gateway(GatewayConfig(db_url=url), body)


def test_received_at_is_never_changed_by_a_duplicate(tmp_path):
    data = SMALL_FILES[0].read_bytes()

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            await post(client, gw, data)
            before = gw.store.fetch(1).received_at
            await asyncio.sleep(0.02)
            await post(client, gw, data)
            assert gw.store.fetch(1).received_at == before

    run_gateway(GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.db'}"), body)


def _corrupt_variants(data: bytes) -> dict[str, bytes]:
    text = data.decode("utf-8")
    return {
        "truncated": data[: len(data) // 2],
        "not_xml": b"hello, this is not xml",
        "empty": b"",
        "bad_uuid": UUID_RE.sub(rb"\g<1>not-a-uuid\g<3>", data, count=1),
        "entity": (
            b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><m>&b;</m>'
        ),
        "wrong_ns": text.replace("https://DigitalPost.dk/MeMo-1", "urn:not-memo").encode(),
        "nemsms": text.replace(">DIGITALPOST<", ">NEMSMS<").encode(),
    }


def test_invalid_messages_are_rejected_with_a_reason_and_not_stored(tmp_path):
    variants = _corrupt_variants(SMALL_FILES[0].read_bytes())

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            for name, data in variants.items():
                status, receipt = await post(client, gw, data)
                assert status == 200, name
                assert not receipt.accepted, name
                assert receipt.code and receipt.text, name
                assert "\n" not in receipt.text, name
            _, receipt = await post(client, gw, variants["nemsms"])
            assert receipt.code == "nemsms"
        assert gw.store.count() == 0

    run_gateway(GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.db'}"), body)


def test_unconfigured_contact_point_is_rejected(tmp_path):
    data = SMALL_FILES[0].read_bytes()
    cp = (
        re.search(rb"<memo:Recipient>.*?<memo:contactPointID>([^<]+)<", data, re.DOTALL)
        .group(1)
        .decode()
    )

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            status, receipt = await post(client, gw, data)
            assert status == 200 and not receipt.accepted
            assert receipt.code == pm.CODE_CONTACT_POINT
        assert gw.store.count() == 0

    run_gateway(
        GatewayConfig(
            db_url=f"sqlite:///{tmp_path / 'a.db'}",
            contact_points=("00000000-0000-4000-8000-000000000000",),
        ),
        body,
    )

    async def accepted(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            _, receipt = await post(client, gw, data)
            assert receipt.accepted
        assert gw.store.fetch(1).contact_point_id == cp

    run_gateway(
        GatewayConfig(db_url=f"sqlite:///{tmp_path / 'b.db'}", contact_points=(cp,)), accepted
    )


def test_oversized_refused_by_content_length_and_while_streaming(tmp_path):
    limit = 1024 * 1024

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            resp = await client.post(
                gw.postmodtag_url, content=b"<" + b"x" * (limit + 10), headers=pm.request_headers()
            )
            assert resp.status_code == 413
            assert pm.receipt_from_http(resp.status_code, resp.content).code == pm.CODE_TOO_LARGE
        # chunked upload without Content-Length: the gateway answers and closes long before the
        # sender is done; it never buffers the whole body.
        host, port = gw.base_url.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"POST {pm.PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/xml\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        chunk = b"<a>" + b"x" * (64 * 1024 - 3)
        sent = 0
        answer = b""
        try:
            for _ in range(50 * 16):  # up to 50 MB offered
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
                sent += len(chunk)
                try:
                    answer = await asyncio.wait_for(reader.read(4096), timeout=0.001)
                except TimeoutError:
                    continue
                if answer:
                    break
                break
        except (ConnectionError, OSError):
            pass
        if not answer:
            try:
                answer = await asyncio.wait_for(reader.read(4096), timeout=2)
            except (ConnectionError, OSError):
                pass
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass
        assert b" 413 " in answer.split(b"\r\n", 1)[0]
        assert sent < 8 * limit, sent
        assert gw.store.count() == 0

    run_gateway(
        GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.db'}", max_message_bytes=limit), body
    )


def test_fault_injection_http500_drop_and_drop_after_store(tmp_path):
    data = SMALL_FILES[0].read_bytes()

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            resp = await client.post(
                gw.base_url + "/_sandbox/faults", json={"next": {"http_500": 1, "drop": 1}}
            )
            assert resp.status_code == 200
            with pytest.raises(httpx.TransportError):  # "drop" comes first
                await client.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            resp = await client.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            assert resp.status_code == 500
            assert pm.receipt_from_http(resp.status_code, resp.content).retryable
            assert gw.store.count() == 0
            gw.set_faults(FaultPlan(next={"drop_after_store": 1}))
            with pytest.raises(httpx.TransportError):
                await client.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            assert gw.store.count() == 1  # stored, but the sender never saw the accept
            _, receipt = await post(client, gw, data)  # its retry
            assert receipt.accepted and receipt.duplicate
            assert gw.store.count() == 1
            gw.set_faults(FaultPlan(next={"slow": 1}, slow_seconds=0.3))
            started = time.perf_counter()
            _, receipt = await post(client, gw, with_new_uuid(data)[0])
            assert receipt.accepted and time.perf_counter() - started >= 0.3
            resp = await client.post(gw.base_url + "/_sandbox/faults", json={"bogus": 1})
            assert resp.status_code == 400

    run_gateway(GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.db'}", sandbox=True), body)


def test_fault_endpoint_only_in_sandbox_mode(tmp_path):
    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            resp = await client.post(gw.base_url + "/_sandbox/faults", json={"http_500": 1})
            assert resp.status_code in (404, 405)

    run_gateway(GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.db'}"), body)


def test_transaction_id_is_echoed_and_receipt_has_no_content(tmp_path):
    data = SMALL_FILES[0].read_bytes()
    tid = str(uuid.uuid4())

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient() as client:
            resp = await client.post(
                gw.postmodtag_url, content=data, headers=pm.request_headers(tid)
            )
            receipt = pm.receipt_from_http(resp.status_code, resp.content)
            assert receipt.accepted and receipt.transaction_id == tid
            assert len(resp.content) < 400

    run_gateway(GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.db'}"), body)


def _inflated(size: int) -> bytes:
    import base64

    src = SMALL_FILES[0].read_bytes()
    m = re.search(rb"(<memo:content>)([^<]*)(</memo:content>)", src)
    payload = base64.b64encode(b"Tekst " * (size * 3 // 4 // 6))
    return src[: m.start(2)] + payload + src[m.end(2) :]


@pytest.mark.parametrize("db", db_urls())
def test_large_message_round_trips_byte_exact(db, tmp_path):
    url = make_db_url(db, tmp_path)
    data = _inflated(6 * 1024 * 1024)  # above the SQLite blob-streaming threshold

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            status, receipt = await post(client, gw, data)
            assert status == 200 and receipt.accepted
        item = gw.store.fetch(1)
        assert item.size == len(data) and item.memo == data

    run_gateway(GatewayConfig(db_url=url), body)


def test_cli_add_user_and_serve_until_sigterm(tmp_path):
    import json
    import signal
    import subprocess
    import sys

    from app.gateway.store import verify_secret
    from tests.conftest import REPO

    env = dict(os.environ, POSTFORDELER_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-m", "app", "gateway", "add-user", "eva"],
        check=False,
        input="eva-hemmelig\n",
        text=True,
        capture_output=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "gateway", "serve", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        endpoints = json.loads(proc.stdout.readline())
        assert endpoints["ready"] is True
        assert httpx.get(endpoints["health"]).json()["status"] == "ok"
        assert 'location="' + endpoints["mailbox"] in httpx.get(endpoints["mailbox_wsdl"]).text
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    store = GatewayStore(f"sqlite:///{tmp_path / 'data' / 'gateway' / 'gateway.sqlite3'}")
    stored = store.user_hash("eva")
    store.close()
    assert stored and "eva-hemmelig" not in stored and verify_secret("eva-hemmelig", stored)
