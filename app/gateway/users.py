"""Gateway users, their role and team, and which contact points' post each may see.

IT writes the users file (TOML) and hands it to the gateway as a secret (a systemd credential
or a file only the service user can read, see `app.gateway.secrets`); secrets appear in it
only as scrypt hashes (`app.gateway.store.hash_secret`), a plain `secret`/`password` is refused:

```toml
[[users]]
name = "anna"
role = "distributor"            # distributor | caseworker | team_lead | administrator
team = "Team Modtagelse"
contact_points = ["09248c6b-e8e3-457e-b513-853b5dc7cd3f", "dde4f781-b0a6-4373-b67e-fab242fa0032"]
secret_hash = "scrypt$16384$8$1$<salt hex>$<digest hex>"

[[users]]
name = "tina"
role = "team_lead"
team = "Team Modtagelse"
contact_points = "*"            # every contact point, and post without one
secret_hash = "scrypt$..."
```

A caseworker may carry `caseworker_id = "<DUBU caseworker id>"` (default: the user name): they
see only the items assigned to that id (`UserDirectory.caseworker_of`, `app.gateway.authz`).

`UserDirectory.can_see(user, contact_point_id)` is the one visibility rule the gateway's routes
apply (mailbox lists, fetch, claims, decisions, status): a user sees an item when its contact
point is one of theirs; a user with every contact point (`"*"`) also sees items without one; a
user not in the directory sees nothing. Contact-point ids compare case-insensitively.

Pure data: no I/O besides parsing given text, never logs a secret or its hash.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.gateway.store import is_secret_hash

ROLE_DISTRIBUTOR = "distributor"
ROLE_CASEWORKER = "caseworker"
ROLE_TEAM_LEAD = "team_lead"
ROLE_ADMINISTRATOR = "administrator"  # sets the municipality's policy (app/gateway/policy.py)
ROLES = (ROLE_DISTRIBUTOR, ROLE_CASEWORKER, ROLE_TEAM_LEAD, ROLE_ADMINISTRATOR)
# Danish names of the roles, for messages and screens.
ROLE_LABELS = {
    ROLE_DISTRIBUTOR: "Fordeler",
    ROLE_CASEWORKER: "Sagsbehandler",
    ROLE_TEAM_LEAD: "Teamleder",
    ROLE_ADMINISTRATOR: "Administrator",
}
ALL_CONTACT_POINTS = "*"
MAX_NAME = 128  # as gw_users.user
_USER_KEYS = frozenset({"name", "role", "team", "contact_points", "secret_hash", "caseworker_id"})
_PLAINTEXT_KEYS = frozenset({"secret", "password", "adgangskode"})


class UsersFileError(Exception):
    """The users file cannot be used; str(exc) is one Danish line naming the entry (never a
    secret or hash)."""


def normalise_contact_point(contact_point_id: str) -> str:
    """The comparable form of a contact-point id (as `DubuDataset` and the store keep them)."""
    return contact_point_id.strip().lower()


@dataclass(frozen=True, slots=True)
class GatewayUser:
    """One gateway user. `contact_points`: the contact-point ids whose post the user may see
    (normalised, lower case), None = all of them (and post without a contact point).
    `secret_hash`: the scrypt hash from the users file (None for users defined elsewhere)."""

    name: str
    role: str
    team: str
    contact_points: frozenset[str] | None
    secret_hash: str | None = field(default=None, repr=False, compare=False)
    # a caseworker's id in DUBU (an assign decision's caseworker_id); None: their user name
    caseworker_id: str | None = None

    def can_see(self, contact_point_id: str | None) -> bool:
        if self.contact_points is None:
            return True
        if not contact_point_id:
            return False
        return normalise_contact_point(contact_point_id) in self.contact_points

    def to_dict(self) -> dict[str, Any]:
        """The TOML/JSON form (without the hash); `contact_points` sorted, or "*"."""
        return {
            "name": self.name,
            "role": self.role,
            "team": self.team,
            "contact_points": (
                ALL_CONTACT_POINTS if self.contact_points is None else sorted(self.contact_points)
            ),
        }


def make_user(
    name: str,
    role: str,
    team: str,
    contact_points: Iterable[str] | str | None,
    *,
    secret_hash: str | None = None,
    caseworker_id: str | None = None,
) -> GatewayUser:
    """A checked `GatewayUser` (UsersFileError on bad input); `contact_points` None or "*" = all."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise UsersFileError(f"Brugernavnet skal være 1-{MAX_NAME} tegn")
    if name != name.strip() or ":" in name:
        raise UsersFileError(
            f"Bruger {name.strip()!r}: navnet må ikke indeholde ':' eller mellemrum i enderne"
        )
    if role not in ROLES:
        raise UsersFileError(
            f"Bruger {name!r}: ukendt rolle {str(role)[:40]!r} (brug {', '.join(ROLES)})"
        )
    if not isinstance(team, str) or not team.strip():
        raise UsersFileError(f"Bruger {name!r}: team mangler")
    points: frozenset[str] | None
    if contact_points is None or contact_points == ALL_CONTACT_POINTS:
        points = None
    elif isinstance(contact_points, str):
        raise UsersFileError(
            f'Bruger {name!r}: contact_points skal være en liste af id\'er eller "*"'
        )
    else:
        ids = list(contact_points)
        if not all(isinstance(c, str) and c.strip() for c in ids):
            raise UsersFileError(f"Bruger {name!r}: contact_points må kun indeholde id'er")
        points = frozenset(normalise_contact_point(c) for c in ids)
    if secret_hash is not None and not (
        isinstance(secret_hash, str) and is_secret_hash(secret_hash)
    ):
        raise UsersFileError(f"Bruger {name!r}: secret_hash er ikke en scrypt-hash")
    if caseworker_id is not None and (
        not isinstance(caseworker_id, str) or not caseworker_id.strip() or len(caseworker_id) > 200
    ):
        raise UsersFileError(f"Bruger {name!r}: caseworker_id skal være DUBU-sagsbehandlerens id")
    return GatewayUser(name, role, team.strip(), points, secret_hash, caseworker_id)


