"""The municipality's workflow, decided in one place: the gateway's policy (issue 11, point 3).

An administrator sets it (`PUT /policy`, `postfordeler policy set`); every `set` is a new
version in the store (`gw_policy`: author, time, reason) and an entry in the access log. It says

- per contact point which kinds of post Postfordeler receives (`retursvar`, `nyhenvendelse`,
  `videresendt`); a contact point not named follows `"*"`. Post of another kind is refused at
  EP_FS1 with a permanent NOT_ALLOWED receipt (`app.sf1606.postmodtag.CODE_POLICY`);
- which of the seed's options distributors have: `reject`, `journalise`, `assign` (any
  combination); a caseworker always journalises what was assigned to them;
- which receiving systems a forward may go to (`"*"` = every one SF2900 lists, `[]` = no
  forwarding); `GET /receivers` lists only those and `POST /decisions` refuses the rest;
- the journaliseringsfrist in working days (default 2), used by `GET /backlog`;
- the claim caps (`app.gateway.authz`): a lease lasts at most `max_claim_minutes` (default 30;
  a longer one is clamped) and a user holds at most `max_claims_per_user` live claims (10).

Policy JSON (what `GET /policy` answers inside {"version", "author", "at", "reason", "policy"}):

    {"contact_points": {"*": ["retursvar", "nyhenvendelse", "videresendt"],
                        "<contact point id>": ["retursvar"]},
     "distributor_actions": ["reject", "journalise", "assign"],
     "forward_receivers": "*",
     "journaliseringsfrist_workdays": 2,
     "max_claim_minutes": 30, "max_claims_per_user": 10}

Pure: no I/O; refusals are `PolicyError` (one Danish line) or `Refusal` values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

KINDS: Final = ("retursvar", "nyhenvendelse", "videresendt")
KIND_LABELS: Final = {
    "retursvar": "retursvar",
    "nyhenvendelse": "nyhenvendelser",
    "videresendt": "videresendt post",
}
# the seed's options for distributors (forwarding is governed by `forward_receivers`)
DISTRIBUTOR_ACTIONS: Final = ("reject", "journalise", "assign")
ACTION_LABELS: Final = {
    "reject": "afvise",
    "journalise": "journalisere",
    "assign": "fordele til sagsbehandlere",
    "forward": "videresende",
}
# a decision's action -> the policy option it needs
_OPTION_OF: Final = {
    "reject": "reject",
    "journalise": "journalise",
    "journal_note": "journalise",
    "assign": "assign",
    "forward": "forward",
}
ALL: Final = "*"
DEFAULT_FRIST: Final = 2
MAX_FRIST: Final = 60
MAX_CONTACT_POINTS: Final = 2000
MAX_RECEIVERS: Final = 500
MAX_REASON: Final = 500
DEFAULT_MAX_CLAIM_MINUTES: Final = 30
DEFAULT_MAX_CLAIMS: Final = 10
MAX_CLAIM_MINUTES: Final = 24 * 60  # the store's own ceiling
MAX_CLAIMS: Final = 10_000
CODE_POLICY: Final = "POLITIK"  # StoreError / JSON error code of a policy refusal
_KEYS = frozenset(
    {
        "contact_points",
        "distributor_actions",
        "forward_receivers",
        "journaliseringsfrist_workdays",
        "max_claim_minutes",
        "max_claims_per_user",
    }
)


class PolicyError(ValueError):
    """A policy that cannot be used; str(exc) is one Danish line."""


@dataclass(frozen=True, slots=True)
class Policy:
    """One version of the workflow. `contact_points`: normalised id (or "*") -> kinds received;
    `forward_receivers`: None = every receiver, else the allowed receiver ids (lower case)."""

    contact_points: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: {ALL: frozenset(KINDS)}
    )
    distributor_actions: frozenset[str] = frozenset(DISTRIBUTOR_ACTIONS)
    forward_receivers: frozenset[str] | None = None
    frist_workdays: int = DEFAULT_FRIST
    max_claim_minutes: int = DEFAULT_MAX_CLAIM_MINUTES
    max_claims_per_user: int = DEFAULT_MAX_CLAIMS

    # -- questions the gateway asks --

    def kinds_for(self, contact_point_id: str | None) -> frozenset[str]:
        key = _norm(contact_point_id) if contact_point_id else ALL
        found = self.contact_points.get(key)
        if found is None:
            found = self.contact_points.get(ALL, frozenset())
        return found

    def receive_refusal(self, contact_point_id: str | None, kind: str) -> str | None:
        """None when post of `kind` to this contact point is received, else the reason."""
        kinds = self.kinds_for(contact_point_id)
        if kind in kinds:
            return None
        wanted = KIND_LABELS.get(kind, kind)
        if not kinds:
            return "Modtagersystemet modtager ikke post til dette kontaktpunkt (kommunens politik)"
        takes = " og ".join(KIND_LABELS[k] for k in KINDS if k in kinds)
        return (
            f"Kontaktpunktet modtager kun {takes} i Postfordeler, ikke {wanted} (kommunens politik)"
        )

    def forwarding_allowed(self) -> bool:
        return self.forward_receivers is None or bool(self.forward_receivers)

    def receiver_allowed(self, receiver_id: str | None) -> bool:
        if self.forward_receivers is None:
            return True
        return receiver_id is not None and _norm(receiver_id) in self.forward_receivers

    def decision_refusal(
        self, action: str, decision: Mapping[str, Any], *, caseworker: bool = False
    ) -> str | None:
        """None when the policy allows this decision, else the one-line Danish reason.
        `caseworker`: the deciding user is a caseworker (who journalises what they were given)."""
        option = _OPTION_OF.get(action)
        if option is None:
            return None  # unknown actions are the store's to refuse
        if option == "forward":
            if not self.forwarding_allowed():
                return "Kommunens politik tillader ikke videresendelse"
            receiver = decision.get("receiver_id")
            if self.forward_receivers is not None and receiver is None:
                return "Kommunens politik kræver et godkendt modtagersystem ved videresendelse"
            if not self.receiver_allowed(receiver if isinstance(receiver, str) else None):
                return "Modtagersystemet er ikke godkendt til videresendelse i kommunens politik"
            return None
        if caseworker and option == "journalise":
            return None
        if option not in self.distributor_actions:
            return f"Kommunens politik tillader ikke fordelere at {ACTION_LABELS[option]}"
        return None

    def allowed_actions(self) -> list[str]:
        """The decision kinds a distributor is offered (UI buttons), in a fixed order."""
        out: list[str] = [a for a in DISTRIBUTOR_ACTIONS if a in self.distributor_actions]
        if self.forwarding_allowed():
            out.append("forward")
        return out

    def missing_reasons(self) -> dict[str, str]:
        """action -> why it is not offered (for a disabled button's tooltip)."""
        out: dict[str, str] = {}
        for action in (*DISTRIBUTOR_ACTIONS, "forward"):
            if action not in self.allowed_actions():
                out[action] = (
                    "Kommunens politik tillader ikke videresendelse"
                    if action == "forward"
                    else f"Kommunens politik tillader ikke fordelere at {ACTION_LABELS[action]}"
                )
        return out

    # -- JSON --

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_points": {
                k: [x for x in KINDS if x in v] for k, v in self.contact_points.items()
            },
            "distributor_actions": [
                a for a in DISTRIBUTOR_ACTIONS if a in self.distributor_actions
            ],
            "forward_receivers": (
                ALL if self.forward_receivers is None else sorted(self.forward_receivers)
            ),
            "journaliseringsfrist_workdays": self.frist_workdays,
            "max_claim_minutes": self.max_claim_minutes,
            "max_claims_per_user": self.max_claims_per_user,
        }


