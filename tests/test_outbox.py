"""The outbox against the real SF2900 sandbox service, the sandbox DUBU directory and the real
gateway, all over loopback: the right DOKUMENT on the right case, journal notes, assignment,
forward, reject, duplicates after a crash, AFVIST surfaced and not retried, transient faults
retried until they clear."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Self

import httpx
import pytest

from app.core.outbox import OutboxWorker
from app.core.sync import sync_once
from app.core.worker import DbWorker
from app.decisions import Assign, Forward, Journalise, JournalNote, Reject
from app.dubu.dataset import DubuDataset
from app.dubu.directory import HttpDubuDirectory
from app.dubu.sf2900_client import Sf2900Client
from app.models.cache import Cache
from app.models.db import open_cache, raw_connect
from tests.conftest import CORPUS, MESSAGES
from tests.test_sync import CVR, SECRET, USER, push

LABELS = json.loads((CORPUS / "labels.json").read_text())
DATASET = DubuDataset.load(CORPUS / "dubu.json")
WITH_CASE = [u for u, v in sorted(LABELS.items()) if v["case_id"]][:12]
WITHOUT_CASE = [u for u, v in sorted(LABELS.items()) if not v["case_id"]][:4]


class World:
    """Gateway + SF2900 sandbox + DUBU directory on loopback, a synced cache and a worker."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    async def __aenter__(self) -> Self:
        from app.gateway.server import GatewayConfig, start_gateway
        from app.sandbox.dubu_service import DubuDirectoryService
        from app.sandbox.sf2900_service import Sf2900Service
        from app.sf1606.mailbox_client import MailboxClient

        self.gateway = await start_gateway(
            GatewayConfig(
                db_url=f"sqlite:///{self.tmp / 'gw.sqlite3'}",
                users={USER: SECRET},
                municipality_cvr=CVR,
            )
        )
        self.sf = Sf2900Service(data_dir=self.tmp / "sf2900", municipality_cvr=CVR)
        await self.sf.start()
        self.dubu = DubuDirectoryService(DATASET)
        await self.dubu.start()
        self.mailbox = MailboxClient(
            self.gateway.base_url, municipality_cvr=CVR, user=USER, secret=SECRET
        )
        self.db = open_cache(self.tmp / "cache.sqlite3")
        self.cache = Cache(self.db)
        self.worker = DbWorker()
        await push(
            self.gateway.postmodtag_url, [MESSAGES / f"{u}.xml" for u in WITH_CASE + WITHOUT_CASE]
        )
        res = await sync_once(self.mailbox, self.cache, worker=self.worker)
        assert res.new == len(WITH_CASE) + len(WITHOUT_CASE)
        self.sf2900 = Sf2900Client(self.sf.service_url, municipality_cvr=CVR, timeout=5)
        self.directory = HttpDubuDirectory(self.dubu.base_url)
        self.outbox = OutboxWorker(
            self.cache,
            self.sf2900,
            self.directory,
            self.mailbox,
            worker=self.worker,
            call_timeout=5,
            attempts_per_round=3,
            initial_backoff=0.01,
            max_backoff=0.05,
        )
        self.http = httpx.AsyncClient()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()
        for c in (self.sf2900, self.directory, self.mailbox):
            await c.close()
        await self.sf.stop()
        await self.dubu.stop()
        await self.gateway.stop()
        self.worker.close()
        self.db.engine.dispose()

    def item(self, message_uuid: str) -> int:
        return self.cache.item_id_for_uuid(message_uuid)

    async def received(self) -> list[dict]:
        return (await self.http.get(self.sf.received_url)).json()

    async def fault(self, rule: dict) -> None:
        r = await self.http.post(self.sf.faults_url, json=rule)
        assert r.status_code == 200, r.text


