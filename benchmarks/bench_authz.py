"""The gateway's role checks (issue 11, `app.gateway.authz`): `authz_overhead_ms`, the median
extra time per mailbox call that the role × operation check adds. PostListe (a page of 50 items,
headers only) and PostHent are answered in-process by `app.gateway.soap.answer` against a real
SQLite store with a users' directory, alternately with the checks on and bypassed (no role
lookup, as a gateway without a directory), many calls each, interleaved so drift hits both
sides alike: the median of the paired differences. `authz_check_us` is the check alone (role
lookup + table, microseconds), `authz_call_ms` the median call with the checks on (for scale)."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ITEMS = 50
CALLS = 2000
CHECKS = 200_000
CVR = "29189846"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"


def _envelope(inner: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:mb="https://postfordeler.dk/xml/schemas/Mailbox/1/"
  xmlns:auth="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"
  xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
<soap:Header><wsse:Security><wsse:UsernameToken><wsse:Username>dora</wsse:Username>
<wsse:Password>x</wsse:Password><wsse:Nonce>bm9uY2U=</wsse:Nonce>
<wsu:Created xmlns:wsu="{WSU}">2026-11-20T09:00:00Z</wsu:Created></wsse:UsernameToken>
</wsse:Security></soap:Header><soap:Body>{inner}</soap:Body></soap:Envelope>""".encode()


def _authority() -> str:
    return f"<auth:AuthorityContext><auth:MunicipalityCVR>{CVR}</auth:MunicipalityCVR></auth:AuthorityContext>"


def bench_authz() -> dict[str, Any]:
    from app.gateway import authz, soap
    from app.gateway.store import GatewayStore, utcnow
    from app.gateway.storekey import create_key_file
    from app.gateway.users import UserDirectory, make_user
    from tests.conftest import MESSAGES

    directory = UserDirectory(
        [
            make_user("dora", "distributor", "Team Modtagelse", None),
            make_user("adam", "administrator", "Team Modtagelse", None),
        ]
    )

    def role_of(user: str) -> str | None:
        found = directory.get(user)
        return "" if found is None else str(found.role)

    with tempfile.TemporaryDirectory() as tmp:
        create_key_file(Path(tmp) / "store.key")
        store = GatewayStore(
            f"sqlite:///{Path(tmp) / 'gw.sqlite3'}", key_file=Path(tmp) / "store.key"
        )
        try:
            now = utcnow()
            for path in sorted(MESSAGES.glob("*.xml"))[:ITEMS]:
                store.insert_message(
                    message_uuid=str(uuid.uuid4()),
                    memo=path.read_bytes(),
                    kind="nyhenvendelse",
                    memo_version="1.2",
                    contact_point_id="kp-1",
                    received_at=now,
                )
            on = soap.SoapContext(store, municipality_cvr=CVR, can_see=directory.can_see)
            on.role_of = role_of
            off = soap.SoapContext(store, municipality_cvr=CVR, can_see=directory.can_see)
            liste = soap.prepare(
                _envelope(
                    f"<mb:PostListeRequest>{_authority()}<mb:EfterElementID>0</mb:EfterElementID>"
                    "<mb:MedIndhold>false</mb:MedIndhold></mb:PostListeRequest>"
                )
            )
            hent = soap.prepare(
                _envelope(
                    f"<mb:PostHentRequest>{_authority()}<mb:ElementID>1</mb:ElementID>"
                    "</mb:PostHentRequest>"
                )
            )
            assert not isinstance(liste, tuple) and not isinstance(hent, tuple)
            for request in (liste, hent):  # both answer 200 with the checks on
                assert soap.answer(request, on)[0] == 200
            times: dict[str, list[float]] = {"on": [], "off": []}
            for i in range(CALLS):
                request = liste if i % 2 else hent
                order = (("on", on), ("off", off)) if i % 4 < 2 else (("off", off), ("on", on))
                for name, ctx in order:
                    t = time.perf_counter()
                    soap.answer(request, ctx)
                    times[name].append((time.perf_counter() - t) * 1000)
            extra = [a - b for a, b in zip(times["on"], times["off"], strict=True)]
            # the check alone (what `soap._dispatch` adds): role lookup + table
            t = time.perf_counter()
            for i in range(CHECKS):
                authz.refusal(role_of("dora"), "PostHent" if i % 2 else "PostListe")
            check_us = (time.perf_counter() - t) / CHECKS * 1e6
        finally:
            store.close()
    return {
        # the median of paired differences: within the noise of a ~2 ms call
        "authz_overhead_ms": round(statistics.median(extra), 4),
        "authz_check_us": round(check_us, 2),
        "authz_call_ms": round(statistics.median(times["on"]), 3),
        "authz_calls": CALLS,
    }


BENCHMARKS = {"authz": bench_authz}
