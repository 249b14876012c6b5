"""A WS-Security UsernameToken (PasswordText) with a fresh `wsse:Nonce` and `wsu:Created` on
every call, for zeep. zeep's own `UsernameToken` adds them only with PasswordDigest, and the
gateway refuses a token without them (`app.gateway.login_guard`: replay protection).

Imported lazily by `app.sf1606.mailbox_client` (zeep is heavy)."""

from __future__ import annotations

from typing import Any

from zeep.wsse import utils
from zeep.wsse.username import UsernameToken

from app.sf1606.fresh_auth import created_now, new_nonce

BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)


class FreshUsernameToken(UsernameToken):
    """PasswordText + a new Nonce and Created per call (never a fixed nonce)."""

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password, use_digest=False)  # type: ignore[no-untyped-call]

    def _create_password_text(self) -> list[Any]:
        return [
            *super()._create_password_text(),  # type: ignore[no-untyped-call]
            utils.WSSE.Nonce(new_nonce(), EncodingType=BASE64_BINARY),
            utils.WSU.Created(created_now()),
        ]


__all__ = ["FreshUsernameToken"]
