"""A provider's redirect is never followed: a 307 to another address sent the prompt (the user's portfolio data and
conversation) there, three times with the retries (a fault tester; compute_account.proto ComputeProvider.url:
"Service URL requests go to"). The redirect is that provider's failure: the next provider answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from stack_cfo.core.ai import CompletionOptions, Message, Verification
from tests.integration.zerog.conftest import ClientFactory
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn, Reply

ASK = [Message("system", "You are a CFO."), Message("user", "My portfolio data: secret figures.")]


@pytest.fixture
async def catcher() -> AsyncIterator[tuple[str, list[bytes]]]:
    """An address that records whatever is sent to it."""
    got: list[bytes] = []

    async def record(request: web.Request) -> web.Response:
        got.append(await request.read())
        return web.json_response({"error": "caught"}, status=500)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", got
    finally:
        await runner.cleanup()


async def test_a_redirect_is_a_failure_not_followed(
    provider: ProviderStandIn, provider2: ProviderStandIn, make_client: ClientFactory,
    catcher: tuple[str, list[bytes]],
) -> None:
    where, got = catcher
    provider.default_reply = Reply(status=307, location=f"{where}/v1/proxy/chat/completions")
    client = make_client([provider, provider2])
    r = await client.complete(ASK, options=CompletionOptions(operation="chat"))
    assert got == []  # nothing reached the other address
    assert r.text == DEFAULT_TEXT and r.provider == provider2.address and r.verification is Verification.VERIFIED
