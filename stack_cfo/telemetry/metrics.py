"""Prometheus metrics shared by the server: the go-grpc-prometheus names plus pool stats."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

GRPC_STARTED = Counter(
    "grpc_server_started_total",
    "RPCs started on the server.",
    ["grpc_type", "grpc_service", "grpc_method"],
)
GRPC_HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed on the server, regardless of success or failure.",
    ["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
)
GRPC_HANDLING = Histogram(
    "grpc_server_handling_seconds",
    "Response latency (seconds) of gRPC that had been application-level handled by the server.",
    ["grpc_type", "grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)

READY = Gauge(
    "stack_cfo_ready",
    "1 while this process reports ready (gRPC readiness SERVING, or the scheduler's /readyz 200), else 0.",
)
READINESS_CHANGES = Counter(
    "stack_cfo_readiness_changes_total",
    "Readiness flips of this process, by the state it flipped to (ready, unready).",
    ["to"],
)
for _state in ("ready", "unready"):
    READINESS_CHANGES.labels(_state)
LOCALE_FALLBACKS = Counter(
    "stack_cfo_locale_fallback_total",
    "Texts written in English because the user's locale has no message catalogue (e.g. 'xx-YY'), by surface "
    "(digest, weekly, alert).",
    ["surface"],
)
for _surface in ("digest", "weekly", "alert"):
    LOCALE_FALLBACKS.labels(_surface)


def record_readiness(ready: bool) -> None:
    """Export a readiness flip (both the current state and the count of flips)."""
    READY.set(1 if ready else 0)
    READINESS_CHANGES.labels("ready" if ready else "unready").inc()


class PoolStatsCollector(Collector):
    """Exports ``psycopg_pool`` ``get_stats()`` as ``stack_cfo_db_pool_*`` gauges at scrape time."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            stats = self._stats()
        except Exception:  # pool closed or not built yet
            return
        for key, value in sorted(stats.items()):
            yield GaugeMetricFamily(f"stack_cfo_db_pool_{key}", f"psycopg_pool stat {key}", value=value)


_pool_collector: PoolStatsCollector | None = None


def register_pool_stats(stats: Callable[[], dict[str, int]]) -> None:
    global _pool_collector
    if _pool_collector is not None:
        REGISTRY.unregister(_pool_collector)
    _pool_collector = PoolStatsCollector(stats)
    REGISTRY.register(_pool_collector)


async def start_metrics_server(
    listen: str, *, before_scrape: Callable[[], Awaitable[None]] | None = None
) -> web.AppRunner:
    """Serve ``/metrics`` on ``host:port`` (aiohttp, on the running loop). ``before_scrape``
    refreshes figures read from elsewhere (the database) first; it gets one second, and a
    failure leaves the previous values."""

    async def metrics(_: web.Request) -> web.Response:
        if before_scrape is not None:
            try:
                await asyncio.wait_for(before_scrape(), 1.0)
            except Exception as exc:
                log.debug("figures not refreshed before the scrape", extra={"error": type(exc).__name__})
        body = await asyncio.to_thread(generate_latest, REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    site = web.TCPSite(runner, host.strip("[]"), int(port))
    await site.start()
    log.info("metrics listening", extra={"listen": listen})
    return runner


def bound_port(runner: web.AppRunner) -> int:
    for site in runner.sites:
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            return int(server.sockets[0].getsockname()[1])
    raise RuntimeError("metrics server not started")
