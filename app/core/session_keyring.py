"""A keyring that lives only as long as the process: for the demo sandbox on a computer that
has no OS keyring (e.g. a bare Linux desktop without Secret Service).

The demo then runs in a throw-away data dir with synthetic data; nothing it stores (the
cache key, the access-log key, the demo gateway secret) outlives the process. Never used when
real endpoints are configured: real credentials and real personal data need the OS keyring.
"""

from __future__ import annotations

import keyring
from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

from app.models.crypto import os_keyring


class SessionKeyring(KeyringBackend):
    """Set explicitly by `use_session_keyring` only. Importing this module registers the class
    with `keyring`, so it must never be "viable": a keyring chosen (or chained) automatically
    that forgets everything at exit made the demo keep a persistent cache whose key was gone at
    the next start ("nøglen … findes ikke")."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("the session keyring is only used when set explicitly")

    postfordeler_in_memory = True  # app.keyrings.IN_MEMORY_MARK: accepted when set explicitly

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves __init__ unannotated
        self._store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._store.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def os_keyring_available() -> bool:
    return os_keyring() is not None


def use_session_keyring() -> None:
    keyring.set_keyring(SessionKeyring())
