"""Kill harness for the receiving gateway (used by tests/test_kill_gateway.py and
benchmarks/bench_kill.py).

`postfordeler gateway serve` runs as a subprocess on a fixed free port with its own data dir.
Pushers send corpus messages (fresh v4 UUIDs; every 8th made invalid with a non-v4 UUID) to
EP_FS1 concurrently and record each answer. The gateway is SIGKILLed at random moments and
restarted on the same port and database; messages whose call got no answer are redelivered, as
Postkomponent does. Meanwhile deciders hand a decision (journalise or the distributor's reject,
each with its own decision_id) on accepted messages to `POST /decisions`, retrying with the same
decision_id until they get an answer, as the client outbox does. At the end everything is listed
through `MailboxClient` and checked: every accepted message stored exactly once and byte-exact,
nothing stored that was never sent, nothing stored that was answered "reject"; every decision
stored exactly once (its item's one outcome, one outbox row per journalise, nothing else).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MESSAGES = REPO.parent / "shared" / "corpus" / "messages"
if not MESSAGES.is_dir():  # a worktree under /work/wt/<name>: the corpus is two levels up
    MESSAGES = REPO.parent.parent / "shared" / "corpus" / "messages"
UUID_RE = re.compile(rb"(<memo:messageUUID>)([^<]+)(</memo:messageUUID>)")
CVR = "29189129"


@dataclass
class KillReport:
    trials: int = 0
    violations: int = 0
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    redelivered: int = 0
    stored: int = 0
    decided: int = 0
    decision_retries: int = 0
    details: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class GatewayProcess:
    """`postfordeler gateway serve` on a fixed port; start/kill/restart."""

    def __init__(self, data_dir: Path, port: int, user: str, secret: str) -> None:
        self.data_dir, self.port, self.user, self.secret = data_dir, port, user, secret
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 60.0) -> None:
        env = dict(
            os.environ,
            POSTFORDELER_DATA_DIR=str(self.data_dir),
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "gateway",
                "serve",
                "--port",
                str(self.port),
                "--user",
                self.user,
            ],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(self.secret + "\n")
        self.proc.stdin.close()
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline()  # one JSON line when listening
        if not line or time.monotonic() > deadline:
            raise RuntimeError(f"gateway did not start (exit {self.proc.poll()})")
        assert json.loads(line)["ready"] is True

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _messages() -> list[bytes]:
    files = sorted(MESSAGES.glob("*.xml"), key=lambda p: p.stat().st_size)[:60]
    return [p.read_bytes() for p in files]


def run_kill_gateway(
    trials: int,
    work_dir: Path,
    *,
    concurrency: int = 6,
    seed: int | None = None,
    min_up: float = 0.05,
    max_up: float = 0.8,
) -> KillReport:
    """Run `trials` kill/restart cycles while pushers send; returns the checked report."""
    return asyncio.run(
        _run(trials, Path(work_dir), concurrency, random.Random(seed), min_up, max_up)
    )


async def _run(
    trials: int, work: Path, concurrency: int, rng: random.Random, min_up: float, max_up: float
) -> KillReport:
    import httpx

    from app.sf1606 import postmodtag as pm
    from app.sf1606.fresh_auth import FreshBasicAuth

    user, secret = f"kill-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    port = free_port()
    gw = GatewayProcess(work / "data", port, user, secret)
    url = f"http://127.0.0.1:{port}{pm.PATH}"
    frames = _messages()
    sent: dict[str, bytes] = {}
    accepted: set[str] = set()
    rejected: set[str] = set()
    pending: list[tuple[str, bytes]] = []  # no answer yet: redeliver
    to_decide: list[str] = []  # accepted messages a decider will decide on
    decided: dict[str, tuple[str, str]] = {}  # message -> (decision_id, action)
    answered: dict[str, str] = {}  # message -> the state the gateway answered
    deciding = True
    report = KillReport()
    generating = True
    in_flight = 0
    counter = 0

    def next_message() -> tuple[str, bytes] | None:
        nonlocal counter
        if pending:
            report.redelivered += 1
            return pending.pop()
        if not generating:
            return None
        counter += 1
        valid = counter % 8 != 0
        new = str(uuid.uuid4() if valid else uuid.uuid1())
        frame = frames[counter % len(frames)]
        data = UUID_RE.sub(lambda m: m.group(1) + new.encode() + m.group(3), frame, count=1)
        sent[new] = data
        return new, data

    async def pusher(http: httpx.AsyncClient) -> None:
        nonlocal in_flight
        while True:
            msg = next_message()
            if msg is None:
                if not generating and not pending and in_flight == 0:
                    return
                await asyncio.sleep(0.02)
                continue
            key, data = msg
            in_flight += 1
            try:
                resp = await http.post(url, content=data, headers=pm.request_headers())
                receipt = pm.receipt_from_http(resp.status_code, resp.content)
            except httpx.HTTPError:
                receipt = None
            finally:
                in_flight -= 1
            if receipt is None or receipt.retryable:
                pending.append((key, data))
                await asyncio.sleep(0.02)
            elif receipt.accepted:
                if key not in accepted and len(accepted) % 2 == 0:
                    to_decide.append(key)
                accepted.add(key)
            else:
                rejected.add(key)

    async def decider(http: httpx.AsyncClient) -> None:
        decisions_url = f"http://127.0.0.1:{port}/decisions"
        while True:
            if not to_decide:
                if not deciding:
                    return
                await asyncio.sleep(0.02)
                continue
            key = to_decide.pop()
            action = "journalise" if len(decided) % 2 == 0 else "reject"
            decision_id, action = decided.setdefault(key, (str(uuid.uuid4()), action))
            decision = {"case_id": f"sag-{key[:8]}"} if action == "journalise" else {"reason": "x"}
            body = {
                "decision_id": decision_id,
                "message_uuid": key,
                "action": action,
                "decision": decision,
            }
            try:
                resp = await http.post(decisions_url, json=body, auth=FreshBasicAuth(user, secret))
            except httpx.HTTPError:
                resp = None
            if resp is None or resp.status_code >= 500:
                report.decision_retries += 1
                to_decide.append(key)  # no answer: the same decision again
                await asyncio.sleep(0.02)
            elif resp.status_code == 200:
                answered[key] = resp.json()["state"]
            else:
                report.details.append(f"decision refused with {resp.status_code}: {key}")

    async with httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, connect=2.0), limits=httpx.Limits(max_keepalive_connections=0)
    ) as http:
        workers = [asyncio.create_task(pusher(http)) for _ in range(concurrency)]
        deciders = [asyncio.create_task(decider(http)) for _ in range(2)]
        try:
            for _ in range(trials):
                await asyncio.to_thread(gw.start)
                await asyncio.sleep(rng.uniform(min_up, max_up))
                await asyncio.to_thread(gw.kill)
                report.trials += 1
            generating = False
            await asyncio.to_thread(gw.start)
            await asyncio.wait_for(asyncio.gather(*workers), timeout=120)
            deciding = False
            await asyncio.wait_for(asyncio.gather(*deciders), timeout=120)
            await _check(gw, sent, accepted, rejected, report)
            await asyncio.to_thread(_check_decisions, gw, decided, answered, report)
            report.violations = len(report.details)
        finally:
            for w in workers + deciders:
                w.cancel()
            await asyncio.to_thread(gw.stop)
    report.sent, report.accepted, report.rejected = len(sent), len(accepted), len(rejected)
    return report


def _check_decisions(
    gw: GatewayProcess,
    decided: dict[str, tuple[str, str]],
    answered: dict[str, str],
    report: KillReport,
) -> None:
    from app.gateway.store import GatewayStore

    store = GatewayStore(f"sqlite:///{gw.data_dir / 'gateway' / 'gateway.sqlite3'}")
    try:
        report.decided = len(decided)
        with store.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM gw_decisions").scalar()
        if stored != len(decided):
            report.details.append(f"{stored} decisions stored for {len(decided)} made")
        journalised = {d for d, action in decided.values() if action == "journalise"}
        queued = {r["decision_id"] for r in store.outbox_rows()}
        if queued != journalised:
            report.details.append(f"outbox {len(queued)} rows for {len(journalised)} decisions")
        for key, (decision_id, action) in decided.items():
            want = "afventer" if action == "journalise" else "afsluttet"
            status = store.decision_status(key)
            if (status.decision_id, status.state) != (decision_id, want):
                report.details.append(f"{key}: {status.decision_id} {status.state} != {want}")
            if answered.get(key) != want:
                report.details.append(f"{key}: answered {answered.get(key)}")
            item = store.fetch(_item_id(store, key), with_memo=False)
            if len(store.outcome_history(item.item_id)) != 1:
                report.details.append(f"{key}: outcome recorded more than once")
    finally:
        store.close()


def _item_id(store: Any, message_uuid: str) -> int:
    page = store.list_after(0, 100_000, with_memo=False)
    return next(i.item_id for i in page.items if i.message_uuid == message_uuid)


async def _check(
    gw: GatewayProcess,
    sent: dict[str, bytes],
    accepted: set[str],
    rejected: set[str],
    report: KillReport,
) -> None:
    from app.sf1606.mailbox_client import MailboxClient

    mb = MailboxClient(
        f"http://127.0.0.1:{gw.port}", municipality_cvr=CVR, user=gw.user, secret=gw.secret
    )
    stored: dict[str, int] = {}
    try:
        cursor, more = 0, True
        while more:
            page = await mb.list_items(cursor, 500)
            for it in page.items:
                key = it.message_uuid.lower()
                stored[key] = stored.get(key, 0) + 1
                if key not in sent:
                    report.details.append(f"stored but never sent: {key}")
                elif it.memo != sent[key]:
                    report.details.append(f"stored bytes differ: {key}")
            cursor, more = page.next_cursor, page.more
    finally:
        await mb.close()
    report.stored = sum(stored.values())
    for key in accepted:
        if stored.get(key, 0) != 1:
            report.details.append(f"accepted, stored {stored.get(key, 0)} times: {key}")
    for key in rejected & stored.keys():
        report.details.append(f"rejected but stored: {key}")
    for key in set(sent) - accepted - rejected:
        report.details.append(f"never answered after redelivery: {key}")
    report.violations = len(report.details)  # updated after the decision checks too
