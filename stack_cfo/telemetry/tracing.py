"""OpenTelemetry set-up. The exporter is off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; without
an exporter spans are not recorded (``OTEL_TRACES_SAMPLER`` overrides), but ids still flow into logs.

The gRPC server instrumentation must run before ``grpc.aio.server()`` is created. It breaks
``context.write``-style handlers, which includes the stock ``Health/Watch``
(opentelemetry-python-contrib#3066), so the health service is excluded from it.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

_installed = False

HEALTH_SERVICE = "grpc.health.v1.Health"


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
    excluded = os.environ.get("OTEL_PYTHON_GRPC_EXCLUDED_SERVICES", "")
    if HEALTH_SERVICE not in excluded.split(","):
        os.environ["OTEL_PYTHON_GRPC_EXCLUDED_SERVICES"] = ",".join(x for x in (excluded, HEALTH_SERVICE) if x)
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorServer

    GrpcAioInstrumentorServer().instrument()  # type: ignore[no-untyped-call]
