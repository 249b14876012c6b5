"""Bearer tokens from the OIDC provider on the gateway's JSON routes (the `[oidc]` section of
gateway.toml: issuer, audience, username claim, groups -> role/team/contact points)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.oidc import GroupMapping, OidcError, TokenValidator, discover, map_groups


@dataclass(frozen=True, slots=True)
class OidcIdentity:
    user: str
    role: str
    team: str | None
    contact_points: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OidcGatewayConfig:
    issuer: str
    audience: str
    username_claim: str = "preferred_username"
    groups: Mapping[str, GroupMapping] = field(default_factory=dict)

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> OidcGatewayConfig:
        """[oidc] issuer, audience, username_claim; [oidc.groups.<group>] role, team,
        contact_points."""
        groups = {
            name: GroupMapping(
                str(g["role"]),
                str(g["team"]) if g.get("team") else None,
                tuple(str(p) for p in g.get("contact_points", ())),
            )
            for name, g in dict(section.get("groups", {})).items()
        }
        return cls(
            str(section["issuer"]),
            str(section["audience"]),
            str(section.get("username_claim", "preferred_username")),
            groups,
        )


class BearerAuth:
    """Validates a bearer token (blocking: JWKS over HTTPS) and maps it to an identity."""

    def __init__(self, config: OidcGatewayConfig, verify: ssl.SSLContext | bool = True) -> None:
        self.config = config
        self._http = httpx.Client(verify=verify, timeout=10.0)
        self._jwks_uri: str | None = None
        self.validator = TokenValidator(config.issuer, config.audience, self._fetch_jwks)

    def _fetch_jwks(self) -> Mapping[str, Any]:
        if self._jwks_uri is None:
            self._jwks_uri = str(discover(self.config.issuer, self._http)["jwks_uri"])
        result: Mapping[str, Any] = self._http.get(self._jwks_uri).raise_for_status().json()
        return result

    def authenticate(self, token: str) -> OidcIdentity:
        try:
            claims = self.validator.validate(token)
        except httpx.HTTPError:
            raise OidcError("Login-udbyderen kan ikke nås") from None
        user = claims.get(self.config.username_claim)
        if not isinstance(user, str) or not user:
            raise OidcError("Tokenet mangler brugernavn")
        mapped = map_groups(claims.get("groups"), self.config.groups)
        if mapped is None:
            raise OidcError("Brugeren er ikke tildelt en rolle")
        return OidcIdentity(user, mapped.role, mapped.team, mapped.contact_points)

    def close(self) -> None:
        self._http.close()
