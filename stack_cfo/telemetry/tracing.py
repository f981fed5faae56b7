"""OpenTelemetry set-up. The exporter is off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

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
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    excluded = os.environ.get("OTEL_PYTHON_GRPC_EXCLUDED_SERVICES", "")
    if HEALTH_SERVICE not in excluded.split(","):
        os.environ["OTEL_PYTHON_GRPC_EXCLUDED_SERVICES"] = ",".join(x for x in (excluded, HEALTH_SERVICE) if x)
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorServer

    GrpcAioInstrumentorServer().instrument()  # type: ignore[no-untyped-call]
