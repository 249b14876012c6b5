"""Kill harness for the gateway's delivery worker (tests/test_kill_delivery.py).

The parent runs the real sandbox parts (asyncssh SFTP server, SF2900 service, DUBU directory
service) and fills a gateway database (SQLite) with messages and decisions: small messages with
several files and big ones (a multi-MB PDF, so an upload takes a while), some with a journal
note. A child process (`python -m tests.kill_delivery node CONFIG`) runs `GatewayDelivery` on
that database with a short lease. The parent SIGKILLs it at aimed moments — while a file is
being uploaded (a `.part` file exists in the SFTP folder), between upload and SOAP call (a part
is `uploaded` in the database), or at a random moment — and starts a new node (a new node id:
it takes the rows once the dead node's lease expired), or just after SF2900 recorded an object
the node has not yet stored as sent (it then re-sends: DUPLIKAT; SF2900 also loses two answers
after recording on purpose). Finally a node runs until every decision
is `sendt`, and the parent checks: each DistributionObject received by SF2900 exactly once
(`AnvenderTransaktionsID`s = the planned parts), one DOKUMENT per file, each naming its
uploaded file, whose bytes on the SFTP server are the message file's; no other files, no
temporary files left, no upload copies left in the spool.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_LEASE = 2.0


@dataclass
class DeliveryKillReport:
    trials: int = 0
    kills: dict[str, int] = field(default_factory=dict)  # aim -> kills that hit it
    decisions: int = 0
    parts: int = 0
    received: int = 0
    resent: int = 0  # SOAP calls answered DUPLIKAT (a re-send after a kill)
    violations: int = 0
    details: list[str] = field(default_factory=list)

    def violation(self, text: str) -> None:
        self.violations += 1
        self.details.append(text)


# --------------------------------------------------------------------------- the node (child)


async def _node(config_path: Path) -> None:
    from app.dubu.sftp_upload import SftpConfig
    from app.gateway.delivery import DeliverySettings
    from app.gateway.store import GatewayStore

    cfg = json.loads(config_path.read_text())
    store = GatewayStore(cfg["db_url"])
    sftp = SftpConfig(
        host="127.0.0.1",
        port=int(cfg["sftp_port"]),
        username=cfg["sftp_user"],
        private_key=Path(cfg["private_key"]),
        known_hosts=Path(cfg["known_hosts"]),
        connect_timeout=5.0,
        timeout=60.0,
    )
    settings = DeliverySettings(
        sf2900_url=cfg["sf2900_url"],
        municipality_cvr=cfg["cvr"],
        sftp=sftp,
        dubu_url=cfg["dubu_url"],
        lease_seconds=float(cfg["lease"]),
        poll_seconds=0.1,
        call_timeout=60.0,
        initial_backoff=0.1,
        max_backoff=0.5,
    )
    worker, closers = settings.open(store, Path(cfg["spool"]), None)
    worker.step_delay = float(cfg["step_delay"])
    print("ready", flush=True)
    try:
        await worker.run_forever()
    finally:
        for close in closers:
            await close()
        store.close()


def node_main(argv: list[str]) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(_node(Path(argv[0])))


@dataclass(frozen=True)
class _Receipt:
    anvender_transaktions_id: str
    status: str
    reason: str | None = None
    distribution_transaktions_id: str | None = None
    sent_at: None = None


def receipts_main(argv: list[str]) -> None:
    """Apply every receipt of the config twice (Serviceplatformen sends some twice), in order,
    as the callback would; a SIGKILL may land inside any of these transactions."""
    from app.gateway.store import GatewayStore

    cfg = json.loads(Path(argv[0]).read_text())
    store = GatewayStore(cfg["db_url"])
    print("ready", flush=True)
    for tid, status, reason in cfg["receipts"]:
        for _ in range(2):
            store.apply_business_receipt(_Receipt(tid, status, reason))
    store.close()
    print("done", flush=True)


# --------------------------------------------------------------------------- the harness


class Node:
    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: subprocess.Popen[str] | None = None

    def start(self, mode: str = "node") -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.kill_delivery", mode, str(self.config)],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"delivery node did not start: {line!r}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


async def run_kill_delivery(
    trials: int, tmp: Path, *, big: int = 3, small: int = 4, seed: int | None = None
) -> DeliveryKillReport:
    import asyncssh

    from app.dubu.dataset import DubuDataset
    from app.gateway.store import GatewayStore, utcnow
    from app.sandbox.dubu_service import DubuDirectoryService
    from app.sandbox.sf2900_service import Sf2900Service
    from app.sandbox.sftp_server import SandboxSftpServer, SftpServerConfig, write_private_key
    from app.sf1606.memo import read_memo
    from tests.big_memo import make_big_memo
    from tests.conftest import CORPUS, MESSAGES

    rng = random.Random(seed)
    report = DeliveryKillReport()
    labels = json.loads((CORPUS / "labels.json").read_text())
    dataset = DubuDataset.load(CORPUS / "dubu.json")
    cvr = dataset.municipality.cvr
    cases = sorted({str(v["case_id"]) for v in labels.values() if v["case_id"]})
    sftp_user = "KY_SIMPELSFTP"

    key = asyncssh.generate_private_key("ssh-ed25519")
    write_private_key(key, tmp / "id_ed25519")
    sftp = SandboxSftpServer(
        SftpServerConfig(
            root=tmp / "sftp" / "root", users={sftp_user: [key.export_public_key().decode()]}
        )
    )
    await sftp.start()
    # twice the answer is lost after SF2900 recorded the object: the node re-sends with the
    # same AnvenderTransaktionsID and SF2900 answers DUPLIKAT, which is success
    sf = Sf2900Service(
        data_dir=tmp / "sf2900",
        municipality_cvr=cvr,
        faults=[{"kind": "drop_after_record", "count": 2}],
    )
    await sf.start()
    dubu = DubuDirectoryService(dataset)
    await dubu.start()
    db_url = f"sqlite:///{tmp / 'gw.sqlite3'}"
    store = GatewayStore(db_url)
    node: Node | None = None
    try:
        # messages: small ones with several files, big ones (one multi-MB PDF)
        sources: list[tuple[str, bytes]] = []
        for message_uuid, label in sorted(labels.items()):
            path = MESSAGES / f"{message_uuid}.xml"
            if len(sources) >= small:
                break
            small_enough = label["case_id"] and path.stat().st_size < 100_000
            if small_enough and len(read_memo(path).files) >= 2:
                sources.append((message_uuid, path.read_bytes()))
        for n in range(big):
            dest = tmp / f"big-{n}.xml"
            message_uuid, _ = make_big_memo(dest, 6_000_000 + n * 500_000, seed=n)
            sources.append((message_uuid, dest.read_bytes()))
            dest.unlink()
        expected_files: dict[str, list[tuple[int, str]]] = {}  # decision -> [(size, sha256)]
        with_note: set[str] = set()
        for n, (message_uuid, data) in enumerate(sources):
            store.insert_message(
                message_uuid=message_uuid,
                memo=data,
                kind="nyhenvendelse",
                memo_version="1.2",
                contact_point_id=None,
                received_at=utcnow(),
            )
            decision_id = str(uuid.uuid4())
            case_id = str(labels.get(message_uuid, {}).get("case_id") or cases[n % len(cases)])
            payload: dict[str, Any] = {"case_id": case_id}
            if n % 2 == 0:
                payload["note"] = f"Notat {n}"
                with_note.add(decision_id)
            store.submit_decision("eva", decision_id, message_uuid, "journalise", payload)
            expected_files[decision_id] = [(f.size, f.sha256) for f in read_memo(data).files]
        report.decisions = len(expected_files)
        config = tmp / "node.json"
        config.write_text(
            json.dumps(
                {
                    "db_url": db_url,
                    "sftp_port": sftp.port,
                    "sftp_user": sftp_user,
                    "private_key": str(tmp / "id_ed25519"),
                    "known_hosts": str(sftp.write_known_hosts(tmp / "known_hosts")),
                    "sf2900_url": sf.service_url,
                    "dubu_url": str(dubu.base_url),
                    "cvr": cvr,
                    "spool": str(tmp / "spool"),
                    "lease": DEFAULT_LEASE,
                    "step_delay": 0.15,
                }
            )
        )
        out_dir = sftp.user_root(sftp_user) / "OUT"

        def uploading() -> bool:
            return any(p.name.endswith(".part") for p in out_dir.iterdir())

        def between() -> bool:
            with store.engine.connect() as conn:
                n = conn.exec_driver_sql(
                    "SELECT count(*) FROM gw_delivery_parts WHERE step = 'uploaded'"
                ).scalar()
            return bool(n)

        def answered_not_stored() -> bool:
            # SF2900 has recorded an object whose part the node has not yet stored as sent
            received = {r["AnvenderTransaktionsID"] for r in sf.received()}
            with store.engine.connect() as conn:
                waiting = conn.exec_driver_sql(
                    "SELECT anvender_transaktions_id FROM gw_delivery_parts"
                    " WHERE step IN ('pending', 'uploaded')"
                ).scalars()
                return any(t in received for t in waiting)

        def done() -> bool:
            return not store.outbox_rows()

        aims = ("upload", "between", "random", "after_soap")
        for trial in range(trials):
            if done():
                break
            aim = aims[trial % len(aims)]
            node = Node(config, tmp / "nodes.log")
            await asyncio.to_thread(node.start)
            report.trials += 1
            deadline = time.monotonic() + (rng.uniform(0.2, 2.5) if aim == "random" else 20.0)
            hit = aim == "random"
            while time.monotonic() < deadline:
                if aim == "upload" and await asyncio.to_thread(uploading):
                    hit = True
                    break
                if aim == "between" and await asyncio.to_thread(between):
                    hit = True
                    break
                if aim == "after_soap" and await asyncio.to_thread(answered_not_stored):
                    hit = True
                    break
                if await asyncio.to_thread(done):
                    hit = False
                    break
                await asyncio.sleep(0.003)
            node.kill()
            node = None
            if hit:
                report.kills[aim] = report.kills.get(aim, 0) + 1
        # the last node runs until every decision has its technical receipts
        node = Node(config, tmp / "nodes.log")
        await asyncio.to_thread(node.start)
        deadline = time.monotonic() + 120
        while not await asyncio.to_thread(done):
            if time.monotonic() > deadline:
                report.violation(f"not delivered in time: {store.outbox_rows()}")
                break
            await asyncio.sleep(0.1)
        node.stop()
        node = None

        # ---- the checks
        received = sf.received()
        report.received = len(received)
        report.resent = sf.duplicates
        by_tid: dict[str, list[dict[str, Any]]] = {}
        for rec in received:
            by_tid.setdefault(rec["AnvenderTransaktionsID"], []).append(rec)
        planned: set[str] = set()
        remote_names: set[str] = set()
        for decision_id, files in expected_files.items():
            row = store.decision(decision_id)
            if row is None or row["state"] != "sendt":
                report.violation(f"{decision_id}: state {row and row['state']}")
            parts = store.delivery_parts(decision_id)
            report.parts += len(parts)
            docs = [p for p in parts if p.kind == "DOKUMENT"]
            notes = [p for p in parts if p.kind == "JOURNALPOST"]
            if len(docs) != len(files):
                report.violation(f"{decision_id}: {len(docs)} DOKUMENT for {len(files)} files")
            if len(notes) != (1 if decision_id in with_note else 0):
                report.violation(f"{decision_id}: {len(notes)} JOURNALPOST")
            if parts and parts[0].anvender_transaktions_id != decision_id:
                report.violation(f"{decision_id}: part 0 is not the decision id")
            for p in parts:
                planned.add(p.anvender_transaktions_id)
                recs = by_tid.get(p.anvender_transaktions_id, [])
                if len(recs) != 1:
                    report.violation(f"{p.anvender_transaktions_id}: received {len(recs)} times")
                    continue
                if recs[0]["ObjektType"] != p.kind:
                    report.violation(f"{p.anvender_transaktions_id}: type {recs[0]['ObjektType']}")
                if p.kind != "DOKUMENT":
                    continue
                assert p.file_index is not None and p.remote_name is not None
                remote_names.add(p.remote_name)
                if recs[0]["DokumentFilNavn"] != p.remote_name:
                    report.violation(f"{p.anvender_transaktions_id}: DokumentFilNavn differs")
                info = sftp.file_info(sftp_user, p.remote_name)
                size, sha = files[p.file_index]
                if info is None or (info.size, info.sha256) != (size, sha):
                    report.violation(f"{p.remote_name}: not the message file on the server")
        extra = set(by_tid) - planned
        if extra:
            report.violation(f"received objects nobody planned: {sorted(extra)[:5]}")
        on_server = {Path(i.path).name for i in sftp.uploaded_files(sftp_user)}
        if on_server != remote_names:
            report.violation(f"SFTP folder differs: {sorted(on_server ^ remote_names)[:5]}")
        left = list((tmp / "spool").glob("*.upload")) if (tmp / "spool").exists() else []
        if left:
            report.violation(f"upload copies left in the spool: {len(left)}")
        return report
    finally:
        if node is not None:
            node.kill()
        store.close()
        await dubu.stop()
        await sf.stop()
        await sftp.stop()


@dataclass
class ReceiptKillReport:
    trials: int = 0
    kills: int = 0
    receipts: int = 0
    violations: int = 0
    details: list[str] = field(default_factory=list)


def run_kill_receipts(trials: int, tmp: Path, *, decisions: int = 40, seed: int | None = None):
    """SIGKILL a process applying business receipts (each twice) at random moments, restart
    it (it applies them all again, as re-sent callbacks do). Checks: each receipt stored once,
    each decision in the state its receipts give, an AFVIST's return to the queue logged once."""
    from app.gateway.store import GatewayStore, PartPlan, utcnow
    from tests.conftest import MESSAGES

    rng = random.Random(seed)
    report = ReceiptKillReport()
    db_url = f"sqlite:///{tmp / 'gw.sqlite3'}"
    store = GatewayStore(db_url)
    receipts: list[tuple[str, str, str | None]] = []
    expected: dict[str, str] = {}
    items: dict[str, int] = {}
    try:
        for n, path in enumerate(sorted(MESSAGES.glob("*.xml"))[:decisions]):
            message_uuid = path.stem.lower()
            item = store.insert_message(
                message_uuid=message_uuid,
                memo=path.read_bytes(),
                kind="nyhenvendelse",
                memo_version="1.2",
                contact_point_id=None,
                received_at=utcnow(),
            )
            decision_id = str(uuid.uuid4())
            store.submit_decision("eva", decision_id, message_uuid, "forward", {"kle": "27.24.00"})
            job = store.claim_delivery("setup", 600)
            assert job is not None and job.decision_id == decision_id
            parts = store.save_plan(
                decision_id, "setup", {}, [PartPlan("DOKUMENT", 0), PartPlan("DOKUMENT", 1)]
            )
            for p in parts:
                store.mark_sent(decision_id, p.part, "setup", distribution_transaktions_id=None)
            store.finish_delivery(decision_id, "setup")
            items[decision_id] = item.item_id
            if n % 4 == 0:  # DUBU refuses part 1 after accepting part 0
                receipts.append((parts[0].anvender_transaktions_id, "ACCEPTERET", None))
                receipts.append((parts[1].anvender_transaktions_id, "AFVIST", "Sagen er lukket"))
                expected[decision_id] = "afvist_af_dubu"
            else:
                receipts += [(p.anvender_transaktions_id, "ACCEPTERET", None) for p in parts]
                expected[decision_id] = "accepteret"
        rng.shuffle(receipts)
        report.receipts = len(receipts)
        config = tmp / "receipts.json"
        config.write_text(json.dumps({"db_url": db_url, "receipts": receipts}))
        for _ in range(trials):
            node = Node(config, tmp / "receipts.log")
            node.start("receipts")
            report.trials += 1
            time.sleep(rng.uniform(0.02, 0.6))
            assert node.proc is not None
            if node.proc.poll() is None:
                report.kills += 1
            node.kill()
        node = Node(config, tmp / "receipts.log")
        node.start("receipts")
        assert node.proc is not None and node.proc.stdout is not None
        if node.proc.stdout.readline().strip() != "done":
            report.details.append("the last receipt run did not finish")
            report.violations += 1
        node.stop()
        with store.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM gw_business_receipts").scalar()
        if stored != len(receipts):
            report.violations += 1
            report.details.append(f"{stored} receipts stored for {len(receipts)} sent")
        for decision_id, state in expected.items():
            row = store.decision(decision_id)
            if row is None or row["state"] != state:
                report.violations += 1
                report.details.append(f"{decision_id}: {row and row['state']} != {state}")
            history = [h["outcome"] for h in store.outcome_history(items[decision_id])]
            want = ["videresendt"] + (["afvist_af_dubu"] if state == "afvist_af_dubu" else [])
            if history != want:
                report.violations += 1
                report.details.append(f"{decision_id}: history {history}")
        return report
    finally:
        store.close()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "node":
        node_main(sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "receipts":
        receipts_main(sys.argv[2:])
    else:
        raise SystemExit("usage: python -m tests.kill_delivery node|receipts CONFIG")
