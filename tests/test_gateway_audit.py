"""The access log on the gateway (issue 11, point 5): a client's local log delivered exactly
once through its outbox worker over TLS, `postfordeler audit --gateway` across PCs with the
authenticated actor, CPRs only as keyed hashes, and the hash chain's verify naming an edited,
an inserted and a deleted row (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, func, insert, select, update

from app.core.audit import AccessLog, cprs_for_message
from app.core.outbox import OutboxWorker
from app.core.sync import sync_once
from app.core.worker import DbWorker
from app.gateway.accesslog import row_hash, verify_chain
from app.gateway.store import GatewayStore, access_log, utcnow
from app.gateway.users import UserDirectory, make_user
from app.models.cache import Cache
from app.models.db import open_cache
from app.sf1606 import postmodtag as pm
from app.sf1606.gateway_client import GatewayClient
from app.sf1606.mailbox_client import MailboxClient
from app.sf1606.tls import pem_client_context
from tests.gateway_thread import GatewayThread
from tests.test_gateway import SMALL_FILES, db_urls, make_db_url
from tests.test_policy import CVR, SECRETS, certs, tls_config  # noqa: F401  (the module's PKI)


def test_client_log_delivered_once_and_audit_across_pcs(tmp_path, certs, monkeypatch, capsys):  # noqa: F811
    from app.cli import main

    directory = UserDirectory(
        [
            make_user("admin", "administrator", "Team Modtagelse", None),
            make_user("anna", "distributor", "Team Modtagelse", None),
        ]
    )
    db_file = tmp_path / "gw.sqlite3"
    with GatewayThread(tls_config(f"sqlite:///{db_file}", certs), directory) as gw:
        ctx = pem_client_context(certs.postkomponent.cert, certs.postkomponent.key, certs.ca)
        with httpx.Client(verify=ctx, timeout=20) as sender:
            resp = sender.post(
                gw.postmodtag_url, content=SMALL_FILES[0].read_bytes(), headers=pm.request_headers()
            )
            assert pm.receipt_from_http(resp.status_code, resp.content).accepted

        async def on_a_pc(name: str) -> tuple[str, int]:
            db = open_cache(tmp_path / f"{name}.sqlite3")
            cache, worker = Cache(db), DbWorker()
            mailbox = MailboxClient(
                gw.base_url, municipality_cvr=CVR, user="anna", secret=SECRETS["anna"],
                ca_bundle=certs.ca,
            )  # fmt: skip
            gateway = GatewayClient(
                gw.base_url, user="anna", secret=SECRETS["anna"], ca_bundle=certs.ca
            )
            try:
                await sync_once(mailbox, cache, worker=worker)
                item_id = cache.item_id_for_uuid(SMALL_FILES[0].stem.lower())
                assert item_id is not None
                cpr = min(cprs_for_message(cache.facts(item_id)))
                # the local row names whoever the PC says; the gateway will not believe it
                local = AccessLog(db, user="en-anden", key=b"k" * 32)
                local.view_item(item_id, [cpr])
                local.open_file(item_id, 0, [cpr])
                local.search_name("Jensine Testesen")
                outbox = OutboxWorker(cache, gateway, worker=worker)
                await outbox.run_once(all_pending=True)
                await outbox.run_once(all_pending=True)  # nothing new: no second delivery
                # a new worker (the app restarted) asks where to go on: still exactly once
                again = OutboxWorker(cache, gateway, worker=worker)
                await again.run_once(all_pending=True)
                return cpr, item_id
            finally:
                await mailbox.close()
                await gateway.close()
                worker.close()
                db.engine.dispose()

        cpr, _ = asyncio.run(on_a_pc("pc1"))
        asyncio.run(on_a_pc("pc2"))  # a second PC views the same message
        rows = list(gw.store.access_rows())
        assert sorted((r.actor, r.action) for r in rows) == [
            ("anna", "open_file"),
            ("anna", "open_file"),
            ("anna", "search_name"),
            ("anna", "search_name"),
            ("anna", "view_item"),
            ("anna", "view_item"),
        ]
        assert {r.detail for r in rows if r.action == "open_file"} == {"fil 0"}
        assert {r.detail for r in rows if r.action == "search_name"} == {""}
        assert len({r.source for r in rows}) == 2
        assert verify_chain(rows).ok

        def cli(user: str) -> tuple[int, str, str]:
            monkeypatch.setenv("POSTFORDELER_SECRET", SECRETS[user])
            argv = ["audit", "--gateway", gw.base_url, "--ca-bundle", str(certs.ca)]
            code = main([*argv, "--user", user, "--cpr", f"{cpr[:6]}-{cpr[6:]}", "--json"])
            out = capsys.readouterr()
            return code, out.out, out.err

        code, out, _ = cli("admin")
        entries = json.loads(out)
        assert code == 0 and all(set(e) == {"at", "actor", "action", "item"} for e in entries)
        assert [(e["actor"], e["action"]) for e in entries].count(("anna", "view_item")) == 2
        assert ("admin", "search_cpr") in [(e["actor"], e["action"]) for e in entries]
        assert {e["item"] for e in entries if e["action"] == "view_item"} == {
            SMALL_FILES[0].stem.lower()
        }
        code, out, err = cli("anna")
        assert code == 4 and out == ""
        assert err.strip() == "Kun en administrator eller teamleder kan besvare indsigt"
    raw = db_file.read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("gw.sqlite3-*") if p.is_file()
    )
    assert cpr.encode() not in raw and f"{cpr[:6]}-{cpr[6:]}".encode() not in raw
    assert b"Jensine" not in raw


def _event(n: int) -> tuple:
    at = utcnow() - timedelta(minutes=10 - n)
    return (f"pc-1:{n}", at, "view_item", "", [f"{n:064x}"], n, "")


@pytest.mark.parametrize("db", db_urls())
def test_verify_names_an_edited_an_inserted_and_a_deleted_row(db, tmp_path, capsys):
    from app.cli import main

    url = make_db_url(db, tmp_path)
    store = GatewayStore(url)
    try:
        assert store.append_access([_event(n) for n in range(1, 7)], actor="anna", source="pc-1")
        assert store.append_access([_event(3)], actor="anna", source="pc-1") == 0  # idempotent
        assert verify_chain(store.access_rows()).ok
        c = access_log.c
        with store.engine.begin() as conn:  # edited
            conn.execute(update(access_log).where(c.seq == 3).values(actor="bo"))
        report = verify_chain(store.access_rows())
        assert report.problems == ("Række 3 er ændret: dens hash passer ikke til indholdet",)
        if db == "sqlite":
            assert main(["gateway", "audit-verify", "--db", url]) == 1
            assert "Række 3 er ændret" in capsys.readouterr().out
        with store.engine.begin() as conn:
            conn.execute(update(access_log).where(c.seq == 3).values(actor="anna"))
            saved = conn.execute(select(access_log).where(c.seq == 5)).one()._asdict()
            conn.execute(delete(access_log).where(c.seq == 5))  # deleted
        assert verify_chain(store.access_rows()).problems == ("Række 5 mangler (slettet)",)
        with store.engine.begin() as conn:
            conn.execute(insert(access_log).values(**saved))
            # inserted: the rows after 3 moved up one and a well-formed row put at 4
            conn.execute(update(access_log).where(c.seq > 3).values(seq=c.seq + 100))
            conn.execute(update(access_log).where(c.seq > 100).values(seq=c.seq - 99))
            row3 = next(r for r in store.access_rows() if r.seq == 3)
        forged = replace(row3, seq=4, event_id="pc-1:99", actor="bo", prev_hash=row3.row_hash)
        forged = replace(forged, row_hash=row_hash(row3.row_hash, forged))
        with store.engine.begin() as conn:
            values = {f: getattr(forged, f) for f in forged.__slots__}
            conn.execute(insert(access_log).values(**values, recorded_at=utcnow()))
            total = conn.execute(select(func.count()).select_from(access_log)).scalar()
        assert total == 7
        report = verify_chain(store.access_rows())
        assert report.problems == ("Række 4 er indsat uden for kæden",)
        # a cut-off tail is found against the last hash the operator kept
        last = verify_chain(store.access_rows()).last_hash
        with store.engine.begin() as conn:
            conn.execute(delete(access_log).where(c.seq == 7))
        cut = verify_chain(store.access_rows(), expected_rows=7, expected_last_hash=last)
        assert cut.problems[1:] == (
            "Loggen har 6 rækker, men 7 var ventet (slettet)",
            "Den sidste række er ikke den ventede (loggen er afkortet eller ændret)",
        )
    finally:
        store.close()
