"""Client of the gateway's mailbox SOAP service (zeep, async transport).

`MailboxClient` loads the WSDL served at `{base}/mailbox?wsdl` (in a worker thread, on first use,
so the event loop never blocks on it), calls operations through `zeep.proxy.AsyncServiceProxy`
with an httpx async transport and a WS-Security UsernameToken, and hands back small frozen
dataclasses. Big replies (a page of MeMo messages) are deserialised by zeep in a worker thread so
a Qt/qasync loop never stalls on them.

Errors: `MailboxError(code, text)` when the gateway refuses (do not retry);
`MailboxUnavailable` for network trouble, timeouts, HTTP 5xx and temporary (soap:Server) faults
(retry with backoff). Never logs message content or secrets.

TLS: an `https://` gateway is verified against `ca_bundle` (a PEM file of trusted CAs), else
the standard `SSL_CERT_FILE` / `SSL_CERT_DIR` variables, else the system store
(`app.sf1606.tls.trust_context`); a gateway whose certificate does not verify is
`MailboxUnavailable` with code `TLS` (configuration, not the network).

Big messages: pass `inline_max_bytes` to `list_items`/`fetch` and items above it come with
`memo_inline=False` and `memo == b""`; `download_memo(item, dest)` then streams the raw MeMo
from `GET {base}/mailbox/items/{id}/memo` (HTTP Basic, same user/secret, with a fresh nonce and time: `app.sf1606.fresh_auth`) to a file and checks
its size and sha256 against the listing. Without `inline_max_bytes` every MeMo is inlined.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.tls import trust_context
from app.sf1606.wsse_token import fresh_username_token

if TYPE_CHECKING:
    import httpx
    import zeep
    from zeep.exceptions import Fault
    from zeep.proxy import AsyncServiceProxy

log = logging.getLogger("postfordeler.mailbox")

WSDL_NS = "https://postfordeler.dk/xml/wsdl/soap11/Mailbox/1/"
BINDING = f"{{{WSDL_NS}}}MailboxBinding"
SPF_NS = "http://serviceplatformen.dk/xml/schemas/ServiceplatformFault/1/"
_THREAD_FROM_BYTES = 128 * 1024  # replies larger than this are deserialised off the loop
BIG_MEMO_BYTES = 8 * 1024 * 1024  # suggested inline_max_bytes: bigger MeMo are downloaded
MEMO_PATH = "/mailbox/items/{item_id}/memo"


class MailboxError(Exception):
    """The gateway refused the request (a business or authentication fault). Not retryable."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


class MailboxUnavailable(Exception):
    """The gateway could not be reached or had temporary trouble. Retryable."""

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text if code is None else f"{code}: {text}")
        self.code = code
        self.text = text


@dataclass(frozen=True, slots=True)
class MailboxItem:
    item_id: int
    message_uuid: str
    received_at: datetime  # UTC, the gateway's receipt time
    contact_point_id: str | None
    kind: str
    memo: bytes
    status: str  # ny | fordelt | behandlet
    outcome: str | None
    claimed_by: str | None
    claim_expires_at: datetime | None
    outcome_case_id: str | None = None
    outcome_user: str | None = None
    memo_version: str | None = None
    size: int = 0
    sha256: str | None = None
    memo_inline: bool = True  # False: `memo` is b""; fetch it with MailboxClient.download_memo
    # The delivery state of the item's decision, the team's truth (issue 9; None: a gateway
    # that does not report it): ny, afventer, sendt, accepteret, afvist_af_dubu, fejlet,
    # afsluttet; with the reason, the decision's kind and id, and the follow-up flag.
    delivery_state: str | None = None
    delivery_reason: str | None = None
    decision_kind: str | None = None
    decision_id: str | None = None
    follow_up: bool = False
    # a conflict: the sender's messageUUID the gateway already had with other content (this
    # item keeps the other content under its own MeddelelseUUID); None for an ordinary item
    conflict_of: str | None = None


@dataclass(frozen=True, slots=True)
class MailboxPage:
    items: tuple[MailboxItem, ...]
    next_cursor: int
    more: bool


