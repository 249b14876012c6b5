"""Deadlines for slow peers (slowloris): a request's headers and body must arrive in bounded time.

- Headers: aiohttp closes a connection whose handler waits for the next request longer than
  its `keepalive_timeout`, and that timer is not renewed by incoming bytes; the gateway sets it
  to `GatewayConfig.header_timeout`, so the request line and headers of every request (the
  first on a connection and each one after) must be complete within that time. Header lines,
  fields and their number are bounded too (`HEADER_LIMITS`).
- Body: `read_chunks` reads a body chunk by chunk; each chunk must come within `timeout`, and
  the whole body at no less than `min_rate` bytes/s after the first `timeout` seconds. A peer
  that is slower gets `BodyTooSlow`, which the gateway answers with 408 and a closed connection
  (`slow_body_middleware`), freeing everything the request held.
- Answers: `write_within` sends one slice of a response; a peer that does not take it within
  `timeout` (a slow reader holding a big MeMo download or page open) loses the connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import StreamReader, web
from aiohttp.typedefs import Handler

log = logging.getLogger("postfordeler.gateway")

# aiohttp's request parser: the longest request or header line, header field, header count
HEADER_LIMITS = {"max_line_size": 8190, "max_field_size": 8190, "max_headers": 100}


class BodyTooSlow(Exception):
    """The peer sends its request body too slowly."""


async def read_chunks(
    content: StreamReader, *, chunk: int, timeout: float, min_rate: float
) -> AsyncIterator[bytes]:
    """The body's chunks (up to `chunk` bytes each); BodyTooSlow when the peer is too slow."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    got = 0
    while True:
        remaining = min(timeout, start + timeout + got / min_rate - loop.time())
        if remaining <= 0:
            raise BodyTooSlow
        try:
            async with asyncio.timeout(remaining):
                data = await content.read(chunk)
        except TimeoutError:
            raise BodyTooSlow from None
        if not data:
            return
        got += len(data)
        yield data


async def write_within(
    request: web.Request, resp: web.StreamResponse, data: bytes | memoryview, timeout: float
) -> None:
    """`resp.write(data)`, or the connection aborted when the peer does not read it in time
    (ConnectionResetError, which the gateway's `client_gone` answers quietly)."""
    try:
        async with asyncio.timeout(timeout):
            await resp.write(data)
    except TimeoutError:
        log.info("closed a connection that read too slowly (%s %s)", request.method, request.path)
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("the peer reads too slowly") from None


@web.middleware
async def slow_body_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BodyTooSlow:
        log.info("closed a slow connection during %s %s", request.method, request.path)
        refused = web.Response(status=408, text="Forespørgslen kom for langsomt")
        refused.force_close()
        return refused


__all__ = [
    "HEADER_LIMITS",
    "BodyTooSlow",
    "read_chunks",
    "slow_body_middleware",
    "write_within",
]
