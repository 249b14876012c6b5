"""Client of the gateway's decision API (REST JSON on the gateway's HTTPS listener).

The desktop client and the headless `postfordeler decide` / `status` commands hand every typed
decision to the gateway, which delivers it to SF2900 from its own durable outbox (desktops hold
no Serviceplatformen certificate, SSH key or token):

- `submit(decision_id, message_uuid, action, decision)` → `POST /decisions`; the answer is the
  item's delivery state (`DeliveryStatus`). `decision_id` is the idempotency key: the same id
  again gets the same answer and is one delivery.
- `status(message_uuid)` → `GET /items/{message_uuid}/status`.
- `policy()` / `set_policy(...)` → `GET` / `PUT /policy` (the municipality's workflow: the
  desktop offers exactly `allowed_actions`), `backlog()` → `GET /backlog`, and the access log:
  `audit_deliver`, `audit_high_water`, `audit_query` (app/gateway/team.py).

Authentication: HTTP Basic with the same user and secret as the mailbox, plus a fresh nonce and
creation time on every request (`app.sf1606.fresh_auth`: the gateway refuses a replay); a 429
(too many failed logins, busy login check) is `GatewayUnavailable`, retried later. TLS: an `https://`
gateway is verified against `ca_bundle` (PEM), else `SSL_CERT_FILE` / `SSL_CERT_DIR`, else the
system store (`app.sf1606.tls.trust_context`), exactly like `MailboxClient`.

Errors: `GatewayRefused(code, message, status)` for a 4xx answer (permanent: the decision is
refused as it is; `message` is the gateway's Danish one-liner); `GatewayUnavailable` for network
trouble, timeouts, TLS verification failure (code `TLS`) and HTTP 5xx (retry later). Never logs
the secret or decision content.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Self
from urllib.parse import quote

import httpx

from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.tls import trust_context

__all__ = [
    "DELIVERY_STATES",
    "DeliveryStatus",
    "GatewayClient",
    "GatewayRefused",
    "GatewayUnavailable",
]

log = logging.getLogger("postfordeler.gateway_client")

DECISIONS_PATH: Final = "/decisions"
STATUS_PATH: Final = "/items/{message_uuid}/status"
RECEIVERS_PATH: Final = "/receivers"
POLICY_PATH: Final = "/policy"
BACKLOG_PATH: Final = "/backlog"
AUDIT_EVENTS_PATH: Final = "/audit/events"
AUDIT_HIGH_WATER_PATH: Final = "/audit/high-water"
AUDIT_QUERY_PATH: Final = "/audit/query"
MAX_RECEIVERS: Final = 500
MAX_ANSWER: Final = 8 * 1024 * 1024  # an indsigt answer or a policy can be large

# The delivery states of DESIGN9 (`lokal` exists only on the client, never on the wire).
DELIVERY_STATES: Final = (
    "ny",
    "lokal",
    "afventer",
    "sendt",
    "accepteret",
    "afvist_af_dubu",
    "fejlet",
    "afsluttet",
)


class GatewayRefused(Exception):
    """The gateway refused the request (HTTP 4xx). Permanent; `message` is Danish, one line."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class GatewayUnavailable(Exception):
    """The gateway could not be reached or had temporary trouble. Retryable."""

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """An item's delivery state as the gateway answers it (`POST /decisions`, status)."""

    state: str
    decision: str | None = None  # action of the decision (journalise, assign, reject, forward)
    reason: str | None = None
    decision_id: str | None = None
    message_uuid: str | None = None
    follow_up: bool = False
    updated_at: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeliveryStatus:
        state = data.get("state")
        if not isinstance(state, str) or state not in DELIVERY_STATES:
            raise GatewayUnavailable("Gatewayen gav et ugyldigt svar (ukendt tilstand)")

        def opt(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        return cls(
            state=state,
            decision=opt("decision"),
            reason=opt("reason"),
            decision_id=opt("decision_id"),
            message_uuid=opt("message_uuid"),
            follow_up=bool(data.get("follow_up") or False),
            updated_at=opt("updated_at"),
        )


class GatewayClient:
    """One user's connection to the gateway's decision API. Use it from one event loop."""

    def __init__(
        self,
        gateway_base_url: str,
        *,
        user: str,
        secret: str,
        timeout: float = 30.0,
        ca_bundle: str | Path | None = None,
        ssl_context: ssl.SSLContext | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        """`auth`: instead of the user secret, e.g. the OIDC bearer (`app.oidc.BearerHttpAuth`)."""
        self.base_url = gateway_base_url.rstrip("/")
        self.user = user
        self.timeout = timeout
        self.ssl_context = ssl_context if ssl_context is not None else trust_context(ca_bundle)
        self._http = httpx.AsyncClient(
            timeout=timeout,
            auth=auth if auth is not None else FreshBasicAuth(user, secret),
            verify=self.ssl_context,
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def submit(
        self,
        decision_id: str,
        message_uuid: str,
        action: str,
        decision: Mapping[str, Any],
    ) -> DeliveryStatus:
        """`POST /decisions`: hand one decision to the gateway. The same `decision_id` again is
        answered with the same state (one delivery)."""
        body = {
            "decision_id": decision_id,
            "message_uuid": message_uuid,
            "action": action,
            "decision": dict(decision),
        }
        data = await self._request("POST", DECISIONS_PATH, json_body=body)
        return DeliveryStatus.from_json(data)

    async def status(self, message_uuid: str) -> DeliveryStatus:
        """`GET /items/{message_uuid}/status`: the item's delivery state at the gateway."""
        path = STATUS_PATH.format(message_uuid=quote(message_uuid, safe=""))
        return DeliveryStatus.from_json(await self._request("GET", path))

    async def receivers(self) -> list[tuple[str, str]]:
        """`GET /receivers`: (system uuid, name) of the receiving systems Videresend offers,
        as the gateway has them from SF2900."""
        return [(rid, name) for rid, name, _kle in await self.receiving_systems()]

    async def receiving_systems(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """`GET /receivers` with each system's KLE subjects: (uuid, name, KLE subjects)."""
        data = await self._request("GET", RECEIVERS_PATH)
        found = data.get("receivers")
        if not isinstance(found, list):
            raise GatewayUnavailable("Gatewayen gav et ugyldigt svar (ingen modtagerliste)")
        out: list[tuple[str, str, tuple[str, ...]]] = []
        for entry in found[:MAX_RECEIVERS]:
            if not isinstance(entry, dict):
                continue
            rid, name = entry.get("id"), entry.get("name")
            kle = entry.get("kle")
            subjects = tuple(
                k[:8] for k in (kle if isinstance(kle, list) else [])[:50] if isinstance(k, str)
            )
            if isinstance(rid, str) and isinstance(name, str) and rid and name:
                out.append((rid[:64], _one_line(name)[:200], subjects))
        return out

    async def policy(self) -> dict[str, Any]:
        """`GET /policy`: the municipality's policy in force: {"version", "author", "at",
        "reason", "policy", "allowed_actions", "missing" (action -> why not), "role"}."""
        return await self._request("GET", POLICY_PATH)

    async def set_policy(self, policy: Mapping[str, Any], reason: str) -> dict[str, Any]:
        """`PUT /policy`: a new version (administrators only; else GatewayRefused ROLLE)."""
        return await self._request(
            "PUT", POLICY_PATH, json_body={"policy": dict(policy), "reason": reason}
        )

    async def backlog(self) -> dict[str, Any]:
        """`GET /backlog`: {"open", "older_than_frist", "by_status", "by_assignee", ...}."""
        return await self._request("GET", BACKLOG_PATH)

    async def backlog_items(
        self, bucket: str, assignee: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """`GET /backlog/items`: the items behind one backlog figure (drill-down)."""
        query = f"?bucket={quote(bucket)}&limit={int(limit)}"
        if assignee:
            query += "&assignee=" + quote(assignee)
        data = await self._request("GET", BACKLOG_PATH + "/items" + query)
        items = data.get("items")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    async def reassign(
        self,
        from_caseworker: str,
        to_caseworker: str,
        reason: str,
        message_uuids: list[str] | None = None,
    ) -> dict[str, Any]:
        """`POST /reassign` (team leads): a caseworker's open items (or the given ones) to
        another: {"reassigned": [message_uuid...], "skipped": [{"message_uuid", "reason"}]}."""
        body: dict[str, Any] = {
            "from_caseworker": from_caseworker,
            "to_caseworker": to_caseworker,
            "reason": reason,
        }
        if message_uuids is not None:
            body["message_uuids"] = list(message_uuids)
        return await self._request("POST", "/reassign", json_body=body)

    async def audit_high_water(self, source: str) -> int:
        data = await self._request("GET", AUDIT_HIGH_WATER_PATH + "?source=" + quote(source))
        value = data.get("high_water")
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    async def audit_deliver(self, source: str, events: list[dict[str, Any]]) -> int:
        """`POST /audit/events`: buffered access-log events (ids make a redelivery a no-op)."""
        data = await self._request(
            "POST", AUDIT_EVENTS_PATH, json_body={"source": source, "events": events}
        )
        added = data.get("added")
        return added if isinstance(added, int) else 0

    async def audit_query(self, cpr: str) -> list[dict[str, Any]]:
        """`POST /audit/query`: every logged access to one citizen across all PCs (the CPR
        travels in the body; the gateway logs the query itself first)."""
        data = await self._request("POST", AUDIT_QUERY_PATH, json_body={"cpr": cpr})
        entries = data.get("entries")
        return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []

    async def _request(
        self, method: str, path: str, *, json_body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        url = self.base_url + path
        try:
            resp = await self._http.request(method, url, json=json_body)
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or isinstance(
                exc.__cause__, ssl.SSLCertVerificationError
            ):
                raise GatewayUnavailable(
                    "Gatewayens certifikat kan ikke verificeres; kontrollér CA-filen", "TLS"
                ) from exc
            raise GatewayUnavailable(f"Gatewayen kan ikke nås ({type(exc).__name__})") from exc
        except (httpx.HTTPError, OSError) as exc:
            raise GatewayUnavailable(f"Gatewayen kan ikke nås ({type(exc).__name__})") from exc
        content = resp.content[:MAX_ANSWER]
        if resp.status_code >= 500 or resp.status_code == 429:
            # 429: too many failed logins or a busy login check (Retry-After): retry later
            raise GatewayUnavailable(_server_reason(content, resp.status_code))
        if resp.status_code == 403 and _refusal_code(content) not in (None, "AUTENTIFIKATION"):
            pass  # a refusal with its own reason (policy, role): read below
        elif resp.status_code in (401, 403):
            try:
                said = json.loads(content).get("message")
            except (ValueError, AttributeError):
                said = None
            raise GatewayRefused(
                "AUTENTIFIKATION",
                _one_line(said)
                if isinstance(said, str) and said.strip()
                else "Ukendt bruger eller forkert adgangskode",
                resp.status_code,
            )
        try:
            data = json.loads(content) if content else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if 400 <= resp.status_code < 500:
                raise GatewayRefused(
                    f"HTTP_{resp.status_code}",
                    f"Gatewayen afviste forespørgslen (HTTP {resp.status_code})",
                    resp.status_code,
                )
            raise GatewayUnavailable("Gatewayen gav et ugyldigt svar (ikke JSON)")
        if 400 <= resp.status_code < 500:
            code = data.get("error")
            message = data.get("message")
            raise GatewayRefused(
                code if isinstance(code, str) and code else f"HTTP_{resp.status_code}",
                _one_line(message)
                if isinstance(message, str) and message.strip()
                else f"Gatewayen afviste forespørgslen (HTTP {resp.status_code})",
                resp.status_code,
            )
        if resp.status_code != 200:
            raise GatewayUnavailable(f"Gatewayen svarede HTTP {resp.status_code}")
        return data


def _refusal_code(content: bytes) -> str | None:
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) and code else None


def _server_reason(content: bytes, status: int) -> str:
    """The gateway's own one-line reason of a 5xx answer (its JSON `message`), else the code."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        data = None
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(message, str) and message.strip():
        return f"Gatewayen svarede HTTP {status}: {_one_line(message)[:200]}"
    return f"Gatewayen svarede HTTP {status}"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