@dataclass(frozen=True, slots=True)
class ClaimInfo:
    item_id: int
    user: str
    claimed_at: datetime
    expires_at: datetime

    @property
    def claimed_by(self) -> str:
        return self.user


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _item(el: Any) -> MailboxItem:
    return MailboxItem(
        item_id=int(el.ElementID),
        message_uuid=el.MeddelelseUUID,
        received_at=_utc(el.ModtagetTidspunkt),
        contact_point_id=el.KontaktpunktID,
        kind=el.Art,
        memo=el.MeMo if el.MeMo is not None else b"",
        status=el.Status,
        outcome=el.Udfald,
        claimed_by=el.ReserveretAf,
        claim_expires_at=_utc_or_none(el.ReservationUdloeb),
        outcome_case_id=el.UdfaldSagID,
        outcome_user=el.UdfaldBruger,
        memo_version=el.MeMoVersion,
        size=int(el.Stoerrelse),
        sha256=el.Sha256,
        memo_inline=el.MeMoInline is not False,
        delivery_state=_opt(el, "deliveryState"),
        delivery_reason=_opt(el, "deliveryReason"),
        decision_kind=_opt(el, "decisionKind"),
        decision_id=_opt(el, "decisionId"),
        follow_up=bool(_opt_any(el, "followUp") or False),
        conflict_of=_opt(el, "conflictOf"),
    )


def _opt_any(el: Any, name: str) -> Any:
    """An optional element of a listed item (absent in the WSDL of an older gateway)."""
    try:
        return getattr(el, name)
    except (AttributeError, KeyError):
        return None


def _opt(el: Any, name: str) -> str | None:
    value = _opt_any(el, name)
    return str(value) if value not in (None, "") else None


def _claim(el: Any) -> ClaimInfo:
    return ClaimInfo(
        int(el.ElementID),
        el.Bruger,
        _utc(el.ReserveretTidspunkt),
        _utc(el.UdloebTidspunkt),
    )


