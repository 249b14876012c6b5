"""Client TLS for Serviceplatformen: an `ssl.SSLContext` from a FOCES/OCES PKCS#12 file.

Serviceplatformen (SF2900 Fordelingskomponenten) authenticates the municipality with a client
certificate delivered as a PKCS#12 (.p12/.pfx) file with a passphrase. `client_ssl_context()`
opens it with `cryptography` and returns a context that presents the certificate and verifies
the server (against `cafile`, else the same CA bundle httpx uses by default).

Python's `ssl` module can only load a certificate chain from FILES (no in-memory API), so the key
and certificates are written as PEM into a fresh private temp directory (mode 0700, file 0600),
`load_cert_chain` reads them, and the file and directory are removed in a `finally` right away.
As defence in depth the private key in that short-lived file is itself encrypted with a random
one-time password that only lives in this process's memory, so even a copy taken during the
milliseconds the file exists is useless. The PEM is never kept, cached or reused.

This module never logs the passphrase or key material, and never imports Qt.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import ssl
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

log = logging.getLogger("postfordeler.tls")

# Warn (log) when the certificate expires within this many days.
EXPIRY_WARNING = timedelta(days=30)
TEMP_PREFIX = "postfordeler-tls-"


class ClientCertificateError(Exception):
    """The client certificate cannot be used. `reason` is a stable code, str(exc) Danish text.

    Codes: "missing", "unreadable", "not_pkcs12", "passphrase", "incomplete", "expired",
    "not_yet_valid", "tls".
    """

    def __init__(self, reason: str, message: str, *, expires: datetime | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.expires = expires


def _looks_like_pkcs12(data: bytes) -> bool:
    """A DER PFX is `SEQUENCE { INTEGER 3, ContentInfo, ... }` (RFC 7292). Used only to tell a
    wrong passphrase from a file that is not PKCS#12 at all (cryptography raises the same
    ValueError for both)."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    i = 1
    first = data[i]
    i += 1
    if first & 0x80:  # long-form (or indefinite, 0x80) length
        i += first & 0x7F
    return data[i : i + 3] == b"\x02\x01\x03"


def _load_pkcs12(
    data: bytes, passphrase: str | None, name: str
) -> tuple[PrivateKeyTypes | None, x509.Certificate | None, list[x509.Certificate]]:
    from cryptography.hazmat.primitives.serialization import pkcs12

    attempts: list[bytes | None] = (
        [passphrase.encode("utf-8")] if passphrase is not None else [None, b""]
    )
    for password in attempts:
        try:
            return pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            continue
        except Exception as exc:
            log.debug("PKCS#12 load failed: %s", type(exc).__name__)
            break
    if not _looks_like_pkcs12(data):
        hint = " (filen ligner en PEM-fil)" if data.lstrip().startswith(b"-----BEGIN") else ""
        raise ClientCertificateError(
            "not_pkcs12",
            f"Filen {name} er ikke et PKCS#12-certifikat (.p12/.pfx){hint}. "
            "Vælg den certifikatfil, I har fået udleveret til Serviceplatformen.",
        )
    if passphrase is None:
        raise ClientCertificateError(
            "passphrase",
            f"Certifikatet {name} er beskyttet med et kodeord, men der er ikke gemt noget kodeord. "
            "Angiv certifikatets kodeord under Indstillinger.",
        )
    raise ClientCertificateError(
        "passphrase",
        f"Forkert kodeord til certifikatet {name}. Kontrollér kodeordet under Indstillinger.",
    )


def _check_validity(cert: x509.Certificate, name: str, now: datetime) -> datetime:
    not_after = cert.not_valid_after_utc
    not_before = cert.not_valid_before_utc
    if not_after < now:
        raise ClientCertificateError(
            "expired",
            f"Certifikatet {name} er udløbet den {not_after:%d-%m-%Y} "
            "og kan ikke bruges. Bestil et nyt FOCES/OCES-certifikat og vælg det under Indstillinger.",
            expires=not_after,
        )
    if not_before > now:
        raise ClientCertificateError(
            "not_yet_valid",
            f"Certifikatet {name} er først gyldigt fra den {not_before:%d-%m-%Y}.",
            expires=not_after,
        )
    if not_after - now < EXPIRY_WARNING:
        log.warning("client certificate %s expires on %s", name, f"{not_after:%Y-%m-%d}")
    return not_after


def _default_cafile() -> str | None:
    """The CA bundle httpx verifies against by default (certifi), so trust does not change when
    a client certificate is configured; None = the system store."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return None
    return certifi.where()


def client_ssl_context(
    p12_path: Path, passphrase: str | None, *, cafile: Path | None = None
) -> ssl.SSLContext:
    """An `ssl.SSLContext` that presents the PKCS#12 client certificate and verifies the server.

    Raises `ClientCertificateError` (Danish message) when the file is missing/unreadable, not
    PKCS#12, the passphrase is wrong, the file holds no key/certificate, or the certificate has
    expired (message with the expiry date)."""
    from cryptography.hazmat.primitives import serialization

    path = Path(p12_path).expanduser()
    name = path.name or str(path)
    if not path.is_file():
        raise ClientCertificateError(
            "missing",
            f"Certifikatfilen {path} findes ikke. Vælg certifikatet igen under Indstillinger.",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClientCertificateError(
            "unreadable", f"Certifikatfilen {path} kan ikke læses ({type(exc).__name__})."
        ) from exc
    key, cert, extra = _load_pkcs12(data, passphrase, name)
    if key is None or cert is None:
        raise ClientCertificateError(
            "incomplete",
            f"Certifikatfilen {name} indeholder ikke både en privat nøgle og et certifikat.",
        )
    not_after = _check_validity(cert, name, datetime.now(UTC))

    ctx = ssl.create_default_context(
        ssl.Purpose.SERVER_AUTH, cafile=str(cafile) if cafile else _default_cafile()
    )
    one_time = secrets.token_bytes(32)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(one_time),
    )
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *(extra or [])])

    # ssl can only read the chain from a file: write it into a private dir and remove it at once.
    tmpdir = tempfile.mkdtemp(prefix=TEMP_PREFIX)  # mkdtemp creates the dir with mode 0700
    pem = os.path.join(tmpdir, "client.pem")
    try:
        os.chmod(tmpdir, 0o700)
        fd = os.open(pem, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key_pem)
            fh.write(chain_pem)
        ctx.load_cert_chain(pem, password=one_time)
    except ssl.SSLError as exc:
        why = getattr(exc, "reason", None) or type(exc).__name__
        raise ClientCertificateError(
            "tls", f"Certifikatet {name} kunne ikke indlæses til TLS ({why})."
        ) from exc
    finally:
        try:
            os.remove(pem)
        except FileNotFoundError:
            pass
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
    log.info("client certificate %s loaded (valid until %s)", name, f"{not_after:%Y-%m-%d}")
    return ctx
