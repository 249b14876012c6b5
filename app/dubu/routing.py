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
import re
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
# Children and youth, general: the routing KLE of a DOKUMENT when no case gives one (also the
# subject a new case gets unless the distributor names another, "Opret ny sag").
DEFAULT_KLE = "27.24.00"


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
    kles: dict[str, list[str]] | None = None,
) -> list[tuple[str, str]]:
    """(system uuid, name) of every receiving system for the rules' KLE subjects except the
    department's own, each once, sorted by name. A KLE subject whose look-up fails is skipped
    (the others still count) and appended to `failed`; no SF2900 client: no receivers.
    `kles` (when given) gets, per system uuid, the KLE subjects it was listed for."""
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
                if kles is not None:
                    listed = kles.setdefault(system.system_uuid, [])
                    if (system.kle or kle) not in listed:
                        listed.append(system.kle or kle)
    return sorted(found.values(), key=lambda receiver: receiver[1])


# Words that say nothing about which department a receiver is.
_NOISE = frozenset({"og", "i", "for", "af", "til", "med", "kommune", "sbsys", "kmd", "the", "and"})
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})


def _words(text: str) -> list[str]:
    folded = text.lower().translate(_FOLD)
    return [w for w in re.findall(r"[a-z0-9]+", folded) if w not in _NOISE and len(w) > 1]


def _alike(a: str, b: str) -> bool:
    """Two words name the same thing: equal, one a prefix (3+ letters) of the other, or a
    common stem of 5+ letters ("byggeri" / "byggesag", "aeldreplejen" / "aeldre")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and long_.startswith(short):
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 5


def _main_group(kle: str) -> str:
    return kle.strip()[:2]


def suggested_receiver(
    receivers: Sequence[tuple[str, ...]],
    suggestion: str | None,
    kle: str | None = None,
    receiver_kles: dict[str, Sequence[str]] | None = None,
) -> str | None:
    """The id of the receiver the suggestion engine's forwarding hint names, or None.

    By KLE first: the receivers SF2900 lists for the hint's KLE main group (`kle`, e.g.
    "02.00.00"; `receiver_kles` maps a receiver id to the KLE subjects it was listed for). One
    such receiver is the answer; several are told apart by name. Else by name: the hint's first
    word (its department, "Byggeri" of "Byggeri (Teknik og Miljø)") must be alike a word of
    exactly one receiver's name. Never a receiver by default: no match (or a tie) is None."""
    if not receivers or not (suggestion or kle):
        return None
    ids = [r[0] for r in receivers]
    names = {r[0]: r[1] for r in receivers}
    wanted = _words(suggestion or "")
    if kle and receiver_kles:
        group = _main_group(kle)
        by_kle = [
            rid for rid in ids if any(_main_group(k) == group for k in receiver_kles.get(rid, ()))
        ]
        if len(by_kle) == 1:
            return by_kle[0]
        if by_kle:
            named = _by_name(by_kle, names, wanted)
            return named
    return _by_name(ids, names, wanted)


def _by_name(ids: Sequence[str], names: dict[str, str], wanted: list[str]) -> str | None:
    if not wanted:
        return None
    head = wanted[0]
    hits = [rid for rid in ids if any(_alike(head, w) for w in _words(names[rid]))]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:  # the rest of the hint breaks the tie, else nobody is guessed
        scored = sorted(
            (
                (sum(any(_alike(a, b) for b in _words(names[rid])) for a in wanted), rid)
                for rid in hits
            ),
            reverse=True,
        )
        if scored[0][0] > scored[1][0]:
            return scored[0][1]
    return None
