"""OIDC end to end over loopback HTTPS: the sandbox provider, the desktop client's RFC 8252 login
(the "browser" is httpx posting the login form), and the gateway accepting the bearer token."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import ssl
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from app import oidc
from app.gateway.cli import oidc_bearer
from app.gateway.oidc_auth import BearerAuth, OidcGatewayConfig
from app.gateway.secrets import read_gateway_file
from app.gateway.server import GatewayConfig, GatewayTls, start_gateway
from app.sandbox.certs import SandboxCertificates
from app.sandbox.oidc_provider import OidcUser, SandboxOidcProvider
from app.sf1606.gateway_client import GatewayClient
from app.sf1606.tls import server_context
from tests.keyring_backend import MemoryKeyring

CVR = "29189846"
USERS = {
    "eva": OidcUser("eva", "eva-kode-1", ("pf-sagsbehandlere",)),
    "lis": OidcUser("lis", "lis-kode-1", ("pf-sagsbehandlere", "pf-teamledere")),
    "ulla": OidcUser("ulla", "ulla-kode-1", ("andet",)),
}
GROUPS = {
    "pf-sagsbehandlere": {
        "role": "caseworker",
        "team": "Borgerservice",
        "contact_points": ["kp-1"],
    },
    "pf-teamledere": {
        "role": "team_lead",
        "team": "Borgerservice",
        "contact_points": ["kp-1", "kp-2"],
    },
}


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.fields[str(a["name"])] = str(a["value"])


class Loop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> SandboxCertificates:
    return SandboxCertificates.ensure(tmp_path_factory.mktemp("pki") / "tls", municipality_cvr=CVR)


@pytest.fixture(scope="module")
def env(
    certs: SandboxCertificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    loop = Loop()
    provider = SandboxOidcProvider(USERS)
    loop.run(provider.start(ssl_context=server_context(certs.server.cert, certs.server.key)))
    tmp = tmp_path_factory.mktemp("gw")
    config = GatewayConfig(
        db_url=f"sqlite:///{tmp / 'gw.sqlite3'}",
        municipality_cvr=CVR,
        users={"script": "script-kode-1"},
        tls=GatewayTls(
            cert_file=certs.server.cert,
            key_file=certs.server.key,
            client_ca=certs.ca,
            pins=(certs.postkomponent.pin,),
        ),
    )
    gateway = loop.run(start_gateway(config))
    ca = ssl.create_default_context(cafile=str(certs.ca))
    oidc_config = OidcGatewayConfig.from_section(
        {"issuer": provider.issuer, "audience": provider.client_id, "groups": GROUPS}
    )
    bearer = BearerAuth(oidc_config, verify=ca)
    gateway.set_bearer(bearer)
    try:
        yield {"provider": provider, "gateway": gateway, "ca": ca, "bearer": bearer}
    finally:
        bearer.close()
        loop.run(gateway.stop())
        loop.run(provider.stop())
        loop.close()


def browser(ca: ssl.SSLContext, username: str, password: str, **tamper: str):
    """A person in the browser: GET the login form, type username + password, submit, follow the
    redirect to the client's loopback listener."""

    def open_url(url: str) -> None:
        with httpx.Client(verify=ca, timeout=20) as b:
            page = b.get(url).raise_for_status()
            form = _Form()
            form.feed(page.text)
            fields = dict(form.fields, username=username, password=password)
            resp = b.post(url.split("?")[0], data=fields)
            assert resp.status_code == 302, resp.text
            location = resp.headers["Location"]
            for key, value in tamper.items():
                location = re.sub(rf"{key}=[^&]*", f"{key}={value}", location)
            with httpx.Client(timeout=20) as plain:  # the loopback redirect is http (RFC 8252)
                plain.get(location)

    return open_url


