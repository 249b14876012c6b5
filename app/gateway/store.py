"""The gateway's durable store: received MeMo messages, claims (leases), outcomes and users.

One code path for SQLite (default, WAL) and PostgreSQL (`postgresql+psycopg://...`), built on
SQLAlchemy Core. The schema is created with `metadata.create_all` and stamped in a
`gw_schema_version` table (a single-table-set service; upgrades go in `_UPGRADES`).

Invariants this module keeps:
- a message is inserted once per messageUUID and content (unique message_uuid; inserts are
  serialised): the same bytes again are a duplicate, other bytes under a known UUID become a
  conflict item of their own (`conflict_uuid`, gw_conflicts), never dropped;
- content and personal fields are sealed at rest (app/gateway/storekey.py, AES-GCM bound to
  table and row): gw_messages.memo/outcome_case_id/outcome_note, gw_message_facts.facts,
  gw_outcome_log.case_id/note, gw_decisions.payload/reason/plan,
  gw_delivery_parts.remote_name/receipt_reason, gw_outbox.last_error and
  gw_business_receipts.reason. Clear (lookups, no personal data): UUIDs, ids, kinds, states,
  times, sizes, SHA-256 digests, contact point ids, transaction ids and staff user names;
- `item_id` is the clients' cursor, so ids become visible in increasing order: inserts are
  serialised (a process lock on SQLite, a transaction advisory lock on PostgreSQL) so no id
  can commit after a larger one was already listed;
- `received_at` is set once, at receipt, and never changed;
- claim/outcome changes on one item are serialised (row lock on PostgreSQL, write lock on SQLite).

All methods are blocking: call them from a worker thread, never on the event loop.
Never log message content or CPR numbers from here.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from app import paths
from app.dbhealth import is_damage
from app.decisions import (
    ACTIONS,
    Assign,
    Decision,
    DecisionError,
    Journalise,
    JournalNote,
    Reject,
    decision_from_json,
)
from app.gateway.accesslog import GENESIS, AccessRow, row_hash
from app.gateway.policy import (
    CODE_POLICY,
    DEFAULT_POLICY,
    PolicyVersion,
    policy_from_json,
)
from app.gateway.policy import Policy as WorkflowPolicy
from app.gateway.storekey import (
    CHUNK,
    DecryptError,
    StoreCipher,
    StoreKeyError,
    load_local_key,
    local_key_file,
    read_key_file,
)
from app.hashing import file_size_sha256

# 3: gw_message_facts (a new table: no statement to run)
# 4: encryption at rest (gw_store_keys; existing clear rows are encrypted at start) and
#    gw_conflicts (a repeated messageUUID with other content is kept as its own item)
# 5: gw_policy, gw_access_log (hash-chained), gw_assignees (filled from sealed payloads),
#    gw_store_secrets
SCHEMA_VERSION = 5
OUTCOMES = ("journaliseret", "fordelt", "afvist", "videresendt")
# "fordelt" (assigned to a caseworker) is not final: the caseworker still journalises it.
NON_FINAL_OUTCOMES = frozenset({"fordelt"})
STATUS_NEW = "ny"
STATUS_ASSIGNED = "fordelt"
STATUS_DONE = "behandlet"
MAX_LEASE_SECONDS = 24 * 3600
_BLOB_STREAM_FROM = 4 * 1024 * 1024
_CHUNK = 1 << 20
_NOT_INLINED_COST = 1024  # page-budget cost of an item listed without its (big) MeMo
_PG_INSERT_LOCK_KEY = 1606_0001  # pg_advisory_xact_lock key serialising message inserts
_PG_CLAIM_LOCK_KEY = 1606_0013  # (key, hashtext(user)): one user's claims counted one at a time
_PG_ACCESS_LOCK_KEY = 1606_0011  # ... serialising access-log appends and policy versions
_SUBJECT_KEY_NAME = "access_subject_key"
# the mailbox's (UdfaldRegistrer) outcomes -> the policy option each needs; "journaliseret" is
# not checked there: the mailbox does not say whether a caseworker journalises what they got
_OUTCOME_ACTION = {"afvist": "reject", "fordelt": "assign", "videresendt": "forward"}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the gateway store")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

messages = Table(
    "gw_messages",
    metadata,
    Column(
        "item_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("message_uuid", String(36), nullable=False, unique=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("transaction_id", String(64)),
    Column("contact_point_id", String(256)),
    Column("kind", String(32), nullable=False),
    Column("memo_version", String(8), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("status", String(32), nullable=False, default=STATUS_NEW),
    Column("outcome", String(32)),
    Column("outcome_case_id", Text),  # sealed (app/gateway/storekey.py), as every Text here
    Column("outcome_user", String(128)),
    Column("outcome_note", Text),
    Column("outcome_at", UTCDateTime),
    # last column: SQLite then keeps a zeroblob(n) unmaterialised until it is streamed in
    Column("memo", LargeBinary, nullable=False),
    sqlite_autoincrement=True,  # ids are never reused: they are cursors
)

claims = Table(
    "gw_claims",
    metadata,
    Column(
        "item_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("gw_messages.item_id"),
        primary_key=True,
    ),
    Column("user", String(128), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

outcome_log = Table(
    "gw_outcome_log",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("item_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("case_id", Text),
    Column("user", String(128), nullable=False),
    Column("note", Text),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_gw_outcome_log_item", "item_id"),
)

users = Table(
    "gw_users",
    metadata,
    Column("user", String(128), primary_key=True),
    Column("secret_hash", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

schema_version = Table(
    "gw_schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

_ID = BigInteger().with_variant(Integer, "sqlite")

# One small row per message: the clients' change cursor and the item's current decision. Kept
# apart from gw_messages so a state change never rewrites a row that holds a big MeMo blob.
item_state = Table(
    "gw_item_state",
    metadata,
    Column("item_id", _ID, ForeignKey("gw_messages.item_id"), primary_key=True),
    # Bumped (to max + 1, serialised like inserts) whenever the item's delivery state changes:
    # the mailbox list's cursor follows it, so clients see state changes of items they have.
    Column("change_seq", BigInteger, nullable=False),
    Column("decision_id", String(36)),
    Index("ix_gw_item_state_change_seq", "change_seq", unique=True),
)

decisions = Table(
    "gw_decisions",
    metadata,
    Column("decision_id", String(36), primary_key=True),
    Column("item_id", _ID, ForeignKey("gw_messages.item_id"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("payload", Text, nullable=False),  # Decision.to_json() as JSON text
    Column("user", String(128), nullable=False),
    Column("state", String(32), nullable=False),
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("follow_up", Boolean, nullable=False, default=False),
    Column("sent_at", UTCDateTime),
    Column("plan", Text),  # the delivery plan's facts (the DUBU case), JSON; set once
    Index("ix_gw_decisions_item", "item_id"),
    Index("ix_gw_decisions_state", "state"),
)

delivery_parts = Table(
    "gw_delivery_parts",
    metadata,
    Column("decision_id", String(36), ForeignKey("gw_decisions.decision_id"), nullable=False),
    Column("part", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # DOKUMENT / JOURNALPOST
    Column("anvender_transaktions_id", String(36), nullable=False, unique=True),
    Column("file_index", Integer),
    Column("remote_name", Text),
    Column("remote_sha256", String(64)),
    Column("size", BigInteger),
    Column("step", String(16), nullable=False),  # PART_STEPS
    Column("distribution_transaktions_id", String(64)),
    Column("receipt_status", String(16)),
    Column("receipt_reason", Text),
    Column("receipt_at", UTCDateTime),
    PrimaryKeyConstraint("decision_id", "part"),
)

outbox = Table(
    "gw_outbox",
    metadata,
    Column("decision_id", String(36), ForeignKey("gw_decisions.decision_id"), primary_key=True),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(128)),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Index("ix_gw_outbox_due", "next_attempt_at"),
)

business_receipts = Table(
    "gw_business_receipts",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("anvender_transaktions_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("distribution_transaktions_id", String(64)),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("anvender_transaktions_id", "status", name="uq_gw_business_receipts"),
)

message_facts = Table(
    "gw_message_facts",
    metadata,
    Column("item_id", _ID, ForeignKey("gw_messages.item_id"), primary_key=True),
    # the header and file index (names, sizes, sha256, where each file's base64 text sits in
    # the stored MeMo) of the receipt's one parse, as `app.sf1606.stored.facts_to_json`: the
    # delivery reads the files from the raw message without parsing it again. Its own table
    # so that the message's blob stays the last column of its row.
    Column("facts", Text, nullable=False),
)

store_keys = Table(
    "gw_store_keys",
    metadata,
    # one row per encryption key id ever used here: a sealed constant that tells a wrong key
    # at start (never the key itself: that lives in the gateway's secret store)
    Column("key_id", String(64), primary_key=True),
    Column("check_value", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

conflicts = Table(
    "gw_conflicts",
    metadata,
    # An item whose messageUUID was already stored with *other* content: kept as its own item
    # (its gw_messages.message_uuid is `conflict_uuid(...)`), shown to distributors flagged.
    Column("item_id", _ID, ForeignKey("gw_messages.item_id"), primary_key=True),
    Column("original_item_id", _ID, ForeignKey("gw_messages.item_id"), nullable=False),
    Column("original_uuid", String(36), nullable=False),  # the sender's messageUUID
    Index("ix_gw_conflicts_original", "original_item_id"),
)

policy_versions = Table(
    "gw_policy",
    metadata,
    # The municipality's workflow (app/gateway/policy.py): every `set_policy` is a new row;
    # the newest is in force. No personal data: contact point ids, actions, receiver ids.
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("policy", Text, nullable=False),  # Policy.to_json() as JSON text
    Column("author", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

access_log = Table(
    "gw_access_log",
    metadata,
    # Append-only and hash-chained (app/gateway/accesslog.py): seq is set by the store as
    # max + 1 under a lock (no sequence gaps), row_hash = sha256(prev_hash || canonical row).
    # `subject` is the citizen's keyed hash ("" for none), never a CPR.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("item", String(36), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("source_seq", BigInteger, nullable=False),
    Column("detail", String(256), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False),
    UniqueConstraint("event_id", "subject", name="uq_gw_access_log_event"),
    Index("ix_gw_access_log_subject", "subject"),
    Index("ix_gw_access_log_source", "source", "source_seq"),
)

assignees = Table(
    "gw_assignees",
    metadata,
    # The caseworker of an `assign` decision, in clear (a staff id, as gw_decisions.user), so
    # the backlog counts per caseworker without opening sealed payloads.
    Column("decision_id", String(36), ForeignKey("gw_decisions.decision_id"), primary_key=True),
    Column("caseworker_id", String(200), nullable=False),
    Index("ix_gw_assignees_caseworker", "caseworker_id"),
)

store_secrets = Table(
    "gw_store_secrets",
    metadata,
    # Values sealed with the store key: `access_subject_key` (the HMAC key of citizens' hashes
    # in gw_access_log; random, made once, so a store-key rotation keeps old rows findable).
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# version -> list of SQL statements bringing the schema from version-1 to version. New tables
# come from `metadata.create_all` (run first); upgrades fill them for existing rows.
_UPGRADES: dict[int, list[str]] = {
    2: [
        # decisions, delivery parts, the gateway outbox, business receipts and the item state
        # (change cursor): every message gets its item id as its first change number.
        "INSERT INTO gw_item_state (item_id, change_seq) SELECT item_id, item_id FROM gw_messages",
    ],
}

# Columns schema 4 widened to TEXT (sealed values are longer than the clear ones were).
_WIDENED = (
    ("gw_messages", "outcome_case_id"),
    ("gw_outcome_log", "case_id"),
    ("gw_delivery_parts", "remote_name"),
)

# --- delivery states (DESIGN9: the team's truth) --------------------------------------------

STATE_NEW = "ny"
STATE_PENDING = "afventer"
STATE_SENT = "sendt"
STATE_ACCEPTED = "accepteret"
STATE_DUBU_REJECTED = "afvist_af_dubu"
STATE_FAILED = "fejlet"
STATE_CLOSED = "afsluttet"  # the distributor's Afvis: the decision ends at the gateway
DELIVERY_STATES = (
    STATE_NEW,
    STATE_PENDING,
    STATE_SENT,
    STATE_ACCEPTED,
    STATE_DUBU_REJECTED,
    STATE_FAILED,
    STATE_CLOSED,
)
# A decision in one of these never changes again (a new decision gets a new id).
TERMINAL_STATES = frozenset({STATE_DUBU_REJECTED, STATE_FAILED, STATE_CLOSED})
# After these the item is back in the distributor's queue: a new decision is allowed.
REOPENING_STATES = frozenset({STATE_DUBU_REJECTED, STATE_FAILED})

STEP_PENDING = "pending"
STEP_UPLOADED = "uploaded"
STEP_SENT = "sent"
STEP_ACCEPTED = "accepteret"
STEP_DUBU_REJECTED = "afvist"
STEP_FAILED = "fejlet"
PART_STEPS = (
    STEP_PENDING,
    STEP_UPLOADED,
    STEP_SENT,
    STEP_ACCEPTED,
    STEP_DUBU_REJECTED,
    STEP_FAILED,
)
_RECEIPT_STEP = {"ACCEPTERET": STEP_ACCEPTED, "AFVIST": STEP_DUBU_REJECTED, "FEJLET": STEP_FAILED}

KIND_DOCUMENT = "DOKUMENT"
KIND_JOURNAL_POST = "JOURNALPOST"

# The item outcome a decision records (as `record_outcome` does for the mailbox).
ACTION_OUTCOME = {
    "journalise": "journaliseret",
    "assign": "fordelt",
    "reject": "afvist",
    "forward": "videresendt",
    "journal_note": "journaliseret",
}
NOT_VISIBLE_TEXT = "Elementet findes ikke eller er ikke tilgængeligt"
_PART_NAMESPACE_ERROR = "decision_id skal være et UUID"


class StoreError(Exception):
    """A refused store operation. `code` is a stable, machine-readable word (Danish, upper case)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


