"""Answers that cannot be read, through the real client against the provider and router stand-ins.

A 200 answer whose events are not JSON objects, or whose ``choices``/``delta``/``content`` have the
wrong type, or that carries no text at all, is a broken stream: after text an
:class:`IncompleteCompletion` with the partial, before text the offline writer (as for a cut
connection). A ``usage`` or ``x_0g_trace`` of the wrong shape is ignored (unknown, as when none is
sent); lone surrogates in the text become U+FFFD.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stack_cfo.core.ai import CompletionOptions, IncompleteCompletion, Message, Verification
from tests.integration.zerog.conftest import ClientFactory
from tests.standins.zerog_provider import ProviderStandIn, Reply, RouterStandIn

ASK = [Message("user", "Summarise my week.")]
FALLBACK = "Your portfolio is worth 10,250.00 USD, up 2.5% this week."
DONE = "data: [DONE]\n\n"


def opts() -> CompletionOptions:
    return CompletionOptions(fallback=FALLBACK)


def ev(obj: Any) -> str:
    return "data: " + (obj if isinstance(obj, str) else json.dumps(obj)) + "\n\n"


def chunk(delta: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "model": "gpt-oss-120b", "choices": [{"index": 0, "delta": delta}]}


HELLO = ev(chunk({"content": "Hello "}))
WORLD = ev(chunk({"content": "world."}))

#: Events that break an answer: each may have held a piece of the text.
BROKEN_EVENTS = {
    "choices_int": ev({"choices": 5}),
    "choices_str": ev({"choices": "abc"}),
    "choice_not_object": ev({"choices": [7]}),
    "delta_str": ev({"choices": [{"delta": "zzz"}]}),
    "content_int": ev(chunk({"content": 42})),
    "content_list": ev(chunk({"content": ["a"]})),
    "undecodable_json": "data: {broken\n\n",
    "not_an_object": ev("5"),
    "null": ev("null"),
    "deeply_nested": "data: " + "[" * 100_000 + "\n\n",
}


@pytest.mark.parametrize("bad", list(BROKEN_EVENTS.values()), ids=list(BROKEN_EVENTS))
async def test_a_malformed_event_after_text_is_an_incomplete_answer(
    bad: str, provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.raw_body(HELLO, bad, WORLD, DONE))
    client = make_client([provider])
    stream = client.stream(ASK, options=opts())
    got: list[str] = []
    with pytest.raises(IncompleteCompletion) as info:
        async for d in stream:
            got.append(d)
    partial = info.value.partial
    assert "".join(got) == partial.text == "Hello "  # nothing after the broken event is believed
    assert partial.incomplete and partial.degraded and not partial.offline
    assert partial.extra["incomplete_reason"] == "malformed"
    assert stream.result == partial
    assert provider.count() == 1


@pytest.mark.parametrize("bad", list(BROKEN_EVENTS.values()), ids=list(BROKEN_EVENTS))
async def test_a_malformed_event_before_any_text_gives_the_offline_answer(
    bad: str, provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.raw_body(bad, HELLO, DONE))
    r = await make_client([provider]).complete(ASK, options=opts())
    assert r.offline and r.degraded and FALLBACK in r.text
    assert r.extra["fallback_reason"] == "ZEROG_STREAM_BROKEN"  # as a stream cut before its first word
    assert provider.count() == 1  # the provider may be generating: never asked twice


@pytest.mark.parametrize(
    "body",
    ["null", "5", '"text"', "{}", '{"choices": 5}', '{"choices": []}', '{"choices": [{"message": {"content": null}}]}',
     "{broken"],
)
async def test_a_json_body_without_an_answer_gives_the_offline_answer(
    body: str, provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.raw_body(body, content_type="application/json"))
    r = await make_client([provider]).complete(ASK, options=opts())
    assert r.offline and r.degraded and FALLBACK in r.text
    assert r.extra["fallback_reason"] == "ZEROG_STREAM_BROKEN"


async def test_a_stream_with_done_but_no_text_gives_the_offline_answer(
    provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.raw_body(ev(chunk({"role": "assistant", "content": ""})), DONE))
    r = await make_client([provider]).complete(ASK, options=opts())
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_STREAM_BROKEN"


async def test_an_answer_of_whitespace_alone_gives_the_offline_answer_with_nothing_shown(
    provider: ProviderStandIn, make_client: ClientFactory
):
    blank = [ev(chunk({"content": piece})) for piece in ("\n", "  ", "\t\n")]
    provider.enqueue(Reply.raw_body(*blank, DONE))
    stream = make_client([provider]).stream(ASK, options=opts())
    got = [d async for d in stream]
    r = stream.result
    assert r is not None and r.offline and r.extra["fallback_reason"] == "ZEROG_STREAM_BROKEN"
    assert "".join(got) == r.text and FALLBACK in r.text  # no blank delta went out before it
    # cut before any word: the offline answer too (not an "incomplete" answer of blanks)
    provider.enqueue(Reply.raw_body(*blank))
    r = await make_client([provider]).complete(ASK, options=opts())
    assert r.offline and FALLBACK in r.text


async def test_leading_whitespace_goes_out_with_the_first_words(
    provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.raw_body(ev(chunk({"content": "\n\n"})), "\n", HELLO, WORLD, DONE))
    stream = make_client([provider]).stream(ASK, options=opts())
    got = [d async for d in stream]
    assert got[0].startswith("\n\nHello") and "".join(got) == "\n\nHello world."
    assert stream.result is not None and stream.result.text == "\n\nHello world." and not stream.result.offline


async def test_comments_blank_lines_other_fields_and_unknown_keys_are_still_read(
    provider: ProviderStandIn, make_client: ClientFactory
):
    odd = {**chunk({"content": "world.", "reasoning_content": "hmm"}), "system_fingerprint": {"x": 1}, "extra": [1]}
    provider.enqueue(
        Reply.raw_body(": keep-alive\n\n", "\n\n", "event: message\nid: 7\nretry: 10\n", HELLO, ev(odd),
                       ev({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}), DONE)
    )
    r = await make_client([provider]).complete(ASK, options=opts())
    assert r.text == "Hello world." and not r.degraded and not r.incomplete
    assert (r.prompt_tokens, r.completion_tokens) == (3, 2)


@pytest.mark.parametrize(
    "usage",
    ["lots", 7, ["a"], {"prompt_tokens": "many", "completion_tokens": 1}, {"prompt_tokens": -1_000_000,
     "completion_tokens": 1}, {"prompt_tokens": 5, "completion_tokens": 10**30}, {"prompt_tokens": True},
     {"prompt_tokens": 1.5}],
    ids=["str", "int", "list", "str_count", "negative", "huge", "bool", "float"],
)
async def test_malformed_usage_is_unknown_and_the_answer_is_kept(
    usage: Any, provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.raw_body(HELLO, WORLD, ev({"choices": [], "usage": usage}), DONE))
    r = await make_client([provider]).complete(ASK, options=opts())
    assert r.text == "Hello world." and not r.degraded and not r.incomplete
    assert (r.prompt_tokens, r.completion_tokens) == (0, 0)  # as when a provider sends no usage
    assert r.fee_neuron == 0


async def test_lone_surrogates_become_replacement_characters(provider: ProviderStandIn, make_client: ClientFactory):
    # JSON escapes: a lone high surrogate, a lone low one, and a real pair (kept).
    provider.enqueue(
        Reply.raw_body(HELLO, 'data: {"choices":[{"delta":{"content":"\\ud800x\\udc00 \\ud83d\\ude00"}}]}\n\n', DONE)
    )
    r = await make_client([provider]).complete(ASK, options=opts())
    assert r.text == "Hello \ufffdx\ufffd \U0001f600"
    r.text.encode("utf-8")  # valid text for hashes, the database and gRPC


async def test_router_trace_of_the_wrong_shape_is_ignored(router: RouterStandIn, make_client: ClientFactory):
    router.enqueue(Reply.raw_body(HELLO, ev({"choices": [], "x_0g_trace": "nope"}), DONE))
    r = await make_client(None, router).complete(ASK, options=opts())
    assert r.text == "Hello " and not r.degraded
    assert r.verification is Verification.NOT_APPLICABLE and r.fee_neuron == 0


@pytest.mark.parametrize("cost", ["-5000", str(10**80), "lots", 12.5])
async def test_router_fee_outside_uint256_is_unknown(cost: Any, router: RouterStandIn, make_client: ClientFactory):
    trace = {"provider": "0xab\ud800", "request_id": "r-1", "tee_verified": True, "billing": {"total_cost": cost}}
    router.enqueue(Reply.raw_body(HELLO, ev({"choices": [], "x_0g_trace": trace}), DONE))
    r = await make_client(None, router).complete(ASK, options=opts())
    assert r.text == "Hello " and r.fee_neuron == 0
    assert r.extra["router_provider"] == "0xab\ufffd"
