"""Fresh credentials for every call to the gateway, so a captured request cannot be replayed.

The gateway refuses a request whose creation time is more than five minutes off or whose nonce
it has seen before (`app.gateway.login_guard`). The mailbox's SOAP calls carry both in the
WS-Security UsernameToken (`wsse:Nonce`, `wsu:Created`, next to the PasswordText; see
`app.sf1606.wsse_token`); the REST routes (`POST /decisions`, status, the MeMo download) carry
them as the headers `NONCE_HEADER` and `CREATED_HEADER` next to HTTP Basic (`FreshBasicAuth`).

Never logs the secret.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Final

import httpx

NONCE_HEADER: Final = "X-Postfordeler-Nonce"
CREATED_HEADER: Final = "X-Postfordeler-Created"


def new_nonce() -> str:
    """16 random bytes, base64 (as WS-Security's Base64Binary nonce)."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def created_now() -> str:
    """Now, UTC, ISO 8601 with milliseconds and a Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def fresh_headers() -> dict[str, str]:
    return {NONCE_HEADER: new_nonce(), CREATED_HEADER: created_now()}


class FreshBasicAuth(httpx.Auth):
    """HTTP Basic plus a new nonce and creation time on every request (retries included)."""

    def __init__(self, user: str, secret: str) -> None:
        self._basic = httpx.BasicAuth(user, secret)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(fresh_headers())
        yield from self._basic.auth_flow(request)


__all__ = [
    "CREATED_HEADER",
    "NONCE_HEADER",
    "FreshBasicAuth",
    "created_now",
    "fresh_headers",
    "new_nonce",
]
