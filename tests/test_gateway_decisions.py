"""Decisions held and delivered by the gateway (issue 9): the store's state machine and its
idempotency on SQLite and the real PostgreSQL of tests/pg_server.py, the gateway outbox's
claims and leases, business receipts, the follow-up flag, and the client-facing JSON routes
(`POST /decisions`, `GET /items/{uuid}/status`) and the mailbox list's delivery fields, over
real TLS with the sandbox's test CA."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from app.gateway.server import GatewayConfig, GatewayTls, RunningGateway, start_gateway
from app.gateway.soap import WSU_NS
from app.gateway.store import (
    GatewayStore,
    LeaseLost,
    PartPlan,
    ReceiptOutcome,
    StoreError,
    part_transaction_id,
    utcnow,
)
from app.sandbox.certs import SandboxCertificates
from app.sf1606.fresh_auth import FreshBasicAuth, created_now, new_nonce
from tests.conftest import REPO
from tests.test_gateway import SMALL_FILES, db_urls, make_db_url, with_new_uuid

CVR = "29189846"
EVA, EVA_SECRET = "eva", "eva-hemmelig"
BO, BO_SECRET = "bo", "bo-hemmelig"
CASE = "1d9b6b0e-6f3e-4c39-9a4a-0f3c2b1a9e11"
NOTE_TEXT = "Fortroligt notat om borgeren 0101011234"


@dataclass(frozen=True)
class Receipt:
    """The fields of app.gateway.receipts.BusinessReceipt the store reads."""

    anvender_transaktions_id: str
    status: str
    reason: str | None = None
    distribution_transaktions_id: str | None = None
    sent_at: datetime | None = None


def insert(store: GatewayStore, n: int = 1) -> list[str]:
    uuids = []
    for i in range(n):
        data, message_uuid = with_new_uuid(SMALL_FILES[i % len(SMALL_FILES)].read_bytes())
        store.insert_message(
            message_uuid=message_uuid,
            memo=data,
            kind="nyhenvendelse",
            memo_version="1.2",
            contact_point_id=f"kp-{i}",
            received_at=utcnow(),
        )
        uuids.append(message_uuid)
    return uuids


def journalise(note: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"version": 1, "case_id": CASE, "case_number": "27.24.00-G01-1-26"}
    if note:
        payload["note"] = note
    return payload


def by_uuid(store: GatewayStore, after: int = 0) -> dict[str, Any]:
    return {i.message_uuid: i for i in store.list_after(after, 500, with_memo=False).items}


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path):
    s = GatewayStore(make_db_url(request.param, tmp_path))
    yield s
    s.close()


stores = pytest.mark.parametrize("store", db_urls(), indirect=True)


# --------------------------------------------------------------------------- the store


@stores
def test_submit_is_idempotent_and_refuses_a_second_decision(store):
    m1, m2, m3 = insert(store, 3)
    cursor = store.list_after(0, 500).next_cursor
    d1 = str(uuid.uuid4())
    first = store.submit_decision(EVA, d1, m1, "journalise", journalise())
    assert (first.state, first.decision, first.decision_id) == ("afventer", "journalise", d1)
    again = store.submit_decision(EVA, d1, m1, "journalise", journalise())
    assert again == first
    assert [r["decision_id"] for r in store.outbox_rows()] == [d1]  # one delivery
    with pytest.raises(StoreError) as refused:
        store.submit_decision(BO, str(uuid.uuid4()), m1, "forward", {"kle": "27.24.00"})
    assert refused.value.code == "ALLEREDE_BEHANDLET"
    with pytest.raises(StoreError) as reused:
        store.submit_decision(EVA, d1, m2, "journalise", journalise())
    assert reused.value.code == "UGYLDIG"  # a decision id belongs to one item
    # the item's state change lists it again after the cursor the clients already have
    changed = by_uuid(store, cursor)
    assert list(changed) == [m1]
    item = changed[m1]
    assert (item.delivery_state, item.decision_kind, item.decision_id) == (
        "afventer",
        "journalise",
        d1,
    )
    assert item.change_seq > cursor and item.outcome == "journaliseret"
    assert by_uuid(store)[m2].delivery_state == "ny"
    # the distributor's Afvis ends at the gateway: afsluttet, nothing to deliver
    reject = store.submit_decision(BO, str(uuid.uuid4()), m2, "reject", {"reason": "Forkert"})
    assert reject.state == "afsluttet" and reject.decision == "reject"
    assert len(store.outbox_rows()) == 1
    assert store.fetch(by_uuid(store)[m2].item_id, with_memo=False).outcome == "afvist"
    assert store.outcome_history(by_uuid(store)[m2].item_id)[0]["note"] == "Forkert"
    # another user's live claim
    item3 = by_uuid(store)[m3].item_id
    store.claim(item3, BO, 300)
    with pytest.raises(StoreError) as busy:
        store.submit_decision(EVA, str(uuid.uuid4()), m3, "journalise", journalise())
    assert busy.value.code == "OPTAGET"
    # invalid decisions and unknown / invisible items
    for action, payload in (("journalise", {}), ("slet", {}), ("reject", {"reason": " "})):
        with pytest.raises(StoreError) as bad:
            store.submit_decision(EVA, str(uuid.uuid4()), m3, action, payload)
        assert bad.value.code == "UGYLDIG"
    for target, can_see in ((str(uuid.uuid4()), None), (m3, lambda _cp: False)):
        with pytest.raises(StoreError) as unknown:
            store.submit_decision(
                BO, str(uuid.uuid4()), target, "journalise", journalise(), can_see=can_see
            )
        assert unknown.value.code == "UKENDT"
        with pytest.raises(StoreError) as hidden:
            store.decision_status(target, BO, can_see=can_see)
        assert hidden.value.text == unknown.value.text
    status = store.decision_status(m3, BO)
    assert (status.state, status.decision, status.decision_id) == ("ny", None, None)
    # the claim holder may decide; the claim is released
    mine = store.submit_decision(BO, str(uuid.uuid4()), m3, "assign", {"caseworker_id": "cw-1"})
    assert mine.state == "afventer" and store.claims() == []


@stores
def test_delivery_steps_receipts_follow_up_and_dubu_rejection(store):
    m1, m2 = insert(store, 2)
    d1 = str(uuid.uuid4())
    store.submit_decision(EVA, d1, m1, "journalise", journalise(NOTE_TEXT))
    job = store.claim_delivery("node-a", 60)
    assert job is not None and job.decision_id == d1 and job.parts == ()
    assert store.claim_delivery("node-b", 60) is None  # leased: never taken twice
    plan = [PartPlan("DOKUMENT", 0), PartPlan("DOKUMENT", 1), PartPlan("JOURNALPOST")]
    parts = store.save_plan(d1, "node-a", {"case": CASE}, plan)
    ids = [p.anvender_transaktions_id for p in parts]
    assert ids[0] == d1 and ids[1] == part_transaction_id(d1, 1) != ids[2]
    assert ids[1] == str(uuid.uuid5(uuid.UUID(d1), "part-1"))
    # a second plan (a retry after a crash) keeps the stored one
    assert store.save_plan(d1, "node-a", {}, plan[:1]) == parts
    store.mark_uploaded(d1, 0, "node-a", remote_name="X_SAGSDOKUMENT_1.PDF", sha256="ab", size=3)
    assert store.mark_sent(d1, 0, "node-a", distribution_transaktions_id="dt-0") == "afventer"
    # a business receipt may overtake the worker's own "sent" step: it is kept
    accepted = Receipt(ids[1], "ACCEPTERET", distribution_transaktions_id="dt-1")
    assert store.apply_business_receipt(accepted) is ReceiptOutcome.APPLIED
    assert store.mark_sent(d1, 1, "node-a", distribution_transaktions_id="dt-1") == "afventer"
    assert store.mark_sent(d1, 2, "node-a", distribution_transaktions_id="dt-2") == "sendt"
    store.finish_delivery(d1, "node-a")
    assert store.outbox_rows() == []
    steps = [(p.step, p.distribution_transaktions_id) for p in store.delivery_parts(d1)]
    assert steps == [("sent", "dt-0"), ("accepteret", "dt-1"), ("sent", "dt-2")]
    assert store.decision(d1)["sent_at"] is not None
    # no business receipt in time: flagged once, and clients see the flag
    cursor = store.list_after(0, 500).next_cursor
    assert store.flag_overdue(utcnow() + timedelta(hours=1), timedelta(hours=48)) == 0
    assert store.flag_overdue(utcnow() + timedelta(hours=49), timedelta(hours=48)) == 1
    assert store.flag_overdue(utcnow() + timedelta(hours=50), timedelta(hours=48)) == 0
    assert store.decision_status(m1).follow_up is True
    assert by_uuid(store, cursor)[m1].follow_up is True
    for tid in (ids[0], ids[2]):
        assert store.apply_business_receipt(Receipt(tid, "ACCEPTERET")) is ReceiptOutcome.APPLIED
    final = store.decision_status(m1)
    assert (final.state, final.follow_up) == ("accepteret", False)
    assert store.apply_business_receipt(Receipt(ids[0], "ACCEPTERET")) is ReceiptOutcome.DUPLICATE
    unknown = Receipt(str(uuid.uuid4()), "ACCEPTERET")
    assert store.apply_business_receipt(unknown) is ReceiptOutcome.UNKNOWN
    # DUBU refuses (AFVIST): the reason is kept and the item is back in the queue
    d2 = str(uuid.uuid4())
    store.submit_decision(EVA, d2, m2, "journalise", journalise())
    job = store.claim_delivery("node-a", 60)
    assert job is not None and job.decision_id == d2
    store.save_plan(d2, "node-a", {}, [PartPlan("DOKUMENT", 0)])
    store.mark_sent(d2, 0, "node-a", distribution_transaktions_id=None)
    store.finish_delivery(d2, "node-a")
    refusal = Receipt(d2, "AFVIST", reason="Sagen er lukket")
    assert store.apply_business_receipt(refusal) is ReceiptOutcome.APPLIED
    assert store.apply_business_receipt(refusal) is ReceiptOutcome.DUPLICATE
    status = store.decision_status(m2)
    assert (status.state, status.reason) == ("afvist_af_dubu", "Sagen er lukket")
    item = by_uuid(store)[m2]
    assert (item.status, item.outcome, item.delivery_state) == ("ny", None, "afvist_af_dubu")
    assert item.delivery_reason == "Sagen er lukket"
    history = [h["outcome"] for h in store.outcome_history(item.item_id)]
    assert history == ["journaliseret", "afvist_af_dubu"]
    # ... so a new decision is allowed
    d3 = str(uuid.uuid4())
    assert store.submit_decision(BO, d3, m2, "journalise", journalise()).state == "afventer"
    assert store.decision_status(m2).decision_id == d3


@stores
def test_leases_expire_and_permanent_and_transient_failures(store):
    m1, m2 = insert(store, 2)
    d1, d2 = str(uuid.uuid4()), str(uuid.uuid4())
    store.submit_decision(EVA, d1, m1, "journalise", journalise())
    store.submit_decision(EVA, d2, m2, "forward", {"kle": "27.24.00"})
    a = store.claim_delivery("node-a", 30)
    b = store.claim_delivery("node-b", 30)
    assert a is not None and b is not None and {a.decision_id, b.decision_id} == {d1, d2}
    assert store.claim_delivery("node-c", 30) is None
    # node-a dies: after its lease another node takes the row; node-a's steps are refused
    later = utcnow() + timedelta(seconds=31)
    c = store.claim_delivery("node-c", 30, now=later)
    assert c is not None and c.decision_id == a.decision_id and c.attempts == 2
    with pytest.raises(LeaseLost):
        store.save_plan(a.decision_id, "node-a", {}, [PartPlan("DOKUMENT", 0)])
    with pytest.raises(LeaseLost):
        store.renew_lease(a.decision_id, "node-a", 30)
    # a node working long renews its lease: nobody takes the row meanwhile
    store.renew_lease(b.decision_id, "node-b", 300)
    assert store.claim_delivery("node-d", 30, now=later) is None
    # transient trouble: back to the outbox later; permanent: fejlet, item back in the queue
    store.defer_delivery(c.decision_id, "node-c", "SFTP nede", 3600)
    assert store.claim_delivery("node-c", 30) is None  # deferred; b still holds its lease
    store.fail_delivery(b.decision_id, "node-b", "Sagen findes ikke i DUBU")
    failed = store.decision(b.decision_id)
    assert (failed["state"], failed["reason"]) == ("fejlet", "Sagen findes ikke i DUBU")
    assert [r["decision_id"] for r in store.outbox_rows()] == [c.decision_id]
    assert store.outbox_rows()[0]["last_error"] == "SFTP nede"


def test_schema_upgrade_from_version_1_keeps_cursors(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store = GatewayStore(url)
    uuids = insert(store, 3)
    with store.engine.begin() as conn:  # make it a version-1 database
        conn.exec_driver_sql("DROP TABLE gw_item_state")
        conn.exec_driver_sql("DELETE FROM gw_schema_version")
        conn.exec_driver_sql("INSERT INTO gw_schema_version VALUES (1, '2026-01-01 00:00:00')")
    store.close()
    store = GatewayStore(url)
    items = store.list_after(0, 10, with_memo=False).items
    assert [i.message_uuid for i in items] == uuids
    assert [i.change_seq for i in items] == [i.item_id for i in items]
    assert store.list_after(0, 10).next_cursor == items[-1].item_id
    store.close()


# --------------------------------------------------------------------------- routes over TLS


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> SandboxCertificates:
    return SandboxCertificates.ensure(tmp_path_factory.mktemp("pki") / "tls", municipality_cvr=CVR)


def tls_gateway(tmp_path: Path, certs: SandboxCertificates, **kw: Any) -> GatewayConfig:
    return GatewayConfig(
        db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}",
        municipality_cvr=CVR,
        users={EVA: EVA_SECRET, BO: BO_SECRET},
        tls=GatewayTls(
            cert_file=certs.server.cert,
            key_file=certs.server.key,
            client_ca=certs.ca,
            pins=(certs.postkomponent.pin,),
        ),
        **kw,
    )


def run(config: GatewayConfig, body: Callable[[RunningGateway], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        gateway = await start_gateway(config)
        try:
            return await body(gateway)
        finally:
            await gateway.stop()

    return asyncio.run(main())


def client(certs: SandboxCertificates, user: str | None, secret: str = "") -> httpx.AsyncClient:
    auth = FreshBasicAuth(user, secret) if user else None
    ctx = ssl.create_default_context(cafile=str(certs.ca))
    return httpx.AsyncClient(verify=ctx, timeout=20, auth=auth)


def body(message_uuid: str, action: str, decision: dict[str, Any], decision_id: str = "") -> Any:
    return {
        "decision_id": decision_id or str(uuid.uuid4()),
        "message_uuid": message_uuid,
        "action": action,
        "decision": decision,
    }


def post_liste(after: int) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:mb="https://postfordeler.dk/xml/schemas/Mailbox/1/"
  xmlns:auth="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"
  xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
<soap:Header><wsse:Security><wsse:UsernameToken><wsse:Username>{EVA}</wsse:Username>
<wsse:Password>{EVA_SECRET}</wsse:Password><wsse:Nonce>{new_nonce()}</wsse:Nonce>
<wsu:Created xmlns:wsu="{WSU_NS}">{created_now()}</wsu:Created></wsse:UsernameToken></wsse:Security></soap:Header>
<soap:Body><mb:PostListeRequest><auth:AuthorityContext><auth:MunicipalityCVR>{CVR}</auth:MunicipalityCVR>
</auth:AuthorityContext><mb:EfterElementID>{after}</mb:EfterElementID><mb:MedIndhold>false</mb:MedIndhold>
</mb:PostListeRequest></soap:Body></soap:Envelope>""".encode()


