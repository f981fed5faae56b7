"""The grpc.aio server: options, interceptors, health, reflection, and its lifecycle."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from stack_cfo.api.auth import TokenVerifier
from stack_cfo.api.health import HealthState
from stack_cfo.api.interceptors import ServiceInterceptor
from stack_cfo.config import ServerConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Registration:
    """One gRPC service to serve: its full name, the generated ``add_*_to_server`` and the servicer."""

    service_name: str
    add: Callable[[Any, grpc.aio.Server], None]
    servicer: Any


def _ms(td: Any) -> int:
    return int(td.total_seconds() * 1000)


def server_options(cfg: ServerConfig) -> list[tuple[str, int]]:
    """Channel arguments documented for client teams in docs/clients.md."""
    return [
        ("grpc.max_receive_message_length", cfg.max_message_bytes),
        ("grpc.max_send_message_length", cfg.max_message_bytes),
        ("grpc.keepalive_time_ms", _ms(cfg.keepalive_time)),
        ("grpc.keepalive_timeout_ms", _ms(cfg.keepalive_timeout)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", _ms(cfg.min_client_ping_interval)),
        ("grpc.http2.max_ping_strikes", 2),
        ("grpc.max_connection_age_ms", _ms(cfg.max_connection_age)),
        ("grpc.max_connection_age_grace_ms", _ms(cfg.max_connection_age_grace)),
        ("grpc.so_reuseport", 0),
    ]


class GrpcServer:
    def __init__(
        self,
        cfg: ServerConfig,
        registrations: Sequence[Registration],
        verifier: TokenVerifier,
        *,
        listen: str | None = None,
    ) -> None:
        self.cfg = cfg
        self.listen = listen or cfg.listen
        names = [r.service_name for r in registrations]
        self.health = HealthState(names)
        self.server = grpc.aio.server(
            interceptors=[ServiceInterceptor(verifier)],
            options=server_options(cfg),
            maximum_concurrent_rpcs=cfg.max_concurrent_rpcs,
        )
        for r in registrations:
            r.add(r.servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, self.server)
        reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server)
        self.port = 0

    async def start(self) -> int:
        self.port = self.server.add_insecure_port(self.listen)
        if self.port == 0:
            raise OSError(f"could not bind {self.listen}")
        await self.health.start()
        await self.server.start()
        log.info("gRPC listening", extra={"listen": self.listen, "port": self.port})
        return self.port

    async def stop(self, grace: float | None) -> None:
        await self.server.stop(grace)
