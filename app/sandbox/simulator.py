"""Postkomponent simulator: delivers MeMo messages to a receiving system's EP_FS1 PostModtag.

It plays Digital Post's Postkomponent for the sandbox and for load/kill tests: each message is
POSTed over real HTTPS with the Postkomponent's client certificate (httpx.AsyncClient with
`ssl_context`, e.g. `app.sf1606.tls.pem_client_context`; plain HTTP against a plain gateway) with `x-TransaktionsId` / `x-TransaktionsTid`
(wire mapping in app/sf1606/postmodtag.py), optionally at a fixed rate, with a few deliveries
in flight. Like the Postkomponent it redelivers, with the SAME transaction id, when the call
fails on the network, times out or gets a temporary reject (HTTP 503 "midlertidig"); it does
not retry a business reject. `SimulatorStats` counts what happened.

Never logs message content; only counts, codes and UUIDs.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.sf1606 import postmodtag as pm

log = logging.getLogger("postfordeler.sandbox.simulator")


@dataclass(slots=True)
class SimulatorStats:
    offered: int = 0  # messages handed to the simulator
    accepted: int = 0  # accepted (including duplicates)
    duplicates: int = 0  # accepted as "already received"
    rejected: int = 0  # business rejects (not retried)
    failed: int = 0  # gave up after max_attempts
    retries: int = 0
    reject_codes: Counter[str] = field(default_factory=Counter)
    accepted_uuids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.accepted + self.rejected + self.failed

    def to_json(self) -> dict[str, object]:
        return {
            "offered": self.offered,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "failed": self.failed,
            "retries": self.retries,
            "reject_codes": dict(self.reject_codes),
            "seconds": round(self.seconds, 3),
        }


def message_files(folder: Path) -> list[Path]:
    """The `*.xml` files of a folder, sorted by name (deterministic delivery order)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".xml")


class PostkomponentSimulator:
    def __init__(
        self,
        postmodtag_url: str,
        *,
        rate: float | None = None,
        concurrency: int = 4,
        max_attempts: int = 30,
        timeout: float = 30.0,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
        seed: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """`ssl_context`: presents the client certificate and verifies the gateway (None:
        httpx's default verification, no client certificate)."""
        self.url = postmodtag_url
        self.ssl_context = ssl_context
        self.rate = rate if rate and rate > 0 else None
        self.concurrency = max(1, concurrency if self.rate is None else max(concurrency, 8))
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.stats = SimulatorStats()
        self._rng = random.Random(seed)

    async def push(
        self, messages: Iterable[bytes | Path] | AsyncIterable[bytes | Path]
    ) -> SimulatorStats:
        """Deliver every message (bytes, or a file path read lazily); return the stats."""
        t0 = time.perf_counter()
        queue: asyncio.Queue[bytes | Path | None] = asyncio.Queue(maxsize=self.concurrency * 2)
        async with self.client() as client:
            workers = [
                asyncio.create_task(self._worker(client, queue)) for _ in range(self.concurrency)
            ]
            try:
                interval = 1.0 / self.rate if self.rate else 0.0
                next_at = time.monotonic()
                if isinstance(messages, AsyncIterable):
                    async for m in messages:
                        next_at = await self._pace(next_at, interval)
                        self.stats.offered += 1
                        await queue.put(m)
                else:
                    for m in messages:
                        next_at = await self._pace(next_at, interval)
                        self.stats.offered += 1
                        await queue.put(m)
                for _ in workers:
                    await queue.put(None)
                await asyncio.gather(*workers)
            finally:
                for w in workers:
                    w.cancel()
        self.stats.seconds += time.perf_counter() - t0
        return self.stats

    def client(self) -> httpx.AsyncClient:
        """An HTTP client for `deliver` (TLS with this simulator's certificate)."""
        verify: ssl.SSLContext | bool = self.ssl_context if self.ssl_context is not None else True
        return httpx.AsyncClient(timeout=self.timeout, verify=verify)

    @staticmethod
    async def _pace(next_at: float, interval: float) -> float:
        if interval <= 0:
            return next_at
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        return max(next_at, time.monotonic() - interval) + interval

    async def _worker(
        self, client: httpx.AsyncClient, queue: asyncio.Queue[bytes | Path | None]
    ) -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            body = await asyncio.to_thread(item.read_bytes) if isinstance(item, Path) else item
            await self.deliver(client, body)

    async def deliver(self, client: httpx.AsyncClient, body: bytes) -> pm.Receipt | None:
        """One message, redelivered with the same transaction id until a final answer."""
        transaction_id = str(uuid.uuid4())
        delay = self.backoff
        for attempt in range(1, self.max_attempts + 1):
            try:
                resp = await client.post(
                    self.url, content=body, headers=pm.request_headers(transaction_id)
                )
                receipt = pm.receipt_from_http(resp.status_code, resp.content)
            except httpx.HTTPError as exc:
                receipt = None
                log.debug("delivery attempt %d failed: %s", attempt, type(exc).__name__)
            if receipt is not None and not receipt.retryable:
                if receipt.accepted:
                    self.stats.accepted += 1
                    self.stats.duplicates += int(receipt.duplicate)
                    if receipt.message_uuid:
                        self.stats.accepted_uuids.append(receipt.message_uuid)
                else:
                    self.stats.rejected += 1
                    self.stats.reject_codes[receipt.code or "ukendt"] += 1
                    log.info("message rejected: %s", receipt.code)
                return receipt
            if attempt == self.max_attempts:
                break
            self.stats.retries += 1
            await asyncio.sleep(delay * (0.5 + self._rng.random()))
            delay = min(self.max_backoff, delay * 2)
        self.stats.failed += 1
        log.warning("gave up delivering a message after %d attempts", self.max_attempts)
        return None
