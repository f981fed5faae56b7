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

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

_installed = False


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
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}), sampler=sampler)
    if exporting:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
