"""A storage node's redirect is not followed: a 307 would send the upload's JSON-RPC POST to any address (a
reviewer); it is that node's failure (HTTP 307)."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from stack_cfo.config.storage import StorageConfig
from stack_cfo.zerog.storage.client import ZeroGStorageStore
from stack_cfo.zerog.storage.errors import StorageUnavailable


async def test_a_nodes_redirect_is_a_failure_not_followed() -> None:
    caught: list[bytes] = []

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"http://127.0.0.1:{port}/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        caught.append(await request.read())
        return web.json_response({"jsonrpc": "2.0", "id": 1, "result": None})

    app = web.Application()
    app.router.add_post("/", redirect)
    app.router.add_post("/elsewhere", elsewhere)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            client = ZeroGStorageStore(StorageConfig(), session=session)
            with pytest.raises(StorageUnavailable) as ei:
                await client._rpc(f"http://127.0.0.1:{port}/", "zgs_uploadSegmentsByTxSeq", [[], 1])
            assert "307" in str(ei.value) and caught == []
    finally:
        await runner.cleanup()
