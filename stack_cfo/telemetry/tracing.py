"""OpenTelemetry set-up. The exporter is off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; without
an exporter spans are not recorded (``OTEL_TRACES_SAMPLER`` overrides), but ids still flow into logs.

The API's own interceptor opens each RPC's SERVER span (``stack_cfo.api.interceptors``), not
opentelemetry-instrumentation-grpc: its aio server interceptor iterates a streaming handler's
generator without closing it, so on a client cancel the generator was closed later in another
task, where detaching the span's context failed ("Failed to detach context"). Health checks and
reflection get no span.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags

_installed = False
#: True once :func:`setup_tracing` chose not to record spans: server spans then skip the SDK.
_not_recording = False
_ids = random.Random()


def setup_tracing(service_name: str = "stack-cfo") -> None:
    global _installed
    if _installed:
        return
    _installed = True
    exporting = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    sampler = None
    if not exporting and not os.environ.get("OTEL_TRACES_SAMPLER"):
        # Nothing would be exported: don't record spans. Every RPC still gets a trace and span id
        # (non-recording spans carry a valid context), so logs and INTERNAL errors keep their trace id.
        from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

        sampler = ALWAYS_OFF
        global _not_recording
        _not_recording = True
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}), sampler=sampler)
    if exporting:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def _new_id(bits: int) -> int:
    while True:
        value = _ids.getrandbits(bits)
        if value:
            return value


class _UnrecordedServerSpan(NonRecordingSpan):
    """A server span that is not recorded, with its ids drawn when something first reads them (a
    log line, an error, a child span) rather than on every call: most calls never do. Its trace id
    is the caller's when it sent one. Two threads reading it first at once get the same ids."""

    def __init__(self, caller: SpanContext) -> None:  # no context yet: drawn on the first read
        self._caller = caller

    def get_span_context(self) -> SpanContext:
        ctx: SpanContext | None = self.__dict__.get("_context")
        if ctx is None:
            caller = self._caller
            fresh = SpanContext(
                trace_id=caller.trace_id if caller.is_valid else _new_id(128),
                span_id=_new_id(64),
                is_remote=False,
                trace_flags=TraceFlags(TraceFlags.DEFAULT),
                trace_state=caller.trace_state if caller.is_valid else None,
            )
            ctx = self.__dict__.setdefault("_context", fresh)  # the first reader's ids win
        return ctx

    def __repr__(self) -> str:
        return f"NonRecordingSpan({self.get_span_context()!r})"


def start_server_span(tracer: trace.Tracer, name: str, parent: Context,
                      attributes: Mapping[str, Any]) -> tuple[Span, object]:
    """Open an RPC's SERVER span as the current span: ``(span, token)`` for :func:`end_server_span`.

    When spans are not recorded (no exporter), the span is a non-recording one whose ids (the
    caller's trace id when it sent one) are drawn only when read: the SDK's sampler, attribute
    and span-processor work would cost about a fifth of a cached call's server time for a span
    that is thrown away. Logs and errors still carry the trace and span ids, as with the SDK."""
    if _not_recording:
        span: Span = _UnrecordedServerSpan(trace.get_current_span(parent).get_span_context())
    else:
        span = tracer.start_span(name, context=parent, kind=SpanKind.SERVER, attributes=attributes,
                                 record_exception=False, set_status_on_exception=False)
    return span, otel_context.attach(trace.set_span_in_context(span, parent))


def end_server_span(span: Span, token: object) -> None:
    otel_context.detach(token)  # type: ignore[arg-type]
    span.end()
