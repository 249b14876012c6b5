"""The municipality's workflow on the gateway (issue 11, point 3): a versioned, audited policy
refused at EP_FS1 (a permanent NOT_ALLOWED receipt over mutual TLS) and at POST /decisions
(403 POLITIK), GET /receivers filtered, `postfordeler policy show|set` for administrators only;
the store on SQLite and the real PostgreSQL of tests/pg_server.py."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from app.gateway.policy import DEFAULT_POLICY, PolicyError, policy_from_json
from app.gateway.server import GatewayConfig, GatewayTls, RunningGateway, start_gateway
from app.gateway.store import GatewayStore, StoreError, utcnow
from app.gateway.users import UserDirectory, make_user
from app.sandbox.certs import SandboxCertificates
from app.sf1606 import postmodtag as pm
from app.sf1606.gateway_client import GatewayClient, GatewayRefused
from app.sf1606.memo import read_memo
from app.sf1606.tls import pem_client_context
from tests.test_gateway import SMALL_FILES, db_urls, make_db_url, with_new_uuid

CVR = "29189846"
ADMIN, ANNA, CW = "admin", "anna", "kaj"
SECRETS = {ADMIN: "admin-hemmelig", ANNA: "anna-hemmelig", CW: "kaj-hemmelig"}
RECEIVER_OK = "11111111-1111-4111-8111-111111111111"
RECEIVER_NO = "22222222-2222-4222-8222-222222222222"


def _by_kind() -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for path in SMALL_FILES:
        data = path.read_bytes()
        found.setdefault(str(read_memo(data, validate=False).kind), data)
    return found


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    return _by_kind()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> SandboxCertificates:
    return SandboxCertificates.ensure(tmp_path_factory.mktemp("pki") / "tls", municipality_cvr=CVR)


def directory() -> UserDirectory:
    return UserDirectory(
        [
            make_user(ADMIN, "administrator", "Team Modtagelse", None),
            make_user(ANNA, "distributor", "Team Modtagelse", None),
            make_user(CW, "caseworker", "Team Handicap", None),
        ]
    )


def tls_config(db_url: str, certs: SandboxCertificates) -> GatewayConfig:
    return GatewayConfig(
        db_url=db_url,
        municipality_cvr=CVR,
        users=dict(SECRETS),
        tls=GatewayTls(
            cert_file=certs.server.cert,
            key_file=certs.server.key,
            client_ca=certs.ca,
            pins=(certs.postkomponent.pin,),
        ),
    )


def client(gw: RunningGateway, certs: SandboxCertificates, user: str) -> GatewayClient:
    return GatewayClient(gw.base_url, user=user, secret=SECRETS[user], ca_bundle=certs.ca)


async def claim(gw: RunningGateway, certs: SandboxCertificates, user: str, message_uuid: str):
    """`user` claims the item through the real mailbox (ReservationOpret)."""
    from app.sf1606.mailbox_client import MailboxClient

    item_id = next(
        i.item_id
        for i in gw.store.list_after(0, 500, with_memo=False).items
        if i.message_uuid == message_uuid
    )
    async with MailboxClient(
        gw.base_url, municipality_cvr=CVR, user=user, secret=SECRETS[user], ca_bundle=certs.ca
    ) as mailbox:
        return await mailbox.claim(item_id, 120)


# --------------------------------------------------------------------------- pure


def test_policy_json_is_checked_and_answers_the_questions():
    assert DEFAULT_POLICY.receive_refusal("kp", "retursvar") is None
    assert DEFAULT_POLICY.decision_refusal("reject", {}) is None
    policy = policy_from_json(
        {
            "contact_points": {"*": ["nyhenvendelse"], "KP-A": ["retursvar", "nyhenvendelse"]},
            "distributor_actions": ["journalise", "assign"],
            "forward_receivers": [RECEIVER_OK],
            "journaliseringsfrist_workdays": 3,
        }
    )
    assert policy.receive_refusal("kp-a", "retursvar") is None  # ids compare case-insensitively
    reason = policy.receive_refusal("kp-b", "retursvar")
    assert reason and "kun nyhenvendelser" in reason and "\n" not in reason
    assert policy.decision_refusal("reject", {"reason": "x"}) == (
        "Kommunens politik tillader ikke fordelere at afvise"
    )
    assert policy.decision_refusal("journal_note", {}, caseworker=False) is None
    assert policy.decision_refusal("forward", {"receiver_id": RECEIVER_NO})
    assert policy.decision_refusal("forward", {"receiver_id": RECEIVER_OK.upper()}) is None
    assert policy.allowed_actions() == ["journalise", "assign", "forward"]
    assert "reject" in policy.missing_reasons()
    assert policy_from_json(policy.to_json()) == policy
    for bad in (
        {"contact_points": {"*": ["sms"]}},
        {"distributor_actions": ["delete"]},
        {"forward_receivers": "alle"},
        {"journaliseringsfrist_workdays": -1},
        {"ukendt": 1},
        [],
    ):
        with pytest.raises(PolicyError):
            policy_from_json(bad)


# --------------------------------------------------------------------------- store


@pytest.mark.parametrize("db", db_urls())
def test_every_set_is_a_new_version_with_author_and_reason_in_the_access_log(db, tmp_path):
    store = GatewayStore(make_db_url(db, tmp_path))
    try:
        assert store.policy_version().version == 0  # the built-in default
        only_replies = policy_from_json({"contact_points": {"*": ["retursvar"]}})
        v1 = store.set_policy(only_replies, ADMIN, "Kun retursvar i Postfordeler")
        v2 = store.set_policy(DEFAULT_POLICY, ADMIN, "Tilbage til begge")
        assert (v1.version, v2.version) == (1, 2)
        current = store.policy_version()
        assert current.version == 2 and current.policy == DEFAULT_POLICY
        history = store.policy_history()
        assert [(v.version, v.author, v.reason) for v in history] == [
            (1, ADMIN, "Kun retursvar i Postfordeler"),
            (2, ADMIN, "Tilbage til begge"),
        ]
        assert history[0].policy == only_replies and history[0].at
        # the mailbox's UdfaldRegistrer follows the policy as POST /decisions does
        data, message_uuid = with_new_uuid(SMALL_FILES[0].read_bytes())
        item = store.insert_message(
            message_uuid=message_uuid, memo=data, kind="retursvar", memo_version="1.2",
            contact_point_id="kp", received_at=utcnow(),
        ).item_id  # fmt: skip
        store.set_policy(policy_from_json({"distributor_actions": ["journalise"]}), ADMIN, "x")
        with pytest.raises(StoreError) as refused:
            store.record_outcome(item, ANNA, "afvist", note="Forkert")
        assert refused.value.code == "POLITIK" and "afvise" in refused.value.text
        assert store.record_outcome(item, ANNA, "journaliseret", case_id="s1").outcome
        rows = list(store.access_rows())[:2]
        assert [(r.actor, r.action, r.detail) for r in rows] == [
            (ADMIN, "policy_set", "version 1"),
            (ADMIN, "policy_set", "version 2"),
        ]
    finally:
        store.close()


# --------------------------------------------------------------------------- over TLS


def test_policy_refusals_at_ep_fs1_and_decisions_over_tls(tmp_path, certs, corpus):
    config = tls_config(f"sqlite:///{tmp_path / 'gw.sqlite3'}", certs)
    reply, enquiry = corpus["retursvar"], corpus["nyhenvendelse"]

    async def body(gw: RunningGateway) -> None:
        gw.set_directory(directory())
        admin, anna, kaj = (client(gw, certs, u) for u in (ADMIN, ANNA, CW))
        ctx = pem_client_context(certs.postkomponent.cert, certs.postkomponent.key, certs.ca)
        sender = httpx.AsyncClient(verify=ctx, timeout=20)
        try:
            shown = await anna.policy()
            assert shown["version"] == 0 and shown["allowed_actions"] == [
                "reject",
                "journalise",
                "assign",
                "forward",
            ]
            new = {
                "contact_points": {"*": ["nyhenvendelse"]},
                "distributor_actions": ["journalise", "assign"],
                "forward_receivers": [RECEIVER_OK],
            }
            with pytest.raises(GatewayRefused) as refused:
                await anna.set_policy(new, "Jeg prøver")
            assert refused.value.status == 403 and refused.value.code == "ROLLE"
            assert refused.value.message == "Kun en administrator kan ændre kommunens politik"
            with pytest.raises(GatewayRefused) as no_reason:
                await admin.set_policy(new, "  ")
            assert no_reason.value.code == "UGYLDIG"
            # a decision made under version 0, repeated after the change, is answered as before
            data, uuid_old = with_new_uuid(enquiry)
            resp = await sender.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            assert pm.receipt_from_http(resp.status_code, resp.content).accepted
            early = str(uuid.uuid4())
            await claim(gw, certs, ANNA, uuid_old)  # a distributor decides what she claimed
            first = await anna.submit(early, uuid_old, "reject", {"reason": "Forkert modtager"})
            assert first.state == "afsluttet"
            stored = await admin.set_policy(new, "Kun nyhenvendelser; ingen afvisning")
            assert stored["version"] == 1 and stored["author"] == ADMIN
            assert stored["missing"]["reject"] == (
                "Kommunens politik tillader ikke fordelere at afvise"
            )
            again = await anna.submit(early, uuid_old, "reject", {"reason": "Forkert modtager"})
            assert again.state == "afsluttet"
            # EP_FS1: a retursvar is refused for good (NOT_ALLOWED), never "temporary"
            data, refused_uuid = with_new_uuid(reply)
            resp = await sender.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            receipt = pm.receipt_from_http(resp.status_code, resp.content)
            assert resp.status_code == 200 and not receipt.accepted and not receipt.retryable
            assert receipt.status == pm.STATUS_NOT_ALLOWED and receipt.code == pm.CODE_POLICY
            assert receipt.text and "kun nyhenvendelser" in receipt.text
            assert b"<receiptStatus>NOT_ALLOWED</receiptStatus>" in resp.content
            assert refused_uuid not in {i.message_uuid for i in gw.store.list_after(0, 50).items}
            data, item = with_new_uuid(enquiry)
            resp = await sender.post(gw.postmodtag_url, content=data, headers=pm.request_headers())
            assert pm.receipt_from_http(resp.status_code, resp.content).accepted
            # POST /decisions: a kind the policy does not allow, a receiver it does not list
            with pytest.raises(GatewayRefused) as rej:
                await anna.submit(str(uuid.uuid4()), item, "reject", {"reason": "Forkert"})
            assert (rej.value.status, rej.value.code) == (403, "POLITIK")
            assert rej.value.message == "Kommunens politik tillader ikke fordelere at afvise"
            with pytest.raises(GatewayRefused) as fwd:
                await anna.submit(str(uuid.uuid4()), item, "forward", {"receiver_id": RECEIVER_NO})
            assert fwd.value.code == "POLITIK" and "ikke godkendt" in fwd.value.message
            await claim(gw, certs, ANNA, item)
            assigned = await anna.submit(str(uuid.uuid4()), item, "assign", {"caseworker_id": CW})
            assert assigned.state == "afventer"
            # GET /receivers without SF2900 stays 503; nothing was stored for the refusals
            assert gw.store.decision_status(item).decision == "assign"
            assert len(gw.store.policy_history()) == 1
        finally:
            await sender.aclose()
            for c in (admin, anna, kaj):
                await c.close()

    async def main() -> None:
        gw = await start_gateway(config)
        try:
            await body(gw)
        finally:
            await gw.stop()

    asyncio.run(main())


def test_receivers_list_follows_the_policy(tmp_path):
    """GET /receivers serves only the receivers the policy allows (a stand-in SF2900 list)."""
    from app.gateway.server import _STATE

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(db_url=f"sqlite:///{tmp_path / 'r.db'}", users=dict(SECRETS))
        )
        try:
            gw.set_directory(directory())
            listed = [(RECEIVER_OK, "Jobcenter"), (RECEIVER_NO, "Skoleforvaltningen")]
            gw._app[_STATE].receivers = _Fixed(listed)  # SF2900's answer, as CachedReceivers
            async with GatewayClient(gw.base_url, user=ANNA, secret=SECRETS[ANNA]) as anna:
                assert [r for r, _ in await anna.receivers()] == [RECEIVER_OK, RECEIVER_NO]
                gw.store.set_policy(
                    policy_from_json({"forward_receivers": [RECEIVER_OK]}), ADMIN, "Kun jobcenter"
                )
                assert [r for r, _ in await anna.receivers()] == [RECEIVER_OK]
                gw.store.set_policy(policy_from_json({"forward_receivers": []}), ADMIN, "Ingen")
                assert await anna.receivers() == []
                assert (await anna.policy())["allowed_actions"] == [
                    "reject",
                    "journalise",
                    "assign",
                ]
        finally:
            await gw.stop()

    asyncio.run(main())


class _Fixed:
    """A CachedReceivers stand-in: the list SF2900 gave and each system's KLE subjects."""

    def __init__(self, found: list[tuple[str, str]]) -> None:
        self.found = found
        self.kles: dict[str, list[str]] = {rid: [] for rid, _name in found}

    async def get(self) -> list[tuple[str, str]]:
        return self.found


