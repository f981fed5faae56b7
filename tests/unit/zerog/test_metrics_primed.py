"""The 0G compute families are on the metrics page at 0 from the start (docs/scaling.md "one process shows those at 0
from the start"): a labelled series appeared only at its first event, so the compute error-ratio rules, their
burn-rate alerts and the dashboard's compute panels were empty ("no data") until a provider was asked, and always in
a process with no provider configured (an operator's tester)."""

from __future__ import annotations

import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

_PAGE = """
import asyncio
from prometheus_client import generate_latest
from stack_cfo.zerog.config import ComputeConfig
from stack_cfo.zerog.factory import build_compute_client

async def main():
    client = build_compute_client(ComputeConfig())
    print(client.default_model)
    print(generate_latest().decode())

asyncio.run(main())
"""


def test_a_new_process_shows_the_compute_series_at_zero() -> None:
    out = subprocess.run([sys.executable, "-c", _PAGE], capture_output=True, text=True, timeout=120, check=True).stdout
    model, _, page = out.partition("\n")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page) for s in family.samples
    }
    for operation in ("chat", "summary", "digest", "narrative"):
        assert samples[("zerog_compute_requests_total", (("model", model), ("operation", operation)))] == 0
        for success in ("true", "false"):  # what the recording rules divide
            key = ("zerog_compute_request_duration_seconds_count",
                   (("model", model), ("operation", operation), ("success", success)))
            assert samples[key] == 0
    assert samples[("zerog_compute_tokens_used_total", (("model", model),))] == 0
    assert samples[("zerog_compute_request_errors_total", (("error_type", "fallback"), ("model", model)))] == 0
    assert samples[("zerog_compute_verifications_total", (("outcome", "failed"),))] == 0