def listed(xml: bytes) -> tuple[dict[str, dict[str, str]], int]:
    ns = {"mb": "https://postfordeler.dk/xml/schemas/Mailbox/1/"}
    root = etree.fromstring(xml)
    items = {}
    for el in root.iterfind(".//mb:PostElement", ns):
        fields = {etree.QName(child).localname: child.text or "" for child in el}
        items[fields["MeddelelseUUID"]] = fields
    return items, int(root.findtext(".//mb:NaesteElementID", namespaces=ns) or 0)


def test_decision_routes_over_tls(tmp_path, certs, caplog):
    caplog.set_level(logging.DEBUG)

    async def body_(gw: RunningGateway) -> None:
        m1, m2, m3, hidden = await asyncio.to_thread(insert, gw.store, 4)
        hidden_cp = (await asyncio.to_thread(gw.store.decision_status, hidden)).state
        assert hidden_cp == "ny"
        gw.set_can_see(lambda user, cp: not (user == BO and cp == "kp-3"))
        assert gw.decisions_url.startswith("https://")
        async with client(certs, EVA, EVA_SECRET) as eva, client(certs, BO, BO_SECRET) as bo:
            async with client(certs, None) as anonymous:
                resp = await anonymous.post(gw.decisions_url, json=body(m1, "reject", {}))
                assert resp.status_code == 401 and resp.json()["error"] == "AUTENTIFIKATION"
            async with client(certs, EVA, "forkert") as wrong:
                assert (await wrong.get(gw.status_url(m1))).status_code == 401
            resp = await eva.get(gw.status_url(m1))
            assert resp.status_code == 200
            assert resp.json() == {
                "state": "ny",
                "decision": None,
                "reason": None,
                "decision_id": None,
                "follow_up": False,
                "updated_at": None,
            }
            cursor = listed((await eva.post(gw.mailbox_url, content=post_liste(0))).content)[1]
            sent = body(m1, "journalise", journalise(NOTE_TEXT))
            resp = await eva.post(gw.decisions_url, json=sent)
            assert resp.status_code == 200
            assert resp.json() == {
                "decision_id": sent["decision_id"],
                "message_uuid": m1,
                "state": "afventer",
                "decision": "journalise",
                "reason": None,
            }
            again = await eva.post(gw.decisions_url, json=sent)
            assert (again.status_code, again.json()) == (200, resp.json())
            other = await bo.post(gw.decisions_url, json=body(m1, "reject", {"reason": "x"}))
            assert other.status_code == 409 and other.json()["error"] == "ALLEREDE_BEHANDLET"
            status = (await bo.get(gw.status_url(m1))).json()
            assert status["state"] == "afventer" and status["decision_id"] == sent["decision_id"]
            assert status["decision"] == "journalise" and status["updated_at"].endswith("Z")
            # the distributor's Afvis: afsluttet at once
            rej = await bo.post(gw.decisions_url, json=body(m2, "reject", {"reason": "Forkert"}))
            assert rej.status_code == 200 and rej.json()["state"] == "afsluttet"
            # the mailbox list shows both state changes after the cursor clients already have
            items, _ = listed((await eva.post(gw.mailbox_url, content=post_liste(cursor))).content)
            assert set(items) == {m1, m2}
            assert items[m1]["deliveryState"] == "afventer"
            assert items[m1]["decisionKind"] == "journalise"
            assert items[m1]["decisionId"] == sent["decision_id"]
            assert items[m1]["followUp"] == "false"
            assert items[m2]["deliveryState"] == "afsluttet"
            everything, _ = listed((await eva.post(gw.mailbox_url, content=post_liste(0))).content)
            assert everything[m3]["deliveryState"] == "ny" and "decisionId" not in everything[m3]
            # refusals: one Danish line each
            claim_id = (await asyncio.to_thread(gw.store.decision_status, m3)).state
            assert claim_id == "ny"
            item3 = everything[m3]["ElementID"]
            await asyncio.to_thread(gw.store.claim, int(item3), EVA, 300)
            busy = await bo.post(gw.decisions_url, json=body(m3, "journalise", journalise()))
            assert busy.status_code == 409 and busy.json()["error"] == "OPTAGET"
            bad = await eva.post(gw.decisions_url, json=body(m3, "journalise", {}))
            assert bad.status_code == 400 and bad.json()["error"] == "UGYLDIG"
            assert bad.json()["message"] == "Vælg en sag at journalisere på"
            for junk in (b"{", b"[]", json.dumps({"decision_id": "x"}).encode()):
                resp = await eva.post(gw.decisions_url, content=junk)
                assert resp.status_code == 400 and resp.json()["error"] == "UGYLDIG"
                assert "\n" not in resp.json()["message"]
            not_uuid = body(m3, "journalise", journalise(), decision_id="abc")
            assert (await eva.post(gw.decisions_url, json=not_uuid)).status_code == 400
            huge = body(m3, "reject", {"reason": "x" * (300 * 1024)})
            assert (await eva.post(gw.decisions_url, json=huge)).status_code == 413
            # unknown and invisible items: 404 with the same text (existence does not leak)
            answers = []
            for target in (str(uuid.uuid4()), hidden):
                resp = await bo.post(gw.decisions_url, json=body(target, "reject", {"reason": "x"}))
                answers.append((resp.status_code, resp.json()))
                resp = await bo.get(gw.status_url(target))
                answers.append((resp.status_code, resp.json()))
            assert all(a == answers[0] for a in answers)
            assert answers[0] == (
                404,
                {
                    "error": "UKENDT",
                    "message": "Elementet findes ikke eller er ikke tilgængeligt",
                },
            )
            assert (await bo.get(gw.status_url("ikke-et-uuid"))).status_code == 404
            assert (await eva.get(gw.status_url(hidden))).status_code == 200  # eva sees it

    run(tls_gateway(tmp_path, certs), body_)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert NOTE_TEXT not in logged and "0101011234" not in logged and "Forkert" not in logged
    assert base64.b64encode(b"eva-hemmelig").decode() not in logged


