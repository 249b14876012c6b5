"""Client certificates for SF2900: a PKCS#12 file -> ssl.SSLContext, over REAL mutual TLS on
loopback (a throw-away CA, a server certificate for 127.0.0.1, a client certificate), against
the SF2900 sandbox service served with an SSLContext that requires client certificates."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import stat
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.core.tls import TEMP_PREFIX, ClientCertificateError, client_ssl_context
from app.dubu.sf2900_client import RemoteFile, Sf2900Client, Sf2900Document, Sf2900Unavailable
from app.sandbox.sf2900_service import Sf2900Service

CVR = "29189919"
PASSPHRASE = "Hemmeligt-kodeord-42!"
CASE_ID = "0534211d-a32c-413a-9543-b5a068faf9e1"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DK"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(
    subject: str,
    key,
    issuer_name: x509.Name,
    issuer_key,
    *,
    ca: bool = False,
    server: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
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
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    if server:
        import ipaddress

        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, *objs) -> Path:
    out = b""
    for o in objs:
        if isinstance(o, x509.Certificate):
            out += o.public_bytes(serialization.Encoding.PEM)
        else:
            out += o.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
    path.write_bytes(out)
    return path


@dataclass
class Pki:
    ca: Path
    server_chain: Path
    client_p12: Path
    ca_cert: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey

    def p12(
        self,
        path: Path,
        *,
        passphrase: str = PASSPHRASE,
        not_after: datetime | None = None,
        not_before: datetime | None = None,
    ) -> Path:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(
            f"Postfordeler - {CVR}",
            key,
            self.ca_cert.subject,
            self.ca_key,
            not_before=not_before,
            not_after=not_after,
        )
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"postfordeler",
                key,
                cert,
                [self.ca_cert],
                serialization.BestAvailableEncryption(passphrase.encode()),
            )
        )
        return path


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _cert(
        "Test-CA (kun til test)", ca_key, _name("Test-CA (kun til test)"), ca_key, ca=True
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _cert("127.0.0.1", server_key, ca_cert.subject, ca_key, server=True)
    pki = Pki(
        ca=_pem(tmp_path / "ca.pem", ca_cert),
        server_chain=_pem(tmp_path / "server.pem", server_key, server_cert),
        client_p12=tmp_path / "client.p12",
        ca_cert=ca_cert,
        ca_key=ca_key,
    )
    pki.p12(pki.client_p12)
    return pki


def server_context(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
    ctx.load_cert_chain(str(pki.server_chain))
    ctx.verify_mode = ssl.CERT_REQUIRED  # Serviceplatformen style: no client certificate, no call
    return ctx


async def _send(service: Sf2900Service, client_ctx: ssl.SSLContext | None) -> tuple[str, object]:
    tid = str(uuid.uuid4())
    kwargs = {} if client_ctx is None else {"ssl_context": client_ctx}
    client = Sf2900Client(service.service_url, municipality_cvr=CVR, timeout=10, **kwargs)
    try:
        result: object = await client.send(
            Sf2900Document(
                transaction_id=tid,
                kle="27.24.00",
                title="Ansøgning om aflastning",
                letter_date=date(2026, 11, 20),
                # the service here has no SFTP root, so the named file is not looked up
                file=RemoteFile("SANDBOX_SAGSDOKUMENT_brev.TXT", "brev.txt", "text/plain", 18),
                case_id=CASE_ID,
            )
        )
    except Exception as exc:
        result = exc
    finally:
        await client.close()
    return tid, result


@pytest.mark.parametrize("tls_max", [None, ssl.TLSVersion.TLSv1_2], ids=["tls-default", "tls1.2"])
def test_mutual_tls_delivers_document_and_refuses_without_client_cert(
    pki: Pki, tmp_path: Path, tls_max
):
    async def main():
        service = Sf2900Service(data_dir=tmp_path / "sf2900")
        server_ctx = server_context(pki)
        if tls_max is not None:
            server_ctx.maximum_version = tls_max
        base = await service.start(ssl_context=server_ctx)
        try:
            ok = await _send(service, client_ssl_context(pki.client_p12, PASSPHRASE, cafile=pki.ca))
            ok_received = service.get(ok[0])
            # Trusts the server, but presents no client certificate.
            no_cert = await _send(service, ssl.create_default_context(cafile=str(pki.ca)))
            # No context at all: the default (certifi) trust does not know the test CA.
            default = await _send(service, None)
            return base, ok, ok_received, no_cert, default, service.received()
        finally:
            await service.stop()

    base, (_, result), ok_received, (_, no_cert), (_, default), received = asyncio.run(main())
    assert base.startswith("https://127.0.0.1:")
    assert getattr(result, "ok", False) is True, result
    assert ok_received is not None  # the sandbox recorded the DOKUMENT
    assert len(received) == 1  # the refused calls were never recorded

    assert isinstance(no_cert, Sf2900Unavailable), repr(no_cert)
    assert "klientcertifikatet (FOCES/OCES)" in str(no_cert), str(no_cert)
    assert isinstance(default, Sf2900Unavailable), repr(default)
    assert "CERTIFICATE_VERIFY_FAILED" in str(default), str(default)


def test_wrong_or_missing_passphrase_gives_danish_error(pki: Pki, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ClientCertificateError) as info:
        client_ssl_context(pki.client_p12, "forkert-kodeord")
    assert info.value.reason == "passphrase"
    assert "Forkert kodeord" in str(info.value) and "client.p12" in str(info.value)
    with pytest.raises(ClientCertificateError) as info:
        client_ssl_context(pki.client_p12, None)
    assert info.value.reason == "passphrase"
    assert "kodeord" in str(info.value)
    client_ssl_context(pki.client_p12, PASSPHRASE, cafile=pki.ca)
    assert PASSPHRASE not in caplog.text and "forkert-kodeord" not in caplog.text


def test_missing_not_pkcs12_and_expired(pki: Pki, tmp_path: Path):
    with pytest.raises(ClientCertificateError) as info:
        client_ssl_context(tmp_path / "findes-ikke.p12", PASSPHRASE)
    assert info.value.reason == "missing" and "findes ikke" in str(info.value)

    for bad in (pki.ca, tmp_path / "junk.p12"):
        if not bad.exists():
            bad.write_bytes(os.urandom(512))
        with pytest.raises(ClientCertificateError) as info:
            client_ssl_context(bad, PASSPHRASE)
        assert info.value.reason == "not_pkcs12", bad
        assert "ikke et PKCS#12-certifikat" in str(info.value)

    expired_at = datetime.now(UTC) - timedelta(days=3)
    old = pki.p12(
        tmp_path / "udloebet.p12", not_before=expired_at - timedelta(days=700), not_after=expired_at
    )
    with pytest.raises(ClientCertificateError) as info:
        client_ssl_context(old, PASSPHRASE)
    assert info.value.reason == "expired"
    assert f"{expired_at:%d-%m-%Y}" in str(info.value) and "udløbet" in str(info.value)
    assert info.value.expires is not None and info.value.expires.date() == expired_at.date()


def test_no_pem_file_survives_loading(pki: Pki, tmp_path: Path, monkeypatch):
    """The key+chain PEM only exists inside a private 0700 dir during load_cert_chain, with mode
    0600 and an encrypted key; afterwards the file and the dir are gone."""
    private_tmp = tmp_path / "systmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    seen: list[dict] = []
    original = ssl.SSLContext.load_cert_chain

    def spy(self, certfile, keyfile=None, password=None):
        p = Path(certfile)
        text = p.read_text("ascii")
        seen.append(
            {
                "path": p,
                "dir": p.parent,
                "file_mode": stat.S_IMODE(p.stat().st_mode),
                "dir_mode": stat.S_IMODE(p.parent.stat().st_mode),
                "encrypted": "BEGIN ENCRYPTED PRIVATE KEY" in text
                and "BEGIN PRIVATE KEY" not in text,
                "certs": text.count("BEGIN CERTIFICATE"),
            }
        )
        return original(self, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    before = {p.name for p in Path(tempfile.gettempdir()).iterdir()}
    ctx = client_ssl_context(pki.client_p12, PASSPHRASE, cafile=pki.ca)
    assert isinstance(ctx, ssl.SSLContext)
    assert len(seen) == 1
    s = seen[0]
    assert s["dir"].parent == private_tmp and s["dir"].name.startswith(TEMP_PREFIX)
    assert s["file_mode"] == 0o600 and s["dir_mode"] == 0o700
    assert s["encrypted"] and s["certs"] == 2  # leaf + the CA from the PKCS#12 file
    assert not s["path"].exists() and not s["dir"].exists()
    assert list(private_tmp.iterdir()) == []
    assert {p.name for p in Path(tempfile.gettempdir()).iterdir()} == before

    # A failing load cleans up as well.
    monkeypatch.setattr(
        ssl.SSLContext,
        "load_cert_chain",
        lambda self, *a, **k: (_ for _ in ()).throw(ssl.SSLError(1, "boom")),
    )
    with pytest.raises(ClientCertificateError) as info:
        client_ssl_context(pki.client_p12, PASSPHRASE, cafile=pki.ca)
    assert info.value.reason == "tls"
    assert list(private_tmp.iterdir()) == []
    # Nothing of ours anywhere under the real system temp dir either.
    monkeypatch.undo()
    assert not list(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"))
    assert not list(tmp_path.rglob("client.pem"))
