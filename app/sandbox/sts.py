"""Serviceplatformen's STS on loopback: issues signed SAML 2.0 assertions over mutual TLS.

The wire (request, response, fault) is the one written down in app/dubu/sts_client.py; this
server speaks it from the other side:

- `POST {base}/sts` over HTTPS that *requires* a client certificate from the configured CA
  (a certificate from any other CA fails the TLS handshake). The certificate then decides:
  only a registered certificate (SHA-256 fingerprint; the municipality's test FOCES) gets a
  token, any other one gets a SOAP 1.2 Fault `wst:FailedAuthentication` (HTTP 400) and a line
  in `refused`. A request for an unknown AppliesTo, another TokenType, or a CVR claim that is
  not the certificate's CVR gets `wst:InvalidRequest`; a `wst:UseKey` certificate must be the
  TLS client certificate.
- The answer is an RSTR collection with one `saml:Assertion`: Issuer (`issuer`), Subject
  NameID = the certificate's subject (X509SubjectName) with a holder-of-key
  SubjectConfirmation carrying the certificate, Conditions NotBefore = now, NotOnOrAfter =
  now + `lifetime`, AudienceRestriction = the AppliesTo, an AttributeStatement with
  `dk:gov:saml:attribute:CvrNumberIdentifier`; enveloped XML signature (signxml, RSA-SHA256
  or ECDSA-SHA256 after the signing key's type, SHA-256 digest, exclusive c14n) with the signing certificate, placed after the Issuer as
  the SAML schema wants.
- Test knobs: `lifetime` (mutable), `delay` (seconds before each answer), `tamper_next` (the next N assertions are altered after
  signing, so a client must reject them), `issued` (count of tokens issued), `refused`.
- `GET {base}/sts/health`.

Never logs assertions or key material.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import ssl
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.signer import XMLSigner

from app.dubu.sts_client import (
    ACTION_ISSUE_FINAL,
    CVR_CLAIM,
    KEY_TYPE_PUBLIC,
    NS_AUTH,
    NS_DS,
    NS_SAML,
    NS_SOAP12,
    NS_WSA,
    NS_WSP,
    NS_WSSE,
    NS_WST,
    NS_WSU,
    REQUEST_TYPE_ISSUE,
    SF2900_ENTITY_ID,
    SOAP12_CONTENT_TYPE,
    TOKEN_TYPE_SAML20,
    parse_xml,
    q,
    utc_now,
    xml_datetime,
)
from app.gateway.server import client_gone
from app.sandbox.loopback import LoopbackService

log = logging.getLogger("postfordeler.sandbox.sts")

DEFAULT_ISSUER = "https://sts.sandbox.postfordeler.invalid"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_REQUEST_BYTES = 256 * 1024


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint of a certificate, lower-case hex."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def cvr_from_subject(cert: x509.Certificate) -> str | None:
    """The CVR in a FOCES/OCES subject serialNumber (`CVR:12345678-FID:...`), else None."""
    for attr in cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        value = str(attr.value)
        if value.upper().startswith("CVR:"):
            return value[4:].split("-", 1)[0]
    return None


@dataclass
class StsServerConfig:
    tls_cert: Path  # the STS's HTTPS certificate (PEM) and key
    tls_key: Path
    client_ca: Path  # the CA whose certificates may connect at all (PEM)
    signing_cert: Path  # the assertion signing certificate (PEM) and key
    signing_key: Path
    registered: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> CVR
    audiences: frozenset[str] = frozenset({SF2900_ENTITY_ID})
    issuer: str = DEFAULT_ISSUER
    lifetime: timedelta = timedelta(hours=1)


def registered_certificates(certs: Iterable[x509.Certificate]) -> dict[str, str]:
    """`StsServerConfig.registered` for FOCES certificates: fingerprint -> CVR from the subject."""
    out: dict[str, str] = {}
    for cert in certs:
        cvr = cvr_from_subject(cert)
        if cvr is None:
            raise ValueError("certifikatet har ikke et CVR i serialNumber")
        out[fingerprint(cert)] = cvr
    return out


class _Refusal(Exception):
    def __init__(self, subcode: str, text: str) -> None:
        super().__init__(text)
        self.subcode = subcode
        self.text = text


class SandboxSts(LoopbackService):
    """`await start_tls()` listens on HTTPS with client certificates required; `url` is the
    token endpoint."""

    def __init__(self, config: StsServerConfig, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self._clock = clock
        self.lifetime = config.lifetime
        self.registered = dict(config.registered)
        self.tamper_next = 0
        self.delay = 0.0  # seconds before each answer (a slow STS)
        self.issued = 0
        self.refused: list[str] = []
        self._signing_cert_pem = Path(config.signing_cert).read_bytes()
        self._signing_key_pem = Path(config.signing_key).read_bytes()
        key = serialization.load_pem_private_key(self._signing_key_pem, None)
        self._signature_method = (
            SignatureMethod.ECDSA_SHA256
            if isinstance(key, ec.EllipticCurvePrivateKey)
            else SignatureMethod.RSA_SHA256
        )

    @property
    def url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("STS not started")
        return f"{self.base_url}/sts"

    @property
    def signing_certificate(self) -> bytes:
        """PEM of the certificate assertions are signed with (what a client pins)."""
        return self._signing_cert_pem

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(self.config.client_ca))
        ctx.load_cert_chain(str(self.config.tls_cert), str(self.config.tls_key))
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    async def start_tls(self, host: str = "127.0.0.1", port: int = 0) -> str:
        return await self.start(host, port, ssl_context=self.ssl_context())

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES, middlewares=[client_gone])
        app.router.add_post("/sts", self._handle_issue)
        app.router.add_get("/sts/health", self._handle_health)
        return app

    async def _handle_health(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True, "issued": self.issued})

    async def _handle_issue(self, request: web.Request) -> web.StreamResponse:
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        try:
            if not der:
                raise _Refusal("FailedAuthentication", "klientcertifikat mangler")
            cert = x509.load_der_x509_certificate(der)
            fp = fingerprint(cert)
            cvr = self.registered.get(fp)
            if cvr is None:
                self.refused.append(cert.subject.rfc4514_string())
                log.info("STS refused an unregistered certificate")
                raise _Refusal("FailedAuthentication", "certifikatet er ikke tilmeldt")
            body = await request.read()
            applies_to, claimed_cvr, use_key = self._parse_request(body)
            if claimed_cvr is not None and claimed_cvr != cvr:
                raise _Refusal("InvalidRequest", "CVR passer ikke til certifikatet")
            if use_key is not None and use_key != der:
                raise _Refusal("InvalidRequest", "UseKey er ikke klientcertifikatet")
        except _Refusal as refusal:
            return self._fault(refusal)
        assertion = self._assertion(cert, cvr, applies_to)
        self.issued += 1
        return web.Response(
            body=self._response(assertion, applies_to),
            content_type=SOAP12_CONTENT_TYPE.split(";")[0],
            charset="utf-8",
        )

    def _parse_request(self, body: bytes) -> tuple[str, str | None, bytes | None]:
        try:
            root = parse_xml(body)
        except etree.XMLSyntaxError:
            raise _Refusal("InvalidRequest", "anmodningen er ikke gyldig XML") from None
        rst = root.find(f"{q(NS_SOAP12, 'Body')}/{q(NS_WST, 'RequestSecurityToken')}")
        if rst is None:
            raise _Refusal("InvalidRequest", "RequestSecurityToken mangler")
        if (rst.findtext(q(NS_WST, "RequestType")) or "").strip() != REQUEST_TYPE_ISSUE:
            raise _Refusal("InvalidRequest", "RequestType skal være Issue")
        if (rst.findtext(q(NS_WST, "TokenType")) or TOKEN_TYPE_SAML20).strip() != TOKEN_TYPE_SAML20:
            raise _Refusal("InvalidRequest", "kun SAML 2.0-tokens udstedes")
        key_type = (rst.findtext(q(NS_WST, "KeyType")) or KEY_TYPE_PUBLIC).strip()
        if key_type != KEY_TYPE_PUBLIC:
            raise _Refusal("InvalidRequest", "kun KeyType PublicKey understøttes")
        applies_to = (
            rst.findtext(
                f"{q(NS_WSP, 'AppliesTo')}/{q(NS_WSA, 'EndpointReference')}/{q(NS_WSA, 'Address')}"
            )
            or ""
        ).strip()
        if applies_to not in self.config.audiences:
            raise _Refusal("InvalidRequest", "ukendt tjeneste i AppliesTo")
        claimed = None
        for claim in rst.iterfind(f"{q(NS_WST, 'Claims')}/{q(NS_AUTH, 'ClaimType')}"):
            if claim.get("Uri") == CVR_CLAIM:
                claimed = (claim.findtext(q(NS_AUTH, "Value")) or "").strip()
        use_key = None
        bst = rst.findtext(f"{q(NS_WST, 'UseKey')}/{q(NS_WSSE, 'BinarySecurityToken')}")
        if bst:
            try:
                use_key = base64.b64decode(bst.strip(), validate=True)
            except ValueError:
                raise _Refusal("InvalidRequest", "UseKey kan ikke læses") from None
        return applies_to, claimed, use_key

    def _assertion(self, cert: x509.Certificate, cvr: str, audience: str) -> etree._Element:
        now = self._clock()
        nsmap = {"saml": NS_SAML, "ds": NS_DS, "xsi": NS_XSI}
        a = etree.Element(
            q(NS_SAML, "Assertion"),
            nsmap=nsmap,
            ID=f"_{uuid.uuid4()}",
            IssueInstant=xml_datetime(now),
            Version="2.0",
        )
        etree.SubElement(a, q(NS_SAML, "Issuer")).text = self.config.issuer
        etree.SubElement(a, q(NS_DS, "Signature"), Id="placeholder")
        subject = etree.SubElement(a, q(NS_SAML, "Subject"))
        etree.SubElement(
            subject,
            q(NS_SAML, "NameID"),
            Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
        ).text = cert.subject.rfc4514_string()
        confirmation = etree.SubElement(
            subject,
            q(NS_SAML, "SubjectConfirmation"),
            Method="urn:oasis:names:tc:SAML:2.0:cm:holder-of-key",
        )
        data = etree.SubElement(confirmation, q(NS_SAML, "SubjectConfirmationData"))
        data.set(q(NS_XSI, "type"), "saml:KeyInfoConfirmationDataType")
        key_info = etree.SubElement(data, q(NS_DS, "KeyInfo"))
        x509_data = etree.SubElement(key_info, q(NS_DS, "X509Data"))
        etree.SubElement(x509_data, q(NS_DS, "X509Certificate")).text = base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)
        ).decode("ascii")
        conditions = etree.SubElement(
            a,
            q(NS_SAML, "Conditions"),
            NotBefore=xml_datetime(now),
            NotOnOrAfter=xml_datetime(now + self.lifetime),
        )
        restriction = etree.SubElement(conditions, q(NS_SAML, "AudienceRestriction"))
        etree.SubElement(restriction, q(NS_SAML, "Audience")).text = audience
        statement = etree.SubElement(a, q(NS_SAML, "AttributeStatement"))
        attr = etree.SubElement(statement, q(NS_SAML, "Attribute"), Name=CVR_CLAIM)
        etree.SubElement(attr, q(NS_SAML, "AttributeValue")).text = cvr
        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=self._signature_method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        signed: etree._Element = signer.sign(
            a,
            key=self._signing_key_pem,
            cert=self._signing_cert_pem.decode("ascii"),
            reference_uri=a.get("ID"),
            id_attribute="ID",
        )
        if self.tamper_next > 0:
            self.tamper_next -= 1
            value = signed.find(
                f"{q(NS_SAML, 'AttributeStatement')}/{q(NS_SAML, 'Attribute')}/"
                f"{q(NS_SAML, 'AttributeValue')}"
            )
            if value is not None:
                value.text = "99999999"
        return signed

    def _response(self, assertion: etree._Element, applies_to: str) -> bytes:
        env = etree.Element(
            q(NS_SOAP12, "Envelope"),
            nsmap={"s": NS_SOAP12, "wsa": NS_WSA, "wst": NS_WST, "wsp": NS_WSP, "wsu": NS_WSU},
        )
        header = etree.SubElement(env, q(NS_SOAP12, "Header"))
        etree.SubElement(header, q(NS_WSA, "Action")).text = ACTION_ISSUE_FINAL
        body = etree.SubElement(env, q(NS_SOAP12, "Body"))
        coll = etree.SubElement(body, q(NS_WST, "RequestSecurityTokenResponseCollection"))
        rstr = etree.SubElement(coll, q(NS_WST, "RequestSecurityTokenResponse"))
        etree.SubElement(rstr, q(NS_WST, "TokenType")).text = TOKEN_TYPE_SAML20
        etree.SubElement(rstr, q(NS_WST, "RequestedSecurityToken")).append(assertion)
        applies = etree.SubElement(rstr, q(NS_WSP, "AppliesTo"))
        epr = etree.SubElement(applies, q(NS_WSA, "EndpointReference"))
        etree.SubElement(epr, q(NS_WSA, "Address")).text = applies_to
        conditions = assertion.find(q(NS_SAML, "Conditions"))
        lifetime = etree.SubElement(rstr, q(NS_WST, "Lifetime"))
        if conditions is not None:
            etree.SubElement(lifetime, q(NS_WSU, "Created")).text = conditions.get("NotBefore")
            etree.SubElement(lifetime, q(NS_WSU, "Expires")).text = conditions.get("NotOnOrAfter")
        return etree.tostring(env, xml_declaration=True, encoding="utf-8")

    def _fault(self, refusal: _Refusal) -> web.Response:
        env = etree.Element(q(NS_SOAP12, "Envelope"), nsmap={"s": NS_SOAP12, "wst": NS_WST})
        body = etree.SubElement(env, q(NS_SOAP12, "Body"))
        fault = etree.SubElement(body, q(NS_SOAP12, "Fault"))
        code = etree.SubElement(fault, q(NS_SOAP12, "Code"))
        etree.SubElement(code, q(NS_SOAP12, "Value")).text = "s:Sender"
        sub = etree.SubElement(code, q(NS_SOAP12, "Subcode"))
        etree.SubElement(sub, q(NS_SOAP12, "Value")).text = f"wst:{refusal.subcode}"
        reason = etree.SubElement(fault, q(NS_SOAP12, "Reason"))
        text = etree.SubElement(reason, q(NS_SOAP12, "Text"))
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "da")
        text.text = refusal.text
        return web.Response(
            status=400,
            body=etree.tostring(env, xml_declaration=True, encoding="utf-8"),
            content_type=SOAP12_CONTENT_TYPE.split(";")[0],
            charset="utf-8",
        )


async def start_sts(
    config: StsServerConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> SandboxSts:
    sts = SandboxSts(config, clock=clock)
    await sts.start_tls(host, port)
    log.info("sandbox STS listening on %s", sts.url)
    return sts
