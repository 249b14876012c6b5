"""Fault injection for the gateway (sandbox and tests only).

A `FaultPlan` decides, per incoming request on a target ("postmodtag", "mailbox" or
"decisions": POST /decisions and GET /items/{uuid}/status), whether to answer HTTP 500, answer
slowly, drop the connection, answer a (retryable) SOAP fault, or — for PostModtag and POST
/decisions — store and then drop the connection (the sender never sees the answer and must
retry; the retry is a duplicate). Each fault has a probability and a "next N requests"
counter. Settable via `GatewayConfig.faults` and `POST /_sandbox/faults` (sandbox mode only).
Never active unless configured.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("drop", "http_500", "soap_fault", "drop_after_store")
TARGETS = ("postmodtag", "mailbox", "decisions")


@dataclass(frozen=True, slots=True)
class FaultDecision:
    slow_seconds: float = 0.0
    action: str | None = None  # one of ACTIONS or None


@dataclass
class FaultPlan:
    http_500: float = 0.0
    drop: float = 0.0
    soap_fault: float = 0.0
    drop_after_store: float = 0.0
    slow: float = 0.0  # probability of a slow answer
    slow_seconds: float = 2.0
    next: dict[str, int] = field(default_factory=dict)  # e.g. {"http_500": 3, "slow": 1}
    targets: tuple[str, ...] = TARGETS
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._rng.seed(self.seed)
        unknown = set(self.next) - set(ACTIONS) - {"slow"}
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        bad_targets = set(self.targets) - set(TARGETS)
        if bad_targets:
            raise ValueError(f"unknown fault target(s): {', '.join(sorted(bad_targets))}")

    @property
    def active(self) -> bool:
        return any(
            v > 0
            for v in (self.http_500, self.drop, self.soap_fault, self.drop_after_store, self.slow)
        ) or any(n > 0 for n in self.next.values())

    def decide(self, target: str) -> FaultDecision:
        if target not in self.targets:
            return FaultDecision()
        applicable = [
            a
            for a in ACTIONS
            if not (a == "soap_fault" and target != "mailbox")
            and not (a == "drop_after_store" and target not in ("postmodtag", "decisions"))
        ]
        with self._lock:
            slow = 0.0
            if self.next.get("slow", 0) > 0:
                self.next["slow"] -= 1
                slow = self.slow_seconds
            elif self.slow > 0 and self._rng.random() < self.slow:
                slow = self.slow_seconds
            for action in applicable:
                if self.next.get(action, 0) > 0:
                    self.next[action] -= 1
                    return FaultDecision(slow, action)
            for action in applicable:
                p = getattr(self, action)
                if p > 0 and self._rng.random() < p:
                    return FaultDecision(slow, action)
            return FaultDecision(slow, None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "http_500": self.http_500,
            "drop": self.drop,
            "soap_fault": self.soap_fault,
            "drop_after_store": self.drop_after_store,
            "slow": self.slow,
            "slow_seconds": self.slow_seconds,
            "next": dict(self.next),
            "targets": list(self.targets),
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        known = {
            "http_500",
            "drop",
            "soap_fault",
            "drop_after_store",
            "slow",
            "slow_seconds",
            "next",
            "targets",
            "seed",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown key(s): {', '.join(sorted(unknown))}")
        kwargs: dict[str, Any] = {}
        for key in ("http_500", "drop", "soap_fault", "drop_after_store", "slow", "slow_seconds"):
            if key in data:
                value = float(data[key])
                if value < 0 or (key != "slow_seconds" and value > 1):
                    raise ValueError(f"{key} out of range")
                kwargs[key] = value
        if "next" in data:
            kwargs["next"] = {str(k): int(v) for k, v in dict(data["next"]).items()}
        if "targets" in data:
            kwargs["targets"] = tuple(str(t) for t in data["targets"])
        if data.get("seed") is not None:
            kwargs["seed"] = int(data["seed"])
        return cls(**kwargs)
