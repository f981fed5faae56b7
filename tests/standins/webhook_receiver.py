"""A local HTTPS webhook receiver that checks Standard Webhooks signatures with its own implementation.

The check is written here from the specification (https://www.standardwebhooks.com), independently of
``stack_cfo.core.notifications.webhooks``: the signed content is ``{webhook-id}.{webhook-timestamp}.{body}``,
the key is the base64 part of ``whsec_...``, the header holds space-separated ``v1,<base64>`` entries of
which one must match (constant-time), and the timestamp must be within five minutes.

Paths: ``/ok`` (verify, record, 204; 401 on a bad signature), ``/hang`` (never answers), ``/fail`` (500
forever), ``/limited`` (429 with ``Retry-After: 120``), ``/gone`` (404), ``/redirect`` (302 to ``/ok``),
``/big`` (200 and a 50 MB body, counting what it managed to write), ``/slow`` (answers 204 after
``latency`` seconds: the bench's receiver).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

BIG = 50 * 1024 * 1024


def verify_standard_webhook(secrets: list[str], headers: Any, body: bytes, *, tolerance: int = 300) -> bool:
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > tolerance:
        return False
    content = msg_id.encode() + b"." + stamp.encode() + b"." + body
    offered = [
        part.split(",", 1)[1] for part in headers.get("webhook-signature", "").split(" ") if part.startswith("v1,")
    ]
    for secret in secrets:
        assert secret.startswith("whsec_")
        key = base64.b64decode(secret[len("whsec_") :])
        expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            return True
    return False


class WebhookReceiver:
    def __init__(self, *, cert: tuple[Path, Path] | None = None, latency: float = 0.05) -> None:
        self.secrets: list[str] = []
        self.cert = cert
        self.latency = latency
        self.received: list[dict[str, Any]] = []
        self.rejected = 0
        self.hits: dict[str, int] = {}
        self.big_bytes_written = 0
        self.slow_count = 0
        self.fail_ok_first = 0  # the first N requests to /ok answer 503
        self.ids_seen: list[str] = []
        self._runner: web.AppRunner | None = None
        self._hanging: set[asyncio.Task[Any]] = set()
        self.port = 0

    def url(self, path: str, host: str = "localhost") -> str:
        scheme = "https" if self.cert else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    async def _count(self, request: web.Request) -> bytes:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        return await request.read()

    async def ok(self, request: web.Request) -> web.Response:
        body = await self._count(request)
        self.ids_seen.append(request.headers.get("webhook-id", ""))
        if self.fail_ok_first > 0:
            self.fail_ok_first -= 1
            return web.Response(status=503, text="try later")
        if not verify_standard_webhook(self.secrets, request.headers, body):
            self.rejected += 1
            return web.Response(status=401, text="bad signature")
        self.received.append({"headers": dict(request.headers), "body": json.loads(body)})
        return web.Response(status=204)

    async def hang(self, request: web.Request) -> web.Response:
        await self._count(request)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def fail(self, request: web.Request) -> web.Response:
        await self._count(request)
        return web.Response(status=500, text="boom")

    async def limited(self, request: web.Request) -> web.Response:
        await self._count(request)
        return web.Response(status=429, headers={"Retry-After": "120"})

    async def gone(self, request: web.Request) -> web.Response:
        await self._count(request)
        return web.Response(status=404)

    async def redirect(self, request: web.Request) -> web.Response:
        await self._count(request)
        raise web.HTTPFound(location="/ok")

    async def big(self, request: web.Request) -> web.StreamResponse:
        await self._count(request)
        resp = web.StreamResponse(status=200, headers={"Content-Length": str(BIG)})
        await resp.prepare(request)
        chunk = b"x" * (1024 * 1024)
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            for _ in range(BIG // len(chunk)):
                await resp.write(chunk)
                self.big_bytes_written += len(chunk)
        return resp

    async def slow(self, request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(self.latency)
        self.slow_count += 1
        return web.Response(status=204)

    async def start(self) -> WebhookReceiver:
        app = web.Application(client_max_size=1024 * 1024)
        for path, handler in (
            ("/ok", self.ok),
            ("/hang", self.hang),
            ("/fail", self.fail),
            ("/limited", self.limited),
            ("/gone", self.gone),
            ("/redirect", self.redirect),
            ("/big", self.big),
            ("/slow", self.slow),
        ):
            app.router.add_post(path, handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        ctx = None
        if self.cert is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(self.cert[0]), str(self.cert[1]))
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@contextlib.asynccontextmanager
async def https_receiver(directory: Path) -> AsyncIterator[WebhookReceiver]:
    """A receiver with a fresh self-signed certificate for localhost/127.0.0.1 (trust ``receiver.cert[0]``)."""
    from tests.standins.smtp import make_self_signed_cert

    receiver = await WebhookReceiver(cert=make_self_signed_cert(directory)).start()
    try:
        yield receiver
    finally:
        await receiver.stop()
