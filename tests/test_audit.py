"""Access log (app.core.audit): keyed citizen keys, no CPR in clear, per-citizen retrieval.

Real SQLite files through `open_cache`, the test keyring backend from conftest, synthetic CPR
numbers only.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.core.audit import (
    KEYRING_KEY_NAME,
    KEYRING_SERVICE,
    OPEN_FILE,
    REVEAL_CPR,
    SEARCH_CPR,
    SEARCH_NAME,
    VIEW_ITEM,
    AccessEntry,
    AccessLog,
    AuditKeyUnavailable,
    InvalidCpr,
    cprs_for_message,
    load_or_create_audit_key,
    normalise_cpr,
    subject_key,
)
from app.models.db import open_cache
from app.sf1606.model import (
    ContactInfo,
    ContactPoint,
    ContentData,
    DocumentRole,
    ForwardData,
    Kind,
    MemoDocument,
    MemoFile,
    MemoMessage,
    Party,
)
from app.suggest.text import message_facts
from tests.conftest import MESSAGES

# Synthetic numbers (real dates so the text scanner accepts them; not from any register).
CPR_A = "0703145123"
CPR_B = "1512089876"
CPR_C = "3006124567"
KEY1 = b"k" * 32
KEY2 = b"q" * 32


def dashed(cpr: str) -> str:
    return f"{cpr[:6]}-{cpr[6:]}"


@pytest.fixture
def db(tmp_path):
    database = open_cache(tmp_path / "cache.sqlite3")
    yield database
    database.engine.dispose()


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def file_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if extra.exists():
            data += extra.read_bytes()
    return data


# ------------------------------------------------------------------------------ keys


def test_subject_key_is_stable_and_keyed():
    k = subject_key(CPR_A, KEY1)
    assert len(k) == 64 and int(k, 16) >= 0
    assert subject_key(dashed(CPR_A), KEY1) == k
    assert subject_key(f" {CPR_A[:6]} {CPR_A[6:]} ", KEY1) == k
    assert subject_key(CPR_A, KEY1) == k  # deterministic
    assert subject_key(CPR_A, KEY2) != k  # another installation: another key
    assert subject_key(CPR_B, KEY1) != k
    assert CPR_A not in k


@pytest.mark.parametrize("bad", ["", "12345", "0703145123x", "07031451234", "abcdefghij"])
def test_invalid_cpr_is_refused_without_echoing_it(bad):
    with pytest.raises(InvalidCpr) as err:
        normalise_cpr(bad)
    assert bad not in str(err.value) or not bad


def test_modulus_11_is_not_required():
    # 0703145123 fails modulus 11 (issued since 2007 without it) and is still a valid key input.
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    assert sum(int(d) * w for d, w in zip(CPR_A, weights, strict=True)) % 11 != 0
    assert normalise_cpr(dashed(CPR_A)) == CPR_A


def test_audit_key_created_once_in_keyring():
    assert keyring.get_password(KEYRING_SERVICE, KEYRING_KEY_NAME) is None
    key = load_or_create_audit_key()
    assert len(key) == 32
    assert keyring.get_password(KEYRING_SERVICE, KEYRING_KEY_NAME)
    assert load_or_create_audit_key() == key


def test_no_keyring_backend_gives_a_clear_danish_error(db, no_keyring):  # cache opened first
    with pytest.raises(AuditKeyUnavailable) as err:
        load_or_create_audit_key()
    assert "nøglering" in str(err.value)
    with pytest.raises(AuditKeyUnavailable):
        AccessLog.open(db, user="fordeler1")


def test_corrupt_key_in_keyring_is_reported():
    keyring.set_password(KEYRING_SERVICE, KEYRING_KEY_NAME, "not base64 !!")
    with pytest.raises(AuditKeyUnavailable, match="beskadiget"):
        load_or_create_audit_key()


# ------------------------------------------------------------------------------ writing


def test_cpr_never_in_clear_in_the_sqlite_file(db, caplog):
    caplog.set_level(logging.DEBUG)
    log = AccessLog(db, user="fordeler1", key=KEY1)
    log.view_item(1, [CPR_A, dashed(CPR_B)])
    log.open_file(1, 2, [CPR_A])
    log.reveal_cpr(dashed(CPR_C), item_id=1)
    log.search_cpr(CPR_A)
    log.search_name(f"Mia Hansen {dashed(CPR_B)}")
    log.search_name(f"Mia {CPR_C}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM access_log").scalar() == 7
        details = [r[0] for r in conn.exec_driver_sql("SELECT detail FROM access_log")]
        stored = {r[0] for r in conn.exec_driver_sql("SELECT subject_key FROM access_log")}
    assert "Mia Hansen <cpr>" in details and "Mia <cpr>" in details
    data = file_bytes(db.path)
    db.engine.dispose()  # checkpoint the WAL into the main file too
    data += file_bytes(db.path)
    for cpr in (CPR_A, CPR_B, CPR_C):
        for form in (cpr, dashed(cpr), f"{cpr[:6]} {cpr[6:]}"):
            assert form.encode() not in data
            assert form.encode("utf-16-le") not in data
            assert form not in caplog.text
    assert KEY1 not in data
    assert subject_key(CPR_A, KEY1) in stored  # the keyed form is what is stored ...
    assert subject_key(CPR_A, KEY1).encode() not in data  # ... in an encrypted file (SQLCipher)


def test_one_row_per_cpr_and_one_without_subject(db):
    log = AccessLog(db, user="fordeler1", key=KEY1)
    assert log.view_item(5, [CPR_A, dashed(CPR_A), CPR_B]) == 2  # same citizen once
    assert log.view_item(6, []) == 1
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT item_id, subject_key, action, purpose, user FROM access_log ORDER BY id"
        ).all()
    assert {r[1] for r in rows if r[0] == 5} == {subject_key(CPR_A, KEY1), subject_key(CPR_B, KEY1)}
    assert [(r[0], r[1]) for r in rows if r[0] == 6] == [(6, None)]
    assert {r[2] for r in rows} == {VIEW_ITEM} and {r[3] for r in rows} == {"fordeling"}
    assert {r[4] for r in rows} == {"fordeler1"}


def test_invalid_cpr_writes_nothing(db):
    log = AccessLog(db, user="fordeler1", key=KEY1)
    with pytest.raises(InvalidCpr):
        log.view_item(1, [CPR_A, "123"])
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM access_log").scalar() == 0


# ------------------------------------------------------------------------------ reading


def test_for_citizen_returns_exactly_that_citizens_entries(db):
    anna = AccessLog(db, user="anna", key=KEY1)
    bo = AccessLog(db, user="bo", key=KEY1)
    before = datetime.now(UTC) - timedelta(seconds=1)
    anna.view_item(10, [CPR_A, CPR_B])
    bo.open_file(10, 1, [CPR_A, CPR_B])
    anna.view_item(11, [CPR_C])
    bo.reveal_cpr(CPR_A, item_id=10)
    anna.search_cpr(dashed(CPR_A), purpose="indsigt")
    bo.search_name("Hansen")
    bo.search_cpr(CPR_C)

    got = anna.for_citizen(dashed(CPR_A))
    assert [(e.action, e.user, e.item_id, e.purpose) for e in got] == [
        (VIEW_ITEM, "anna", 10, "fordeling"),
        (OPEN_FILE, "bo", 10, "fordeling"),
        (REVEAL_CPR, "bo", 10, "fordeling"),
        (SEARCH_CPR, "anna", None, "indsigt"),
    ]
    assert all(isinstance(e, AccessEntry) for e in got)
    assert all(e.at.tzinfo is not None and before <= e.at <= datetime.now(UTC) for e in got)
    assert got[1].detail == "fil 1" and got[1].action_label == "Åbnede bilag"
    with pytest.raises(AttributeError):  # frozen
        got[0].user = "x"  # type: ignore[misc]

    assert [(e.action, e.item_id) for e in bo.for_citizen(CPR_B)] == [
        (VIEW_ITEM, 10),
        (OPEN_FILE, 10),
    ]
    assert [(e.action, e.user) for e in bo.for_citizen(CPR_C)] == [
        (VIEW_ITEM, "anna"),
        (SEARCH_CPR, "bo"),
    ]
    assert anna.for_citizen("0101200000") == []
    assert SEARCH_NAME not in {e.action for e in got}
    # Another installation's key finds nothing in this log.
    assert AccessLog(db, user="anna", key=KEY2).for_citizen(CPR_A) == []


def test_for_citizen_from_the_keyring_key_survives_reopening(tmp_path):
    path = tmp_path / "c.sqlite3"
    db1 = open_cache(path)
    AccessLog.open(db1, user="anna").view_item(3, [CPR_B])
    db1.engine.dispose()
    db2 = open_cache(path)
    entries = AccessLog.open(db2, user="bo").for_citizen(CPR_B)
    db2.engine.dispose()
    assert [(e.user, e.item_id) for e in entries] == [("anna", 3)]


# ------------------------------------------------------------------------------ CPRs of a message


def _file(role: DocumentRole, text: str, mime: str = "text/plain") -> MemoFile:
    data = text.encode()
    return MemoFile(role, 0, mime, "a.txt", "a.txt", "da", len(data), "0" * 64, data)


def test_cprs_for_message_collects_every_source():
    other_1, other_2, other_3 = "0202027654", "1111119876", "2812185432"
    msg = MemoMessage(
        version="1.2",
        message_type="DIGITALPOST",
        message_uuid="7a0a0b1e-0000-4000-8000-000000000001",
        message_id=None,
        label=f"Vedr. {dashed(other_3)}",
        created=None,
        sender=Party(CPR_A, "CPR", "Forælder"),
        recipient=Party(
            "29189846",
            "CVR",
            "Fjordby Kommune",
            ContactPoint(
                "cp-1",
                "Familie",
                None,
                (
                    ContactInfo("Barnets CPR nummer", dashed(CPR_B)),
                    ContactInfo("Barnets navn", "Mia"),
                ),
            ),
        ),
        kind=Kind.VIDERESENDT,
        content_data=ContentData(cpr=CPR_C),
        forward_data=ForwardData(
            "7a0a0b1e-0000-4000-8000-000000000002",
            datetime(2026, 1, 1, tzinfo=UTC),
            "Skolen",
            comment=f"Se {other_2}",
        ),
        documents=(
            MemoDocument(
                DocumentRole.MAIN,
                None,
                None,
                (
                    _file(DocumentRole.MAIN, f"Hej, det drejer sig om {dashed(other_1)}."),
                    _file(DocumentRole.MAIN, "%PDF 2812185432", mime="application/pdf"),
                ),
            ),
        ),
    )
    # from the facts the one parse at ingest stores (header + extracted text)
    assert cprs_for_message(message_facts(msg)) == {CPR_A, CPR_B, CPR_C, other_1, other_2, other_3}


def test_cprs_for_corpus_messages_include_sender_and_child_cpr_field():
    from app.sf1606.memo import read_memo

    checked_sender = checked_field = 0
    for path in sorted(MESSAGES.glob("*.xml"))[:60]:
        msg = read_memo(path.read_bytes())
        found = cprs_for_message(message_facts(msg))
        assert all(len(c) == 10 and c.isdigit() for c in found)
        if msg.sender.id_type == "CPR":
            assert msg.sender.id in found
            checked_sender += 1
        for info in msg.contact_info:
            if "CPR" in info.label.upper():
                assert normalise_cpr(info.value) in found
                checked_field += 1
    assert checked_sender > 10 and checked_field > 3
