"""Every pool counter is on the metrics page from the start (psycopg_pool reports one only once it is
non-zero): `stack_cfo_db_pool_requests_wait_seconds_total`, which the monitoring README's dashboards
use, was missing from a fresh server's page, so its rate() showed "no data" instead of 0."""

from __future__ import annotations

from stack_cfo.telemetry.metrics import PoolStatsCollector


def _samples(stats: dict[str, int]) -> dict[str, float]:
    return {s.name: s.value for family in PoolStatsCollector(lambda: stats).collect() for s in family.samples}


def test_a_fresh_pool_exports_every_counter_at_zero() -> None:
    samples = _samples({"pool_min": 2, "pool_size": 2, "pool_available": 2})
    for name in ("requests_wait_seconds", "requests_errors", "connections_lost", "returns_bad", "requests"):
        assert samples[f"stack_cfo_db_pool_{name}_total"] == 0.0, name
    assert samples["stack_cfo_db_pool_pool_size"] == 2


def test_reported_counters_keep_their_values_in_base_units() -> None:
    samples = _samples({"requests_wait_ms": 1500, "requests_num": 7})
    assert samples["stack_cfo_db_pool_requests_wait_seconds_total"] == 1.5
    assert samples["stack_cfo_db_pool_requests_total"] == 7
