"""SAML tokens from Serviceplatformen's STS for SF2900, fetched with the FOCES certificate.

SF2900 v2.4 (3.1.3.4 and the `wsdl/token` policy): security between the sender and
Serviceplatformen is token based ("tokenbaseret, som defineret i RA STS"): the gateway asks the
STS for a SAML 2.0 assertion (`sp:WssSamlV20Token11`, issued token) for the SF2900 service and
sends it with each SOAP call; AuthorityContext + certificate is the exception by dispensation.

The documents name the token flow but not the STS's wire format in detail. This module follows
the WS-Trust 1.3 shape Serviceplatformen's STS uses, as far as the documents say, and the
simplest faithful choice where they are silent (write-down of those choices):

- Request: HTTP POST of a SOAP 1.2 envelope (WS-Addressing Action
  `.../ws-trust/200512/RST/Issue`, a MessageID) whose Body is a `wst:RequestSecurityToken` with
  RequestType Issue, TokenType `...#SAMLV2.0`, KeyType PublicKey, `wsp:AppliesTo/
  wsa:EndpointReference/wsa:Address` = the service's entity id (SF2900:
  `http://sp.serviceplatformen.dk/service/fordeling/3`, from `sp/service.properties`) and, when
  configured, a `wst:Claims` (Dialect authclaims) with `dk:gov:saml:attribute:
  CvrNumberIdentifier` = the municipality's CVR.
- Authentication: **mutual TLS** with the FOCES certificate (the requester's client certificate
  decides). The real STS also accepts a WS-Security signature over the request with that
  certificate; the TLS handshake proves the same key possession, so this client does not sign
  the envelope. (Choice.)
- Response: `wst:RequestSecurityTokenResponseCollection/wst:RequestSecurityTokenResponse` with
  `wst:RequestedSecurityToken/saml:Assertion`, `wsp:AppliesTo` and `wst:Lifetime`. A refusal is
  a SOAP 1.2 Fault whose Subcode is `wst:FailedAuthentication` (unknown certificate) or
  `wst:InvalidRequest`.
- The assertion is verified before it is used: an enveloped XML signature (RSA-SHA256, or
  ECDSA-SHA256 for an EC signing key, exclusive c14n, one reference to the assertion's own `ID`) checked against the STS's *pinned*
  signing certificate (never the certificate in KeyInfo); every value is read from the signed
  element only; Audience must be the requested entity id, the Issuer the configured one (if
  set), and `Conditions` NotBefore/NotOnOrAfter must hold now (with `clock_skew`).

`StsClient.token()` (async) / `token_blocking()` (any thread) return a cached token and fetch a
new one when none is cached or the cached one expires within `renew_margin`. One fetch serves
all concurrent callers (a lock; async callers wait in a worker thread). When a renewal fails
while the cached token is still valid for more than `clock_skew`, that token is returned (and
the failure logged); an expired token is never returned. Never logs the assertion or key
material.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

log = logging.getLogger("postfordeler.sts")

# --- the wire (shared with the sandbox STS, app/sandbox/sts.py) ---------------------------------
SF2900_ENTITY_ID = "http://sp.serviceplatformen.dk/service/fordeling/3"
NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_WST = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
NS_WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy"
NS_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS_AUTH = "http://docs.oasis-open.org/wsfed/authorization/200706"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
ACTION_ISSUE = f"{NS_WST}/RST/Issue"
ACTION_ISSUE_FINAL = f"{NS_WST}/RSTRC/IssueFinal"
REQUEST_TYPE_ISSUE = f"{NS_WST}/Issue"
KEY_TYPE_PUBLIC = f"{NS_WST}/PublicKey"
TOKEN_TYPE_SAML20 = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"
CLAIMS_DIALECT = "http://docs.oasis-open.org/wsfed/authorization/200706/authclaims"
CVR_CLAIM = "dk:gov:saml:attribute:CvrNumberIdentifier"
X509_VALUE_TYPE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
)
BASE64_ENCODING = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
SOAP12_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
MAX_RESPONSE_BYTES = 1 << 20

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False
)


def q(ns: str, local: str) -> str:
    """Clark notation `{ns}local` for lxml."""
    return f"{{{ns}}}{local}"


def utc_now() -> datetime:
    return datetime.now(UTC)


def xml_datetime(value: datetime) -> str:
    """xs:dateTime in UTC with a Z, as SAML wants it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_xml_datetime(text: str) -> datetime:
    """xs:dateTime -> aware UTC datetime (one without a zone is taken as UTC, as SAML says)."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no DTD entities, no network."""
    return etree.fromstring(data, _PARSER)


