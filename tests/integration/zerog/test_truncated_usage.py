"""A stream that ends without [DONE] after the provider reported its usage keeps that usage and its fee (billed:
research/zerog.md "Truncated streams (no [DONE]) are still billed"): it was dropped, so such answers cost nothing
against the daily token budget, and a provider that never sent [DONE] answered without limit (a fault tester: 15 of
15 turns admitted under a budget that admits 6)."""

from __future__ import annotations

import pytest

from stack_cfo.core.ai import CompletionOptions, IncompleteCompletion, Message
from tests.integration.zerog.conftest import ClientFactory
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn, Reply

ASK = [Message("system", "You are a CFO."), Message("user", "How did my portfolio do this week?")]


async def test_the_usage_reported_before_a_stream_broke_is_kept(provider: ProviderStandIn,
                                                               make_client: ClientFactory) -> None:
    provider.default_reply = Reply.ok(done=False)
    client = make_client([provider])
    stream = client.stream(ASK, options=CompletionOptions(operation="chat"))
    with pytest.raises(IncompleteCompletion) as ei:
        async for _ in stream:
            pass
    partial = ei.value.partial
    assert partial.incomplete and partial.text == DEFAULT_TEXT
    assert partial.prompt_tokens == 11 and partial.completion_tokens > 0  # the stand-in counts words and pieces
    assert partial.fee_neuron == (partial.prompt_tokens * provider.input_price
                                  + partial.completion_tokens * provider.output_price)


async def test_an_answer_far_longer_than_max_tokens_is_cut(provider: ProviderStandIn,
                                                            make_client: ClientFactory) -> None:
    """5.4 MB of text (2,000 "tokens") made the chat stream's last message exceed gRPC's 8 MiB limit: the stream
    failed with RESOURCE_EXHAUSTED and no ``completed``, and every replay of it failed too (a fault tester)."""
    from stack_cfo.zerog.client import answer_limit

    provider.default_reply = Reply.ok("lorem ipsum dolor sit amet " * 20_000, chunks=200)
    client = make_client([provider])
    stream = client.stream(ASK, options=CompletionOptions(operation="chat"))
    got: list[str] = []
    with pytest.raises(IncompleteCompletion) as ei:
        async for delta in stream:
            got.append(delta)
    limit = answer_limit(4096)
    assert len("".join(got)) == limit == len(ei.value.partial.text) and ei.value.partial.incomplete
    assert "".join(got) == ("lorem ipsum dolor sit amet " * 20_000)[:limit]


async def test_a_json_answer_far_longer_than_max_tokens_is_cut_and_incomplete(
    provider: ProviderStandIn, make_client: ClientFactory
) -> None:
    """A JSON body (a provider that ignores ``stream``) is one read with its end in it: cut there, it was marked
    complete and verified (the receipt's text cut, its signed response whole: a reviewer)."""
    import json

    from stack_cfo.zerog.client import answer_limit

    text = "lorem ipsum dolor sit amet " * 12_000  # 324,000 characters
    body = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-oss-120b",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                       "usage": {"prompt_tokens": 11, "completion_tokens": 4000, "total_tokens": 4011}})
    provider.default_reply = Reply.raw_body(body, content_type="application/json")
    stream = make_client([provider]).stream(ASK, options=CompletionOptions(operation="chat"))
    with pytest.raises(IncompleteCompletion) as ei:
        async for _ in stream:
            pass
    partial = ei.value.partial
    assert partial.incomplete and partial.text == text[:answer_limit(4096)]
    assert partial.verification.value != "verified"
