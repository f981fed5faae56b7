"""Retry rules, timeouts, breaker, failover and the offline writer, counted at the stand-ins."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from stack_cfo.core.ai import CompletionOptions, IncompleteCompletion, Message
from stack_cfo.core.ai.offline import generic_fallback
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.errors import DeadlineExceeded
from stack_cfo.zerog import OFFLINE_BANNER, build_compute_client
from stack_cfo.zerog.config import ComputeConfig
from tests.integration.zerog.conftest import FAST_RETRY, FAST_TIMEOUTS, ClientFactory
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn, Reply

ASK = [Message("user", "Summarise my week.")]
FALLBACK = "Your portfolio is worth 10,250.00 USD, up 2.5% this week."


def opts(**kw: object) -> CompletionOptions:
    return CompletionOptions(fallback=FALLBACK, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- retry rules


async def test_429_is_retried_after_retry_after(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.rate_limited(retry_after="1"))
    r = await make_client([provider]).complete(ASK, options=opts())
    chats = [x for x in provider.requests if "chat" in x.path]
    assert [c.status for c in chats] == [429, 200]
    assert chats[1].at - chats[0].at >= 0.95  # base delay is 0.01 s: the wait came from Retry-After
    assert r.text == DEFAULT_TEXT and not r.degraded


async def test_a_retry_after_longer_than_max_delay_is_not_waited_for(
    provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.rate_limited(retry_after="120"))  # max_delay is 2 s in these tests
    started = time.monotonic()
    r = await make_client([provider]).complete(ASK, options=opts())
    assert time.monotonic() - started < 1.0
    assert provider.count() == 1
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_RATE_LIMITED"


async def test_503_before_any_byte_is_retried_with_backoff(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.error(503, "busy"), Reply.error(503, "busy"))
    r = await make_client([provider]).complete(ASK, options=opts())
    assert [c.status for c in provider.requests if "chat" in c.path] == [503, 503, 200]
    assert r.text == DEFAULT_TEXT


async def test_5xx_retries_stop_after_max_attempts_then_fallback(provider: ProviderStandIn, make_client: ClientFactory):
    provider.default_reply = Reply.error(502, "upstream down")
    r = await make_client([provider]).complete(ASK, options=opts())
    assert provider.count() == 3  # max_attempts
    assert r.offline and r.degraded
    assert r.extra["fallback_reason"] == "ZEROG_PROVIDER_UNAVAILABLE"


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_are_never_retried(status: int, provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.error(status, "nope"))
    r = await make_client([provider]).complete(ASK, options=opts())
    assert provider.count() == 1
    assert r.offline
    assert r.extra["fallback_reason"] == "ZEROG_PROVIDER_REJECTED"


async def test_drop_mid_stream_is_not_retried_and_keeps_the_partial_text(
    provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.ok(drop_after=3))
    stream = make_client([provider]).stream(ASK, options=opts())
    got: list[str] = []
    with pytest.raises(IncompleteCompletion) as info:
        async for d in stream:
            got.append(d)
    assert provider.count() == 1
    partial = info.value.partial
    assert partial.text == "".join(got) == "Your portfolio rose "
    assert partial.incomplete and partial.degraded
    assert stream.result == partial


async def test_stream_without_done_is_incomplete(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.ok(done=False))
    with pytest.raises(IncompleteCompletion) as info:
        await make_client([provider]).complete(ASK, options=opts())
    assert info.value.partial.text == DEFAULT_TEXT  # all text arrived, but no [DONE]
    assert provider.count() == 1


async def test_idle_stream_times_out_as_incomplete(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.ok(stall_after=4, stall=1.5))
    client = make_client([provider], timeouts=FAST_TIMEOUTS.model_copy(update={"idle": 0.2}))
    started = time.monotonic()
    with pytest.raises(IncompleteCompletion) as info:
        await client.complete(ASK, options=opts())
    assert time.monotonic() - started < 2.0
    assert info.value.partial.extra["incomplete_reason"] == "idle_timeout"
    assert info.value.partial.text == "Your portfolio rose "  # what arrived before the silence is kept
    assert provider.count() == 1


async def test_slow_first_byte_falls_back_without_retry(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.ok(first_byte_delay=1.5))
    client = make_client([provider], timeouts=FAST_TIMEOUTS.model_copy(update={"first_byte": 0.3}))
    started = time.monotonic()
    r = await client.complete(ASK, options=opts())
    assert time.monotonic() - started < 1.2
    assert provider.count() == 1  # the provider may already be generating: never sent twice
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_STREAM_BROKEN"


async def test_no_headers_within_first_byte_timeout_is_not_retried(
    provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.ok(hang_headers=1.5))
    client = make_client([provider], timeouts=FAST_TIMEOUTS.model_copy(update={"first_byte": 0.3}))
    r = await client.complete(ASK, options=opts())
    assert provider.count() == 1
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_FIRST_BYTE_TIMEOUT"


async def test_connection_refused_is_retried_then_falls_back(make_client: ClientFactory, provider: ProviderStandIn):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{s.getsockname()[1]}"
    client = make_client([provider], provider_url=dead_url)
    r = await client.complete(ASK, options=opts())
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_PROVIDER_UNAVAILABLE"
    assert provider.count() == 0


async def test_caller_deadline_bounds_the_whole_call(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.ok(chunk_delay=0.2))
    client = make_client([provider])
    started = time.monotonic()
    with pytest.raises(IncompleteCompletion) as info:
        await client.complete(ASK, options=opts(deadline=time.monotonic() + 0.5))
    assert time.monotonic() - started < 1.5
    assert isinstance(info.value.cause, DeadlineExceeded)


async def test_deadline_before_the_first_byte_gives_the_fallback_fast(
    provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.ok(hang_headers=2.0))
    started = time.monotonic()
    r = await make_client([provider]).complete(ASK, options=opts(deadline=time.monotonic() + 0.3))
    assert time.monotonic() - started < 1.0
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_DEADLINE"


async def test_closing_the_stream_closes_the_provider_request(provider: ProviderStandIn, make_client: ClientFactory):
    provider.enqueue(Reply.ok(chunk_delay=0.05, chunks=40))
    stream = make_client([provider]).stream(ASK, options=opts())
    got = []
    async for d in stream:
        got.append(d)
        if len(got) == 2:
            break
    await stream.aclose()
    for _ in range(50):
        if provider.disconnects:
            break
        await asyncio.sleep(0.02)
    assert provider.disconnects == 1
    assert provider.billed == 0  # the stand-in never finished the answer


async def test_cancelling_the_consumer_task_closes_the_provider_request(
    provider: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.ok(chunk_delay=0.05, chunks=40))
    client = make_client([provider])
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in client.stream(ASK, options=opts()):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(50):
        if provider.disconnects:
            break
        await asyncio.sleep(0.02)
    assert provider.disconnects == 1
    assert client.breaker_state(provider.address) == "closed"  # a cancel is not a provider failure


# --------------------------------------------------------------------------- breaker


async def test_breaker_opens_then_recovers_through_half_open(
    provider: ProviderStandIn, make_client: ClientFactory, clock: FrozenClock
):
    provider.default_reply = Reply.error(503, "down")
    client = make_client([provider], clock=clock, retry=FAST_RETRY.model_copy(update={"max_attempts": 1}))
    for _ in range(3):
        r = await client.complete(ASK, options=opts())
        assert r.offline
    assert provider.count() == 3
    assert client.breaker_state(provider.address) == "open"

    started = time.monotonic()
    r = await client.complete(ASK, options=opts())
    assert time.monotonic() - started < 0.2  # no network at all
    assert provider.count() == 3
    assert r.offline and r.extra["fallback_reason"] == "ZEROG_BREAKER_OPEN"

    clock.advance(seconds=31)
    provider.default_reply = Reply.ok()
    for i in range(3):
        r = await client.complete(ASK, options=opts())
        assert r.text == DEFAULT_TEXT
        assert client.breaker_state(provider.address) == ("closed" if i == 2 else "half_open")
    assert provider.count() == 6


async def test_half_open_failure_reopens(provider: ProviderStandIn, make_client: ClientFactory, clock: FrozenClock):
    provider.default_reply = Reply.error(503, "down")
    client = make_client([provider], clock=clock, retry=FAST_RETRY.model_copy(update={"max_attempts": 1}))
    for _ in range(3):
        await client.complete(ASK, options=opts())
    clock.advance(seconds=31)
    await client.complete(ASK, options=opts())  # the trial fails
    assert client.breaker_state(provider.address) == "open"
    assert provider.count() == 4


async def test_breaker_does_not_trip_below_the_failure_ratio(
    provider: ProviderStandIn, make_client: ClientFactory, clock: FrozenClock
):
    client = make_client([provider], clock=clock, retry=FAST_RETRY.model_copy(update={"max_attempts": 1}))
    provider.enqueue(Reply.error(503), Reply.ok(), Reply.ok(), Reply.error(503))
    for _ in range(4):
        await client.complete(ASK, options=opts())
    assert client.breaker_state(provider.address) == "closed"  # 2 of 4 = 50 % < 60 %


async def test_rejections_do_not_trip_the_breaker(provider: ProviderStandIn, make_client: ClientFactory):
    provider.default_reply = Reply.error(404, "model not found")
    client = make_client([provider])
    for _ in range(4):
        await client.complete(ASK, options=opts())
    assert client.breaker_state(provider.address) == "closed"
    assert provider.count() == 4


# --------------------------------------------------------------------------- failover, offline


async def test_failover_to_the_second_provider(
    provider: ProviderStandIn, provider2: ProviderStandIn, make_client: ClientFactory
):
    provider.default_reply = Reply.error(503, "down")
    r = await make_client([provider, provider2]).complete(ASK, options=opts())
    assert r.provider == provider2.address
    assert r.text == DEFAULT_TEXT and not r.degraded
    assert r.extra["failed_over_from"] == provider.address
    assert provider.count() == 3 and provider2.count() == 1


async def test_open_breaker_fails_over_at_once(
    provider: ProviderStandIn, provider2: ProviderStandIn, make_client: ClientFactory, clock: FrozenClock
):
    provider.default_reply = Reply.error(503, "down")
    client = make_client([provider, provider2], clock=clock, retry=FAST_RETRY.model_copy(update={"max_attempts": 1}))
    for _ in range(3):
        await client.complete(ASK, options=opts())
    assert client.breaker_state(provider.address) == "open"
    r = await client.complete(ASK, options=opts())
    assert r.provider == provider2.address
    assert provider.count() == 3 and provider2.count() == 4


async def test_no_failover_once_the_stream_started(
    provider: ProviderStandIn, provider2: ProviderStandIn, make_client: ClientFactory
):
    provider.enqueue(Reply.ok(drop_after=2))
    with pytest.raises(IncompleteCompletion):
        await make_client([provider, provider2]).complete(ASK, options=opts())
    assert provider2.count() == 0


async def test_offline_mode_streams_the_marked_fallback():
    client = build_compute_client(ComputeConfig())
    try:
        assert client.mode == "offline" and client.default_provider == "offline"
        stream = client.stream(ASK, options=opts())
        pieces = [p async for p in stream]
        assert len(pieces) > 3
        r = stream.result
        assert r is not None
        assert r.text == "".join(pieces) == f"{OFFLINE_BANNER}\n{FALLBACK}"
        assert r.offline and r.degraded and r.provider == "offline"
        assert r.extra["ai_generated"] == "false"
        assert r.extra["fallback_reason"] == "ZEROG_NOT_CONFIGURED"
        assert r.fee_neuron == 0 and r.total_tokens == 0
        assert stream.settled is r  # known before the first read: a cancelled chat turn stores all of it
    finally:
        await client.close()


async def test_offline_by_configuration_is_not_measured_as_a_failed_compute_request():
    """No provider is configured: the answers are not compute requests. Counted as failed ones, a
    deployment without 0G fired the compute SLO's burn-rate alerts for good (an SRE's finding)."""
    from prometheus_client import REGISTRY

    def measured(success: str) -> float:
        return REGISTRY.get_sample_value("zerog_compute_request_duration_seconds_count",
                                         {"model": ComputeConfig().default_model, "operation": "chat",
                                          "success": success}) or 0.0

    client = build_compute_client(ComputeConfig())
    before = measured("false"), measured("true")
    try:
        for _ in range(3):
            await client.complete(ASK, options=CompletionOptions(fallback=FALLBACK, operation="chat"))
            assert "".join([p async for p in client.stream(ASK, options=opts(operation="chat"))])
    finally:
        await client.close()
    assert (measured("false"), measured("true")) == before


async def test_fallback_callable_is_only_evaluated_when_needed(provider: ProviderStandIn, make_client: ClientFactory):
    calls: list[int] = []

    def fallback() -> str:
        calls.append(1)
        return "Computed summary."

    client = make_client([provider])
    await client.complete(ASK, options=CompletionOptions(fallback=fallback))
    assert calls == []
    offline = build_compute_client(ComputeConfig())
    try:
        r = await offline.complete(ASK, options=CompletionOptions(fallback=fallback))
        assert calls == [1] and r.text.endswith("Computed summary.")
        r2 = await offline.complete(ASK)
        # No fallback of its own: the generic text says why (nothing is configured) and does not
        # promise that asking again helps.
        assert r2.text == f"{OFFLINE_BANNER}\n{generic_fallback('COMPUTE_NOT_CONFIGURED')}"
        assert "no AI provider is configured" in r2.text and "again" not in r2.text
    finally:
        await offline.close()
