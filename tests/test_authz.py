"""Issue 11 point 2: the gateway enforces role × operation for every mailbox and JSON route
(`app.gateway.authz`), not only the UI. A real gateway on loopback with a users' directory of
the four roles; every operation is called as every role: allowed ones are never answered
ROLLE, refused ones are answered ROLLE (403 JSON / SOAP fault) with one Danish line."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.gateway import authz
from app.gateway.policy import DEFAULT_POLICY
from app.gateway.server import GatewayConfig, RunningGateway, start_gateway
from app.gateway.team import POLICY_HISTORY_PATH
from app.gateway.users import ROLES, UserDirectory, make_user
from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.gateway_client import GatewayClient, GatewayRefused, GatewayUnavailable
from app.sf1606.mailbox_client import MEMO_PATH, MailboxClient, MailboxError
from tests.conftest import MESSAGES
from tests.test_gateway import db_urls, make_db_url
from tests.test_sync import CVR, push

USERS = {
    "distributor": ("dora", "dora-hemmelig-1"),
    "caseworker": ("kaj", "kaj-hemmelig-2"),
    "team_lead": ("tina", "tina-hemmelig-3"),
    "administrator": ("adam", "adam-hemmelig-4"),
}
STRANGER = ("fremmed", "fremmed-hemmelig-5")  # a mailbox user the directory does not know


def _directory() -> UserDirectory:
    return UserDirectory(
        [make_user(name, role, "Team Modtagelse", None) for role, (name, _s) in USERS.items()]
    )


Call = Callable[[MailboxClient, GatewayClient, int, str], Awaitable[Any]]


async def _memo(mb: MailboxClient, _gc: GatewayClient, item_id: int, _uuid: str) -> None:
    async with httpx.AsyncClient(auth=FreshBasicAuth(mb.user, mb._secret)) as http:
        resp = await http.get(mb.base_url + MEMO_PATH.format(item_id=item_id))
    if resp.status_code == 403:
        raise GatewayRefused(resp.json()["error"], resp.json()["message"], 403)
    if resp.status_code == 404:  # allowed, but not theirs (a caseworker: nothing assigned)
        raise GatewayRefused("UKENDT", resp.text, 404)
    assert resp.status_code == 200, resp.text


async def _history(_mb: MailboxClient, gc: GatewayClient, _i: int, _u: str) -> Any:
    return await gc._request("GET", POLICY_HISTORY_PATH)


def _decision(_mb: MailboxClient, gc: GatewayClient, _i: int, message_uuid: str) -> Any:
    return gc.submit(str(uuid.uuid4()), message_uuid, "journalise", {"case_id": "SAG-1"})


def _event() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "at": "2026-11-20T09:00:00+00:00",
        "action": "view",
        "item": "",
        "subjects": [],
    }


# operation -> how a client calls it (claims before release; outcomes last)
CALLS: dict[str, Call] = {
    "PostListe": lambda mb, gc, i, u: mb.list_items(0),
    "PostHent": lambda mb, gc, i, u: mb.fetch(i),
    "ReservationListe": lambda mb, gc, i, u: mb.claims(),
    "ReservationOpret": lambda mb, gc, i, u: mb.claim(i, 60),
    "ReservationFrigiv": lambda mb, gc, i, u: mb.release(i),
    "memo.get": _memo,
    "status.get": lambda mb, gc, i, u: gc.status(u),
    "receivers.get": lambda mb, gc, i, u: gc.receivers(),
    "policy.get": lambda mb, gc, i, u: gc.policy(),
    "policy.put": lambda mb, gc, i, u: gc.set_policy(DEFAULT_POLICY.to_json(), "Prøve af roller"),
    "policy.history": _history,
    "backlog.get": lambda mb, gc, i, u: gc.backlog(),
    "backlog.items": lambda mb, gc, i, u: gc.backlog_items("open"),
    "audit.high_water": lambda mb, gc, i, u: gc.audit_high_water("pc-test"),
    "audit.events": lambda mb, gc, i, u: gc.audit_deliver("pc-test", [_event()]),
    "audit.query": lambda mb, gc, i, u: gc.audit_query("010101-1234"),
    "decisions.post": _decision,
    "UdfaldRegistrer": lambda mb, gc, i, u: mb.record_outcome(i, "journaliseret", case_id="S1"),
}


def test_every_route_is_in_the_table_and_the_table_is_least_privilege():
    route_ops = set(CALLS) | {"decisions.override", "reassign.post"}
    assert route_ops == set(authz.OPERATIONS)
    for op in authz.OPERATIONS:
        for role in ROLES:
            text = authz.refusal(role, op)
            assert (text is None) == (role in authz.roles_for(op))
            assert text is None or ("\n" not in text and text.strip())
        assert authz.allowed(None, op)  # no directory: nothing enforced
        assert not authz.allowed("", op)  # a user the directory does not know: nothing
    # least privilege: the administrator never reads, claims or decides citizens' post
    for op in ("PostListe", "PostHent", "memo.get", "decisions.post", "UdfaldRegistrer"):
        assert not authz.allowed("administrator", op)
    assert authz.roles_for("policy.put") == {"administrator"}
    assert authz.roles_for("reassign.post") == {"team_lead"}
    assert authz.roles_for("decisions.override") == {"team_lead"}
    assert not authz.allowed("caseworker", "ReservationOpret")


async def _outcome(call: Call, mb: MailboxClient, gc: GatewayClient, i: int, u: str) -> str:
    """'ROLLE' when refused for the role, else 'ok' or the other refusal's code."""
    try:
        await call(mb, gc, i, u)
    except MailboxError as exc:
        if exc.code == "ROLLE":
            assert "\n" not in exc.text and exc.text
        return exc.code
    except GatewayUnavailable as exc:  # e.g. GET /receivers without SF2900: allowed, 503
        return exc.code or "503"
    except GatewayRefused as exc:
        if exc.code == "ROLLE":
            assert exc.status == 403 and "\n" not in str(exc)
        return exc.code
    return "ok"


