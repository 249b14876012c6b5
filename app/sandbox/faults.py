"""Fault injection for the sandbox's remote parties (SF2900 service, DUBU directory).

A `FaultPlan` holds rules such as "the next 3 calls answer HTTP 500" or "every call is slow by
2 s with probability 0.3". A service asks `plan.draw(operation)` once per call and acts on the
rule it gets. Rules come from the constructor or from JSON posted to the service's faults URL:

    {"kind": "http500", "count": 2}
    {"kind": "slow", "seconds": 3, "probability": 0.5, "operations": ["FordelingsobjektAfsend"]}
    {"kind": "afvist", "count": 1, "reason": "Sagen er lukket"}
    {"clear": true}                       # remove every rule
    [{...}, {...}]                        # several rules at once

Kinds: http500, slow, drop (the connection is closed without an answer), drop_after_record
(SF2900 only: the object IS recorded, then the connection is closed — the sender never sees
the receipt and must retry; the retry is a DUPLIKAT), soap_fault (a generic
Serviceplatformen fault), transport_fejl (SF2900 TransportKvittering FEJL), afvist and fejlet
(the business receipt, SF2900's callback, says AFVIST / FEJLET). Only the SF2900 service
understands the last four, and the business-receipt kinds (`RECEIPT_KINDS`): receipt_afvist / receipt_fejlet (the callback
says AFVIST / FEJLET), duplicate_receipt (the callback comes twice), drop_receipt (never).

Without `count` and `probability` a rule fires on every call until cleared. The plan is used from
one event loop; it never sleeps itself and never touches the network.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = frozenset(
    {
        "http500",
        "slow",
        "drop",
        "drop_after_record",
        "soap_fault",
        "transport_fejl",
        "afvist",
        "fejlet",
    }
)
# SF2900's business receipt (the callback to the sender's FordelingskvitteringModtag): AFVIST /
# FEJLET instead of ACCEPTERET, the receipt delivered twice, or never. Drawn only when SF2900
# calls back (`draw(..., RECEIPT_KINDS)`), never by a synchronous call.
RECEIPT_KINDS = frozenset({"receipt_afvist", "receipt_fejlet", "duplicate_receipt", "drop_receipt"})
ALL_KINDS = KINDS | RECEIPT_KINDS


@dataclass(slots=True)
class FaultRule:
    kind: str
    count: int | None = None  # fire on the next N matching calls; None = unlimited
    probability: float | None = None  # fire with this probability; None = always
    seconds: float = 2.0  # for "slow"
    reason: str = ""  # text for soap_fault / transport_fejl / afvist / fejlet
    code: str = ""  # error code for the same kinds
    operations: tuple[str, ...] = ()  # empty = every operation
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ALL_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {sorted(ALL_KINDS)})")
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be in [0, 1]")
        self.operations = tuple(self.operations)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        ops = data.get("operations") or data.get("operation") or ()
        if isinstance(ops, str):
            ops = (ops,)
        return cls(
            kind=str(data["kind"]),
            count=None if data.get("count") is None else int(data["count"]),
            probability=None if data.get("probability") is None else float(data["probability"]),
            seconds=float(data.get("seconds", 2.0)),
            reason=str(data.get("reason", "")),
            code=str(data.get("code", "")),
            operations=tuple(str(o) for o in ops),
        )

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["operations"] = list(self.operations)
        return d

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count


@dataclass(slots=True)
class FaultPlan:
    rules: list[FaultRule] = field(default_factory=list)
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def of(
        cls, rules: Iterable[FaultRule | Mapping[str, Any]] | None, seed: int | None = None
    ) -> FaultPlan:
        plan = cls(seed=seed)
        for rule in rules or ():
            plan.add(rule)
        return plan

    def add(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        r = rule if isinstance(rule, FaultRule) else FaultRule.from_json(rule)
        self.rules.append(r)
        return r

    def clear(self) -> None:
        self.rules.clear()

    def apply_json(self, payload: Any) -> None:
        """Apply a JSON document posted to a faults URL (see the module docstring)."""
        items = payload if isinstance(payload, list) else [payload]
        for item in items:
            if not isinstance(item, Mapping):
                raise TypeError("each fault must be a JSON object")
            if item.get("clear"):
                self.clear()
                if "kind" not in item:
                    continue
            self.add(item)

    def draw(self, operation: str, kinds: frozenset[str] = KINDS) -> FaultRule | None:
        """The rule that fires for this call, or None. Counts the firing."""
        self.rules = [r for r in self.rules if not r.exhausted]
        for rule in self.rules:
            if rule.kind not in kinds:
                continue
            if rule.operations and operation not in rule.operations:
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.fired += 1
            return rule
        return None

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.rules if not r.exhausted]