@pytest.mark.expect_log("postfordeler.gateway", "no business receipt")
def test_overdue_decisions_are_flagged_by_the_running_gateway(tmp_path, certs):
    async def body_(gw: RunningGateway) -> None:
        (m1,) = await asyncio.to_thread(insert, gw.store, 1)
        d1 = str(uuid.uuid4())
        await asyncio.to_thread(
            gw.store.submit_decision, EVA, d1, m1, "forward", {"kle": "27.24.00"}
        )
        job = await asyncio.to_thread(gw.store.claim_delivery, "n", 60)
        assert job is not None
        await asyncio.to_thread(gw.store.save_plan, d1, "n", {}, [PartPlan("DOKUMENT", 0)])
        await asyncio.to_thread(gw.store.mark_sent, d1, 0, "n", distribution_transaktions_id=None)
        async with client(certs, EVA, EVA_SECRET) as eva:
            for _ in range(100):
                status = (await eva.get(gw.status_url(m1))).json()
                if status["follow_up"]:
                    break
                await asyncio.sleep(0.05)
            assert status["state"] == "sendt" and status["follow_up"] is True

    run(
        tls_gateway(
            tmp_path,
            certs,
            receipt_follow_up=timedelta(milliseconds=100),
            overdue_check_seconds=0.05,
        ),
        body_,
    )


