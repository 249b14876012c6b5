"""Client sync throughput and crash-safety figures.

- "sync": `sync_msgs_per_s` end to end — a fresh gateway (its own process, SQLite in a temp dir,
  XSD validation on receipt) gets the corpus through EP_FS1; then only the sync is timed:
  zeep mailbox pages → read_memo (thread pool) → one SQLite transaction per page, into a fresh
  cache. Median of 3 runs over the 300-message corpus, plus one run over the corpus replicated
  with new UUIDs to 3,000 messages (`sync_msgs_per_s_3000`) for a stable figure. Goal >= 1,000.
- "kill_sync" / "kill_outbox": the SIGKILL harness of tests/test_kill.py with
  `$POSTFORDELER_KILL_TRIALS` trials (default 50): trials, kills and invariant violations.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "messages"
if not CORPUS.exists():
    CORPUS = REPO / "resources" / "sandbox" / "messages"

_UUID_RE = re.compile(rb"(messageUUID>)([0-9a-fA-F-]{36})(<)")

_GATEWAY_SCRIPT = """
import asyncio, json, os, sys
from app.gateway.server import GatewayConfig, start_gateway
async def main():
    gw = await start_gateway(GatewayConfig(db_url=sys.argv[1], users={"bench": os.environ["BENCH_SECRET"]}))
    print(json.dumps({"base_url": gw.base_url, "postmodtag": gw.postmodtag_url}), flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def replicate(data: bytes) -> tuple[str, bytes]:
    """The same message under a fresh v4 messageUUID (only the header's, the first one)."""
    new = str(uuid.uuid4())
    return new, _UUID_RE.sub(lambda m: m.group(1) + new.encode() + m.group(3), data, count=1)


class GatewayProcess:
    def __init__(self, workdir: Path) -> None:
        self.secret = secrets.token_urlsafe(16)
        env = {**os.environ, "BENCH_SECRET": self.secret}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _GATEWAY_SCRIPT, f"sqlite:///{workdir / 'gateway.sqlite3'}"],
            stdout=subprocess.PIPE,
            env=env,
            cwd=str(REPO),
        )
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("gateway did not start")
        info = json.loads(line)
        self.base_url, self.postmodtag = info["base_url"], info["postmodtag"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def _push(url: str, bodies: list[bytes], concurrency: int = 16) -> int:
    import httpx

    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(body: bytes) -> bool:
            async with sem:
                r = await http.post(
                    url,
                    content=body,
                    headers={
                        "Content-Type": "application/xml",
                        "x-TransaktionsId": str(uuid.uuid4()),
                    },
                )
                return r.status_code == 200

        return sum(await asyncio.gather(*(one(b) for b in bodies)))


async def _time_sync(
    base_url: str, secret: str, cache_path: Path, page_size: int
) -> tuple[int, float]:
    from app.core.sync import sync_once
    from app.core.worker import DbWorker
    from app.models.cache import Cache
    from app.models.db import open_cache
    from app.sf1606.mailbox_client import MailboxClient

    db = open_cache(cache_path)
    cache = Cache(db)
    worker = DbWorker()
    client = MailboxClient(base_url, municipality_cvr="66272311", user="bench", secret=secret)
    try:
        await client.list_items(0, 1)  # load the WSDL and authenticate outside the timing
        started = time.perf_counter()
        res = await sync_once(client, cache, page_size=page_size, worker=worker)
        return res.new, time.perf_counter() - started
    finally:
        await client.close()
        worker.close()
        db.engine.dispose()


def bench_sync(page_size: int = 100) -> dict[str, float | int]:
    bodies = [p.read_bytes() for p in sorted(CORPUS.glob("*.xml"))]
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        gw = GatewayProcess(work)
        try:
            accepted = asyncio.run(_push(gw.postmodtag, bodies))
            rates = []
            for run in range(3):
                n, seconds = asyncio.run(
                    _time_sync(gw.base_url, gw.secret, work / f"c{run}.sqlite3", page_size)
                )
                assert n == accepted, (n, accepted)
                rates.append(n / seconds)
            figures["sync_msgs_per_s"] = round(statistics.median(rates), 1)
            figures["sync_mb_per_s"] = round(
                figures["sync_msgs_per_s"] * (sum(map(len, bodies)) / len(bodies)) / 1e6, 1
            )
            figures["sync_corpus_msgs"] = accepted
        finally:
            gw.stop()
        # 3,000 messages: the corpus replicated 10x with fresh UUIDs, on a fresh gateway
        work3 = work / "x10"
        work3.mkdir()
        gw = GatewayProcess(work3)
        try:
            many = bodies + [replicate(b)[1] for _ in range(9) for b in bodies]
            accepted = asyncio.run(_push(gw.postmodtag, many))
            n, seconds = asyncio.run(
                _time_sync(gw.base_url, gw.secret, work3 / "c.sqlite3", page_size)
            )
            assert n == accepted == len(many), (n, accepted)
            figures["sync_msgs_per_s_3000"] = round(n / seconds, 1)
            figures["sync_3000_seconds"] = round(seconds, 2)
        finally:
            gw.stop()
    return figures


def _kill(which: str) -> dict[str, float | int]:
    sys.path.insert(0, str(REPO))
    from tests.keyring_backend import shared_keyring
    from tests.test_kill import run_kill_outbox, run_kill_sync

    trials = int(os.environ.get("POSTFORDELER_KILL_TRIALS", "50"))
    # the harness's processes share an in-memory keyring (never the shell's, never a file)
    with tempfile.TemporaryDirectory() as tmp, shared_keyring():
        fn = run_kill_sync if which == "sync" else run_kill_outbox
        report = fn(
            Path(tmp), trials=trials, seed=int(os.environ.get("POSTFORDELER_KILL_SEED", "1"))
        )
    if report.violations:
        print("\n".join(report.violations[:20]), file=sys.stderr)
    return {
        f"kill_{which}_trials": report.trials,
        f"kill_{which}_kills_mid_work": report.kills_mid_work,
        **({f"kill_{which}_kills_in_flight": report.kills_in_flight} if which == "outbox" else {}),
        f"kill_{which}_violations": len(report.violations),
        f"kill_{which}_checked": report.checked,
    }


BENCHMARKS = {
    "sync": bench_sync,
    "kill_sync": lambda: _kill("sync"),
    "kill_outbox": lambda: _kill("outbox"),
}
