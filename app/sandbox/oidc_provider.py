"""A small OpenID Connect provider for the sandbox (authorization code + PKCE S256 only).

Discovery, JWKS, a Danish login form at the authorization endpoint, and a token endpoint with
code exchange and refresh-token rotation. Tokens are RS256-signed with joserfc (authlib's JOSE)."""

from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.sandbox.loopback import LoopbackService

CODE_TTL = 60
ACCESS_TTL = 300


@dataclass(frozen=True, slots=True)
class OidcUser:
    username: str
    password: str
    groups: tuple[str, ...]


@dataclass(slots=True)
class _Code:
    username: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    expires: float


def s256(verifier: str) -> str:
    return str(create_s256_code_challenge(verifier))


@dataclass
class SandboxOidcProvider(LoopbackService):
    users: dict[str, OidcUser]
    client_id: str = "postfordeler"
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, {"kid": secrets.token_hex(8)})
    )
    _codes: dict[str, _Code] = field(default_factory=dict)
    _refresh: dict[str, str] = field(default_factory=dict)  # token -> username

    @property
    def issuer(self) -> str:
        assert self.base_url is not None
        return self.base_url

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/authorize", self._authorize_form)
        app.router.add_post("/authorize", self._authorize_post)
        app.router.add_post("/token", self._token)
        return app

    async def _discovery(self, request: web.Request) -> web.Response:
        iss = self.issuer
        return web.json_response(
            {
                "issuer": iss,
                "authorization_endpoint": f"{iss}/authorize",
                "token_endpoint": f"{iss}/token",
                "jwks_uri": f"{iss}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
                "token_endpoint_auth_methods_supported": ["none"],
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"keys": [self.key.as_dict(private=False, alg="RS256", use="sig")]}
        )

    def _check_authorize(self, q: dict[str, str]) -> str | None:
        if q.get("response_type") != "code":
            return "Kun response_type=code understøttes"
        if q.get("client_id") != self.client_id:
            return "Ukendt klient"
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return "PKCE (S256) er påkrævet"
        redirect = urlsplit(q.get("redirect_uri", ""))
        if redirect.scheme != "http" or redirect.hostname != "127.0.0.1":
            return "Kun loopback-omdirigering (RFC 8252) er tilladt"
        if not q.get("state"):
            return "state mangler"
        return None

    async def _authorize_form(self, request: web.Request) -> web.Response:
        q = dict(request.query)
        err = self._check_authorize(q)
        if err:
            return web.Response(status=400, text=err)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in q.items()
        )
        page = (
            '<!doctype html><html lang="da"><meta charset="utf-8"><title>Log ind</title>'
            '<h1>Log ind i Postfordeler</h1><form method="post" action="/authorize">'
            f'{hidden}<label>Brugernavn <input name="username"></label>'
            '<label>Adgangskode <input name="password" type="password"></label>'
            "<button>Log ind</button></form></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _authorize_post(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        err = self._check_authorize(form)
        if err:
            return web.Response(status=400, text=err)
        user = self.users.get(form.get("username", ""))
        if user is None or not secrets.compare_digest(user.password, form.get("password", "")):
            return web.Response(status=401, text="Forkert brugernavn eller adgangskode")
        code = secrets.token_urlsafe(32)
        self._codes[code] = _Code(
            user.username,
            form["redirect_uri"],
            form["code_challenge"],
            form.get("nonce"),
            time.time() + CODE_TTL,
        )
        location = f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form['state']})}"
        raise web.HTTPFound(location)

    def _tokens(self, username: str, nonce: str | None) -> dict[str, object]:
        user = self.users[username]
        now = int(time.time())
        base = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": username,
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_TTL,
            "preferred_username": username,
            "groups": list(user.groups),
        }
        header = {"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}
        access = jwt.encode(header, dict(base, jti=secrets.token_hex(8)), self.key)
        id_claims = dict(base, **({"nonce": nonce} if nonce else {}))
        id_token = jwt.encode(header, id_claims, self.key)
        refresh = secrets.token_urlsafe(32)
        self._refresh[refresh] = username
        return {
            "access_token": access,
            "id_token": id_token,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL,
        }

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if form.get("client_id") != self.client_id:
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)  # single use
            if (
                code is None
                or code.expires < time.time()
                or code.redirect_uri != form.get("redirect_uri")
                or not secrets.compare_digest(s256(form.get("code_verifier", "")), code.challenge)
            ):
                return web.json_response({"error": "invalid_grant"}, status=400)
            return web.json_response(self._tokens(code.username, code.nonce))
        if grant == "refresh_token":
            username = self._refresh.pop(form.get("refresh_token", ""), None)  # rotation
            if username is None:
                return web.json_response({"error": "invalid_grant"}, status=400)
            return web.json_response(self._tokens(username, None))
        return web.json_response({"error": "unsupported_grant_type"}, status=400)
