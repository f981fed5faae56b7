"""The grpc.aio servers: options, the wrapped handlers, health, reflection, TLS, and their lifecycle.

Two servers share one health state. The API server (``server.listen``, TLS when configured)
serves the contract, health and reflection, with ``server.max_concurrent_rpcs``; no one principal
(calls in flight) and not the calls without a token (``server.max_unauthenticated_calls``) can
take all of it (:mod:`.limits`). The health server (``server.health_listen``, plain text:
Kubernetes gRPC probes speak no TLS) serves only health and reflection, with no such caps, so
probes never queue behind, or get refused by, user traffic.

A server process is not ready to serve the contract until its database pool is open: until
:meth:`GrpcServer.open_for_calls`, a contract call is refused with UNAVAILABLE ``SERVER_STARTING``
(RetryInfo 1 s), not met by the pool's DATABASE_UNAVAILABLE while the database is fine (the
wrapper's admission step does it, :class:`~.interceptors.StartGate`). A worker
of ``serve --workers N`` does not even listen before then (:meth:`GrpcServer.start` with
``listen=False``, then :meth:`GrpcServer.listen_api`): the kernel gives new connections only to the
workers on the port, so a restarting worker takes none before it can serve them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc
from grpc_status import rpc_status

from stack_cfo.api import reflection_v1
from stack_cfo.api.auth import TokenVerifier
from stack_cfo.api.cpu_budget import WriteCpuBudget
from stack_cfo.api.errors import clip, to_status
from stack_cfo.api.health import HealthState
from stack_cfo.api.interceptors import Registrar, RpcWrapper, StartGate
from stack_cfo.api.limits import CallLimiter, UnauthenticatedStreams, in_flight_cap
from stack_cfo.api.tls import CertificateFiles, certificate_files
from stack_cfo.config import ServerConfig
from stack_cfo.core.errors import Unimplemented
from stack_cfo.telemetry.listen import ListenError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Registration:
    """One gRPC service to serve: its full name, the generated ``add_*_to_server`` and the servicer."""

    service_name: str
    add: Callable[[Any, grpc.aio.Server], None]
    servicer: Any


def _ms(td: Any) -> int:
    return int(td.total_seconds() * 1000)


#: The largest request metadata (headers, the token included) a call may carry.
MAX_METADATA_BYTES = 16 * 1024


def server_options(cfg: ServerConfig, *, reuse_port: bool = False) -> list[tuple[str, int]]:
    """Channel arguments documented for client teams in docs/clients.md. ``reuse_port``: the
    workers of ``serve --workers N`` bind one port together (SO_REUSEPORT; the kernel spreads
    new connections over them); otherwise a second process on the port is an error."""
    per_connection = [("grpc.max_concurrent_streams", cfg.max_streams_per_connection)] \
        if cfg.max_streams_per_connection else []
    return [
        *per_connection,
        ("grpc.max_receive_message_length", cfg.max_message_bytes),
        ("grpc.max_send_message_length", cfg.max_message_bytes),
        ("grpc.keepalive_time_ms", _ms(cfg.keepalive_time)),
        ("grpc.keepalive_timeout_ms", _ms(cfg.keepalive_timeout)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", _ms(cfg.min_client_ping_interval)),
        ("grpc.http2.max_ping_strikes", 2),
        ("grpc.max_connection_age_ms", _ms(cfg.max_connection_age)),
        ("grpc.max_connection_age_grace_ms", _ms(cfg.max_connection_age_grace)),
        ("grpc.so_reuseport", 1 if reuse_port else 0),
        *_receive_window(cfg.stream_receive_window),
        # Request metadata up to 16 KiB is read, beyond it refused (docs/api.md). grpc's own soft limit
        # (8 KiB) refused a growing share of requests between the two at random: a large JWT failed
        # on some calls and not on others.
        ("grpc.max_metadata_size", MAX_METADATA_BYTES),
        ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
    ]


def _receive_window(window: int) -> list[tuple[str, int]]:
    """A stream's receive window before its message is read (``server.stream_receive_window``; grpc then opens it
    to the message's size); 0: grpc's bandwidth-delay probing. With probing the initial window of every stream grew
    to megabytes, so a client could push that much into each call the server had not read, refused ones included:
    one connection with 100 concurrent 6.4 MB SyncPortfolio calls bearing a bad token took a server from 175 MB to
    960 MB (1.6 GB at 250); 368 MB with 256 KiB (320 MB with HTTP/2's default 64 KiB, which cost a cached
    GetPortfolioSummary ~10 % of its throughput in window updates; 256 KiB did not: bench/portfolio_summary.py
    0.78-0.79 of the echo either way). A 1.5 MB sync through a 50 ms round trip took as long as with probing
    (1.0-1.6 s). Probing saved ~0.15 s of server CPU per price change fanned out to 10,000 watches."""
    if window == 0:
        return [("grpc.http2.bdp_probe", 1)]
    return [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", window)]


def add_health_and_reflection(registrar: Registrar, servicer: Any, services: Sequence[str]) -> None:
    """Health (no token, no per-principal limits: the registrar's wrapper caps their streams on the
    API port) and reflection of ``services`` plus themselves (reflection as v1 and as v1alpha, see
    :mod:`.reflection_v1`)."""
    registrar.add(health_pb2_grpc.add_HealthServicer_to_server, servicer)
    names = [*services, health.SERVICE_NAME, reflection_v1.SERVICE_NAME, reflection.SERVICE_NAME]
    reflecting = reflection_v1.ReflectionServicer(names)
    registrar.add(reflection_pb2_grpc.add_ServerReflectionServicer_to_server, reflecting)
    registrar.add(reflection_v1.add_to_server, reflecting)


def bind(server: grpc.aio.Server, address: str, key: str, credentials: grpc.ServerCredentials | None = None) -> int:
    """``server``'s port on ``address``, or :class:`ListenError` (grpc raises a RuntimeError that
    names no setting, or returns 0)."""
    try:
        port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    except RuntimeError:
        port = 0
    if port == 0:
        raise ListenError(key, address)
    return port


class UnknownMethods(grpc.GenericRpcHandler):
    """Every method no service here has: UNIMPLEMENTED with an ErrorInfo (METHOD_NOT_FOUND, metadata
    ``method``) like every other error, instead of grpc's bare "Method not found!" (a client built from
    a newer contract, or a typo in ``grpcurl``, learns what it called). A stream-stream handler, so a
    streaming caller is answered at once without the server waiting for a message."""

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method = str(handler_call_details.method)
        status = rpc_status.to_status(to_status(Unimplemented(
            f"method {clip(method, 200)!r} is not served here (unknown service or method: check the contract "
            "version, or list what is served with server reflection)",
            reason="METHOD_NOT_FOUND", metadata={"method": method},
        )))

        async def refuse(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> None:
            await context.abort_with_status(status)

        return grpc.stream_stream_rpc_method_handler(refuse)


class GrpcServer:
    def __init__(
        self,
        cfg: ServerConfig,
        registrations: Sequence[Registration],
        verifier: TokenVerifier,
        *,
        listen: str | None = None,
        limiter: CallLimiter | None = None,
        reuse_port: bool = False,
        report_readiness: Callable[[bool], None] | None = None,
        starting: bool = False,
        write_budget: WriteCpuBudget | None = None,
    ) -> None:
        """``starting``: contract calls are refused (UNAVAILABLE ``SERVER_STARTING``) until
        :meth:`open_for_calls`; Health and reflection are always served. ``write_budget``: the CPU
        each principal's heavy writes may take (none: unlimited)."""
        self.cfg = cfg
        self.listen = listen or cfg.listen
        self.limiter = limiter
        names = [r.service_name for r in registrations]
        self.health = HealthState(names, report=report_readiness)
        self.server = grpc.aio.server(
            options=server_options(cfg, reuse_port=reuse_port), maximum_concurrent_rpcs=cfg.max_concurrent_rpcs
        )
        if limiter is not None:
            limiter.bound_by(cfg.max_concurrent_rpcs)
        unauthenticated_cap = in_flight_cap(cfg.max_unauthenticated_calls, cfg.max_concurrent_rpcs)
        if unauthenticated_cap != cfg.max_unauthenticated_calls:
            log.warning("unauthenticated-calls cap lowered to a quarter of server.max_concurrent_rpcs",
                        extra={"setting": "server.max_unauthenticated_calls",
                               "configured": cfg.max_unauthenticated_calls, "used": unauthenticated_cap})
        self.unauthenticated = UnauthenticatedStreams(unauthenticated_cap)
        self.gate = StartGate(is_open=not starting)
        api = Registrar(self.server, RpcWrapper(
            verifier, limiter, self.unauthenticated, gate=self.gate,
            read_timeout=cfg.request_read_timeout.total_seconds(), write_budget=write_budget,
        ).wrap)
        for r in registrations:
            api.add(r.add, r.servicer)
        add_health_and_reflection(api, self.health.servicer, names)
        self.server.add_generic_rpc_handlers((UnknownMethods(),))  # last: only what nothing else serves
        self.health_server: grpc.aio.Server | None = None
        if cfg.health_listen:
            self.health_server = grpc.aio.server(options=server_options(cfg))
            probes = Registrar(self.health_server, RpcWrapper(None).wrap)
            add_health_and_reflection(probes, self.health.servicer, ())
        self.tls: CertificateFiles | None = certificate_files(cfg)
        self.port = 0
        self.health_port = 0

    def unauthenticated_calls(self) -> int:
        """Calls without a token in flight on the API port now."""
        return self.unauthenticated.open

    def open_for_calls(self) -> None:
        """The process can serve the contract now (its database pool is open)."""
        self.gate.open()

    async def start(self, *, listen: bool = True) -> int:
        """The health port and health statuses; with ``listen``, the API port too (else
        :meth:`listen_api` binds it later). The API port's number, 0 when not listening yet."""
        if self.limiter is not None:
            await self.limiter.start()
        if self.health_server is not None:
            self.health_port = bind(self.health_server, self.cfg.health_listen, "server.health_listen")
        await self.health.start()
        if self.health_server is not None:
            await self.health_server.start()
        if listen:
            await self.listen_api()
        return self.port

    async def listen_api(self) -> int:
        """Bind the API port and serve it (ListenError when it cannot be bound)."""
        self.port = bind(self.server, self.listen, "server.listen",
                         self.tls.credentials() if self.tls is not None else None)
        await self.server.start()
        log.info(
            "gRPC listening",
            extra={"listen": self.listen, "port": self.port, "tls": self.tls is not None,
                   "mtls": self.tls is not None and self.tls.client_ca_file is not None,
                   "health_port": self.health_port},
        )
        return self.port

    async def stop(self, grace: float | None) -> None:
        await self.server.stop(grace)
        if self.health_server is not None:
            await self.health_server.stop(0)
        if self.limiter is not None:
            await self.limiter.aclose()
