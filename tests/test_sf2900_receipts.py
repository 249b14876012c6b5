"""The business receipt: the SF2900 sandbox calls the sender's FordelingskvitteringModtag back
over mutual TLS (the "serviceplatformen" client certificate of the sandbox CA) and the
gateway's callback route (`app.gateway.receipts.callback_routes`, mounted here on a tiny aiohttp
app served over TLS that pins that certificate) parses, validates and applies it.

No mocks: the real sandbox SFTP server, STS and SF2900 service; the deliveries go through
`Sf2900Delivery`; the receipts arrive over the network. The `apply` callable stands in for the
store's `apply_business_receipt` (idempotent by (AnvenderTransaktionsID, status))."""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from lxml import etree

from app.decisions import Journalise
from app.dubu.sf2900_client import (
    document_parts,
)
from app.dubu.sf2900_delivery import (
    PartUpload,
    Sf2900Delivery,
)
from app.gateway.receipts import (
    CALLBACK_PATH,
    NS2,
    BusinessReceipt,
    ReceiptOutcome,
    callback_routes,
    receipt_schema,
    receipt_too_old,
)
from app.sandbox.certs import SandboxCertificates
from app.sandbox.sf2900_service import Sf2900Service
from app.sandbox.sftp_sts import SANDBOX_SFTP_USER, start_sftp_and_sts
from app.sf1606.tls import pem_client_context, server_context
from tests.test_sf2900_delivery import CASE, CVR, LETTER, Parts
from tests.test_sf2900_delivery import server_context as sf2900_server_context

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Store:
    """What the gateway store does with receipts, in memory: parts it sent, receipts applied
    once per (id, status)."""

    sent: dict[str, datetime] = field(default_factory=dict)
    applied: list[BusinessReceipt] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    calls: int = 0
    fail_next: int = 0

    async def apply(self, receipt: BusinessReceipt) -> ReceiptOutcome:
        self.calls += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RuntimeError("database gone")
        if receipt.anvender_transaktions_id not in self.sent:
            return ReceiptOutcome.UNKNOWN
        key = (receipt.anvender_transaktions_id, receipt.status)
        if key in self.seen:
            return ReceiptOutcome.DUPLICATE
        self.seen.add(key)
        self.applied.append(receipt)
        return ReceiptOutcome.APPLIED

    async def sent_at(self, anvender_id: str) -> datetime | None:
        return self.sent.get(anvender_id)


@dataclass
class World(Parts):
    store: Store = field(default_factory=Store)
    callback_url: str = ""
    stats: Any = None

    async def deliver(self, n_files: int = 1, *, record: bool = True) -> list[str]:
        """Upload + send a journalise decision with `n_files` files; its part ids. `record`
        False: the store does not know the parts (a receipt for something never sent)."""
        decision_id = str(uuid.uuid4())
        async with Sf2900Delivery(self.settings()) as delivery:
            remote = []
            for i in range(n_files):
                part = PartUpload(
                    decision_id, i, f"fil{i}.pdf", "application/pdf", content=b"%PDF" * (i + 9)
                )
                remote.append(delivery.remote_file(part, await delivery.upload(part)))
            parts = document_parts(
                Journalise(CASE.id, CASE.number),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=remote,
                case=CASE,
            )
            for obj in parts:
                if record:
                    self.store.sent[obj.transaction_id] = datetime.now(UTC)
                result = await delivery.send(obj)
                assert result.status == "MODTAGET"
        return [obj.transaction_id for obj in parts]


def callback_server_context(certs: SandboxCertificates) -> ssl.SSLContext:
    return server_context(certs.server.cert, certs.server.key, certs.ca)


def run(
    tmp_path: Path,
    body: Callable[[World], Awaitable[None]],
    *,
    pinned: bool = True,
    **service_kw: Any,
) -> None:
    async def main() -> None:
        certs = await asyncio.to_thread(
            SandboxCertificates.ensure, tmp_path / "tls", municipality_cvr=CVR
        )
        sftp_sts = await start_sftp_and_sts(tmp_path, CVR, certs=certs)
        store = Store()
        app = web.Application()
        stats = callback_routes(
            app,
            store.apply,
            pins=(certs.serviceplatformen.pin,) if pinned else None,
            sent_at=store.sent_at,
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=callback_server_context(certs))
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        callback_url = f"https://127.0.0.1:{port}{CALLBACK_PATH}"
        kw: dict[str, Any] = {
            "municipality_cvr": CVR,
            "sftp_root": sftp_sts.sftp.root,
            "sftp_user": SANDBOX_SFTP_USER,
            "sts_signing_cert": certs.sts_signing.cert.read_bytes(),
            "require_token": True,
            "callback_url": callback_url,
            "callback_ssl_context": pem_client_context(
                certs.serviceplatformen.cert, certs.serviceplatformen.key, certs.ca
            ),
        }
        kw.update(service_kw)
        sf2900 = Sf2900Service(**kw)
        await sf2900.start(ssl_context=sf2900_server_context(certs))
        world = World(certs, sftp_sts, sf2900, store, callback_url, stats)
        try:
            await body(world)
        finally:
            await sf2900.stop()
            await sftp_sts.stop()
            await runner.cleanup()

    asyncio.run(main())


