"""The client outbox against the real sandbox (issue 9): the gateway over TLS with its own
outbox, SFTP, the SF2900 stand-in with its business-receipt callback, all in one in-process
sandbox thread. Each decision reaches the gateway once (`POST /decisions`, the entry's UUID as
`decision_id`), is delivered by the gateway to SF2900 with that id as AnvenderTransaktionsID,
and its delivery state comes back to the cache (the POST's answer, then the sync). Offline the
entry stays queued ("lokal") and is delivered later; a refusal is final with the gateway's
Danish reason; a retry after a crash is the same delivery."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.outbox import OutboxWorker, mailbox_claimer
from app.core.sync import ConnectionState, Syncer, sync_once
from app.core.worker import DbWorker
from app.decisions import Assign, Forward, Journalise, JournalNote, Reject
from app.models.cache import Cache
from app.models.db import open_cache, raw_connect
from app.resources import resource
from app.sandbox.runner import SandboxConfig, SandboxThread
from app.sf1606.gateway_client import GatewayClient, GatewayRefused
from app.sf1606.mailbox_client import MailboxClient
from app.sf1606.tls import trust_context
from tests.ui_fixtures import labels

SANDBOX_MESSAGES = resource("sandbox", "messages")
DUBU = json.loads(resource("sandbox", "dubu.json").read_text("utf-8"))
CASES = {c["id"]: c for c in DUBU["cases"]}
FINAL = ("accepteret", "afvist_af_dubu", "fejlet", "afsluttet")
NOT_FOUND = "Elementet findes ikke eller er ikke tilgængeligt"


def _pick(n_with_case: int, n_other: int) -> tuple[list[str], list[str]]:
    lab = labels()
    with_case = [u for u, v in sorted(lab.items()) if v["case_id"] in CASES][:n_with_case]
    other = [u for u, v in sorted(lab.items()) if not v["case_id"]][:n_other]
    return with_case, other


class World:
    """The sandbox (TLS gateway + SFTP + SF2900 + STS), a synced client cache, an outbox."""

    def __init__(self, tmp: Path, with_case: list[str], other: list[str]) -> None:
        self.tmp = tmp
        self.with_case, self.other = with_case, other
        folder = tmp / "messages"
        folder.mkdir()
        for u in with_case + other:
            shutil.copy(SANDBOX_MESSAGES / f"{u}.xml", folder / f"{u}.xml")
        self.sandbox = SandboxThread(
            SandboxConfig(messages_dir=folder, data_dir=tmp / "sandbox", store_in_keyring=False)
        )
        self.ep = self.sandbox.start()
        self.sandbox.wait_pushed(60)
        self.ca = self.ep["tls_ca"]
        self.verify = trust_context(self.ca)
        self.db = open_cache(tmp / "cache.sqlite3")
        self.cache = Cache(self.db)
        self.worker = DbWorker()
        self.user = self.ep["user"]

    def close(self) -> None:
        self.worker.close()
        self.db.engine.dispose()
        self.sandbox.stop()

    def gateway(self, url: str | None = None, **kw: Any) -> GatewayClient:
        kw.setdefault("ca_bundle", self.ca)
        return GatewayClient(
            url or self.ep["gateway"], user=self.user, secret=self.sandbox.secret, timeout=5, **kw
        )

    def outbox(self, gateway: GatewayClient, **kw: Any) -> OutboxWorker:
        kw.setdefault("attempts_per_round", 2)
        kw.setdefault("claim", mailbox_claimer(self.cache, self.worker, self.mailbox))
        return OutboxWorker(
            self.cache,
            gateway,
            worker=self.worker,
            call_timeout=5,
            initial_backoff=0.01,
            max_backoff=0.05,
            **kw,
        )

    def mailbox(self) -> MailboxClient:
        return MailboxClient(
            self.ep["gateway"],
            municipality_cvr=self.ep["municipality_cvr"],
            user=self.user,
            secret=self.sandbox.secret,
            ca_bundle=self.ca,
        )

    async def sync(self) -> None:
        mailbox = MailboxClient(
            self.ep["gateway"],
            municipality_cvr=self.ep["municipality_cvr"],
            user=self.user,
            secret=self.sandbox.secret,
            ca_bundle=self.ca,
        )
        try:
            await sync_once(mailbox, self.cache, worker=self.worker)
        finally:
            await mailbox.close()

    def item(self, message_uuid: str) -> int:
        item_id = self.cache.item_id_for_uuid(message_uuid)
        assert item_id is not None
        return item_id

    def received(self) -> list[dict[str, Any]]:
        return httpx.get(self.ep["sf2900_received"], verify=self.verify).json()

    def received_for(self, decision_id: str) -> list[dict[str, Any]]:
        """The SF2900 objects of one decision: part 0 carries the decision id, the others
        uuid5(decision id, "part-n") (DESIGN9); matched through the gateway's status."""
        return [
            r for r in self.received() if r["anvender_transaktions_id"] in _part_ids(decision_id)
        ]

    async def until(self, item_id: int, states: tuple[str, ...], timeout: float = 60) -> str:
        """Sync until the item's delivery state is one of `states`."""
        deadline = time.monotonic() + timeout
        while True:
            await self.sync()
            state = self.cache.delivery(item_id).state
            if state in states:
                return state
            assert time.monotonic() < deadline, f"state stayed {state}"
            await asyncio.sleep(0.3)


