"""Routing rules: where a letter that belongs elsewhere can be forwarded.

The receiving systems come from SF2900 `FordelingsmodtagerList`, asked once per KLE main group
of `RoutingRules.forward_kle`; the department's own subjects (`own_kle_prefix`, KLE 27 "Børn og
unge") are left out, since forwarding is for letters that are not ours. The gateway asks
(`app.gateway.receivers`, it holds the Serviceplatformen credentials) and serves the list at
`GET /receivers`; the desktop asks the gateway when the distributor opens "Videresend".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("postfordeler.dubu.routing")

# KLE main groups asked for receiving systems when forwarding (FordelingsmodtagerList).
FORWARD_KLE: tuple[str, ...] = (
    "00.00.00",
    "02.00.00",
    "09.00.00",
    "15.00.00",
    "17.00.00",
    "23.00.00",
    "25.00.00",
    "28.00.00",
    "29.00.00",
    "32.00.00",
)
# The department's own KLE subjects (27: children and young people's services).
OWN_KLE_PREFIX = "27."


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """Which KLE subjects to ask SF2900 about, and which are the department's own."""

    forward_kle: tuple[str, ...] = FORWARD_KLE
    own_kle_prefix: str = OWN_KLE_PREFIX

    def is_own(self, kle: str) -> bool:
        return kle.startswith(self.own_kle_prefix)


class ReceivingSystem(Protocol):
    """One entry of FordelingsmodtagerList (`app.dubu.sf2900_client.Receiver`)."""

    @property
    def system_uuid(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def kle(self) -> str: ...


class ReceiverDirectory(Protocol):
    """What routing needs of the SF2900 client (`Sf2900Client.receivers`)."""

    async def receivers(self, kle: str) -> Sequence[ReceivingSystem]: ...


async def forward_receivers(
    sf2900: ReceiverDirectory | None,
    rules: RoutingRules | None = None,
    *,
    failed: list[str] | None = None,
) -> list[tuple[str, str]]:
    """(system uuid, name) of every receiving system for the rules' KLE subjects except the
    department's own, each once, sorted by name. A KLE subject whose look-up fails is skipped
    (the others still count) and appended to `failed`; no SF2900 client: no receivers."""
    if sf2900 is None:
        return []
    rules = rules or RoutingRules()
    results = await asyncio.gather(
        *(sf2900.receivers(kle) for kle in rules.forward_kle), return_exceptions=True
    )
    found: dict[str, tuple[str, str]] = {}
    for kle, result in zip(rules.forward_kle, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("receivers for KLE %s not available: %s", kle, type(result).__name__)
            if failed is not None:
                failed.append(kle)
            continue
        for system in result:
            if not rules.is_own(system.kle):
                found.setdefault(system.system_uuid, (system.system_uuid, system.name))
    return sorted(found.values(), key=lambda receiver: receiver[1])


def suggested_receiver(receivers: Sequence[tuple[str, str]], suggestion: str | None) -> str | None:
    """The id of the receiver the suggestion engine's forwarding hint names (its text, e.g.
    "Jobcenter", occurs in the receiver's name), or None."""
    if not suggestion:
        return None
    wanted = suggestion.lower()
    return next((rid for rid, name in receivers if wanted in name.lower()), None)