def test_full_flow_bearer_on_gateway_and_refresh(env: dict[str, Any]) -> None:
    provider, gateway, ca = env["provider"], env["gateway"], env["ca"]
    keyring = MemoryKeyring()
    with httpx.Client(verify=ca, timeout=20) as client:
        session = oidc.login(
            provider.issuer, provider.client_id, client, keyring, browser(ca, "eva", "eva-kode-1")
        )
        assert session.username == "eva"
        stored = keyring.get_password(oidc.KEYRING_SERVICE, session._key())
        assert stored and stored not in session.access_token
        # the gateway knows eva by her token (404: authenticated, unknown item) ...
        r = client.get(
            gateway.status_url("ikke-et-uuid"),
            headers={"Authorization": f"Bearer {session.access_token}"},
        )
        assert r.status_code == 404, r.text
        identity = env["bearer"].authenticate(session.access_token)
        assert (identity.user, identity.role, identity.team) == (
            "eva",
            "caseworker",
            "Borgerservice",
        )
        # ... and refuses a bad one with a Danish line that does not echo it
        bad = session.access_token[:-4] + "AAAA"
        r = client.get(
            gateway.status_url("ikke-et-uuid"), headers={"Authorization": f"Bearer {bad}"}
        )
        assert r.status_code == 401 and bad not in r.text and "signatur" in r.json()["message"]
        # refresh rotates: new tokens, old refresh token no longer valid
        old_access = session.access_token
        session.expires_at = 0
        token = session.bearer(client)
        assert token != old_access
        new_refresh = keyring.get_password(oidc.KEYRING_SERVICE, session._key())
        assert new_refresh and new_refresh != stored
        r = client.post(
            provider.issuer + "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": stored,
                "client_id": provider.client_id,
            },
        )
        assert r.status_code == 400
        r = client.get(
            gateway.status_url("ikke-et-uuid"), headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 404


def test_groups_map_to_the_highest_role(env: dict[str, Any]) -> None:
    provider, ca = env["provider"], env["ca"]
    with httpx.Client(verify=ca, timeout=20) as client:
        lis = oidc.login(
            provider.issuer,
            provider.client_id,
            client,
            MemoryKeyring(),
            browser(ca, "lis", "lis-kode-1"),
        )
        ident = env["bearer"].authenticate(lis.access_token)
        assert ident.role == "team_lead" and ident.contact_points == ("kp-1", "kp-2")
        ulla = oidc.login(
            provider.issuer,
            provider.client_id,
            client,
            MemoryKeyring(),
            browser(ca, "ulla", "ulla-kode-1"),
        )
        r = client.get(
            env["gateway"].status_url("x"), headers={"Authorization": f"Bearer {ulla.access_token}"}
        )
        assert r.status_code == 401 and "rolle" in r.json()["message"]


def test_state_mismatch_is_refused(env: dict[str, Any]) -> None:
    provider, ca = env["provider"], env["ca"]
    with (
        httpx.Client(verify=ca, timeout=20) as client,
        pytest.raises(oidc.OidcError, match="state"),
    ):
        oidc.login(
            provider.issuer,
            provider.client_id,
            client,
            MemoryKeyring(),
            browser(ca, "eva", "eva-kode-1", state="forfalsket"),
        )


def _code(env: dict[str, Any], challenge: str) -> tuple[str, str]:
    provider, ca = env["provider"], env["ca"]
    redirect = "http://127.0.0.1:1/cb"
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with httpx.Client(verify=ca, timeout=20) as b:
        r = b.post(
            provider.issuer + "/authorize", data=dict(params, username="eva", password="eva-kode-1")
        )
    assert r.status_code == 302
    return re.search(r"code=([^&]+)", r.headers["Location"]).group(1), redirect  # type: ignore[union-attr]


def test_wrong_verifier_and_reused_code_are_refused(env: dict[str, Any]) -> None:
    provider, ca = env["provider"], env["ca"]
    verifier, challenge = oidc.pkce_pair()
    with httpx.Client(verify=ca, timeout=20) as c:
        code, redirect = _code(env, challenge)
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": provider.client_id,
            "code_verifier": "forkert" * 8,
        }
        assert c.post(provider.issuer + "/token", data=data).status_code == 400
        code, redirect = _code(env, challenge)
        data = dict(data, code=code, code_verifier=verifier)
        assert c.post(provider.issuer + "/token", data=data).status_code == 200
        assert c.post(provider.issuer + "/token", data=data).status_code == 400  # reused