@pytest.mark.expect_log("postfordeler.gateway", "receipt callback refused")
def test_receipt_callback_is_mounted_and_pinned(tmp_path, certs):
    from aiohttp import web

    from app.gateway.server import RECEIPT_PATH, ApplyReceipt
    from app.sf1606.tls import pem_client_context

    folder = tmp_path / "sp"
    folder.mkdir()
    serviceplatformen = certs.issuer().issue_files(
        folder, "serviceplatformen", "Serviceplatformen SF2900 (sandkasse)", client=True
    )
    read_bodies: list[int] = []

    def routes(app: web.Application, apply: ApplyReceipt) -> None:
        async def handler(request: web.Request) -> web.Response:
            data = await request.json()
            read_bodies.append(1)
            outcome = await apply(Receipt(data["id"], data["status"], data.get("reason")))
            return web.json_response({"outcome": outcome.value})

        app.router.add_post(RECEIPT_PATH, handler)

    config = tls_gateway(tmp_path, certs, receipt_routes=routes)
    assert config.tls is not None
    config.tls = GatewayTls(
        config.tls.cert_file,
        config.tls.key_file,
        config.tls.client_ca,
        config.tls.pins,
        callback_pins=(serviceplatformen.pin,),
    )

    async def body_(gw: RunningGateway) -> None:
        (m1,) = await asyncio.to_thread(insert, gw.store, 1)
        d1 = str(uuid.uuid4())
        await asyncio.to_thread(
            gw.store.submit_decision, EVA, d1, m1, "forward", {"kle": "27.24.00"}
        )
        await asyncio.to_thread(gw.store.claim_delivery, "n", 60)
        await asyncio.to_thread(gw.store.save_plan, d1, "n", {}, [PartPlan("DOKUMENT", 0)])
        await asyncio.to_thread(gw.store.mark_sent, d1, 0, "n", distribution_transaktions_id=None)
        url = gw.base_url + RECEIPT_PATH
        receipt = {"id": d1, "status": "ACCEPTERET"}
        ctx = pem_client_context(serviceplatformen.cert, serviceplatformen.key, certs.ca)
        async with httpx.AsyncClient(verify=ctx, timeout=20) as sp:
            first = await sp.post(url, json=receipt)
            again = await sp.post(url, json=receipt)
        assert (first.status_code, first.json()) == (200, {"outcome": "applied"})
        assert again.json() == {"outcome": "duplicate"}
        assert (await asyncio.to_thread(gw.store.decision_status, m1)).state == "accepteret"
        # the Postkomponent's certificate (valid CA, pinned for EP_FS1 only) and no certificate
        pk = pem_client_context(certs.postkomponent.cert, certs.postkomponent.key, certs.ca)
        for verify in (pk, ssl.create_default_context(cafile=str(certs.ca))):
            async with httpx.AsyncClient(verify=verify, timeout=20) as other:
                resp = await other.post(url, json={"id": d1, "status": "AFVIST"})
            assert resp.status_code == 403
        assert len(read_bodies) == 2  # refused peers never reached the handler

    run(config, body_)


