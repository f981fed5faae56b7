"""A provider answering 200 with events of the wrong type, over real gRPC to a real server.

Once SendMessage has sent ``accepted`` an AI failure ends in ``completed`` (docs/api.md
"Streaming"), never INTERNAL: a malformed event after text is a cut stream (incomplete,
COMPUTE_STREAM_BROKEN, the partial kept), before any text or with no text at all the offline
writer answers (COMPUTE_UNAVAILABLE). A malformed ``usage`` is unknown (0 tokens, as when none is
sent); lone surrogates are stored as U+FFFD. StreamPortfolioSummary ends the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, portfolio_pb2
from tests.integration.chat.conftest import chat_server, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

DONE = "data: [DONE]\n\n"


def ev(obj: Any) -> str:
    return "data: " + (obj if isinstance(obj, str) else json.dumps(obj)) + "\n\n"


def chunk(delta: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "model": "gpt-oss-120b", "choices": [{"index": 0, "delta": delta}]}


HELLO = ev(chunk({"content": "Hello "}))

MID_ANSWER = {
    "choices_int": ev({"choices": 5}),
    "choice_not_object": ev({"choices": [7]}),
    "delta_str": ev({"choices": [{"delta": "zzz"}]}),
    "content_int": ev(chunk({"content": 42})),
    "undecodable_json": "data: {broken\n\n",
}


def _assistant(session: chat_pb2.Session) -> list[chat_pb2.ChatMessage]:
    return [m for m in session.messages if m.role == chat_pb2.CHAT_ROLE_ASSISTANT]


async def test_a_malformed_event_mid_answer_completes_as_a_cut_stream(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        for name, bad in MID_ANSWER.items():
            provider.enqueue(Reply.raw_body(HELLO, bad, ev(chunk({"content": "lost"})), DONE))
            _, text, done = events(await chat.send(user, s.name, f"Question {name}?", request_id=rid()))
            assert text == "Hello " == done.assistant_message.content, name
            assert done.incomplete and done.degraded and not done.offline, name
            assert done.assistant_message.degraded_reason == "COMPUTE_STREAM_BROKEN", name
        got = await chat.get(user, s.name)
    assert [(m.content, m.degraded_reason) for m in _assistant(got)] == [
        ("Hello ", "COMPUTE_STREAM_BROKEN")] * len(MID_ANSWER)


async def test_no_readable_answer_is_the_offline_answer(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    no_answer = [
        Reply.raw_body("null", content_type="application/json"),
        Reply.raw_body('{"choices": 5}', content_type="application/json"),
        Reply.raw_body("{}", content_type="application/json"),
        Reply.raw_body(ev({"choices": "abc"}), HELLO, DONE),
        Reply.raw_body(DONE),
    ]
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        for i, reply in enumerate(no_answer):
            provider.enqueue(reply)
            _, text, done = events(await chat.send(user, s.name, f"Question {i}?", request_id=rid()))
            assert done.offline and done.degraded and not done.incomplete, i
            assert done.assistant_message.degraded_reason == "COMPUTE_UNAVAILABLE", i
            assert text and text == done.assistant_message.content, i  # never an empty answer
        got = await chat.get(user, s.name)
    assert all(m.content and m.degraded_reason == "COMPUTE_UNAVAILABLE" for m in _assistant(got))


async def test_malformed_usage_and_lone_surrogates_keep_the_answer(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        for usage in ({"prompt_tokens": -1_000_000, "completion_tokens": 1}, {"prompt_tokens": 5,
                      "completion_tokens": 10**30}, "lots", {"prompt_tokens": "many"}):
            provider.enqueue(Reply.raw_body(HELLO, ev({"choices": [], "usage": usage}), DONE))
            _, text, done = events(await chat.send(user, s.name, "How am I doing?", request_id=rid()))
            assert text == "Hello " and not done.degraded and not done.incomplete, usage
            assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (0, 0), usage

        provider.enqueue(Reply.raw_body(HELLO, 'data: {"choices":[{"delta":{"content":"\\ud800x"}}]}\n\n', DONE))
        _, text, done = events(await chat.send(user, s.name, "And now?", request_id=rid()))
        assert text == "Hello \ufffdx" == done.assistant_message.content and not done.degraded
        got = await chat.get(user, s.name)
    assert _assistant(got)[-1].content == "Hello \ufffdx"
    assert all(m.usage.prompt_tokens >= 0 and m.usage.completion_tokens >= 0 for m in got.messages)
    assert got.tokens_used >= 0


async def test_the_portfolio_narrative_ends_in_narrative_completed(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        await chat.sync_portfolio(user, [portfolio_pb2.Holding(symbol="ABC", quantity="10", average_cost="100")])

        async def narrative(reply: Reply) -> portfolio_pb2.NarrativeCompleted:
            provider.enqueue(reply)
            call = chat.portfolio.StreamPortfolioSummary(
                portfolio_pb2.StreamPortfolioSummaryRequest(portfolio=f"users/{user}/portfolio"),
                metadata=chat.md(user), timeout=20,
            )
            evs = [e async for e in call]
            assert evs[-1].WhichOneof("event") == "narrative_completed"
            return evs[-1].narrative_completed

        cut = await narrative(Reply.raw_body(HELLO, ev({"choices": [7]}), DONE))
        assert cut.incomplete and cut.degraded and cut.degraded_reason == "COMPUTE_STREAM_BROKEN"
        assert cut.text == "Hello "
        offline = await narrative(Reply.raw_body("null", content_type="application/json"))
        assert offline.offline and offline.degraded_reason == "COMPUTE_UNAVAILABLE" and offline.text