class UserDirectory:
    """The gateway's users by name, and the visibility rule over contact points."""

    def __init__(self, users: Iterable[GatewayUser] = ()) -> None:
        self._users: dict[str, GatewayUser] = {}
        for user in users:
            if user.name in self._users:
                raise UsersFileError(f"Bruger {user.name!r} står der to gange")
            self._users[user.name] = user

    @classmethod
    def from_toml(cls, text: str, *, source: str = "brugerfilen") -> UserDirectory:
        """Parse a users file (see the module docstring). Every user needs a `secret_hash`."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsersFileError(f"{source} er ikke gyldig TOML ({exc})") from None
        return cls.from_dict(data, source=source, require_hash=True)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, source: str = "brugerfilen", require_hash: bool = False
    ) -> UserDirectory:
        unknown = set(data) - {"users"}
        if unknown:
            raise UsersFileError(f"{source}: ukendt nøgle {min(unknown)!r} (brug [[users]])")
        entries = data.get("users", [])
        if not isinstance(entries, list):
            raise UsersFileError(f"{source}: 'users' skal være en liste ([[users]])")
        users = []
        for n, entry in enumerate(entries, 1):
            if not isinstance(entry, Mapping):
                raise UsersFileError(f"{source}: bruger nr. {n} er ikke en tabel")
            name = entry.get("name")
            label = repr(name) if isinstance(name, str) else f"nr. {n}"
            plain = _PLAINTEXT_KEYS & set(entry)
            if plain:
                raise UsersFileError(
                    f"{source}: bruger {label} har en hemmelighed i klartekst "
                    f"({min(plain)}); kun scrypt-hashes (secret_hash) er tilladt"
                )
            extra = set(entry) - _USER_KEYS
            if extra:
                raise UsersFileError(f"{source}: bruger {label}: ukendt nøgle {min(extra)!r}")
            missing = [k for k in ("name", "role", "team", "contact_points") if k not in entry]
            if require_hash and "secret_hash" not in entry:
                missing.append("secret_hash")
            if missing:
                raise UsersFileError(f"{source}: bruger {label} mangler {', '.join(missing)}")
            try:
                users.append(
                    make_user(
                        entry["name"],
                        entry["role"],
                        entry["team"],
                        entry["contact_points"],
                        secret_hash=entry.get("secret_hash"),
                        caseworker_id=entry.get("caseworker_id"),
                    )
                )
            except UsersFileError as exc:
                raise UsersFileError(f"{source}: {exc}") from None
        try:
            return cls(users)
        except UsersFileError as exc:
            raise UsersFileError(f"{source}: {exc}") from None

    def to_toml(self) -> str:
        """The users file for these users (with their hashes; users without one are skipped)."""
        lines = ["# Postfordeler gateway users (secrets only as scrypt hashes)"]
        for user in self:
            if user.secret_hash is None:
                continue
            data = user.to_dict()
            points = data["contact_points"]
            lines += [
                "",
                "[[users]]",
                f"name = {_toml_str(user.name)}",
                f"role = {_toml_str(user.role)}",
                f"team = {_toml_str(user.team)}",
                "contact_points = "
                + (
                    _toml_str(points)
                    if isinstance(points, str)
                    else "[" + ", ".join(_toml_str(p) for p in points) + "]"
                ),
                f"secret_hash = {_toml_str(user.secret_hash)}",
            ]
            if user.caseworker_id is not None:
                lines.append(f"caseworker_id = {_toml_str(user.caseworker_id)}")
        return "\n".join(lines) + "\n"

    def __iter__(self) -> Iterator[GatewayUser]:
        return iter(self._users.values())

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, name: object) -> bool:
        return name in self._users

    def get(self, name: str) -> GatewayUser | None:
        return self._users.get(name)

    def names(self) -> list[str]:
        return sorted(self._users)

    def secret_hashes(self) -> dict[str, str]:
        """name -> scrypt hash, for `GatewayConfig.users` (only users with a hash)."""
        return {u.name: u.secret_hash for u in self if u.secret_hash is not None}

    def can_see(self, user: str | GatewayUser | None, contact_point_id: str | None) -> bool:
        """True when `user` (a name or a GatewayUser) may see post to `contact_point_id`.
        Unknown users see nothing; the same answer for an item that does not exist is the
        caller's job (404 either way)."""
        if user is None:
            return False
        known = self._users.get(user if isinstance(user, str) else user.name)
        return known is not None and known.can_see(contact_point_id)

    def caseworker_of(self, user: str) -> str | None:
        """For a caseworker: their DUBU caseworker id (`caseworker_id`, else their user name),
        whose assigned items are the only ones they see (`app.gateway.authz`); None for every
        other role (their visibility is by contact point only)."""
        known = self._users.get(user)
        if known is None or known.role != ROLE_CASEWORKER:
            return None
        return known.caseworker_id or known.name

    def contact_points_of(self, user: str) -> frozenset[str] | None:
        """The contact points `user` may see (None = all); an empty set for an unknown user."""
        known = self._users.get(user)
        return frozenset() if known is None else known.contact_points


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


__all__ = [
    "ALL_CONTACT_POINTS",
    "ROLES",
    "ROLE_ADMINISTRATOR",
    "ROLE_CASEWORKER",
    "ROLE_DISTRIBUTOR",
    "ROLE_LABELS",
    "ROLE_TEAM_LEAD",
    "GatewayUser",
    "UserDirectory",
    "UsersFileError",
    "make_user",
    "normalise_contact_point",
]