def _part_ids(decision_id: str, parts: int = 12) -> set[str]:
    import uuid

    return {decision_id} | {
        str(uuid.uuid5(uuid.UUID(decision_id), f"part-{n}")) for n in range(1, parts)
    }


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    with_case, other = _pick(6, 3)
    w = World(tmp_path, with_case, other)
    try:
        asyncio.run(w.sync())
        assert w.cache.item_count() == len(with_case) + len(other)
        yield w
    finally:
        w.close()


@pytest.mark.timeout(240)
def test_each_decision_reaches_the_gateway_once_and_comes_back_accepted(world):
    w = world
    u_j, u_a = w.with_case[0], w.with_case[1]
    u_f, u_r = w.other[0], w.other[1]
    case_j = CASES[labels()[u_j]["case_id"]]
    case_a = CASES[labels()[u_a]["case_id"]]

    async def main() -> None:
        gateway = w.gateway()
        outbox = w.outbox(gateway)
        try:
            claim = mailbox_claimer(w.cache, w.worker, w.mailbox)
            for u in (u_j, u_a, u_f, u_r):  # the distributor claims first, as the UI does
                assert await claim(w.item(u)) is True
            note = JournalNote(case_j["id"], "Modtaget svar fra mor; ingen handling.")
            o_j = w.cache.enqueue(w.item(u_j), Journalise(case_j["id"], note=note), w.user)
            o_a = w.cache.enqueue(w.item(u_a), Assign("cw-test", case_id=case_a["id"]), w.user)
            o_f = w.cache.enqueue(w.item(u_f), Forward(kle="29.01.00"), w.user)
            o_r = w.cache.enqueue(w.item(u_r), Reject("Hører til Jobcenteret"), w.user)
            for u in (u_j, u_a, u_f, u_r):
                assert w.cache.delivery(w.item(u)).state == "lokal"
            assert await outbox.run_once() == 4
            rows = {r.id: r for r in w.cache.outbox_entries()}
            assert {rows[o].status for o in (o_j, o_a, o_f, o_r)} == {"delivered"}
            # the gateway's answer is the state: it holds the three, the distributor's Afvis
            # ends there (afsluttet), never DUBU's "afvist_af_dubu"
            for u in (u_j, u_a, u_f):
                assert w.cache.delivery(w.item(u)).state in ("afventer", "sendt", "accepteret")
            assert w.cache.delivery(w.item(u_r)).state == "afsluttet"
            assert await outbox.run_once() == 0  # nothing is sent twice
            # the gateway's status agrees with the cache, per item and decision
            for u, o, kind in (
                (u_j, o_j, "journalise"),
                (u_a, o_a, "assign"),
                (u_r, o_r, "reject"),
            ):
                cached = w.cache.delivery(w.item(u)).state
                status = await gateway.status(u)
                assert (status.decision, status.decision_id) == (kind, rows[o].transaction_id)
                # the same state, or the gateway one step on: DUBU's receipt can arrive between
                # reading the cache and asking the gateway (the sync below brings it here)
                order = ("afventer", "sendt", "accepteret")
                assert status.state == cached or (
                    status.state in order
                    and cached in order
                    and order.index(status.state) > order.index(cached)
                ), (status.state, cached)
            # the sync carries the same states (a state change lists an item again)
            await w.sync()
            assert w.cache.delivery(w.item(u_r)).state == "afsluttet"
            assert w.cache.item(w.item(u_r))["status"] == "afvist"
        finally:
            await gateway.close()

    asyncio.run(main())


def _gateway_delivers(w: World) -> bool:
    """Whether the sandbox's gateway runs its SF2900 delivery worker (app/gateway/delivery.py,
    started when the sandbox configures SF2900 for the gateway)."""
    running = w.sandbox.running
    return running is not None and getattr(running.gateway, "delivery", None) is not None


