"""Client ↔ gateway versions: the client asks the gateway's `/health` (sending its own version
in `X-Postfordeler-Version`); the gateway answers its `version` and the lowest client version
it accepts (`min_client_version`). Incompatible → one plain Danish sentence for the user.

A gateway from before this exchange answers no version: that is reported as unknown, not as
incompatible. Never logs message content; Qt-free.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from app.version import build_info, compatible

log = logging.getLogger("postfordeler.compat")
VERSION_HEADER = "X-Postfordeler-Version"


@dataclass(frozen=True)
class Compatibility:
    ok: bool
    client_version: str
    gateway_version: str  # "" when the gateway did not say
    min_client_version: str
    message: str  # Danish, one sentence; "" when ok


def judge(client_version: str, health: dict[str, object]) -> Compatibility:
    gateway = str(health.get("version") or "")
    minimum = str(health.get("min_client_version") or "")
    if not minimum:
        return Compatibility(True, client_version, gateway, "", "")
    try:
        ok = compatible(client_version, minimum)
    except ValueError:
        ok = False
    message = (
        ""
        if ok
        else (
            f"Postfordeler {client_version} er for gammel til postserveren (version {gateway}), "
            f"som kræver mindst version {minimum}: bed IT om at opdatere Postfordeler på "
            "denne computer."
        )
    )
    return Compatibility(ok, client_version, gateway, minimum, message)


async def check_gateway(
    base_url: str, *, verify: str | bool = True, timeout: float = 10.0
) -> Compatibility:
    """Ask the gateway's `/health`; a gateway that cannot be reached raises httpx errors."""
    version = build_info().version
    async with httpx.AsyncClient(verify=verify, timeout=timeout) as client:
        response = await client.get(
            base_url.rstrip("/") + "/health", headers={VERSION_HEADER: version}
        )
    health = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    result = judge(version, health if isinstance(health, dict) else {})
    if not result.ok:
        log.warning(
            "client %s refused by gateway %s (needs >= %s)",
            version,
            result.gateway_version,
            result.min_client_version,
        )
    return result
