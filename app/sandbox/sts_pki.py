"""A small test PKI for the sandbox STS: a CA, the STS's TLS and signing certificates and the
municipality's test FOCES certificate, generated with `cryptography`.

Stand-in until the sandbox's shared test CA (app/sandbox/certs.py) is merged: the STS only
needs the file paths in `StsPki`, so swapping the generator is a one-line change in the runner.
Private keys are written 0600, unencrypted (test material only, in the sandbox data folder).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_BITS = 2048
VALIDITY = timedelta(days=365)


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def write(self, folder: Path, stem: str) -> tuple[Path, Path]:
        """Write `<stem>.pem` (certificate) and `<stem>.key` (key, 0600); their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        cert_path = folder / f"{stem}.pem"
        key_path = folder / f"{stem}.key"
        cert_path.write_bytes(self.cert_pem())
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.key_pem())
        return cert_path, key_path


def _name(cn: str, serial_number: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DK"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Postfordeler sandbox"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ]
    if serial_number:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    return x509.Name(attrs)


def generate_ca(cn: str = "Postfordeler sandbox test-CA") -> Issued:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    now = datetime.now(UTC)
    name = _name(cn)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def issue_certificate(
    ca: Issued,
    cn: str,
    *,
    serial_number: str | None = None,
    server_host: str | None = None,
    client: bool = False,
) -> Issued:
    """A leaf certificate from `ca`: `server_host` (an IP or DNS name) makes it a TLS server
    certificate for that host, `client` a TLS client certificate; `serial_number` is the
    subject's serialNumber (FOCES: `CVR:<cvr>-FID:<id>`)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, serial_number))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    usages = []
    if server_host:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
        try:
            san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(server_host))
        except ValueError:
            san = x509.DNSName(server_host)
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


@dataclass(frozen=True)
class StsPki:
    """The files the sandbox STS and its client need (all PEM)."""

    ca_cert: Path
    tls_cert: Path
    tls_key: Path
    signing_cert: Path
    signing_key: Path
    foces_cert: Path
    foces_key: Path
    municipality_cvr: str


def write_sts_pki(
    folder: Path, municipality_cvr: str, host: str = "127.0.0.1", *, ca: Issued | None = None
) -> StsPki:
    """Generate (from `ca`, else a new CA) the STS's TLS and signing certificates and the
    municipality's FOCES certificate into `folder`."""
    ca = ca or generate_ca()
    ca_cert, _ = ca.write(folder, "ca")
    tls_cert, tls_key = issue_certificate(ca, "Sandbox STS", server_host=host).write(
        folder, "sts-tls"
    )
    signing_cert, signing_key = issue_certificate(ca, "Sandbox STS signering").write(
        folder, "sts-signing"
    )
    foces_cert, foces_key = issue_certificate(
        ca,
        "Postfordeler FOCES test",
        serial_number=f"CVR:{municipality_cvr}-FID:postfordeler-test",
        client=True,
    ).write(folder, "foces")
    return StsPki(
        ca_cert=ca_cert,
        tls_cert=tls_cert,
        tls_key=tls_key,
        signing_cert=signing_cert,
        signing_key=signing_key,
        foces_cert=foces_cert,
        foces_key=foces_key,
        municipality_cvr=municipality_cvr,
    )
