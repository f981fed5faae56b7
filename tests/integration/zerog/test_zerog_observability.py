"""Metrics, spans, and secrets staying out of logs, reprs and errors."""

from __future__ import annotations

import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from stack_cfo.core.ai import CompletionOptions, Message
from stack_cfo.core.errors import StackCfoError
from stack_cfo.zerog import ComputeConfig
from tests.integration.zerog.conftest import ClientFactory
from tests.standins.zerog_provider import ProviderStandIn, Reply, RouterStandIn
from tests.support.secrets import ZEROG_API_KEY, ZEROG_PRIVATE_KEY

ASK = [Message("user", "Summarise my week.")]

_EXPORTER = InMemorySpanExporter()
_provider = trace.get_tracer_provider()
if hasattr(_provider, "add_span_processor"):
    _provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_use_the_seed_names(provider: ProviderStandIn, make_client: ClientFactory):
    model = "gpt-oss-120b"
    before = {
        "req": sample("zerog_compute_requests_total", model=model, operation="digest"),
        "ok": sample("zerog_compute_request_duration_seconds_count", model=model, operation="digest", success="true"),
        "tok": sample("zerog_compute_tokens_used_total", model=model),
        "ver": sample("zerog_compute_verifications_total", outcome="verified"),
        "err": sample("zerog_compute_request_errors_total", model=model, error_type="http_503"),
    }
    provider.enqueue(Reply.error(503, "busy"))
    r = await make_client([provider]).complete(ASK, options=CompletionOptions(operation="digest"))

    assert sample("zerog_compute_requests_total", model=model, operation="digest") == before["req"] + 1
    assert (
        sample("zerog_compute_request_duration_seconds_count", model=model, operation="digest", success="true")
        == before["ok"] + 1
    )
    assert sample("zerog_compute_tokens_used_total", model=model) == before["tok"] + r.total_tokens
    assert sample("zerog_compute_verifications_total", outcome="verified") == before["ver"] + 1
    assert sample("zerog_compute_request_errors_total", model=model, error_type="http_503") == before["err"] + 1
    assert sample("zerog_compute_breaker_state", provider=provider.address) == 0


async def test_breaker_state_gauge_follows_the_breaker(provider: ProviderStandIn, make_client: ClientFactory):
    from tests.integration.zerog.conftest import FAST_RETRY

    provider.default_reply = Reply.error(503)
    client = make_client([provider], retry=FAST_RETRY.model_copy(update={"max_attempts": 1}))
    for _ in range(3):
        await client.complete(ASK, options=CompletionOptions(fallback="x"))
    assert sample("zerog_compute_breaker_state", provider=provider.address) == 2


@pytest.mark.skipif(not hasattr(_provider, "add_span_processor"), reason="needs the SDK tracer provider")
async def test_spans_nest_http_and_verification_under_generate_inference(
    provider: ProviderStandIn, make_client: ClientFactory
):
    _EXPORTER.clear()
    await make_client([provider]).complete(ASK)
    spans = {s.name: s for s in _EXPORTER.get_finished_spans() if s.name.startswith(("compute.", "http.request"))}
    root = spans["compute.generate_inference"]
    for child in ("http.request", "compute.verify_response"):
        assert spans[child].parent is not None
        assert spans[child].parent.span_id == root.context.span_id
        assert spans[child].context.trace_id == root.context.trace_id
    assert root.attributes is not None and root.attributes["zerog.verification"] == "verified"
    assert spans["http.request"].attributes["http.response.status_code"] == 200  # type: ignore[index]
    assert "app-sk" not in str(spans["http.request"].attributes)


async def test_secrets_never_reach_logs_reprs_or_errors(
    provider: ProviderStandIn,
    router: RouterStandIn,
    make_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    client = make_client([provider], router)
    # a full tour: success, a refused token, a 401 at the router, an insufficient balance
    await client.complete(ASK)
    provider.now = lambda: 10**12  # far future: the provider says every token expired
    provider.default_reply = Reply.error(503)
    router.api_key = "sk-something-else"
    errors: list[StackCfoError] = []
    r = await client.complete(ASK, options=CompletionOptions(fallback="x"))
    assert r.offline
    await client.account_status()
    router.api_key = ZEROG_API_KEY
    router.enqueue(Reply(status=402))
    try:
        await client.complete(ASK)
    except StackCfoError as exc:
        errors.append(exc)
    assert errors

    tokens = [x.headers["Authorization"] for x in provider.requests if "Authorization" in x.headers]
    assert tokens
    forbidden = [ZEROG_PRIVATE_KEY, ZEROG_PRIVATE_KEY[2:], ZEROG_API_KEY] + [t.removeprefix("Bearer ") for t in tokens]
    cfg = ComputeConfig(private_key=ZEROG_PRIVATE_KEY, api_key=ZEROG_API_KEY)
    texts = [
        caplog.text,
        repr(client),
        repr(cfg),
        str(cfg),
        cfg.model_dump_json(),
        *(str(e) for e in errors),
        *(repr(e) for e in errors),
        *(str(e.metadata) for e in errors),
    ]
    for text in texts:
        for secret in forbidden:
            assert secret not in text


async def test_an_answer_cut_short_is_not_counted_as_a_timeout(provider: ProviderStandIn, make_client: ClientFactory):
    """A 200 ending without [DONE] after 0.05 s was labelled error_type="timeout" (an operator's tester)."""
    model = "gpt-oss-120b"
    before = {t: sample("zerog_compute_request_errors_total", model=model, error_type=t)
              for t in ("timeout", "stream_truncated")}
    provider.enqueue(Reply.raw_body(b": nothing but a comment\n\n"))
    await make_client([provider]).complete(ASK, options=CompletionOptions(operation="digest"))
    assert sample("zerog_compute_request_errors_total", model=model, error_type="stream_truncated") == (
        before["stream_truncated"] + 1)
    assert sample("zerog_compute_request_errors_total", model=model, error_type="timeout") == before["timeout"]
