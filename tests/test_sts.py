"""The STS for SF2900: the REAL sandbox STS (HTTPS, client certificates required) on loopback and
the gateway's token client (app/dubu/sts_client.py) against it.

The STS runs on its own asyncio loop in a background thread, so the client is exercised from
plain threads (token_blocking) and from another event loop (token) exactly as the gateway will.
One fake clock drives both sides, so expiry and renewal are tested without sleeping.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from app.dubu.sts_client import (
    NS_SAML,
    SF2900_ENTITY_ID,
    StsClient,
    StsConfig,
    StsError,
    build_request,
    parse_xml,
    q,
    verify_assertion,
)
from app.sandbox.certs import SandboxCertificates, TestCa, write_private_key
from app.sandbox.sftp_sts import sts_server_config
from app.sandbox.sts import DEFAULT_ISSUER, SandboxSts, StsServerConfig

CVR = "29189846"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


class StsThread:
    """The sandbox STS on its own loop in a daemon thread."""

    def __init__(self, config: StsServerConfig, clock: Clock) -> None:
        self.loop = asyncio.new_event_loop()
        self.sts = SandboxSts(config, clock=clock)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.sts.start_tls(), self.loop).result(30)

    def stop(self) -> None:
        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self.sts.stop(), self.loop).result(30)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _client_ctx(pki: SandboxCertificates, cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


@pytest.fixture
def pki(tmp_path) -> SandboxCertificates:
    """The sandbox's one test CA (app/sandbox/certs.py), as the runner uses it."""
    return SandboxCertificates.ensure(tmp_path / "pki", municipality_cvr=CVR)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sts_thread(pki, clock):
    config = sts_server_config(pki)
    config.lifetime = timedelta(minutes=10)
    server = StsThread(config, clock)
    yield server
    server.stop()


@pytest.fixture
def sts(sts_thread) -> SandboxSts:
    return sts_thread.sts


def _client(pki: SandboxCertificates, sts: SandboxSts, clock: Clock, **kw) -> StsClient:
    cert = kw.pop("cert", pki.municipality.cert)
    key = kw.pop("key", pki.municipality.key)
    ctx = kw.pop("ctx", None) or _client_ctx(pki, cert, key)
    config = StsConfig(
        url=sts.url,
        signing_certificate=pki.sts_signing.cert.read_bytes(),
        cvr=kw.pop("cvr", CVR),
        issuer=DEFAULT_ISSUER,
        renew_margin=kw.pop("renew_margin", timedelta(minutes=1)),
        clock_skew=kw.pop("clock_skew", timedelta(seconds=5)),
        timeout=kw.pop("timeout", 5.0),
        **kw,
    )
    return StsClient(config, ctx, clock=clock)


def test_request_has_the_ws_trust_shape():
    root = parse_xml(build_request(SF2900_ENTITY_ID, CVR))
    ns = {
        "s": "http://www.w3.org/2003/05/soap-envelope",
        "wst": "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
        "wsp": "http://schemas.xmlsoap.org/ws/2004/09/policy",
        "wsa": "http://www.w3.org/2005/08/addressing",
    }
    assert root.xpath("string(s:Header/wsa:Action)", namespaces=ns).endswith("/RST/Issue")
    rst = "s:Body/wst:RequestSecurityToken"
    assert (
        root.xpath(f"string({rst}/wsp:AppliesTo/wsa:EndpointReference/wsa:Address)", namespaces=ns)
        == "http://sp.serviceplatformen.dk/service/fordeling/3"
    )
    assert root.xpath(f"string({rst}/wst:RequestType)", namespaces=ns).endswith("/Issue")
    assert root.xpath(f"string({rst}/wst:TokenType)", namespaces=ns).endswith("#SAMLV2.0")