@stores
def test_concurrent_claims_take_each_delivery_once(store):
    """Several nodes (separate stores: separate connections and, on SQLite, no shared process
    lock) claim at once: every outbox row goes to exactly one of them."""
    from concurrent.futures import ThreadPoolExecutor

    uuids = insert(store, 12)
    decided = set()
    for m in uuids:
        d = str(uuid.uuid4())
        store.submit_decision(EVA, d, m, "forward", {"kle": "27.24.00"})
        decided.add(d)
    nodes = [GatewayStore(store.url) for _ in range(4)]
    try:

        def node(n: int) -> list[str]:
            got = []
            while (job := nodes[n].claim_delivery(f"node-{n}", 60)) is not None:
                got.append(job.decision_id)
            return got

        with ThreadPoolExecutor(4) as pool:
            taken = [d for got in pool.map(node, range(4)) for d in got]
    finally:
        for s in nodes:
            s.close()
    assert sorted(taken) == sorted(decided)


@stores
def test_the_same_decision_sent_concurrently_is_one_decision(store):
    """A client's retry racing its first attempt (or two nodes behind a load balancer): one
    decision, one outbox row, the same answer for all; a different decision loses with 409."""
    from concurrent.futures import ThreadPoolExecutor

    (m1,) = insert(store, 1)
    d1 = str(uuid.uuid4())
    nodes = [GatewayStore(store.url) for _ in range(4)]
    try:

        def submit(n: int) -> Any:
            try:
                if n % 4 == 3:
                    other = str(uuid.uuid4())
                    return nodes[n % 4].submit_decision(BO, other, m1, "reject", {"reason": "x"})
                return nodes[n % 4].submit_decision(EVA, d1, m1, "journalise", journalise())
            except StoreError as exc:
                return exc.code

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(submit, range(16)))
    finally:
        for s in nodes:
            s.close()
    wins = [a for a in answers if not isinstance(a, str)]
    if any(w.decision_id != d1 for w in wins):  # the reject came first: every other refused
        assert [w.decision for w in wins] == ["reject"]
        assert store.outbox_rows() == []
        return
    assert all(w == wins[0] for w in wins) and wins[0].state == "afventer"
    assert {a for a in answers if isinstance(a, str)} <= {"ALLEREDE_BEHANDLET"}
    assert [r["decision_id"] for r in store.outbox_rows()] == [d1]
    item = by_uuid(store)[m1]
    assert len(store.outcome_history(item.item_id)) == 1