class StsError(Exception):
    """No usable token. `reason` is a stable code, str(exc) Danish text, `transient` whether a
    later retry can succeed.

    Codes: "unreachable", "timeout", "tls" (handshake refused, e.g. a certificate the STS does
    not trust), "disconnected" (closed without an answer: under TLS 1.3 that is also how a
    refused client certificate usually shows), "refused" (the STS refused the certificate or the request), "http",
    "invalid" (not a token response), "signature" (assertion not signed by the pinned STS
    certificate, or tampered with), "audience", "issuer", "expired", "not_yet_valid".
    """

    def __init__(self, reason: str, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class SamlToken:
    """A verified SAML 2.0 assertion. `assertion` is the signed element exactly as issued (to
    put into the WS-Security header of the SF2900 call unchanged)."""

    assertion: bytes
    assertion_id: str
    issuer: str
    audience: str
    subject: str
    cvr: str | None
    not_before: datetime
    not_on_or_after: datetime
    # DER of the holder-of-key certificate in the SubjectConfirmation (the FOCES certificate
    # the token was issued to), when the assertion names one
    confirmation_cert: bytes | None = None

    def valid_at(self, now: datetime) -> bool:
        return self.not_before <= now < self.not_on_or_after

    def __repr__(self) -> str:  # never print the assertion
        return (
            f"SamlToken(id={self.assertion_id!r}, audience={self.audience!r}, "
            f"not_on_or_after={self.not_on_or_after.isoformat()})"
        )


@dataclass(frozen=True)
class StsConfig:
    """`signing_certificate`: PEM of the STS's signing certificate, the only key an assertion
    may be signed with. The FOCES certificate travels in the `ssl.SSLContext` given to the
    client (app/core/tls.py builds one from the PKCS#12 file)."""

    url: str
    signing_certificate: bytes
    applies_to: str = SF2900_ENTITY_ID
    cvr: str | None = None
    issuer: str | None = None  # expected saml:Issuer; None: any (the signature is pinned)
    renew_margin: timedelta = timedelta(minutes=5)
    clock_skew: timedelta = timedelta(seconds=60)
    timeout: float = 15.0

    def __post_init__(self) -> None:
        if self.renew_margin < timedelta(0) or self.clock_skew < timedelta(0):
            raise ValueError("renew_margin og clock_skew må ikke være negative")
        if self.timeout <= 0:
            raise ValueError("STS-timeout skal være positiv")


def build_request(
    applies_to: str, cvr: str | None = None, *, message_id: str | None = None
) -> bytes:
    """The SOAP 1.2 WS-Trust Issue request for a SAML 2.0 token for `applies_to`."""
    env = etree.Element(q(NS_SOAP12, "Envelope"), nsmap={"s": NS_SOAP12, "wsa": NS_WSA})
    header = etree.SubElement(env, q(NS_SOAP12, "Header"))
    etree.SubElement(header, q(NS_WSA, "Action")).text = ACTION_ISSUE
    etree.SubElement(header, q(NS_WSA, "MessageID")).text = message_id or f"urn:uuid:{uuid.uuid4()}"
    body = etree.SubElement(env, q(NS_SOAP12, "Body"))
    rst = etree.SubElement(
        body, q(NS_WST, "RequestSecurityToken"), nsmap={"wst": NS_WST, "wsp": NS_WSP}
    )
    etree.SubElement(rst, q(NS_WST, "RequestType")).text = REQUEST_TYPE_ISSUE
    etree.SubElement(rst, q(NS_WST, "TokenType")).text = TOKEN_TYPE_SAML20
    etree.SubElement(rst, q(NS_WST, "KeyType")).text = KEY_TYPE_PUBLIC
    applies = etree.SubElement(rst, q(NS_WSP, "AppliesTo"))
    epr = etree.SubElement(applies, q(NS_WSA, "EndpointReference"))
    etree.SubElement(epr, q(NS_WSA, "Address")).text = applies_to
    if cvr:
        claims = etree.SubElement(
            rst, q(NS_WST, "Claims"), Dialect=CLAIMS_DIALECT, nsmap={"auth": NS_AUTH}
        )
        claim = etree.SubElement(claims, q(NS_AUTH, "ClaimType"), Uri=CVR_CLAIM)
        etree.SubElement(claim, q(NS_AUTH, "Value")).text = cvr
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def _fault_reason(root: etree._Element) -> StsError | None:
    fault = root.find(f"{q(NS_SOAP12, 'Body')}/{q(NS_SOAP12, 'Fault')}")
    if fault is None:
        return None
    subcode = fault.findtext(
        f"{q(NS_SOAP12, 'Code')}/{q(NS_SOAP12, 'Subcode')}/{q(NS_SOAP12, 'Value')}"
    )
    text = fault.findtext(f"{q(NS_SOAP12, 'Reason')}/{q(NS_SOAP12, 'Text')}") or ""
    code = (subcode or "").rsplit(":", 1)[-1]
    return StsError(
        "refused", f"STS afviste anmodningen ({code or 'Fault'}): {text[:200]}", transient=False
    )


def verify_assertion(
    assertion: bytes,
    signing_certificate: bytes,
    *,
    audience: str,
    issuer: str | None,
    now: datetime,
    clock_skew: timedelta = timedelta(seconds=60),
) -> SamlToken:
    """Verify a SAML 2.0 assertion's signature (pinned certificate), audience, issuer and time.

    Raises StsError ("signature", "audience", "issuer", "expired", "not_yet_valid", "invalid").
    """
    try:
        root = parse_xml(assertion)
    except etree.XMLSyntaxError:
        raise StsError("invalid", "STS-token er ikke gyldig XML", transient=False) from None
    if root.tag != q(NS_SAML, "Assertion") or not root.get("ID"):
        raise StsError("invalid", "STS-svaret indeholder ikke en SAML-assertion", transient=False)
    try:
        cert = x509.load_pem_x509_certificate(signing_certificate)
        result = XMLVerifier().verify(
            root,
            x509_cert=cert,
            id_attribute="ID",
            expect_config=SignatureConfiguration(
                require_x509=False,
                location="./",
                expect_references=1,
                # RSA-SHA256 (Serviceplatformen's STS) or ECDSA-SHA256 (an EC signing key,
                # e.g. the sandbox's test CA); the pinned certificate decides which verifies.
                signature_methods=frozenset(
                    {SignatureMethod.RSA_SHA256, SignatureMethod.ECDSA_SHA256}
                ),
                digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
            ),
        )
    except (SignXMLException, ValueError) as exc:
        raise StsError(
            "signature",
            f"STS-tokenets signatur holder ikke ({type(exc).__name__})",
            transient=False,
        ) from None
    signed = getattr(result, "signed_xml", None)
    if signed is None or signed.tag != root.tag or signed.get("ID") != root.get("ID"):
        raise StsError("signature", "signaturen dækker ikke hele assertionen", transient=False)

    def text(path: str) -> str | None:
        value = signed.findtext(path, namespaces={"saml": NS_SAML})
        return value.strip() if value else None

    conditions = signed.find("saml:Conditions", namespaces={"saml": NS_SAML})
    got_audience = text("saml:Conditions/saml:AudienceRestriction/saml:Audience")
    got_issuer = text("saml:Issuer") or ""
    if conditions is None or not conditions.get("NotBefore") or not conditions.get("NotOnOrAfter"):
        raise StsError("invalid", "STS-tokenet har ingen gyldighedsperiode", transient=False)
    try:
        not_before = parse_xml_datetime(conditions.get("NotBefore", ""))
        not_after = parse_xml_datetime(conditions.get("NotOnOrAfter", ""))
    except ValueError:
        raise StsError("invalid", "STS-tokenets tider kan ikke læses", transient=False) from None
    if got_audience != audience:
        raise StsError("audience", "STS-tokenet er udstedt til en anden tjeneste", transient=False)
    if issuer is not None and got_issuer != issuer:
        raise StsError("issuer", "STS-tokenet er udstedt af en ukendt udsteder", transient=False)
    if not_after <= now:
        raise StsError("expired", "STS-tokenet er udløbet", transient=True)
    if not_before > now + clock_skew:
        raise StsError("not_yet_valid", "STS-tokenet er endnu ikke gyldigt", transient=True)
    cvr = None
    for attr in signed.iterfind(
        "saml:AttributeStatement/saml:Attribute", namespaces={"saml": NS_SAML}
    ):
        if attr.get("Name") == CVR_CLAIM:
            cvr = (attr.findtext("saml:AttributeValue", namespaces={"saml": NS_SAML}) or "").strip()
    key_cert = signed.findtext(
        "saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData/ds:KeyInfo/"
        "ds:X509Data/ds:X509Certificate",
        namespaces={"saml": NS_SAML, "ds": NS_DS},
    )
    try:
        confirmation = (
            base64.b64decode("".join(key_cert.split()), validate=True) if key_cert else None
        )
    except ValueError:
        raise StsError(
            "invalid", "STS-tokenets nøglecertifikat kan ikke læses", transient=False
        ) from None
    return SamlToken(
        assertion=etree.tostring(root),
        assertion_id=str(root.get("ID")),
        issuer=got_issuer,
        audience=got_audience,
        subject=text("saml:Subject/saml:NameID") or "",
        cvr=cvr or None,
        not_before=not_before,
        not_on_or_after=not_after,
        confirmation_cert=confirmation,
    )


def parse_response(data: bytes) -> bytes:
    """The `saml:Assertion` (serialised) from an RSTR collection; StsError for a SOAP fault or
    anything else."""
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError:
        raise StsError("invalid", "STS-svaret er ikke gyldig XML", transient=True) from None
    fault = _fault_reason(root)
    if fault is not None:
        raise fault
    found = root.findall(
        f"{q(NS_SOAP12, 'Body')}/{q(NS_WST, 'RequestSecurityTokenResponseCollection')}/"
        f"{q(NS_WST, 'RequestSecurityTokenResponse')}/{q(NS_WST, 'RequestedSecurityToken')}/"
        f"{q(NS_SAML, 'Assertion')}"
    )
    if len(found) != 1:
        raise StsError("invalid", "STS-svaret indeholder ikke ét SAML-token", transient=False)
    return etree.tostring(found[0])


class StsClient:
    """Fetches, verifies, caches and renews SAML tokens for one service (`config.applies_to`).

    `ssl_context` presents the FOCES certificate and verifies the STS's server certificate.
    `clock` (UTC now) is injectable for tests. `fetches` counts requests sent to the STS.
    """

    def __init__(
        self,
        config: StsConfig,
        ssl_context: ssl.SSLContext,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self._ssl = ssl_context
        self._clock = clock
        self._lock = threading.Lock()
        self._token: SamlToken | None = None
        self._http: httpx.Client | None = None
        self.fetches = 0

    def _fresh(self, token: SamlToken | None, now: datetime) -> bool:
        return token is not None and now < token.not_on_or_after - self.config.renew_margin

    def cached(self) -> SamlToken | None:
        """The cached token if it is still valid now (never an expired one)."""
        token = self._token
        if token is not None and token.valid_at(self._clock()):
            return token
        return None

    def invalidate(self) -> None:
        """Forget the cached token (e.g. after the service refused it)."""
        with self._lock:
            self._token = None

    def token_blocking(self) -> SamlToken:
        """A valid token: the cached one, or a new one from the STS (blocking; thread safe)."""
        token = self._token
        if self._fresh(token, self._clock()):
            assert token is not None
            return token
        with self._lock:
            now = self._clock()
            token = self._token
            if self._fresh(token, now):
                assert token is not None
                return token
            try:
                new = self._fetch()
            except StsError as exc:
                if token is not None and now + self.config.clock_skew < token.not_on_or_after:
                    log.info("STS renewal failed (%s); the cached token is still valid", exc.reason)
                    return token
                self._token = None
                raise
            self._token = new
            return new

    async def token(self) -> SamlToken:
        """`token_blocking()` for async callers: the cached token without leaving the loop,
        else one fetch in a worker thread shared with every concurrent caller."""
        token = self._token
        if self._fresh(token, self._clock()):
            assert token is not None
            return token
        return await asyncio.to_thread(self.token_blocking)

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                verify=self._ssl, timeout=self.config.timeout, follow_redirects=False
            )
        return self._http

    def _fetch(self) -> SamlToken:
        self.fetches += 1
        body = build_request(self.config.applies_to, self.config.cvr)
        headers = {"Content-Type": f'{SOAP12_CONTENT_TYPE}; action="{ACTION_ISSUE}"'}
        try:
            resp = self._client().post(self.config.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise StsError("timeout", "STS svarede ikke i tide", transient=True) from None
        except httpx.ConnectError as exc:
            if _is_tls_error(exc):
                raise StsError(
                    "tls",
                    "TLS-forbindelsen til STS blev afvist (certifikat ikke godkendt)",
                    transient=False,
                ) from None
            raise StsError(
                "unreachable", f"STS kan ikke nås ({type(exc).__name__})", transient=True
            ) from None
        except httpx.RemoteProtocolError:
            # With TLS 1.3 a server that refuses the client certificate does so after the
            # client's side of the handshake is done; the client then often sees only a closed
            # connection, no TLS alert.
            raise StsError(
                "disconnected",
                "STS lukkede forbindelsen uden svar (klientcertifikatet afvist?)",
                transient=True,
            ) from None
        except httpx.HTTPError as exc:
            if _is_tls_error(exc):
                raise StsError(
                    "tls", "TLS-forbindelsen til STS blev afvist", transient=False
                ) from None
            raise StsError(
                "unreachable",
                f"forbindelsen til STS fejlede ({type(exc).__name__})",
                transient=True,
            ) from None
        data = resp.content[: MAX_RESPONSE_BYTES + 1]
        if len(data) > MAX_RESPONSE_BYTES:
            raise StsError("invalid", "STS-svaret er for stort", transient=False)
        if resp.status_code >= 500 and b"Fault" not in data:
            raise StsError("http", f"STS svarede HTTP {resp.status_code}", transient=True)
        if resp.status_code != 200 and b"Fault" not in data:
            raise StsError("http", f"STS svarede HTTP {resp.status_code}", transient=False)
        assertion = parse_response(data)
        token = verify_assertion(
            assertion,
            self.config.signing_certificate,
            audience=self.config.applies_to,
            issuer=self.config.issuer,
            now=self._clock(),
            clock_skew=self.config.clock_skew,
        )
        log.info("STS token issued, valid until %s", token.not_on_or_after.isoformat())
        return token


def _is_tls_error(exc: BaseException) -> bool:
    """True when an ssl.SSLError (or a TLS alert seen as a reset) is in the chain."""
    cur: BaseException | None = exc
    seen = 0
    while cur is not None and seen < 10:
        if isinstance(cur, ssl.SSLError):
            return True
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return False


NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SECURITY_HEADER_TTL = timedelta(minutes=5)


def security_header(
    token: SamlToken, now: datetime, *, ttl: timedelta = SECURITY_HEADER_TTL
) -> etree._Element:
    """The SOAP 1.1 `wsse:Security` header block of an SF2900 call in token mode: a
    `wsu:Timestamp` (Created = now, Expires = now + ttl) and the STS's SAML assertion exactly as
    issued (its signature intact), with soap:mustUnderstand="1"."""
    sec = etree.Element(
        q(NS_WSSE, "Security"),
        nsmap={"wsse": NS_WSSE, "wsu": NS_WSU, "soap": NS_SOAP11},
    )
    sec.set(q(NS_SOAP11, "mustUnderstand"), "1")
    stamp = etree.SubElement(sec, q(NS_WSU, "Timestamp"))
    stamp.set(q(NS_WSU, "Id"), f"TS-{uuid.uuid4()}")
    etree.SubElement(stamp, q(NS_WSU, "Created")).text = xml_datetime(now)
    etree.SubElement(stamp, q(NS_WSU, "Expires")).text = xml_datetime(now + ttl)
    sec.append(parse_xml(token.assertion))
    return sec


def token_from_header(header: etree._Element | None) -> bytes | None:
    """The serialised `saml:Assertion` in a SOAP header's `wsse:Security`, else None."""
    if header is None:
        return None
    found = header.find(f"{q(NS_WSSE, 'Security')}/{q(NS_SAML, 'Assertion')}")
    return None if found is None else etree.tostring(found)
