"""The interceptor's per-method gRPC series add to prometheus_client's values directly: the
exposition must be what the public ``inc``/``observe`` would give."""

from __future__ import annotations

import uuid

import grpc
from prometheus_client import CollectorRegistry, Histogram

from stack_cfo.api.interceptors import _MethodMetrics
from stack_cfo.telemetry.metrics import GRPC_HANDLED, GRPC_HANDLING, GRPC_STARTED


def _samples(metric: object, **labels: str) -> dict[tuple[str, str], float]:
    out = {}
    for family in metric.collect():  # type: ignore[attr-defined]
        for s in family.samples:
            if all(s.labels.get(k) == v for k, v in labels.items()) and not s.name.endswith("_created"):
                out[(s.name, s.labels.get("le", ""))] = s.value
    return out


def test_buckets_sum_and_counts_match_the_public_api_at_every_edge() -> None:
    method = f"M{uuid.uuid4().hex}"  # a series of its own in the process-wide registry
    metrics = _MethodMetrics("unary", "test.Svc", method)
    reference = Histogram("ref_seconds", "reference", buckets=GRPC_HANDLING._upper_bounds[:-1],
                          registry=CollectorRegistry())
    durations = [0.0, 0.0007, 0.001, 0.0011, 0.0025, 0.03, 1.0, 29.9, 30.0, 120.0, 120.5, 1e6]
    for d in durations:
        metrics.start()
        metrics.finish(grpc.StatusCode.OK, d)
        reference.observe(d)
    metrics.start()
    metrics.finish(grpc.StatusCode.NOT_FOUND, 0.002)
    reference.observe(0.002)

    ours = _samples(GRPC_HANDLING, grpc_method=method)
    ref = _samples(reference)
    assert {(n.replace("grpc_server_handling_seconds", "ref_seconds"), le): v for (n, le), v in ours.items()} == ref
    assert _samples(GRPC_STARTED, grpc_method=method) == {("grpc_server_started_total", ""): len(durations) + 1}
    by_code = {
        code: v for family in GRPC_HANDLED.collect() for s in family.samples
        if s.labels.get("grpc_method") == method and s.name == "grpc_server_handled_total"
        for code, v in [(s.labels["grpc_code"], s.value)]
    }
    assert by_code == {"OK": len(durations), "NOT_FOUND": 1}