def test_token_issued_and_its_signature_verifies(pki, sts, clock):
    client = _client(pki, sts, clock)
    token = client.token_blocking()
    assert token.cvr == CVR and token.audience == SF2900_ENTITY_ID
    assert token.issuer == DEFAULT_ISSUER
    assert f"CN=Kommune {CVR} (FOCES" in token.subject and f"CVR:{CVR}-" in token.subject
    assert token.not_on_or_after - token.not_before == timedelta(minutes=10)
    root = etree.fromstring(token.assertion)
    assert root.tag == q(NS_SAML, "Assertion")
    sig_alg = root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureMethod")
    assert sig_alg is not None
    # the sandbox CA's keys are EC: ECDSA-SHA256 (an RSA signing key gives RSA-SHA256, below)
    assert sig_alg.get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    # The stored assertion still verifies on its own (it is forwarded to SF2900 unchanged) ...
    again = verify_assertion(
        token.assertion,
        pki.sts_signing.cert.read_bytes(),
        audience=SF2900_ENTITY_ID,
        issuer=DEFAULT_ISSUER,
        now=clock(),
    )
    assert again.assertion_id == token.assertion_id
    # ... and not against any other certificate (a forger's or the TLS one).
    with pytest.raises(StsError) as err:
        verify_assertion(
            token.assertion,
            pki.server.cert.read_bytes(),
            audience=SF2900_ENTITY_ID,
            issuer=None,
            now=clock(),
        )
    assert err.value.reason == "signature"
    with pytest.raises(StsError) as err:
        verify_assertion(
            token.assertion,
            pki.sts_signing.cert.read_bytes(),
            audience="http://other.service",
            issuer=None,
            now=clock(),
        )
    assert err.value.reason == "audience"


def test_certificate_from_another_ca_refused(pki, sts, clock, tmp_path):
    (tmp_path / "other").mkdir()
    other = TestCa.create("Fremmed CA").issue_files(
        tmp_path / "other",
        "foces",
        f"Kommune {CVR} (FOCES)",
        serial=f"CVR:{CVR}-FID:x",
        client=True,
    )
    client = _client(pki, sts, clock, cert=other.cert, key=other.key)
    with pytest.raises(StsError) as err:
        client.token_blocking()
    # TLS 1.3: the refusal shows as an alert or as a connection closed without an answer.
    assert err.value.reason in {"tls", "disconnected"}
    assert sts.issued == 0 and sts.refused == []  # refused in the handshake, never reached /sts


def test_unknown_subject_from_the_same_ca_refused(pki, sts, clock, tmp_path):
    (tmp_path / "stranger").mkdir()
    stranger = pki.issuer().issue_files(
        tmp_path / "stranger", "cert", "Et andet system", serial="CVR:11111111-FID:y", client=True
    )
    client = _client(pki, sts, clock, cert=stranger.cert, key=stranger.key, cvr=None)
    with pytest.raises(StsError) as err:
        client.token_blocking()
    assert err.value.reason == "refused" and not err.value.transient
    assert "FailedAuthentication" in str(err.value)
    assert sts.issued == 0 and len(sts.refused) == 1


def test_wrong_cvr_claim_and_unknown_service_refused(pki, sts, clock):
    with pytest.raises(StsError) as err:
        _client(pki, sts, clock, cvr="11111111").token_blocking()
    assert err.value.reason == "refused" and "InvalidRequest" in str(err.value)
    with pytest.raises(StsError) as err:
        _client(pki, sts, clock, applies_to="http://other.service").token_blocking()
    assert err.value.reason == "refused"
    assert sts.issued == 0


def test_cache_until_the_renewal_margin_then_renew(pki, sts, clock):
    client = _client(pki, sts, clock, renew_margin=timedelta(minutes=1))
    first = client.token_blocking()
    clock.advance(8 * 60)  # 2 minutes left: still outside the 1-minute margin
    assert client.token_blocking() is first
    assert asyncio.run(client.token()) is first
    assert client.fetches == 1
    clock.advance(61)  # now within the margin: renewed
    second = client.token_blocking()
    assert second.assertion_id != first.assertion_id
    assert client.fetches == 2 and sts.issued == 2
    assert second.not_on_or_after > first.not_on_or_after


