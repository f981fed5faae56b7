"""TLS and mTLS on the gRPC port from certificate files, with a CA made in the test: valid,
expired and wrong-CA clients, and a certificate rotation while serving (no restart)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.integration.portfolio.support import new_user
from tests.support.certs import CertificateAuthority, Issued
from tests.support.server import RunningServer, running_server

SERVING = health_pb2.HealthCheckResponse.SERVING


@asynccontextmanager
async def tls_server(db_dsn: str, data_dir: Path, files: dict[str, Path]) -> AsyncIterator[RunningServer]:
    overrides = {"server": {k: str(v) for k, v in files.items()}}
    async with running_server(db_dsn, data_dir, overrides, wait_ready=False) as srv:
        target = f"127.0.0.1:{srv.process.grpc.health_port}"  # the probes' port stays plain text
        async with grpc.aio.insecure_channel(target) as ch:
            deadline = time.monotonic() + 20
            while (await health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service="readiness"), timeout=2)).status != SERVING:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        yield srv


async def _list_sessions(srv: RunningServer, root: bytes, client: Issued | None = None) -> grpc.StatusCode:
    creds = grpc.ssl_channel_credentials(
        root_certificates=root,
        private_key=client.key_pem if client else None,
        certificate_chain=client.cert_pem if client else None,
    )
    user = new_user()
    # A fresh channel (no shared subchannel), so each call makes its own TLS handshake.
    async with grpc.aio.secure_channel(srv.target, creds, options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
        try:
            await chat_pb2_grpc.ChatServiceStub(ch).ListSessions(
                chat_pb2.ListSessionsRequest(parent=f"users/{user}"), metadata=srv.auth(user), timeout=5)
        except grpc.aio.AioRpcError as err:
            return err.code()
    return grpc.StatusCode.OK


async def _plaintext(srv: RunningServer) -> grpc.StatusCode:
    async with grpc.aio.insecure_channel(srv.target, options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
        try:
            await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=3)
        except grpc.aio.AioRpcError as err:
            return err.code()
    return grpc.StatusCode.OK


async def test_tls_serves_clients_that_trust_our_ca_and_refuses_plain_text(
    db_dsn: str, data_dir: Path, tmp_path: Path
) -> None:
    ca, other = CertificateAuthority("stack-cfo test CA"), CertificateAuthority("someone else")
    cert, key = ca.issue("stack-cfo", server=True).write(tmp_path, "server")
    async with tls_server(db_dsn, data_dir, {"tls_cert_file": cert, "tls_key_file": key}) as srv:
        assert await _list_sessions(srv, ca.pem) == grpc.StatusCode.OK
        assert await _list_sessions(srv, other.pem) == grpc.StatusCode.UNAVAILABLE  # server not trusted
        assert await _plaintext(srv) == grpc.StatusCode.UNAVAILABLE


async def test_mtls_accepts_only_current_client_certificates_from_the_client_ca(
    db_dsn: str, data_dir: Path, tmp_path: Path
) -> None:
    server_ca, client_ca, rogue_ca = (CertificateAuthority(n) for n in ("server CA", "client CA", "rogue CA"))
    cert, key = server_ca.issue("stack-cfo", server=True).write(tmp_path, "server")
    (tmp_path / "clients.pem").write_bytes(client_ca.pem)
    now = datetime.now(UTC)
    valid = client_ca.issue("billing-backend", server=False)
    expired = client_ca.issue("old-backend", server=False, not_before=now - timedelta(days=10),
                              not_after=now - timedelta(days=1))
    not_yet = client_ca.issue("future-backend", server=False, not_before=now + timedelta(days=1))
    wrong_ca = rogue_ca.issue("billing-backend", server=False)
    files = {"tls_cert_file": cert, "tls_key_file": key, "tls_client_ca_file": tmp_path / "clients.pem"}
    async with tls_server(db_dsn, data_dir, files) as srv:
        assert await _list_sessions(srv, server_ca.pem, valid) == grpc.StatusCode.OK
        for bad in (expired, not_yet, wrong_ca, None):
            assert await _list_sessions(srv, server_ca.pem, bad) == grpc.StatusCode.UNAVAILABLE
        # The probes' port answers without any certificate.
        async with grpc.aio.insecure_channel(f"127.0.0.1:{srv.process.grpc.health_port}") as ch:
            resp = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service="liveness"))
            assert resp.status == SERVING


async def test_certificates_rotate_while_serving(db_dsn: str, data_dir: Path, tmp_path: Path) -> None:
    """New files (a certificate from another CA, and a new client CA) are used for new
    connections without a restart; a half-written rotation keeps the old pair."""
    old_ca, new_ca = CertificateAuthority("2025 CA"), CertificateAuthority("2026 CA")
    cert, key = old_ca.issue("stack-cfo", server=True).write(tmp_path, "server")
    async with tls_server(db_dsn, data_dir, {"tls_cert_file": cert, "tls_key_file": key}) as srv:
        assert await _list_sessions(srv, old_ca.pem) == grpc.StatusCode.OK
        assert await _list_sessions(srv, new_ca.pem) == grpc.StatusCode.UNAVAILABLE

        # Half a rotation: the new certificate without its key. The old pair keeps serving.
        replacement = new_ca.issue("stack-cfo", server=True)
        cert.write_bytes(replacement.cert_pem)
        _touch_later(cert)
        assert await _list_sessions(srv, old_ca.pem) == grpc.StatusCode.OK

        key.write_bytes(replacement.key_pem)
        _touch_later(key)
        assert await _list_sessions(srv, new_ca.pem) == grpc.StatusCode.OK
        assert await _list_sessions(srv, old_ca.pem) == grpc.StatusCode.UNAVAILABLE
        assert srv.process.grpc.tls is not None and srv.process.grpc.tls.reloads == 1


def _touch_later(path: Path) -> None:
    """Move the file's mtime forward (file systems with coarse timestamps would hide the change)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("missing", ["tls_key_file", "tls_cert_file"])
def test_a_certificate_needs_its_key(tmp_path: Path, missing: str) -> None:
    from stack_cfo.config import ConfigError, build_config

    ca = CertificateAuthority("ca")
    cert, key = ca.issue("s", server=True).write(tmp_path, "server")
    server = {"tls_cert_file": str(cert), "tls_key_file": str(key)}
    del server[missing]
    with pytest.raises(ConfigError) as ei:
        build_config({"server": server})
    assert ei.value.key.startswith("server.tls_")
