"""Who may do which gateway operation: the one role × operation table (issue 11, point 2).

Every route of the gateway (the SOAP mailbox's operations, the MeMo GET, the JSON routes of
`app.gateway.server` and `app.gateway.team`) asks `refusal(role, operation)` before it does any
work; a refusal is answered 403 `{"error": "ROLLE", "message": <one Danish line>}` (JSON) or a
SOAP fault `ROLLE` with the same text. Visibility (which contact points' items a user sees) is
a second, separate rule (`app.gateway.users.UserDirectory.can_see`).

Least privilege: an **administrator** sets the municipality's policy and users and reads counts
(the backlog, the policy history, a citizen's insight request) but never lists, fetches,
claims or decides citizens' post — the mailbox and the decision routes refuse them. A
**caseworker** reads and decides (journalise or hand back) the items given to them; they hold
no claims (a claim is the distributors' lease on the shared queue). A **team lead** does what a
distributor does, plus the overview and bulk reassignment. Distributors and team leads decide
only on items they hold a claim on (`needs_claim`; 409 IKKE_RESERVERET otherwise).

`role` None means the gateway runs without a users' directory (tests, a single-user sandbox):
nothing is enforced then (except `strict_refusal`'s operations). A user the directory does not
know has role "" and may do nothing.

Pure data and functions: no I/O, never logs.
"""

from __future__ import annotations

from typing import Final

from app.gateway.users import (
    ROLE_ADMINISTRATOR,
    ROLE_CASEWORKER,
    ROLE_DISTRIBUTOR,
    ROLE_TEAM_LEAD,
    ROLES,
)

D, C, T, A = ROLE_DISTRIBUTOR, ROLE_CASEWORKER, ROLE_TEAM_LEAD, ROLE_ADMINISTRATOR

# operation -> (the roles that may, the Danish line a refused caller gets)
_READ_POST = "Din rolle giver ikke adgang til borgernes post"
TABLE: Final[dict[str, tuple[frozenset[str], str]]] = {
    # SOAP mailbox
    "PostListe": (frozenset({D, C, T}), _READ_POST),
    "PostHent": (frozenset({D, C, T}), _READ_POST),
    "UdfaldRegistrer": (frozenset({D, C, T}), "Din rolle kan ikke registrere udfald"),
    "ReservationOpret": (frozenset({D, T}), "Din rolle kan ikke reservere elementer"),
    "ReservationFrigiv": (frozenset({D, T}), "Din rolle kan ikke reservere elementer"),
    "ReservationListe": (frozenset({D, C, T}), _READ_POST),
    # REST
    "memo.get": (frozenset({D, C, T}), _READ_POST),
    "decisions.post": (frozenset({D, C, T}), "Din rolle kan ikke træffe beslutninger om post"),
    "status.get": (frozenset({D, C, T}), _READ_POST),
    "receivers.get": (frozenset({D, T}), "Din rolle kan ikke videresende post"),
    "policy.get": (frozenset(ROLES), "Din rolle kan ikke se kommunens politik"),
    "policy.put": (frozenset({A}), "Kun en administrator kan ændre kommunens politik"),
    "policy.history": (
        frozenset({A, T}),
        "Kun en administrator eller teamleder kan se historikken",
    ),
    "backlog.get": (frozenset(ROLES), "Din rolle kan ikke se overblikket"),
    # the items behind a figure: ids, kinds and states, no personal data (no caseworker: their
    # own list is "Fordelt til mig")
    "backlog.items": (frozenset({D, T, A}), "Din rolle kan ikke se elementerne bag overblikket"),
    "audit.events": (frozenset(ROLES), "Din rolle kan ikke aflevere adgangslog"),
    "audit.high_water": (frozenset(ROLES), "Din rolle kan ikke aflevere adgangslog"),
    "audit.query": (
        frozenset({A, T}),
        "Kun en administrator eller teamleder kan besvare indsigt",
    ),
    "decisions.override": (
        frozenset({T}),
        "Kun en teamleder kan ændre en kollegas beslutning",
    ),
    "reassign.post": (frozenset({T}), "Kun en teamleder kan omfordele sagsbehandleres post"),
}
OPERATIONS: Final = tuple(TABLE)


def allowed(role: str | None, operation: str) -> bool:
    """May a user of `role` do `operation`? (None: no directory, everything allowed.)"""
    if role is None:
        return True
    entry = TABLE.get(operation)
    if entry is None:  # an operation missing from the table is nobody's
        return False
    return role in entry[0]


def strict_refusal(role: str | None, operation: str) -> str | None:
    """As `refusal`, but without a directory (role None) nobody may: for the operations that
    were the administrator's or team lead's before there was a directory (policy changes,
    history, insight)."""
    return refusal("" if role is None else role, operation)


def refusal(role: str | None, operation: str) -> str | None:
    """The one Danish line refusing `operation` to `role`, or None when it is allowed."""
    if allowed(role, operation):
        return None
    entry = TABLE.get(operation)
    return entry[1] if entry is not None else "Ukendt operation"


CLAIMING_ROLES: Final = frozenset({D, T})


def needs_claim(role: str | None) -> bool:
    """Does a decision by `role` need the caller's claim on the item? Distributors and team
    leads: yes (a caseworker decides what is assigned to them; no directory: no)."""
    return role in CLAIMING_ROLES


def roles_for(operation: str) -> frozenset[str]:
    """The roles that may do `operation` (tests and documentation)."""
    entry = TABLE.get(operation)
    return entry[0] if entry is not None else frozenset()
