"""The client cache is encrypted at rest (SQLCipher): what a stolen laptop's disk shows.

Real files, the real sqlcipher3 driver, the test keyring backend from conftest (in memory,
tests/keyring_backend.py), the real gateway + zeep for the sync path. Checks the bytes of the cache file
AND its WAL for message text, CPR numbers, message UUIDs and the SQLite header; a wrong or
missing key; where the key lives; the move of an old unencrypted file; no keyring → Danish
`CacheKeyUnavailable`, and the developer opt-out."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import sqlite3
from pathlib import Path

import keyring
import pytest
from alembic.script import ScriptDirectory
from keyring.backends import fail
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import sessionmaker

from app.models import crypto
from app.models.cache import Cache
from app.models.crypto import (
    KEYRING_SERVICE,
    SQLITE_MAGIC,
    UNENCRYPTED_ENV,
    CacheKeyUnavailable,
    CacheUnreadable,
    key_name,
)
from app.models.db import (
    Database,
    _sqlite_pragmas,
    alembic_config,
    migrate,
    open_cache,
    raw_connect,
)
from tests.conftest import CORPUS
from tests.test_cache import FILES, _batch

CPR_RE = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")
DANISH = re.compile(r"[æøåÆØÅ]")
LABELS = json.loads((CORPUS / "labels.json").read_text())


def _needles(batch, n: int = 20) -> tuple[list[bytes], list[str]]:
    """Byte strings that must never appear in clear: body phrases, CPR numbers (plain and
    dashed), message UUIDs. Returns (needles, the CPRs found)."""
    needles: list[bytes] = []
    cprs: set[str] = set()
    for item, parsed in batch[:n]:
        body = parsed.facts.body_text
        lines = [ln.strip() for ln in body.splitlines() if len(ln.strip()) >= 24]
        needles += [ln[:24].encode() for ln in lines[:2]]
        for a, b in CPR_RE.findall(body):
            cprs.add(a + b)
        child = LABELS.get(item.message_uuid, {}).get("child_cpr")
        if child:
            cprs.add(child)
        needles.append(item.message_uuid.lower().encode())
    for cpr in sorted(cprs):
        needles += [cpr.encode(), f"{cpr[:6]}-{cpr[6:]}".encode()]
    return needles, sorted(cprs)


def _disk_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}


def _assert_nothing_in_clear(path: Path, needles: list[bytes]) -> None:
    files = _disk_bytes(path)
    assert path.name in files and f"{path.name}-wal" in files, files.keys()
    assert len(files[f"{path.name}-wal"]) > 0, "the test must look at a WAL with content"
    for name, data in files.items():
        if name.endswith("-shm"):
            continue  # the WAL index holds page numbers and checksums only
        assert SQLITE_MAGIC not in data, name
        for needle in needles:
            assert needle not in data, (name, needle[:6])


def _plain_engine(path: Path):
    """A cache exactly as earlier versions opened it: stdlib sqlite3, no key."""
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def corpus_batch():
    return _batch(FILES[:60])


# ------------------------------------------------------------------------ what the disk shows


def test_ingested_messages_are_not_in_clear_in_file_or_wal(tmp_path, corpus_batch):
    needles, cprs = _needles(corpus_batch)
    assert len(cprs) >= 10 and len(needles) >= 60  # the check has teeth
    path = tmp_path / "cache.sqlite3"
    db = open_cache(path)
    assert db.encrypted
    cache = Cache(db)
    assert cache.ingest(corpus_batch).new == len(corpus_batch)
    # the data is there, readable through the keyed engine (tables and FTS index)
    phrase = needles[0].decode()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM items")).scalar() == len(corpus_batch)
        hits = conn.execute(
            text("SELECT rowid FROM items_fts WHERE items_fts MATCH :q"),
            {"q": '"' + phrase.split()[0] + '"'},
        ).all()
    assert hits
    assert cache.memo_bytes(1) == corpus_batch[0][0].memo
    # connections still open: the WAL holds the latest pages
    _assert_nothing_in_clear(path, needles)
    db.engine.dispose()  # checkpoint into the main file
    for name, data in _disk_bytes(path).items():
        assert SQLITE_MAGIC not in data
        assert all(n not in data for n in needles), name


def test_synced_messages_are_not_in_clear(tmp_path):
    from app.core.sync import sync_once
    from tests.test_sync import FILES as SYNC_FILES
    from tests.test_sync import Env, push

    files = SYNC_FILES[:40]
    batch = _batch(files)
    needles, _ = _needles(batch, n=20)

    async def main() -> None:
        async with Env(tmp_path) as env:
            answers = await push(env.gateway.postmodtag_url, files)
            assert all(r.status_code == 200 for r in answers)
            res = await sync_once(env.client, env.cache, page_size=16, worker=env.worker)
            assert res.new == len(files)
            assert env.db.encrypted
            _assert_nothing_in_clear(env.db.path, needles)

    asyncio.run(main())


# ------------------------------------------------------------------------------ the key


def test_key_lives_in_the_keyring_only(tmp_path, corpus_batch, _isolated_data_dir):
    data_dir = _isolated_data_dir
    db = open_cache()  # the default path under the data dir
    Cache(db).ingest(corpus_batch[:5])
    stored = keyring.get_password(KEYRING_SERVICE, key_name(db.path))
    assert stored and len(bytes.fromhex(stored)) == 32
    key = bytes.fromhex(stored)
    assert data_dir in db.path.parents
    for p in data_dir.rglob("*"):
        if p.is_file():
            content = p.read_bytes()
            assert key not in content and stored.encode() not in content, p
            assert stored.upper().encode() not in content, p
    # the engine URL (what Alembic's config and logs see) carries no key
    assert stored not in db.engine.url.render_as_string(hide_password=False)
    # reopening uses the same key, and migrate() runs on the encrypted engine
    db.engine.dispose()
    again = open_cache()
    assert keyring.get_password(KEYRING_SERVICE, key_name(db.path)) == stored
    with again.engine.connect() as conn:
        heads = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    script = ScriptDirectory.from_config(alembic_config(again.engine))
    assert heads == {script.get_current_head()}  # one straight migration chain, at its head
    migrate(again.engine)
    assert Cache(again).item_count() == 5
    again.engine.dispose()


def test_wrong_key_fails_clearly(tmp_path, corpus_batch):
    path = tmp_path / "cache.sqlite3"
    db = open_cache(path)
    Cache(db).ingest(corpus_batch[:3])
    db.engine.dispose()
    # a raw connection with another key cannot read a single page
    from sqlcipher3 import dbapi2

    con = crypto.keyed_connect(path, bytes(32))
    with pytest.raises(dbapi2.DatabaseError, match="not a database"):
        con.execute("SELECT count(*) FROM items")
    con.close()
    # stdlib sqlite3 sees no database at all
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchall()
    # a different key in the keyring → CacheUnreadable with a Danish message, file untouched
    before = path.read_bytes()
    keyring.set_password(KEYRING_SERVICE, key_name(path), "ab" * 32)
    with pytest.raises(CacheUnreadable) as err:
        open_cache(path)
    assert "nøglen" in str(err.value) and "passer ikke" in str(err.value)
    assert path.read_bytes() == before
    # the key gone from the keyring → CacheUnreadable, and no new key is made up
    keyring.delete_password(KEYRING_SERVICE, key_name(path))
    with pytest.raises(CacheUnreadable) as err:
        open_cache(path)
    assert "findes ikke i nøgleringen" in str(err.value)
    assert keyring.get_password(KEYRING_SERVICE, key_name(path)) is None
    assert path.read_bytes() == before


def test_each_cache_file_has_its_own_key(tmp_path):
    a = open_cache(tmp_path / "a" / "cache.sqlite3")
    b = open_cache(tmp_path / "b" / "cache.sqlite3")
    ka = keyring.get_password(KEYRING_SERVICE, key_name(a.path))
    kb = keyring.get_password(KEYRING_SERVICE, key_name(b.path))
    assert ka and kb and ka != kb
    a.engine.dispose()
    b.engine.dispose()


# --------------------------------------------------------- an unencrypted file from before


def _make_plain_cache(path: Path, batch) -> None:
    """An earlier version's cache, left as a crash would: main file + a WAL with content."""
    work = path.parent / "old-version"
    work.mkdir()
    engine = _plain_engine(work / path.name)
    cache = Cache(
        Database(engine, sessionmaker(engine, expire_on_commit=False), work / path.name, False)
    )
    cache.ingest(batch)
    cache.set_cursor(4242)  # the newest commit
    for p in work.glob(path.name + "*"):
        if not p.name.endswith("-shm"):
            shutil.copyfile(p, path.parent / p.name)  # crash image: no checkpoint ran
    engine.dispose()
    shutil.rmtree(work)


