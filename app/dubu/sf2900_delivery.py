"""SF2900 as published: the gateway's one entry point to Serviceplatformen's distribution.

`Sf2900Delivery` (built from `Sf2900Settings`) uploads each file of a decision to
Serviceplatformen's SFTP (EP_AS5, app/dubu/sftp_upload.py, asyncssh) under the spec's name,
then sends each DOKUMENT / JOURNALPOST (EP_AS1, `Sf2900Client` in app/dubu/sf2900_client.py,
which also holds the value types and `document_parts`) with a SAML
token from the STS in the WS-Security header (app/dubu/sts_client.py; `auth="sts"`, the spec's
default) or AuthorityContext + the FOCES certificate on the TLS connection
(`auth="authority"`, by dispensation). A separate module so that what needs only the value
types never loads the SSH and XML-signature libraries.

How the gateway's delivery worker uses it (one decision; persist each step before the next):

    delivery = Sf2900Delivery(settings)                      # once per process
    part = PartUpload(decision_id, i, safe_name, mime, content=file_bytes)
    uploaded = await delivery.upload(part)                   # step "uploaded": remote name,
    remote = Sf2900Delivery.remote_file(part, uploaded)      #   size, sha256
    objs = document_parts(decision, decision_id=decision_id, user=user, letter=letter,
                          files=[remote, ...], case=case)    # parts 0..n (+ the journal note)
    result = await delivery.send(objs[n])                    # step "sent":
    result.distribution_transaktions_id                      #   Serviceplatformen's id

`delivery.remote_name(decision_id, i, name, mime)` gives the remote name before any upload, so
after a crash a `RemoteFile` can be rebuilt from the stored row. A repeated upload of the same
name is harmless (same bytes: `already_present`), a repeated send answers DUPLIKAT
(`result.duplicate`, success). The business receipt comes later to app/gateway/receipts.py.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from lxml import etree

from app.dubu.sf2900_client import (
    POSTFORDELER_SYSTEM_UUID,
    Receiver,
    RemoteFile,
    Sf2900Client,
    Sf2900Document,
    Sf2900JournalNote,
    Sf2900Rejected,
    Sf2900Result,
    Sf2900Unavailable,
    check_uuid,
)
from app.dubu.sftp_names import document_file_uuid, file_extension, sagsdokument_name
from app.dubu.sftp_upload import SftpConfig, SftpSession, UploadedFile, upload_document
from app.dubu.sts_client import StsClient, StsConfig, StsError, security_header
from app.resources import resource

MAX_SOAP_BYTES = 10 * 1024 * 1024  # spec 3.1.3.5 #5: a web service call above 10 MB is refused
AUTH_MODES = ("sts", "authority")
# FejlKode values that mean "the security token was refused" (the sandbox's; Serviceplatformen's
# own codes are to be confirmed, README): the cached token is dropped before the retry.
TOKEN_REFUSED_CODES = frozenset({"SP-TOKEN"})


class Sf2900TooLarge(Sf2900Rejected):
    """The SOAP request would exceed the spec's size limit: never sent, never retried."""


@dataclass(frozen=True)
class Sf2900Settings:
    """Everything `Sf2900Delivery` needs (the gateway reads it from its credentials).

    `auth="sts"` (the spec's default): each call carries a SAML token from the STS (`sts`),
    fetched with the municipality's FOCES certificate (`client_cert`/`client_key`, also the TLS
    client certificate towards SF2900); no AuthorityContext. `auth="authority"` (by
    dispensation): AuthorityContext/MunicipalityCVR + the certificate on the TLS connection.
    `ca_file` verifies Serviceplatformen's server certificates (None: the system store)."""

    service_url: str
    municipality_cvr: str
    sftp: SftpConfig
    auth: str = "sts"
    sts: StsConfig | None = None
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    routing_cvr: str | None = None
    system_uuid: str = POSTFORDELER_SYSTEM_UUID
    timeout: float = 30.0
    max_request_bytes: int = MAX_SOAP_BYTES

    def __post_init__(self) -> None:
        if self.auth not in AUTH_MODES:
            raise ValueError(f"auth skal være en af {AUTH_MODES}, fik {self.auth!r}")
        if self.auth == "sts" and self.sts is None:
            raise ValueError("auth='sts' kræver STS-indstillinger")
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("klientcertifikat og nøgle skal angives sammen")
        if not re.fullmatch(r"\d{8}", self.municipality_cvr):
            raise ValueError("kommunens CVR skal være 8 cifre")

    def ssl_context(self) -> ssl.SSLContext:
        """TLS towards Serviceplatformen (SF2900 and STS): verify against `ca_file`, present
        the FOCES certificate when configured (its key file must be private: 0600/0400)."""
        ctx = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        if self.client_cert is not None and self.client_key is not None:
            mode = os.stat(self.client_key).st_mode
            if os.name == "posix" and mode & 0o077:
                raise ValueError(
                    f"nøglefilen {self.client_key} kan læses af andre end ejeren; kræver 0600"
                )
            ctx.load_cert_chain(str(self.client_cert), str(self.client_key))
        return ctx


