"""The RPC's server span when spans are not recorded: ids drawn on first read, then stable."""

from __future__ import annotations

import threading

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from stack_cfo.telemetry import tracing


@pytest.fixture()
def not_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_not_recording", True)


def _open(parent: Context) -> tuple[trace.Span, object]:
    return tracing.start_server_span(trace.get_tracer("test"), "/svc/M", parent, {"rpc.system": "grpc"})


def test_a_fresh_span_is_current_valid_and_keeps_its_ids(not_recording: None) -> None:
    span, token = _open(Context())
    try:
        assert isinstance(span, NonRecordingSpan) and not span.is_recording()
        current = trace.get_current_span()
        assert current is span
        first = current.get_span_context()
        assert first.is_valid and not first.is_remote
        assert span.get_span_context() is first  # drawn once
        assert f"{first.trace_id:032x}" in repr(span)
    finally:
        tracing.end_server_span(span, token)
    assert trace.get_current_span() is not span


def test_each_call_gets_its_own_ids(not_recording: None) -> None:
    ids = set()
    for _ in range(50):
        span, token = _open(Context())
        ctx = span.get_span_context()
        tracing.end_server_span(span, token)
        ids.add((ctx.trace_id, ctx.span_id))
    assert len(ids) == 50


def test_the_callers_trace_continues(not_recording: None) -> None:
    trace_id, span_id = 0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331
    parent = TraceContextTextMapPropagator().extract(
        {"traceparent": f"00-{trace_id:032x}-{span_id:016x}-01", "tracestate": "vendor=x"}
    )
    span, token = _open(parent)
    try:
        ctx = span.get_span_context()
        assert ctx.trace_id == trace_id and ctx.span_id != span_id
        assert ctx.trace_state.get("vendor") == "x"
        assert ctx.trace_flags == TraceFlags(TraceFlags.DEFAULT)
    finally:
        tracing.end_server_span(span, token)


def test_readers_racing_for_the_first_read_agree(not_recording: None) -> None:
    for _ in range(20):
        span, token = _open(Context())
        seen: list[SpanContext] = []
        start = threading.Barrier(4)

        def read(s: trace.Span = span, out: list[SpanContext] = seen, go: threading.Barrier = start) -> None:
            go.wait()
            out.append(s.get_span_context())

        threads = [threading.Thread(target=read) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        tracing.end_server_span(span, token)
        assert len({(c.trace_id, c.span_id) for c in seen}) == 1


def test_no_ids_are_drawn_for_a_call_that_never_reads_them(
    not_recording: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[int] = []
    real = tracing._new_id

    def counted(bits: int) -> int:
        drawn.append(bits)
        return real(bits)

    monkeypatch.setattr(tracing, "_new_id", counted)
    span, token = _open(Context())
    tracing.end_server_span(span, token)
    assert drawn == []
    span, token = _open(Context())
    span.get_span_context()
    tracing.end_server_span(span, token)
    assert drawn == [128, 64]