def test_journalise_assign_forward_reject_land_right(tmp_path):
    async def main() -> None:
        async with World(tmp_path) as w:
            u_j, u_a, u_f = WITH_CASE[0], WITH_CASE[1], WITHOUT_CASE[0]
            u_r = WITHOUT_CASE[1]
            case_a = await w.directory.case(LABELS[u_a]["case_id"])
            case_j = await w.directory.case(LABELS[u_j]["case_id"])
            cw = (await w.directory.caseworkers())[3]
            nexus = next(r for r in await w.sf2900.receivers("29.01.00") if "Nexus" in r.name)
            note = JournalNote(case_j.id, "Modtaget svar fra mor; ingen handling.")
            o_j = w.cache.enqueue(
                w.item(u_j), Journalise(case_j.id, case_j.number, note=note), USER
            )
            o_a = w.cache.enqueue(w.item(u_a), Assign(cw.id, cw.name, case_id=case_a.id), USER)
            o_f = w.cache.enqueue(w.item(u_f), Forward(nexus.system_uuid, kle="29.01.00"), USER)
            o_r = w.cache.enqueue(w.item(u_r), Reject("Hører til Jobcenteret"), USER)
            done = await w.outbox.run_once()
            assert done == 4
            rows = {r.id: r for r in w.cache.outbox_entries()}
            assert all(rows[o].status == "delivered" for o in (o_j, o_a, o_f, o_r))
            assert all(rows[o].gateway_recorded_at is not None for o in (o_j, o_a, o_f, o_r))

            rec = {r["transaction_id"]: r for r in await w.received()}
            assert len(rec) == 4  # 3 documents + 1 journal note; nothing for the rejection
            doc_j = rec[rows[o_j].transaction_id]
            msg_j = w.cache.message(w.item(u_j))
            assert doc_j["object_type"] == "DOKUMENT"
            assert doc_j["SagForslag"] == case_j.id
            assert doc_j["KLEEmneForslag"] == case_j.kle
            assert doc_j["Fremdrift"] == "Modtaget" and doc_j["BrugerRef"] is None
            assert doc_j["Retning"] == "Indgaaende" and doc_j["Titel"] == msg_j.label
            assert doc_j["DigitalPostMeddelelsesID"] == msg_j.message_uuid
            assert [f["sha256"] for f in doc_j["files"]] == [f.sha256 for f in msg_j.files]
            assert [f["name"] for f in doc_j["files"]] == [f.safe_filename for f in msg_j.files]
            notes = [r for r in rec.values() if r["object_type"] == "JOURNALPOST"]
            assert len(notes) == 1 and notes[0]["SagForslag"] == case_j.id
            assert "ingen handling" in json.dumps(notes[0]["journal_note"], ensure_ascii=False)

            doc_a = rec[rows[o_a].transaction_id]
            assert doc_a["Fremdrift"] == "Fordelt" and doc_a["BrugerRef"] == cw.id
            assert doc_a["SagForslag"] == case_a.id and doc_a["KLEEmneForslag"] == case_a.kle

            doc_f = rec[rows[o_f].transaction_id]
            assert (
                doc_f["RoutingModtagerAktoer"] == nexus.system_uuid and doc_f["SagForslag"] is None
            )

            statuses = {u: w.cache.item(w.item(u))["status"] for u in (u_j, u_a, u_f, u_r)}
            assert statuses == {
                u_j: "journaliseret",
                u_a: "fordelt",
                u_f: "videresendt",
                u_r: "afvist",
            }
            # the gateway knows the outcomes
            gw = {
                u: await w.mailbox.fetch(w.cache.gateway_item_id(w.item(u)))
                for u in (u_j, u_a, u_r)
            }
            assert gw[u_j].outcome == "journaliseret" and gw[u_a].outcome == "fordelt"
            assert gw[u_r].outcome == "afvist"

    asyncio.run(main())