class MailboxClient:
    """One user's connection to a gateway mailbox. Create it anywhere; use it from one loop."""

    def __init__(
        self,
        gateway_base_url: str,
        *,
        municipality_cvr: str,
        user: str,
        secret: str,
        timeout: float = 30.0,
        ca_bundle: str | Path | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """`ca_bundle`: PEM file the gateway's certificate must chain to (None: the system
        store, `SSL_CERT_FILE` honoured); `ssl_context` overrides it (e.g. a client cert)."""
        self.base_url = gateway_base_url.rstrip("/")
        self.ssl_context = ssl_context if ssl_context is not None else trust_context(ca_bundle)
        self.wsdl_url = f"{self.base_url}/mailbox?wsdl"
        self.address = f"{self.base_url}/mailbox"
        self.municipality_cvr = municipality_cvr
        self.user = user
        self._secret = secret
        self.timeout = timeout
        self._client: zeep.AsyncClient | None = None
        self._service: AsyncServiceProxy | None = None
        self._binding: Any = None  # zeep's Soap11Binding (replies are processed through it)
        self._load_lock = asyncio.Lock()
        self._build_lock = threading.Lock()
        self._http: httpx.AsyncClient | None = None  # for raw MeMo downloads (lazy)
        self._known: dict[int, tuple[int, str]] = {}  # item_id -> (size, sha256) of big items

    # -- setup --

    def _build(self) -> tuple[zeep.AsyncClient, AsyncServiceProxy]:
        import httpx
        import zeep
        from zeep.proxy import AsyncServiceProxy
        from zeep.transports import AsyncTransport

        with self._build_lock:
            limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
            # zeep ships a py.typed marker but leaves most signatures unannotated.
            transport = AsyncTransport(  # type: ignore[no-untyped-call]
                client=httpx.AsyncClient(
                    timeout=self.timeout, limits=limits, verify=self.ssl_context
                ),
                wsdl_client=httpx.Client(timeout=self.timeout, verify=self.ssl_context),
            )
            try:
                settings = zeep.Settings(raw_response=True, xml_huge_tree=True, strict=True)
                client = zeep.AsyncClient(  # type: ignore[no-untyped-call]
                    self.wsdl_url,
                    transport=transport,
                    settings=settings,
                    wsse=fresh_username_token(self.user, self._secret),
                )
            finally:
                transport.wsdl_client.close()  # the WSDL is loaded; no further sync fetches
            service = AsyncServiceProxy(  # type: ignore[no-untyped-call]
                client, client.wsdl.bindings[BINDING], address=self.address
            )
            return client, service

    async def _ensure(self) -> AsyncServiceProxy:
        if self._service is not None:
            return self._service
        async with self._load_lock:
            if self._service is None:
                import httpx
                from zeep import exceptions as zx

                try:
                    client, service = await asyncio.to_thread(self._build)
                except (httpx.HTTPError, OSError, zx.TransportError, zx.XMLSyntaxError) as exc:
                    raise _map_exception(exc, "WSDL") from exc
                self._client, self._service = client, service
                self._binding = service._binding
        return self._service

    async def close(self) -> None:
        client, self._client, self._service = self._client, None, None
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()
        if client is not None:
            await client.transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- calling --

    async def _call(self, operation: str, **kwargs: Any) -> Any:
        service = await self._ensure()
        kwargs["AuthorityContext"] = {"MunicipalityCVR": self.municipality_cvr}
        try:
            response = await getattr(service, operation)(**kwargs)
            operation_obj = self._binding.get(operation)
            if len(response.content) > _THREAD_FROM_BYTES:
                return await asyncio.to_thread(
                    self._binding.process_reply, self._client, operation_obj, response
                )
            return self._binding.process_reply(self._client, operation_obj, response)
        except (MailboxError, MailboxUnavailable):
            raise
        except Exception as exc:
            raise _map_exception(exc, operation) from exc

    async def list_items(
        self, after: int, limit: int = 200, *, inline_max_bytes: int | None = None
    ) -> MailboxPage:
        """Items with item_id > after (a page; `more` says whether to call again).

        `inline_max_bytes`: MeMo above this size are not inlined (`memo_inline=False`)."""
        extra = {} if inline_max_bytes is None else {"MaksInlineStoerrelse": int(inline_max_bytes)}
        result = await self._call(
            "PostListe", EfterElementID=int(after), MaksAntal=max(1, min(int(limit), 1000)), **extra
        )
        items = tuple(_item(el) for el in (result.PostElement or ()))
        self._remember(items)
        return MailboxPage(items, int(result.NaesteElementID), bool(result.FlereElementer))

    async def fetch(self, item_id: int, *, inline_max_bytes: int | None = None) -> MailboxItem:
        extra = {} if inline_max_bytes is None else {"MaksInlineStoerrelse": int(inline_max_bytes)}
        item = _item(await self._call("PostHent", ElementID=int(item_id), **extra))
        self._remember((item,))
        return item

    def _remember(self, items: tuple[MailboxItem, ...]) -> None:
        for it in items:
            if not it.memo_inline and it.sha256:
                self._known[it.item_id] = (it.size, it.sha256.lower())

    async def download_memo(self, item: int | MailboxItem, dest: Path) -> tuple[int, str]:
        """Stream one item's raw MeMo to `dest`; returns (size, sha256) after checking both
        against the listing (a `MailboxItem`, the last listing that named the item, or a
        metadata-only PostHent). The file appears at `dest` only when complete and verified.
        Raises `MailboxUnavailable` (retry) on network trouble or a mismatch."""
        import httpx

        expected: tuple[int, str] | None
        if isinstance(item, MailboxItem):
            item_id, expected = item.item_id, (item.size, (item.sha256 or "").lower())
        else:
            item_id = int(item)
            expected = self._known.get(item_id)
            if expected is None:
                meta = await self.fetch(item_id, inline_max_bytes=0)
                expected = (meta.size, (meta.sha256 or "").lower())
        dest = Path(dest)
        part = dest.with_name(dest.name + ".part")
        http = self._http
        if http is None:
            http = self._http = httpx.AsyncClient(
                timeout=self.timeout,
                auth=FreshBasicAuth(self.user, self._secret),
                verify=self.ssl_context,
            )
        url = self.base_url + MEMO_PATH.format(item_id=item_id)
        digest = hashlib.sha256()
        size = 0
        try:
            async with http.stream("GET", url) as resp:
                if resp.status_code in (401, 403):
                    await resp.aread()
                    raise MailboxError("AUTENTIFIKATION", _refusal_text(resp.text))
                if resp.status_code in (429, 503):
                    raise MailboxUnavailable(
                        f"Postkassen er optaget (HTTP {resp.status_code}, MeMo); prøv igen om lidt"
                    )
                if resp.status_code == 404:
                    raise MailboxError("UKENDT_ELEMENT", f"Element {item_id} findes ikke")
                if resp.status_code != 200:
                    raise MailboxUnavailable(f"Postkassen svarede HTTP {resp.status_code} (MeMo)")
                with part.open("wb") as fh:
                    async for chunk in resp.aiter_raw(1 << 20):
                        digest.update(chunk)
                        size += len(chunk)
                        await asyncio.to_thread(fh.write, chunk)  # the loop never waits on disk
                    fh.flush()
                    await asyncio.to_thread(os.fsync, fh.fileno())
        except (MailboxError, MailboxUnavailable):
            part.unlink(missing_ok=True)
            raise
        except (httpx.HTTPError, OSError) as exc:
            part.unlink(missing_ok=True)
            raise MailboxUnavailable(
                f"Postkassen kan ikke nås (MeMo: {type(exc).__name__})"
            ) from exc
        got = (size, digest.hexdigest())
        if got != expected:
            part.unlink(missing_ok=True)
            raise MailboxUnavailable(
                "Den hentede meddelelse passer ikke med postkassens størrelse/kontrolsum",
                "KONTROLSUM",
            )
        os.replace(part, dest)
        self._known.pop(item_id, None)
        return got

    async def record_outcome(
        self, item_id: int, outcome: str, *, case_id: str | None = None, note: str | None = None
    ) -> None:
        await self._call(
            "UdfaldRegistrer", ElementID=int(item_id), Udfald=outcome, SagID=case_id, Notat=note
        )

    async def claim(self, item_id: int, lease_seconds: int = 300) -> ClaimInfo:
        result = await self._call(
            "ReservationOpret", ElementID=int(item_id), VarighedSekunder=max(1, int(lease_seconds))
        )
        return _claim(result)

    async def release(self, item_id: int) -> None:
        await self._call("ReservationFrigiv", ElementID=int(item_id))

    async def claims(self) -> list[ClaimInfo]:
        result = await self._call("ReservationListe")
        return [_claim(el) for el in (result or ())]


def _map_exception(exc: BaseException, what: str) -> Exception:
    import httpx
    from zeep import exceptions as zx

    if isinstance(exc, zx.Fault):
        code, text = _fault_details(exc)
        if (exc.code or "").endswith("Server"):
            return MailboxUnavailable(text, code)
        return MailboxError(code, text)
    if isinstance(exc, zx.TransportError):
        status = exc.status_code or 0
        if status >= 500 or status == 0:
            return MailboxUnavailable(f"Postkassen svarede HTTP {status or 'ugyldigt'} ({what})")
        return MailboxError(f"HTTP_{status}", f"Postkassen svarede HTTP {status} ({what})")
    if isinstance(exc, ssl.SSLCertVerificationError) or (
        isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(exc)
    ):
        return MailboxUnavailable(
            f"Postkassens certifikat kan ikke verificeres ({what}); kontrollér CA-filen", "TLS"
        )
    if isinstance(
        exc,
        (
            httpx.TransportError,
            TimeoutError,
            asyncio.TimeoutError,
            ConnectionError,
            OSError,
            zx.XMLSyntaxError,
        ),
    ):
        return MailboxUnavailable(f"Postkassen kan ikke nås ({what}: {type(exc).__name__})")
    if isinstance(exc, (zx.ValidationError, TypeError, ValueError)):
        return MailboxError("UGYLDIG_FORESPOERGSEL", f"{what}: {exc}"[:300])
    return MailboxUnavailable(f"Uventet fejl mod postkassen ({what}: {type(exc).__name__})")


def _fault_details(fault: Fault) -> tuple[str, str]:
    detail = getattr(fault, "detail", None)
    if detail is not None:
        code = detail.findtext(f".//{{{SPF_NS}}}ErrorCode")
        text = detail.findtext(f".//{{{SPF_NS}}}ErrorText")
        if code:
            return code.strip(), (text or fault.message or "").strip()
    return "FEJL", (fault.message or "Ukendt fejl").strip()


def _refusal_text(body: str) -> str:
    """The gateway's one-line reason of a refused login (plain text), or the usual one."""
    line = " ".join(body.split())[:300]
    return line or "Ukendt bruger eller forkert adgangskode"
