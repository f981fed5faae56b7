"""Run ``stack-cfo`` as a real OS process (for signals, exit codes, the embedded set-up)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.logcapture import record_output
from tests.support.secrets import ARCHIVE_MASTER_KEYS, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET

_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, and never one this process handed out before: ports are
    chosen before the processes that bind them start, so two calls must not return the same free
    port (CI saw a replica's metrics port equal another's health port, bound a moment later)."""
    for _ in range(1000):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port left that was not handed out already")


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "STACK_CFO_JWT_SECRET": JWT_SECRET,
        "STACK_CFO_JWT_ISSUER": JWT_ISSUER,
        "STACK_CFO_JWT_AUDIENCE": JWT_AUDIENCE,
        "STACK_CFO_ARCHIVE_MASTER_KEYS": ARCHIVE_MASTER_KEYS,
        "STACK_CFO_HEALTH_LISTEN": f"127.0.0.1:{free_port()}",
        "STACK_CFO_METRICS_LISTEN": f"127.0.0.1:{free_port()}",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra or {})
    return env


def start_cli(args: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "stack_cfo.cli", *args],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes], label: str, timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    record_output(label, out + b"\n" + err)
    return proc.returncode, out.decode(), err.decode()


def stop(proc: subprocess.Popen[bytes], label: str, timeout: float = 60) -> tuple[int, str, str]:
    """SIGTERM, then its exit code and output; killed if it has not exited within ``timeout``
    (TimeoutExpired is raised then, after its output is recorded)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return finish(proc, label, timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        finish(proc, f"{label} (killed)")
        raise


async def wait_ready(target: str, timeout: float = 60.0, *, credentials: grpc.ChannelCredentials | None = None
                     ) -> None:
    """Poll ``readiness`` on ``host:port`` until SERVING (as a Kubernetes probe would); over TLS
    with ``credentials``."""
    deadline = time.monotonic() + timeout
    channel = (grpc.aio.secure_channel(target, credentials) if credentials is not None
               else grpc.aio.insecure_channel(target))
    async with channel as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        while time.monotonic() < deadline:
            try:
                r = await stub.Check(health_pb2.HealthCheckRequest(service="readiness"), timeout=1)
                if r.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{target} never became ready")


async def run_client_against_server(
    db_dsn: str, data_dir: str, label: str, argv: list[str]
) -> subprocess.CompletedProcess[str]:
    """A real ``stack-cfo serve`` (no compute: the offline writer answers) for the duration of one
    client program's run: ``argv`` with ``{addr}`` replaced by the server's address. The client's
    completed process; the server is stopped with SIGTERM and its output reported under ``label``."""
    port = free_port()
    serve = start_cli(["serve"], cli_env({
        "DATABASE_URL": db_dsn, "STACK_CFO_LISTEN": f"127.0.0.1:{port}", "STACK_CFO_DATA_DIR": data_dir,
        "STACK_CFO_DRAIN_DELAY": "0.1s",
    }))  # fmt: skip
    try:
        await wait_ready(f"127.0.0.1:{port}")
        return await asyncio.to_thread(
            subprocess.run, [a.replace("{addr}", f"127.0.0.1:{port}") for a in argv],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        serve.send_signal(signal.SIGTERM)
        finish(serve, label)
