"""TLS for the SF1606 side: EP_FS1 PostModtag (mutual TLS) and the mailbox (HTTPS).

Used by the gateway (server contexts, client-certificate pins), the mailbox client and the
Postkomponent simulator (client contexts). Qt-free and below `app.core` / `app.gateway`, so both
may use it.

- `trust_context(ca_bundle)`: verifies a server against `ca_bundle` (a PEM file), else the
  standard `SSL_CERT_FILE` / `SSL_CERT_DIR` variables, else the system store.
- `pem_client_context(cert, key, ca_bundle)`: the same, presenting a client certificate.
- `server_context(cert, key, client_ca)`: a server context; with `client_ca` a client
  certificate is asked for and, when presented, must chain to that CA (refused in the handshake
  otherwise). Whether one is *required* is decided per endpoint with `CertPin`s.
- `CertPin` / `parse_pin` / `PeerCertificate`: the Serviceplatformen certificate(s) allowed to
  deliver, pinned by subject and SHA-256 fingerprint (several for rollover).
- `check_private_key_file(path)`: refuse a key file that others than its owner may read.

Never logs key material.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding


class TlsConfigError(Exception):
    """A TLS file or option cannot be used; str(exc) is a one-line Danish message."""


def trust_context(ca_bundle: str | Path | None = None) -> ssl.SSLContext:
    """A client context that verifies the server (hostname and chain).

    `ca_bundle`: a PEM file of trusted CAs; None/"" = the system store, where OpenSSL honours
    `SSL_CERT_FILE` and `SSL_CERT_DIR`."""
    if ca_bundle:
        path = Path(ca_bundle).expanduser()
        if not path.is_file():
            raise TlsConfigError(f"CA-filen {path} findes ikke")
        try:
            return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(path))
        except (ssl.SSLError, OSError) as exc:
            raise TlsConfigError(f"CA-filen {path} kan ikke bruges ({type(exc).__name__})") from exc
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)


def pem_client_context(
    cert_file: str | Path, key_file: str | Path, ca_bundle: str | Path | None = None
) -> ssl.SSLContext:
    """A client context presenting the certificate in `cert_file` (PEM, chain allowed) with the
    private key in `key_file` (PEM, unencrypted, readable only by its owner)."""
    ctx = trust_context(ca_bundle)
    check_private_key_file(key_file)
    try:
        ctx.load_cert_chain(str(cert_file), str(key_file))
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(
            f"Certifikatet {cert_file} kan ikke indlæses ({type(exc).__name__})"
        ) from exc
    return ctx


def server_context(
    cert_file: str | Path, key_file: str | Path, client_ca: str | Path | None = None
) -> ssl.SSLContext:
    """A TLS server context for `cert_file`/`key_file` (PEM). With `client_ca` the server asks
    for a client certificate and refuses, in the handshake, one that does not chain to that CA;
    a peer without one still connects (the endpoint decides, see `CertPin`)."""
    check_private_key_file(key_file)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(cert_file), str(key_file))
        if client_ca:
            ctx.load_verify_locations(cafile=str(client_ca))
            ctx.verify_mode = ssl.CERT_OPTIONAL
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(
            f"Servercertifikatet {cert_file} kan ikke indlæses ({type(exc).__name__})"
        ) from exc
    return ctx


def check_private_key_file(path: str | Path) -> None:
    """Refuse a missing private key file or one that group or others may read or write."""
    p = Path(path).expanduser()
    try:
        mode = p.stat().st_mode
    except OSError as exc:
        raise TlsConfigError(f"Nøglefilen {p} findes ikke eller kan ikke læses") from exc
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TlsConfigError(
            f"Nøglefilen {p} kan læses af andre end ejeren (rettigheder {stat.S_IMODE(mode):o}); "
            f"ret det med: chmod 600 {p}"
        )


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate, lower-case hex without separators."""
    return hashlib.sha256(der).hexdigest()


def normalise_fingerprint(value: str) -> str:
    """Accept `AB:CD:...`, `abcd...` or `sha256:abcd...`; lower-case hex."""
    text = value.strip().lower()
    text = text.removeprefix("sha256:").replace(":", "").replace(" ", "")
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise TlsConfigError(f"Ugyldigt SHA-256-fingeraftryk: {value!r}")
    return text


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    """The client certificate a TLS peer presented: RFC 4514 subject and SHA-256 fingerprint."""

    subject: str
    sha256: str

    @classmethod
    def from_der(cls, der: bytes) -> PeerCertificate:
        cert = x509.load_der_x509_certificate(der)
        return cls(cert.subject.rfc4514_string(), fingerprint(der))

    @classmethod
    def from_pem_file(cls, path: str | Path) -> PeerCertificate:
        cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
        return cls.from_der(cert.public_bytes(Encoding.DER))

    @classmethod
    def of_ssl_object(
        cls, ssl_object: ssl.SSLObject | ssl.SSLSocket | None
    ) -> PeerCertificate | None:
        """The verified peer certificate of a connection, or None when it presented none."""
        if ssl_object is None:
            return None
        der = ssl_object.getpeercert(binary_form=True)
        return cls.from_der(der) if der else None

    def pin(self) -> str:
        """This certificate as a `--pin` value (`SUBJECT=SHA256`)."""
        return f"{self.subject}={self.sha256}"


@dataclass(frozen=True, slots=True)
class CertPin:
    """One client certificate allowed to deliver: subject (RFC 4514) and SHA-256 fingerprint.
    Both must match; configure several pins to roll a certificate over without downtime."""

    subject: str
    sha256: str

    def matches(self, peer: PeerCertificate) -> bool:
        return peer.sha256 == self.sha256 and _same_subject(peer.subject, self.subject)


def parse_pin(value: str) -> CertPin:
    """`SUBJECT=SHA256` → CertPin; the fingerprint follows the last `=` (subjects contain `=`)."""
    subject, sep, digest = value.rpartition("=")
    if not sep or not subject.strip():
        raise TlsConfigError(
            f"Ugyldig pin {value!r}: brug EMNE=SHA256, fx 'CN=Postkomponent=ab12…'"
        )
    return CertPin(subject.strip(), normalise_fingerprint(digest))


def pin_allows(pins: Iterable[CertPin], peer: PeerCertificate | None) -> bool:
    """True when `peer` is one of the pinned certificates (never for a peer without one)."""
    return peer is not None and any(p.matches(peer) for p in pins)


def _same_subject(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return ",".join(part.strip() for part in s.split(",")).casefold()

    return norm(a) == norm(b)
