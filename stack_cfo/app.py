"""Wiring: the one place that builds the pool, clients and services from config,
and runs the server's lifecycle (start-up, readiness, graceful shutdown).

Tests build the same objects with other parts plugged in (another clock, a stand-in
provider URL, a database per test).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stack_cfo.api.auth import TokenVerifier, resolve_jwt_secret
from stack_cfo.api.server import GrpcServer, Registration
from stack_cfo.api.validation import PageTokens
from stack_cfo.config import Config
from stack_cfo.core.clock import Clock, SystemClock
from stack_cfo.secret import Secret
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.store.migrations import Migrator
from stack_cfo.telemetry import logging as tlog
from stack_cfo.telemetry.metrics import register_pool_stats, start_metrics_server

log = logging.getLogger(__name__)


@dataclass
class Container:
    """Everything a servicer or job needs, built once per process."""

    config: Config
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    jwt_secret: Secret | None = None
    page_tokens: PageTokens = field(default_factory=lambda: PageTokens(os.urandom(32)))
    extras: dict[str, Any] = field(default_factory=dict)
    """Feature services registered by name (``portfolio``, ``chat``, ``compute`` ...)."""

    def service(self, name: str, factory: Callable[[Container], Any]) -> Any:
        """The shared feature service ``name``, built once by ``factory`` on first use.

        Feature services may define ``async astart()`` (called once the database is ready)
        and ``async aclose()`` (called at shutdown, before the pool closes).
        """
        if name not in self.extras:
            self.extras[name] = factory(self)
        return self.extras[name]

    async def aclose(self) -> None:
        for svc in reversed(list(self.extras.values())):
            closer = getattr(svc, "aclose", None) or getattr(svc, "close", None)
            if closer is not None and inspect.iscoroutinefunction(closer):
                with contextlib.suppress(Exception):
                    await closer()


def resolve_database_url(config: Config) -> tuple[str, Any]:
    """``DATABASE_URL`` when set; else the embedded server (returns its keep-alive handle)."""
    if config.database.url is not None:
        return config.database.url.get(), None
    from stack_cfo.store.embedded import start_embedded

    uri, handle = start_embedded(config.database.data_dir)
    log.info(
        "DATABASE_URL is unset: using the embedded PostgreSQL",
        extra={"data_dir": str(config.database.data_dir / "pgdata")},
    )
    return uri, handle


def register_config_secrets(config: Config) -> None:
    """Tell the log formatter which values must never appear in a line: every secret key's."""
    tlog.register_secrets([secret.get() for secret in config.secrets()])


def check_feature_configs(config: Config) -> None:
    """Check at start-up what loading the config cannot, so a bad value stops the process
    (exit 2, naming the key) instead of failing on first use: the archive master keys."""
    if config.archive.master_keys is not None:
        from stack_cfo.archive_wiring import master_keys

        master_keys(config)


def build_container(config: Config, conninfo: str, *, clock: Clock | None = None) -> Container:
    db = Database(
        conninfo,
        PoolSettings(
            min_size=config.database.pool_min_size,
            max_size=config.database.pool_max_size,
            timeout=config.database.pool_timeout.total_seconds(),
        ),
    )
    secret = resolve_jwt_secret(config.auth, config.database.data_dir)
    # Page tokens must verify on every replica: key them from the shared JWT secret when there is one.
    key = hashlib.sha256(b"stack-cfo page tokens\x00" + secret.get().encode()).digest() if secret else os.urandom(32)
    container = Container(
        config=config, db=db, clock=clock or SystemClock(), jwt_secret=secret, page_tokens=PageTokens(key)
    )
    return container


class ServerProcess:
    """Start-up, readiness and graceful shutdown of ``stack-cfo serve``."""

    def __init__(
        self,
        config: Config,
        conninfo: str,
        *,
        listen: str | None = None,
        clock: Clock | None = None,
        configure: Callable[[Container], None] | None = None,
        extra_registrations: Sequence[Registration] = (),
    ) -> None:
        self.config = config
        self.container = build_container(config, conninfo, clock=clock)
        if configure is not None:
            configure(self.container)
        from stack_cfo.api.servicers import build_registrations

        self.grpc = GrpcServer(
            config.server,
            [*build_registrations(self.container), *extra_registrations],
            TokenVerifier(config.auth, self.container.jwt_secret),
            listen=listen,
        )
        self._tasks: list[asyncio.Task[Any]] = []
        self._metrics: Any = None
        self.stopping = asyncio.Event()

    async def start(self) -> int:
        port = await self.grpc.start()
        if self.config.server.metrics_listen:
            self._metrics = await start_metrics_server(self.config.server.metrics_listen)
        register_pool_stats(self.container.db.stats)
        self._tasks.append(asyncio.create_task(self._become_ready(), name="become-ready"))
        return port

    async def _become_ready(self) -> None:
        """Open the pool (retrying while the database is down), migrate, then watch the database."""
        cfg = self.config
        delay = 0.5
        while not self.stopping.is_set():
            try:
                await self.container.db.open(timeout=10)
                break
            except Exception as exc:
                log.warning("database not reachable yet; retrying", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
        migrator = Migrator(self.container.db.conninfo)
        while not self.stopping.is_set():
            try:
                if cfg.database.migrate_on_start:
                    await migrator.up()
                status = await migrator.status()
                if status.at_head:
                    break
                log.error(
                    "schema is not at head and migrate_on_start is off",
                    extra={"current": status.current, "head": status.head},
                )
            except Exception as exc:
                log.warning("migration check failed; retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
        for svc in self.container.extras.values():
            starter = getattr(svc, "astart", None)
            if starter is not None:
                await starter()
        await self.grpc.health.monitor(
            self.container.db.ping,
            interval=cfg.server.db_health_interval.total_seconds(),
            failures_before_unready=cfg.server.db_failures_before_unready,
        )

    async def shutdown(self) -> None:
        """Readiness NOT_SERVING at once; keep serving ``drain_delay``; ``stop(grace)``; close the pool."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        cfg = self.config.server
        await self.grpc.health.begin_shutdown()
        log.info("shutdown: draining", extra={"drain_delay_s": cfg.drain_delay.total_seconds()})
        await asyncio.sleep(cfg.drain_delay.total_seconds())
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        log.info("shutdown: stopping gRPC", extra={"grace_s": cfg.shutdown_grace.total_seconds()})
        await self.grpc.stop(cfg.shutdown_grace.total_seconds())
        # Handler ``finally`` blocks run after stop() returns; let them finish before the pool closes.
        await asyncio.sleep(0.05)
        await self.container.aclose()
        await self.container.db.close()
        if self._metrics is not None:
            await self._metrics.cleanup()
        log.info("shutdown complete")


async def serve(config: Config) -> int:
    conninfo, embedded = resolve_database_url(config)
    proc = ServerProcess(config, conninfo)
    await proc.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("signal received; shutting down")
    await proc.shutdown()
    del embedded  # the embedded server stops when the last handle goes
    return 0
