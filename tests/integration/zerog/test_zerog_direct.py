"""Direct mode against the provider and chain stand-ins: answers, session tokens, verification, discovery."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from stack_cfo.core.ai import CompletionOptions, Message, Verification
from stack_cfo.core.clock import FrozenClock
from tests.integration.zerog.conftest import ONE_0G, ClientFactory
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn, Reply

ASK = [Message("system", "You are a CFO."), Message("user", "How did my portfolio do this week?")]


def _get_account_calls(chain: ChainStandIn) -> int:
    return sum(1 for m, p in chain.calls if m == "eth_call" and p[0]["data"].startswith("0xfd590847"))


def _token(header: str) -> dict[str, object]:
    raw = base64.b64decode(header.removeprefix("Bearer app-sk-")).decode()
    return json.loads(raw.partition("|")[0])


async def test_stream_yields_deltas_and_a_verified_result(provider: ProviderStandIn, make_client: ClientFactory):
    provider.default_reply = Reply.ok(chunk_delay=0.01)  # the model's pieces arrive apart
    client = make_client([provider])
    stream = client.stream(ASK, options=CompletionOptions(operation="chat"))
    deltas = [d async for d in stream]

    assert len(deltas) > 5  # arrived in pieces, not as one blob
    assert "".join(deltas) == DEFAULT_TEXT
    r = stream.result
    assert r is not None
    assert r.text == DEFAULT_TEXT
    assert r.provider == provider.address
    assert r.model == "gpt-oss-120b"
    assert r.verification is Verification.VERIFIED
    assert not r.degraded and not r.offline and not r.incomplete
    assert r.completion_tokens >= len(deltas)  # the stand-in counts pieces; some may arrive together
    assert r.prompt_tokens == 11  # the stand-in counts words
    assert r.fee_neuron == r.prompt_tokens * provider.input_price + r.completion_tokens * provider.output_price
    assert r.chat_id and provider.signatures[r.chat_id]
    sent = provider.requests[0]
    assert sent.path == "/v1/proxy/chat/completions"
    body = sent.json
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"][1] == {"role": "user", "content": "How did my portfolio do this week?"}
    assert body["max_tokens"] == 4096 and body["temperature"] == 0.7


async def test_complete_returns_the_whole_answer(provider: ProviderStandIn, make_client: ClientFactory):
    client = make_client([provider])
    r = await client.complete(ASK, options=CompletionOptions(max_tokens=64, temperature=0.1))
    assert r.text == DEFAULT_TEXT
    assert r.verification is Verification.VERIFIED
    assert provider.requests[0].json["max_tokens"] == 64
    assert provider.requests[0].json["temperature"] == 0.1


async def test_a_json_answer_is_accepted_when_a_provider_ignores_stream(
    provider: ProviderStandIn, make_client: ClientFactory, monkeypatch
):
    # Some OpenAI-compatible servers answer application/json even when asked to stream.
    original = provider._answer

    async def non_streaming(request, rec, reply, body, **kw):
        return await original(request, rec, reply, {**body, "stream": False}, **kw)

    monkeypatch.setattr(provider, "_answer", non_streaming)
    client = make_client([provider])
    r = await client.complete(ASK)
    assert r.text == DEFAULT_TEXT
    assert r.completion_tokens > 0
    assert r.verification is Verification.VERIFIED


async def test_session_token_is_reused_then_renewed_before_expiry(
    provider: ProviderStandIn, chain: ChainStandIn, make_client: ClientFactory, clock: FrozenClock
):
    provider.now = lambda: clock.now().timestamp()
    client = make_client([provider], clock=clock)
    await client.complete(ASK)
    await client.complete(ASK)
    first, second = (_token(r.headers["Authorization"]) for r in provider.requests if "chat" in r.path)
    assert first == second  # same token, same nonce: one signature for both requests
    assert _get_account_calls(chain) == 1

    clock.advance(hours=22, minutes=30)  # 1.5 h left: still reused
    await client.complete(ASK)
    third = _token([r for r in provider.requests if "chat" in r.path][-1].headers["Authorization"])
    assert third == first

    clock.advance(minutes=45)  # 45 min left: renewed
    await client.complete(ASK)
    fourth = _token([r for r in provider.requests if "chat" in r.path][-1].headers["Authorization"])
    assert fourth["nonce"] != first["nonce"]
    assert fourth["timestamp"] == int(clock.now().timestamp() * 1000)
    assert fourth["expiresAt"] - fourth["timestamp"] == 86_400_000
    assert _get_account_calls(chain) == 2  # generation re-read for the new token


async def test_token_fields_match_what_the_provider_checks(
    provider: ProviderStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    await make_client([provider]).complete(ASK)
    rec = provider.requests[0]
    assert rec.auth_error is None
    token = rec.token
    assert token is not None
    assert list(token) == ["address", "provider", "timestamp", "expiresAt", "nonce", "generation", "tokenId"]
    assert token["address"] == wallet.address
    assert str(token["provider"]).lower() == provider.address.lower()
    assert token["tokenId"] == 255 and token["generation"] == 0


async def test_revoked_generation_is_reread_and_the_request_succeeds(
    provider: ProviderStandIn, chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    client = make_client([provider])
    await client.complete(ASK)
    chain.revoke_all_tokens(wallet.address, provider.address)  # generation 0 -> 1

    r = await client.complete(ASK)

    chats = [x for x in provider.requests if "chat" in x.path]
    assert len(chats) == 3
    assert chats[1].auth_error == "session token has been revoked (generation expired)"
    assert chats[2].token is not None and chats[2].token["generation"] == 1
    assert r.text == DEFAULT_TEXT and not r.degraded


async def test_a_token_the_provider_keeps_refusing_is_renewed_once_only(
    provider: ProviderStandIn, make_client: ClientFactory, clock: FrozenClock
):
    # The provider's clock is two days ahead: every token looks expired to it.
    provider.now = lambda: clock.now().timestamp() + 2 * 86_400
    client = make_client([provider], clock=clock)
    r = await client.complete(ASK, options=CompletionOptions(fallback="Fallback text."))
    chats = [x for x in provider.requests if "chat" in x.path]
    assert [c.auth_error for c in chats] == ["session token expired", "session token expired"]
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_SESSION_REJECTED"


async def test_wrong_tee_signer_marks_the_answer_failed_but_keeps_it(
    provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.ok(wrong_tee_key=True))
    r = await make_client([provider]).complete(ASK)
    assert r.text == DEFAULT_TEXT
    assert r.verification is Verification.FAILED
    assert r.extra["verification_error"] == "signer_mismatch"
    assert r.extra["tee_signer"] == provider.other_tee.address


async def test_missing_signature_is_unavailable(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.ok(signature=False))
    r = await make_client([provider]).complete(ASK)
    assert r.text == DEFAULT_TEXT
    assert r.verification is Verification.UNAVAILABLE
    assert r.extra["verification_error"] == "http_404"


async def test_body_id_is_the_fallback_chat_id(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.ok(res_key_header=False))
    r = await make_client([provider]).complete(ASK)
    assert r.verification is Verification.VERIFIED  # chatcmpl-<key> -> <key>
    assert r.chat_id.startswith("chatcmpl-")


async def test_unacknowledged_tee_signer_is_an_unverified_service(
    provider: ProviderStandIn, chain: ChainStandIn, make_client: ClientFactory
):
    chain.add_service(provider.service_entry(tee_signer_acknowledged=False))
    r = await make_client([provider]).complete(ASK)
    assert r.text == DEFAULT_TEXT
    assert r.verification is Verification.UNVERIFIED_SERVICE
    assert provider.count("signature") == 0


async def test_target_separated_service_is_verified_against_the_target_tee(
    provider: ProviderStandIn, chain: ChainStandIn, make_client: ClientFactory
):
    info = json.dumps(
        {"ProviderType": "decentralized", "TargetSeparated": True, "TargetTeeAddress": provider.tee.address}
    )
    chain.add_service(provider.service_entry(tee_signer="0x" + "11" * 20, additional_info=info))
    r = await make_client([provider]).complete(ASK)
    assert r.verification is Verification.VERIFIED


async def test_provider_url_override_skips_discovery(
    provider: ProviderStandIn, chain: ChainStandIn, make_client: ClientFactory
):
    chain.services.clear()  # not even registered: the override must not need the record
    client = make_client([provider], provider_url=provider.url)
    r = await client.complete(ASK)
    assert r.text == DEFAULT_TEXT
    assert r.verification is Verification.UNVERIFIED_SERVICE  # no TEE signer known without discovery
    calls = [p for m, p in chain.calls if m == "eth_call"]
    assert all(not c[0]["data"].startswith("0x15a52302") for c in calls)  # no getService


async def test_providers_are_discovered_by_model_when_none_configured(
    chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    chain.set_ledger(wallet.address, 100 * ONE_0G)
    cheap, dear, other, unack = (ProviderStandIn(chain=chain) for _ in range(4))
    for p in (cheap, dear, other, unack):
        await p.start()
        chain.set_account(wallet.address, p.address, balance=10 * ONE_0G)
    try:
        chain.add_service(dear.service_entry(output_price=900))
        chain.add_service(other.service_entry(model="qwen-2.5-7b-instruct"))
        chain.add_service(unack.service_entry(output_price=1, tee_signer_acknowledged=False))
        chain.add_service(cheap.service_entry(output_price=500))
        client = make_client([])  # a wallet key, no provider ids

        r = await client.complete(ASK)

        assert r.provider == cheap.address
        assert client.upstream_names == [cheap.address, dear.address]
        assert other.count() == 0 and unack.count() == 0
    finally:
        for p in (cheap, dear, other, unack):
            await p.stop()


async def test_account_status_reports_balances_and_breakers(provider: ProviderStandIn, make_client: ClientFactory):
    client = make_client([provider])
    await client.complete(ASK)
    st = await client.account_status()
    assert st.mode == "direct"
    assert st.wallet_address is not None
    assert st.ledger_available == 100
    (p,) = st.providers
    assert p.name == provider.address and p.kind == "direct" and p.breaker_state == "closed"
    assert p.balance == 10 and p.pending_refund == 0
    assert p.unsettled_fee is not None and p.unsettled_fee > 0
    assert p.verifiable and p.verifiability == "TeeML" and p.tee_signer_address == provider.tee.address
    assert p.output_price_per_million == Decimal("0.49")  # 4.9e11 neuron per token
    assert p.error is None


async def test_account_status_survives_an_unreachable_chain(
    provider: ProviderStandIn, chain: ChainStandIn, make_client: ClientFactory
):
    client = make_client([provider])
    await chain.stop()
    st = await client.account_status()
    assert st.ledger_available is None and st.error == "ZEROG_CHAIN_ERROR"
    assert st.providers[0].error == "ZEROG_CHAIN_ERROR"


@pytest.mark.parametrize("pause", [0.0, 0.03])
async def test_consecutive_answers_reuse_their_connections(
    provider: ProviderStandIn, make_client: ClientFactory, pause: float
):
    """[DONE] arrives before the chunked body's last chunk (``pause`` later: the stand-in sleeps
    after each event): the connection is kept for the next request once the body has ended, not
    closed (a new TCP, in production a new TLS, handshake a turn). With a pause, the answer's
    verification request meanwhile takes a second connection; both are reused."""
    provider.default_reply = Reply.ok(chunks=4, chunk_delay=pause)
    client = make_client([provider])
    for _ in range(5):
        stream = client.stream(ASK, options=CompletionOptions(operation="chat"))
        assert "".join([d async for d in stream]) == DEFAULT_TEXT
        await asyncio.sleep(0.05 + pause)  # the body's end reaches the pool
    assert provider.count() == 5
    peers = {r.peer for r in provider.requests}
    assert len(peers) <= (1 if pause == 0 else 2), peers


async def test_pieces_that_arrive_together_are_one_delta(provider: ProviderStandIn, make_client: ClientFactory):
    """Unpaced, what one read of the provider's stream brings goes out as one delta: a burst of 30
    events is one piece of text (one gRPC write), never 30; pieces that arrive apart stay apart."""
    text = " ".join(f"w{i}" for i in range(30))
    provider.default_reply = Reply.ok(text=text, chunks=30, burst=True)
    client = make_client([provider])
    stream = client.stream(ASK, options=CompletionOptions(operation="chat"))
    got = [d async for d in stream]
    assert "".join(got) == text and stream.result is not None and stream.result.text == text
    assert stream.result.verification is Verification.VERIFIED
    assert len(got) <= 2, got  # the whole answer in one read (two if the write was split)

    provider.default_reply = Reply.ok(text=text, chunks=30, chunk_delay=0.02)
    stream = client.stream(ASK, options=CompletionOptions(operation="chat"))
    got = [d async for d in stream]
    assert "".join(got) == text
    assert len(got) >= 15, got  # 20 ms apart: (almost) each its own delta


async def test_a_paced_stream_yields_what_arrived_per_interval(provider: ProviderStandIn, make_client: ClientFactory):
    """``pace``: the first piece at once, then at most one delta per interval holding everything
    that arrived meanwhile; nothing lost, nothing reordered, the result as unpaced."""
    text = " ".join(f"w{i}" for i in range(30))
    provider.default_reply = Reply.ok(text=text, chunks=30, chunk_delay=0.01)
    client = make_client([provider])
    loop = asyncio.get_running_loop()
    stream = client.stream(ASK, options=CompletionOptions(operation="chat", pace=0.08))
    started = loop.time()
    got = [(loop.time(), d) async for d in stream]
    assert "".join(d for _, d in got) == text
    assert stream.result is not None and stream.result.text == text
    assert stream.result.verification is Verification.VERIFIED
    assert got[0][1].strip() == "w0" and got[0][0] - started < 0.07  # the first piece is never held
    assert 3 <= len(got) <= 8, [d for _, d in got]  # ~0.3 s of chunks at one delta per 0.08 s
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(got)]
    assert min(gaps[:-1]) >= 0.07, gaps  # (the last may follow [DONE] sooner)