async def _gateway(tmp_path: Path) -> tuple[RunningGateway, int, str]:
    secrets = dict(USERS.values())
    secrets[STRANGER[0]] = STRANGER[1]
    gw = await start_gateway(
        GatewayConfig(
            db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", users=secrets, municipality_cvr=CVR
        )
    )
    gw.set_directory(_directory())
    path = min(MESSAGES.glob("*.xml"))
    await push(gw.postmodtag_url, [path])
    item = gw.store.list_after(0, 10, with_memo=False).items[0]
    return gw, item.item_id, item.message_uuid


def _clients(gw: RunningGateway, user: str, secret: str) -> tuple[MailboxClient, GatewayClient]:
    mb = MailboxClient(gw.base_url, municipality_cvr=CVR, user=user, secret=secret)
    return mb, GatewayClient(gw.base_url, user=user, secret=secret)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_every_role(tmp_path, role):
    name, secret = USERS[role]

    async def main() -> None:
        gw, item_id, message_uuid = await _gateway(tmp_path)
        mb, gc = _clients(gw, name, secret)
        try:
            for op, call in CALLS.items():
                got = await _outcome(call, mb, gc, item_id, message_uuid)
                if role in authz.roles_for(op):
                    assert got != "ROLLE", f"{role} was refused {op}"
                else:
                    assert got == "ROLLE", f"{role} was allowed {op} ({got})"
        finally:
            await mb.close()
            await gc.close()
            await gw.stop()

    asyncio.run(main())


def test_a_user_outside_the_directory_may_do_nothing(tmp_path):
    async def main() -> None:
        gw, item_id, message_uuid = await _gateway(tmp_path)
        mb, gc = _clients(gw, *STRANGER)
        try:
            for op, call in CALLS.items():
                got = await _outcome(call, mb, gc, item_id, message_uuid)
                assert got == "ROLLE", f"an unknown user was allowed {op} ({got})"
        finally:
            await mb.close()
            await gc.close()
            await gw.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- claim caps


def _store_with_items(db_url: str, tmp_path: Path, n: int) -> tuple[Any, list[int]]:
    from app.gateway.store import GatewayStore, utcnow
    from app.gateway.storekey import create_key_file

    key = tmp_path / "store.key"
    create_key_file(key)
    store = GatewayStore(db_url, key_file=key)
    memo = min(MESSAGES.glob("*.xml")).read_bytes()
    ids = []
    for _ in range(n):
        ids.append(
            store.insert_message(
                message_uuid=str(uuid.uuid4()),
                memo=memo,
                kind="nyhenvendelse",
                memo_version="1.2",
                contact_point_id=None,
                received_at=utcnow(),
            ).item_id
        )
    return store, ids