def test_crash_after_delivery_is_deduplicated(tmp_path):
    async def main() -> None:
        async with World(tmp_path) as w:
            u = WITH_CASE[2]
            oid = w.cache.enqueue(w.item(u), Journalise(LABELS[u]["case_id"]), USER)
            assert await w.outbox.run_once() == 1
            # simulate a crash between SF2900's answer and our commit: back to "sending"
            with raw_connect(w.db.path) as con:
                con.execute(
                    "UPDATE outbox SET status='sending', delivered_at=NULL WHERE id=?", (oid,)
                )
                con.execute("UPDATE items SET status='afventer' WHERE id=?", (w.item(u),))
            restarted = OutboxWorker(w.cache, w.sf2900, w.directory, w.mailbox, worker=w.worker)
            assert await restarted.run_once() == 1
            row = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert row.status == "delivered" and row.receipt["document"]["duplicate"] is True
            assert row.attempts == 2
            assert len(await w.received()) == 1  # applied exactly once at SF2900
            assert w.sf.duplicates >= 1
            assert w.cache.item(w.item(u))["status"] == "journaliseret"

    asyncio.run(main())


@pytest.mark.expect_log("postfordeler.outbox", r"rejected by the receiver: (AFVIST|FEJLET)$")
def test_afvist_is_surfaced_and_not_retried(tmp_path):
    async def main() -> None:
        async with World(tmp_path) as w:
            u = WITH_CASE[3]
            oid = w.cache.enqueue(w.item(u), Journalise(LABELS[u]["case_id"]), USER)
            await w.fault({"kind": "afvist", "count": 1, "reason": "Sagen er lukket i DUBU"})
            assert await w.outbox.run_once() == 1
            row = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert row.status == "rejected" and row.last_error == "Sagen er lukket i DUBU"
            item = w.cache.item(w.item(u))
            assert item["status"] == "fejlet" and item["status_note"] == "Sagen er lukket i DUBU"
            calls = dict(w.sf.calls)
            assert await w.outbox.run_once() == 0  # not retried
            assert w.sf.calls == calls
            assert row.gateway_recorded_at is None and w.cache.outbox_counts()["unrecorded"] == 0
            # the distributor can decide again; FEJLET is a rejection too
            oid2 = w.cache.enqueue(w.item(u), Journalise(LABELS[u]["case_id"]), USER)
            assert oid2 != oid
            await w.fault({"kind": "fejlet", "count": 1})
            await w.outbox.run_once()
            assert w.cache.outbox_entries(item_id=w.item(u))[-1].status == "rejected"

    asyncio.run(main())


def test_unknown_case_is_rejected_with_a_reason(tmp_path):
    async def main() -> None:
        async with World(tmp_path) as w:
            u = WITH_CASE[4]
            w.cache.enqueue(w.item(u), Journalise("00000000-0000-4000-8000-000000000000"), USER)
            await w.outbox.run_once()
            item = w.cache.item(w.item(u))
            assert item["status"] == "fejlet" and "findes ikke" in item["status_note"]
            assert await w.received() == []

    asyncio.run(main())


@pytest.mark.parametrize("kind", ["http500", "soap_fault", "transport_fejl", "drop"])
def test_transient_faults_are_retried_until_they_clear(tmp_path, kind):
    async def main() -> None:
        async with World(tmp_path) as w:
            u = WITH_CASE[5]
            w.cache.enqueue(w.item(u), Journalise(LABELS[u]["case_id"]), USER)
            # two failures: absorbed by the round's own retries
            await w.fault({"kind": kind, "count": 2})
            assert await w.outbox.run_once() == 1
            assert len(await w.received()) == 1
            # persistent failure: the round gives up, the entry waits with the error, same id
            u2 = WITH_CASE[6]
            oid = w.cache.enqueue(w.item(u2), Journalise(LABELS[u2]["case_id"]), USER)
            await w.fault({"kind": kind})
            assert await w.outbox.run_once() == 0
            row = w.cache.outbox_entries(item_id=w.item(u2))[0]
            assert row.status == "pending" and row.last_error and row.next_attempt_at is not None
            assert w.cache.item(w.item(u2))["status"] == "afventer"
            await w.fault({"clear": True})
            with raw_connect(w.db.path) as con:
                con.execute("UPDATE outbox SET next_attempt_at=NULL WHERE id=?", (oid,))
            assert await w.outbox.run_once() == 1
            again = w.cache.outbox_entries(item_id=w.item(u2))[0]
            assert again.status == "delivered" and again.transaction_id == row.transaction_id
            assert len(await w.received()) == 2

    asyncio.run(main())


