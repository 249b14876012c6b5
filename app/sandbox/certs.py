"""The sandbox's test PKI: one generated CA and the certificates every party uses.

`SandboxCertificates.ensure(folder)` writes (or reuses, while valid) PEM files in `folder`:

- `ca.pem` / `ca-key.pem`: the test CA (trust anchor of every sandbox endpoint);
- `server.pem` / `server-key.pem`: the TLS server certificate for 127.0.0.1 and localhost;
- `postkomponent.pem` / `postkomponent-key.pem`: the Postkomponent simulator's client
  certificate (Serviceplatformen's certificate towards EP_FS1; the gateway pins it);
- `municipality.pem` / `municipality-key.pem` (+ `municipality.p12`, no passphrase): a
  FOCES-like certificate of the municipality, for STS and SF2900 calls;
- `serviceplatformen.pem` / `serviceplatformen-key.pem`: Serviceplatformen's client certificate
  towards the sender's FordelingskvitteringModtag callback (SF2900 EP_AS2, 3.1.4.3: 2-way TLS;
  the gateway pins it by subject and fingerprint);
- `sts-signing.pem` / `sts-signing-key.pem`: the key the sandbox STS signs SAML assertions with
  (what the gateway's STS client and the SF2900 sandbox pin).

Private keys are written with mode 0600. ECDSA P-256 keeps generation fast. Test material
only: nothing here is ever trusted outside the sandbox.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.sf1606.tls import CertPin, PeerCertificate

CA_NAME = "Postfordeler Sandbox Test-CA"
POSTKOMPONENT_NAME = "Serviceplatformen Postkomponent (sandkasse)"
SERVICEPLATFORMEN_NAME = "Serviceplatformen Fordelingskomponent (sandkasse)"
STS_SIGNING_NAME = "Serviceplatformen STS signering (sandkasse)"
VALID_DAYS = 825
RENEW_BEFORE = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A certificate and its private key as PEM files."""

    cert: Path
    key: Path

    @property
    def peer(self) -> PeerCertificate:
        return PeerCertificate.from_pem_file(self.cert)

    @property
    def pin(self) -> CertPin:
        peer = self.peer
        return CertPin(peer.subject, peer.sha256)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str, **extra: str) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DK"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, extra.get("org", "Postfordeler sandkasse")),
    ]
    if "serial" in extra:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, extra["serial"]))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write an unencrypted PEM key readable only by its owner (0600, also when it existed)."""
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


class TestCa:
    """A CA that issues server and client certificates (used by the sandbox and by tests)."""

    __test__ = False  # not a pytest class

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self.cert = cert
        self.key = key

    @classmethod
    def create(cls, name: str = CA_NAME) -> TestCa:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(name)
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
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
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return cls(cert, key)

    @classmethod
    def load(cls, cert_file: Path, key_file: Path) -> TestCa:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the sandbox CA key is not an EC key")
        return cls(cert, key)

    def save(self, cert_file: Path, key_file: Path) -> None:
        _write_cert(cert_file, self.cert)
        write_private_key(key_file, self.key)

    def issue(
        self,
        common_name: str,
        *,
        server_names: tuple[str, ...] = (),
        client: bool = False,
        serial: str | None = None,
        days: int = VALID_DAYS,
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A leaf certificate: a TLS server certificate for `server_names` (DNS names or IP
        addresses) and/or a client certificate (`client=True`)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        usages = []
        if server_names:
            usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
        if client:
            usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, **({"serial": serial} if serial else {})))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
        )
        if usages:  # an empty ExtendedKeyUsage is invalid DER (a signing-only certificate)
            builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        if server_names:
            alt: list[x509.GeneralName] = []
            for name in server_names:
                try:
                    alt.append(x509.IPAddress(ipaddress.ip_address(name)))
                except ValueError:
                    alt.append(x509.DNSName(name))
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key

    def issue_files(
        self,
        folder: Path,
        stem: str,
        common_name: str,
        *,
        server_names: tuple[str, ...] = (),
        client: bool = False,
        serial: str | None = None,
        days: int = VALID_DAYS,
    ) -> IssuedCertificate:
        """`issue` and write `{stem}.pem` / `{stem}-key.pem` (0600) into `folder`."""
        cert, key = self.issue(
            common_name, server_names=server_names, client=client, serial=serial, days=days
        )
        issued = IssuedCertificate(folder / f"{stem}.pem", folder / f"{stem}-key.pem")
        _write_cert(issued.cert, cert)
        write_private_key(issued.key, key)
        return issued


@dataclass(frozen=True, slots=True)
class SandboxCertificates:
    """The PEM files of the sandbox PKI (see the module docstring)."""

    folder: Path
    ca: Path
    server: IssuedCertificate
    postkomponent: IssuedCertificate
    municipality: IssuedCertificate
    municipality_p12: Path
    serviceplatformen: IssuedCertificate
    sts_signing: IssuedCertificate

    @classmethod
    def paths(cls, folder: Path) -> SandboxCertificates:
        return cls(
            folder=folder,
            ca=folder / "ca.pem",
            server=IssuedCertificate(folder / "server.pem", folder / "server-key.pem"),
            postkomponent=IssuedCertificate(
                folder / "postkomponent.pem", folder / "postkomponent-key.pem"
            ),
            municipality=IssuedCertificate(
                folder / "municipality.pem", folder / "municipality-key.pem"
            ),
            municipality_p12=folder / "municipality.p12",
            serviceplatformen=IssuedCertificate(
                folder / "serviceplatformen.pem", folder / "serviceplatformen-key.pem"
            ),
            sts_signing=IssuedCertificate(
                folder / "sts-signing.pem", folder / "sts-signing-key.pem"
            ),
        )

    @classmethod
    def ensure(cls, folder: Path, *, municipality_cvr: str = "00000000") -> SandboxCertificates:
        """Reuse the files in `folder` while they are complete and valid for another week;
        else generate a fresh CA and certificates (blocking; a few milliseconds)."""
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        certs = cls.paths(folder)
        if certs.usable():
            return certs
        ca = TestCa.create()
        ca.save(certs.ca, folder / "ca-key.pem")
        ca.issue_files(folder, "server", "localhost", server_names=("127.0.0.1", "localhost"))
        ca.issue_files(folder, "postkomponent", POSTKOMPONENT_NAME, client=True)
        ca.issue_files(folder, "serviceplatformen", SERVICEPLATFORMEN_NAME, client=True)
        ca.issue_files(folder, "sts-signing", STS_SIGNING_NAME)
        ca.issue_files(
            folder,
            "municipality",
            f"Kommune {municipality_cvr} (FOCES, sandkasse)",
            client=True,
            serial=f"CVR:{municipality_cvr}-UID:{uuid.uuid4().hex[:12]}",
        )
        key = serialization.load_pem_private_key(certs.municipality.key.read_bytes(), None)
        cert = x509.load_pem_x509_certificate(certs.municipality.cert.read_bytes())
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        p12 = pkcs12.serialize_key_and_certificates(
            b"municipality", key, cert, [ca.cert], serialization.NoEncryption()
        )
        certs.municipality_p12.unlink(missing_ok=True)
        fd = os.open(certs.municipality_p12, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(p12)
        return certs

    def usable(self) -> bool:
        files = (
            self.ca,
            self.folder / "ca-key.pem",
            self.server.cert,
            self.server.key,
            self.postkomponent.cert,
            self.postkomponent.key,
            self.municipality.cert,
            self.municipality.key,
            self.municipality_p12,
            self.serviceplatformen.cert,
            self.serviceplatformen.key,
            self.sts_signing.cert,
            self.sts_signing.key,
        )
        if not all(f.is_file() for f in files):
            return False
        limit = _now() + RENEW_BEFORE
        try:
            for f in (
                self.ca,
                self.server.cert,
                self.postkomponent.cert,
                self.municipality.cert,
                self.serviceplatformen.cert,
                self.sts_signing.cert,
            ):
                if x509.load_pem_x509_certificate(f.read_bytes()).not_valid_after_utc < limit:
                    return False
        except ValueError:
            return False
        return True

    def issuer(self) -> TestCa:
        """The CA itself (to issue further certificates, e.g. a rollover certificate)."""
        return TestCa.load(self.ca, self.folder / "ca-key.pem")
