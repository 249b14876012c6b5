"""OpenID Connect, Qt-free: the desktop client's login (RFC 8252 loopback redirect, PKCE S256,
state + nonce) and the gateway's bearer-token validation (issuer, audience, signature against the
provider's JWKS, exp/nbf/iat with leeway, alg allow-list, bounded size).

Tokens are never logged and never part of an error text."""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALLOWED_ALGS = ("RS256", "ES256")
MAX_TOKEN_BYTES = 6144  # below aiohttp's 8190-byte header line limit
LEEWAY = 60
JWKS_REFETCH_INTERVAL = 30.0
REFRESH_MARGIN = 60
KEYRING_SERVICE = "postfordeler-oidc"


class OidcError(Exception):
    """A refused login or token; `str()` is a one-line Danish reason without the token."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    verifier = _b64url(secrets.token_bytes(32))
    return verifier, _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def discover(issuer: str, client: httpx.Client) -> dict[str, Any]:
    meta: dict[str, Any] = (
        client.get(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
        .raise_for_status()
        .json()
    )
    if meta.get("issuer") != issuer:
        raise OidcError("Udbyderens issuer stemmer ikke")
    return meta


# ---------------------------------------------------------------- validation


@dataclass
class TokenValidator:
    """Validates bearer tokens. `fetch_jwks` returns the JWKS document (cached here; refetched on
    an unknown kid at most every `refetch_interval` seconds)."""

    issuer: str
    audience: str
    fetch_jwks: Callable[[], Mapping[str, Any]]
    refetch_interval: float = JWKS_REFETCH_INTERVAL
    leeway: int = LEEWAY
    clock: Callable[[], float] = time.time
    _keys: KeySet | None = None
    _fetched_at: float = -1e18
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _keyset(self, kid: str | None) -> KeySet:
        with self._lock:
            known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
            if not known and time.monotonic() - self._fetched_at >= self.refetch_interval:
                self._fetched_at = time.monotonic()
                self._keys = KeySet.import_key_set(dict(self.fetch_jwks()))  # type: ignore[arg-type]
            if self._keys is None or not any(k.kid == kid for k in self._keys.keys):
                raise OidcError("Tokenets nøgle er ukendt")
            return self._keys

    def validate(self, token: str) -> dict[str, Any]:
        if len(token.encode("utf-8", "replace")) > MAX_TOKEN_BYTES:
            raise OidcError("Tokenet er for stort")
        try:
            header = jws.extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError):
            raise OidcError("Tokenet kan ikke læses") from None
        alg = header.get("alg")
        if alg not in ALLOWED_ALGS:
            raise OidcError("Tokenets algoritme er ikke tilladt")
        keys = self._keyset(header.get("kid"))
        try:
            decoded = jwt.decode(token, keys, algorithms=[alg])
        except (JoseError, ValueError):
            raise OidcError("Tokenets signatur er ugyldig") from None
        claims = decoded.claims
        now = self.clock()
        if claims.get("iss") != self.issuer:
            raise OidcError("Tokenet er udstedt af en anden udbyder")
        aud = claims.get("aud")
        if self.audience not in (aud if isinstance(aud, list) else [aud]):
            raise OidcError("Tokenet er ikke til denne tjeneste")
        try:
            exp = float(claims["exp"])
            iat = float(claims.get("iat", now))
            nbf = float(claims.get("nbf", now))
        except (KeyError, TypeError, ValueError):
            raise OidcError("Tokenet mangler udløbstid") from None
        if exp + self.leeway < now:
            raise OidcError("Tokenet er udløbet")
        if nbf - self.leeway > now or iat - self.leeway > now:
            raise OidcError("Tokenet er endnu ikke gyldigt")
        return claims


# ---------------------------------------------------------------- group mapping


@dataclass(frozen=True, slots=True)
class GroupMapping:
    role: str
    team: str | None = None
    contact_points: tuple[str, ...] = ()


ROLE_RANK = {"reader": 0, "caseworker": 1, "team_lead": 2, "admin": 3}


def map_groups(groups: object, mapping: Mapping[str, GroupMapping]) -> GroupMapping | None:
    """The mapping of the highest-ranking role among `groups`; contact points of all matched
    groups with that role are merged. None: no group is mapped (refused)."""
    if not isinstance(groups, list):
        return None
    matched = [mapping[g] for g in groups if isinstance(g, str) and g in mapping]
    if not matched:
        return None
    best = max(matched, key=lambda m: ROLE_RANK.get(m.role, -1))
    points: list[str] = []
    for m in matched:
        if m.role == best.role:
            points += [p for p in m.contact_points if p not in points]
    return GroupMapping(best.role, best.team, tuple(points))


# ---------------------------------------------------------------- desktop login


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: _Loopback = self.server  # type: ignore[assignment]
        query = parse_qs(urlsplit(self.path).query)
        server.result = {k: v[0] for k, v in query.items()}
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"<p>Du er logget ind. Du kan lukke vinduet.</p>")
        server.done.set()

    def log_message(self, format: str, *args: object) -> None:  # never log the code
        pass


class _Loopback(http.server.HTTPServer):
    result: dict[str, str]
    done: threading.Event


@dataclass
class OidcSession:
    """Tokens after login: the access token in memory only; the refresh token in the keyring."""

    issuer: str
    client_id: str
    token_endpoint: str
    keyring: Any
    username: str
    access_token: str = ""
    expires_at: float = 0.0

    def _store(self, tokens: Mapping[str, Any]) -> None:
        self.access_token = str(tokens["access_token"])
        self.expires_at = time.time() + float(tokens.get("expires_in", 300))
        if tokens.get("refresh_token"):
            self.keyring.set_password(KEYRING_SERVICE, self._key(), str(tokens["refresh_token"]))

    def _key(self) -> str:
        return f"{self.issuer}|{self.client_id}|{self.username}"

    def refresh(self, client: httpx.Client) -> None:
        refresh = self.keyring.get_password(KEYRING_SERVICE, self._key())
        if not refresh:
            raise OidcError("Log ind igen")
        r = client.post(
            self.token_endpoint,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": self.client_id,
            },
        )
        if r.status_code != 200:
            raise OidcError("Log ind igen")
        self._store(r.json())

    def bearer(self, client: httpx.Client) -> str:
        if time.time() + REFRESH_MARGIN >= self.expires_at:
            self.refresh(client)
        return self.access_token


class BearerHttpAuth(httpx.Auth):
    """httpx auth sending `Authorization: Bearer` with `token()` (e.g. a session's fresh access
    token); for the client's calls to the gateway when signed in by OIDC."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        yield request