class StoreUnavailable(StoreError):
    """The store is damaged or cannot be reached: nothing is accepted or served until it is
    sound again (`GatewayStore.health`). `text` is one Danish sentence for operators and
    peers; senders should retry later."""


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """The outcome of the last integrity check or of a damage seen while working."""

    ok: bool
    reason: str | None = None  # one Danish sentence when not ok
    checked_at: datetime | None = None
    damaged: bool = False  # damage stays until the gateway is restarted on a sound database
    check: str | None = (
        None  # what ran last: structure (SQLite), integrity_check, quick_check, tables, content; or what found the damage
    )


DAMAGED_TEXT = (
    "Modtagersystemets database er beskadiget; gatewayen modtager ikke post, før databasen "
    "er genskabt fra en sikkerhedskopi"
)
UNREACHABLE_TEXT = "Modtagersystemets database kan ikke nås eller læses"
HEALTH_CHECKED_TABLES = (
    "gw_schema_version",
    "gw_messages",
    "gw_item_state",
    "gw_decisions",
    "gw_outbox",
    "gw_users",
)
_health_log = logging.getLogger("postfordeler.gateway.store")
FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024  # SQLite: integrity_check (not quick_check) below this
CONTENT_CHECK_MAX_BYTES = 64 * 1024 * 1024  # every MeMo's sha256 re-checked below this total


@dataclass(frozen=True, slots=True)
class StoredItem:
    item_id: int
    message_uuid: str
    received_at: datetime
    contact_point_id: str | None
    kind: str
    memo_version: str
    size: int
    sha256: str
    status: str
    outcome: str | None
    outcome_case_id: str | None
    outcome_user: str | None
    claimed_by: str | None
    claim_expires_at: datetime | None
    memo: bytes | None  # None when listed without content
    memo_inline: bool = True  # False: too big to inline; stream it (memo_chunks)
    change_seq: int = 0  # the list cursor position (bumped by every delivery state change)
    delivery_state: str = STATE_NEW
    delivery_reason: str | None = None
    decision_kind: str | None = None  # the current decision's action
    decision_id: str | None = None
    follow_up: bool = False
    # a conflict: the sender's messageUUID, already stored with other content (the item's
    # own message_uuid is then `conflict_uuid(...)`); None for an ordinary item
    conflict_of: str | None = None


@dataclass(frozen=True, slots=True)
class InsertResult:
    item_id: int
    duplicate: bool
    received_at: datetime
    conflict_of: int | None = None  # the item whose messageUUID this other content repeats


@dataclass(frozen=True, slots=True)
class Claim:
    item_id: int
    user: str
    claimed_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[StoredItem, ...]
    next_cursor: int
    more: bool


@dataclass(frozen=True, slots=True)
class DecisionStatus:
    """An item's delivery state as clients see it (`GET /items/{uuid}/status`)."""

    message_uuid: str
    state: str
    decision: str | None  # the decision's action; None without a decision
    reason: str | None
    decision_id: str | None
    follow_up: bool
    updated_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "decision": self.decision,
            "reason": self.reason,
            "decision_id": self.decision_id,
            "follow_up": self.follow_up,
            "updated_at": _iso(self.updated_at),
        }


class ReceiptOutcome(enum.Enum):
    """What `apply_business_receipt` did with one business receipt."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # the same receipt (id + status) was applied before: a no-op
    UNKNOWN = "unknown"  # no delivery part has this AnvenderTransaktionsID


class BusinessReceiptLike(Protocol):
    """The fields of `app.gateway.receipts.BusinessReceipt` the store reads."""

    @property
    def anvender_transaktions_id(self) -> str: ...
    @property
    def status(self) -> str: ...  # ACCEPTERET / AFVIST / FEJLET
    @property
    def reason(self) -> str | None: ...
    @property
    def distribution_transaktions_id(self) -> str | None: ...
    @property
    def sent_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class PartPlan:
    """One SF2900 DistributionObject a decision will send (before anything is stored)."""

    kind: str  # KIND_DOCUMENT / KIND_JOURNAL_POST
    file_index: int | None = None  # the message file a DOKUMENT carries (MemoMessage.files)


@dataclass(frozen=True, slots=True)
class DeliveryPart:
    decision_id: str
    part: int
    kind: str
    anvender_transaktions_id: str
    file_index: int | None
    remote_name: str | None
    remote_sha256: str | None
    size: int | None
    step: str
    distribution_transaktions_id: str | None
    receipt_status: str | None
    receipt_reason: str | None


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A decision claimed from the gateway outbox by one node (`claim_delivery`)."""

    decision_id: str
    item_id: int
    message_uuid: str
    action: str
    payload: dict[str, Any]
    user: str
    state: str
    plan: dict[str, Any] | None
    parts: tuple[DeliveryPart, ...]
    attempts: int
    lease_owner: str
    lease_until: datetime


class LeaseLost(Exception):
    """This node's lease on an outbox row expired and another node took it (or it is done)."""


def part_transaction_id(decision_id: str, part: int) -> str:
    """AnvenderTransaktionsID of part `part` of a decision: part 0 is the decision id itself,
    the others `uuid5(decision_id, "part-<n>")` (stable across retries and nodes)."""
    base = uuid.UUID(decision_id)
    return str(base) if part == 0 else str(uuid.uuid5(base, f"part-{part}"))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- secrets -------------------------------------------------------------------------------

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def is_secret_hash(value: str) -> bool:
    return value.startswith("scrypt$") and value.count("$") == 5


