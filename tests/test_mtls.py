"""EP_FS1 over HTTPS with mutual TLS, the XML receipt, and the mailbox over HTTPS: real TLS on
loopback with certificates from the sandbox's generated test CA (app/sandbox/certs.py).

Peers without a certificate, with one from another CA, or with a valid-CA certificate that is
not pinned are refused before the body is read (nothing stored, no receipt); the pinned
Postkomponent simulator delivers; two pins roll a certificate over; the mailbox client verifies
the gateway against its configured CA bundle."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from app.gateway.server import GatewayConfig, GatewayTls, RunningGateway, start_gateway
from app.sandbox.certs import IssuedCertificate, SandboxCertificates, TestCa
from app.sandbox.simulator import PostkomponentSimulator
from app.sf1606 import postmodtag as pm
from app.sf1606.mailbox_client import MailboxClient, MailboxUnavailable
from app.sf1606.tls import (
    CertPin,
    PeerCertificate,
    TlsConfigError,
    check_private_key_file,
    parse_pin,
    pem_client_context,
    trust_context,
)
from tests.conftest import REPO
from tests.test_gateway import SMALL_FILES, with_new_uuid

CVR = "29189846"
USER, SECRET = "eva", "eva-hemmelig"


@dataclass
class Pki:
    certs: SandboxCertificates
    unpinned: IssuedCertificate  # valid CA, not pinned
    rollover: IssuedCertificate  # valid CA, the "next" Serviceplatformen certificate
    foreign: IssuedCertificate  # another CA
    foreign_ca: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    certs = SandboxCertificates.ensure(folder / "tls", municipality_cvr=CVR)
    ca = certs.issuer()
    unpinned = ca.issue_files(folder, "unpinned", "Nogen andre", client=True)
    rollover = ca.issue_files(
        folder, "rollover", "Serviceplatformen Postkomponent (sandkasse)", client=True
    )
    other = TestCa.create("Fremmed CA")
    foreign_ca = folder / "foreign-ca.pem"
    other.save(foreign_ca, folder / "foreign-ca-key.pem")
    foreign = other.issue_files(folder, "foreign", "Serviceplatformen Postkomponent", client=True)
    foreign_server = other.issue_files(
        folder, "foreign-server", "localhost", server_names=("127.0.0.1",)
    )
    assert foreign_server.cert.is_file()
    return Pki(certs, unpinned, rollover, foreign, foreign_ca)


def tls_config(pki: Pki, *pins: CertPin) -> GatewayTls:
    return GatewayTls(
        cert_file=pki.certs.server.cert,
        key_file=pki.certs.server.key,
        client_ca=pki.certs.ca,
        pins=pins or (pki.certs.postkomponent.pin,),
    )


def run_gateway(config: GatewayConfig, body: Callable[[RunningGateway], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        gateway = await start_gateway(config)
        try:
            return await body(gateway)
        finally:
            await gateway.stop()

    return asyncio.run(main())


def config(tmp_path: Path, pki: Pki, *pins: CertPin, **kw: Any) -> GatewayConfig:
    return GatewayConfig(
        db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}",
        municipality_cvr=CVR,
        users={USER: SECRET},
        tls=tls_config(pki, *pins),
        **kw,
    )


def client_for(pki: Pki, issued: IssuedCertificate | None) -> httpx.AsyncClient:
    if issued is None:
        ctx = ssl.create_default_context(cafile=str(pki.certs.ca))
    else:
        ctx = pem_client_context(issued.cert, issued.key, pki.certs.ca)
    return httpx.AsyncClient(verify=ctx, timeout=10)


def memo() -> tuple[bytes, str]:
    return with_new_uuid(SMALL_FILES[0].read_bytes())


def xml_receipt(resp: httpx.Response) -> dict[str, str]:
    assert resp.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(resp.content)
    assert root.tag == "receipt"
    return {child.tag: child.text or "" for child in root}


# --------------------------------------------------------------------------- refusals


@pytest.mark.expect_log("postfordeler.gateway", "postmodtag refused")
def test_unpinned_peers_are_refused_before_the_body_and_nothing_is_stored(tmp_path, pki):
    data, _ = memo()

    async def body(gw: RunningGateway) -> None:
        assert gw.postmodtag_url.startswith("https://127.0.0.1:")
        for who in (None, pki.unpinned):
            async with client_for(pki, who) as client:
                resp = await client.post(
                    gw.postmodtag_url, content=data, headers=pm.request_headers()
                )
                assert resp.status_code == 403
                assert b"receipt" not in resp.content and b"messageUUID" not in resp.content
                assert resp.headers.get("connection", "").lower() == "close"
        # a certificate from another CA does not even complete the TLS handshake
        async with client_for(pki, pki.foreign) as client:
            with pytest.raises(httpx.TransportError):
                await client.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
        assert gw.store.count() == 0

    run_gateway(config(tmp_path, pki), body)


@pytest.mark.expect_log("postfordeler.gateway", "postmodtag refused")
def test_refusal_comes_without_waiting_for_the_body(tmp_path, pki):
    """Headers announcing 50 MB and then silence: the unpinned peer is answered 403 at once,
    so the gateway never waited for (or read) a body; with `Expect: 100-continue` it is told
    before it sends one."""

    async def exchange(gw: RunningGateway, issued: IssuedCertificate | None, expect: bool) -> bytes:
        if issued is None:
            ctx = ssl.create_default_context(cafile=str(pki.certs.ca))
        else:
            ctx = pem_client_context(issued.cert, issued.key, pki.certs.ca)
        host, port = gw.base_url.removeprefix("https://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port), ssl=ctx)
        head = (
            f"POST {pm.PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\n"
            + ("Expect: 100-continue\r\n" if expect else "")
            + "\r\n"
        )
        writer.write(head.encode())
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.readline(), 5)
        finally:
            writer.close()

    async def body(gw: RunningGateway) -> None:
        for who in (None, pki.unpinned):
            for expect in (False, True):
                assert (await exchange(gw, who, expect)).startswith(b"HTTP/1.1 403")
        # the pinned peer that asks first gets a 100 Continue
        assert (await exchange(gw, pki.certs.postkomponent, True)).startswith(b"HTTP/1.1 100")
        assert gw.store.count() == 0

    run_gateway(config(tmp_path, pki), body)


@pytest.mark.expect_log("postfordeler.gateway", "postmodtag refused")
def test_pin_needs_both_subject_and_fingerprint(tmp_path, pki):
    right = pki.certs.postkomponent.pin
    wrong_subject = CertPin("CN=Nogen andre,O=X,C=DK", right.sha256)
    data, _ = memo()

    async def body(gw: RunningGateway) -> None:
        async with client_for(pki, pki.certs.postkomponent) as client:
            resp = await client.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            assert resp.status_code == 403
        assert gw.store.count() == 0

    run_gateway(config(tmp_path, pki, wrong_subject), body)
    assert parse_pin(right.subject + "=" + right.sha256.upper()) == right
    colon = ":".join(right.sha256[i : i + 2] for i in range(0, 64, 2))
    assert parse_pin(f"{right.subject}=sha256:{colon}") == right
    with pytest.raises(TlsConfigError):
        parse_pin("CN=x=abc")


# --------------------------------------------------------------------------- delivery


@pytest.mark.expect_log("postfordeler.gateway", "postmodtag refused")
def test_pinned_simulator_delivers_and_rollover_with_two_pins(tmp_path, pki):
    old, new = pki.certs.postkomponent, pki.rollover
    first, first_uuid = memo()
    second, second_uuid = memo()

    async def push(gw: RunningGateway, issued: IssuedCertificate, data: bytes) -> pm.Receipt:
        sim = PostkomponentSimulator(
            gw.postmodtag_url,
            ssl_context=pem_client_context(issued.cert, issued.key, pki.certs.ca),
            max_attempts=1,
        )
        async with sim.client() as client:
            receipt = await sim.deliver(client, data)
        assert receipt is not None
        return receipt

    async def only_old(gw: RunningGateway) -> None:
        receipt = await push(gw, old, first)
        assert receipt.accepted and receipt.message_uuid == first_uuid
        assert gw.store.count() == 1
        async with client_for(pki, new) as client:  # the next certificate is not pinned yet
            resp = await client.post(gw.postmodtag_url, content=second)
            assert resp.status_code == 403
        assert gw.store.count() == 1

    run_gateway(config(tmp_path / "a", pki, old.pin), only_old)

    async def both(gw: RunningGateway) -> None:  # rollover: both pinned, both deliver
        assert (await push(gw, old, first)).accepted
        receipt = await push(gw, new, second)
        assert receipt.accepted and receipt.message_uuid == second_uuid
        assert gw.store.count() == 2
        async with client_for(pki, pki.unpinned) as client:
            assert (await client.post(gw.postmodtag_url, content=second)).status_code == 403

    run_gateway(config(tmp_path / "b", pki, old.pin, new.pin), both)

    async def only_new(gw: RunningGateway) -> None:  # the old certificate retired
        async with client_for(pki, old) as client:
            assert (await client.post(gw.postmodtag_url, content=first)).status_code == 403
        assert (await push(gw, new, second)).accepted

    run_gateway(config(tmp_path / "c", pki, new.pin), only_new)


def test_xml_receipts_and_echoed_headers(tmp_path, pki):
    data, message_uuid = memo()
    transaction_id = str(uuid.uuid4())

    async def body(gw: RunningGateway) -> None:
        async with client_for(pki, pki.certs.postkomponent) as client:
            headers = pm.request_headers(transaction_id)
            resp = await client.post(gw.postmodtag_url, content=data, headers=headers)
            assert resp.status_code == 200
            assert resp.headers[pm.HEADER_TRANSACTION_ID] == transaction_id
            assert resp.headers[pm.HEADER_TRANSACTION_TIME] == headers[pm.HEADER_TRANSACTION_TIME]
            got = xml_receipt(resp)
            assert got["receiptStatus"] == "RECEIVED" and got["messageUUID"] == message_uuid
            assert got["transactionId"] == transaction_id
            assert "errorCode" not in got and "duplicate" not in got

            resp = await client.post(gw.postmodtag_url, content=data, headers=headers)
            got = xml_receipt(resp)  # duplicate: still RECEIVED, flagged
            assert resp.status_code == 200 and got["receiptStatus"] == "RECEIVED"
            assert got["duplicate"] == "true"
            assert pm.receipt_from_http(resp.status_code, resp.content).duplicate

            resp = await client.post(
                gw.postmodtag_url, content=b"<ikke-memo/>", headers=pm.request_headers()
            )
            got = xml_receipt(resp)
            assert resp.status_code == 200 and got["receiptStatus"] == "INVALID"
            assert got["errorCode"] and got["errorMessage"]
            assert pm.HEADER_TRANSACTION_ID in resp.headers  # echoed on a reject too

            other, other_uuid = memo()
            other = other.replace(
                b"<memo:contactPointID>", b"<memo:contactPointID>x", 1
            )  # a contact point this municipality does not receive for
            resp = await client.post(gw.postmodtag_url, content=other, headers=headers)
            got = xml_receipt(resp)
            assert resp.status_code == 200 and got["receiptStatus"] == "NOT_ALLOWED"
            assert got["errorCode"] == pm.CODE_CONTACT_POINT and got["errorMessage"]
            assert got["messageUUID"] == other_uuid
        assert gw.store.count() == 1

    cp = _contact_point(data)
    run_gateway(config(tmp_path, pki, contact_points=(cp,)), body)


def _contact_point(data: bytes) -> str:
    start = data.index(b"<memo:contactPointID>", data.index(b"<memo:Recipient>"))
    start += len(b"<memo:contactPointID>")
    return data[start : data.index(b"<", start)].decode()


def test_receipt_format_and_path_are_configurable(tmp_path, pki):
    data, message_uuid = memo()

    async def body(gw: RunningGateway) -> None:
        assert gw.postmodtag_url.endswith("/ep_fs1/post")
        async with client_for(pki, pki.certs.postkomponent) as client:
            resp = await client.post(gw.postmodtag_url, content=data)
            assert resp.headers["content-type"].startswith("application/json")
            assert resp.json()["kvittering"] == "accept"
            assert resp.json()["messageUUID"] == message_uuid
            assert (await client.post(gw.base_url + pm.PATH, content=data)).status_code == 404

    run_gateway(
        config(tmp_path, pki, postmodtag_path="/ep_fs1/post", receipt_format=pm.RECEIPT_JSON),
        body,
    )


def test_temporary_failure_is_503_without_a_final_status():
    receipt = pm.reject(pm.CODE_TEMPORARY, "Midlertidig fejl")
    body, content_type = receipt.render()
    assert receipt.http_status == 503 and receipt.headers()["Retry-After"]
    root = etree.fromstring(body)
    assert root.find("receiptStatus") is None and root.findtext("errorCode") == pm.CODE_TEMPORARY
    assert content_type == "application/xml"
    assert pm.receipt_from_http(503, body).retryable
    assert pm.receipt_from_http(200, b"<receipt/>").retryable  # no status: not final
    refused = pm.receipt_from_http(403, b"Klientcertifikatet er ikke godkendt")
    assert not refused.accepted and not refused.retryable and refused.code == "http_403"
    assert pm.receipt_from_http(429, b"").retryable


# --------------------------------------------------------------------------- the mailbox


def test_mailbox_client_verifies_the_gateway_against_its_ca(tmp_path, pki, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    data, message_uuid = memo()

    async def listing(gw: RunningGateway, **kw: Any) -> list[str]:
        mb = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret=SECRET, **kw)
        try:
            page = await mb.list_items(0)
        finally:
            await mb.close()
        return [i.message_uuid for i in page.items]

    async def body(gw: RunningGateway) -> None:
        async with client_for(pki, pki.certs.postkomponent) as client:
            assert (await client.post(gw.postmodtag_url, content=data)).status_code == 200
        for kw in ({"ca_bundle": pki.foreign_ca}, {}):  # another CA; the system store
            with pytest.raises(MailboxUnavailable) as err:
                await listing(gw, **kw)
            assert err.value.code == "TLS" and "certifikat" in str(err.value)
        # no client certificate needed on the mailbox
        assert await listing(gw, ca_bundle=pki.certs.ca) == [message_uuid]
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.certs.ca))
        assert await listing(gw) == [message_uuid]  # SSL_CERT_FILE honoured

    run_gateway(config(tmp_path, pki), body)


# --------------------------------------------------------------------------- files and the CLI


def test_sandbox_certificates_are_private_and_reused(tmp_path):
    folder = tmp_path / "tls"
    certs = SandboxCertificates.ensure(folder, municipality_cvr=CVR)
    for key in (certs.server.key, certs.postkomponent.key, certs.municipality.key):
        assert key.stat().st_mode & 0o777 == 0o600
        check_private_key_file(key)
    assert certs.municipality_p12.stat().st_mode & 0o777 == 0o600
    peer = PeerCertificate.from_pem_file(certs.postkomponent.cert)
    assert "Postkomponent" in peer.subject and len(peer.sha256) == 64
    again = SandboxCertificates.ensure(folder, municipality_cvr=CVR)
    assert again.postkomponent.pin == certs.postkomponent.pin  # reused, not regenerated
    certs.server.key.chmod(0o644)
    with pytest.raises(TlsConfigError, match="chmod 600"):
        check_private_key_file(certs.server.key)


def test_gateway_serve_over_tls_and_refuses_a_readable_key(tmp_path, pki):
    env = dict(os.environ, POSTFORDELER_DATA_DIR=str(tmp_path / "data"))
    readable = tmp_path / "readable-key.pem"
    readable.write_bytes(pki.certs.server.key.read_bytes())
    readable.chmod(0o644)
    pin = pki.certs.postkomponent.peer.pin()
    pin_file = tmp_path / "pins.txt"
    pin_file.write_text(f"# Serviceplatformen\n{pin}\n", "utf-8")

    def serve(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "gateway", "serve", "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )

    tls = ["--tls-cert", str(pki.certs.server.cert), "--client-ca", str(pki.certs.ca)]
    bad = serve(*tls, "--tls-key", str(readable), "--pin", pin)
    _, err = bad.communicate(timeout=60)
    assert bad.returncode != 0 and "chmod 600" in err and "kan læses af andre" in err
    missing = serve(*tls, "--tls-key", str(pki.certs.server.key))
    _, err = missing.communicate(timeout=60)
    assert missing.returncode != 0 and "--pin" in err

    proc = serve(*tls, "--tls-key", str(pki.certs.server.key), "--pin-file", str(pin_file))
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line, proc.stderr.read() if proc.stderr else ""
        endpoints = json.loads(line)
        assert endpoints["postmodtag"].startswith("https://")
        ca = str(pki.certs.ca)
        assert httpx.get(endpoints["health"], verify=trust_context(ca)).json()["status"] == "ok"
        data, _ = memo()
        ctx = pem_client_context(pki.certs.postkomponent.cert, pki.certs.postkomponent.key, ca)
        resp = httpx.post(endpoints["postmodtag"], content=data, verify=ctx)
        assert pm.receipt_from_http(resp.status_code, resp.content).accepted
        assert (
            httpx.post(endpoints["postmodtag"], content=data, verify=trust_context(ca)).status_code
            == 403
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
