"""Prometheus metrics shared by the server: the go-grpc-prometheus names plus pool stats."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from stack_cfo.telemetry.listen import serve_app

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
    multiprocess_mode="livemin",  # serve --workers N: 1 only while every live worker is ready
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


#: psycopg_pool's cumulative stats (counters since the pool started): our name, and the factor to
#: the base unit (its ``_ms`` figures become seconds). Every other stat is a gauge as it comes.
_POOL_COUNTERS = {
    "requests_num": ("requests", 1.0),
    "requests_queued": ("requests_queued", 1.0),
    "requests_errors": ("requests_errors", 1.0),
    "requests_wait_ms": ("requests_wait_seconds", 1e-3),
    "usage_ms": ("usage_seconds", 1e-3),
    "returns_bad": ("returns_bad", 1.0),
    "connections_num": ("connections", 1.0),
    "connections_ms": ("connections_seconds", 1e-3),
    "connections_errors": ("connections_errors", 1.0),
    "connections_lost": ("connections_lost", 1.0),
}


class PoolStatsCollector(Collector):
    """Exports ``psycopg_pool`` ``get_stats()`` at scrape time: its current figures (``pool_size``,
    ``pool_available``, ``requests_waiting``...) as ``stack_cfo_db_pool_*`` gauges, its cumulative
    ones as ``stack_cfo_db_pool_*_total`` counters in base units (``requests_wait_seconds_total``,
    not milliseconds), so ``rate()`` and counter resets work as for every other counter."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        try:
            # psycopg_pool reports a counter only once it is non-zero: export every one from 0, so a
            # dashboard's rate() has a series (a pool that never waited has waited 0 s)
            stats = {**dict.fromkeys(_POOL_COUNTERS, 0), **self._stats()}
        except Exception:  # pool closed or not built yet
            return
        for key, value in sorted(stats.items()):
            counter = _POOL_COUNTERS.get(key)
            if counter is not None:
                name, factor = counter
                yield CounterMetricFamily(f"stack_cfo_db_pool_{name}", f"psycopg_pool stat {key} (cumulative)",
                                          value=value * factor)
            elif key.endswith("_ms"):  # a cumulative time a newer psycopg_pool adds
                yield CounterMetricFamily(f"stack_cfo_db_pool_{key[:-3]}_seconds", f"psycopg_pool stat {key}",
                                          value=value / 1000)
            else:
                yield GaugeMetricFamily(f"stack_cfo_db_pool_{key}", f"psycopg_pool stat {key}", value=value)


_pool_collector: PoolStatsCollector | None = None


def register_pool_stats(stats: Callable[[], dict[str, int]]) -> None:
    global _pool_collector
    if _pool_collector is not None:
        REGISTRY.unregister(_pool_collector)
    _pool_collector = PoolStatsCollector(stats)
    REGISTRY.register(_pool_collector)


def pool_stats_collector() -> PoolStatsCollector | None:
    """The pool figures' collector registered by :func:`register_pool_stats` (None before)."""
    return _pool_collector


MIRROR_EVERY = 5.0
"""Seconds between two writes of a worker's scrape-time figures (``serve --workers N``)."""

#: How the supervisor's page combines each mirrored gauge over the live workers (default: sum).
MIRROR_GAUGE_MODES: Mapping[str, str] = {
    "stack_cfo_portfolio_change_feed_connected": "livemin",  # 1 only while every worker hears changes
    "process_start_time_seconds": "livemin",  # the oldest worker
    "process_max_fds": "livemin",
}


class CollectorMirror:
    """``serve --workers N``: figures a worker computes at scrape time, written to its
    prometheus-client multiprocess files, so the supervisor's one page shows them.

    A worker serves no page of its own, so collectors that compute their figures when scraped
    (the pool's, the portfolio cache and watch figures, the process's CPU and memory) would
    never run. :meth:`mirror` runs them and copies each sample into a metric of the same name
    in the multiprocess files: counters by the amount they grew since the last copy (summed over
    workers, a dead worker's count kept, as for every counter), gauges as they are, summed over
    the live workers unless :data:`MIRROR_GAUGE_MODES` says otherwise. The page is at most
    :data:`MIRROR_EVERY` seconds behind."""

    def __init__(self, collectors: Callable[[], Iterable[Collector | None]],
                 gauge_modes: Mapping[str, str] = MIRROR_GAUGE_MODES) -> None:
        self._collectors = collectors
        self._modes = gauge_modes
        self._metrics: dict[str, Any] = {}
        self._last: dict[tuple[str, tuple[str, ...]], float] = {}

    def mirror(self) -> None:
        for collector in self._collectors():
            if collector is None:
                continue
            try:
                families = list(collector.collect())
            except Exception as exc:  # a figure that cannot be read now is skipped, not fatal
                log.debug("scrape-time figures not mirrored", extra={"error": type(exc).__name__})
                continue
            for family in families:
                if family.type not in ("counter", "gauge"):
                    continue
                for sample in family.samples:
                    if family.type == "counter" and not sample.name.endswith("_total"):
                        continue  # a counter's _created sample
                    self._copy(family.type, family.name, family.documentation, sample.labels, sample.value)

    def _copy(self, kind: str, name: str, doc: str, labels: Mapping[str, str], value: float) -> None:
        names = tuple(sorted(labels))
        metric = self._metrics.get(name)
        if metric is None:
            # registry=None: the worker's own registry has the collector under this name already;
            # in multiprocess mode the value is written to this process's files all the same.
            mode: Any = self._modes.get(name, "livesum")
            metric = self._metrics[name] = (
                Counter(name, doc or name, names, registry=None) if kind == "counter"
                else Gauge(name, doc or name, names, registry=None, multiprocess_mode=mode)
            )
        child: Any = metric.labels(*(labels[k] for k in names)) if names else metric
        if kind == "counter":
            key = (name, tuple(labels[k] for k in names))
            grew = value - self._last.get(key, 0.0)
            self._last[key] = value
            if grew > 0:
                child.inc(grew)
        else:
            child.set(value)


async def start_metrics_server(
    listen: str, *, before_scrape: Callable[[], Awaitable[None]] | None = None,
    registry: CollectorRegistry = REGISTRY, key: str = "server.metrics_listen",
) -> web.AppRunner:
    """Serve ``/metrics`` on ``host:port`` (aiohttp, on the running loop). ``before_scrape``
    refreshes figures read from elsewhere (the database) first; it gets one second, and a
    failure leaves the previous values. ``registry``: what to serve (the supervisor of
    ``serve --workers N`` serves the workers' figures through a multiprocess collector)."""

    async def metrics(_: web.Request) -> web.Response:
        if before_scrape is not None:
            try:
                await asyncio.wait_for(before_scrape(), 1.0)
            except Exception as exc:
                log.debug("figures not refreshed before the scrape", extra={"error": type(exc).__name__})
        body = await asyncio.to_thread(generate_latest, registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = await serve_app(app, listen, key)
    log.info("metrics listening", extra={"listen": listen})
    return runner


def bound_port(runner: web.AppRunner) -> int:
    for site in runner.sites:
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            return int(server.sockets[0].getsockname()[1])
    raise RuntimeError("metrics server not started")