def verify_secret(secret: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            secret.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


# --- engine --------------------------------------------------------------------------------


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine for the gateway DB. SQLite gets WAL, a busy timeout and foreign keys.

    `sqlite_synchronous=FULL` fsyncs the WAL at every commit: an accept must survive power loss.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed, not left readable
            cur.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def store_cipher(url: str, key_file: Path | None = None) -> StoreCipher:
    """The store's keys: `key_file` (the secret store's `store.key`, app/gateway/secrets.py),
    else `$CREDENTIALS_DIRECTORY/store.key` (systemd), else a key generated (0600) beside a
    SQLite file or in the gateway's data folder: the sandbox's and development's key."""
    if key_file is not None:
        return read_key_file(Path(key_file))
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds and (Path(creds) / "store.key").is_file():
        return read_key_file(Path(creds) / "store.key")
    return load_local_key(local_key_file(url, paths.data_dir() / "gateway"))


def conflict_uuid(message_uuid: str, sha256: str) -> str:
    """The item UUID of other content under an already stored messageUUID (stable: the same
    conflicting bytes again are a duplicate of the conflict)."""
    return str(uuid.uuid5(uuid.UUID(message_uuid), f"postfordeler-conflict:{sha256}"))


def _memo_ctx(message_uuid: str) -> str:
    return f"gw_messages.memo:{message_uuid}"


def _outcome_ctx(item_id: int) -> str:
    return f"gw_messages.outcome:{item_id}"


def _log_ctx(item_id: int) -> str:
    return f"gw_outcome_log:{item_id}"


def _facts_ctx(item_id: int) -> str:
    return f"gw_message_facts:{item_id}"


def _decision_ctx(decision_id: str) -> str:
    return f"gw_decisions:{decision_id}"


def _part_ctx(decision_id: str, part: int) -> str:
    return f"gw_delivery_parts:{decision_id}:{part}"


def _outbox_ctx(decision_id: str) -> str:
    return f"gw_outbox:{decision_id}"


def _receipt_ctx(tid: str, status: str) -> str:
    return f"gw_business_receipts:{tid}:{status}"


class GatewayStore:
    """Blocking access to the gateway DB; thread-safe (one instance per gateway process).

    Content and personal fields are sealed with `cipher` (AES-GCM, app/gateway/storekey.py;
    default: `store_cipher(url, key_file)`). A wrong or missing key is refused at start
    (StoreError NØGLE, one line); a value that does not open is StoreError DEKRYPTERING."""

    def __init__(
        self,
        url: str,
        *,
        sqlite_synchronous: str = "FULL",
        cipher: StoreCipher | None = None,
        key_file: Path | None = None,
    ) -> None:
        self.url = url
        try:
            self.cipher = cipher if cipher is not None else store_cipher(url, key_file)
        except StoreKeyError as exc:
            raise StoreError("NØGLE", str(exc)) from None
        self.engine = make_engine(url, sqlite_synchronous=sqlite_synchronous)
        self.dialect = self.engine.dialect.name
        # SQLite allows one writer: serialise writers in-process instead of spinning on BUSY.
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None
        self._init_health()  # the health section at the end of the class
        self._open_checked()

    # -- schema --

    def _migrate(self) -> None:
        """Create/upgrade the schema. Upgrading to 4 encrypts every existing clear row in the
        same transaction (then, on SQLite, VACUUM and a WAL checkpoint leave no clear page in
        the file or its WAL; on PostgreSQL run VACUUM FULL afterwards to drop the old tuples)."""
        encrypted = False
        with self._writing() as conn:
            if self.dialect == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INSERT_LOCK_KEY + 1}
                )
            metadata.create_all(conn)
            current = conn.execute(select(func.max(schema_version.c.version))).scalar()
            self._check_key(conn)
            if current is None:
                conn.execute(
                    schema_version.insert().values(version=SCHEMA_VERSION, applied_at=utcnow())
                )
                return
            if current > SCHEMA_VERSION:
                raise StoreError(
                    "SKEMA", f"database schema {current} is newer than {SCHEMA_VERSION}"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _UPGRADES.get(version, []):
                    conn.execute(text(statement))
                if version == 4:
                    if self.dialect == "postgresql":
                        for table, column in _WIDENED:
                            conn.execute(
                                text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT")
                            )
                    self._encrypt_clear_rows(conn)
                    encrypted = True
                if version == 5:
                    self._fill_assignees(conn)
                conn.execute(schema_version.insert().values(version=version, applied_at=utcnow()))
        if encrypted and self.dialect == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("VACUUM")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def _check_key(self, conn: Connection) -> None:
        """Refuse a key that is not the one the database was written with (one line)."""
        known = {r.key_id: r.check_value for r in conn.execute(select(store_keys)).all()}
        if known:
            ours = [kid for kid in known if kid in self.cipher.key_ids]
            if not ours:
                raise StoreError(
                    "NØGLE",
                    f"Gatewayens database er krypteret med nøglen {', '.join(sorted(known))}, "
                    f"men store.key har {', '.join(self.cipher.key_ids)}: brug den rigtige nøgle",
                )
            for kid in ours:
                if not self.cipher.verify(kid, known[kid]):
                    raise StoreError(
                        "NØGLE",
                        f"Nøglen {kid} i store.key passer ikke til gatewayens database: "
                        "brug den rigtige nøgle",
                    )
        if self.cipher.current not in known:
            conn.execute(
                store_keys.insert().values(
                    key_id=self.cipher.current,
                    check_value=self.cipher.check_value(self.cipher.current),
                    created_at=utcnow(),
                )
            )

    def _encrypt_clear_rows(self, conn: Connection) -> None:
        """Schema 3 -> 4: seal every value the store now keeps encrypted (row by row)."""
        seal = self.cipher.seal_text
        for item_id, message_uuid in conn.execute(
            select(messages.c.item_id, messages.c.message_uuid)
        ).all():
            row = conn.execute(
                select(messages.c.memo, messages.c.outcome_case_id, messages.c.outcome_note).where(
                    messages.c.item_id == item_id
                )
            ).one()
            ctx = _outcome_ctx(int(item_id))
            conn.execute(
                messages.update()
                .where(messages.c.item_id == item_id)
                .values(
                    memo=self.cipher.seal_blob(bytes(row.memo), _memo_ctx(message_uuid)),
                    outcome_case_id=seal(row.outcome_case_id, ctx),
                    outcome_note=seal(row.outcome_note, ctx),
                )
            )
        for r in conn.execute(select(message_facts)).all():
            conn.execute(
                message_facts.update()
                .where(message_facts.c.item_id == r.item_id)
                .values(facts=seal(r.facts, _facts_ctx(int(r.item_id))))
            )
        for r in conn.execute(select(outcome_log)).all():
            ctx = _log_ctx(int(r.item_id))
            conn.execute(
                outcome_log.update()
                .where(outcome_log.c.id == r.id)
                .values(case_id=seal(r.case_id, ctx), note=seal(r.note, ctx))
            )
        for r in conn.execute(select(decisions)).all():
            ctx = _decision_ctx(r.decision_id)
            conn.execute(
                decisions.update()
                .where(decisions.c.decision_id == r.decision_id)
                .values(
                    payload=seal(r.payload, ctx), reason=seal(r.reason, ctx), plan=seal(r.plan, ctx)
                )
            )
        for r in conn.execute(select(delivery_parts)).all():
            ctx = _part_ctx(r.decision_id, int(r.part))
            conn.execute(
                delivery_parts.update()
                .where(
                    delivery_parts.c.decision_id == r.decision_id,
                    delivery_parts.c.part == r.part,
                )
                .values(
                    remote_name=seal(r.remote_name, ctx),
                    receipt_reason=seal(r.receipt_reason, ctx),
                )
            )
        for r in conn.execute(select(outbox)).all():
            conn.execute(
                outbox.update()
                .where(outbox.c.decision_id == r.decision_id)
                .values(last_error=seal(r.last_error, _outbox_ctx(r.decision_id)))
            )
        for r in conn.execute(select(business_receipts)).all():
            conn.execute(
                business_receipts.update()
                .where(business_receipts.c.id == r.id)
                .values(reason=seal(r.reason, _receipt_ctx(r.anvender_transaktions_id, r.status)))
            )

    def _fill_assignees(self, conn: Connection) -> None:
        """Schema 4 -> 5: the caseworker of every stored `assign` decision, from its payload."""
        for r in conn.execute(
            select(decisions.c.decision_id, decisions.c.payload).where(
                decisions.c.action == "assign"
            )
        ).all():
            payload = self._open(r.payload, _decision_ctx(r.decision_id))
            caseworker = json.loads(payload or "{}").get("caseworker_id")
            if isinstance(caseworker, str) and caseworker:
                conn.execute(
                    assignees.insert().values(
                        decision_id=r.decision_id, caseworker_id=caseworker[:200]
                    )
                )

    # -- sealing --

    def _open(self, value: str | None, context: str) -> str | None:
        try:
            return self.cipher.open_text(value, context)
        except DecryptError as exc:
            raise self._damaged_value(exc, context) from None

    def _open_memo(self, message_uuid: str, blob: bytes, size: int) -> bytes:
        try:
            return self.cipher.open_blob(blob, size, _memo_ctx(message_uuid))
        except DecryptError as exc:
            raise self._damaged_value(exc, "gw_messages.memo") from None

    def _damaged_value(self, exc: DecryptError, context: str) -> StoreError:
        """A sealed value that does not open with the key the start check accepted: damaged
        or tampered data. The store turns unhealthy (EP_FS1 answers temporary) and the caller
        gets the one-sentence damage refusal."""
        error = _decrypt_error(context)
        if exc.missing_key:  # sealed with a key this store was not given: say which is missing
            return error
        _health_log.error(
            "store value in %s does not decrypt (%s): damaged", context.split(":", 1)[0], error.code
        )
        self.mark_damaged("decrypt")
        return StoreUnavailable("LAGER_BESKADIGET", DAMAGED_TEXT)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction. SQLite: under the process lock and `BEGIN IMMEDIATE`, so the
        write lock is held from the first statement and what a transaction read stays true
        until it commits, also against other processes on the same file (SQLite ignores
        FOR UPDATE). PostgreSQL: row locks and advisory locks where needed."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _lock_item(self, conn: Connection, item_id: int) -> Any:
        row = conn.execute(
            select(
                messages.c.item_id,
                messages.c.outcome,
                messages.c.outcome_case_id,
                messages.c.outcome_user,
            )
            .where(messages.c.item_id == item_id)
            .with_for_update()
        ).first()
        if row is None:
            raise StoreError("UKENDT_ELEMENT", f"Element {item_id} findes ikke")
        return row

    # -- messages --

    def insert_message(
        self,
        *,
        message_uuid: str,
        memo: bytes | Path,
        kind: str,
        memo_version: str,
        contact_point_id: str | None,
        received_at: datetime,
        transaction_id: str | None = None,
        facts: str | None = None,
    ) -> InsertResult:
        """Insert once; a repeated messageUUID with the same bytes (sha256) returns the stored
        row with `duplicate=True`. The same messageUUID with *other* bytes is a conflict: kept
        as its own item (message_uuid `conflict_uuid(uuid, sha256)`, a gw_conflicts row naming
        the original), never dropped; `conflict_of` then names the original item. The same
        conflicting bytes again are a duplicate of that conflict item.
        `facts`: the receipt parse's header and file index (`facts_to_json`), kept beside it.

        `memo` is the raw MeMo or a path to a file holding it (a spooled big request body: it
        is hashed and, on SQLite, streamed into the blob without ever being held in memory).
        Content and facts are sealed (storekey). Returns only after the transaction committed
        (durable receipt)."""
        message_uuid = message_uuid.lower()
        if isinstance(memo, Path):
            size, digest = file_size_sha256(memo)
            if self.dialect != "sqlite" or size <= _BLOB_STREAM_FROM:
                memo = memo.read_bytes()  # PostgreSQL: kept simple (one bytes bind)
        else:
            size, digest = len(memo), hashlib.sha256(memo).hexdigest()
        # SQLite copies a bound blob twice (bind + record); big ones are streamed in instead.
        stream_blob = self.dialect == "sqlite" and size > _BLOB_STREAM_FROM
        with self._writing() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INSERT_LOCK_KEY})
            # serialised with every other insert: what this SELECT sees stays true until commit
            stored = conn.execute(
                select(messages.c.item_id, messages.c.received_at, messages.c.sha256).where(
                    messages.c.message_uuid == message_uuid
                )
            ).first()
            original: int | None = None
            item_uuid = message_uuid
            if stored is not None:
                if stored.sha256 == digest:
                    return InsertResult(int(stored.item_id), True, stored.received_at)
                original, item_uuid = int(stored.item_id), conflict_uuid(message_uuid, digest)
                again = conn.execute(
                    select(messages.c.item_id, messages.c.received_at).where(
                        messages.c.message_uuid == item_uuid
                    )
                ).first()
                if again is not None:
                    return InsertResult(int(again.item_id), True, again.received_at, original)
            blob: Any
            if stream_blob:
                blob = func.zeroblob(self.cipher.blob_size(size))
            else:
                assert isinstance(memo, bytes)
                blob = self.cipher.seal_blob(memo, _memo_ctx(item_uuid))
            new_id = conn.execute(
                messages.insert()
                .values(
                    message_uuid=item_uuid,
                    received_at=received_at,
                    transaction_id=transaction_id,
                    contact_point_id=contact_point_id,
                    kind=kind,
                    memo_version=memo_version,
                    size=size,
                    sha256=digest,
                    memo=blob,
                    status=STATUS_NEW,
                )
                .returning(messages.c.item_id)
            ).scalar_one()
            new_id = int(new_id)
            conn.execute(item_state.insert().values(item_id=new_id, change_seq=_next_seq()))
            if original is not None:
                conn.execute(
                    conflicts.insert().values(
                        item_id=new_id, original_item_id=original, original_uuid=message_uuid
                    )
                )
            if facts is not None:
                conn.execute(
                    message_facts.insert().values(
                        item_id=new_id, facts=self.cipher.seal_text(facts, _facts_ctx(new_id))
                    )
                )
            if stream_blob:
                sealed = self.cipher.seal_chunks(_pieces(memo), size, _memo_ctx(item_uuid))
                _write_blob(conn, new_id, sealed)
            return InsertResult(new_id, False, received_at, original)

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT (with ON CONFLICT support)."""
        if self.dialect == "postgresql":
            return pg_dialect.insert(table)
        return sqlite_dialect.insert(table)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(messages)).scalar() or 0)

    def max_item_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(messages.c.item_id))).scalar() or 0)

    _ITEM_COLUMNS = (
        messages.c.item_id,
        messages.c.message_uuid,
        messages.c.received_at,
        messages.c.contact_point_id,
        messages.c.kind,
        messages.c.memo_version,
        messages.c.size,
        messages.c.sha256,
        messages.c.status,
        messages.c.outcome,
        messages.c.outcome_case_id,
        messages.c.outcome_user,
        claims.c.user.label("claim_user"),
        claims.c.expires_at.label("claim_expires_at"),
        item_state.c.change_seq,
        item_state.c.decision_id.label("current_decision_id"),
        decisions.c.action.label("decision_action"),
        decisions.c.state.label("decision_state"),
        decisions.c.reason.label("decision_reason"),
        decisions.c.follow_up.label("decision_follow_up"),
        conflicts.c.original_uuid.label("conflict_of"),
    )
    _ITEM_FROM = (
        messages.outerjoin(claims, claims.c.item_id == messages.c.item_id)
        .outerjoin(item_state, item_state.c.item_id == messages.c.item_id)
        .outerjoin(decisions, decisions.c.decision_id == item_state.c.decision_id)
        .outerjoin(conflicts, conflicts.c.item_id == messages.c.item_id)
    )

    def _item(self, row: Any, memo: bytes | None, now: datetime, inline: bool = True) -> StoredItem:
        claimed = row.claim_user is not None and row.claim_expires_at > now
        reason = row.decision_reason
        if reason is not None:
            reason = self._open(reason, _decision_ctx(row.current_decision_id))
        return StoredItem(
            item_id=int(row.item_id),
            message_uuid=row.message_uuid,
            received_at=row.received_at,
            contact_point_id=row.contact_point_id,
            kind=row.kind,
            memo_version=row.memo_version,
            size=int(row.size),
            sha256=row.sha256,
            status=row.status,
            outcome=row.outcome,
            outcome_case_id=self._open(row.outcome_case_id, _outcome_ctx(int(row.item_id))),
            outcome_user=row.outcome_user,
            claimed_by=row.claim_user if claimed else None,
            claim_expires_at=row.claim_expires_at if claimed else None,
            memo=memo,
            memo_inline=inline,
            change_seq=int(row.change_seq or row.item_id),
            delivery_state=row.decision_state or STATE_NEW,
            delivery_reason=reason,
            decision_kind=row.decision_action,
            decision_id=row.current_decision_id,
            follow_up=bool(row.decision_follow_up),
            conflict_of=row.conflict_of,
        )

    @staticmethod
    def _memo_column(inline_max: int | None) -> ColumnElement[Any]:
        if inline_max is None:
            return messages.c.memo
        return case((messages.c.size <= inline_max, messages.c.memo), else_=None).label("memo")

    def _row_item(
        self, row: Any, with_memo: bool, inline_max: int | None, now: datetime
    ) -> StoredItem:
        if not with_memo:
            return self._item(row, None, now)
        if inline_max is not None and int(row.size) > inline_max:
            return self._item(row, None, now, inline=False)
        return self._item(
            row, self._open_memo(row.message_uuid, bytes(row.memo), int(row.size)), now
        )

    def list_after(
        self,
        after: int,
        limit: int,
        *,
        max_bytes: int = 8 * 1024 * 1024,
        with_memo: bool = True,
        inline_max: int | None = None,
    ) -> Page:
        """Items whose change number (`change_seq`) is > after, in that order: at most `limit`
        items and, beyond the first, at most `max_bytes` of MeMo. Two SELECTs: sizes first, then
        the chosen rows. A new item's change number is above every earlier one, and a delivery
        state change gives the item a new, larger one: the cursor (`next_cursor`, the last
        listed change number) thus lists every new item once and every changed item again.
        Without state changes the change number is the item id.

        `inline_max`: MeMo bigger than this are not loaded (`memo_inline=False`, memo None) and
        count only a token amount against `max_bytes`; the client streams them separately."""
        limit = max(1, limit)
        with self.engine.connect() as conn:
            sizes = conn.execute(
                select(item_state.c.change_seq, messages.c.size)
                .select_from(item_state.join(messages, messages.c.item_id == item_state.c.item_id))
                .where(item_state.c.change_seq > after)
                .order_by(item_state.c.change_seq)
                .limit(limit + 1)
            ).all()
            if not sizes:
                return Page((), after, False)
            total, last, count = 0, after, 0  # the first row is always taken
            for item_id, item_size in sizes[:limit]:
                size = item_size
                if with_memo and inline_max is not None and item_size > inline_max:
                    size = _NOT_INLINED_COST
                if count and total + size > max_bytes:
                    break
                total += size
                last = item_id
                count += 1
            more = count < len(sizes)
            cols = self._ITEM_COLUMNS + ((self._memo_column(inline_max),) if with_memo else ())
            rows = conn.execute(
                select(*cols)
                .select_from(self._ITEM_FROM)
                .where(item_state.c.change_seq > after, item_state.c.change_seq <= last)
                .order_by(item_state.c.change_seq)
            ).all()
        now = utcnow()
        items = tuple(self._row_item(r, with_memo, inline_max, now) for r in rows)
        return Page(items, int(last), more)

    def fetch(
        self, item_id: int, *, with_memo: bool = True, inline_max: int | None = None
    ) -> StoredItem:
        cols = self._ITEM_COLUMNS + ((self._memo_column(inline_max),) if with_memo else ())
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*cols).select_from(self._ITEM_FROM).where(messages.c.item_id == item_id)
            ).first()
        if row is None:
            raise StoreError("UKENDT_ELEMENT", f"Element {item_id} findes ikke")
        return self._row_item(row, with_memo, inline_max, utcnow())

    def message_facts(self, item_id: int) -> str | None:
        """The stored header and file index of an item (`insert_message(facts=...)`); None for
        items stored before the gateway kept them."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(message_facts.c.facts).where(message_facts.c.item_id == item_id)
            ).scalar()
        return None if value is None else self._open(str(value), _facts_ctx(item_id))

    def memo_chunks(
        self, item_id: int, chunk: int = _CHUNK
    ) -> tuple[int, str, Generator[bytes, None, None]]:
        """(size, sha256, chunks) of one stored MeMo, for streaming it out without loading it.

        The iterator holds one read connection (a consistent snapshot) until exhausted or
        closed; call `next()` from worker threads, never on the event loop."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(messages.c.size, messages.c.sha256).where(messages.c.item_id == item_id)
            ).first()
        if row is None:
            raise StoreError("UKENDT_ELEMENT", f"Element {item_id} findes ikke")
        size = int(row.size)
        return size, row.sha256, self._chunks(item_id, size, chunk)

    def _chunks(self, item_id: int, size: int, chunk: int) -> Generator[bytes, None, None]:
        """The plaintext of one sealed MeMo, CHUNK by CHUNK (`chunk` is kept for callers: the
        sealed chunks are CHUNK bytes of plaintext each)."""
        del chunk
        with self.engine.connect() as conn:
            item_uuid = conn.execute(
                select(messages.c.message_uuid).where(messages.c.item_id == item_id)
            ).scalar()
            if item_uuid is None:
                return
            ctx = _memo_ctx(item_uuid)
            try:
                if self.dialect == "sqlite":
                    raw = conn.connection.driver_connection
                    assert raw is not None  # an open connection has its DBAPI connection
                    with raw.blobopen("gw_messages", "memo", item_id, readonly=True) as blob:

                        def read(offset: int, n: int) -> bytes:
                            blob.seek(offset)
                            return bytes(blob.read(n))

                        yield from self.cipher.open_chunks(read, size, ctx)
                    return

                def pg_read(offset: int, n: int) -> bytes:
                    piece = conn.execute(
                        select(func.substring(messages.c.memo, offset + 1, n)).where(
                            messages.c.item_id == item_id
                        )
                    ).scalar()
                    return bytes(piece or b"")

                # each substring detoasts: fewer, larger reads
                yield from self.cipher.open_chunks(pg_read, size, ctx, group=8)
            except DecryptError as exc:
                raise self._damaged_value(exc, "gw_messages.memo") from None

    # -- claims --

    def claim(
        self,
        item_id: int,
        user: str,
        lease_seconds: float,
        *,
        max_lease_seconds: float | None = None,
        max_claims: int | None = None,
    ) -> Claim:
        """Take or extend a lease. Refused while another user holds an unexpired claim, and
        for items with a final outcome. The policy's caps (issue 11): a lease longer than
        `max_lease_seconds` is clamped to it (the Claim shows the real expiry); a new claim
        while `user` already holds `max_claims` live ones is refused (FOR_MANGE_RESERVATIONER).
        The count cannot be raced: SQLite writes one at a time, PostgreSQL takes a per-user
        transaction advisory lock before counting."""
        cap = MAX_LEASE_SECONDS if max_lease_seconds is None else max_lease_seconds
        lease = min(max(float(lease_seconds), 1.0), MAX_LEASE_SECONDS, max(cap, 1.0))
        with self._writing() as conn:
            if max_claims is not None and self.dialect == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k, hashtext(:u))"),
                    {"k": _PG_CLAIM_LOCK_KEY, "u": user},
                )
            item = self._lock_item(conn, item_id)
            if item.outcome is not None and item.outcome not in NON_FINAL_OUTCOMES:
                raise StoreError(
                    "ALLEREDE_BEHANDLET", f"Element {item_id} er allerede {item.outcome}"
                )
            now = utcnow()
            held = conn.execute(select(claims).where(claims.c.item_id == item_id)).first()
            if held is not None and held.user != user and held.expires_at > now:
                raise _claimed_error(item_id, held.user, held.expires_at)
            renewing = held is not None and held.user == user and held.expires_at > now
            if max_claims is not None and not renewing:
                live = conn.execute(
                    select(func.count())
                    .select_from(claims)
                    .where(claims.c.user == user, claims.c.expires_at > now)
                ).scalar_one()
                if live >= max_claims:
                    raise StoreError(
                        "FOR_MANGE_RESERVATIONER",
                        f"Du har allerede {live} reservationer (højst {max_claims}); "
                        "frigiv eller afslut en først",
                    )
            expires = now + timedelta(seconds=lease)
            claimed_at = (
                held.claimed_at
                if held is not None and held.user == user and held.expires_at > now
                else now
            )
            if held is None:
                conn.execute(
                    claims.insert().values(
                        item_id=item_id, user=user, claimed_at=claimed_at, expires_at=expires
                    )
                )
            else:
                conn.execute(
                    claims.update()
                    .where(claims.c.item_id == item_id)
                    .values(user=user, claimed_at=claimed_at, expires_at=expires)
                )
            return Claim(item_id, user, claimed_at, expires)

    def release(self, item_id: int, user: str) -> None:
        """Give up a claim; releasing what one does not hold (or an expired lease) is a no-op,
        but another user's live claim is refused."""
        with self._writing() as conn:
            self._lock_item(conn, item_id)
            held = conn.execute(select(claims).where(claims.c.item_id == item_id)).first()
            if held is None:
                return
            if held.user != user and held.expires_at > utcnow():
                raise _claimed_error(item_id, held.user, held.expires_at)
            conn.execute(claims.delete().where(claims.c.item_id == item_id))

    def claims(self) -> list[Claim]:
        now = utcnow()
        with self.engine.connect() as conn:
            rows = conn.execute(select(claims).order_by(claims.c.item_id)).all()
        return [
            Claim(int(r.item_id), r.user, r.claimed_at, r.expires_at)
            for r in rows
            if r.expires_at > now
        ]

    # -- a caseworker's items (app.gateway.authz) --

    def _mine(self, caseworker_id: str, user: str) -> Any:
        """Items whose current decision assigns them to `caseworker_id`, or is `user`'s own."""
        d, a, st = decisions.c, assignees.c, item_state.c
        return (
            select(st.item_id)
            .join(decisions, d.decision_id == st.decision_id)
            .outerjoin(assignees, a.decision_id == d.decision_id)
            .where(or_(a.caseworker_id == caseworker_id, d.user == user))
        )

    def assigned_item_ids(self, caseworker_id: str, user: str) -> frozenset[int]:
        """The items a caseworker sees: assigned to them now, or decided by them."""
        with self.engine.connect() as conn:
            rows = conn.execute(self._mine(caseworker_id, user)).all()
        return frozenset(int(r.item_id) for r in rows)

    def is_assigned(
        self,
        caseworker_id: str,
        user: str,
        *,
        item_id: int | None = None,
        message_uuid: str | None = None,
    ) -> bool:
        """Whether one item (by id or messageUUID) is the caseworker's (as assigned_item_ids)."""
        query = self._mine(caseworker_id, user)
        if item_id is not None:
            query = query.where(item_state.c.item_id == item_id)
        else:
            query = query.join(messages, messages.c.item_id == item_state.c.item_id).where(
                messages.c.message_uuid == (message_uuid or "").lower()
            )
        with self.engine.connect() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def assignments_of(self, caseworker_id: str) -> list[dict[str, Any]]:
        """The items whose current decision assigns them to `caseworker_id`: [{"message_uuid",
        "contact_point_id", "decision_id", "state", "payload"}] (payload opened), oldest first."""
        d, a, st, m = decisions.c, assignees.c, item_state.c, messages.c
        query = (
            select(m.message_uuid, m.contact_point_id, d.decision_id, d.state)
            .select_from(item_state)
            .join(decisions, d.decision_id == st.decision_id)
            .join(assignees, a.decision_id == d.decision_id)
            .join(messages, m.item_id == st.item_id)
            .where(a.caseworker_id == caseworker_id, d.action == "assign")
            .order_by(st.item_id)
        )
        out = []
        with self.engine.connect() as conn:
            for r in conn.execute(query).all():
                row = self._decision_row(conn, str(r.decision_id))
                out.append(
                    {
                        "message_uuid": r.message_uuid,
                        "contact_point_id": r.contact_point_id,
                        "decision_id": r.decision_id,
                        "state": r.state,
                        "payload": json.loads(row.payload or "{}") if row is not None else {},
                    }
                )
        return out

    # -- outcomes --

    def record_outcome(
        self,
        item_id: int,
        user: str,
        outcome: str,
        *,
        case_id: str | None = None,
        note: str | None = None,
        require_claim: bool = False,
    ) -> StoredItem:
        """Record what was done with an item. Needs the caller's claim or no live claim
        (`require_claim`: the caller's own claim, live or lapsed with nobody claiming since).
        Repeating the same final outcome (same case) is idempotent; a different one after a final
        outcome is refused. Recording releases the caller's claim."""
        if outcome not in OUTCOMES:
            raise StoreError("UGYLDIGT_UDFALD", f"Ukendt udfald: {outcome[:40]}")
        with self._writing() as conn:
            item = self._lock_item(conn, item_id)
            now = utcnow()
            held = conn.execute(select(claims).where(claims.c.item_id == item_id)).first()
            if held is not None and held.user != user and held.expires_at > now:
                raise _claimed_error(item_id, held.user, held.expires_at)
            if item.outcome is not None and item.outcome not in NON_FINAL_OUTCOMES:
                stored_case = self._open(item.outcome_case_id, _outcome_ctx(item_id))
                if item.outcome == outcome and stored_case == case_id:
                    if held is not None and held.user == user:
                        conn.execute(claims.delete().where(claims.c.item_id == item_id))
                    return self._fetch_in(conn, item_id)
                raise StoreError(
                    "ALLEREDE_BEHANDLET", f"Element {item_id} er allerede {item.outcome}"
                )
            if require_claim and (held is None or held.user != user):
                raise StoreError("IKKE_RESERVERET", "Du har ikke reserveret elementet")
            action = _OUTCOME_ACTION.get(outcome)  # the mailbox's outcomes follow the policy too
            if action is not None:
                refused = self._policy_in(conn).policy.decision_refusal(action, {})
                if refused:
                    raise StoreError(CODE_POLICY, refused)
            status = STATUS_ASSIGNED if outcome in NON_FINAL_OUTCOMES else STATUS_DONE
            conn.execute(
                messages.update()
                .where(messages.c.item_id == item_id)
                .values(
                    status=status,
                    outcome=outcome,
                    outcome_case_id=self.cipher.seal_text(case_id, _outcome_ctx(item_id)),
                    outcome_user=user,
                    outcome_note=self.cipher.seal_text(note, _outcome_ctx(item_id)),
                    outcome_at=now,
                )
            )
            conn.execute(
                outcome_log.insert().values(
                    item_id=item_id,
                    outcome=outcome,
                    case_id=self.cipher.seal_text(case_id, _log_ctx(item_id)),
                    user=user,
                    note=self.cipher.seal_text(note, _log_ctx(item_id)),
                    at=now,
                )
            )
            if held is not None:
                conn.execute(claims.delete().where(claims.c.item_id == item_id))
            return self._fetch_in(conn, item_id)

    def _fetch_in(self, conn: Connection, item_id: int) -> StoredItem:
        row = conn.execute(
            select(*self._ITEM_COLUMNS)
            .select_from(self._ITEM_FROM)
            .where(messages.c.item_id == item_id)
        ).one()
        return self._item(row, None, utcnow())

    def outcome_history(self, item_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outcome_log)
                .where(outcome_log.c.item_id == item_id)
                .order_by(outcome_log.c.id)
            ).all()
        out = []
        for r in rows:
            d = dict(r._mapping)
            d["case_id"] = self._open(d["case_id"], _log_ctx(item_id))
            d["note"] = self._open(d["note"], _log_ctx(item_id))
            out.append(d)
        return out

    # -- decisions (DESIGN9: the gateway delivers them) --

    def _bump(self, conn: Connection, item_id: int, decision_id: str | None = None) -> None:
        """Give the item the next change number (and, when given, its current decision), so
        the mailbox list shows it again to clients that already have it."""
        if self.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INSERT_LOCK_KEY})
        values: dict[str, Any] = {"change_seq": _next_seq()}
        if decision_id is not None:
            values["decision_id"] = decision_id
        done = conn.execute(
            item_state.update().where(item_state.c.item_id == item_id).values(**values)
        ).rowcount
        if not done:
            conn.execute(item_state.insert().values(item_id=item_id, **values))

    def _lock_item_uuid(self, conn: Connection, message_uuid: str) -> Any:
        row = conn.execute(
            select(
                messages.c.item_id,
                messages.c.contact_point_id,
                messages.c.outcome,
                messages.c.outcome_case_id,
            )
            .where(messages.c.message_uuid == message_uuid)
            .with_for_update()
        ).first()
        if row is None:
            raise StoreError("UKENDT", NOT_VISIBLE_TEXT)
        return row

    def _decision_row(self, conn: Connection, decision_id: str, *, lock: bool = False) -> Any:
        """The decision row with its sealed fields opened (attribute access), or None."""
        query = select(decisions).where(decisions.c.decision_id == decision_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        values = dict(row._mapping)
        ctx = _decision_ctx(str(row.decision_id))
        for name in ("payload", "reason", "plan"):
            values[name] = self._open(values[name], ctx)
        return SimpleNamespace(**values)

    @staticmethod
    def _status(message_uuid: str, row: Any | None) -> DecisionStatus:
        if row is None:
            return DecisionStatus(message_uuid, STATE_NEW, None, None, None, False, None)
        return DecisionStatus(
            message_uuid=message_uuid,
            state=row.state,
            decision=row.action,
            reason=row.reason,
            decision_id=row.decision_id,
            follow_up=bool(row.follow_up),
            updated_at=row.updated_at,
        )

    def submit_decision(
        self,
        user: str,
        decision_id: str,
        message_uuid: str,
        action: str,
        payload: Mapping[str, Any],
        *,
        can_see: Callable[[str | None], bool] | None = None,
        refuse: Callable[[], str | None] | None = None,
        require_claim: bool = False,
    ) -> DecisionStatus:
        """Take a distributor's decision on an item (idempotent on `decision_id`).
        `require_claim` (issue 11: distributors and team leads): a new decision needs the
        caller's claim — a live lease, or their own that expired with nobody claiming since
        (a PC's outbox delivering late); else StoreError IKKE_RESERVERET.
        `refuse()`: asked for a new decision only (a repeat is answered as before): a reason
        means StoreError POLITIK (the municipality's policy does not allow it).

        `reject` (the distributor's Afvis) ends here: `afsluttet`, nothing goes to SF2900.
        Every other decision becomes `afventer` with a gateway outbox row the delivery worker
        takes. The item's outcome is recorded as `record_outcome` does and the caller's claim
        released. The same `decision_id` again answers the decision's current status.
        Refusals (StoreError codes): UGYLDIG (bad id/action/payload), UKENDT (no such item, or
        `can_see(contact_point_id)` is false: the same text for both), OPTAGET (another
        user's live claim), ALLEREDE_BEHANDLET (the item has a live or final decision or
        outcome; a new decision is allowed after `afvist_af_dubu`/`fejlet`, and after an
        assignment that reached DUBU: the caseworker then journalises the item)."""
        try:
            decision_id = str(uuid.UUID(str(decision_id)))
            message_uuid = str(uuid.UUID(str(message_uuid)))
        except ValueError:
            raise StoreError("UGYLDIG", "decision_id og message_uuid skal være UUID'er") from None
        if action not in ACTIONS:
            raise StoreError("UGYLDIG", f"Ukendt handling: {str(action)[:40]}")
        try:
            decision = decision_from_json(action, payload)
        except DecisionError as exc:
            raise StoreError("UGYLDIG", str(exc)) from None
        stored_payload = self.cipher.seal_text(
            json.dumps(decision.to_json(), ensure_ascii=False, sort_keys=True),
            _decision_ctx(decision_id),
        )
        with self._writing() as conn:
            item = self._lock_item_uuid(conn, message_uuid)
            if can_see is not None and not can_see(item.contact_point_id):
                raise StoreError("UKENDT", NOT_VISIBLE_TEXT)
            existing = self._decision_row(conn, decision_id)
            if existing is not None:
                if existing.item_id != item.item_id:
                    raise StoreError(
                        "UGYLDIG", "decision_id er allerede brugt til et andet element"
                    )
                return self._status(message_uuid, existing)
            refused = refuse() if refuse is not None else None
            if refused:
                raise StoreError(CODE_POLICY, refused)
            current_id = conn.execute(
                select(item_state.c.decision_id).where(item_state.c.item_id == item.item_id)
            ).scalar()
            current = self._decision_row(conn, current_id) if current_id else None
            if current is not None and not _allows_next(current):
                raise StoreError("ALLEREDE_BEHANDLET", "Elementet er allerede behandlet")
            if (
                current is None
                and item.outcome is not None
                and item.outcome not in NON_FINAL_OUTCOMES
            ):
                raise StoreError("ALLEREDE_BEHANDLET", "Elementet er allerede behandlet")
            now = utcnow()
            held = conn.execute(select(claims).where(claims.c.item_id == item.item_id)).first()
            if held is not None and held.user != user and held.expires_at > now:
                raise StoreError("OPTAGET", "Elementet er reserveret af en anden bruger")
            if require_claim and (held is None or held.user != user):
                raise StoreError("IKKE_RESERVERET", "Du har ikke reserveret elementet")
            state = STATE_CLOSED if action == "reject" else STATE_PENDING
            reason = _outcome_note(decision)
            conn.execute(
                decisions.insert().values(
                    decision_id=decision_id,
                    item_id=item.item_id,
                    action=action,
                    payload=stored_payload,
                    user=user,
                    state=state,
                    reason=None,
                    created_at=now,
                    updated_at=now,
                    follow_up=False,
                )
            )
            if state == STATE_PENDING:
                conn.execute(
                    outbox.insert().values(decision_id=decision_id, next_attempt_at=now, attempts=0)
                )
            if isinstance(decision, Assign):
                conn.execute(
                    assignees.insert().values(
                        decision_id=decision_id, caseworker_id=decision.caseworker_id
                    )
                )
            outcome = ACTION_OUTCOME[action]
            case_id = getattr(decision, "case_id", None)
            item_ctx, log_ctx = _outcome_ctx(int(item.item_id)), _log_ctx(int(item.item_id))
            conn.execute(
                messages.update()
                .where(messages.c.item_id == item.item_id)
                .values(
                    status=STATUS_ASSIGNED if outcome in NON_FINAL_OUTCOMES else STATUS_DONE,
                    outcome=outcome,
                    outcome_case_id=self.cipher.seal_text(case_id, item_ctx),
                    outcome_user=user,
                    outcome_note=self.cipher.seal_text(reason, item_ctx),
                    outcome_at=now,
                )
            )
            conn.execute(
                outcome_log.insert().values(
                    item_id=item.item_id,
                    outcome=outcome,
                    case_id=self.cipher.seal_text(case_id, log_ctx),
                    user=user,
                    note=self.cipher.seal_text(reason, log_ctx),
                    at=now,
                )
            )
            if held is not None:
                conn.execute(claims.delete().where(claims.c.item_id == item.item_id))
            self._bump(conn, item.item_id, decision_id)
            return self._status(message_uuid, self._decision_row(conn, decision_id))

    def decision_status(
        self,
        message_uuid: str,
        user: str | None = None,
        *,
        can_see: Callable[[str | None], bool] | None = None,
    ) -> DecisionStatus:
        """The item's current delivery state (`ny` without a decision). StoreError UKENDT for
        an unknown item and for one `can_see(contact_point_id)` refuses (same text)."""
        try:
            message_uuid = str(uuid.UUID(str(message_uuid)))
        except ValueError:
            raise StoreError("UKENDT", NOT_VISIBLE_TEXT) from None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(messages.c.contact_point_id, item_state.c.decision_id)
                .select_from(
                    messages.outerjoin(item_state, item_state.c.item_id == messages.c.item_id)
                )
                .where(messages.c.message_uuid == message_uuid)
            ).first()
            if row is None or (can_see is not None and not can_see(row.contact_point_id)):
                raise StoreError("UKENDT", NOT_VISIBLE_TEXT)
            current = self._decision_row(conn, row.decision_id) if row.decision_id else None
        return self._status(message_uuid, current)

    def decision(self, decision_id: str) -> dict[str, Any] | None:
        """The stored decision row (for tests and the CLI), None when unknown."""
        with self.engine.connect() as conn:
            row = self._decision_row(conn, decision_id)
        return None if row is None else dict(vars(row))

    def delivery_parts(self, decision_id: str) -> list[DeliveryPart]:
        with self.engine.connect() as conn:
            return self._parts(conn, decision_id)

    def _parts(self, conn: Connection, decision_id: str) -> list[DeliveryPart]:
        def opened(value: str | None, part: int) -> str | None:
            return self._open(value, _part_ctx(decision_id, part))

        rows = conn.execute(
            select(delivery_parts)
            .where(delivery_parts.c.decision_id == decision_id)
            .order_by(delivery_parts.c.part)
        ).all()
        return [
            DeliveryPart(
                decision_id=r.decision_id,
                part=int(r.part),
                kind=r.kind,
                anvender_transaktions_id=r.anvender_transaktions_id,
                file_index=r.file_index,
                remote_name=opened(r.remote_name, int(r.part)),
                remote_sha256=r.remote_sha256,
                size=None if r.size is None else int(r.size),
                step=r.step,
                distribution_transaktions_id=r.distribution_transaktions_id,
                receipt_status=r.receipt_status,
                receipt_reason=opened(r.receipt_reason, int(r.part)),
            )
            for r in rows
        ]

    def _set_state(
        self,
        conn: Connection,
        row: Any,
        state: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Move a decision to `state`; the item gets a new change number. `afvist_af_dubu` and
        `fejlet` put the item back in the distributors' queue (outcome cleared, history kept)
        and drop its outbox row."""
        values: dict[str, Any] = {
            "state": state,
            "reason": self.cipher.seal_text(reason, _decision_ctx(str(row.decision_id))),
            "updated_at": now,
        }
        if state in (STATE_SENT, STATE_ACCEPTED) and row.sent_at is None:
            values["sent_at"] = now
        if state != STATE_SENT:
            values["follow_up"] = False
        conn.execute(
            decisions.update().where(decisions.c.decision_id == row.decision_id).values(**values)
        )
        if state in REOPENING_STATES:
            conn.execute(outbox.delete().where(outbox.c.decision_id == row.decision_id))
            current = conn.execute(
                select(item_state.c.decision_id).where(item_state.c.item_id == row.item_id)
            ).scalar()
            if current == row.decision_id:
                conn.execute(
                    messages.update()
                    .where(messages.c.item_id == row.item_id)
                    .values(
                        status=STATUS_NEW,
                        outcome=None,
                        outcome_case_id=None,
                        outcome_user=None,
                        outcome_note=None,
                        outcome_at=None,
                    )
                )
                conn.execute(
                    outcome_log.insert().values(
                        item_id=row.item_id,
                        outcome=state,
                        case_id=None,
                        user=row.user,
                        note=self.cipher.seal_text(
                            (reason or "")[:4000] or None, _log_ctx(int(row.item_id))
                        ),
                        at=now,
                    )
                )
        self._bump(conn, int(row.item_id))

    def _recompute(self, conn: Connection, decision_id: str, now: datetime) -> str:
        """Derive the decision's state from its parts (after a part changed); returns it."""
        row = self._decision_row(conn, decision_id, lock=True)
        if row is None:
            return STATE_NEW
        if row.state in TERMINAL_STATES:
            return str(row.state)
        parts = self._parts(conn, decision_id)
        if not parts:
            return str(row.state)
        steps = [p.step for p in parts]
        reason: str | None = None
        if STEP_DUBU_REJECTED in steps:
            state = STATE_DUBU_REJECTED
            reason = next(p.receipt_reason for p in parts if p.step == STEP_DUBU_REJECTED)
        elif STEP_FAILED in steps:
            state = STATE_FAILED
            reason = next(p.receipt_reason for p in parts if p.step == STEP_FAILED)
        elif all(step == STEP_ACCEPTED for step in steps):
            state = STATE_ACCEPTED
        elif all(step in (STEP_SENT, STEP_ACCEPTED) for step in steps):
            state = STATE_SENT
        else:
            state = STATE_PENDING
        if state != row.state:
            self._set_state(conn, row, state, reason, now)
        return state

    def apply_business_receipt(self, receipt: BusinessReceiptLike) -> ReceiptOutcome:
        """Apply one SF2900 business receipt (FordelingskvitteringModtag) to its part.

        Idempotent: the same (AnvenderTransaktionsID, status) twice is DUPLICATE and changes
        nothing; an unknown id is UNKNOWN. ACCEPTERET on every part → `accepteret`; AFVIST →
        `afvist_af_dubu` (reason kept, the item back in the distributors' queue); FEJLET →
        `fejlet`. A receipt that overtakes the worker's own "sent" step is kept (the worker
        never overwrites it)."""
        status = str(receipt.status).upper()
        step = _RECEIPT_STEP.get(status)
        if step is None:
            raise StoreError("UGYLDIG", f"Ukendt kvitteringsstatus: {status[:20]}")
        try:
            tid = str(uuid.UUID(str(receipt.anvender_transaktions_id)))
        except ValueError:
            return ReceiptOutcome.UNKNOWN
        with self._writing() as conn:
            part = conn.execute(
                select(delivery_parts.c.decision_id, delivery_parts.c.part, decisions.c.item_id)
                .select_from(
                    delivery_parts.join(
                        decisions, decisions.c.decision_id == delivery_parts.c.decision_id
                    )
                )
                .where(delivery_parts.c.anvender_transaktions_id == tid)
            ).first()
            if part is None:
                return ReceiptOutcome.UNKNOWN
            self._lock_item(conn, int(part.item_id))  # serialised with decisions on the item
            now = utcnow()
            inserted = conn.execute(
                self._insert(business_receipts)
                .values(
                    anvender_transaktions_id=tid,
                    status=status,
                    reason=self.cipher.seal_text(receipt.reason, _receipt_ctx(tid, status)),
                    distribution_transaktions_id=receipt.distribution_transaktions_id,
                    received_at=now,
                )
                .on_conflict_do_nothing(index_elements=["anvender_transaktions_id", "status"])
                .returning(business_receipts.c.id)
            ).scalar()
            if inserted is None:
                return ReceiptOutcome.DUPLICATE
            values: dict[str, Any] = {
                "step": step,
                "receipt_status": status,
                "receipt_reason": self.cipher.seal_text(
                    receipt.reason, _part_ctx(part.decision_id, int(part.part))
                ),
                "receipt_at": now,
            }
            if receipt.distribution_transaktions_id:
                values["distribution_transaktions_id"] = func.coalesce(
                    delivery_parts.c.distribution_transaktions_id,
                    receipt.distribution_transaktions_id,
                )
            conn.execute(
                delivery_parts.update()
                .where(
                    delivery_parts.c.decision_id == part.decision_id,
                    delivery_parts.c.part == part.part,
                )
                .values(**values)
            )
            self._recompute(conn, part.decision_id, now)
            return ReceiptOutcome.APPLIED

    def receipt_sent_at(self, anvender_transaktions_id: str) -> datetime | None:
        """When the decision owning this part was sent to SF2900 (`sent_at`, set once every
        part had its technical receipt), or None (unknown id, not sent yet): the time the
        40-day receipt limit counts from."""
        try:
            tid = str(uuid.UUID(str(anvender_transaktions_id)))
        except ValueError:
            return None
        with self.engine.connect() as conn:
            value = conn.execute(
                select(decisions.c.sent_at)
                .select_from(
                    delivery_parts.join(
                        decisions, decisions.c.decision_id == delivery_parts.c.decision_id
                    )
                )
                .where(delivery_parts.c.anvender_transaktions_id == tid)
            ).scalar()
        return value if isinstance(value, datetime) else None

    def flag_overdue(self, now: datetime, after: timedelta) -> int:
        """Flag `sendt` decisions without a business receipt for `after` for follow-up; each
        flagged item gets a new change number (clients show the flag). Returns how many."""
        with self._writing() as conn:
            rows = conn.execute(
                select(decisions.c.decision_id, decisions.c.item_id)
                .where(
                    decisions.c.state == STATE_SENT,
                    decisions.c.follow_up.is_(False),
                    decisions.c.sent_at < now - after,
                )
                .with_for_update()
            ).all()
            for r in rows:
                conn.execute(
                    decisions.update()
                    .where(decisions.c.decision_id == r.decision_id)
                    .values(follow_up=True, updated_at=now)
                )
                self._bump(conn, int(r.item_id))
            return len(rows)

    # -- the gateway outbox (used by app.gateway.delivery) --

    def claim_delivery(
        self, node_id: str, lease_seconds: float, now: datetime | None = None
    ) -> DeliveryJob | None:
        """Take the next due outbox row for `node_id` with a lease, or None. A row whose lease
        expired (its node died) is due again; a leased row is never taken twice."""
        now = now or utcnow()
        until = now + timedelta(seconds=max(1.0, lease_seconds))
        # SQLite: BEGIN IMMEDIATE (see _writing): no other process claims between our read
        # and our update. PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED.
        with self._writing() as conn:
            query = (
                select(outbox.c.decision_id, outbox.c.attempts)
                .where(
                    outbox.c.next_attempt_at <= now,
                    (outbox.c.lease_until.is_(None)) | (outbox.c.lease_until < now),
                )
                .order_by(outbox.c.next_attempt_at)
                .limit(1)
            )
            if self.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                return None
            attempts = int(row.attempts) + 1
            conn.execute(
                outbox.update()
                .where(outbox.c.decision_id == row.decision_id)
                .values(lease_owner=node_id, lease_until=until, attempts=attempts)
            )
            d = self._decision_row(conn, row.decision_id)
            uuid_ = conn.execute(
                select(messages.c.message_uuid).where(messages.c.item_id == d.item_id)
            ).scalar()
            return DeliveryJob(
                decision_id=d.decision_id,
                item_id=int(d.item_id),
                message_uuid=str(uuid_),
                action=d.action,
                payload=json.loads(d.payload),  # opened by _decision_row
                user=d.user,
                state=d.state,
                plan=json.loads(d.plan) if d.plan else None,
                parts=tuple(self._parts(conn, d.decision_id)),
                attempts=attempts,
                lease_owner=node_id,
                lease_until=until,
            )

    def _held(
        self, conn: Connection, decision_id: str, node_id: str, renew: float | None = None
    ) -> None:
        """LeaseLost unless `node_id` holds the row; `renew`: extend the lease by that many
        seconds from now (each persisted step renews it for the next, long one)."""
        row = conn.execute(
            select(outbox.c.lease_owner, outbox.c.lease_until)
            .where(outbox.c.decision_id == decision_id)
            .with_for_update()
        ).first()
        if row is None or row.lease_owner != node_id:
            raise LeaseLost(decision_id)
        if renew is not None:
            conn.execute(
                outbox.update()
                .where(outbox.c.decision_id == decision_id)
                .values(lease_until=utcnow() + timedelta(seconds=max(1.0, renew)))
            )

    def renew_lease(self, decision_id: str, node_id: str, lease_seconds: float) -> None:
        """Extend this node's lease (before a long step: an upload, a SOAP call), so no other
        node takes the row while this one still works on it. LeaseLost when it is not ours."""
        until = utcnow() + timedelta(seconds=max(1.0, lease_seconds))
        with self._writing() as conn:
            done = conn.execute(
                outbox.update()
                .where(outbox.c.decision_id == decision_id, outbox.c.lease_owner == node_id)
                .values(lease_until=until)
            ).rowcount
            if not done:
                raise LeaseLost(decision_id)

    def save_plan(
        self,
        decision_id: str,
        node_id: str,
        plan: Mapping[str, Any],
        parts: Sequence[PartPlan],
        *,
        lease_seconds: float | None = None,
    ) -> list[DeliveryPart]:
        """Store the delivery plan (its facts and one row per part, step `pending`) once; a
        plan already stored (by an earlier attempt) is kept and returned as it is.
        `lease_seconds` (here and in the other steps): renew the lease for the next step."""
        with self._writing() as conn:
            self._held(conn, decision_id, node_id, lease_seconds)
            existing = self._parts(conn, decision_id)
            if existing:
                return existing
            conn.execute(
                decisions.update()
                .where(decisions.c.decision_id == decision_id)
                .values(
                    plan=self.cipher.seal_text(
                        json.dumps(dict(plan), ensure_ascii=False, sort_keys=True),
                        _decision_ctx(decision_id),
                    )
                )
            )
            for n, p in enumerate(parts):
                conn.execute(
                    delivery_parts.insert().values(
                        decision_id=decision_id,
                        part=n,
                        kind=p.kind,
                        anvender_transaktions_id=part_transaction_id(decision_id, n),
                        file_index=p.file_index,
                        step=STEP_PENDING,
                    )
                )
            return self._parts(conn, decision_id)

    def mark_uploaded(
        self,
        decision_id: str,
        part: int,
        node_id: str,
        *,
        remote_name: str,
        sha256: str,
        size: int,
        lease_seconds: float | None = None,
    ) -> None:
        """Part `part`'s file lies on the SFTP server under `remote_name` (step `uploaded`)."""
        with self._writing() as conn:
            self._held(conn, decision_id, node_id, lease_seconds)
            conn.execute(
                delivery_parts.update()
                .where(
                    delivery_parts.c.decision_id == decision_id,
                    delivery_parts.c.part == part,
                    delivery_parts.c.step == STEP_PENDING,
                )
                .values(
                    step=STEP_UPLOADED,
                    remote_name=self.cipher.seal_text(remote_name, _part_ctx(decision_id, part)),
                    remote_sha256=sha256,
                    size=size,
                )
            )

    def mark_sent(
        self,
        decision_id: str,
        part: int,
        node_id: str,
        *,
        distribution_transaktions_id: str | None,
        lease_seconds: float | None = None,
    ) -> str:
        """SF2900 gave the technical receipt for part `part`; returns the decision's state.
        A business receipt that already arrived for the part is kept."""
        with self._writing() as conn:
            self._held(conn, decision_id, node_id, lease_seconds)
            now = utcnow()
            conn.execute(
                delivery_parts.update()
                .where(
                    delivery_parts.c.decision_id == decision_id,
                    delivery_parts.c.part == part,
                    delivery_parts.c.step.in_((STEP_PENDING, STEP_UPLOADED)),
                )
                .values(step=STEP_SENT)
            )
            if distribution_transaktions_id:
                conn.execute(
                    delivery_parts.update()
                    .where(
                        delivery_parts.c.decision_id == decision_id,
                        delivery_parts.c.part == part,
                        delivery_parts.c.distribution_transaktions_id.is_(None),
                    )
                    .values(distribution_transaktions_id=distribution_transaktions_id)
                )
            return self._recompute(conn, decision_id, now)

    def reject_part(
        self, decision_id: str, part: int, node_id: str, *, status: str, reason: str
    ) -> str:
        """SF2900 refused part `part` synchronously (AFVIST / FEJLET): the decision becomes
        `afvist_af_dubu` / `fejlet`. Returns the decision's state."""
        step = _RECEIPT_STEP.get(status.upper(), STEP_FAILED)
        if step == STEP_ACCEPTED:
            step = STEP_FAILED
        with self._writing() as conn:
            self._held(conn, decision_id, node_id)
            now = utcnow()
            conn.execute(
                delivery_parts.update()
                .where(delivery_parts.c.decision_id == decision_id, delivery_parts.c.part == part)
                .values(
                    step=step,
                    receipt_status=status.upper(),
                    receipt_reason=self.cipher.seal_text(reason, _part_ctx(decision_id, part)),
                    receipt_at=now,
                )
            )
            return self._recompute(conn, decision_id, now)

    def fail_delivery(self, decision_id: str, node_id: str, reason: str) -> None:
        """A permanent delivery error (e.g. the case is unknown in DUBU): `fejlet`."""
        with self._writing() as conn:
            self._held(conn, decision_id, node_id)
            row = self._decision_row(conn, decision_id, lock=True)
            if row is not None and row.state not in TERMINAL_STATES:
                self._set_state(conn, row, STATE_FAILED, reason, utcnow())
            conn.execute(outbox.delete().where(outbox.c.decision_id == decision_id))

    def defer_delivery(
        self, decision_id: str, node_id: str, error: str, delay_seconds: float
    ) -> None:
        """Transient trouble: release the lease and try again after `delay_seconds`."""
        with self._writing() as conn:
            self._held(conn, decision_id, node_id)
            conn.execute(
                outbox.update()
                .where(outbox.c.decision_id == decision_id)
                .values(
                    lease_owner=None,
                    lease_until=None,
                    last_error=self.cipher.seal_text(error[:2000], _outbox_ctx(decision_id)),
                    next_attempt_at=utcnow() + timedelta(seconds=max(0.0, delay_seconds)),
                )
            )

    def finish_delivery(self, decision_id: str, node_id: str) -> None:
        """Every part has its technical receipt: the outbox row goes."""
        with self._writing() as conn:
            self._held(conn, decision_id, node_id)
            conn.execute(outbox.delete().where(outbox.c.decision_id == decision_id))

    def drop_delivery(self, decision_id: str) -> None:
        """Remove the outbox row of a decision that no longer needs delivery."""
        with self._writing() as conn:
            conn.execute(outbox.delete().where(outbox.c.decision_id == decision_id))

    def outbox_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox).order_by(outbox.c.next_attempt_at)).all()
        out = []
        for r in rows:
            d = dict(r._mapping)
            d["last_error"] = self._open(d["last_error"], _outbox_ctx(str(r.decision_id)))
            out.append(d)
        return out

    def next_delivery_at(self) -> datetime | None:
        """When the next outbox row is due (ignoring leases), None when the outbox is empty."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(outbox.c.next_attempt_at))).scalar()

    # -- the municipality's policy (app/gateway/policy.py) --

    def policy_version(self) -> PolicyVersion:
        """The policy in force: the newest stored version, else the default (version 0)."""
        with self.engine.connect() as conn:
            return self._policy_in(conn)

    def _policy_in(self, conn: Connection) -> PolicyVersion:
        row = conn.execute(
            select(policy_versions).order_by(policy_versions.c.version.desc()).limit(1)
        ).first()
        return _policy_row(row) if row is not None else PolicyVersion(0, DEFAULT_POLICY)

    def policy_history(self) -> list[PolicyVersion]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(policy_versions).order_by(policy_versions.c.version)).all()
        return [_policy_row(r) for r in rows]

    def set_policy(
        self, policy: WorkflowPolicy, author: str, reason: str, *, now: datetime | None = None
    ) -> PolicyVersion:
        """Store `policy` as the next version (author, time, reason) and log the change in
        the access log, in one transaction."""
        now = now or utcnow()
        body = json.dumps(policy.to_json(), ensure_ascii=False, sort_keys=True)
        with self._writing() as conn:
            self._lock_access(conn)
            version = (
                int(
                    conn.execute(
                        select(func.coalesce(func.max(policy_versions.c.version), 0))
                    ).scalar()
                    or 0
                )
                + 1
            )
            conn.execute(
                policy_versions.insert().values(
                    version=version, policy=body, author=author, at=now, reason=reason
                )
            )
            self._append_access(
                conn,
                [(f"policy:{version}", now, "policy_set", "", [], 0, f"version {version}")],
                actor=author,
                source="gateway",
                now=now,
            )
        return PolicyVersion(version, policy, author, _iso(now), reason)

    # -- the access log (app/gateway/accesslog.py) --

    def _lock_access(self, conn: Connection) -> None:
        if self.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_ACCESS_LOCK_KEY})

    def subject_hash(self, cpr: str) -> str:
        """The citizen's keyed hash in the access log (HMAC-SHA256 of the 10-digit CPR under
        the store's audit key). The caller has normalised the CPR; it is never stored."""
        return hmac.new(self._subject_key(), cpr.encode("ascii"), hashlib.sha256).hexdigest()

    def _subject_key(self) -> bytes:
        cached: bytes | None = getattr(self, "_subject_key_cache", None)
        if cached is not None:
            return cached
        context = f"gw_store_secrets:{_SUBJECT_KEY_NAME}"
        with self._writing() as conn:
            value = conn.execute(
                select(store_secrets.c.value).where(store_secrets.c.name == _SUBJECT_KEY_NAME)
            ).scalar()
            if value is None:
                fresh = secrets.token_hex(32)
                conn.execute(
                    self._insert(store_secrets)
                    .values(name=_SUBJECT_KEY_NAME, value=self.cipher.seal_text(fresh, context))
                    .on_conflict_do_nothing()
                )
                value = conn.execute(
                    select(store_secrets.c.value).where(store_secrets.c.name == _SUBJECT_KEY_NAME)
                ).scalar()
        opened = self._open(value, context)
        key = bytes.fromhex(opened or "")
        self._subject_key_cache = key
        return key

    def append_access(
        self,
        events: Sequence[tuple[str, datetime, str, str, Sequence[str], int, str]],
        *,
        actor: str,
        source: str,
        now: datetime | None = None,
    ) -> int:
        """Append events (event_id, at, action, item message UUID or "", subject hashes,
        source_seq, detail): one row per subject (one without). An event id already stored is
        skipped, so a redelivery adds nothing. Returns the rows added."""
        with self._writing() as conn:
            self._lock_access(conn)
            return self._append_access(conn, events, actor=actor, source=source, now=now)

    def _append_access(
        self,
        conn: Connection,
        events: Sequence[tuple[str, datetime, str, str, Sequence[str], int, str]],
        *,
        actor: str,
        source: str,
        now: datetime | None = None,
    ) -> int:
        now = now or utcnow()
        ids = sorted({e[0] for e in events})
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            known.update(
                conn.execute(
                    select(access_log.c.event_id).where(
                        access_log.c.event_id.in_(ids[start : start + 500])
                    )
                ).scalars()
            )
        last = conn.execute(
            select(access_log.c.seq, access_log.c.row_hash)
            .order_by(access_log.c.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (int(last.seq), str(last.row_hash)) if last is not None else (0, GENESIS)
        rows: list[dict[str, Any]] = []
        for event_id, at, action, item, subjects, source_seq, detail in events:
            if event_id in known:
                continue
            known.add(event_id)
            for subject in sorted(set(subjects)) or [""]:
                seq += 1
                row = AccessRow(
                    seq,
                    event_id,
                    at,
                    actor,
                    action,
                    item,
                    subject,
                    source,
                    source_seq,
                    detail,
                    prev,
                    "",
                )
                digest = row_hash(prev, row)
                rows.append(
                    {
                        "seq": seq, "event_id": event_id, "at": at, "actor": actor,
                        "action": action, "item": item, "subject": subject, "source": source,
                        "source_seq": source_seq, "detail": detail, "recorded_at": now,
                        "prev_hash": prev, "row_hash": digest,
                    }
                )  # fmt: skip
                prev = digest
        if rows:
            conn.execute(access_log.insert(), rows)
        return len(rows)

    def access_high_water(self, source: str) -> int:
        """The largest source_seq delivered from `source` (0: none)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.max(access_log.c.source_seq)).where(access_log.c.source == source)
            ).scalar()
        return int(found or 0)

    def access_for_subject(self, subject: str) -> list[AccessRow]:
        """Every row about one citizen (their keyed hash), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(access_log)
                .where(access_log.c.subject == subject)
                .order_by(access_log.c.at, access_log.c.seq)
            ).all()
        return [_access_row(r) for r in rows]

    def access_rows(self, batch: int = 5000) -> Iterator[AccessRow]:
        """Every row in seq order (the verify walk), read in batches."""
        after = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(access_log)
                    .where(access_log.c.seq > after)
                    .order_by(access_log.c.seq)
                    .limit(batch)
                ).all()
            if not rows:
                return
            for r in rows:
                yield _access_row(r)
            after = int(rows[-1].seq)

    # -- the team's backlog (GET /backlog) --

    def backlog(
        self,
        cutoff: datetime,
        *,
        can_see: Callable[[str | None], bool] | None = None,
    ) -> dict[str, Any]:
        """The team lead's figures over every item: `open` (not journalised, rejected or
        forwarded), `older_than_frist` (open, received before `cutoff`), `by_status` (every
        delivery state, plus `fordelt`: with a caseworker, not yet journalised) and
        `by_assignee` (caseworker id -> open items). One grouped scan."""
        d, m, a = decisions.c, messages.c, assignees.c
        older = func.coalesce(func.sum(case((m.received_at < cutoff, 1), else_=0)), 0)
        stmt = (
            select(
                m.contact_point_id,
                m.outcome,
                d.state,
                d.action,
                a.caseworker_id,
                func.count(),
                older,
            )
            .select_from(
                messages.outerjoin(item_state, item_state.c.item_id == m.item_id)
                .outerjoin(decisions, d.decision_id == item_state.c.decision_id)
                .outerjoin(assignees, a.decision_id == d.decision_id)
            )
            .group_by(m.contact_point_id, m.outcome, d.state, d.action, a.caseworker_id)
        )
        by_status = dict.fromkeys(DELIVERY_STATES, 0)
        by_status[STATUS_ASSIGNED] = 0
        by_assignee: dict[str, int] = {}
        open_total = over = 0
        with self.engine.connect() as conn:
            for cp, outcome, found_state, action, caseworker, count, older_count in conn.execute(
                stmt
            ):
                if can_see is not None and not can_see(cp):
                    continue
                n, old, state = int(count), int(older_count), found_state
                if state is None:  # no decision: new, or an outcome recorded by the mailbox
                    state = STATE_NEW if outcome is None or outcome == "fordelt" else STATE_CLOSED
                    is_open = outcome is None or outcome == "fordelt"
                    with_caseworker = outcome == "fordelt"
                else:
                    assigned = action == "assign" and state not in REOPENING_STATES
                    with_caseworker = assigned
                    is_open = assigned or state in (
                        STATE_PENDING,
                        STATE_SENT,
                        STATE_DUBU_REJECTED,
                        STATE_FAILED,
                    )
                by_status[state] = by_status.get(state, 0) + n
                if with_caseworker:
                    by_status[STATUS_ASSIGNED] += n
                    if caseworker:
                        by_assignee[caseworker] = by_assignee.get(caseworker, 0) + n
                if is_open:
                    open_total += n
                    over += old
        return {
            "open": open_total,
            "older_than_frist": over,
            "by_status": by_status,
            "by_assignee": dict(sorted(by_assignee.items())),
        }

    def backlog_items(
        self,
        cutoff: datetime,
        bucket: str,
        *,
        assignee: str | None = None,
        can_see: Callable[[str | None], bool] | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """The items behind one of `backlog`'s figures (drill-down): `bucket` is "open",
        "older_than_frist", a delivery state or "fordelt"; `assignee` narrows to one
        caseworker's open items. The same classification and visibility as `backlog`; no
        personal data (ids, times, kind, state, caseworker, contact point); oldest first."""
        d, m, a = decisions.c, messages.c, assignees.c
        stmt = (
            select(
                m.message_uuid,
                m.received_at,
                m.kind,
                m.contact_point_id,
                m.outcome,
                d.state,
                d.action,
                a.caseworker_id,
            )
            .select_from(
                messages.outerjoin(item_state, item_state.c.item_id == m.item_id)
                .outerjoin(decisions, d.decision_id == item_state.c.decision_id)
                .outerjoin(assignees, a.decision_id == d.decision_id)
            )
            .order_by(m.received_at, m.message_uuid)
        )
        out: list[dict[str, Any]] = []
        with self.engine.connect() as conn:
            for uuid_, received, kind, cp, outcome, found_state, action, caseworker in conn.execute(
                stmt
            ):
                if can_see is not None and not can_see(cp):
                    continue
                if found_state is None:
                    state = STATE_NEW if outcome is None or outcome == "fordelt" else STATE_CLOSED
                    is_open = outcome is None or outcome == "fordelt"
                    with_caseworker = outcome == "fordelt"
                else:
                    state = found_state
                    with_caseworker = action == "assign" and state not in REOPENING_STATES
                    is_open = with_caseworker or state in (
                        STATE_PENDING,
                        STATE_SENT,
                        STATE_DUBU_REJECTED,
                        STATE_FAILED,
                    )
                if assignee is not None:
                    hit = with_caseworker and caseworker == assignee
                elif bucket == "open":
                    hit = is_open
                elif bucket == "older_than_frist":
                    hit = is_open and received < cutoff
                elif bucket == STATUS_ASSIGNED:
                    hit = with_caseworker
                else:
                    hit = state == bucket
                if not hit:
                    continue
                out.append(
                    {
                        "message_uuid": uuid_,
                        "received": received.isoformat(),
                        "kind": kind,
                        "status": state,
                        "assignee": (caseworker or "") if with_caseworker else "",
                        "contact_point": cp or "",
                    }
                )
                if len(out) >= limit:
                    break
        return out

    # -- users --

    def set_user(self, user: str, secret_or_hash: str) -> None:
        """Create or replace a user. A plain secret is hashed (scrypt); only hashes are stored."""
        if not user or len(user) > 128:
            raise StoreError("UGYLDIG_BRUGER", "Brugernavnet skal være 1-128 tegn")
        stored = secret_or_hash if is_secret_hash(secret_or_hash) else hash_secret(secret_or_hash)
        with self._writing() as conn:
            exists = conn.execute(select(users.c.user).where(users.c.user == user)).first()
            if exists:
                conn.execute(users.update().where(users.c.user == user).values(secret_hash=stored))
            else:
                conn.execute(
                    users.insert().values(user=user, secret_hash=stored, created_at=utcnow())
                )

    def user_hash(self, user: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(users.c.secret_hash).where(users.c.user == user)).scalar()

    def user_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(users.c.user).order_by(users.c.user)).scalars())

    # -- health: integrity checks (at start, periodically, and on damage seen while working) --

    def _init_health(self) -> None:
        self._health = StoreHealth(True)
        self._health_lock = threading.Lock()

        @event.listens_for(self.engine, "handle_error")
        def _damage_seen(ctx: Any) -> None:
            # Any statement that meets a damaged page flips health (a list that reaches the
            # damage included) and surfaces as StoreUnavailable, never as a raw DB error.
            if is_damage(ctx.original_exception):
                self.mark_damaged("statement")
                raise StoreUnavailable("LAGER_BESKADIGET", DAMAGED_TEXT) from None

    def _open_checked(self) -> None:
        """Migrate and check at start: a damaged or truncated file gives StoreUnavailable with
        one sentence (the CLI prints it), never a traceback."""
        try:
            self._migrate()
        except StoreError:
            self.engine.dispose()
            raise
        except Exception as exc:
            self.engine.dispose()
            if is_damage(exc):
                raise StoreUnavailable("LAGER_BESKADIGET", DAMAGED_TEXT) from None
            raise StoreUnavailable(
                "LAGER_UTILGAENGELIG", f"{UNREACHABLE_TEXT} ({type(exc).__name__})"
            ) from None

    @property
    def health(self) -> StoreHealth:
        return self._health

    def mark_damaged(self, where: str) -> None:
        """Record damage (sticky until restart); `where` says what found it (for the log)."""
        with self._health_lock:
            first = not self._health.damaged
            self._health = StoreHealth(False, DAMAGED_TEXT, utcnow(), damaged=True, check=where)
        if first:
            _health_log.error(
                "gateway store damaged (found by %s): refusing new mail until restored", where
            )

    def require_healthy(self) -> None:
        health = self._health
        if not health.ok:
            code = "LAGER_BESKADIGET" if health.damaged else "LAGER_UTILGAENGELIG"
            raise StoreUnavailable(code, health.reason or UNREACHABLE_TEXT)

    def check_integrity(
        self,
        *,
        full_max_bytes: int = FULL_CHECK_MAX_BYTES,
        content_max_bytes: int = CONTENT_CHECK_MAX_BYTES,
    ) -> StoreHealth:
        """Check the store and record the outcome (`health`). Blocking and O(database size):
        run it off the event loop on its own thread. SQLite: `PRAGMA integrity_check` when the
        file is at most `full_max_bytes`, else `quick_check`; PostgreSQL: reachable, the schema
        version readable, every critical table readable. Then, when the messages total at
        most `content_max_bytes`, every stored MeMo is read back and its sha256 compared.
        Damage once seen stays (restart on a restored database); unreachability clears as
        soon as a check passes again."""
        check = "structure" if self.dialect == "sqlite" else "tables"
        try:
            if self.dialect == "sqlite":
                check = self._sqlite_check(full_max_bytes)
            else:
                self._table_check()
            if self._content_total() <= content_max_bytes:
                check = "content"
                self._content_check()
        except StoreUnavailable as exc:
            if exc.code == "LAGER_BESKADIGET":
                self.mark_damaged(check)
            else:
                self._set_unreachable(exc.text, check)
        except Exception as exc:
            if is_damage(exc):
                self.mark_damaged(check)
            else:
                self._set_unreachable(f"{UNREACHABLE_TEXT} ({type(exc).__name__})", check)
        else:
            with self._health_lock:
                if not self._health.damaged:
                    self._health = StoreHealth(True, None, utcnow(), check=check)
        return self._health

    def _set_unreachable(self, reason: str, check: str) -> None:
        with self._health_lock:
            if not self._health.damaged:
                self._health = StoreHealth(False, reason, utcnow(), check=check)

    def _sqlite_check(self, full_max_bytes: int) -> str:
        path = self.engine.url.database or ""
        size = os.path.getsize(path) if path and os.path.exists(path) else 0
        pragma = "integrity_check" if size <= full_max_bytes else "quick_check"
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(f"PRAGMA {pragma}").all()
        if [tuple(r) for r in rows] != [("ok",)]:
            raise StoreUnavailable("LAGER_BESKADIGET", DAMAGED_TEXT)
        self._table_check()
        return pragma

    def _table_check(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").all()
            version = conn.execute(select(func.max(schema_version.c.version))).scalar()
            if version != SCHEMA_VERSION:
                raise StoreUnavailable(
                    "LAGER_UTILGAENGELIG", f"{UNREACHABLE_TEXT} (skemaversion {version})"
                )
            for name in HEALTH_CHECKED_TABLES:
                table = metadata.tables[name]
                conn.execute(select(func.count()).select_from(table)).scalar()

    def _content_total(self) -> int:
        with self.engine.connect() as conn:
            total = conn.execute(select(func.coalesce(func.sum(messages.c.size), 0))).scalar()
        return int(total or 0)

    def _content_check(self) -> None:
        """Every stored MeMo read back through `memo_chunks` (the store's own read path) and
        its sha256 compared with the one recorded at receipt."""
        with self.engine.connect() as conn:
            ids = list(conn.execute(select(messages.c.item_id).order_by(messages.c.item_id)))
        for (item_id,) in ids:
            size, digest, chunks = self.memo_chunks(int(item_id))
            h = hashlib.sha256()
            got = 0
            try:
                for piece in chunks:
                    h.update(piece)
                    got += len(piece)
            finally:
                chunks.close()
            if got != size or h.hexdigest() != digest:
                raise StoreUnavailable("LAGER_BESKADIGET", DAMAGED_TEXT)


def _policy_row(row: Any) -> PolicyVersion:
    return PolicyVersion(
        int(row.version), policy_from_json(json.loads(row.policy)), row.author, _iso(row.at),
        row.reason,
    )  # fmt: skip


def _access_row(r: Any) -> AccessRow:
    return AccessRow(
        int(r.seq), r.event_id, r.at, r.actor, r.action, r.item, r.subject, r.source,
        int(r.source_seq), r.detail, r.prev_hash, r.row_hash,
    )  # fmt: skip


def _outcome_note(decision: Decision) -> str | None:
    """The note the item's outcome records (as the client recorded it before): the reason of
    a rejection, the caseworker of an assignment, the journal note's text otherwise."""
    match decision:
        case Reject(reason=reason):
            return reason
        case Assign(caseworker_id=cw_id, caseworker_label=cw_label):
            return cw_label or cw_id
        case Journalise(note=note):
            return note.text if note is not None else None
        case JournalNote(text=text):
            return text
    return None


def _allows_next(current: Any) -> bool:
    """May a new decision follow the item's current one? After `afvist_af_dubu`/`fejlet` (the
    item is back in the queue), and after an assignment that reached DUBU (`sendt` or later):
    "fordelt" is not final, the caseworker still journalises the item."""
    if current.state in REOPENING_STATES:
        return True
    return bool(current.action == "assign" and current.state in (STATE_SENT, STATE_ACCEPTED))


def _next_seq() -> Any:
    """The next change number, as a scalar subquery evaluated inside the writing statement
    (SQLite: under the write lock; PostgreSQL: the caller holds the insert advisory lock)."""
    seq = item_state.alias("seq")  # an alias: never correlated with an UPDATE of the table
    return select(func.coalesce(func.max(seq.c.change_seq), 0) + 1).scalar_subquery()


def _pieces(data: bytes | Path) -> Iterator[bytes]:
    """`data` in CHUNK-sized pieces (at least one, maybe empty), from bytes or a file."""
    if isinstance(data, Path):
        with data.open("rb") as fh:
            first = True
            while (piece := fh.read(CHUNK)) or first:
                first = False
                yield piece
        return
    view = memoryview(data)
    for start in range(0, max(1, len(view)), CHUNK):
        yield bytes(view[start : start + CHUNK])


def _write_blob(conn: Connection, item_id: int, sealed: Iterable[bytes]) -> None:
    """Fill a zeroblob in place (same transaction) with the sealed pieces, 1 MB at a time."""
    raw = conn.connection.driver_connection
    with raw.blobopen("gw_messages", "memo", item_id) as blob:  # type: ignore[union-attr]
        for piece in sealed:
            blob.write(piece)


def _decrypt_error(context: str) -> StoreError:
    where = context.split(":", 1)[0]
    return StoreError(
        "DEKRYPTERING", f"En gemt værdi i {where} kan ikke dekrypteres med gatewayens nøgle"
    )


def _claimed_error(item_id: int, holder: str, expires: datetime) -> StoreError:
    return StoreError(
        "RESERVERET",
        f"Element {item_id} er reserveret af {holder} til {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
    )


__all__: Sequence[str] = (
    "DELIVERY_STATES",
    "OUTCOMES",
    "BusinessReceiptLike",
    "Claim",
    "DecisionStatus",
    "DeliveryJob",
    "DeliveryPart",
    "GatewayStore",
    "InsertResult",
    "LeaseLost",
    "Page",
    "PartPlan",
    "ReceiptOutcome",
    "StoreError",
    "StoreHealth",
    "StoreUnavailable",
    "StoredItem",
    "hash_secret",
    "is_secret_hash",
    "make_engine",
    "part_transaction_id",
    "utcnow",
    "verify_secret",
)