def test_dubu_directory_down_is_transient(tmp_path):
    async def main() -> None:
        async with World(tmp_path) as w:
            u = WITH_CASE[7]
            w.cache.enqueue(
                w.item(u),
                Assign("c999adf3-136d-4618-9835-957f9068565d", case_id=LABELS[u]["case_id"]),
                USER,
            )
            await w.http.post(f"{w.dubu.base_url}/faults", json={"kind": "http500"})
            assert await w.outbox.run_once() == 0
            assert w.cache.outbox_entries()[0].status == "pending"
            await w.http.post(f"{w.dubu.base_url}/faults", json={"clear": True})
            with raw_connect(w.db.path) as con:
                con.execute("UPDATE outbox SET next_attempt_at=NULL")
            assert await w.outbox.run_once() == 1
            assert w.cache.item(w.item(u))["status"] == "fordelt"

    asyncio.run(main())


def test_a_journal_note_alone_lands_as_a_journalpost(tmp_path):
    async def main() -> None:
        async with World(tmp_path) as w:
            u = WITH_CASE[8]
            case = await w.directory.case(LABELS[u]["case_id"])
            oid = w.cache.enqueue(
                w.item(u), JournalNote(case.id, "Far ringede; brevet er læst.", "Telefon"), USER
            )
            assert w.cache.item(w.item(u))["decided_case_id"] == case.id
            assert await w.outbox.run_once() == 1
            row = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert row.status == "delivered" and row.gateway_recorded_at is not None
            assert row.receipt["journal_note"]["ok"] is True
            rec = await w.received()
            assert [r["object_type"] for r in rec] == ["JOURNALPOST"]
            assert rec[0]["transaction_id"] == row.transaction_id
            assert rec[0]["SagForslag"] == case.id and rec[0]["KLEEmneForslag"] == case.kle
            assert rec[0]["journal_note"] == {
                "title": "Telefon",
                "text": "Far ringede; brevet er læst.",
            }
            assert w.cache.item(w.item(u))["status"] == "journaliseret"
            gw = await w.mailbox.fetch(w.cache.gateway_item_id(w.item(u)))
            assert gw.outcome == "journaliseret"
            assert oid == row.id

    asyncio.run(main())


def test_a_payload_stored_before_the_typed_decisions_is_delivered(tmp_path):
    """An outbox row written by an earlier version (payload dict without a version key, the
    journal note as flat note/note_title keys) is read and delivered as it was decided."""

    async def main() -> None:
        async with World(tmp_path) as w:
            u = WITH_CASE[9]
            case = await w.directory.case(LABELS[u]["case_id"])
            old = {
                "case_id": case.id,
                "case_number": case.number,
                "note": " Gammel note ",
                "note_title": "Notat",
            }
            with raw_connect(w.db.path) as con:
                con.execute(
                    "INSERT INTO outbox(transaction_id, item_id, action, payload, user, status, "
                    "attempts, created_at) VALUES (?, ?, 'journalise', ?, ?, 'pending', 0, "
                    "'2026-11-20 08:00:00')",
                    ("8e1c51a4-8a0c-4f5e-9d61-2b7f3a9c0d11", w.item(u), json.dumps(old), USER),
                )
                con.execute("UPDATE items SET status='afventer' WHERE id=?", (w.item(u),))
            row = w.cache.outbox_entries(item_id=w.item(u))[0]
            assert row.decision == Journalise(
                case.id, case.number, note=JournalNote(case.id, "Gammel note", "Notat")
            )
            assert await w.outbox.run_once() == 1
            rec = {r["object_type"]: r for r in await w.received()}
            assert rec["DOKUMENT"]["transaction_id"] == "8e1c51a4-8a0c-4f5e-9d61-2b7f3a9c0d11"
            assert rec["DOKUMENT"]["SagForslag"] == case.id
            assert rec["JOURNALPOST"]["journal_note"] == {"title": "Notat", "text": "Gammel note"}
            assert w.cache.item(w.item(u))["status"] == "journaliseret"

    asyncio.run(main())
