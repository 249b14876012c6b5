"""Gateway users and visibility (app/gateway/users.py), the sandbox's demo users
(app/sandbox/demo_users.py) and the sandbox ready line's `users`: every demo user exists on the
real gateway (HTTPS, the sandbox CA) with the secret the ready line names."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from app.dubu.dataset import DubuDataset
from app.gateway.store import hash_secret, verify_secret
from app.gateway.users import (
    ROLE_ADMINISTRATOR,
    ROLE_CASEWORKER,
    ROLE_DISTRIBUTOR,
    ROLE_TEAM_LEAD,
    GatewayUser,
    UserDirectory,
    UsersFileError,
    make_user,
)
from app.sandbox.demo_users import demo_users, team_contact_points
from app.sandbox.runner import DEMO_USER, SandboxConfig, default_dubu_data, start_sandbox
from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.mailbox_client import MailboxClient, MailboxError
from app.sf1606.tls import trust_context

CP_FAMILY = "09248c6b-e8e3-457e-b513-853b5dc7cd3f"
CP_PROFESSIONALS = "2a465fd0-d1be-49cb-b88e-a473d9e705a8"
CP_HANDICAP = "b7224fcf-dc1a-461f-9bb2-d3b12fd2ea33"
CP_FAMILY_REPLIES = "dde4f781-b0a6-4373-b67e-fab242fa0032"
CP_HANDICAP_REPLIES = "a7ee370f-eb8a-4930-a178-4bf90bdd8bca"

USERS_TOML = f"""
# written by IT
[[users]]
name = "anna"
role = "distributor"
team = "Team Modtagelse"
contact_points = ["{CP_FAMILY.upper()}", "{CP_FAMILY_REPLIES}"]
secret_hash = "{{anna}}"

[[users]]
name = "tina"
role = "team_lead"
team = "Team Modtagelse"
contact_points = "*"
secret_hash = "{{tina}}"

