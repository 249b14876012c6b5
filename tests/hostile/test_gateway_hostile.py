"""The hostile cases against a running gateway's EP_FS1 over mutual TLS (the sandbox's
Postkomponent certificate), its mailbox SOAP parser and its WSDLs.

Every case gets its final receipt (never "temporary": a sender must not redeliver for ever)
in bounded time; DOCTYPEs naming a FIFO or a URL never open it (the traps count), also after
10 MB of comment in a spooled body and in UTF-16; stuck parse threads never stop /health, the
mailbox or other deliveries; nothing from a request (Host, Expect, transaction headers) is
echoed into a response. One gateway per module, in its own thread and event loop (tests/hostile/live.py)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from lxml import etree

from app.gateway.server import _STATE, RECEIPT_PATH, GatewayConfig, start_gateway
from app.sf1606 import postmodtag as pm
from tests.hostile import cases as C
from tests.hostile.live import CVR, start_world

CASES = {c.name: c for c in C.all_cases()}
BOUND_S = 15.0  # per request, on a loaded machine; the benchmark reports real figures
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
EVIL_HOST = 'evil.example"/><x:inj xmlns:x="urn:x"/><a b="'
ENVELOPE = (
    f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
    '<mb:PostListeRequest xmlns:mb="https://postfordeler.dk/xml/schemas/Mailbox/1/">'
    '<a:AuthorityContext xmlns:a="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/">'
    f"<a:MunicipalityCVR>{CVR}</a:MunicipalityCVR></a:AuthorityContext>"
    "<mb:EfterElementID>0</mb:EfterElementID></mb:PostListeRequest></soap:Body></soap:Envelope>"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("gw-hostile")
    env = C.HostileEnv(folder / "traps")
    w = start_world(folder, parse_workers=2, parse_wait=1.0)
    yield w.live, w.client, w.sp_client, env
    w.close()
    env.close()


def post(client: httpx.Client, url: str, data: bytes, **headers: str) -> httpx.Response:
    return client.post(url, content=data, headers={**pm.request_headers(), **headers})


def receipt_of(resp: httpx.Response) -> dict[str, str]:
    root = etree.fromstring(resp.content)
    assert root.tag == "receipt"
    return {child.tag: child.text or "" for child in root}


def valid_memo() -> bytes:
    return C.fresh_uuid(C.H.message())


@pytest.mark.parametrize("name", sorted(CASES))
def test_ep_fs1_answers_every_case_finally(name: str, world) -> None:
    live, client, _sp, env = world
    case = CASES[name]
    data = C.fresh_uuid(case.build(env))
    before = env.touched()
    started = time.perf_counter()
    resp = post(client, live.gw.postmodtag_url, data)
    elapsed = time.perf_counter() - started
    assert env.touched() == before, "the gateway opened the FIFO or connected to the network"
    assert elapsed < BOUND_S, f"{elapsed:.1f} s"
    status, receipt_status = case.receipt
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert "Retry-After" not in resp.headers  # final: never a temporary answer
    receipt = receipt_of(resp)
    assert receipt.get("receiptStatus") == receipt_status, receipt
    if case.code is not None:
        assert receipt["errorCode"] == ("for_stor" if case.code == "size" else case.code)
        assert str(env.folder) not in resp.text and "HEMMELIGT" not in resp.text


def test_the_reject_text_is_the_same_whatever_the_path(world) -> None:
    live, client, _sp, env = world
    texts = set()
    for name in (
        "general_entity_existing_file",
        "general_entity_missing_file",
        "doctype_system_fifo",
    ):
        resp = post(client, live.gw.postmodtag_url, CASES[name].build(env))
        texts.add(receipt_of(resp)["errorMessage"])
    assert len(texts) == 1, texts


def test_fifo_doctypes_do_not_block_legitimate_calls(world) -> None:
    """Eight DOCTYPE-names-a-FIFO deliveries at once (10 MB spooled bodies, UTF-16, entities:
    four times the parse pool), alongside /health, the mailbox and a valid delivery."""
    live, client, _sp, env = world
    gw = live.gw
    hostile = [
        CASES[n].build(env)
        for n in (
            "doctype_after_10mb_comment",
            "entity_fifo_after_10mb_comment",
            "utf16le_bom_doctype",
            "utf16le_no_bom_doctype",
            "parameter_entity_fifo",
            "doctype_system_fifo",
            "doctype_after_2mb_comment",
            "utf8_bytes_declared_utf16",
        )
    ]
    before = env.touched()

    def timed(fn, *args) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        resp = fn(*args)
        return time.perf_counter() - started, resp

    with ThreadPoolExecutor(max_workers=16) as pool:
        bad = [pool.submit(timed, post, client, gw.postmodtag_url, d) for d in hostile]
        health = [pool.submit(timed, client.get, gw.health_url) for _ in range(4)]
        mailbox = pool.submit(timed, lambda: client.post(gw.mailbox_url, content=ENVELOPE.encode()))
        good = pool.submit(timed, post, client, gw.postmodtag_url, valid_memo())
        for future in bad:
            elapsed, resp = future.result(timeout=120)
            assert elapsed < BOUND_S and resp.status_code == 200
            assert receipt_of(resp)["receiptStatus"] == "INVALID"
        for future in health:
            elapsed, resp = future.result(timeout=60)
            assert elapsed < BOUND_S and resp.json()["status"] == "ok"
        elapsed, resp = mailbox.result(timeout=60)
        assert elapsed < BOUND_S and b"AUTENTIFIKATION" in resp.content
        elapsed, resp = good.result(timeout=60)
        assert elapsed < BOUND_S and receipt_of(resp)["receiptStatus"] == "RECEIVED"
    assert env.touched() == before


@pytest.mark.expect_log("postfordeler.gateway", "every parse thread busy")
def test_stuck_parse_threads_never_stop_the_rest(world) -> None:
    """Every parse thread held (as a parse that never ends would): /health and the mailbox
    answer at once, a delivery is told "temporary" after the bounded wait (503, Retry-After),
    and once the threads are free it is received."""
    live, client, _sp, _env = world
    gw = live.gw
    state = gw._app[_STATE]
    workers = gw.config.parse_workers
    release = threading.Event()

    async def occupy() -> None:
        assert state.parse_slots is not None and state.parse_executor is not None
        for _ in range(workers):
            await state.parse_slots.acquire()
            state.parse_executor.submit(release.wait, 60)

    async def free() -> None:
        assert state.parse_slots is not None
        for _ in range(workers):
            state.parse_slots.release()

    live.run(occupy())
    try:
        started = time.perf_counter()
        assert client.get(gw.health_url).json()["status"] == "ok"
        assert b"AUTENTIFIKATION" in client.post(gw.mailbox_url, content=ENVELOPE.encode()).content
        assert time.perf_counter() - started < BOUND_S
        data = valid_memo()
        started = time.perf_counter()
        resp = post(client, gw.postmodtag_url, data)
        assert time.perf_counter() - started < gw.config.parse_wait + BOUND_S
        assert resp.status_code == 503 and resp.headers["Retry-After"]
        assert "receiptStatus" not in receipt_of(resp)
    finally:
        release.set()
        live.run(free())
    resp = post(client, gw.postmodtag_url, data)
    assert receipt_of(resp)["receiptStatus"] == "RECEIVED"


@pytest.mark.parametrize(
    "name",
    [
        "doctype_system_fifo",
        "utf16le_bom_doctype",
        "utf16le_no_bom_doctype",
        "utf8_bytes_declared_utf16",
        "doctype_after_2mb_comment",
    ],
)
def test_mailbox_soap_parser_refuses_hostile_prologs(name: str, world) -> None:
    live, client, _sp, env = world
    case = CASES[name]
    # the case's prolog in front of a mailbox envelope instead of a MeMo
    raw = case.build(env)
    memo_root = b"<memo:Message "
    if memo_root in raw:
        data = raw[: raw.index(memo_root)] + ENVELOPE.encode()
    else:  # a UTF-16 case: rebuild around the envelope in the same encoding
        codec = "utf-16-le" if raw[:2] == b"\xff\xfe" or raw[1:2] == b"\x00" else "utf-16-be"
        text = raw.decode(codec)
        data = (text[: text.index("<memo:Message ")] + ENVELOPE).encode(codec)
    before = env.touched()
    resp = client.post(live.gw.mailbox_url, content=data, headers={"Content-Type": "text/xml"})
    assert env.touched() == before
    assert resp.status_code == 500 and b"UGYLDIG_FORESPOERGSEL" in resp.content
    assert b"soap:Client" in resp.content  # the caller's fault, not temporary
    assert str(env.folder).encode() not in resp.content


def _address(wsdl: bytes) -> str:
    root = etree.fromstring(wsdl)
    found = root.findall(f".//{{{WSDL_SOAP_NS}}}address")
    assert len(found) == 1
    return found[0].get("location") or ""


def test_wsdl_addresses_never_come_from_the_host_header(world) -> None:
    live, client, sp_client, _env = world
    gw = live.gw
    resp = client.get(gw.mailbox_wsdl_url, headers={"Host": EVIL_HOST})
    assert resp.status_code == 200 and b"evil" not in resp.content
    assert _address(resp.content) == gw.base_url + "/mailbox"
    resp = sp_client.get(gw.base_url + RECEIPT_PATH + "?wsdl", headers={"Host": EVIL_HOST})
    assert resp.status_code == 200 and b"evil" not in resp.content
    assert _address(resp.content) == gw.base_url + RECEIPT_PATH


def test_wsdl_address_is_the_configured_public_url(tmp_path: Path) -> None:
    async def main() -> None:
        with pytest.raises(ValueError):
            await start_gateway(
                GatewayConfig(db_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", public_url='http://a"b')
            )
        gw = await start_gateway(
            GatewayConfig(
                db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}",
                spool_dir=tmp_path / "spool",
                public_url="https://postfordeler.fjordby.example:8443/",
            )
        )
        try:
            async with httpx.AsyncClient() as http:
                resp = await http.get(gw.mailbox_wsdl_url, headers={"Host": EVIL_HOST})
            assert b"evil" not in resp.content
            assert _address(resp.content) == "https://postfordeler.fjordby.example:8443/mailbox"
        finally:
            await gw.stop()

    asyncio.run(main())


def test_request_headers_are_not_echoed(world) -> None:
    live, client, _sp, _env = world
    gw = live.gw
    resp = client.post(
        gw.postmodtag_url,
        content=b"<x/>",
        headers={"Expect": "<evil>100-continue", "Content-Type": "application/xml"},
    )
    assert resp.status_code == 417 and b"evil" not in resp.content
    resp = post(
        client,
        gw.postmodtag_url,
        valid_memo(),
        **{pm.HEADER_TRANSACTION_ID: "<evil/>", pm.HEADER_TRANSACTION_TIME: "2026<evil/>"},
    )
    assert receipt_of(resp)["receiptStatus"] == "RECEIVED"
    assert pm.HEADER_TRANSACTION_ID not in resp.headers
    assert pm.HEADER_TRANSACTION_TIME not in resp.headers
    assert b"evil" not in resp.content
    transaction_id = str(uuid.uuid4()).upper()
    resp = post(
        client, gw.postmodtag_url, valid_memo(), **{pm.HEADER_TRANSACTION_ID: transaction_id}
    )
    assert resp.headers[pm.HEADER_TRANSACTION_ID] == transaction_id.lower()