@pytest.mark.parametrize("db", db_urls())
def test_claim_caps_count_duration_others_and_no_race(tmp_path, db):
    from concurrent.futures import ThreadPoolExecutor

    from app.gateway.store import StoreError

    store, ids = _store_with_items(make_db_url(db, tmp_path), tmp_path, 8)
    try:
        # duration: a 24-hour lease is clamped to the cap; the claim shows the real expiry
        claim = store.claim(ids[0], "dora", 24 * 3600, max_lease_seconds=1800, max_claims=3)
        assert 1790 <= (claim.expires_at - claim.claimed_at).total_seconds() <= 1800
        store.claim(ids[1], "dora", 60, max_lease_seconds=1800, max_claims=3)
        store.claim(ids[2], "dora", 60, max_lease_seconds=1800, max_claims=3)
        # renewing one she holds is no new claim
        store.claim(ids[2], "dora", 60, max_lease_seconds=1800, max_claims=3)
        # count: one more is refused with one Danish line
        with pytest.raises(StoreError) as refused:
            store.claim(ids[3], "dora", 60, max_lease_seconds=1800, max_claims=3)
        assert refused.value.code == "FOR_MANGE_RESERVATIONER"
        assert "højst 3" in refused.value.text and "\n" not in refused.value.text
        # others' live claims are refused
        with pytest.raises(StoreError) as taken:
            store.claim(ids[0], "bo", 60, max_lease_seconds=1800, max_claims=3)
        assert taken.value.code != "FOR_MANGE_RESERVATIONER"
        # releasing one frees a place
        store.release(ids[1], "dora")
        store.claim(ids[3], "dora", 60, max_lease_seconds=1800, max_claims=3)
        # concurrent: "ole" at 2 of 3 asks for 4 more at once: exactly one is granted
        store.claim(ids[4], "ole", 60, max_claims=3)
        store.claim(ids[5], "ole", 60, max_claims=3)
        more = [ids[6], ids[7], ids[1], ids[1]]

        def try_claim(item_id: int) -> str:
            try:
                store.claim(item_id, "ole", 60, max_claims=3)
                return "ok"
            except StoreError as exc:
                return exc.code

        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(try_claim, more))
        live = [c for c in store.claims() if c.user == "ole"]
        assert len(live) == 3, (got, live)
    finally:
        store.close()


def test_soap_claim_follows_the_policy_caps(tmp_path):
    from app.gateway.policy import policy_from_json

    async def main() -> None:
        gw, item_id, _u = await _gateway(tmp_path)
        path = sorted(MESSAGES.glob("*.xml"))[1]
        await push(gw.postmodtag_url, [path])
        second = gw.store.list_after(0, 10, with_memo=False).items[1].item_id
        name, secret = USERS["distributor"]
        mb, gc = _clients(gw, name, secret)
        admin = GatewayClient(
            gw.base_url, user=USERS["administrator"][0], secret=USERS["administrator"][1]
        )
        try:
            policy = DEFAULT_POLICY.to_json() | {"max_claim_minutes": 5, "max_claims_per_user": 1}
            policy_from_json(policy)  # valid
            await admin.set_policy(policy, "Korte reservationer")
            claim = await mb.claim(item_id, 24 * 3600)
            assert 290 <= (claim.expires_at - claim.claimed_at).total_seconds() <= 300
            with pytest.raises(MailboxError) as refused:
                await mb.claim(second, 60)
            assert refused.value.code == "FOR_MANGE_RESERVATIONER"
            assert "højst 1" in refused.value.text
        finally:
            await mb.close()
            await gc.close()
            await admin.close()
            await gw.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- caseworker


