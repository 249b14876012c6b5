"""The citizen access log ("logning af opslag", Datatilsynet 2024 after CJEU C-579/21).

Every view of a message or attachment, every CPR reveal and every CPR or name search is written
to the client cache's `access_log` table, so a citizen's request "who looked at my data, when
and why" can be answered per CPR number (`AccessLog.for_citizen`).

The citizen is identified by `subject_key`: HMAC-SHA256 of the normalised 10-digit CPR under a
per-installation secret kept in the OS keyring (`postfordeler` / `audit-key`), never in the data
dir. A plain hash would not do: the CPR space (~4·10^8 valid numbers) is brute-forced in
seconds, so whoever copies the SQLite file could map the log back to people. With the key in the
keyring, the file alone reveals nothing. If the key is lost, old rows can no longer be found by
CPR (they still exist and are purged by age, see `app.core.retention`).

This module must never store a CPR in clear, never pass one to the Python logger, never log
message content and never import Qt. Writes are short transactions with executemany inserts;
callers in the desktop app run them on the database worker thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select

from app import cpr as cpr_numbers
from app.keyrings import secure_keyring
from app.models.db import Database
from app.models.schema import AccessLog as AccessLogRow
from app.sf1606.subjects import cprs_for_message as cprs_for_message  # re-exported

log = logging.getLogger("postfordeler.audit")

LOG = cast(Table, AccessLogRow.__table__)
KEYRING_SERVICE = "postfordeler"
KEYRING_KEY_NAME = "audit-key"
KEY_BYTES = 32

# Actions (stored as text) and the Danish words shown to the operator / in an indsigt answer.
VIEW_ITEM = "view_item"
OPEN_FILE = "open_file"
REVEAL_CPR = "reveal_cpr"
SEARCH_CPR = "search_cpr"
SEARCH_NAME = "search_name"
ACTION_LABELS = {
    VIEW_ITEM: "Så meddelelse",
    OPEN_FILE: "Åbnede bilag",
    REVEAL_CPR: "Viste CPR-nummer",
    SEARCH_CPR: "Søgte på CPR-nummer",
    SEARCH_NAME: "Søgte på navn",
}
PURPOSE_DISTRIBUTION = "fordeling"
PURPOSE_ACCESS_REQUEST = "indsigt"

_MAX_DETAIL = 200


class AuditError(Exception):
    """Base class; `str()` is Danish and safe to show (never contains a CPR)."""


class AuditKeyUnavailable(AuditError):
    """No usable OS keyring: the access log cannot be written or searched."""


class InvalidCpr(AuditError, cpr_numbers.InvalidCpr):
    """The text is not a 10-digit CPR number (also an `app.cpr.InvalidCpr`)."""


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One access-log row as a citizen may be told about it (no subject key, no other CPR)."""

    at: datetime  # UTC
    user: str
    action: str
    purpose: str
    item_id: int | None
    detail: str | None

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


# ------------------------------------------------------------------------------ keys


def normalise_cpr(cpr: str) -> str:
    """`DDMMYY-SSSS`, `DDMMYY SSSS` or `DDMMYYSSSS` → 10 digits; InvalidCpr otherwise
    (`app.cpr.normalise`).

    The modulus-11 check is deliberately not applied (numbers without it are issued since 2007).
    """
    try:
        return cpr_numbers.normalise(cpr)
    except cpr_numbers.InvalidCpr as exc:
        raise InvalidCpr(str(exc)) from None


def subject_key(cpr: str, key: bytes) -> str:
    """The log's citizen key: hex HMAC-SHA256 of the normalised CPR under the installation key."""
    if not key:
        raise AuditKeyUnavailable("Logningsnøglen mangler")
    return hmac.new(key, normalise_cpr(cpr).encode("ascii"), hashlib.sha256).hexdigest()