def login(
    issuer: str,
    client_id: str,
    client: httpx.Client,
    keyring: Any,
    open_browser: Callable[[str], object],
    *,
    timeout: float = 300.0,
) -> OidcSession:
    """The RFC 8252 flow: listen on 127.0.0.1 (random port), open the browser at the authorize
    URL, wait for the redirect, check state, exchange the code with the PKCE verifier, check the
    ID token (signature, iss, aud, nonce)."""
    meta = discover(issuer, client)
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    server = _Loopback(("127.0.0.1", 0), _Handler)
    server.result, server.done = {}, threading.Event()
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        open_browser(f"{meta['authorization_endpoint']}?{urlencode(params)}")
        if not server.done.wait(timeout):
            raise OidcError("Login blev ikke gennemført i tide")
    finally:
        server.shutdown()
        server.server_close()
    result = server.result
    if not secrets.compare_digest(result.get("state", ""), state):
        raise OidcError("Login-svaret passer ikke (state)")
    if "code" not in result:
        raise OidcError("Login blev afvist")
    r = client.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": result["code"],
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    if r.status_code != 200:
        raise OidcError("Koden kunne ikke indløses")
    tokens = r.json()
    validator = TokenValidator(
        issuer, client_id, lambda: client.get(meta["jwks_uri"]).raise_for_status().json()
    )
    id_claims = validator.validate(str(tokens["id_token"]))
    if id_claims.get("nonce") != nonce:
        raise OidcError("Login-svaret passer ikke (nonce)")
    session = OidcSession(
        issuer,
        client_id,
        meta["token_endpoint"],
        keyring,
        str(id_claims.get("preferred_username") or id_claims["sub"]),
    )
    session._store(tokens)
    return session