# --------------------------------------------------------------------------- the CLI


def test_policy_cli_show_and_set_only_for_administrators(tmp_path, certs, monkeypatch, capsys):
    from tests.gateway_thread import GatewayThread

    policy_file = tmp_path / "policy.json"
    policy_file.write_text(
        json.dumps({"contact_points": {"*": ["retursvar"]}, "journaliseringsfrist_workdays": 3}),
        "utf-8",
    )
    with GatewayThread(tls_config(f"sqlite:///{tmp_path / 'c.db'}", certs), directory()) as gw:
        base = ["--gateway", gw.base_url, "--ca-bundle", str(certs.ca)]

        def cli(user: str, *argv: str) -> tuple[int, str, str]:
            from app.cli import main

            monkeypatch.setenv("POSTFORDELER_SECRET", SECRETS[user])
            code = main([*argv[:2], *base, "--user", user, *argv[2:]])
            out = capsys.readouterr()
            return code, out.out, out.err

        code, out, err = cli(ANNA, "policy", "set", "--file", str(policy_file), "--reason", "x")
        assert code == 4 and err.strip() == "Kun en administrator kan ændre kommunens politik"
        assert out == ""
        code, out, _ = cli(
            ADMIN,
            "policy",
            "set",
            "--file",
            str(policy_file),
            "--reason",
            "Kun retursvar",
            "--json",
        )
        assert code == 0 and json.loads(out)["version"] == 1
        code, out, _ = cli(ANNA, "policy", "show", "--json")
        shown = json.loads(out)
        assert code == 0 and shown["version"] == 1 and shown["author"] == ADMIN
        assert shown["reason"] == "Kun retursvar"
        assert shown["policy"]["contact_points"] == {"*": ["retursvar"]}
        assert shown["policy"]["journaliseringsfrist_workdays"] == 3
        bad = tmp_path / "bad.json"
        bad.write_text('{"distributor_actions": ["slet"]}', "utf-8")
        code, _, err = cli(ADMIN, "policy", "set", "--file", str(bad), "--reason", "x")
        assert code == 4 and err.count("\n") == 1 and "Ukendt handling" in err