def _claims(provider: SandboxOidcProvider, **over: Any) -> dict[str, Any]:
    now = int(time.time())
    return dict(
        {
            "iss": provider.issuer,
            "aud": provider.client_id,
            "sub": "eva",
            "preferred_username": "eva",
            "iat": now,
            "exp": now + 300,
            "groups": ["pf-sagsbehandlere"],
        },
        **over,
    )


def _sign(provider: SandboxOidcProvider, claims: dict[str, Any], key: RSAKey | None = None) -> str:
    key = key or provider.key
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _b64(d: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


def test_bad_tokens_are_refused_on_the_wire(env: dict[str, Any]) -> None:
    provider, gateway, ca = env["provider"], env["gateway"], env["ca"]
    good = _sign(provider, _claims(provider))
    hs_header = {"alg": "HS256", "kid": provider.key.kid}
    pub_pem = provider.key.as_pem(private=False)
    signing_input = f"{_b64(hs_header)}.{_b64(_claims(provider))}"
    hs = (
        signing_input
        + "."
        + base64.urlsafe_b64encode(
            hmac.new(pub_pem, signing_input.encode(), hashlib.sha256).digest()
        )
        .rstrip(b"=")
        .decode()
    )
    stranger = RSAKey.generate_key(2048, {"kid": "ukendt"})
    cases = {
        "anden udbyder": _sign(provider, _claims(provider, iss="https://evil.example")),
        "denne tjeneste": _sign(provider, _claims(provider, aud="andet")),
        "udløbet": _sign(provider, _claims(provider, exp=int(time.time()) - 3600)),
        "signatur": good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB"),
        "algoritme": f"{_b64({'alg': 'none', 'kid': provider.key.kid})}.{_b64(_claims(provider))}.",
        "algoritme ": hs,
        "nøgle": _sign(provider, _claims(provider), stranger),
        "stort": _sign(provider, _claims(provider, pad="x" * 4800)),
    }
    with httpx.Client(verify=ca, timeout=20) as c:
        assert (
            c.get(gateway.status_url("x"), headers={"Authorization": f"Bearer {good}"}).status_code
            == 404
        )
        for reason, token in cases.items():
            r = c.get(gateway.status_url("x"), headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, reason
            assert reason.strip() in r.json()["message"], (reason, r.text)
            assert token not in r.text


def test_unknown_kid_refetch_is_rate_limited(env: dict[str, Any]) -> None:
    provider = env["provider"]
    fetches = []

    def fetch() -> dict[str, Any]:
        fetches.append(1)
        return {"keys": [provider.key.as_dict(private=False)]}

    v = oidc.TokenValidator(provider.issuer, provider.client_id, fetch, refetch_interval=3600)
    v.validate(_sign(provider, _claims(provider)))
    stranger = RSAKey.generate_key(2048, {"kid": "ukendt"})
    for _ in range(5):
        with pytest.raises(oidc.OidcError):
            v.validate(_sign(provider, _claims(provider), stranger))
    assert len(fetches) == 1


def test_gateway_toml_oidc_section_is_used_on_the_wire(
    env: dict[str, Any], certs: SandboxCertificates, tmp_path: Path
) -> None:
    provider = env["provider"]
    (tmp_path / "ca.pem").write_bytes(Path(certs.ca).read_bytes())
    (tmp_path / "gateway.toml").write_text(
        f'[oidc]\nissuer = "{provider.issuer}"\naudience = "{provider.client_id}"\n'
        'ca_file = "ca.pem"\n'
        '[oidc.groups.pf-teamledere]\nrole = "team_lead"\nteam = "Jobcenter"\n'
        'contact_points = ["kp-9"]\n',
        "utf-8",
    )
    bearer = oidc_bearer(read_gateway_file(tmp_path / "gateway.toml"))
    try:
        with httpx.Client(verify=env["ca"], timeout=20) as client:
            lis = oidc.login(
                provider.issuer,
                provider.client_id,
                client,
                MemoryKeyring(),
                browser(env["ca"], "lis", "lis-kode-1"),
            )
        ident = bearer.authenticate(lis.access_token)  # JWKS fetched over HTTPS via discovery
        assert (ident.role, ident.team, ident.contact_points) == (
            "team_lead",
            "Jobcenter",
            ("kp-9",),
        )
    finally:
        bearer.close()


def test_sandbox_ready_line_has_oidc_and_each_demo_user_signs_in_as_themselves(
    tmp_path: Path,
) -> None:
    from app.sandbox.runner import SandboxConfig, SandboxThread

    sandbox = SandboxThread(
        SandboxConfig(data_dir=tmp_path / "sb", push_messages=False, store_in_keyring=False)
    )
    ep = json.loads(json.dumps(sandbox.start()))  # what the ready line prints
    try:
        assert ep["user"] and ep["users"]  # the old keys keep working
        issuer, client_id = ep["oidc"]["issuer"], ep["oidc"]["client_id"]
        ca = ssl.create_default_context(cafile=ep["tls_ca"])
        status_url = ep["gateway"] + "/items/ikke-et-uuid/status"
        roles = set()
        with httpx.Client(verify=ca, timeout=20) as client:
            for user in ep["users"]:
                session = oidc.login(
                    issuer,
                    client_id,
                    client,
                    MemoryKeyring(),
                    browser(ca, user["name"], user["secret"]),
                )
                assert session.username == user["name"]
                r = client.get(
                    status_url, headers={"Authorization": f"Bearer {session.access_token}"}
                )
                # signed in as themselves: 404 for an unknown item, or the administrator's
                # role refused (administrators read no citizens' post)
                expected = 403 if user["role"] == "administrator" else 404
                assert r.status_code == expected, (user["name"], r.text)
                roles.add(user["role"])

                async def via_gateway_client(s: oidc.OidcSession = session) -> int:
                    gc = GatewayClient(
                        ep["gateway"],
                        user=s.username,
                        secret="",
                        ssl_context=ca,
                        auth=oidc.BearerHttpAuth(lambda: s.bearer(client)),
                    )
                    async with gc:
                        return (await gc._http.get(status_url)).status_code

                assert asyncio.run(via_gateway_client()) == expected
            r = client.get(status_url, headers={"Authorization": "Bearer x.y.z"})
            assert r.status_code == 401
        assert len(roles) > 1  # one demo user per role
    finally:
        sandbox.stop()


def test_a_user_known_only_by_the_token_gets_the_role_of_its_groups(
    env: dict[str, Any],
) -> None:
    """With a users' directory that does not know eva or lis, the gateway takes role, team and
    contact points from the token's groups: eva (caseworker) reads the policy but may not change
    it; lis (team lead by her second group) may read the history; ulla's token has no mapped
    group and is refused at sign-in already."""
    from app.gateway.users import UserDirectory, make_user

    provider, gateway, ca = env["provider"], env["gateway"], env["ca"]
    gateway.set_directory(UserDirectory([make_user("script", "distributor", "Modtagelsen", "*")]))
    policy_url = gateway.status_url("x").split("/items/")[0] + "/policy"
    with httpx.Client(verify=ca, timeout=20) as client:
        tokens = {}
        for name, secret in (("eva", "eva-kode-1"), ("lis", "lis-kode-1")):
            session = oidc.login(
                provider.issuer,
                provider.client_id,
                client,
                MemoryKeyring(),
                browser(ca, name, secret),
            )
            tokens[name] = {"Authorization": f"Bearer {session.access_token}"}
        r = client.get(policy_url, headers=tokens["eva"])
        assert r.status_code == 200 and r.json()["role"] == "caseworker", r.text
        r = client.get(policy_url + "/history", headers=tokens["eva"])
        assert r.status_code == 403 and r.json()["error"] == "ROLLE"
        r = client.get(policy_url, headers=tokens["lis"])
        assert r.json()["role"] == "team_lead"
        r = client.get(policy_url + "/history", headers=tokens["lis"])
        assert r.status_code == 200, r.text
