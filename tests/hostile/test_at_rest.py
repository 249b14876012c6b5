"""Issue 10 point 8: the gateway's store holds no message content or personal data in clear.

A real gateway (EP_FS1 over loopback HTTP, the decision route, the store's delivery and receipt
steps) takes corpus messages whose CPR numbers, names and body text are known, then a journal
note, a rejection, a delivery plan, an error and a business receipt that carry them too. The
SQLite file *with its WAL and SHM* (while the gateway runs and after it stopped) and a
`pg_dump` of the real PostgreSQL are scanned for every CPR number in any format
(app/cpr.py's recogniser plus the plain shapes), every name, body sentence and base64 snippet,
raw and hex-encoded (pg_dump writes bytea as hex): zero hits. A control scan of the clear
messages finds every term, so the scanner would see them. Also: the key never lies in the
database; a wrong key is refused with one line (library and CLI, no traceback); a value
copied into another row's place does not decrypt; a clear schema-3 store is encrypted at start.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy import delete, text
from sqlalchemy.engine import make_url

from app import cpr
from app.decisions import Journalise, JournalNote, Reject
from app.gateway.server import GatewayConfig, RunningGateway, start_gateway
from app.gateway.store import (
    KIND_JOURNAL_POST,
    GatewayStore,
    PartPlan,
    StoreError,
    item_state,
    message_facts,
    messages,
    schema_version,
)
from app.gateway.storekey import KEY_FILE, create_key_file, new_key_line
from app.sf1606 import postmodtag as pm
from app.sf1606.fresh_auth import FreshBasicAuth
from tests.conftest import MESSAGES
from tests.pg_server import _bindir
from tests.test_gateway import fresh_pg, pg_url

MEMO = "https://DigitalPost.dk/MeMo-1"
USER, SECRET = "fordeler", "hemmelig-test"
N_MESSAGES = 16
MIN_SENTENCE = 25


@dataclass(frozen=True)
class Corpus:
    raw: list[bytes]  # the MeMo messages as delivered
    uuids: list[str]
    cprs: set[str]  # every CPR number in them (10 digits)
    words: set[str]  # names, body sentences, base64 snippets
    clear: bytes  # what a clear store would hold: raw messages + decoded bodies


def _texts(data: bytes) -> tuple[list[str], list[str], list[str]]:
    """(names, decoded text/plain bodies, base64 snippets) of one MeMo."""
    root = etree.fromstring(data)
    ns = {"m": MEMO}
    names = [
        (el.text or "").strip()
        for el in root.iterfind(".//m:Sender/m:label", ns)
        if el.text and len(el.text.strip()) > 4
    ]
    names += [
        (el.text or "").strip()
        for el in root.iterfind(".//m:ContactInfo/m:value", ns)
        if el.text and len(el.text.strip()) > 4
    ]
    bodies, snippets = [], []
    for f in root.iterfind(".//m:File", ns):
        content = (f.findtext("m:content", "", ns) or "").strip()
        if len(content) >= 48:
            snippets.append(content[:48])
        if f.findtext("m:encodingFormat", "", ns) == "text/plain" and content:
            bodies.append(base64.b64decode(content).decode("utf-8"))
    return names, bodies, snippets


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    chosen: list[bytes] = []
    cprs: set[str] = set()
    words: set[str] = set()
    clear: list[bytes] = []
    for path in sorted(MESSAGES.glob("*.xml"), key=lambda p: p.stat().st_size):
        data = path.read_bytes()
        names, bodies, snippets = _texts(data)
        found = {h.cpr for b in bodies for h in cpr.find(b)}
        if not found or not names or not bodies:
            continue
        chosen.append(data)
        cprs |= found | {h.cpr for h in cpr.find(data.decode("utf-8"))}
        words |= set(names) | set(snippets)
        words |= {
            line.strip() for b in bodies for line in b.splitlines() if len(line) >= MIN_SENTENCE
        }
        clear += [data, *(b.encode() for b in bodies)]
        if len(chosen) == N_MESSAGES:
            break
    assert len(chosen) == N_MESSAGES and len(cprs) >= N_MESSAGES
    uuids = [re.search(rb"<memo:messageUUID>([^<]+)<", d).group(1).decode() for d in chosen]  # type: ignore[union-attr]
    return Corpus(chosen, uuids, cprs, words, b"\n".join(clear))


# the decision texts carry personal data too: a name and a CPR number of the corpus
def _person(corpus: Corpus) -> tuple[str, str]:
    name = min(w for w in corpus.words if " " in w and len(w) < 40)
    return name, min(corpus.cprs)


def _shapes(number: str) -> list[str]:
    return [number, f"{number[:6]}-{number[6:]}", f"{number[:6]} {number[6:]}"]


def hits(blob: bytes, corpus: Corpus) -> list[str]:
    """The terms of `corpus` found in `blob` (raw or hex-encoded), for the failure message
    only as counts and kinds, never the values."""
    low = blob.lower()
    found: list[str] = []
    for number in corpus.cprs:
        for shape in _shapes(number):
            if shape.encode() in blob or shape.encode().hex().encode() in low:
                found.append("cpr")
    for word in corpus.words:
        raw = word.encode("utf-8")
        if raw in blob or raw.hex().encode() in low:
            found.append("name/text")
    # the recogniser, over the blob as text (any format it knows: dots, dashes, spaces, OCR)
    for encoding in ("utf-8", "latin-1"):
        for hit in cpr.find(blob.decode(encoding, errors="ignore")):
            if hit.cpr in corpus.cprs:
                found.append("cpr (recogniser)")
    return found


def test_the_scanner_sees_every_term_in_clear_data(corpus):
    """The control: in what a clear store held, every CPR number, name and sentence is found."""
    found = hits(corpus.clear, corpus)
    assert found.count("name/text") >= len(corpus.words)
    assert found.count("cpr") >= len(corpus.cprs)
    hexed = hits(corpus.clear.hex().encode(), corpus)
    assert hexed.count("name/text") >= len(corpus.words)


@dataclass
class _Receipt:
    anvender_transaktions_id: str
    status: str
    reason: str | None
    distribution_transaktions_id: str | None = None
    sent_at: datetime | None = None


async def _exercise(gw: RunningGateway, corpus: Corpus) -> None:
    """Deliver the messages and make every kind of personal text reach the store."""
    name, number = _person(corpus)
    async with httpx.AsyncClient(timeout=60) as client:
        for data in corpus.raw:
            resp = await client.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            assert pm.receipt_from_http(resp.status_code, resp.content).accepted
        note = f"Samtale med {name}, cpr {number}, om barnets skole"

        async def decide(message_uuid: str, action: str, decision: dict[str, Any]) -> str:
            decision_id = str(uuid.uuid4())
            resp = await client.post(
                gw.decisions_url,
                json={
                    "decision_id": decision_id,
                    "message_uuid": message_uuid,
                    "action": action,
                    "decision": decision,
                },
                auth=FreshBasicAuth(USER, SECRET),
            )
            assert resp.status_code in (200, 202), resp.text
            return decision_id

        case = "27.24.00-G01-00001-24"
        journal = Journalise(case_id=case, note=JournalNote(case_id=case, text=note, title=name))
        await decide(corpus.uuids[0], "journalise", journal.to_json())
        await decide(
            corpus.uuids[1], "reject", Reject(reason=f"{name} ({number}) er ukendt").to_json()
        )
    store = gw.store

    def deliver_steps() -> None:
        job = store.claim_delivery("node-a", 60)
        assert job is not None
        store.save_plan(
            job.decision_id,
            "node-a",
            {"child_cpr": number, "child_name": name},
            [PartPlan(KIND_JOURNAL_POST)],
        )
        store.defer_delivery(job.decision_id, "node-a", f"DUBU kender ikke {name} {number}", 0)
        part = store.delivery_parts(job.decision_id)[0]
        store.apply_business_receipt(
            _Receipt(
                part.anvender_transaktions_id, "AFVIST", f"Barnet {name} ({number}) er flyttet"
            )
        )
        assert store.decision(job.decision_id)["reason"].startswith("Barnet")  # type: ignore[index]

    await asyncio.to_thread(deliver_steps)


def _files(db: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()
    )


def test_sqlite_file_wal_and_shm_hold_no_personal_data(corpus, tmp_path):
    db = tmp_path / "gw.sqlite3"
    scans: dict[str, list[str]] = {}

    async def main() -> None:
        gw = await start_gateway(GatewayConfig(db_url=f"sqlite:///{db}", users={USER: SECRET}))
        try:
            await _exercise(gw, corpus)
            assert Path(f"{db}-wal").stat().st_size > 0  # the WAL holds the recent pages
            scans["running"] = hits(_files(db), corpus)
            item = await asyncio.to_thread(gw.store.fetch, 1)
            assert item.memo == corpus.raw[0]  # and the gateway reads them back
        finally:
            await gw.stop()

    asyncio.run(main())
    scans["stopped"] = hits(_files(db), corpus)
    assert scans == {"running": [], "stopped": []}
    key = tmp_path / KEY_FILE  # the generated sandbox/development key: 0600, not in the db
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    secret = base64.b64decode(key.read_text().split(":", 1)[1])
    blob = _files(db)
    assert secret not in blob and key.read_text().split(":", 1)[1].strip().encode() not in blob


@pytest.mark.postgres
def test_pg_dump_holds_no_personal_data(corpus, tmp_path):
    url = pg_url()
    if not url:
        pytest.skip("no PostgreSQL server")
    bindir = _bindir()
    pg_dump = shutil.which("pg_dump") or (str(bindir / "pg_dump") if bindir else None)
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    fresh_pg(url)

    async def main() -> None:
        gw = await start_gateway(GatewayConfig(db_url=url, users={USER: SECRET}))
        try:
            await _exercise(gw, corpus)
        finally:
            await gw.stop()

    asyncio.run(main())
    u = make_url(url)
    dump = subprocess.run(
        [pg_dump, "-h", str(u.host), "-p", str(u.port), "-U", str(u.username), str(u.database)],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    assert b"gw_messages" in dump and len(dump) > sum(len(r) for r in corpus.raw)
    assert hits(dump, corpus) == []
    store = GatewayStore(url)  # the data is all there, sealed
    try:
        assert store.count() == N_MESSAGES
        assert store.fetch(2).memo == corpus.raw[1]
    finally:
        store.close()


def _store_with(corpus: Corpus, tmp_path: Path, n: int = 3) -> tuple[str, GatewayStore]:
    url = f"sqlite:///{tmp_path / 'gw.sqlite3'}"
    store = GatewayStore(url)
    for data, message_uuid in zip(corpus.raw[:n], corpus.uuids[:n], strict=True):
        store.insert_message(
            message_uuid=message_uuid,
            memo=data,
            kind="nyhenvendelse",
            memo_version="1.2",
            contact_point_id=None,
            received_at=datetime.now(UTC),
            facts=json.dumps({"sender": message_uuid}),
        )
    return url, store


def test_a_wrong_key_is_refused_with_one_line(corpus, tmp_path):
    url, store = _store_with(corpus, tmp_path)
    store.close()
    other = tmp_path / "other" / KEY_FILE
    create_key_file(other)
    with pytest.raises(StoreError) as err:
        GatewayStore(url, key_file=other)
    assert err.value.code == "NØGLE" and "\n" not in err.value.text
    # the same key id with other bytes: the check value tells it apart
    same_id = tmp_path / "same-id" / KEY_FILE
    same_id.parent.mkdir()
    kid = (tmp_path / KEY_FILE).read_text().split(":", 1)[0]
    same_id.write_text(kid + ":" + new_key_line().split(":", 1)[1])
    same_id.chmod(0o600)
    with pytest.raises(StoreError, match="passer ikke"):
        GatewayStore(url, key_file=same_id)
    # the CLI: one line on stderr, no traceback, a non-zero exit
    creds = tmp_path / "creds"
    creds.mkdir()
    shutil.copy(other, creds / KEY_FILE)
    (creds / KEY_FILE).chmod(0o600)
    env = dict(
        os.environ,
        CREDENTIALS_DIRECTORY=str(creds),
        POSTFORDELER_DATA_DIR=str(tmp_path / "data"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "app", "gateway", "serve", "--db", url, "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "nøgle" in lines[0].lower(), proc.stderr[-500:]


def test_a_value_moved_to_another_row_does_not_decrypt(corpus, tmp_path, expect_log):
    """A sealed value moved to another row fails authentication: it is taken for damage (the
    store turns unhealthy, EP_FS1 answers temporary), never served as the other row's."""
    expect_log("postfordeler.gateway.store", "damaged", level=40)
    url, store = _store_with(corpus, tmp_path)
    assert store.fetch(2).memo == corpus.raw[1]
    store.close()
    path = url.split("///", 1)[1]
    with sqlite3.connect(path) as raw:
        raw.execute(
            "UPDATE gw_messages SET memo = (SELECT memo FROM gw_messages WHERE item_id = 1) "
            "WHERE item_id = 2"
        )
        raw.execute(
            "UPDATE gw_message_facts SET facts = (SELECT facts FROM gw_message_facts "
            "WHERE item_id = 1) WHERE item_id = 3"
        )
    store = GatewayStore(url)
    try:
        assert store.fetch(1).memo == corpus.raw[0]  # the source row is fine
        with pytest.raises(StoreError) as err:
            store.fetch(2)
        assert err.value.code == "LAGER_BESKADIGET"
        assert store.health.damaged and not store.health.ok
        with pytest.raises(StoreError):
            list(store.memo_chunks(2)[2])  # streamed out: refused too
        with pytest.raises(StoreError):
            store.message_facts(3)
        assert store.message_facts(1) is not None
    finally:
        store.close()