[[users]]
name = "edth"
role = "caseworker"
team = "Team Handicap"
contact_points = []
secret_hash = "{{edth}}"
"""


def users_toml() -> str:
    return (
        USERS_TOML.replace("{anna}", hash_secret("a-secret"))
        .replace("{tina}", hash_secret("t-secret"))
        .replace("{edth}", hash_secret("e-secret"))
    )


def test_users_file_parsed_with_visibility_rule():
    directory = UserDirectory.from_toml(users_toml())
    assert directory.names() == ["anna", "edth", "tina"]
    anna = directory.get("anna")
    assert anna is not None and anna.role == ROLE_DISTRIBUTOR and anna.team == "Team Modtagelse"
    assert anna.contact_points == frozenset({CP_FAMILY, CP_FAMILY_REPLIES})  # normalised
    assert directory.can_see("anna", CP_FAMILY)
    assert directory.can_see("anna", " " + CP_FAMILY.upper())  # ids compare case-insensitively
    assert directory.can_see(anna, CP_FAMILY_REPLIES)
    assert not directory.can_see("anna", CP_HANDICAP)
    assert not directory.can_see("anna", None)  # no contact point: only "all" users
    assert directory.can_see("tina", CP_HANDICAP) and directory.can_see("tina", None)
    assert directory.contact_points_of("tina") is None
    assert not directory.can_see("edth", CP_HANDICAP_REPLIES)  # empty list: nothing
    assert not directory.can_see("nobody", CP_FAMILY)  # unknown users see nothing
    assert not directory.can_see(None, CP_FAMILY)
    assert directory.contact_points_of("nobody") == frozenset()
    hashes = directory.secret_hashes()
    assert set(hashes) == {"anna", "tina", "edth"}
    assert verify_secret("a-secret", hashes["anna"]) and not verify_secret("x", hashes["anna"])
    assert "scrypt" not in repr(anna)  # the hash stays out of logs and reprs
    # round trip through the file IT would write
    again = UserDirectory.from_toml(directory.to_toml())
    assert [u.to_dict() for u in again] == [u.to_dict() for u in directory]
    assert again.secret_hashes() == hashes


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('secret = "hunter2"', "klartekst"),
        ('password = "hunter2"', "klartekst"),
        ('secret_hash = "hunter2"', "scrypt"),
        ('secret_hash = "{h}"\nrole2 = "x"', "ukendt nøgle"),
    ],
)
def test_users_file_refuses_plaintext_and_unknown_keys(entry, message):
    text = (
        '[[users]]\nname = "anna"\nrole = "distributor"\nteam = "T"\ncontact_points = "*"\n'
        + entry.replace("{h}", hash_secret("s"))
        + "\n"
    )
    with pytest.raises(UsersFileError, match=message) as caught:
        UserDirectory.from_toml(text)
    assert "hunter2" not in str(caught.value)


H = 'secret_hash = "{h}"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[users]]\nname = "a"\nrole = "boss"\nteam = "T"\ncontact_points = "*"\n' + H, "rolle"),
        (
            '[[users]]\nname = "a"\nrole = "caseworker"\nteam = "T"\ncontact_points = "*"\n',
            "mangler",
        ),
        ('[[users]]\nname = "a"\nrole = "caseworker"\nteam = ""\n' + H, "mangler"),
        (
            '[[users]]\nname = "a"\nrole = "caseworker"\nteam = " "\ncontact_points = []\n' + H,
            "team",
        ),
        ("users = 3\n", "liste"),
        ("[users\n", "TOML"),
        ('[user]\nname = "a"\n', "ukendt nøgle"),
    ],
)
def test_users_file_refuses_bad_entries(text, message):
    with pytest.raises(UsersFileError, match=message):
        UserDirectory.from_toml(text.replace("{h}", hash_secret("s")))


def test_duplicate_user_and_bad_contact_points_refused():
    with pytest.raises(UsersFileError, match="to gange"):
        UserDirectory([make_user("a", ROLE_CASEWORKER, "T", None)] * 2)
    with pytest.raises(UsersFileError, match="liste"):
        make_user("a", ROLE_CASEWORKER, "T", "09248c6b")
    with pytest.raises(UsersFileError, match="id"):
        make_user("a", ROLE_CASEWORKER, "T", [""])
    with pytest.raises(UsersFileError, match="1-128"):
        make_user("", ROLE_CASEWORKER, "T", None)


def test_demo_users_cover_roles_teams_and_differ_in_contact_points():
    dataset = DubuDataset.load(default_dubu_data())
    teams = team_contact_points(dataset)
    all_ids = {cp.id for cp in dataset.contact_points}
    # every contact point belongs to exactly one team
    assigned = [cp for ids in teams.contact_points.values() for cp in ids]
    assert sorted(assigned) == sorted(all_ids)
    assert teams.contact_points["Team Handicap"] == (CP_HANDICAP, CP_HANDICAP_REPLIES)
    assert teams.contact_points["Team Forebyggelse"] == (CP_PROFESSIONALS,)
    assert set(teams.contact_points["Team Modtagelse"]) == {CP_FAMILY, CP_FAMILY_REPLIES}
    users = {u.name: u for u in demo_users(dataset, DEMO_USER)}
    distributors = [u for u in users.values() if u.role == ROLE_DISTRIBUTOR]
    team_names = {w.team for w in dataset.caseworkers()}
    assert {u.team for u in distributors if u.name != DEMO_USER} == team_names
    assert users[DEMO_USER].contact_points is None  # the existing demo user sees everything
    caseworker = next(u for u in users.values() if u.role == ROLE_CASEWORKER)
    assert caseworker.contact_points == frozenset({CP_HANDICAP_REPLIES})
    lead = next(u for u in users.values() if u.role == ROLE_TEAM_LEAD)
    assert lead.contact_points == all_ids
    visible = [u.contact_points for u in users.values() if u.name != DEMO_USER]
    assert len(set(visible)) == len(visible)  # no two demo users see the same post
    assert all(isinstance(u, GatewayUser) for u in users.values())


def test_sandbox_ready_line_users_exist_on_the_gateway(tmp_path):
    async def main() -> None:
        running = await start_sandbox(
            SandboxConfig(data_dir=tmp_path / "sb", push_messages=False, store_in_keyring=False)
        )
        try:
            ep = json.loads(json.dumps(running.endpoints))  # what the ready line prints
            assert ep["user"] == DEMO_USER  # the old keys keep working
            users = ep["users"]
            roles = {u["role"] for u in users}
            assert {ROLE_DISTRIBUTOR, ROLE_CASEWORKER, ROLE_TEAM_LEAD} <= roles
            by_name = {u["name"]: u for u in users}
            assert by_name[DEMO_USER]["secret"] == running.secret
            assert len({u["secret"] for u in users}) == len(users)
            all_ids = sorted(cp.id for cp in running.dataset.contact_points)
            assert by_name[DEMO_USER]["contact_points"] == all_ids
            for user in users:
                assert set(user) == {"name", "role", "team", "secret", "contact_points"}
                directory_user = running.directory.get(user["name"])
                assert directory_user is not None and directory_user.role == user["role"]
                for cp in all_ids:
                    assert running.directory.can_see(user["name"], cp) == (
                        cp in user["contact_points"]
                    )
                # each one logs in to the real gateway with its secret, and not with another's
                async with MailboxClient(
                    running.gateway.base_url,
                    municipality_cvr=running.municipality_cvr,
                    user=user["name"],
                    secret=user["secret"],
                    ca_bundle=ep["tls_ca"],
                ) as client:
                    if user["role"] == ROLE_ADMINISTRATOR:  # logs in, but reads no post
                        with pytest.raises(MailboxError) as refused:
                            await client.list_items(0, 10)
                        assert refused.value.code == "ROLLE"
                    else:
                        page = await client.list_items(0, 10)
                        assert page.items == ()
                async with MailboxClient(
                    running.gateway.base_url,
                    municipality_cvr=running.municipality_cvr,
                    user=user["name"],
                    secret=user["secret"] + "x",
                    ca_bundle=ep["tls_ca"],
                ) as client:
                    with pytest.raises(MailboxError):
                        await client.list_items(0, 10)
        finally:
            await running.stop()

    asyncio.run(main())


def test_sandbox_gateway_enforces_demo_users_visibility(tmp_path):
    """The sandbox gateway answers an item's status only to users who may see its contact
    point; everyone else gets the same 404 as for an item that does not exist."""

    async def main() -> None:
        running = await start_sandbox(
            SandboxConfig(
                data_dir=tmp_path / "sb",
                push_messages=False,
                generate=40,
                store_in_keyring=False,
            )
        )
        try:
            await running.pushed()
            ep = running.endpoints
            async with MailboxClient(
                running.gateway.base_url,
                municipality_cvr=running.municipality_cvr,
                user=ep["user"],
                secret=running.secret,
                ca_bundle=ep["tls_ca"],
            ) as client:
                items = (await client.list_items(0, 100)).items
            assert len(items) == 40
            assert len({i.contact_point_id for i in items}) >= 3
            seen_by = {}
            async with httpx.AsyncClient(verify=trust_context(ep["tls_ca"]), timeout=30) as http:
                for user in ep["users"]:
                    if user["role"] == ROLE_ADMINISTRATOR:  # least privilege: no item status
                        resp = await http.get(
                            f"{ep['gateway']}/items/{items[0].message_uuid}/status",
                            auth=FreshBasicAuth(user["name"], user["secret"]),
                        )
                        assert resp.status_code == 403 and resp.json()["error"] == "ROLLE"
                        continue
                    visible = set(user["contact_points"])
                    if user["role"] == ROLE_CASEWORKER:  # only what is assigned to them: none
                        visible = set()
                    seen = 0
                    for item in items:
                        resp = await http.get(
                            f"{ep['gateway']}/items/{item.message_uuid}/status",
                            auth=FreshBasicAuth(user["name"], user["secret"]),
                        )
                        if item.contact_point_id in visible:
                            assert resp.status_code == 200, (user["name"], resp.text)
                            assert resp.json()["state"] == "ny"
                            seen += 1
                        else:
                            assert resp.status_code == 404, (user["name"], resp.text)
                            assert resp.json()["error"] == "UKENDT"
                    seen_by[user["name"]] = seen
                    missing = await http.get(
                        f"{ep['gateway']}/items/00000000-0000-4000-8000-000000000000/status",
                        auth=FreshBasicAuth(user["name"], user["secret"]),
                    )
                    assert missing.status_code == 404
                    if seen < len(items):  # not visible = not existing, word for word
                        hidden = next(i for i in items if i.contact_point_id not in visible)
                        other = await http.get(
                            f"{ep['gateway']}/items/{hidden.message_uuid}/status",
                            auth=FreshBasicAuth(user["name"], user["secret"]),
                        )
                        assert other.json() == missing.json()
            assert seen_by[DEMO_USER] == len(items)
            caseworkers = {u["name"] for u in ep["users"] if u["role"] == ROLE_CASEWORKER}
            assert all(seen_by[c] == 0 for c in caseworkers)
            others = [u["name"] for u in ep["users"] if u["name"] not in caseworkers]
            assert min(seen_by[n] for n in others if n in seen_by) > 0
            assert len(set(seen_by.values())) > 2
        finally:
            await running.stop()

    asyncio.run(main())


@pytest.mark.parametrize("demo", [True, False])
def test_sandbox_cli_ready_line_names_the_users(tmp_path, demo):
    """The line the acceptance check reads: `postfordeler sandbox` prints `users`."""
    args = ["--no-messages"] + ([] if demo else ["--no-demo-users"])
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path / "d"), "sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line, proc.stderr.read() if proc.stderr else ""
        ep = json.loads(line)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    users = ep["users"]
    assert ep["user"] == DEMO_USER and users[0]["name"] == DEMO_USER
    for user in users:
        assert set(user) == {"name", "role", "team", "secret", "contact_points"}
        assert user["secret"] and user["contact_points"]
    if demo:
        assert {u["role"] for u in users} == {
            ROLE_DISTRIBUTOR,
            ROLE_CASEWORKER,
            ROLE_TEAM_LEAD,
            ROLE_ADMINISTRATOR,
        }
        assert len(users) == 7
    else:
        assert len(users) == 1
    assert proc.returncode == 0


def test_mailbox_follows_each_users_visibility(tmp_path):
    """Two demo users of different contact points through the real mailbox client (SOAP over
    TLS): each lists exactly the items of its contact points, paging in small pages with the
    cursor moving past the items it may not see; fetching, claiming, recording an outcome on
    or downloading the MeMo of an item it may not see is answered word for word like an item
    that does not exist; the reservation list shows only visible items' claims."""

    async def main() -> None:
        running = await start_sandbox(
            SandboxConfig(
                data_dir=tmp_path / "sb", push_messages=False, generate=30, store_in_keyring=False
            )
        )
        try:
            await running.pushed()
            ep = running.endpoints
            all_items = []
            async with _mailbox(running, ep["user"], running.secret) as admin:
                page = await admin.list_items(0, 100)
                all_items = list(page.items)
            assert len(all_items) == 30
            last_id = max(i.item_id for i in all_items)
            candidates = [
                u
                for u in ep["users"]
                if u["contact_points"]
                and u["name"] != ep["user"]
                and u["role"] == ROLE_DISTRIBUTOR  # who may claim
            ]
            a, b = next(
                (x, y)
                for x in candidates
                for y in candidates
                if set(x["contact_points"]) != set(y["contact_points"])
                and any(i.contact_point_id in x["contact_points"] for i in all_items)
                and any(i.contact_point_id not in x["contact_points"] for i in all_items)
            )
            hidden_from_a = next(
                i for i in all_items if i.contact_point_id not in a["contact_points"]
            )
            visible_to_a = next(i for i in all_items if i.contact_point_id in a["contact_points"])
            for user in (a, b):
                expected = [
                    i.item_id for i in all_items if i.contact_point_id in user["contact_points"]
                ]
                async with _mailbox(running, user["name"], user["secret"]) as client:
                    seen, cursor, more = [], 0, True
                    while more:
                        page = await client.list_items(cursor, 4)
                        seen.extend(i.item_id for i in page.items)
                        assert page.next_cursor >= cursor
                        cursor, more = page.next_cursor, page.more
                    assert seen == expected
                    assert cursor == last_id  # moved past the invisible items too
            async with _mailbox(running, a["name"], a["secret"]) as client:
                assert (await client.fetch(visible_to_a.item_id)).item_id == visible_to_a.item_id
                missing_id = last_id + 1000
                for call in (
                    client.fetch,
                    client.claim,
                    client.release,
                    lambda i: client.record_outcome(i, "videresendt"),
                ):
                    with pytest.raises(MailboxError) as hidden:
                        await call(hidden_from_a.item_id)
                    with pytest.raises(MailboxError) as missing:
                        await call(missing_id)
                    assert hidden.value.code == missing.value.code == "UKENDT_ELEMENT"
                    assert hidden.value.text.replace(str(hidden_from_a.item_id), "N") == (
                        missing.value.text.replace(str(missing_id), "N")
                    )
                with pytest.raises(MailboxError) as hidden:
                    await client.download_memo(hidden_from_a.item_id, tmp_path / "x.xml")
                assert hidden.value.code == "UKENDT_ELEMENT"
                assert not (tmp_path / "x.xml").exists()
                # the MeMo GET itself: 404 with the text of a missing item
                memo_url = f"{ep['gateway']}/mailbox/items/{{}}/memo"
                async with httpx.AsyncClient(
                    verify=trust_context(ep["tls_ca"]), auth=FreshBasicAuth(a["name"], a["secret"])
                ) as http:
                    h = await http.get(memo_url.format(hidden_from_a.item_id))
                    m = await http.get(memo_url.format(missing_id))
                    ok = await http.get(memo_url.format(visible_to_a.item_id))
                assert h.status_code == m.status_code == 404 and ok.status_code == 200
                assert h.text.replace(str(hidden_from_a.item_id), "N") == m.text.replace(
                    str(missing_id), "N"
                )
            # a claim on an item `a` may not see is not in `a`'s reservation list
            async with _mailbox(running, ep["user"], running.secret) as admin:
                await admin.claim(hidden_from_a.item_id)
                await admin.claim(visible_to_a.item_id)
                assert {c.item_id for c in await admin.claims()} == {
                    hidden_from_a.item_id,
                    visible_to_a.item_id,
                }
            async with _mailbox(running, a["name"], a["secret"]) as client:
                assert [c.item_id for c in await client.claims()] == [visible_to_a.item_id]
        finally:
            await running.stop()

    asyncio.run(main())


def _mailbox(running, user: str, secret: str) -> MailboxClient:
    return MailboxClient(
        running.gateway.base_url,
        municipality_cvr=running.municipality_cvr,
        user=user,
        secret=secret,
        ca_bundle=running.endpoints["tls_ca"],
    )
