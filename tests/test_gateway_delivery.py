"""The gateway's delivery worker end to end with real parts on loopback: decisions posted to the
running gateway (`POST /decisions`) are delivered by `app.gateway.delivery` through the real
asyncssh SFTP server (app/sandbox/sftp_server.py, key authentication, pinned host key) and the
sandbox SF2900 service (app/sandbox/sf2900_service.py) in the published form (h9b's
`Sf2900Delivery`, AuthorityContext on plain HTTP here; the sandbox runner's STS + mTLS path is in
tests/test_gateway_sandbox_delivery.py), with cases looked up in the sandbox DUBU directory over
HTTP. One published DOKUMENT per file, naming the uploaded file; a journal note as a
JOURNALPOST; AFVIST (by the business-receipt callback) / unknown case / SFTP down handled;
business receipts bring the decision to `accepteret`. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import asyncssh
import httpx
import pytest

from app.dubu.dataset import DubuDataset
from app.dubu.sf2900_client import part_title
from app.dubu.sftp_upload import SftpConfig
from app.gateway.delivery import DeliverySettings
from app.gateway.receipts import CALLBACK_PATH
from app.gateway.server import GatewayConfig, RunningGateway, start_gateway
from app.gateway.store import ReceiptOutcome, utcnow
from app.sandbox.dubu_service import DubuDirectoryService
from app.sandbox.faults import FaultPlan
from app.sandbox.sf2900_service import Sf2900Service
from app.sandbox.sftp_server import SandboxSftpServer, SftpServerConfig, write_private_key
from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.memo import read_memo
from tests.conftest import CORPUS, MESSAGES
from tests.test_gateway import db_urls, make_db_url

LABELS = json.loads((CORPUS / "labels.json").read_text())
DATASET = DubuDataset.load(CORPUS / "dubu.json")
CVR = DATASET.municipality.cvr
USER, SECRET = "eva", "eva-hemmelig"
SFTP_USER = "KY_SIMPELSFTP"


def _messages(min_files: int, count: int) -> list[str]:
    found = []
    for message_uuid, label in sorted(LABELS.items()):
        path = MESSAGES / f"{message_uuid}.xml"
        if not label["case_id"] or not path.exists() or path.stat().st_size > 200_000:
            continue
        if len(read_memo(path).files) >= min_files:
            found.append(message_uuid)
        if len(found) == count:
            break
    return found


TWO_FILES = _messages(2, 4)
ANY = _messages(1, 8)


@dataclass(frozen=True)
class Receipt:
    anvender_transaktions_id: str
    status: str
    reason: str | None = None
    distribution_transaktions_id: str | None = None
    sent_at: datetime | None = None


class World:
    """The gateway with its delivery worker, the SFTP server, SF2900 and DUBU on loopback."""

    def __init__(self, tmp: Path, db_url: str, *, callback: bool = False) -> None:
        """`callback`: SF2900 calls the gateway's FordelingskvitteringModtag back (the gateway
        serves it); otherwise the tests apply business receipts themselves."""
        self.tmp, self.db_url, self.callback = tmp, db_url, callback

    async def start_sftp(self, port: int = 0) -> None:
        self.sftp = SandboxSftpServer(
            SftpServerConfig(
                root=self.tmp / "sftp" / "root", users={SFTP_USER: [self.pub]}, port=port
            )
        )
        await self.sftp.start()

    async def __aenter__(self) -> Self:
        key = asyncssh.generate_private_key("ssh-ed25519")
        write_private_key(key, self.tmp / "id_ed25519")
        self.pub = key.export_public_key().decode()
        await self.start_sftp()
        self.sf = Sf2900Service(data_dir=self.tmp / "sf2900", municipality_cvr=CVR)
        await self.sf.start()
        self.dubu = DubuDirectoryService(DATASET)
        await self.dubu.start()
        sftp = SftpConfig(
            host="127.0.0.1",
            port=self.sftp.port,
            username=SFTP_USER,
            private_key=self.tmp / "id_ed25519",
            known_hosts=self.sftp.write_known_hosts(self.tmp / "known_hosts"),
            connect_timeout=5.0,
            timeout=20.0,
        )
        self.gw: RunningGateway = await start_gateway(
            GatewayConfig(
                db_url=self.db_url,
                users={USER: SECRET},
                municipality_cvr=CVR,
                spool_dir=self.tmp / "spool",
                receipt_callback=self.callback,
                delivery=DeliverySettings(
                    sf2900_url=self.sf.service_url,
                    municipality_cvr=CVR,
                    sftp=sftp,
                    dubu_url=str(self.dubu.base_url),
                    poll_seconds=0.1,
                    call_timeout=20.0,
                    initial_backoff=0.05,
                    max_backoff=0.3,
                ),
            )
        )
        if self.callback:
            self.sf.callback_url = f"{self.gw.base_url}{CALLBACK_PATH}"
        self.http = httpx.AsyncClient(auth=FreshBasicAuth(USER, SECRET), timeout=20)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()
        await self.gw.stop()
        await self.dubu.stop()
        await self.sf.stop()
        await self.sftp.stop()

    async def add(self, message_uuid: str) -> None:
        data = (MESSAGES / f"{message_uuid}.xml").read_bytes()
        await asyncio.to_thread(
            self.gw.store.insert_message,
            message_uuid=message_uuid,
            memo=data,
            kind="nyhenvendelse",
            memo_version="1.2",
            contact_point_id=None,
            received_at=utcnow(),
        )

    async def decide(self, message_uuid: str, action: str, decision: dict[str, Any]) -> str:
        decision_id = str(uuid.uuid4())
        resp = await self.http.post(
            self.gw.decisions_url,
            json={
                "decision_id": decision_id,
                "message_uuid": message_uuid,
                "action": action,
                "decision": decision,
            },
        )
        assert resp.status_code == 200, resp.text
        return decision_id

    async def state(self, message_uuid: str) -> dict[str, Any]:
        resp = await self.http.get(self.gw.status_url(message_uuid))
        assert resp.status_code == 200
        return dict(resp.json())

    async def wait(self, message_uuid: str, *states: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            status = await self.state(message_uuid)
            if status["state"] in states:
                return status
            assert asyncio.get_running_loop().time() < deadline, status
            await asyncio.sleep(0.05)


def run(tmp_path: Path, db: str, body: Any, *, callback: bool = False) -> Any:
    url = make_db_url(db, tmp_path)

    async def main() -> Any:
        async with World(tmp_path, url, callback=callback) as world:
            return await body(world)

    return asyncio.run(main())


def case_of(message_uuid: str) -> str:
    return str(LABELS[message_uuid]["case_id"])


@pytest.mark.parametrize("db", db_urls())
def test_decisions_are_delivered_by_sftp_and_sf2900_one_document_per_file(tmp_path, db):
    two, other = TWO_FILES[0], ANY[-1]
    assert two != other

    async def body(w: World) -> None:
        await w.add(two)
        await w.add(other)
        note = "Journalnotat fra fordeleren"
        d1 = await w.decide(two, "journalise", {"case_id": case_of(two), "note": note})
        d2 = await w.decide(other, "assign", {"caseworker_id": "cw-7", "case_id": case_of(other)})
        for m in (two, other):
            status = await w.wait(m, "sendt")
            assert status["follow_up"] is False
        records = {r["AnvenderTransaktionsID"]: r for r in w.sf.received()}
        parts = await asyncio.to_thread(w.gw.store.delivery_parts, d1)
        files = read_memo(MESSAGES / f"{two}.xml").files
        assert [p.kind for p in parts] == ["DOKUMENT"] * len(files) + ["JOURNALPOST"]
        assert parts[0].anvender_transaktions_id == d1  # part 0 carries the decision id
        assert len({p.anvender_transaktions_id for p in parts}) == len(parts)
        for part, f in zip(parts, files, strict=False):
            rec = records[part.anvender_transaktions_id]
            assert rec["ObjektType"] == "DOKUMENT"
            assert rec["SagForslag"] == case_of(two).lower()
            assert rec["DokumentFilNavn"] == part.remote_name
            assert part.remote_name.startswith(f"{SFTP_USER}_SAGSDOKUMENT_")
            assert [x["size"] for x in rec["files"]] == [f.size]  # one file, sent by SFTP
            assert rec["sent_digitalpost_meddelelses_id"] is False  # Serviceplatformen fills it
            assert rec["Titel"] == part_title(
                read_memo(MESSAGES / f"{two}.xml").label,
                part.file_index,
                len(files),
                f.safe_filename,
            )
            assert f" {part.file_index + 1} af {len(files)}: {f.safe_filename})" in rec["Titel"]
            on_server = w.sftp.file_info(SFTP_USER, part.remote_name)
            assert on_server is not None
            assert on_server.sha256 == hashlib.sha256(f.content).hexdigest() == part.remote_sha256
            assert on_server.size == f.size == part.size
        note_rec = records[parts[-1].anvender_transaktions_id]
        assert note_rec["ObjektType"] == "JOURNALPOST"
        assert note_rec["journal_note"]["text"] is not None
        assert note_rec["notat_is_base64"] is True
        # exactly one file per DOKUMENT on the server, no temp files left behind
        names = sorted(Path(i.path).name for i in w.sftp.uploaded_files(SFTP_USER))
        parts2 = await asyncio.to_thread(w.gw.store.delivery_parts, d2)
        expected = sorted(p.remote_name for p in parts + parts2 if p.kind == "DOKUMENT")
        assert names == expected
        assert len(w.sf.received()) == len(parts) + len(read_memo(MESSAGES / f"{other}.xml").files)
        assert await asyncio.to_thread(w.gw.store.outbox_rows) == []
        # every upload of this node went over one SSH connection (SftpSession)
        assert w.gw.delivery is not None
        assert w.gw.delivery.deliverer.sftp.connects == 1  # type: ignore[attr-defined]
        # the business receipts (FordelingskvitteringModtag) make it accepteret
        for p in parts:
            outcome = await asyncio.to_thread(
                w.gw.store.apply_business_receipt, Receipt(p.anvender_transaktions_id, "ACCEPTERET")
            )
            assert outcome is ReceiptOutcome.APPLIED
        assert (await w.state(two))["state"] == "accepteret"
        assert (await w.state(other))["state"] == "sendt"

    run(tmp_path, db, body)


@pytest.mark.expect_log("postfordeler.gateway.delivery", "")
@pytest.mark.expect_log("postfordeler.sftp", "")
@pytest.mark.expect_log("postfordeler.sandbox", "")
def test_unknown_case_afvist_and_sftp_down(tmp_path):
    m1, m2, m3, m4 = ANY[:4]

    async def body(w: World) -> None:
        for m in (m1, m2, m3, m4):
            await w.add(m)
        # a case DUBU does not know: fejlet with the reason, the item back in the queue
        await w.decide(m1, "journalise", {"case_id": str(uuid.uuid4())})
        status = await w.wait(m1, "fejlet")
        assert status["reason"] == "Sagen findes ikke i DUBU – vælg en anden sag"
        # DUBU refuses (business receipt AFVIST through the callback): afvist_af_dubu with the
        # reason; a new decision is allowed
        w.sf.faults = FaultPlan.of([{"kind": "afvist", "count": 1, "reason": "Ingen modtager"}])
        await w.decide(m2, "forward", {"kle": "27.24.00"})
        status = await w.wait(m2, "afvist_af_dubu")
        assert status["reason"] == "Ingen modtager"
        w.sf.faults = FaultPlan.of([])
        await w.decide(m2, "journalise", {"case_id": case_of(m2)})
        await w.wait(m2, "accepteret")
        # SFTP down: the decision waits (afventer) and is delivered once SFTP is back
        port = w.sftp.port
        await w.sftp.stop()
        d3 = await w.decide(m3, "journalise", {"case_id": case_of(m3)})
        for _ in range(200):
            rows = await asyncio.to_thread(w.gw.store.outbox_rows)
            if rows and rows[0]["attempts"] >= 2:
                break
            await asyncio.sleep(0.05)
        assert rows[0]["decision_id"] == d3 and "SFTP" in rows[0]["last_error"]
        assert (await w.state(m3))["state"] == "afventer"
        await w.start_sftp(port)
        await w.wait(m3, "sendt", "accepteret")
        assert w.gw.delivery is not None  # the dead connection was dropped, a new one made
        assert w.gw.delivery.deliverer.sftp.connects >= 2  # type: ignore[attr-defined]
        # a journal note alone: one JOURNALPOST
        d4 = await w.decide(m4, "journal_note", {"case_id": case_of(m4), "text": "Notat"})
        await w.wait(m4, "sendt", "accepteret")
        parts = await asyncio.to_thread(w.gw.store.delivery_parts, d4)
        assert [(p.kind, p.anvender_transaktions_id) for p in parts] == [("JOURNALPOST", d4)]
        # the distributor's Afvis never reaches SF2900
        before = len(w.sf.received())
        rejected = await w.http.post(
            w.gw.decisions_url,
            json={
                "decision_id": str(uuid.uuid4()),
                "message_uuid": m1,
                "action": "reject",
                "decision": {"reason": "Hører ikke til her"},
            },
        )
        assert rejected.json()["state"] == "afsluttet"
        await asyncio.sleep(0.3)
        assert len(w.sf.received()) == before

    run(tmp_path, "sqlite", body, callback=True)


def test_document_titles_tell_the_files_apart():
    assert part_title("Brev", 0, 1, "a.pdf") == "Brev"
    assert part_title("Brev", 0, 3, "a.pdf") == "Brev (hoveddokument 1 af 3: a.pdf)"
    assert part_title("Brev", 1, 3, "b.pdf") == "Brev (bilag 2 af 3: b.pdf)"
    long = part_title("x" * 300, 2, 3, "c.pdf")
    assert len(long) == 256 and long.endswith(" (bilag 3 af 3: c.pdf)")


def _serve_args(*argv: str) -> Any:
    import argparse

    from app.gateway.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["gateway", "serve", *argv])


def test_cli_delivery_options(tmp_path):
    from app.gateway.cli import delivery_settings

    key = tmp_path / "id_ed25519"
    write_private_key(asyncssh.generate_private_key("ssh-ed25519"), key)
    known = tmp_path / "known_hosts"
    known.write_text("")
    full = (
        "--municipality-cvr", CVR, "--sf2900-url", "https://sf2900.example/ds",
        "--dubu-url", "https://dubu.example", "--sftp", "sftp://sftp.example:2222",
        "--sftp-user", SFTP_USER, "--sftp-key", str(key), "--sftp-known-hosts", str(known),
        "--node-id", "node-1",
    )  # fmt: skip
    assert delivery_settings(_serve_args()) is None
    settings = delivery_settings(_serve_args(*full))
    assert settings is not None and settings.sftp is not None
    assert (settings.sftp.host, settings.sftp.port, settings.sftp.username) == (
        "sftp.example",
        2222,
        SFTP_USER,
    )
    assert (settings.sf2900_url, settings.node_id) == ("https://sf2900.example/ds", "node-1")
    assert _serve_args().receipt_follow_up_hours == 48.0
    with pytest.raises(SystemExit, match="kræver"):
        delivery_settings(_serve_args("--sf2900-url", "https://x"))
    key.chmod(0o644)
    with pytest.raises(SystemExit, match="kan læses af andre"):
        delivery_settings(_serve_args(*full))


@pytest.mark.parametrize("db", db_urls())
def test_two_nodes_share_the_outbox_each_decision_delivered_once(tmp_path, db):
    """A second node (its own store and worker) on the same database: every decision is
    delivered by exactly one node, each DistributionObject received once, never re-sent."""
    from app.gateway.store import GatewayStore

    messages = ANY[:6]

    async def body(w: World) -> None:
        second_store = GatewayStore(w.db_url)
        settings = DeliverySettings(
            sf2900_url=w.sf.service_url,
            municipality_cvr=CVR,
            sftp=w.gw.config.delivery.sftp if w.gw.config.delivery else None,
            dubu_url=str(w.dubu.base_url),
            node_id="node-2",
            poll_seconds=0.05,
        )
        second, closers = settings.open(second_store, w.tmp / "spool2", None)
        task = asyncio.create_task(second.run_forever())
        try:
            decided = {}
            for m in messages:
                await w.add(m)
            for m in messages:
                decided[m] = await w.decide(m, "journalise", {"case_id": case_of(m)})
            for m in messages:
                await w.wait(m, "sendt")
        finally:
            second.stop()
            await task
            for close in closers:
                await close()
            second_store.close()
        first = w.gw.delivery
        assert first is not None
        assert first.delivered + second.delivered == len(messages)
        tids = [r["AnvenderTransaktionsID"] for r in w.sf.received()]
        assert len(tids) == len(set(tids))
        assert w.sf.duplicates == 0  # leases: no node sent what another node was sending
        planned = {
            p.anvender_transaktions_id
            for d in decided.values()
            for p in await asyncio.to_thread(w.gw.store.delivery_parts, d)
        }
        assert set(tids) == planned

    run(tmp_path, db, body)


def test_gateway_serve_delivers_with_the_command_line_options(tmp_path):
    """`postfordeler gateway serve` with the SF2900 options runs the delivery worker: a message
    received at EP_FS1 and decided through POST /decisions reaches SFTP + SF2900."""
    import os
    import signal
    import sys

    from app.sf1606 import postmodtag as pm
    from tests.conftest import REPO

    message_uuid = ANY[0]

    async def body(w: World) -> None:
        assert w.gw.config.delivery is not None and w.gw.config.delivery.sftp is not None
        sftp = w.gw.config.delivery.sftp
        env = dict(os.environ, POSTFORDELER_DATA_DIR=str(tmp_path / "served"))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "gateway", "serve", "--port", "0", "--user", USER,
            "--municipality-cvr", CVR, "--sf2900-url", w.sf.service_url,
            "--dubu-url", str(w.dubu.base_url), "--sftp", f"sftp://127.0.0.1:{sftp.port}",
            "--sftp-user", SFTP_USER, "--sftp-key", str(sftp.private_key),
            "--sftp-known-hosts", str(sftp.known_hosts), "--node-id", "served-node",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=REPO,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(SECRET.encode() + b"\n")
        proc.stdin.close()
        try:
            endpoints = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
            async with httpx.AsyncClient(auth=FreshBasicAuth(USER, SECRET), timeout=20) as http:
                memo = (MESSAGES / f"{message_uuid}.xml").read_bytes()
                resp = await http.post(
                    endpoints["postmodtag"], content=memo, headers=pm.request_headers()
                )
                assert resp.status_code == 200
                decision_id = str(uuid.uuid4())
                resp = await http.post(
                    endpoints["decisions"],
                    json={
                        "decision_id": decision_id,
                        "message_uuid": message_uuid,
                        "action": "journalise",
                        "decision": {"case_id": case_of(message_uuid)},
                    },
                )
                assert resp.json()["state"] == "afventer"
                status_url = endpoints["gateway"] + f"/items/{message_uuid}/status"
                for _ in range(400):
                    status = (await http.get(status_url)).json()
                    if status["state"] == "sendt":
                        break
                    await asyncio.sleep(0.05)
                assert status["state"] == "sendt", status
            assert decision_id in {r["AnvenderTransaktionsID"] for r in w.sf.received()}
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 30) == 0

    run(tmp_path, "sqlite", body)


def test_stored_message_decodes_one_file_at_a_time(tmp_path):
    from app.gateway.delivery import StoredMessage
    from tests.big_memo import make_big_memo

    small = (MESSAGES / f"{TWO_FILES[0]}.xml").read_bytes()
    big_path = tmp_path / "big.xml"
    make_big_memo(big_path, 3_000_000)
    for raw in (small, big_path.read_bytes()):
        stored = StoredMessage(raw)
        full = read_memo(raw, keep_content=True)
        assert all(f.content == b"" for f in stored.message.files)  # nothing decoded up front
        for i, f in enumerate(full.files):
            assert stored.content(i) == f.content
        assert stored.parsed_in_full is False  # every file came from its span