def test_mailbox_client_reads_the_delivery_fields_strictly(tmp_path, certs):
    """The published WSDL/XSD carry the new fields: the real (strict zeep) mailbox client
    parses a listed item with a decision and lists a changed item again after its cursor."""
    from app.sf1606.mailbox_client import MailboxClient

    async def body_(gw: RunningGateway) -> None:
        m1, m2 = await asyncio.to_thread(insert, gw.store, 2)
        mailbox = MailboxClient(
            gw.base_url, municipality_cvr=CVR, user=EVA, secret=EVA_SECRET, ca_bundle=certs.ca
        )
        try:
            first = await mailbox.list_items(0)
            assert [i.message_uuid for i in first.items] == [m1, m2]
            d1 = str(uuid.uuid4())
            await asyncio.to_thread(
                gw.store.submit_decision, EVA, d1, m2, "reject", {"reason": "Forkert"}
            )
            again = await mailbox.list_items(first.next_cursor)
            assert [i.message_uuid for i in again.items] == [m2]
            assert again.items[0].outcome == "afvist"
            assert again.next_cursor > first.next_cursor
            assert (await mailbox.list_items(again.next_cursor)).items == ()
            # the response validates against the published XSD with the new fields
            async with client(certs, None) as http:
                resp = await http.post(gw.mailbox_url, content=post_liste(first.next_cursor))
            schema = etree.XMLSchema(
                etree.parse(str(REPO / "resources" / "mailbox" / "PostfordelerMailbox.xsd"))
            )
            envelope = etree.fromstring(resp.content)
            answer = envelope.find("{*}Body")[0]
            assert schema.validate(answer), schema.error_log
            items, _ = listed(resp.content)
            assert (items[m2]["deliveryState"], items[m2]["decisionId"]) == ("afsluttet", d1)
            assert items[m2]["followUp"] == "false" and "deliveryReason" not in items[m2]
            assert list(items[m2])[-1] == "followUp"  # before MeMo, after the claim fields
        finally:
            await mailbox.close()

    run(tls_gateway(tmp_path, certs), body_)


