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
