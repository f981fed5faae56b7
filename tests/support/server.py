"""Run the real server in-process on 127.0.0.1:0 against a test database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stack_cfo.api.auth import mint_token
from stack_cfo.config import Config, build_config
from stack_cfo.core.clock import Clock
from stack_cfo.secret import Secret
from stack_cfo.wiring.server import ServerProcess
from tests.support.secrets import ARCHIVE_MASTER_KEYS, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _deep_merge(out.get(k, {}), v) if isinstance(v, Mapping) else v
    return out


def test_config(db_dsn: str, data_dir: Path, overrides: Mapping[str, Any] | None = None) -> Config:
    tree: dict[str, Any] = {
        "server": {
            "listen": "127.0.0.1:0",
            "metrics_listen": "off",
            "drain_delay": "0s",  # the drain tests set their own; a stop then takes 0.06 s, not 0.26 s
            "shutdown_grace": "5s",
            "db_health_interval": "0.2s",
            "db_failures_before_unready": 2,
            "health_listen": "127.0.0.1:0",
        },
        "database": {"url": db_dsn, "data_dir": str(data_dir), "pool_min_size": 1, "pool_max_size": 10},
        "auth": {"jwt_secret": JWT_SECRET, "issuer": JWT_ISSUER, "audience": JWT_AUDIENCE},
        "archive": {"master_keys": ARCHIVE_MASTER_KEYS},
        # Limits stay on (every test goes through them) but high enough for the suites' own bursts;
        # tests/integration/test_limits.py sets real ones.
        "rate_limits": {
            "user": {"reads": "10000/second", "writes": "10000/second", "paid_ai": "10000/second",
                     "streams": "10000/second", "concurrent_streams": 1000},
        },
        "logging": {"level": "INFO"},
    }
    return build_config(_deep_merge(tree, overrides or {}))


@dataclass
class RunningServer:
    process: ServerProcess
    port: int
    channel: grpc.aio.Channel

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def container(self) -> Any:
        return self.process.container

    def token(self, user_id: str | None = None, *, service: str | None = None, ttl: int = 600) -> str:
        return mint_token(Secret(JWT_SECRET), user_id=user_id, service=service, ttl_seconds=ttl,
                          cfg=self.process.config.auth)

    def auth(self, user_id: str | None = None, *, service: str | None = None) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.token(user_id, service=service)}")]

    async def health(self, service: str) -> int:
        stub = health_pb2_grpc.HealthStub(self.channel)
        resp = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
        return int(resp.status)

    async def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.health("readiness") == health_pb2.HealthCheckResponse.SERVING:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("server did not become ready")


@asynccontextmanager
async def running_server(
    db_dsn: str,
    data_dir: Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    clock: Clock | None = None,
    wait_ready: bool = True,
    configure: Any = None,
    servicers: Any = None,
    extra_registrations: Any = (),
) -> AsyncIterator[RunningServer]:
    config = test_config(db_dsn, data_dir, overrides)
    proc = ServerProcess(config, db_dsn, clock=clock, configure=configure, servicers=servicers,
                         extra_registrations=extra_registrations)
    port = await proc.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    srv = RunningServer(proc, port, channel)
    try:
        if wait_ready:
            await srv.wait_ready()
        yield srv
    finally:
        await channel.close()
        await proc.shutdown()


test_config.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test, when imported by tests