def test_plain_cache_from_an_earlier_version_is_moved_into_an_encrypted_one(tmp_path, corpus_batch):
    path = tmp_path / "cache.sqlite3"
    _make_plain_cache(path, corpus_batch)
    needles, _ = _needles(corpus_batch)
    assert path.read_bytes().startswith(SQLITE_MAGIC)
    plain = b"".join(_disk_bytes(path).values())
    assert any(n in plain for n in needles)  # the old file really held text in clear

    db = open_cache(path)
    assert db.encrypted
    cache = Cache(db)
    assert cache.item_count() == len(corpus_batch)
    assert cache.cursor() == 4242  # the WAL's last commit was folded in before the export
    assert cache.memo_bytes(3) == corpus_batch[2][0].memo
    with db.engine.connect() as conn:
        word = needles[0].decode().split()[0]
        assert (
            conn.execute(
                text("SELECT count(*) FROM items_fts WHERE items_fts MATCH :q"), {"q": f'"{word}"'}
            ).scalar()
            >= 1
        )
    # new rows go into the encrypted file too
    more = _batch(FILES[60:64], start=1000)
    assert cache.ingest(more).new == 4
    _assert_nothing_in_clear(path, needles)
    names = sorted(p.name for p in tmp_path.glob("cache.sqlite3*"))
    assert names == ["cache.sqlite3", "cache.sqlite3-shm", "cache.sqlite3-wal"], names
    db.engine.dispose()


