"""The gateway's access log: append-only and tamper-evident (issue 11, point 5).

Every view, file open, CPR reveal, CPR search, export and action of every client ends up here
(the clients' local logs are buffers delivered once, see `app.core.audit_delivery`), with the
actor taken from the authenticated identity, never from what a caller writes.

Each row (`gw_access_log`) stores `row_hash = sha256(prev_hash || canonical row)`, where
`prev_hash` is the row_hash of the row before it (seq - 1; the first row links to `GENESIS`).
`verify_chain` walks the rows in `seq` order and names every row that was edited (its hash no
longer matches its content), inserted (the row after it links past it) or deleted (a gap in
`seq`, or a row linking to a hash no row has). A plain hash chain cannot tell a truncated tail
from a shorter log: `verify_chain` takes the expected count/last hash when the operator has one.

Citizens appear only as keyed hashes (HMAC-SHA256 under the store's own audit key, sealed at
rest with the store key): never a CPR in clear. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

GENESIS: Final = "0" * 64

# actions a client may deliver (the client's app.core.audit names) and those the gateway logs
CLIENT_ACTIONS: Final = frozenset(
    {"view_item", "open_file", "reveal_cpr", "search_cpr", "search_name", "export"}
)
GATEWAY_ACTIONS: Final = frozenset(
    {"decision", "policy_set", "audit_query", "search_cpr", "backlog", "reassign", "override"}
)
MAX_EVENTS: Final = 1000  # per delivery
MAX_DETAIL: Final = 200


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One row as stored. `subject`: the citizen's keyed hash, "" when none; `item`: the
    message UUID (or "" ); `source`: the client installation's id or "gateway"."""

    seq: int
    event_id: str
    at: datetime
    actor: str
    action: str
    item: str
    subject: str
    source: str
    source_seq: int
    detail: str
    prev_hash: str
    row_hash: str


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row: AccessRow) -> bytes:
    """The hashed form of a row: every field except seq and the hashes, as compact JSON."""
    return json.dumps(
        [
            row.event_id,
            _iso(row.at),
            row.actor,
            row.action,
            row.item,
            row.subject,
            row.source,
            row.source_seq,
            row.detail,
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    ).encode("ascii")


def row_hash(prev_hash: str, row: AccessRow) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(row)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    rows: int
    last_hash: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "last_hash": self.last_hash,
            "problems": list(self.problems),
        }


def verify_chain(
    rows: Iterable[AccessRow],
    *,
    expected_rows: int | None = None,
    expected_last_hash: str | None = None,
) -> ChainReport:
    """Check the chain (rows in seq order); each problem is one Danish line naming the row."""
    problems: list[str] = []
    prev: AccessRow | None = None
    before_prev: AccessRow | None = None
    seen_hashes: dict[str, int] = {GENESIS: 0}
    count = 0
    for row in rows:
        count += 1
        if row_hash(row.prev_hash, row) != row.row_hash:
            problems.append(f"Række {row.seq} er ændret: dens hash passer ikke til indholdet")
        expected_prev = prev.row_hash if prev is not None else GENESIS
        expected_seq = prev.seq + 1 if prev is not None else 1
        if row.seq != expected_seq:
            gap_from, gap_to = expected_seq, row.seq - 1
            problems.append(
                f"Række {gap_from} mangler (slettet)"
                if gap_from == gap_to
                else f"Række {gap_from}-{gap_to} mangler (slettet)"
            )
        elif row.prev_hash != expected_prev:
            if before_prev is not None and row.prev_hash == before_prev.row_hash:
                problems.append(f"Række {prev.seq if prev else 0} er indsat uden for kæden")
            elif prev is None and row.prev_hash != GENESIS:
                problems.append(f"Række {row.seq}: rækker før den mangler (slettet)")
            elif row.prev_hash in seen_hashes:
                problems.append(f"Række {row.seq} peger på række {seen_hashes[row.prev_hash]}")
            else:
                problems.append(
                    f"Række {row.seq}: rækken før den er slettet eller ændret (kæden er brudt)"
                )
        seen_hashes[row.row_hash] = row.seq
        before_prev, prev = prev, row
    last = prev.row_hash if prev is not None else GENESIS
    if expected_rows is not None and count < expected_rows:
        problems.append(f"Loggen har {count} rækker, men {expected_rows} var ventet (slettet)")
    if expected_last_hash is not None and last != expected_last_hash:
        problems.append("Den sidste række er ikke den ventede (loggen er afkortet eller ændret)")
    return ChainReport(count, last, tuple(problems))


def one_line(value: object, limit: int) -> str:
    return " ".join(str(value).split())[:limit]


__all__ = [
    "CLIENT_ACTIONS",
    "GATEWAY_ACTIONS",
    "GENESIS",
    "AccessRow",
    "ChainReport",
    "canonical",
    "row_hash",
    "verify_chain",
]