DEFAULT_POLICY: Final = Policy()


def _norm(value: str) -> str:
    return value.strip().lower()


def policy_from_json(data: object) -> Policy:
    """A checked Policy (PolicyError with one Danish line). Missing keys take the defaults."""
    if not isinstance(data, Mapping):
        raise PolicyError("Politikken skal være et JSON-objekt")
    unknown = set(data) - _KEYS
    if unknown:
        raise PolicyError(f"Ukendt nøgle i politikken: {str(min(unknown))[:60]!r}")
    points: dict[str, frozenset[str]] = {ALL: frozenset(KINDS)}
    raw_points = data.get("contact_points", {ALL: list(KINDS)})
    if not isinstance(raw_points, Mapping) or len(raw_points) > MAX_CONTACT_POINTS:
        raise PolicyError("contact_points skal være et objekt: kontaktpunkt -> liste af slags")
    for cp, kinds in raw_points.items():
        if not isinstance(cp, str) or not cp.strip() or len(cp) > 256:
            raise PolicyError("Et kontaktpunkts id skal være tekst (højst 256 tegn)")
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise PolicyError(f"Kontaktpunkt {cp[:60]!r}: slags skal være en liste af tekster")
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise PolicyError(
                f"Kontaktpunkt {cp[:60]!r}: ukendt slags {bad[0][:40]!r} (brug {', '.join(KINDS)})"
            )
        points[ALL if cp.strip() == ALL else _norm(cp)] = frozenset(kinds)
    actions = data.get("distributor_actions", list(DISTRIBUTOR_ACTIONS))
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise PolicyError("distributor_actions skal være en liste (reject, journalise, assign)")
    bad_actions = [a for a in actions if a not in DISTRIBUTOR_ACTIONS]
    if bad_actions:
        raise PolicyError(
            f"Ukendt handling {bad_actions[0][:40]!r} (brug {', '.join(DISTRIBUTOR_ACTIONS)})"
        )
    receivers_raw = data.get("forward_receivers", ALL)
    receivers: frozenset[str] | None
    if receivers_raw == ALL:
        receivers = None
    elif isinstance(receivers_raw, list) and len(receivers_raw) <= MAX_RECEIVERS:
        if not all(isinstance(r, str) and r.strip() and len(r) <= 200 for r in receivers_raw):
            raise PolicyError("forward_receivers må kun indeholde modtagersystemers id'er")
        receivers = frozenset(_norm(r) for r in receivers_raw)
    else:
        raise PolicyError('forward_receivers skal være "*" eller en liste af id\'er')
    frist = data.get("journaliseringsfrist_workdays", DEFAULT_FRIST)
    if isinstance(frist, bool) or not isinstance(frist, int) or not 0 <= frist <= MAX_FRIST:
        raise PolicyError(f"journaliseringsfrist_workdays skal være et heltal 0-{MAX_FRIST}")
    minutes = _bounded(data, "max_claim_minutes", DEFAULT_MAX_CLAIM_MINUTES, MAX_CLAIM_MINUTES)
    count = _bounded(data, "max_claims_per_user", DEFAULT_MAX_CLAIMS, MAX_CLAIMS)
    return Policy(points, frozenset(actions), receivers, frist, minutes, count)


def _bounded(data: Mapping[str, Any], key: str, default: int, top: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise PolicyError(f"{key} skal være et heltal 1-{top}")
    return value


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """A stored version (version 0: the built-in default, never set)."""

    version: int
    policy: Policy
    author: str | None = None
    at: str | None = None  # ISO 8601 UTC
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "author": self.author,
            "at": self.at,
            "reason": self.reason,
            "policy": self.policy.to_json(),
            "allowed_actions": self.policy.allowed_actions(),
            "missing": self.policy.missing_reasons(),
        }


def check_reason(reason: object) -> str:
    """The reason of a change, one line (PolicyError when missing)."""
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError("Angiv en begrundelse for ændringen")
    return " ".join(reason.split())[:MAX_REASON]


__all__ = [
    "ALL",
    "CODE_POLICY",
    "DEFAULT_FRIST",
    "DEFAULT_POLICY",
    "DISTRIBUTOR_ACTIONS",
    "KINDS",
    "Policy",
    "PolicyError",
    "PolicyVersion",
    "check_reason",
    "policy_from_json",
]