def test_every_part_gets_its_business_receipt_accepteret(tmp_path):
    async def body(w: World) -> None:
        ids = await w.deliver(n_files=3)
        await w.sf2900.wait_callbacks()
        assert sorted(r.anvender_transaktions_id for r in w.store.applied) == sorted(ids)
        assert {(r.status, r.kvitteringstype) for r in w.store.applied} == {
            ("ACCEPTERET", "Forretning")
        }
        by_id = {r["anvender_transaktions_id"]: r for r in w.sf2900.received()}
        for r in w.store.applied:
            assert (
                r.distribution_transaktions_id
                == by_id[r.anvender_transaktions_id]["distribution_transaktions_id"]
            )
            assert r.sent_at is not None and r.reason is None
        assert all(c["ok"] and c["attempts"] == 1 for c in w.sf2900.callbacks)
        assert w.stats.applied == 3 and w.stats.refused == 0

    run(tmp_path, body)


def test_afvist_fejlet_duplicate_and_dropped_receipts(tmp_path):
    async def body(w: World) -> None:
        w.sf2900.faults.apply_json(
            [
                {"kind": "afvist", "count": 1, "reason": "Sagen er lukket", "code": "SAG_LUKKET"},
                {"kind": "receipt_fejlet", "count": 1},
                {"kind": "duplicate_receipt", "count": 1},
                {"kind": "drop_receipt", "count": 1},
            ]
        )
        ids = [(await w.deliver())[0] for _ in range(5)]
        await w.sf2900.wait_callbacks()
        got = {r.anvender_transaktions_id: r for r in w.store.applied}
        afvist, fejlet, twice, dropped, normal = ids
        assert (got[afvist].status, got[afvist].reason) == ("AFVIST", "Sagen er lukket")
        assert got[afvist].errors == (("SAG_LUKKET", "Sagen er lukket"),)
        assert got[fejlet].status == "FEJLET" and got[fejlet].reason
        assert got[twice].status == "ACCEPTERET" and got[normal].status == "ACCEPTERET"
        assert dropped not in got
        # the duplicate arrived twice, was answered OK twice, applied once
        assert [
            c["copy"] for c in w.sf2900.callbacks if c["anvender_transaktions_id"] == twice
        ] == [1, 2]
        assert w.stats.duplicates == 1 and w.stats.applied == 4
        assert w.store.calls == 5
        # the synchronous answers were all technical MODTAGET: DUBU's answer came later
        assert {r["Forretningskvittering"] for r in w.sf2900.received()} == {"MODTAGET"}

    run(tmp_path, body)


def test_callback_delay_is_honoured(tmp_path):
    async def body(w: World) -> None:
        assert w.sf2900.callback_delay == 0.3  # from the constructor ...
        m = w.certs.municipality
        async with _client(w, m.cert, m.key) as c:  # ... and changed at run time
            url = f"{w.sf2900.base_url}/sf2900/settings"
            bad = await c.post(url, json={"callback_delay": -1})
            assert bad.status_code == 400
            ok = (await c.post(url, json={"callback_delay": 0.8})).json()
            assert ok["ok"] and ok["callback_delay"] == 0.8
        start = time.monotonic()
        await w.deliver()
        assert w.store.applied == []  # not yet: the receipt comes later
        await w.sf2900.wait_callbacks()
        assert len(w.store.applied) == 1
        assert time.monotonic() - start >= 0.8

    run(tmp_path, body, callback_delay=0.3)