def load_or_create_audit_key() -> bytes:
    """The installation's audit key from the OS keyring, created (32 random bytes) on first use.

    Raises AuditKeyUnavailable when no keyring backend is usable: logging without a stable key
    would make the rows unfindable, so the caller must refuse to show personal data instead.
    """
    from keyring.errors import KeyringError

    keyring = secure_keyring()  # never a plaintext or other file backend
    if keyring is None:
        raise AuditKeyUnavailable(_NO_KEYRING)
    try:
        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_KEY_NAME)
        if not stored:
            fresh = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
            keyring.set_password(KEYRING_SERVICE, KEYRING_KEY_NAME, fresh)
            # Read back: if another process created one at the same moment, both use the winner.
            stored = keyring.get_password(KEYRING_SERVICE, KEYRING_KEY_NAME) or fresh
            log.info("created a new access-log key in the OS keyring")
    except (KeyringError, RuntimeError, OSError) as exc:
        raise AuditKeyUnavailable(_NO_KEYRING) from exc
    try:
        key = base64.b64decode(stored.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise AuditKeyUnavailable("Logningsnøglen i nøgleringen er beskadiget") from exc
    if len(key) < 16:
        raise AuditKeyUnavailable("Logningsnøglen i nøgleringen er for kort")
    return key


_NO_KEYRING = (
    "Der er ingen sikker nøglering (OS keyring) til rådighed, så adgangsloggen kan ikke føres. "
    "Personoplysninger kan ikke vises, før IT har sat en nøglering op; Postfordeler gemmer "
    "aldrig nøgler i en almindelig fil. (No secure keyring: the access log cannot be kept.)"
)


# ------------------------------------------------------------------------------ CPRs of a message


def _scrub(text: str) -> str:
    """Free text for the `detail` column with any CPR-looking number masked."""
    return cpr_numbers.redact(text)[:_MAX_DETAIL]


# ------------------------------------------------------------------------------ the log


class AccessLog:
    """Writes and reads the access log of one user in one client cache."""

    def __init__(self, db: Database, *, user: str, key: bytes) -> None:
        if not key:
            raise AuditKeyUnavailable("Logningsnøglen mangler")
        self.db = db
        self.user = user[:64]
        self._key = bytes(key)

    @classmethod
    def open(cls, db: Database, *, user: str) -> AccessLog:
        """With the installation key from the OS keyring (AuditKeyUnavailable if none)."""
        return cls(db, user=user, key=load_or_create_audit_key())

    def subject_key(self, cpr: str) -> str:
        return subject_key(cpr, self._key)

    # -------------------------------------------------------------- writes

    def view_item(
        self, item_id: int, cprs: Iterable[str], purpose: str = PURPOSE_DISTRIBUTION
    ) -> int:
        """A message was shown: one row per CPR it concerns (one row without subject if none)."""
        return self._write(VIEW_ITEM, purpose, item_id, cprs, None)

    def open_file(
        self, item_id: int, position: int, cprs: Iterable[str], purpose: str = PURPOSE_DISTRIBUTION
    ) -> int:
        """An attachment (file `position` of the message) was opened or saved."""
        return self._write(OPEN_FILE, purpose, item_id, cprs, f"fil {int(position)}")

    def reveal_cpr(
        self, cpr: str, item_id: int | None = None, purpose: str = PURPOSE_DISTRIBUTION
    ) -> int:
        """A masked CPR number was shown in full."""
        return self._write(REVEAL_CPR, purpose, item_id, [cpr], None)

    def search_cpr(self, cpr: str, purpose: str = PURPOSE_DISTRIBUTION) -> int:
        """A look-up by CPR number (case search, person search, indsigt)."""
        return self._write(SEARCH_CPR, purpose, None, [cpr], None)

    def search_name(self, query: str, purpose: str = PURPOSE_DISTRIBUTION) -> int:
        """A look-up by name: no citizen key (a name is not unique); the query is kept with any
        CPR-looking number masked."""
        return self._write(SEARCH_NAME, purpose, None, [], _scrub(query))

    def _write(
        self,
        action: str,
        purpose: str,
        item_id: int | None,
        cprs: Iterable[str],
        detail: str | None,
    ) -> int:
        keys = sorted({self.subject_key(c) for c in cprs})  # InvalidCpr before anything is written
        at = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, like the rest of the cache
        base: dict[str, Any] = {
            "at": at,
            "user": self.user,
            "action": action,
            "purpose": purpose[:64],
            "item_id": item_id,
            "detail": detail,
        }
        rows = [{**base, "subject_key": k} for k in keys] or [{**base, "subject_key": None}]
        with self.db.engine.begin() as conn:
            conn.execute(insert(LOG), rows)
        return len(rows)

    # -------------------------------------------------------------- reads

    def for_citizen(self, cpr: str) -> list[AccessEntry]:
        """Every logged access concerning this CPR number, oldest first."""
        key = self.subject_key(cpr)
        stmt = (
            select(LOG.c.at, LOG.c.user, LOG.c.action, LOG.c.purpose, LOG.c.item_id, LOG.c.detail)
            .where(LOG.c.subject_key == key)
            .order_by(LOG.c.at, LOG.c.id)
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [
            AccessEntry(
                at=_as_utc(r.at),
                user=r.user,
                action=r.action,
                purpose=r.purpose,
                item_id=r.item_id,
                detail=r.detail,
            )
            for r in rows
        ]


def _as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