def test_a_clear_schema_3_store_is_encrypted_at_start(corpus, tmp_path):
    """The upgrade path: a store written before encryption (schema 3, every value clear) is
    encrypted in place at the first start; nothing is lost and nothing clear is left."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    GatewayStore(url).close()
    path = tmp_path / "old.sqlite3"
    from app.gateway.store import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:  # back to schema 3: its tables, clear values
        conn.execute(text("DROP TABLE gw_store_keys"))
        conn.execute(text("DROP TABLE gw_conflicts"))
        conn.execute(delete(schema_version))
        conn.execute(schema_version.insert().values(version=3, applied_at=datetime.now(UTC)))
        for n, (data, message_uuid) in enumerate(zip(corpus.raw, corpus.uuids, strict=True), 1):
            conn.execute(
                messages.insert().values(
                    item_id=n,
                    message_uuid=message_uuid,
                    received_at=datetime.now(UTC) - timedelta(days=1),
                    kind="nyhenvendelse",
                    memo_version="1.2",
                    size=len(data),
                    sha256="0" * 64,
                    status="ny",
                    memo=data,
                    outcome_note=_texts(data)[0][0],
                )
            )
            conn.execute(item_state.insert().values(item_id=n, change_seq=n))
            conn.execute(
                message_facts.insert().values(item_id=n, facts=json.dumps(_texts(data)[1]))
            )
    engine.dispose()
    assert hits(_files(path), corpus)  # the clear store, as it was
    store = GatewayStore(url)
    try:
        assert store.count() == N_MESSAGES
        assert [store.fetch(n).memo for n in (1, N_MESSAGES)] == [corpus.raw[0], corpus.raw[-1]]
        assert json.loads(store.message_facts(2) or "") == _texts(corpus.raw[1])[1]
        assert hits(_files(path), corpus) == []  # file, WAL and SHM: nothing clear left
    finally:
        store.close()


def test_key_file_format_errors_are_one_line(tmp_path):
    bad = tmp_path / KEY_FILE
    for content in ("", "k1:" + base64.b64encode(b"short").decode(), "no-colon-here"):
        bad.write_text(content)
        bad.chmod(0o600)
        with pytest.raises(StoreError) as err:
            GatewayStore(f"sqlite:///{tmp_path / 'x.sqlite3'}", key_file=bad)
        assert err.value.code == "NØGLE" and "\n" not in err.value.text
    bad.write_text(new_key_line())
    bad.chmod(0o644)  # a generated key others may read is refused
    with pytest.raises(StoreError, match="chmod 600"):
        GatewayStore(f"sqlite:///{tmp_path / 'x.sqlite3'}")


def test_a_new_key_first_in_the_file_rotates_and_old_rows_stay_readable(corpus, tmp_path):
    url, store = _store_with(corpus, tmp_path, n=2)
    store.close()
    old = (tmp_path / KEY_FILE).read_text()
    rotated = tmp_path / "rotated" / KEY_FILE
    rotated.parent.mkdir()
    rotated.write_text(new_key_line() + old)  # the new key first: new values use it
    rotated.chmod(0o600)
    store = GatewayStore(url, key_file=rotated)
    try:
        assert store.fetch(1).memo == corpus.raw[0]  # sealed with the old key, still read
        store.insert_message(
            message_uuid=corpus.uuids[2],
            memo=corpus.raw[2],
            kind="nyhenvendelse",
            memo_version="1.2",
            contact_point_id=None,
            received_at=datetime.now(UTC),
        )
    finally:
        store.close()
    only_old = tmp_path / "only-old" / KEY_FILE
    only_old.parent.mkdir()
    only_old.write_text(old)
    only_old.chmod(0o600)
    store = GatewayStore(url, key_file=only_old)  # the old key alone still opens the store
    try:
        assert store.fetch(2).memo == corpus.raw[1]
        with pytest.raises(StoreError) as err:  # but not what the new key sealed
            store.fetch(3)
        assert err.value.code == "DEKRYPTERING"
    finally:
        store.close()
