"""Tests that post decisions over the wire claim the item first, as a client does: the gateway
records outcomes only on items the caller holds a claim on (app.gateway.authz)."""

from __future__ import annotations

from pathlib import Path

from app.sf1606.mailbox_client import ClaimInfo, MailboxClient


async def claim_by_uuid(
    base_url: str,
    *,
    cvr: str,
    user: str,
    secret: str,
    ca_bundle: str | Path,
    message_uuid: str,
    lease_seconds: int = 300,
) -> ClaimInfo:
    """Find the item by its message UUID through PostListe and claim it (ReservationOpret)."""
    async with MailboxClient(
        base_url, municipality_cvr=cvr, user=user, secret=secret, ca_bundle=ca_bundle
    ) as mailbox:
        after = 0
        while True:
            page = await mailbox.list_items(after, 500, inline_max_bytes=0)
            for item in page.items:
                if item.message_uuid == message_uuid:
                    return await mailbox.claim(item.item_id, lease_seconds)
            if not page.more:
                raise AssertionError(f"{message_uuid} is not in {user}'s mailbox")
            after = page.next_cursor