@dataclass(frozen=True)
class PartUpload:
    """One file of a decision to upload before its DOKUMENT is sent: file number `file_index`
    of the letter (0 = main document), its own safe name and MIME type, and the bytes
    (`content`) or a local file (`path`)."""

    decision_id: str
    file_index: int
    file_name: str
    mime: str
    content: bytes | None = field(default=None, repr=False)
    path: Path | None = None

    def __post_init__(self) -> None:
        check_uuid(self.decision_id, "beslutningens UUID")
        if (self.content is None) == (self.path is None):
            raise ValueError("angiv enten content eller path")
        if self.file_index < 0:
            raise ValueError("filnummeret skal være 0 eller større")


class Sf2900Delivery:
    """The gateway's one entry point to SF2900 (see the module docstring and DESIGN9):
    `upload(part)` puts a file on Serviceplatformen's SFTP (EP_AS5) under the spec's name,
    `send(obj)` sends one published DOKUMENT/JOURNALPOST (EP_AS1) with the STS token (or
    AuthorityContext). Errors: upload raises `SftpUploadError` (`transient` says retry); send
    raises `Sf2900Rejected` (never retry) or `Sf2900Unavailable` (retry with the same object;
    also when no STS token can be had). Create once, reuse, `await close()`."""

    def __init__(
        self,
        settings: Sf2900Settings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        sts: StsClient | None = None,
    ) -> None:
        self.settings = settings
        self.sftp = SftpSession(settings.sftp)  # one SSH connection for every upload
        ctx = ssl_context or settings.ssl_context()
        self._own_sts = False
        if settings.auth == "sts" and sts is None:
            assert settings.sts is not None
            sts = StsClient(settings.sts, ctx)
            self._own_sts = True
        self.sts = sts if settings.auth == "sts" else None
        self.client = Sf2900Client(
            settings.service_url,
            municipality_cvr=settings.municipality_cvr,
            wsdl=resource(
                "sf2900",
                "wsdl",
                "token" if settings.auth == "sts" else "context",
                "DistributionService.wsdl",
            ),
            timeout=settings.timeout,
            system_uuid=settings.system_uuid,
            routing_cvr=settings.routing_cvr,
            ssl_context=ctx,
            authority_context=settings.auth == "authority",
            security_header=self._security_header if self.sts is not None else None,
        )

    async def _security_header(self) -> etree._Element:
        assert self.sts is not None
        try:
            token = await self.sts.token()
        except StsError as exc:
            raise Sf2900Unavailable(f"intet STS-token: {exc}") from exc
        return security_header(token, datetime.now(UTC))

    def remote_name(self, decision_id: str, file_index: int, file_name: str, mime: str) -> str:
        """The spec's SFTP name of file `file_index` of a decision:
        `<SFTP user>_SAGSDOKUMENT_<uuid>.<EXT>`, the same on every retry and node."""
        return sagsdokument_name(
            self.settings.sftp.username,
            document_file_uuid(decision_id, file_index),
            file_extension(file_name, mime),
        )

    async def upload(self, part: PartUpload) -> UploadedFile:
        """Upload one file (atomic, idempotent by name; see app/dubu/sftp_upload.py)."""
        name = self.remote_name(part.decision_id, part.file_index, part.file_name, part.mime)
        source: Path | bytes = part.path if part.path is not None else part.content or b""
        return await upload_document(self.settings.sftp, source, name, session=self.sftp)

    @staticmethod
    def remote_file(part: PartUpload, uploaded: UploadedFile) -> RemoteFile:
        """The `RemoteFile` a DOKUMENT names after `upload(part)` returned `uploaded`."""
        return RemoteFile(
            remote_name=uploaded.remote_name,
            name=part.file_name,
            mime=part.mime,
            size=uploaded.size,
            sha256=uploaded.sha256,
        )

    def request_size(self, obj: Sf2900Document | Sf2900JournalNote) -> int:
        """Bytes of the SOAP envelope for `obj` (without the security header)."""
        node = self.client.create_message(
            "FordelingsobjektAfsend", **self.client.afsend_kwargs(obj)
        )
        return len(etree.tostring(node))

    async def send(self, obj: Sf2900Document | Sf2900JournalNote) -> Sf2900Result:
        """Send one published object; the result is the technical receipt (MODTAGET, or
        DUPLIKAT for a repeat) with the DistributionTransaktionsID."""
        size = await asyncio.to_thread(self.request_size, obj)
        if size > self.settings.max_request_bytes - 64 * 1024:  # room for the token header
            raise Sf2900TooLarge(
                f"SOAP-kaldet er for stort ({size} bytes; grænsen er "
                f"{self.settings.max_request_bytes} bytes)",
                status="FOR_STOR",
            )
        try:
            return await self.client.send(obj)
        except Sf2900Unavailable as exc:
            if self.sts is not None and TOKEN_REFUSED_CODES.intersection(exc.codes):
                self.sts.invalidate()  # refused token: fetch a new one on the retry
            raise

    async def receivers(self, kle: str) -> list[Receiver]:
        """`FordelingsmodtagerList` for one KLE subject, with the same security as `send`
        (what the gateway's `GET /receivers` asks for Videresend)."""
        return await self.client.receivers(kle)

    async def close(self) -> None:
        await self.sftp.close()
        await self.client.close()
        if self.sts is not None and self._own_sts:
            await asyncio.to_thread(self.sts.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
