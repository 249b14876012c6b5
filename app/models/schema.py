"""The desktop client's local cache: tables (SQLAlchemy 2 declarative).

The cache mirrors the gateway's mailbox so the client opens instantly and keeps working
offline. The schema only changes through Alembic migrations in `app/models/migrations/`, and
this module declares every table, column and index they create (a test compares the two).
Rules: `received_at` is the gateway's receipt time and is never changed after insert
(journaliseringspligt); raw MeMo bytes live in `item_blobs` so inbox queries stay small;
nothing here imports Qt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ItemStatus:
    """Item status values (stored as text)."""

    NEW = "ny"  # not yet decided
    PENDING = "afventer"  # a decision is in the outbox, not yet delivered
    JOURNALISED = "journaliseret"
    ASSIGNED = "fordelt"
    REJECTED = "afvist"
    FORWARDED = "videresendt"
    FAILED = "fejlet"  # delivery refused (AFVIST/FEJLET); needs the distributor

    ALL = (NEW, PENDING, JOURNALISED, ASSIGNED, REJECTED, FORWARDED, FAILED)
    OPEN = (NEW, PENDING, FAILED)


class DeliveryState:
    """Delivery state of an item's decision (DESIGN9; the gateway's truth except `lokal`).

    The distributor's own *Afvis* ends at the gateway (`AFSLUTTET`); DUBU's refusal of a
    delivered decision is `DUBU_REJECTED` ("afvist_af_dubu"): never the same thing."""

    NEW = "ny"  # no decision
    LOCAL = "lokal"  # queued on this PC only
    PENDING = "afventer"  # the gateway holds it; delivery to SF2900 pending / retrying
    SENT = "sendt"  # technical receipt (MODTAGET) from SF2900
    ACCEPTED = "accepteret"  # business receipt ACCEPTERET: DUBU took it
    DUBU_REJECTED = "afvist_af_dubu"  # business receipt AFVIST: back in the distributor's queue
    FAILED = "fejlet"  # business receipt FEJLET or a permanent delivery error
    CLOSED = "afsluttet"  # ends at the gateway: the distributor's Afvis (Reject)

    ALL = (NEW, LOCAL, PENDING, SENT, ACCEPTED, DUBU_REJECTED, FAILED, CLOSED)
    # Back with the distributor: a new decision is allowed.
    REOPENED = (DUBU_REJECTED, FAILED)


class Item(Base):
    """One received message as the inbox sees it (header fields only)."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gateway_item_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    message_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # retursvar / nyhenvendelse / videresendt
    memo_version: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # gateway receipt
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # MeMo created
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    label: Mapped[str] = mapped_column(Text)  # subject
    sender_id: Mapped[str] = mapped_column(String(64))
    sender_id_type: Mapped[str] = mapped_column(String(16))
    sender_label: Mapped[str] = mapped_column(Text, default="")
    contact_point_id: Mapped[str | None] = mapped_column(String(64))
    contact_point_label: Mapped[str | None] = mapped_column(Text)
    reply_case_id: Mapped[str | None] = mapped_column(Text)  # ReplyData caseID as sent
    n_files: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    # Decision state
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.NEW)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_case_id: Mapped[str | None] = mapped_column(String(36))
    decided_case_number: Mapped[str | None] = mapped_column(String(64))
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    assignee_label: Mapped[str | None] = mapped_column(Text)
    status_note: Mapped[str | None] = mapped_column(Text)  # reject reason, failure reason
    # Suggestion (filled in the background after sync)
    suggested_case_id: Mapped[str | None] = mapped_column(String(36))
    suggested_case_number: Mapped[str | None] = mapped_column(String(64))
    suggested_score: Mapped[float | None] = mapped_column(Float)
    misrouted: Mapped[bool] = mapped_column(Boolean, default=False)
    suggested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Team mode
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Per-user view state
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    # h0006: the delivery state of the item's decision (DeliveryState), from the gateway's
    # answer to the outbox and from sync; `decision_id` is the decision's UUID (the outbox
    # entry's transaction id, the gateway's idempotency key and SF2900 AnvenderTransaktionsID)
    delivery_state: Mapped[str] = mapped_column(
        String(16), default=DeliveryState.NEW, server_default=DeliveryState.NEW
    )
    delivery_reason: Mapped[str | None] = mapped_column(Text)
    decision_id: Mapped[str | None] = mapped_column(String(36))
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # i0007: a conflict item (the gateway had its sender's messageUUID with other content)
    conflict_of: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        Index("ix_items_received", "received_at"),
        Index("ix_items_status_received", "status", "received_at"),
        Index("ix_items_kind_received", "kind", "received_at"),
        Index("ix_items_contact_point", "contact_point_id"),
        Index("ix_items_assignee", "assignee_id"),
        Index("ix_items_claimed_by", "claimed_by"),
        # e0002: the unread filter
        Index("ix_items_read_status", "read", "status"),
        # e0003: the default inbox order with its filters as an index-only scan, and every
        # sortable column with `id` as tie breaker and `status` for the "Ufordelte" view
        Index(
            "ix_items_inbox_received",
            "received_at",
            "id",
            "status",
            "kind",
            "read",
            "contact_point_id",
            "assignee_id",
            "claimed_by",
        ),
        Index("ix_items_inbox_sender", "sender_label", "id", "status"),
        Index("ix_items_inbox_label", "label", "id", "status"),
        Index("ix_items_inbox_cp_label", "contact_point_label", "id", "status"),
        Index("ix_items_inbox_score", "suggested_score", "id", "status"),
        Index("ix_items_inbox_kind", "kind", "id", "status"),
        Index("ix_items_inbox_status", "status", "id"),
        # h0006: the inbox's delivery column sorts in SQL too
        Index("ix_items_inbox_delivery", "delivery_state", "id", "status"),
    )