@pytest.mark.timeout(240)
def test_the_gateway_delivers_and_the_sync_brings_accepteret(world):
    w = world
    if not _gateway_delivers(w):
        pytest.skip("the sandbox's gateway does not deliver to SF2900 yet (sandbox wiring)")
    u_j, u_a = w.with_case[0], w.with_case[1]
    u_r = w.other[1]
    case_j = CASES[labels()[u_j]["case_id"]]
    case_a = CASES[labels()[u_a]["case_id"]]

    async def main() -> None:
        gateway = w.gateway()
        outbox = w.outbox(gateway)
        try:
            claim = mailbox_claimer(w.cache, w.worker, w.mailbox)
            for u in (u_j, u_a, u_r):  # the distributor claims first, as the UI does
                assert await claim(w.item(u)) is True
            note = JournalNote(case_j["id"], "Modtaget svar fra mor; ingen handling.")
            o_j = w.cache.enqueue(w.item(u_j), Journalise(case_j["id"], note=note), w.user)
            o_a = w.cache.enqueue(w.item(u_a), Assign("cw-test", case_id=case_a["id"]), w.user)
            o_r = w.cache.enqueue(w.item(u_r), Reject("Hører til Jobcenteret"), w.user)
            assert await outbox.run_once() == 3
            rows = {r.id: r for r in w.cache.outbox_entries()}
            for u in (u_j, u_a):
                assert await w.until(w.item(u), FINAL) == "accepteret"
            did_j = rows[o_j].transaction_id
            objs = w.received_for(did_j)
            docs = [o for o in objs if o["type"] == "DOKUMENT"]
            files = w.cache.facts(w.item(u_j)).files
            assert len(docs) == len(files)  # one DOKUMENT per file
            assert {d["sftp_file_sha256"] for d in docs} == {f.sha256 for f in files}
            assert {d["sag_forslag"] for d in docs} == {case_j["id"]}
            assert not any(o["sent_digitalpost_meddelelses_id"] for o in objs)
            notes = [o for o in objs if o["type"] == "JOURNALPOST"]
            assert len(notes) == 1 and notes[0]["notat_is_base64"] is True
            assert w.received_for(rows[o_a].transaction_id)
            assert w.received_for(rows[o_r].transaction_id) == []  # Afvis: nothing to SF2900
            status = await gateway.status(u_j)
            assert (status.state, status.decision, status.decision_id) == (
                "accepteret",
                "journalise",
                did_j,
            )
        finally:
            await gateway.close()

    asyncio.run(main())


@pytest.mark.timeout(240)
def test_a_retry_after_a_crash_is_the_same_delivery(world):
    """The POST reached the gateway but the client died before storing the answer: the entry
    is retried with the same decision id, the gateway answers the same, SF2900 gets it once."""
    w = world
    u = w.with_case[2]
    case = CASES[labels()[u]["case_id"]]

    async def main() -> None:
        gateway = w.gateway()
        outbox = w.outbox(gateway)
        try:
            oid = w.cache.enqueue(w.item(u), Journalise(case["id"]), w.user)
            assert await outbox.run_once() == 1
            did = w.cache.outbox_entries(item_id=w.item(u))[0].transaction_id
            conn = raw_connect(w.db.path)  # as if the answer was never stored
            conn.execute("UPDATE outbox SET status='sending' WHERE id=?", (oid,))
            conn.execute("UPDATE items SET delivery_state='lokal' WHERE id=?", (w.item(u),))
            conn.commit()
            conn.close()
            again = w.outbox(gateway)  # a new process: recovers "sending", sends again
            assert await again.run_once() == 1
            row = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert row.status == "delivered" and row.transaction_id == did
            assert w.cache.delivery(w.item(u)).state != "lokal"
            status = await gateway.status(u)
            assert status.decision_id == did  # one decision at the gateway, not two
            if _gateway_delivers(w):
                assert await w.until(w.item(u), FINAL) == "accepteret"
                parts = w.received_for(did)
                assert len(parts) == len(w.cache.facts(w.item(u)).files)  # once, not twice
        finally:
            await gateway.close()

    asyncio.run(main())


