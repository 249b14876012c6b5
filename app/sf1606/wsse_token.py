"""A WS-Security UsernameToken (PasswordText) with a fresh `wsse:Nonce` and `wsu:Created` on
every call, for zeep. zeep's own `UsernameToken` adds them only with PasswordDigest, and the
gateway refuses a token without them (`app.gateway.login_guard`: replay protection).

zeep is heavy: it is imported when the first token is made, not with this module."""

from __future__ import annotations

import functools
from typing import Any

from app.sf1606.fresh_auth import created_now, new_nonce

BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)


@functools.cache
def _token_class() -> type[Any]:
    from zeep.wsse import utils
    from zeep.wsse.username import UsernameToken

    class FreshUsernameToken(UsernameToken):
        """PasswordText + a new Nonce and Created per call (never a fixed nonce)."""

        def _create_password_text(self) -> list[Any]:
            return [
                *super()._create_password_text(),  # type: ignore[no-untyped-call]
                utils.WSSE.Nonce(new_nonce(), EncodingType=BASE64_BINARY),
                utils.WSU.Created(created_now()),
            ]

    return FreshUsernameToken


def fresh_username_token(username: str, password: str) -> Any:
    """zeep's `wsse=` for a mailbox user: PasswordText with a fresh nonce and time per call."""
    return _token_class()(username, password, use_digest=False)


__all__ = ["fresh_username_token"]