class ItemBlob(Base):
    """The MeMo message exactly as received (bytes), kept apart from the inbox rows."""

    __tablename__ = "item_blobs"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    memo: Mapped[bytes] = mapped_column(LargeBinary)


class ItemFacts(Base):
    """What the one parse at ingest extracted (`app.sf1606.stored.MessageFacts` as JSON): the
    header, the file index with each file's span in the raw blob, body and PDF text, CPR and
    case-number candidates. Absent for a quarantined item. A table of its own so neither the
    inbox rows nor the (possibly 99 MB) raw blob is read to get it."""

    __tablename__ = "item_facts"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    facts: Mapped[str] = mapped_column(Text)
    # the PDF text is still to be extracted (the sync does it right after storing the page)
    pdf_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class ItemFileData(Base):
    """Decoded bytes of a file whose base64 text could not be located verbatim in the raw blob
    (character references, CDATA, comments inside it); every other file is read from the blob."""

    __tablename__ = "item_file_data"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ItemFile(Base):
    """Metadata of each file of a message (content is read from the blob on demand)."""

    __tablename__ = "item_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # index in MemoMessage.files
    role: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(128))
    filename: Mapped[str] = mapped_column(Text)  # as declared: display only
    safe_filename: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class OutboxStatus:
    PENDING = "pending"  # waiting for delivery (or retry)
    SENDING = "sending"  # a worker holds it; on crash it is retried with the same transaction id
    DELIVERED = "delivered"
    REJECTED = "rejected"  # business rejection (AFVIST/FEJLET): not retried, shown to the user
    CANCELLED = "cancelled"  # undone by the user before delivery

    OPEN = (PENDING, SENDING)


class OutboxEntry(Base):
    """A user's decision, written before anything leaves the machine.

    `transaction_id` is the SF2900 `AnvenderTransaktionsID`: fixed at creation, reused on every
    retry, so a retry after a crash is never a second delivery.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(36), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # journalise / assign / reject / forward
    payload: Mapped[str] = mapped_column(Text)  # JSON
    user: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    receipt: Mapped[str | None] = mapped_column(Text)  # JSON of the SF2900 receipt
    # c0002: the outcome recorded on the gateway mailbox (NULL = still to do) and the last
    # failure of that step (plain text)
    gateway_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gateway_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class SyncState(Base):
    """Key/value state of the sync (e.g. the mailbox cursor)."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AccessLog(Base):
    """Every view of a message or attachment, CPR reveal and CPR search (Datatilsynet 2024).

    `subject_key` is a keyed hash of the citizen's CPR so the log is retrievable per CPR without
    storing the number in clear next to the action.
    """

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # g0002
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # view_item, open_file, reveal_cpr, search_cpr
    purpose: Mapped[str] = mapped_column(String(64), default="fordeling")
    item_id: Mapped[int | None] = mapped_column(Integer)
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
