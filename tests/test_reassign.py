"""The team lead's bulk reassignment (issue 11, point 4): `POST /reassign` and `postfordeler
reassign`. A real gateway on loopback with a users' directory; the old assignments are marked
delivered (this gateway runs no delivery worker), each reassigned item gets a new assign
decision in the gateway outbox for the new caseworker, the access log has a `reassign` row with
the reason, and only a team lead may."""

from __future__ import annotations

import json
import uuid

import pytest

from app.gateway.server import GatewayConfig
from app.gateway.store import decisions
from app.gateway.users import UserDirectory, make_user
from tests.conftest import MESSAGES
from tests.gateway_thread import GatewayThread
from tests.test_sync import CVR

SECRETS = {"dora": "dora-hemmelig-1", "tina": "tina-hemmelig-2"}


def _directory() -> UserDirectory:
    return UserDirectory(
        [
            make_user("dora", "distributor", "Team Modtagelse", None),
            make_user("tina", "team_lead", "Team Modtagelse", None),
        ]
    )


def _put(store, n: int) -> list[str]:
    from app.gateway.store import utcnow

    memo = min(MESSAGES.glob("*.xml")).read_bytes()
    out = []
    for _ in range(n):
        u = str(uuid.uuid4())
        store.insert_message(
            message_uuid=u,
            memo=memo,
            kind="nyhenvendelse",
            memo_version="1.2",
            contact_point_id=None,
            received_at=utcnow(),
        )
        out.append(u)
    return out


def _assign(store, message_uuid: str, caseworker: str, *, delivered: bool = True) -> None:
    status = store.submit_decision(
        "dora",
        str(uuid.uuid4()),
        message_uuid,
        "assign",
        {"caseworker_id": caseworker, "case_id": "SAG-9"},
    )
    if delivered:  # DUBU took the assignment (stand-in for the delivery worker)
        with store.engine.begin() as conn:
            conn.execute(
                decisions.update()
                .where(decisions.c.decision_id == status.decision_id)
                .values(state="accepteret")
            )


def test_bulk_reassign_by_team_lead_refused_to_others(tmp_path, monkeypatch, capsys):
    from app.cli import main

    config = GatewayConfig(
        db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", users=dict(SECRETS), municipality_cvr=CVR
    )
    with GatewayThread(config, _directory()) as gw:
        store = gw.store
        a, b, c, d = _put(store, 4)
        _assign(store, a, "cw-lis")
        _assign(store, b, "cw-lis")
        _assign(store, c, "cw-kaj")  # someone else's
        _assign(store, d, "cw-lis", delivered=False)  # not yet with DUBU: cannot move yet

        def cli(user: str, *extra: str) -> int:
            monkeypatch.setenv("POSTFORDELER_SECRET", SECRETS[user])
            argv = ["reassign", "--gateway", gw.base_url, "--user", user, "--json"]
            return main([*argv, *extra])

        # a distributor is refused: one Danish line, exit 4, nothing changes
        assert cli("dora", "--from", "cw-lis", "--to", "cw-ole", "--reason", "Ferie") == 4
        err = capsys.readouterr().err.strip()
        assert err == "Kun en teamleder kan omfordele sagsbehandleres post"
        # no reason: refused
        assert cli("tina", "--from", "cw-lis", "--to", "cw-ole", "--reason", " ") == 4
        assert "begrundelse" in capsys.readouterr().err
        # the team lead moves every open item of cw-lis
        assert cli("tina", "--from", "cw-lis", "--to", "cw-ole", "--reason", "Sygdom") == 0
        result = json.loads(capsys.readouterr().out)
        assert sorted(result["reassigned"]) == sorted([a, b])
        assert [s["message_uuid"] for s in result["skipped"]] == [d]
        assert result["skipped"][0]["reason"] and "\n" not in result["skipped"][0]["reason"]
        for moved in (a, b):
            status = store.decision_status(moved, "tina")
            assert status.decision == "assign" and status.state == "afventer"  # in the outbox
            with store.engine.connect() as conn:
                row = store._decision_row(conn, status.decision_id)
            payload = json.loads(row.payload)
            assert payload["caseworker_id"] == "cw-ole" and payload["case_id"] == "SAG-9"
            assert row.user == "tina"
        assert store.decision_status(c, "tina").state == "accepteret"  # untouched
        by = store.backlog(_now())["by_assignee"]
        assert by.get("cw-ole") == 2 and by.get("cw-kaj") == 1
        # the access log: a reassign row per item, with the reason, by the team lead
        rows = [r for r in store.access_rows() if r.action == "reassign"]
        assert sorted(r.item for r in rows) == sorted([a, b])
        assert all(r.actor == "tina" and "Sygdom" in r.detail for r in rows)
        # naming items: one not assigned to from_caseworker is skipped with a reason
        assert (
            cli("tina", "--from", "cw-ole", "--to", "cw-lis", "--reason", "Tilbage", "--item", c)
            == 0
        )
        again = json.loads(capsys.readouterr().out)
        assert again["reassigned"] == [] and again["skipped"][0]["message_uuid"] == c


def _now():
    from app.gateway.store import utcnow

    return utcnow()


@pytest.mark.parametrize(
    "body, message",
    [
        ({"from_caseworker": "a", "to_caseworker": "a", "reason": "Ferie"}, "anden"),
        ({"from_caseworker": "a", "reason": "Ferie"}, "to_caseworker"),
        ({"from_caseworker": "a", "to_caseworker": "b", "reason": "x"}, "begrundelse"),
        (
            {
                "from_caseworker": "a",
                "to_caseworker": "b",
                "reason": "Ferie",
                "message_uuids": ["x"],
            },
            "UUID",
        ),
    ],
)
def test_reassign_request_is_checked(body, message):
    from app.gateway.reassign import parse

    got = parse(body)
    assert isinstance(got, str) and message in got and "\n" not in got
