"""The team's backlog computed on the gateway (issue 11, point 4 / interface 6): the figures of
a known set of items across Easter 2026 (holidays and a weekend inside the frist) on SQLite and
the real PostgreSQL, and `postfordeler backlog --json` over TLS, per user's visibility."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from app.gateway.store import GatewayStore, decisions, utcnow
from app.gateway.users import UserDirectory, make_user
from app.models.inbox import older_than_cutoff
from tests.gateway_thread import GatewayThread
from tests.test_gateway import SMALL_FILES, db_urls, make_db_url, with_new_uuid
from tests.test_policy import SECRETS, certs, tls_config  # noqa: F401  (the module's PKI)

CPH = ZoneInfo("Europe/Copenhagen")
CASE = "1d9b6b0e-6f3e-4c39-9a4a-0f3c2b1a9e11"
# Tuesday after Easter 2026: Maundy Thursday 2/4, Good Friday 3/4 and Easter Monday 6/4 are
# holidays, so the 2 working days before today are 7/4 and 1/4.
NOW = datetime(2026, 4, 7, 10, 0, tzinfo=CPH).astimezone(UTC)


def local(day: int, month: int = 4, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=CPH).astimezone(UTC)


def put(store: GatewayStore, received: datetime, cp: str = "kp-a") -> str:
    data, message_uuid = with_new_uuid(SMALL_FILES[0].read_bytes())
    store.insert_message(
        message_uuid=message_uuid,
        memo=data,
        kind="nyhenvendelse",
        memo_version="1.2",
        contact_point_id=cp,
        received_at=received,
    )
    return message_uuid


def decide(store: GatewayStore, message_uuid: str, action: str, state: str | None = None) -> None:
    payload = {
        "journalise": {"version": 1, "case_id": CASE, "case_number": "27.24.00-G01-1-26"},
        "reject": {"reason": "Forkert modtager"},
    }.get(action)
    if action.startswith("assign:"):
        action, payload = "assign", {"caseworker_id": action.split(":", 1)[1]}
    decision_id = str(uuid.uuid4())
    store.submit_decision("anna", decision_id, message_uuid, action, payload or {})
    if state is not None:  # as the delivery worker / a business receipt would leave it
        with store.engine.begin() as conn:
            conn.execute(
                update(decisions).where(decisions.c.decision_id == decision_id).values(state=state)
            )


@pytest.mark.parametrize("db", db_urls())
def test_backlog_figures_of_a_known_set_over_easter(db, tmp_path):
    cutoff = older_than_cutoff(2, NOW)
    assert cutoff == datetime(2026, 3, 31, 0, 0, tzinfo=CPH).astimezone(UTC)
    store = GatewayStore(make_db_url(db, tmp_path))
    try:
        put(store, local(30, 3, 15))  # ny, 3 working days old: over the frist
        put(store, local(31, 3, 8))  # ny, 7 calendar days but 2 working days: within
        decide(store, put(store, local(20, 3)), "journalise")  # afventer, over
        decide(store, put(store, local(20, 3)), "reject")  # afsluttet: not open
        decide(store, put(store, local(4)), "assign:kaj")  # Saturday: afventer + fordelt
        decide(store, put(store, local(20, 3)), "journalise", "accepteret")  # journalised
        decide(store, put(store, local(31, 3)), "assign:lis", "accepteret")  # with lis
        decide(store, put(store, local(30, 3)), "journalise", "fejlet")  # back in the queue
        put(store, local(1, 3), cp="kp-skjult")  # another team's, old
        figures = store.backlog(cutoff, can_see=lambda cp: cp != "kp-skjult")
        assert figures == {
            "open": 6,
            "older_than_frist": 3,
            "by_status": {
                "ny": 2,
                "afventer": 2,
                "sendt": 0,
                "accepteret": 2,
                "afvist_af_dubu": 0,
                "fejlet": 1,
                "afsluttet": 1,
                "fordelt": 2,
            },
            "by_assignee": {"kaj": 1, "lis": 1},
        }

        # drill-down: every figure's items are exactly as many as the figure, oldest first
        def items(bucket: str, assignee: str | None = None) -> list[dict]:
            return store.backlog_items(
                cutoff, bucket, assignee=assignee, can_see=lambda cp: cp != "kp-skjult"
            )

        for bucket in ("open", "older_than_frist", *figures["by_status"]):
            want = figures.get(bucket, figures["by_status"].get(bucket))
            assert len(items(bucket)) == want, bucket
        assert [i["assignee"] for i in items("fordelt")] == ["lis", "kaj"]
        (kaj,) = items("open", "kaj")
        assert (kaj["status"], kaj["contact_point"], kaj["kind"]) == (
            "afventer",
            "kp-a",
            "nyhenvendelse",
        )
        old = items("older_than_frist")
        assert [i["received"] for i in old] == sorted(i["received"] for i in old)
        assert all(i["received"] < cutoff.isoformat() for i in old)
        assert "kp-skjult" not in {i["contact_point"] for i in items("open")}
        assert len(store.backlog_items(cutoff, "open")) == 7
        assert len(items("open")[:2]) == len(store.backlog_items(cutoff, "open", limit=2))
        everything = store.backlog(cutoff)
        assert (everything["open"], everything["older_than_frist"]) == (7, 4)
        # the caseworker journalises what lis was given: no longer with her, no longer open
        lis_item = next(
            i.message_uuid
            for i in store.list_after(0, 50, with_memo=False).items
            if i.decision_kind == "assign" and i.delivery_state == "accepteret"
        )
        decide(store, lis_item, "journalise", "accepteret")
        after = store.backlog(cutoff, can_see=lambda cp: cp != "kp-skjult")
        assert after["by_assignee"] == {"kaj": 1} and after["open"] == 5
        assert after["by_status"]["fordelt"] == 1
    finally:
        store.close()


def test_backlog_cli_over_tls_follows_the_users_visibility(tmp_path, certs, monkeypatch, capsys):  # noqa: F811
    from app.cli import main

    directory = UserDirectory(
        [
            make_user("admin", "administrator", "Team Modtagelse", None),
            make_user("anna", "distributor", "Team Modtagelse", ["kp-a"]),
            make_user("kaj", "caseworker", "Team Handicap", ["kp-b"]),
        ]
    )
    with GatewayThread(tls_config(f"sqlite:///{tmp_path / 'b.db'}", certs), directory) as gw:
        store = gw.store
        old = put(store, local(1, 3))
        put(store, utcnow())
        put(store, utcnow(), cp="kp-b")
        decide(store, old, "assign:kaj")

        def backlog(user: str) -> dict:
            monkeypatch.setenv("POSTFORDELER_SECRET", SECRETS[user])
            argv = ["backlog", "--gateway", gw.base_url, "--ca-bundle", str(certs.ca)]
            assert main([*argv, "--user", user, "--json"]) == 0
            return json.loads(capsys.readouterr().out)

        anna = backlog("anna")
        assert (anna["open"], anna["older_than_frist"], anna["frist_workdays"]) == (2, 1, 2)
        assert anna["by_status"]["ny"] == 1 and anna["by_status"]["fordelt"] == 1
        assert anna["by_assignee"] == {"kaj": 1}
        assert set(anna["by_status"]) >= {"ny", "afventer", "sendt", "accepteret", "fordelt"}
        admin = backlog("admin")
        assert (admin["open"], admin["by_status"]["ny"]) == (3, 2)
        import asyncio

        from app.sf1606.gateway_client import GatewayClient

        async def drill(user: str) -> list[dict]:
            async with GatewayClient(
                gw.base_url, user=user, secret=SECRETS[user], ca_bundle=str(certs.ca)
            ) as client:
                return await client.backlog_items("open")

        assert len(asyncio.run(drill("anna"))) == 2  # kp-a only, as /backlog
        assert {i["message_uuid"] for i in asyncio.run(drill("anna"))} >= {old}
        assert len(asyncio.run(drill("admin"))) == 3
        from openpyxl import load_workbook

        out = tmp_path / "restance.xlsx"
        argv = ["backlog", "--gateway", gw.base_url, "--ca-bundle", str(certs.ca)]
        assert main([*argv, "--user", "admin", "--export", str(out)]) == 0
        capsys.readouterr()
        rows = [[c.value for c in r] for r in load_workbook(out).active.iter_rows()]
        assert rows[1][0] == "open" and rows[1][2] == 3
        assert ["by_status", "ny", 2] in rows and ["by_assignee", "kaj", 1] in rows
        monkeypatch.setenv("POSTFORDELER_SECRET", "forkert")
        argv = ["backlog", "--gateway", gw.base_url, "--ca-bundle", str(certs.ca)]
        assert main([*argv, "--user", "anna", "--json"]) == 4
        assert capsys.readouterr().err.strip() == "Ukendt bruger eller forkert adgangskode"


def test_upgrade_to_schema_5_fills_the_caseworkers_from_sealed_payloads(tmp_path):
    from sqlalchemy import delete as sql_delete
    from sqlalchemy import select

    from app.gateway.store import assignees, schema_version

    url = f"sqlite:///{tmp_path / 'u.db'}"
    store = GatewayStore(url)
    decide(store, put(store, local(1)), "assign:kaj")
    with store.engine.begin() as conn:  # as a schema-4 store left it
        conn.execute(sql_delete(assignees))
        conn.execute(update(schema_version).where(schema_version.c.version == 5).values(version=4))
    store.close()
    store = GatewayStore(url)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(select(assignees.c.caseworker_id)).scalars().all() == ["kaj"]
        assert store.backlog(NOW)["by_assignee"] == {"kaj": 1}
    finally:
        store.close()