def test_concurrent_callers_trigger_one_fetch(pki, sts, clock):
    sts.delay = 0.3  # a slow STS: every caller arrives while the first fetch is in flight
    client = _client(pki, sts, clock)
    barrier = threading.Barrier(8)

    def call():
        barrier.wait()
        return client.token_blocking()

    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda _: call(), range(8)))
    assert {t.assertion_id for t in tokens} == {tokens[0].assertion_id}
    assert client.fetches == 1 and sts.issued == 1

    clock.advance(10 * 60)  # expired: concurrent async callers share one renewal

    async def many():
        return await asyncio.gather(*(client.token() for _ in range(10)))

    renewed = asyncio.run(many())
    assert {t.assertion_id for t in renewed} == {renewed[0].assertion_id}
    assert renewed[0].assertion_id != tokens[0].assertion_id
    assert client.fetches == 2 and sts.issued == 2


def test_expired_token_is_never_returned(pki, sts, clock):
    client = _client(
        pki, sts, clock, renew_margin=timedelta(minutes=2), clock_skew=timedelta(seconds=5)
    )
    first = client.token_blocking()
    sts.registered.clear()  # the STS now refuses us: renewals fail
    clock.advance(9 * 60)  # in the margin, 60 s left: the still-valid token is returned
    assert client.token_blocking() is first
    clock.advance(61)  # expired
    with pytest.raises(StsError) as err:
        client.token_blocking()
    assert err.value.reason == "refused"
    assert client.cached() is None
    with pytest.raises(StsError):
        asyncio.run(client.token())


def test_sts_down_is_a_transient_error(pki, sts_thread, clock):
    sts = sts_thread.sts
    client = _client(pki, sts, clock)
    url = sts.url
    asyncio.run_coroutine_threadsafe(sts.stop(), sts_thread.loop).result(10)
    client2 = StsClient(
        StsConfig(url=url, signing_certificate=pki.sts_signing.cert.read_bytes(), timeout=3.0),
        _client_ctx(pki, pki.municipality.cert, pki.municipality.key),
        clock=clock,
    )
    for c in (client, client2):
        with pytest.raises(StsError) as err:
            c.token_blocking()
        assert err.value.reason == "unreachable" and err.value.transient


def test_tampered_assertion_rejected(pki, sts, clock):
    client = _client(pki, sts, clock)
    sts.tamper_next = 1
    with pytest.raises(StsError) as err:
        client.token_blocking()
    assert err.value.reason == "signature" and not err.value.transient
    assert client.cached() is None
    token = client.token_blocking()  # the next, untampered one is accepted
    assert token.cvr == CVR


def test_expired_assertion_from_the_sts_rejected(pki, sts, clock):
    sts.lifetime = timedelta(seconds=-1)
    with pytest.raises(StsError) as err:
        _client(pki, sts, clock).token_blocking()
    assert err.value.reason == "expired"


def test_slow_sts_times_out_within_the_bound(pki, sts, clock):
    sts.delay = 3.0
    client = _client(pki, sts, clock, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(StsError) as err:
        client.token_blocking()
    assert err.value.reason == "timeout" and err.value.transient
    assert time.monotonic() - start < 2.5


def test_an_rsa_signing_key_signs_rsa_sha256(pki, clock, tmp_path):
    """Serviceplatformen's STS signs with RSA: the sandbox STS does too when its signing key is
    RSA, and the client verifies it against the pinned certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = pki.issuer()
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "STS RSA-signering")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(ca.key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "rsa.pem", tmp_path / "rsa-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    write_private_key(key_file, key)  # type: ignore[arg-type]
    config = sts_server_config(pki)
    config.signing_cert, config.signing_key = cert_file, key_file
    server = StsThread(config, clock)
    try:
        client = StsClient(
            StsConfig(url=server.sts.url, signing_certificate=cert_file.read_bytes(), cvr=CVR),
            _client_ctx(pki, pki.municipality.cert, pki.municipality.key),
            clock=clock,
        )
        token = client.token_blocking()
        client.close()
        alg = etree.fromstring(token.assertion).find(
            ".//{http://www.w3.org/2000/09/xmldsig#}SignatureMethod"
        )
        assert alg is not None
        assert alg.get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        assert token.cvr == CVR
    finally:
        server.stop()
