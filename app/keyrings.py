"""The one rule for which keyring may hold Postfordeler's keys and secrets.

The cache key, the access-log key and the gateway secrets go to the OS keyring only: Windows
Credential Manager, macOS Keychain, the Secret Service (GNOME Keyring, KWallet), or the
process-lifetime demo keyring (`app.core.session_keyring`). Backends that keep secrets in a
file (keyrings.alt's PlaintextKeyring, EncryptedKeyring and the rest of keyrings.alt) or keep
none (keyring's fail and null backends) are never used, whichever one `keyring` picked and
whatever priority it reports; a chainer is unfolded and only its secure members are used.

Everything in the app reads and writes secrets through `secure_keyring()`; nothing calls
`keyring.get_password` directly. Never logs a secret.
"""

from __future__ import annotations

from typing import Any, Final

# module prefixes of backends that store secrets in files, or store nothing
_REFUSED_PREFIXES: Final = (
    "keyrings.alt.",
    "keyring.backends.fail.",
    "keyring.backends.null.",
)
# and any backend whose name says so
_REFUSED_WORDS: Final = ("plaintext", "file", "unencrypted")

# A backend class that keeps secrets only in memory and is never chosen by `keyring` itself
# (its priority raises, so it is not "viable"): it is used when set explicitly.
IN_MEMORY_MARK: Final = "postfordeler_in_memory"

NO_SECURE_KEYRING: Final = (
    "Der er ingen sikker nøglering på denne computer (f.eks. Windows Legitimationsoplysninger, "
    "macOS Nøglering eller GNOME-nøgleringen). Postfordeler gemmer aldrig nøgler og "
    "adgangskoder i en almindelig fil. "
    "(No secure keyring on this computer; Postfordeler never keeps keys or passwords in a "
    "plain file.)"
)


def backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_refused(backend: object) -> bool:
    """True for a backend that keeps secrets in a file or keeps none (never used)."""
    name = backend_name(backend)
    lowered = type(backend).__qualname__.lower()
    if name.startswith(_REFUSED_PREFIXES) or any(w in lowered for w in _REFUSED_WORDS):
        return True
    if getattr(backend, IN_MEMORY_MARK, False):
        return False  # set explicitly, never discovered (see app.core.session_keyring)
    try:
        return float(backend.priority) <= 0  # type: ignore[attr-defined]
    except Exception:  # a backend that cannot say whether it works (not viable here)
        return True


def secure_backends() -> tuple[list[Any], str | None]:
    """The backends secrets may go to (the configured one, a chainer unfolded), and why there
    is none (Danish) when the list is empty."""
    try:
        import keyring
        from keyring.backends.chainer import ChainerBackend
    except ImportError:  # pragma: no cover - keyring is a hard dependency
        return [], "keyring-pakken er ikke installeret"
    try:
        current = keyring.get_keyring()
    except Exception as exc:
        return [], f"nøgleringen kan ikke bruges ({type(exc).__name__})"
    candidates = list(current.backends) if isinstance(current, ChainerBackend) else [current]
    secure = [b for b in candidates if not is_refused(b)]
    if secure:
        return secure, None
    refused = [backend_name(b) for b in candidates]
    if refused:
        return (
            [],
            f"nøgleringen {', '.join(refused)} gemmer ikke hemmeligheder sikkert og bruges ikke",
        )
    return [], "ingen nøglering"


class SecureKeyring:
    """`get_password` / `set_password` / `delete_password` over the secure backends only."""

    def __init__(self, backends: list[Any]) -> None:
        self.backends = backends

    def get_password(self, service: str, username: str) -> str | None:
        for backend in self.backends:
            value = backend.get_password(service, username)
            if value is not None:
                return str(value)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.backends[0].set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        deleted = False
        for backend in self.backends:
            try:
                backend.delete_password(service, username)
                deleted = True
            except PasswordDeleteError:
                continue
        if not deleted:
            raise PasswordDeleteError(username)


def secure_keyring() -> SecureKeyring | None:
    """The OS keyring restricted to its secure backends, or None when there is none."""
    backends, _reason = secure_backends()
    return SecureKeyring(backends) if backends else None