@stores
def test_caseworker_journalises_after_the_assignment_reached_dubu(store):
    (m1,) = insert(store, 1)
    d1 = str(uuid.uuid4())
    store.submit_decision(EVA, d1, m1, "assign", {"caseworker_id": "cw-1", "case_id": CASE})
    with pytest.raises(StoreError) as busy:  # still being delivered
        store.submit_decision(BO, str(uuid.uuid4()), m1, "journalise", journalise())
    assert busy.value.code == "ALLEREDE_BEHANDLET"
    assert store.claim_delivery("n", 60) is not None
    store.save_plan(d1, "n", {}, [PartPlan("DOKUMENT", 0)])
    store.mark_sent(d1, 0, "n", distribution_transaktions_id=None)
    store.finish_delivery(d1, "n")
    d2 = str(uuid.uuid4())
    status = store.submit_decision(BO, d2, m1, "journalise", journalise())
    assert (status.state, status.decision, status.decision_id) == ("afventer", "journalise", d2)
    item = by_uuid(store)[m1]
    assert (item.outcome, item.status) == ("journaliseret", "behandlet")
    with pytest.raises(StoreError):  # journalised: final
        store.submit_decision(EVA, str(uuid.uuid4()), m1, "reject", {"reason": "x"})
    # the assignment's late business receipt still lands on the assignment
    assert store.apply_business_receipt(Receipt(d1, "ACCEPTERET")) is ReceiptOutcome.APPLIED
    assert store.decision(d1)["state"] == "accepteret"
    assert store.decision_status(m1).decision_id == d2