def test_interrupted_move_is_completed_on_the_next_open(tmp_path, corpus_batch, monkeypatch):
    path = tmp_path / "cache.sqlite3"
    _make_plain_cache(path, corpus_batch[:10])
    real_replace = crypto.os.replace
    calls: list[tuple[str, str]] = []

    def crash_on_second(src, dst):
        calls.append((str(src), str(dst)))
        if len(calls) == 2:  # plain → .plain-wipe done, .encrypting → cache not yet
            raise KeyboardInterrupt("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(crypto.os, "replace", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        open_cache(path)
    assert not path.exists()
    assert (tmp_path / "cache.sqlite3.encrypting").exists()
    assert (tmp_path / "cache.sqlite3.plain-wipe").exists()
    monkeypatch.setattr(crypto.os, "replace", real_replace)
    db = open_cache(path)
    assert Cache(db).item_count() == 10 and Cache(db).cursor() == 4242
    assert not path.read_bytes().startswith(SQLITE_MAGIC)
    assert not (tmp_path / "cache.sqlite3.plain-wipe").exists()
    assert not (tmp_path / "cache.sqlite3.encrypting").exists()
    db.engine.dispose()


# ------------------------------------------------------------------------------ no keyring


def test_no_keyring_refuses_with_a_danish_message(tmp_path, no_keyring, monkeypatch):
    monkeypatch.delenv(UNENCRYPTED_ENV, raising=False)
    path = tmp_path / "cache.sqlite3"
    with pytest.raises(CacheKeyUnavailable) as err:
        open_cache(path)
    message = str(err.value)
    assert "nøglering" in message and "ukrypteret" in message and DANISH.search(message)
    assert not path.exists()  # nothing was written


def test_no_keyring_with_the_developer_opt_out_stores_plain(
    tmp_path, no_keyring, monkeypatch, caplog, corpus_batch
):
    monkeypatch.setenv(UNENCRYPTED_ENV, "1")
    path = tmp_path / "cache.sqlite3"
    with caplog.at_level(logging.WARNING):
        db = open_cache(path)
    assert not db.encrypted
    assert "NOT encrypted" in caplog.text
    Cache(db).ingest(corpus_batch[:3])
    db.engine.dispose()
    assert path.read_bytes().startswith(SQLITE_MAGIC)
    with sqlite3.connect(path) as con:  # a plain SQLite file any tool can read
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 3
    with raw_connect(path) as con:
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 3


def test_opt_out_never_opens_an_encrypted_cache_without_its_key(tmp_path, monkeypatch):
    path = tmp_path / "cache.sqlite3"
    open_cache(path).engine.dispose()
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        monkeypatch.setenv(UNENCRYPTED_ENV, "1")
        with pytest.raises(CacheKeyUnavailable, match="nøglering"):
            open_cache(path)
    finally:
        keyring.set_keyring(previous)
    # back with a keyring, the encrypted cache opens again
    open_cache(path).engine.dispose()


@pytest.mark.expect_log("postfordeler.cache", "the client cache is NOT encrypted")
def test_plain_dev_cache_is_encrypted_once_a_keyring_is_there(tmp_path, monkeypatch, corpus_batch):
    path = tmp_path / "cache.sqlite3"
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv(UNENCRYPTED_ENV, "1")
    try:
        db = open_cache(path)
        Cache(db).ingest(corpus_batch[:4])
        db.engine.dispose()
    finally:
        keyring.set_keyring(previous)
    db = open_cache(path)
    assert db.encrypted and Cache(db).item_count() == 4
    db.engine.dispose()
    assert not path.read_bytes().startswith(SQLITE_MAGIC)
