"""Gateway benchmarks (the gateway runs as its own `postfordeler gateway serve` process).

- postmodtag: EP_FS1 receipt latency at a steady 20 requests/s, XSD validation on, 300 corpus
  messages each with a fresh messageUUID → `postmodtag_p50_ms`, `postmodtag_p99_ms`.
- postmodtag_tls: the same over HTTPS with mutual TLS (the Postkomponent simulator's pinned
  client certificate from the sandbox test CA) → `postmodtag_tls_p50_ms`, `postmodtag_tls_p99_ms`
  (goal < 100 ms) on kept-alive connections, and `postmodtag_tls_newconn_p99_ms` with a fresh
  TLS handshake for every delivery.
- postmodtag_nodes: EP_FS1 throughput on PostgreSQL over mutual TLS with XSD validation, as
  many deliveries in flight as `concurrency` (16), the corpus twice with fresh messageUUIDs,
  for one gateway node and for two nodes on the same database, round robin (no balancer) →
  `postmodtag_per_s_1node`, `postmodtag_per_s_2nodes`, `postmodtag_per_s` (= the one-node
  figure). PostgreSQL: $POSTFORDELER_TEST_PG_URL, else a throwaway server (tests/pg_server.py).
- mailbox_list: list the whole corpus (300 messages, 7.9 MB) through `MailboxClient` (zeep) only,
  no cache → `mailbox_list_msgs_per_s` (median of 5 full passes, page size 200).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus" / "messages"
UUID_RE = re.compile(rb"(<memo:messageUUID>)([^<]+)(</memo:messageUUID>)")
USER, SECRET, CVR = "bench", "bench-secret", "29189129"


class _Gateway:
    def __init__(self, data_dir: str, *extra: str) -> None:
        env = dict(os.environ, POSTFORDELER_DATA_DIR=data_dir)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "gateway", "serve", "--user", USER, *extra],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(SECRET + "\n")
        self.proc.stdin.close()
        self.endpoints = json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _files() -> list[bytes]:
    return [p.read_bytes() for p in sorted(CORPUS.glob("*.xml"))]


def _fresh(data: bytes) -> bytes:
    return UUID_RE.sub(
        lambda m: m.group(1) + str(uuid.uuid4()).encode() + m.group(3), data, count=1
    )


def _latencies(url: str, bodies: list[bytes], rate: float, **client_kw: Any) -> list[float]:
    """Deliver `bodies` to EP_FS1 at a steady `rate` per second; sorted receipt latencies (ms)."""
    import httpx

    from app.sf1606 import postmodtag as pm

    async def run() -> list[float]:
        latencies: list[float] = []
        async with httpx.AsyncClient(timeout=60, **client_kw) as client:
            for warm in bodies[:5]:  # warm up schemas and connections
                await client.post(url, content=_fresh(warm), headers=pm.request_headers())

            async def one(body: bytes) -> None:
                started = time.perf_counter()
                resp = await client.post(url, content=body, headers=pm.request_headers())
                latencies.append((time.perf_counter() - started) * 1000)
                assert pm.receipt_from_http(resp.status_code, resp.content).accepted

            tasks = []
            start = time.perf_counter()
            for n, body in enumerate(bodies):
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(body)))
            await asyncio.gather(*tasks)
        return latencies

    return sorted(asyncio.run(run()))


def _p99(lat: list[float]) -> float:
    return round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2)


def bench_postmodtag(rate: float = 20.0) -> dict[str, float]:
    bodies = [_fresh(d) for d in _files()]
    with tempfile.TemporaryDirectory() as tmp:
        gw = _Gateway(tmp)
        try:
            lat = _latencies(gw.endpoints["postmodtag"], bodies, rate)
        finally:
            gw.stop()
    return {
        "postmodtag_p50_ms": round(statistics.median(lat), 2),
        "postmodtag_p99_ms": _p99(lat),
        "postmodtag_requests": len(lat),
    }


def bench_postmodtag_tls(rate: float = 20.0) -> dict[str, float]:
    import httpx

    from app.sandbox.certs import SandboxCertificates
    from app.sf1606.tls import pem_client_context

    with tempfile.TemporaryDirectory() as tmp:
        certs = SandboxCertificates.ensure(Path(tmp) / "tls", municipality_cvr=CVR)
        sender = certs.postkomponent
        gw = _Gateway(
            tmp,
            *("--tls-cert", str(certs.server.cert), "--tls-key", str(certs.server.key)),
            *("--client-ca", str(certs.ca), "--pin", sender.peer.pin()),
        )
        try:
            url = gw.endpoints["postmodtag"]
            assert url.startswith("https://")
            ctx = pem_client_context(sender.cert, sender.key, certs.ca)
            kept = _latencies(url, [_fresh(d) for d in _files()], rate, verify=ctx)
            fresh = _latencies(
                url,
                [_fresh(d) for d in _files()],
                rate,
                verify=ctx,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        finally:
            gw.stop()
    return {
        "postmodtag_tls_p50_ms": round(statistics.median(kept), 2),
        "postmodtag_tls_p99_ms": _p99(kept),
        "postmodtag_tls_newconn_p99_ms": _p99(fresh),
        "postmodtag_tls_requests": len(kept) + len(fresh),
    }


def _throughput(urls: list[str], bodies: list[bytes], concurrency: int, **client_kw: Any) -> float:
    """Deliver every body (round robin over `urls`), `concurrency` at a time; accepted per s."""
    import httpx

    from app.sf1606 import postmodtag as pm

    async def run() -> float:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(timeout=120, limits=limits, **client_kw) as client:
            for n, warm in enumerate(bodies[:10]):  # schemas, connections, pools
                await client.post(
                    urls[n % len(urls)], content=_fresh(warm), headers=pm.request_headers()
                )
            queue = list(enumerate(bodies))
            queue.reverse()

            async def worker() -> None:
                while queue:
                    n, body = queue.pop()
                    resp = await client.post(
                        urls[n % len(urls)], content=body, headers=pm.request_headers()
                    )
                    receipt = pm.receipt_from_http(resp.status_code, resp.content)
                    assert receipt.accepted and not receipt.duplicate, receipt

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return len(bodies) / (time.perf_counter() - started)

    return asyncio.run(run())


def bench_postmodtag_nodes(concurrency: int = 16, repeats: int = 3) -> dict[str, float]:
    """Two nodes started once on an empty database; one-node and two-node runs alternate
    `repeats` times (the corpus each, fresh messageUUIDs) so load from elsewhere on the
    machine hits both alike; the medians are reported. In a one-node run the other node idles."""
    from tests.gateway_nodes import GatewayNode, Pki, empty_database
    from tests.pg_server import PgServer

    server = None
    url = os.environ.get("POSTFORDELER_TEST_PG_URL")
    if not url:
        server = PgServer()
        if not server.available:
            raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        url = server.start()
    rates: dict[str, list[float]] = {"1node": [], "2nodes": []}
    requests = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            pki = Pki.create(work / "tls")
            empty_database(url)
            nodes = [GatewayNode(f"node-{n}", work, url, pki) for n in range(2)]
            try:
                for node in nodes:
                    node.start()
                urls = [node.postmodtag_url for node in nodes]
                for _ in range(repeats):
                    for label, targets in (("1node", urls[:1]), ("2nodes", urls)):
                        bodies = [_fresh(d) for d in _files()]
                        requests += len(bodies)
                        rates[label].append(
                            _throughput(targets, bodies, concurrency, verify=pki.sender_context())
                        )
            finally:
                for node in nodes:
                    node.stop()
            empty_database(url)
    finally:
        if server is not None:
            server.stop()
    one = round(statistics.median(rates["1node"]), 1)
    return {
        "postmodtag_per_s_1node": one,
        "postmodtag_per_s_2nodes": round(statistics.median(rates["2nodes"]), 1),
        "postmodtag_per_s": one,
        "postmodtag_nodes_requests": requests,
    }


def bench_mailbox_list(passes: int = 5, page: int = 200) -> dict[str, float]:
    import httpx

    from app.sf1606.mailbox_client import MailboxClient

    bodies = _files()
    with tempfile.TemporaryDirectory() as tmp:
        gw = _Gateway(tmp)
        try:
            with httpx.Client(timeout=60) as http:
                for body in bodies:
                    http.post(gw.endpoints["postmodtag"], content=body)

            async def run() -> list[float]:
                client = MailboxClient(
                    gw.endpoints["gateway"], municipality_cvr=CVR, user=USER, secret=SECRET
                )
                rates = []
                try:
                    await client.list_items(10**9)  # WSDL load + auth warm-up, no items
                    for _ in range(passes):
                        started = time.perf_counter()
                        cursor, n = 0, 0
                        while True:
                            result = await client.list_items(cursor, page)
                            n += len(result.items)
                            cursor = result.next_cursor
                            if not result.more:
                                break
                        assert n == len(bodies)
                        rates.append(n / (time.perf_counter() - started))
                finally:
                    await client.close()
                return rates

            rates = asyncio.run(run())
        finally:
            gw.stop()
    return {"mailbox_list_msgs_per_s": round(statistics.median(rates), 1)}


BENCHMARKS = {
    "postmodtag": bench_postmodtag,
    "postmodtag_tls": bench_postmodtag_tls,
    "postmodtag_nodes": bench_postmodtag_nodes,
    "mailbox_list": bench_mailbox_list,
}

if __name__ == "__main__":
    for name, fn in BENCHMARKS.items():
        print(name, fn())