def test_a_lost_answer_is_retried_as_the_same_decision(tmp_path, certs):
    """Sandbox faults on the decision routes: a 500, and a decision stored whose answer is
    lost (the connection drops); the client's retry with the same decision_id is the same
    decision, delivered once."""
    from app.gateway.faults import FaultPlan

    plan = FaultPlan(next={"http_500": 1, "drop_after_store": 1}, targets=("decisions",))

    async def body_(gw: RunningGateway) -> None:
        (m1,) = await asyncio.to_thread(insert, gw.store, 1)
        sent = body(m1, "journalise", journalise())
        async with client(certs, EVA, EVA_SECRET) as eva:
            assert (await eva.post(gw.decisions_url, json=sent)).status_code == 500
            with pytest.raises(httpx.TransportError):
                await eva.post(gw.decisions_url, json=sent)
            assert (await eva.get(gw.status_url(m1))).json()["state"] == "afventer"
            again = await eva.post(gw.decisions_url, json=sent)
        assert again.status_code == 200 and again.json()["decision_id"] == sent["decision_id"]
        rows = await asyncio.to_thread(gw.store.outbox_rows)
        assert [r["decision_id"] for r in rows] == [sent["decision_id"]]

    run(tls_gateway(tmp_path, certs, faults=plan), body_)
