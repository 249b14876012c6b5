"""Attackers guessing passwords: N concurrent clients sending wrong passwords to a gateway's
mailbox (SOAP UsernameToken) and REST routes (HTTP Basic), each with a fresh nonce and time so
every attempt reaches the password check. Runs as its own process (an outside attacker, not
sharing the gateway's interpreter):

    python -m tests.hostile.login_flood BASE_URL SECONDS CONCURRENCY [USER ...]

Prints "started", then, after SECONDS or as soon as its stdin is closed, one JSON line:
attempts per HTTP status. Used by tests/hostile/test_logins.py
and benchmarks/bench_logins.py. Synthetic data only.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys
import time
import uuid

import httpx

from app.sf1606.fresh_auth import FreshBasicAuth, created_now, new_nonce

CVR = "29189129"
# as app.gateway.soap.WSU_NS (not imported: this process stays light, httpx only)
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"


def envelope(
    user: str,
    password: str,
    *,
    nonce: str | None = None,
    created: str | None = None,
    content: bool = False,
) -> bytes:
    """A PostListe call with a PasswordText UsernameToken (fresh nonce and time by default)."""
    nonce = new_nonce() if nonce is None else nonce
    created = created_now() if created is None else created
    nonce_el = f"<wsse:Nonce>{nonce}</wsse:Nonce>" if nonce else ""
    created_el = f'<wsu:Created xmlns:wsu="{WSU_NS}">{created}</wsu:Created>' if created else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:mb="https://postfordeler.dk/xml/schemas/Mailbox/1/"
  xmlns:auth="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"
  xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
<soap:Header><wsse:Security><wsse:UsernameToken><wsse:Username>{user}</wsse:Username>
<wsse:Password>{password}</wsse:Password>{nonce_el}{created_el}</wsse:UsernameToken></wsse:Security></soap:Header>
<soap:Body><mb:PostListeRequest><auth:AuthorityContext><auth:MunicipalityCVR>{CVR}</auth:MunicipalityCVR>
</auth:AuthorityContext><mb:EfterElementID>0</mb:EfterElementID><mb:MedIndhold>{"true" if content else "false"}</mb:MedIndhold>
</mb:PostListeRequest></soap:Body></soap:Envelope>""".encode()


async def flood(base: str, seconds: float, concurrency: int, users: list[str]) -> dict[str, int]:
    counts: collections.Counter[str] = collections.Counter()
    stop = time.monotonic() + seconds
    done = asyncio.Event()

    async def watch_stdin() -> None:
        await asyncio.to_thread(sys.stdin.read)
        done.set()

    watcher = asyncio.create_task(watch_stdin())
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def attacker(n: int) -> None:
            i = 0
            while time.monotonic() < stop and not done.is_set():
                user = users[(n + i) % len(users)]
                guess = f"gæt-{n}-{i}"
                i += 1
                try:
                    if i % 2:
                        resp = await http.post(
                            base + "/mailbox",
                            content=envelope(user, guess),
                            headers={"Content-Type": "text/xml"},
                        )
                    else:
                        resp = await http.get(
                            f"{base}/items/{uuid.uuid4()}/status", auth=FreshBasicAuth(user, guess)
                        )
                    counts[str(resp.status_code)] += 1
                except httpx.HTTPError as exc:
                    counts[type(exc).__name__] += 1

        await asyncio.gather(*(attacker(n) for n in range(concurrency)))
    watcher.cancel()
    return dict(counts)


def main() -> None:
    base, seconds, concurrency, *users = sys.argv[1:]
    print("started", flush=True)
    result = asyncio.run(flood(base, float(seconds), int(concurrency), users or ["anna", "x"]))
    print(json.dumps(result), flush=True)
    os._exit(0)  # the stdin reader thread may still block


if __name__ == "__main__":
    main()