@pytest.mark.timeout(240)
@pytest.mark.expect_log("postfordeler.outbox", "refused the login")
def test_offline_the_decision_stays_lokal_and_is_delivered_later(world):
    w = world
    u = w.with_case[3]
    case = CASES[labels()[u]["case_id"]]

    async def main() -> None:
        dead = w.gateway("https://127.0.0.1:9")  # nothing listens there
        statuses = []
        offline = w.outbox(dead, on_status=statuses.append, offline_after=2)
        untrusted = w.gateway(ca_bundle=None)  # the sandbox CA is not in the system store
        unverified = w.outbox(untrusted)
        gateway = w.gateway()
        try:
            oid = w.cache.enqueue(w.item(u), Journalise(case["id"]), w.user)
            assert await offline.run_once() == 0
            row = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert row.status == "pending" and row.attempts == 1 and row.last_error
            assert w.cache.delivery(w.item(u)).state == "lokal"
            assert statuses and statuses[-1].state == ConnectionState.OFFLINE
            assert "udbakken" in statuses[-1].message
            # a refused login (a changed password) is no verdict on the decision: kept queued
            wrong = GatewayClient(
                w.ep["gateway"], user=w.user, secret="xq-wrong-7", ca_bundle=w.ca, timeout=5
            )
            try:
                assert await w.outbox(wrong).deliver(oid) is False
            finally:
                await wrong.close()
            row = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert row.status == "pending" and "adgangskode" in (row.last_error or "")
            assert "xq-wrong-7" not in (row.last_error or "")  # the secret is never kept
            # a gateway whose certificate does not verify is no delivery either
            assert await unverified.deliver(oid) is False
            row = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert row.status == "pending" and "certifikat" in (row.last_error or "")
            # back online: the same entry, the same id, delivered
            assert await w.outbox(gateway).deliver(oid) is True
            after = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert after.status == "delivered" and after.transaction_id == row.transaction_id
            assert w.cache.delivery(w.item(u)).state in ("afventer", "sendt", "accepteret")
        finally:
            for c in (dead, untrusted, gateway):
                await c.close()

    asyncio.run(main())


@pytest.mark.timeout(240)
@pytest.mark.expect_log("postfordeler.outbox", "refused by the gateway")
def test_refusals_are_final_with_the_gateways_reason(world, tmp_path):
    """A second PC decides differently on an item the first already decided: the gateway says
    ALLEREDE_BEHANDLET; the entry is refused with the Danish reason, not retried, and the
    item shows the gateway's real state. An item the gateway does not know: UKENDT."""
    w = world
    u = w.with_case[4]
    case = CASES[labels()[u]["case_id"]]

    async def main() -> None:
        gateway = w.gateway()
        try:
            # PC 1 (another cache) journalises first
            db2 = open_cache(tmp_path / "pc2.sqlite3")
            cache2 = Cache(db2)
            mailbox = MailboxClient(
                w.ep["gateway"],
                municipality_cvr=w.ep["municipality_cvr"],
                user=w.user,
                secret=w.sandbox.secret,
                ca_bundle=w.ca,
            )
            worker2 = DbWorker()
            try:
                await sync_once(mailbox, cache2, worker=worker2)
                cache2.enqueue(cache2.item_id_for_uuid(u), Journalise(case["id"]), w.user)
                pc1 = OutboxWorker(
                    cache2,
                    gateway,
                    worker=worker2,
                    call_timeout=5,
                    claim=mailbox_claimer(cache2, worker2, w.mailbox),
                )
                assert await pc1.run_once() == 1
            finally:
                await mailbox.close()
                worker2.close()
                db2.engine.dispose()
            # this PC's sync sees the colleague's decision: a state change of a cached item,
            # reported although nothing new arrived (the UI refreshes its rows on it)
            results = []
            mailbox = MailboxClient(
                w.ep["gateway"],
                municipality_cvr=w.ep["municipality_cvr"],
                user=w.user,
                secret=w.sandbox.secret,
                ca_bundle=w.ca,
            )
            try:
                syncer = Syncer(mailbox, w.cache, w.worker, on_result=results.append)
                res = await syncer.sync_now()
            finally:
                await mailbox.close()
            assert (res.new, res.changed) == (0, 1) and results == [res]
            assert w.cache.delivery(w.item(u)).decision_id is not None
            assert w.cache.item(w.item(u))["status"] == "journaliseret"
            # this PC forwards the same item anyway (a race): refused
            outbox = w.outbox(gateway)
            oid = w.cache.enqueue(w.item(u), Forward(kle="29.01.00"), w.user)
            assert await outbox.run_once() == 1
            row = w.cache.outbox_entries(item_id=w.item(u))[-1]
            assert row.id == oid and row.status == "rejected"
            assert row.last_error and "\n" not in row.last_error
            d = w.cache.delivery(w.item(u))
            assert d.state in ("afventer", "sendt", "accepteret")  # the colleague's decision
            assert w.cache.item(w.item(u))["status_note"] == row.last_error
            assert await outbox.run_once() == 0  # never retried
            # an item the gateway does not know (or may not show): the one neutral line
            with pytest.raises(GatewayRefused) as exc:
                await gateway.status("00000000-0000-4000-8000-000000000000")
            assert exc.value.status == 404 and exc.value.message == NOT_FOUND
        finally:
            await gateway.close()

    asyncio.run(main())