@pytest.mark.expect_log("postfordeler.gateway.receipts", "could not be stored")
def test_unknown_transaction_is_a_fault_and_a_failed_store_is_delivered_again(tmp_path):
    async def body(w: World) -> None:
        (tid,) = await w.deliver()
        await w.sf2900.wait_callbacks()
        assert w.store.applied[0].anvender_transaktions_id == tid
        # a receipt for something the gateway never sent: fault, not retried by the sandbox
        (other,) = await w.deliver(record=False)
        await w.sf2900.wait_callbacks()
        entry = next(c for c in w.sf2900.callbacks if c["anvender_transaktions_id"] == other)
        assert entry["ok"] is False and entry["fault"] and entry["attempts"] == 1
        # the store fails once: HTTP 500 soap:Server, Serviceplatformen delivers again
        w.store.fail_next = 1
        (third,) = await w.deliver()
        await w.sf2900.wait_callbacks()
        entry = next(c for c in w.sf2900.callbacks if c["anvender_transaktions_id"] == third)
        assert entry["ok"] is True and entry["attempts"] == 2
        assert third in {r.anvender_transaktions_id for r in w.store.applied}

    run(tmp_path, body)


def _receipt_body(tid: str, status: str = "ACCEPTERET", kind: str = "Forretning") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="{SOAP}" xmlns:v2="{NS2}"><soap:Body>
<v2:FordelingskvitteringModtagAnvenderRequest>
 <v2:Forretningskvittering>
  <v2:ForretningsValideringsKode>{status}</v2:ForretningsValideringsKode>
  <v2:Kvitteringstype>{kind}</v2:Kvitteringstype>
 </v2:Forretningskvittering>
 <v2:DistributionContext>
  <v2:AnvenderTransaktionsID>{tid}</v2:AnvenderTransaktionsID>
  <v2:DistributionTransktionsID>{uuid.uuid4()}</v2:DistributionTransktionsID>
  <v2:AfsendendeMyndighed>{CVR}</v2:AfsendendeMyndighed>
  <v2:RoutingMyndighed>{CVR}</v2:RoutingMyndighed>
  <v2:RoutingValg><v2:RoutingKLEEmneHandling><v2:RoutingKLEEmne>27.24.00</v2:RoutingKLEEmne>
  </v2:RoutingKLEEmneHandling></v2:RoutingValg>
 </v2:DistributionContext>
