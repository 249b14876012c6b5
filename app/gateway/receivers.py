"""The receiving systems Videresend offers, asked of SF2900 by the gateway.

Desktops hold no Serviceplatformen certificate or token, so they cannot ask SF2900's
`FordelingsmodtagerList` themselves: the gateway asks it with its own security (the STS token
or AuthorityContext of its delivery settings) for each KLE subject of the routing rules and
serves the merged list at `GET /receivers`. The list changes rarely (a municipality's receiving
systems are set up in Serviceplatformen's administration), so it is kept for `ttl` seconds; a
round in which every look-up failed is not kept, so the next request asks again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from app.dubu.routing import ReceiverDirectory, RoutingRules, forward_receivers

RECEIVERS_PATH = "/receivers"
DEFAULT_TTL = 3600.0


class ReceiversUnavailable(Exception):
    """No receiver could be looked up (SF2900 unreachable or refusing)."""


class CachedReceivers:
    """`await get()`: (system uuid, name) of every receiving system for forwarding."""

    def __init__(
        self,
        directory: ReceiverDirectory,
        rules: RoutingRules | None = None,
        *,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self.directory = directory
        self.rules = rules or RoutingRules()
        self.ttl = ttl
        self.lookups = 0  # rounds asked of SF2900 (tests check the cache with it)
        self._value: list[tuple[str, str]] | None = None
        # system uuid -> the KLE subjects SF2900 listed it for (the desktop's preselection)
        self.kles: dict[str, list[str]] = {}
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> Sequence[tuple[str, str]]:
        async with self._lock:  # one round at a time; waiters take its result
            if self._value is not None and time.monotonic() - self._at < self.ttl:
                return self._value
            self.lookups += 1
            failed: list[str] = []
            kles: dict[str, list[str]] = {}
            found = await forward_receivers(self.directory, self.rules, failed=failed, kles=kles)
            self.kles = kles
            if failed and len(failed) == len(self.rules.forward_kle):
                raise ReceiversUnavailable("SF2900 svarede ikke på opslag af modtagersystemer")
            if not failed:
                self._value, self._at = found, time.monotonic()
            return found

    def invalidate(self) -> None:
        self._value = None