def test_a_caseworker_sees_and_decides_only_what_is_assigned_to_them(tmp_path):
    directory = UserDirectory(
        [
            make_user("dora", "distributor", "Team Modtagelse", None),
            make_user("kaj", "caseworker", "Team Handicap", None, caseworker_id="DUBU-7"),
        ]
    )

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(
                db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}",
                users={"dora": "dora-hemmelig-1", "kaj": "kaj-hemmelig-2"},
                municipality_cvr=CVR,
            )
        )
        gw.set_directory(directory)
        await push(gw.postmodtag_url, sorted(MESSAGES.glob("*.xml"))[:3])
        items = gw.store.list_after(0, 10, with_memo=False).items
        mine, other, third = items[0], items[1], items[2]
        dora_mb, dora = _clients(gw, "dora", "dora-hemmelig-1")
        kaj_mb, kaj = _clients(gw, "kaj", "kaj-hemmelig-2")
        try:
            await dora_mb.claim(mine.item_id, 60)
            await dora_mb.claim(other.item_id, 60)
            await dora.submit(
                str(uuid.uuid4()), mine.message_uuid, "assign", {"caseworker_id": "DUBU-7"}
            )
            await dora.submit(
                str(uuid.uuid4()), other.message_uuid, "assign", {"caseworker_id": "DUBU-8"}
            )
            page = await kaj_mb.list_items(0, 50)
            assert [i.item_id for i in page.items] == [mine.item_id]
            assert (await kaj_mb.fetch(mine.item_id)).item_id == mine.item_id
            for hidden in (other, third):
                with pytest.raises(MailboxError) as refused:
                    await kaj_mb.fetch(hidden.item_id)
                assert refused.value.code == "UKENDT_ELEMENT"
                with pytest.raises(GatewayRefused) as not_found:
                    await kaj.status(hidden.message_uuid)
                assert not_found.value.status == 404
                with pytest.raises(GatewayRefused) as not_found:
                    await kaj.submit(
                        str(uuid.uuid4()), hidden.message_uuid, "journalise", {"case_id": "S1"}
                    )
                assert not_found.value.status == 404
            assert (await kaj.status(mine.message_uuid)).state is not None
            # DUBU accepted the assignment (this gateway runs no delivery worker): stand-in
            from app.gateway.store import decisions

            with gw.store.engine.begin() as conn:
                conn.execute(
                    decisions.update()
                    .where(decisions.c.item_id == mine.item_id)
                    .values(state="accepteret")
                )
            # only journalise: a reject (or forward, or assign) is refused by role
            with pytest.raises(GatewayRefused) as refused_action:
                await kaj.submit(
                    str(uuid.uuid4()), mine.message_uuid, "reject", {"reason": "Ikke min"}
                )
            assert refused_action.value.status == 403 and refused_action.value.code == "ROLLE"
            done = await kaj.submit(
                str(uuid.uuid4()), mine.message_uuid, "journalise", {"case_id": "SAG-1"}
            )
            assert done.state in {"afventer", "sendt", "accepteret"}
            # after deciding it, it is still theirs to follow
            assert (await kaj.status(mine.message_uuid)).decision == "journalise"
        finally:
            for c in (dora_mb, kaj_mb, dora, kaj):
                await c.close()
            await gw.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- claim required


@pytest.mark.parametrize("db", db_urls())
def test_a_decision_needs_the_callers_claim(tmp_path, db):
    from datetime import timedelta

    from app.gateway.store import StoreError, claims, utcnow

    store, ids = _store_with_items(make_db_url(db, tmp_path), tmp_path, 3)
    uuids = [store.fetch(i, with_memo=False).message_uuid for i in ids]

    def decide(user: str, n: int) -> Any:
        return store.submit_decision(
            user, str(uuid.uuid4()), uuids[n], "reject", {"reason": "Forkert"}, require_claim=True
        )

    def expire(item_id: int) -> None:
        with store.engine.begin() as conn:
            conn.execute(
                claims.update()
                .where(claims.c.item_id == item_id)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )

    try:
        with pytest.raises(StoreError) as unclaimed:
            decide("dora", 0)
        assert unclaimed.value.code == "IKKE_RESERVERET"
        assert unclaimed.value.text == "Du har ikke reserveret elementet"
        store.claim(ids[0], "dora", 60)
        assert decide("dora", 0).state == "afsluttet"
        # her own claim expired and nobody claimed since: a late outbox still delivers
        store.claim(ids[1], "dora", 60)
        expire(ids[1])
        assert decide("dora", 1).state == "afsluttet"
        # expired, then a colleague claimed it: hers is gone
        store.claim(ids[2], "dora", 60)
        expire(ids[2])
        store.claim(ids[2], "bo", 60)
        with pytest.raises(StoreError) as taken:
            decide("dora", 2)
        assert taken.value.code == "OPTAGET"
        expire(ids[2])  # bo's lapsed too: still not dora's
        with pytest.raises(StoreError) as not_hers:
            decide("dora", 2)
        assert not_hers.value.code == "IKKE_RESERVERET"
    finally:
        store.close()


def test_unclaimed_decision_over_http_is_refused_in_danish(tmp_path):
    async def main() -> None:
        gw, item_id, message_uuid = await _gateway(tmp_path)
        mb, gc = _clients(gw, *USERS["distributor"])
        try:
            with pytest.raises(GatewayRefused) as refused:
                await gc.submit(str(uuid.uuid4()), message_uuid, "reject", {"reason": "Forkert"})
            assert refused.value.status == 409 and refused.value.code == "IKKE_RESERVERET"
            assert refused.value.message == "Du har ikke reserveret elementet"
            await mb.claim(item_id, 60)
            done = await gc.submit(str(uuid.uuid4()), message_uuid, "reject", {"reason": "Forkert"})
            assert done.state == "afsluttet"
        finally:
            await mb.close()
            await gc.close()
            await gw.stop()

    asyncio.run(main())
