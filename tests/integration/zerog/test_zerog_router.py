"""Router mode against the router stand-in, and router + direct failover."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.ai import CompletionOptions, Message, Verification
from stack_cfo.zerog import InsufficientFunds
from tests.integration.zerog.conftest import ClientFactory
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn, Reply, RouterStandIn
from tests.support.secrets import ZEROG_API_KEY

ASK = [Message("user", "Summarise my week.")]


async def test_router_streams_with_the_api_key_and_routing_hints(router: RouterStandIn, make_client: ClientFactory):
    client = make_client(None, router, router_provider="0x" + "ab" * 20, router_sort="latency")
    assert client.mode == "router"
    stream = client.stream(ASK)
    deltas = [d async for d in stream]
    r = stream.result
    assert r is not None and "".join(deltas) == DEFAULT_TEXT
    assert r.provider == "router"
    # The router exposes no provider signature: NOT_APPLICABLE as common.proto says; its own claim
    # (x_0g_trace.tee_verified) is kept for the receipt.
    assert r.verification is Verification.NOT_APPLICABLE and r.extra["router_tee_verified"] == "true"
    assert r.fee_neuron == 3000
    assert r.extra["router_provider"] == "0x" + "ab" * 20
    (req,) = router.requests
    assert req.path == "/v1/chat/completions"
    assert req.headers["Authorization"] == f"Bearer {ZEROG_API_KEY}"
    assert req.headers["X-0G-Provider-Address"] == "0x" + "ab" * 20
    assert req.headers["X-0G-Provider-Sort"] == "latency"
    body = req.json
    assert body["model"] == "gpt-oss-120b" and body["verify_tee"] is True and body["stream"] is True


async def test_router_tee_failure_claim_is_kept(router: RouterStandIn, make_client: ClientFactory):
    router.tee_verified = False
    r = await make_client(None, router).complete(ASK)
    assert r.text == DEFAULT_TEXT and r.verification is Verification.NOT_APPLICABLE
    assert r.extra["router_tee_verified"] == "false"


async def test_router_models_and_balance(router: RouterStandIn, make_client: ClientFactory):
    client = make_client(None, router)
    models = await client.models()
    assert [m["id"] for m in models] == ["gpt-oss-120b", "zai-org/GLM-5-FP8"]
    st = await client.account_status()
    assert st.mode == "router" and st.wallet_address is None
    (p,) = st.providers
    assert p.kind == "router" and p.balance == Decimal(5) and p.total_balance == Decimal(6)
    assert p.breaker_state == "closed" and p.error is None


async def test_router_402_is_insufficient_funds(router: RouterStandIn, make_client: ClientFactory):
    router.enqueue(Reply(status=402))
    with pytest.raises(InsufficientFunds) as info:
        await make_client(None, router).complete(ASK, options=CompletionOptions(fallback="x"))
    assert info.value.reason == "ZEROG_INSUFFICIENT_BALANCE"
    assert info.value.metadata["router_code"] == "insufficient_balance"
    assert router.count() == 1


async def test_router_rejects_a_bad_key_without_retry(router: RouterStandIn, make_client: ClientFactory):
    router.api_key = "sk-other"
    r = await make_client(None, router).complete(ASK, options=CompletionOptions(fallback="Numbers only."))
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_ROUTER_AUTH_REJECTED"
    assert router.count() == 1


async def test_router_429_and_503_are_retried(router: RouterStandIn, make_client: ClientFactory):
    router.enqueue(Reply.rate_limited(retry_after="0"), Reply(status=503))
    r = await make_client(None, router).complete(ASK)
    assert r.text == DEFAULT_TEXT
    assert [x.status for x in router.requests] == [429, 503, 200]


async def test_direct_first_then_router_failover(
    provider: ProviderStandIn, router: RouterStandIn, make_client: ClientFactory
):
    provider.default_reply = Reply.error(503, "down")
    client = make_client([provider], router)
    assert client.mode == "direct+router"
    assert client.upstream_names == [provider.address, "router"]
    r = await client.complete(ASK)
    assert r.provider == "router" and r.text == DEFAULT_TEXT
    assert provider.count() == 3 and router.count() == 1