</v2:FordelingskvitteringModtagAnvenderRequest></soap:Body></soap:Envelope>""".encode()


def _client(w: World, cert: Path | None, key: Path | None) -> httpx.AsyncClient:
    if cert is None or key is None:
        ctx = ssl.create_default_context(cafile=str(w.certs.ca))
    else:
        ctx = pem_client_context(cert, key, w.certs.ca)
    return httpx.AsyncClient(verify=ctx, timeout=10)


def _fault_code(resp: httpx.Response) -> str:
    root = etree.fromstring(resp.content)
    return root.findtext(f".//{{{NS2}}}FejlKode") or ""


@pytest.mark.expect_log("postfordeler.gateway.receipts", "refused: client certificate")
def test_only_the_pinned_certificate_may_call(tmp_path):
    async def body(w: World) -> None:
        tid = str(uuid.uuid4())
        w.store.sent[tid] = datetime.now(UTC)
        sp = w.certs.serviceplatformen
        for cert, key in ((w.certs.municipality.cert, w.certs.municipality.key), (None, None)):
            async with _client(w, cert, key) as c:
                resp = await c.post(w.callback_url, content=_receipt_body(tid))
                assert resp.status_code == 403
        assert w.store.calls == 0
        async with _client(w, sp.cert, sp.key) as c:
            resp = await c.post(w.callback_url, content=_receipt_body(tid))
            assert resp.status_code == 200
            # the answer is the WSDL's (empty) response element, valid against the schema
            root = etree.fromstring(resp.content)
            (answer,) = root.find(f"{{{SOAP}}}Body")
            assert answer.tag == f"{{{NS2}}}FordelingskvitteringModtagAnvenderResponse"
            assert receipt_schema().validate(answer)
            wsdl = await c.get(w.callback_url + "?wsdl")
            assert wsdl.status_code == 200 and w.callback_url.encode() in wsdl.content
        assert [r.anvender_transaktions_id for r in w.store.applied] == [tid]

    run(tmp_path, body)


def test_hostile_invalid_and_technical_receipts(tmp_path):
    async def body(w: World) -> None:
        tid = str(uuid.uuid4())
        w.store.sent[tid] = datetime.now(UTC)
        sp = w.certs.serviceplatformen
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            + _receipt_body(tid).split(b"?>", 1)[1].replace(b"ACCEPTERET", b"&b;")
        )
        external = (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + _receipt_body(tid).split(b"?>", 1)[1].replace(b"ACCEPTERET", b"&x;")
        )
        cases = {
            "dtd": bomb,
            "external": external,
            "not xml": b"<soap:Envelope",
            "soap12": _receipt_body(tid).replace(
                SOAP.encode(), b"http://www.w3.org/2003/05/soap-envelope"
            ),
            "bad status": _receipt_body(tid, status="GODKENDT"),
            "not a uuid": _receipt_body("ikke-et-uuid"),
            "too big": _receipt_body(tid).replace(
                b"<v2:Kvitteringstype>", b" " * 300_000 + b"<v2:Kvitteringstype>"
            ),
        }
        async with _client(w, sp.cert, sp.key) as c:
            for name, payload in cases.items():
                resp = await c.post(w.callback_url, content=payload)
                assert resp.status_code == 500, name
                assert b"TransportKvittering" in resp.content and b"FEJL" in resp.content, name
                assert b"root:" not in resp.content
            assert w.store.calls == 0
            # a technical MODTAGET on the same endpoint: acknowledged, not applied
            resp = await c.post(w.callback_url, content=_receipt_body(tid, "MODTAGET", "Teknisk"))
            assert resp.status_code == 200 and w.store.calls == 0
        assert w.stats.technical == 1 and w.stats.refused == len(cases)

    run(tmp_path, body)


def test_a_receipt_more_than_40_days_after_the_request_is_refused(tmp_path):
    async def body(w: World) -> None:
        old, recent = str(uuid.uuid4()), str(uuid.uuid4())
        now = datetime.now(UTC)
        w.store.sent[old] = now - timedelta(days=40, minutes=1)
        w.store.sent[recent] = now - timedelta(days=39)
        sp = w.certs.serviceplatformen
        async with _client(w, sp.cert, sp.key) as c:
            resp = await c.post(w.callback_url, content=_receipt_body(old, "AFVIST"))
            assert resp.status_code == 500 and _fault_code(resp) == "FOR_GAMMEL"
            resp = await c.post(w.callback_url, content=_receipt_body(recent, "AFVIST"))
            assert resp.status_code == 200
        assert [r.anvender_transaktions_id for r in w.store.applied] == [recent]
        assert w.store.applied[0].sent_at == w.store.sent[recent]

    run(tmp_path, body)


def test_receipt_age_rule():
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert not receipt_too_old(None, now)
    assert not receipt_too_old(now - timedelta(days=40), now)
    assert receipt_too_old(now - timedelta(days=40, seconds=1), now)
    r = BusinessReceipt("a", "AFVIST", "CPR 0101010101 nævnt", None)
    assert "0101010101" not in repr(r)


@pytest.mark.parametrize("status", ["ACCEPTERET", "AFVIST", "FEJLET"])
def test_sandbox_receipt_envelope_is_schema_valid(status, tmp_path):
    async def body(w: World) -> None:
        w.sf2900.callback_url = None  # build, do not send
        (tid,) = await w.deliver()
        env = etree.fromstring(w.sf2900.receipt_envelope(tid, status, "grund", None))
        (req,) = env.find(f"{{{SOAP}}}Body")
        assert receipt_schema().validate(req), receipt_schema().error_log

    run(tmp_path, body)


def test_a_resent_part_gets_the_same_receipt_again_and_it_is_applied_once(tmp_path):
    """3.1.4.4: the same request again is answered with the same receipt again (DUPLIKAT
    synchronously, the business receipt once more): the gateway applies it once."""

    async def body(w: World) -> None:
        w.sf2900.faults.apply_json({"kind": "afvist", "count": 1, "reason": "Forkert sag"})
        decision_id = str(uuid.uuid4())
        async with Sf2900Delivery(w.settings()) as delivery:
            part = PartUpload(decision_id, 0, "brev.pdf", "application/pdf", content=b"%PDF-1")
            remote = delivery.remote_file(part, await delivery.upload(part))
            (doc,) = document_parts(
                Journalise(CASE.id),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=[remote],
                case=CASE,
            )
            w.store.sent[decision_id] = datetime.now(UTC)
            assert not (await delivery.send(doc)).duplicate
            await w.sf2900.wait_callbacks()
            again = await delivery.send(doc)  # e.g. after a crash before the answer was stored
            assert again.duplicate
            await w.sf2900.wait_callbacks()
        statuses = [c["status"] for c in w.sf2900.callbacks]
        assert statuses == ["AFVIST", "AFVIST"]  # the same receipt, twice
        assert [(r.status, r.reason) for r in w.store.applied] == [("AFVIST", "Forkert sag")]
        assert w.stats.applied == 1 and w.stats.duplicates == 1

    run(tmp_path, body)
