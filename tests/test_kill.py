"""Crash-safety harness: SIGKILL `postfordeler sync` and `postfordeler outbox run` at random
moments while traffic flows, restart them, and check the invariants.

Everything is real: the sandbox runs as its own process (`postfordeler sandbox`: gateway,
SF2900 service, DUBU directory), a pusher thread feeds EP_FS1 over HTTP, and the client
commands run as subprocesses on one data dir.

Invariants
- sync: every message the gateway accepted is in the cache exactly once, with the exact bytes;
  nothing the gateway does not hold is in the cache; after every kill the cache is consistent
  (integrity_check ok, items = blobs = FTS rows) and every gateway item at or below the committed
  cursor is cached (the cursor never runs ahead of the data).
- outbox (the client handing decisions to the gateway, `POST /decisions`): every decision
  reaches the gateway, exactly once under its own decision id (a retry after a kill reuses the
  id and gets the same answer), with its kind and the gateway's state mirrored in the cache.
  The gateway's own delivery to SF2900 under kills is the gateway's kill test.

`$POSTFORDELER_KILL_TRIALS` sets the trial count (default 10 here; the benchmark runs 50).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.decisions import Assign, Decision, Forward, Journalise, JournalNote, Reject
from app.sf1606 import postmodtag as pm
from app.sf1606.tls import pem_client_context
from tests.keyring_backend import NAME, SERVER_ENV

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
MESSAGES = (
    CORPUS / "messages"
    if (CORPUS / "messages").exists()
    else REPO / "resources" / "sandbox" / "messages"
)
TRIALS = int(os.environ.get("POSTFORDELER_KILL_TRIALS", "10"))


@dataclass
class KillReport:
    trials: int = 0
    kills_mid_work: int = 0  # kills of a process that had done work in that trial (sync: cached new
    # items; outbox: delivered something or had a call in flight)
    kills_in_flight: int = 0  # outbox: kills that left an entry in "sending" (a call in flight)
    checked: int = 0  # invariant checks made
    violations: list[str] = field(default_factory=list)


def _keyring_env() -> dict[str, str]:
    """The tests' in-memory keyring that this process and its subprocesses share: conftest's
    under pytest, `tests.keyring_backend.shared_keyring()` around a benchmark run."""
    if not os.environ.get(SERVER_ENV) or os.environ.get("PYTHON_KEYRING_BACKEND") != NAME:
        raise RuntimeError("run inside tests.keyring_backend.shared_keyring() (or pytest)")
    return {"PYTHON_KEYRING_BACKEND": NAME, SERVER_ENV: os.environ[SERVER_ENV]}


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "POSTFORDELER_DATA_DIR"}
    env.update(_keyring_env())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["XDG_DATA_HOME"] = str(work / "xdg")
    env["PYTHONUNBUFFERED"] = "1"
    # the sandbox's test CA (under its data dir), once it exists: the standard variable the
    # clients honour
    ca = next((work / "sandbox").glob("**/tls/ca.pem"), None)
    if ca is not None:
        env["SSL_CERT_FILE"] = str(ca)
    return env


def _cli(work: Path, data: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(data), *args],
        env=_env(work),
        cwd=str(REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


class Sandbox:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.proc = _cli(work, work / "sandbox", "sandbox", "--no-messages")
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("sandbox did not start: " + self.proc.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
        self.endpoints = json.loads(line)
        self.user = self.endpoints["user"]
        # The sandbox put its demo secret in the test keyring this process shares with it
        # (conftest's, or `shared_keyring()` around a benchmark).
        import keyring

        self.secret = keyring.get_password("postfordeler", f"gateway:{self.user}") or ""
        assert self.endpoints["secret_in_keyring"] and self.secret

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _replicate(data: bytes) -> tuple[str, bytes]:
    import re

    new = str(uuid.uuid4())
    body = re.sub(
        rb"(messageUUID>)([0-9a-fA-F-]{36})(<)",
        lambda m: m.group(1) + new.encode() + m.group(3),
        data,
        count=1,
    )
    return new, body


class Pusher(threading.Thread):
    """Feeds EP_FS1 with corpus messages (fresh UUIDs) at `rate`/s; remembers what was accepted."""

    def __init__(self, ep: dict, rate: float, seed: int, limit: int | None = None) -> None:
        super().__init__(daemon=True)
        self.url, self.rate, self.limit = ep["postmodtag"], rate, limit
        # EP_FS1 takes only the Postkomponent's pinned client certificate (mutual TLS)
        self.tls = pem_client_context(
            ep["postkomponent_cert"], ep["postkomponent_key"], ep["tls_ca"]
        )
        self.rng = random.Random(seed)
        self.bodies = [p.read_bytes() for p in sorted(MESSAGES.glob("*.xml"))]
        self.accepted: dict[str, str] = {}  # message uuid -> sha256 of the bytes
        self.failed = 0
        self._halt = threading.Event()

    def run(self) -> None:
        import httpx

        with httpx.Client(timeout=30, verify=self.tls) as http:
            n = 0
            while not self._halt.is_set() and (self.limit is None or n < self.limit):
                new, body = _replicate(self.rng.choice(self.bodies))
                try:
                    r = http.post(
                        self.url,
                        content=body,
                        headers={
                            "Content-Type": "application/xml",
                            "x-TransaktionsId": str(uuid.uuid4()),
                        },
                    )
                    if pm.receipt_from_http(r.status_code, r.content).accepted:
                        self.accepted[new] = hashlib.sha256(body).hexdigest()
                    else:
                        self.failed += 1
                except httpx.HTTPError:
                    self.failed += 1
                n += 1
                time.sleep(self.rng.expovariate(self.rate))

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(30)


def _gateway_items(endpoints: dict, secret: str | None) -> dict[int, tuple[str, str | None]]:
    """All items the gateway holds: gateway id -> (message uuid, sha256)."""
    from app.sf1606.mailbox_client import MailboxClient

    async def main() -> dict[int, tuple[str, str | None]]:
        client = MailboxClient(
            endpoints["gateway"],
            municipality_cvr=endpoints["municipality_cvr"],
            user=endpoints["user"],
            secret=secret or "",
            ca_bundle=endpoints["tls_ca"],
        )
        out: dict[int, tuple[str, str | None]] = {}
        cursor = 0
        try:
            while True:
                page = await client.list_items(cursor, 500)
                for it in page.items:
                    out[it.item_id] = (it.message_uuid.lower(), hashlib.sha256(it.memo).hexdigest())
                if not page.more or page.next_cursor <= cursor:
                    return out
                cursor = page.next_cursor
        finally:
            await client.close()

    return asyncio.run(main())


def _cache_path(data: Path) -> Path:
    return data / "client" / "cache.sqlite3"


def _cache_snapshot(path: Path) -> tuple[list[str], int, set[int]]:
    """Consistency problems (list), cursor, cached gateway ids."""
    problems: list[str] = []
    if not path.exists():
        return problems, 0, set()
    from sqlcipher3.dbapi2 import OperationalError

    from app.models.db import raw_connect

    con = raw_connect(path, timeout=30)
    try:
        if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        try:
            n_items = con.execute("SELECT count(*) FROM items").fetchone()[0]
        except OperationalError:  # killed before the first migration finished
            return problems, 0, set()
        n_blobs = con.execute("SELECT count(*) FROM item_blobs").fetchone()[0]
        n_fts = con.execute("SELECT count(*) FROM items_fts").fetchone()[0]
        n_uuid = con.execute("SELECT count(DISTINCT lower(message_uuid)) FROM items").fetchone()[0]
        if not n_items == n_blobs == n_fts == n_uuid:
            problems.append(f"items {n_items} blobs {n_blobs} fts {n_fts} distinct uuids {n_uuid}")
        row = con.execute("SELECT value FROM sync_state WHERE key='mailbox_cursor'").fetchone()
        cursor = int(row[0]) if row else 0
        ids = {r[0] for r in con.execute("SELECT gateway_item_id FROM items")}
    finally:
        con.close()
    return problems, cursor, ids


def _kill_after(proc: subprocess.Popen, seconds: float) -> None:
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        pass
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


def run_kill_sync(work: Path, trials: int = TRIALS, seed: int = 1) -> KillReport:
    rng = random.Random(seed)
    report = KillReport()
    sandbox = Sandbox(work)
    data = work / "client"
    pusher = Pusher(sandbox.endpoints, rate=120.0, seed=seed)
    pusher.start()
    snapshots: list[tuple[int, set[int]]] = []
    try:
        time.sleep(0.5)
        # How long a sync process takes to start and sync once on this machine now (imports
        # alone take seconds on a loaded 2-core machine): kills are aimed after that point, so
        # they land in the middle of work rather than before any.
        started = time.monotonic()
        calibrate = _cli(
            work,
            data,
            "sync",
            "--once",
            "--gateway",
            sandbox.endpoints["gateway"],
            "--user",
            sandbox.user,
        )
        calibrate.communicate(timeout=120)
        startup = min(10.0, max(0.8, time.monotonic() - started))
        snapshots.append(_cache_snapshot(_cache_path(data))[1:])
        for _ in range(trials):
            proc = _cli(
                work,
                data,
                "sync",
                "--gateway",
                sandbox.endpoints["gateway"],
                "--user",
                sandbox.user,
                "--interval",
                "0.05",
                "--page-size",
                str(rng.choice([10, 25, 50])),
            )
            _kill_after(proc, startup * rng.uniform(0.6, 1.0) + rng.uniform(0.0, 1.7))
            report.trials += 1
            problems, cursor, ids = _cache_snapshot(_cache_path(data))
            report.checked += 1
            if len(ids) > len(snapshots[-1][1] if snapshots else ()):
                report.kills_mid_work += 1
            report.violations += [f"trial {report.trials}: {p}" for p in problems]
            snapshots.append((cursor, ids))
        pusher.stop()
        # converge: one clean sync after the traffic stopped
        done = _cli(
            work,
            data,
            "sync",
            "--once",
            "--json",
            "--gateway",
            sandbox.endpoints["gateway"],
            "--user",
            sandbox.user,
        )
        _out, err = done.communicate(timeout=120)
        if done.returncode != 0:
            report.violations.append(f"final sync failed: {err.decode()[-500:]}")
        gateway = _gateway_items(sandbox.endpoints, sandbox.secret)
    finally:
        if pusher.is_alive():
            pusher.stop()
        sandbox.stop()
    problems, cursor, ids = _cache_snapshot(_cache_path(data))
    report.violations += [f"final: {p}" for p in problems]
    from app.models.db import raw_connect

    con = raw_connect(_cache_path(data))
    cached = {
        u.lower(): (gid, hashlib.sha256(bytes(m)).hexdigest())
        for u, gid, m in con.execute(
            "SELECT i.message_uuid, i.gateway_item_id, b.memo FROM items i JOIN item_blobs b ON b.item_id = i.id"
        )
    }
    con.close()
    gw_by_uuid = {u: (gid, sha) for gid, (u, sha) in gateway.items()}
    for u, sha in pusher.accepted.items():
        report.checked += 1
        if u not in cached:
            report.violations.append(f"accepted message {u} missing from the cache")
        elif cached[u][1] != sha:
            report.violations.append(f"message {u}: cached bytes differ from what was accepted")
    for u in cached:
        report.checked += 1
        if u not in gw_by_uuid:
            report.violations.append(f"cached message {u} is not held by the gateway")
    for cur, snap in snapshots:
        report.checked += 1
        missing = [gid for gid in gateway if gid <= cur and gid not in snap]
        if missing:
            report.violations.append(f"cursor {cur} ran ahead of the data: {len(missing)} missing")
    if len(pusher.accepted) < trials:
        report.violations.append(f"too little traffic: {len(pusher.accepted)} accepted")
    return report


def _plan_actions(
    cache, dataset_cases: dict[str, dict], rng: random.Random, n: int
) -> list[tuple[int, Decision]]:
    """Pick n undecided items and a decision for each (journalise with/without note, assign,
    forward, reject)."""
    from sqlalchemy import text

    with cache.engine.connect() as conn:
        free = [
            r[0] for r in conn.execute(text("SELECT id FROM items WHERE status = 'ny' ORDER BY id"))
        ]
    rng.shuffle(free)
    case_ids = list(dataset_cases)
    out = []
    for item_id in free[:n]:
        kind = rng.choice(["journalise", "journalise", "assign", "forward", "reject"])
        case = dataset_cases[rng.choice(case_ids)]
        decision: Decision
        if kind == "journalise":
            note = None
            if rng.random() < 0.5:
                note = JournalNote(case["id"], "Journalnotat fra fordelingen.")
            decision = Journalise(case["id"], case["number"], note=note)
        elif kind == "assign":
            decision = Assign(case["caseworker_id"], case_id=case["id"])
        elif kind == "forward":
            decision = Forward(kle="29.01.00")
        else:
            decision = Reject("Fejlsendt: hører til en anden forvaltning")
        out.append((item_id, decision))
    return out


def run_kill_outbox(
    work: Path, trials: int = TRIALS, seed: int = 1, per_trial: int = 16
) -> KillReport:
    """SIGKILL `postfordeler outbox run` (the client outbox handing decisions to the gateway,
    `POST /decisions`) at random moments, then let it finish. Each decision must be at the
    gateway exactly once under its own decision id (the outbox entry's UUID), with its kind,
    and the cache must show the gateway's state: nothing lost, nothing doubled."""
    from app.models.cache import Cache
    from app.models.db import open_cache

    rng = random.Random(seed)
    report = KillReport()
    sandbox = Sandbox(work)
    data = work / "client"
    ep = sandbox.endpoints
    gw = ("--gateway", ep["gateway"], "--user", sandbox.user)
    cases = {
        c["id"]: c
        for c in json.loads((REPO / "resources" / "sandbox" / "dubu.json").read_text())["cases"]
        if c.get("caseworker_id")
    }
    try:
        need = (trials + 1) * per_trial + 10
        pusher = Pusher(ep, rate=1e6, seed=seed, limit=need)
        pusher.run()  # synchronously: fill the gateway
        proc = _cli(work, data, "sync", "--once", *gw)
        proc.communicate(timeout=120)
        db = open_cache(_cache_path(data))
        cache = Cache(db)
        expected: dict[int, Decision] = {}
        # a first, unkilled round measures how long a process takes to start and deliver a
        # batch on this machine, so the kills land while it works
        for item_id, decision in _plan_actions(cache, cases, rng, per_trial):
            expected[cache.enqueue(item_id, decision, sandbox.user)] = decision
        started = time.monotonic()
        _cli(work, data, "outbox", "run", "--once", *gw).communicate(timeout=300)
        took = max(0.8, time.monotonic() - started)
        for _ in range(trials):
            for item_id, decision in _plan_actions(cache, cases, rng, per_trial):
                oid = cache.enqueue(item_id, decision, sandbox.user)
                expected[oid] = decision
            proc = _cli(work, data, "outbox", "run", *gw, "--timeout", "10")
            before = cache.outbox_counts()
            _kill_after(proc, took * rng.uniform(0.55, 1.0))
            report.trials += 1
            counts = cache.outbox_counts()
            if counts["delivered"] > before["delivered"] or counts["sending"]:
                report.kills_mid_work += 1
            if counts["sending"]:
                report.kills_in_flight += 1
        for _ in range(5):
            proc = _cli(work, data, "outbox", "run", "--once", "--json", *gw)
            proc.communicate(timeout=300)
            if cache.outbox_counts()["open"] == 0:
                break
        rows = cache.outbox_entries()
        states = {r.item_id: cache.delivery(r.item_id) for r in rows}
        at_gateway = _gateway_states(ep, sandbox.secret, cache, rows)
        db.engine.dispose()
    finally:
        sandbox.stop()
    for row in rows:
        report.checked += 1
        kind = expected[row.id].action
        if row.status != "delivered":
            report.violations.append(
                f"outbox {row.id} ({kind}) ended {row.status}: {row.last_error}"
            )
            continue
        remote = at_gateway.get(row.item_id)
        if remote is None:
            report.violations.append(f"outbox {row.id}: the gateway does not know the item")
            continue
        if remote.decision_id != row.transaction_id or remote.decision != kind:
            report.violations.append(
                f"outbox {row.id}: gateway holds {remote.decision} {remote.decision_id}, "
                f"expected {kind} {row.transaction_id}"
            )
        want = ("afsluttet",) if kind == "reject" else ("afventer", "sendt", "accepteret")
        if remote.state not in want:
            report.violations.append(f"outbox {row.id}: gateway state {remote.state}")
        local = states[row.item_id]
        if local.decision_id != row.transaction_id or local.state == "lokal":
            report.violations.append(f"item {row.item_id}: cache shows {local}")
    if len({r.transaction_id for r in rows}) != len(rows):
        report.violations.append("two outbox entries share a decision id")
    return report


def _gateway_states(ep: dict, secret: str | None, cache, rows) -> dict[int, Any]:
    """The gateway's delivery state of each decided item (`GET /items/{uuid}/status`)."""
    from app.sf1606.gateway_client import GatewayClient

    async def main() -> dict[int, Any]:
        client = GatewayClient(
            ep["gateway"], user=ep["user"], secret=secret or "", ca_bundle=ep["tls_ca"]
        )
        try:
            out = {}
            for r in rows:
                out[r.item_id] = await client.status(cache.item(r.item_id)["message_uuid"])
            return out
        finally:
            await client.close()

    return asyncio.run(main())


@pytest.mark.slow
def test_kill_sync(tmp_path):
    report = run_kill_sync(tmp_path, trials=TRIALS)
    print(f"kill_sync: {report}")
    assert report.trials == TRIALS
    assert report.kills_mid_work >= 1
    assert report.violations == []


@pytest.mark.slow
def test_kill_outbox(tmp_path):
    report = run_kill_outbox(tmp_path, trials=TRIALS)
    print(f"kill_outbox: {report}")
    assert report.trials == TRIALS
    assert report.kills_mid_work >= 1
    assert report.violations == []
