"""A (re)starting server takes no call it cannot serve, and never blames the database for it.

``serve --workers 2``: a worker killed with SIGKILL is restarted; the new one joined the shared
port (SO_REUSEPORT) at once and met the connections the kernel gave it with UNAVAILABLE
DATABASE_UNAVAILABLE while its pool was still opening, the database fine and the other worker
serving. It now listens only once its pool is open. One ``serve``: it listens at start (Health
answers there before readiness), and a contract call before its pool is open is UNAVAILABLE
SERVER_STARTING with a RetryInfo, not DATABASE_UNAVAILABLE.

The database sits behind a proxy that can hold new connections (the database up, but slow to let
a starting process in): the starting process is then stuck before its pool opens for as long as
the test needs, with no timing involved.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import psutil
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.e2e.test_workers import _auth, _calls_by_pid, _stop_pod, _workers
from tests.support.proc import cli_env, finish, free_port, start_cli, stop, wait_ready
from tests.support.tcp_proxy import PgProxy

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HoldingProxy(PgProxy):
    """A :class:`PgProxy` that can hold new connections (accepted, not yet forwarded) while the
    ones already open keep flowing."""

    def __init__(self, upstream_dsn: str) -> None:
        super().__init__(upstream_dsn)
        self.admitting = asyncio.Event()
        self.admitting.set()
        self.waiting = asyncio.Event()
        """Set when a connection is being held."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.admitting.is_set():
            self.waiting.set()
            await self.admitting.wait()
        await super()._handle(reader, writer)

    def hold(self) -> None:
        self.waiting.clear()
        self.admitting.clear()

    def admit(self) -> None:
        self.admitting.set()


@contextlib.asynccontextmanager
async def _proxy(db_dsn: str) -> AsyncIterator[HoldingProxy]:
    proxy = HoldingProxy(db_dsn)
    await proxy.start()
    try:
        yield proxy
    finally:
        proxy.admit()
        await proxy.close()


def _reason(err: grpc.aio.AioRpcError) -> str | None:
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    for d in st.details if st is not None else ():
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            return str(info.reason)
    return None


async def _list_sessions(target: str, user: str) -> tuple[grpc.StatusCode, str | None, str]:
    """One ListSessions on a connection of its own (the kernel picks a worker for each): its code,
    ErrorInfo reason and message."""
    async with grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
        try:
            await chat_pb2_grpc.ChatServiceStub(ch).ListSessions(
                chat_pb2.ListSessionsRequest(parent=f"users/{user}"), metadata=_auth(user), timeout=10)
        except grpc.aio.AioRpcError as err:
            return err.code(), _reason(err), err.details() or ""
    return grpc.StatusCode.OK, None, ""


def _listening(pid: int, port: int) -> bool:
    with contextlib.suppress(psutil.Error):
        return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
                   for c in psutil.Process(pid).net_connections(kind="tcp"))
    return False


async def test_a_restarted_worker_takes_no_call_before_its_pool_is_open(db_dsn: str, tmp_path: Path) -> None:
    async with _proxy(db_dsn) as proxy:
        port, health = free_port(), free_port()
        env = cli_env({
            "DATABASE_URL": proxy.dsn(),
            "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
            "STACK_CFO_HEALTH_LISTEN": f"127.0.0.1:{health}",
            "STACK_CFO_METRICS_LISTEN": "off",
            "STACK_CFO_DRAIN_DELAY": "0s",
            "STACK_CFO_SHUTDOWN_GRACE": "5s",
            "STACK_CFO_DATA_DIR": str(tmp_path),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        })
        proc = start_cli(["serve", "--workers", "2"], env)
        target = f"127.0.0.1:{port}"
        calls: list[tuple[grpc.StatusCode, str | None, str]] = []
        loading = True
        progress = asyncio.Event()

        async def load() -> None:
            # From before the kill until the new worker has served calls: one call after another,
            # each on a new connection (and of a new user: within every per-user rate).
            while loading:
                calls.append(await _list_sessions(target, str(uuid.uuid4())))
                progress.set()

        try:
            await wait_ready(f"127.0.0.1:{health}", timeout=90)
            first = _workers(proc)
            assert len(first) == 2
            victim, survivor = first
            loader = asyncio.create_task(load())
            async with grpc.aio.insecure_channel(f"127.0.0.1:{health}") as hch:
                readiness = health_pb2_grpc.HealthStub(hch).Watch(health_pb2.HealthCheckRequest(service="readiness"))
                assert (await readiness.read()).status == SERVING
                proxy.hold()  # the database stays up; a process connecting anew waits at the door
                psutil.Process(victim).kill()
                assert (await asyncio.wait_for(readiness.read(), 10)).status == NOT_SERVING

                await asyncio.wait_for(proxy.waiting.wait(), 60)  # the new worker is opening its pool
                (new,) = [p for p in _workers(proc) if p != survivor]
                before = len(calls)
                while len(calls) < before + 40:  # 40 new connections while it waits for the database
                    progress.clear()
                    await asyncio.wait_for(progress.wait(), 30)
                on_port = _listening(new, port), _listening(survivor, port)

                proxy.admit()
                assert (await asyncio.wait_for(readiness.read(), 60)).status == SERVING
            for _ in range(600):  # the restarted worker serves (the kernel gives it connections)
                if _calls_by_pid(tmp_path / "metrics").get(new, 0) >= 3:
                    break
                await asyncio.sleep(0.05)
            loading = False
            await loader
            assert _calls_by_pid(tmp_path / "metrics").get(new, 0) >= 3, "the restarted worker must serve"

            failed = [c for c in calls if c[0] != grpc.StatusCode.OK]
            assert not [c for c in failed if c[1] == "DATABASE_UNAVAILABLE"], \
                f"the database was up the whole time: {failed}"
            assert on_port == (False, True), "a worker whose pool is not open must not be on the port"
            # A connection the kernel had given to the killed worker just before the kill is reset:
            # UNAVAILABLE, which clients retry. Nothing else fails.
            assert all(c[0] == grpc.StatusCode.UNAVAILABLE for c in failed), failed
            assert len(failed) <= 3, failed
            assert proc.poll() is None
        finally:
            loading = False
            _stop_pod(proc, "stack-cfo serve --workers 2 (restart before ready)")


async def test_one_server_refuses_calls_before_its_pool_is_open_as_starting(db_dsn: str, tmp_path: Path) -> None:
    async with _proxy(db_dsn) as proxy:
        port, health = free_port(), free_port()
        env = cli_env({
            "DATABASE_URL": proxy.dsn(),
            "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
            "STACK_CFO_HEALTH_LISTEN": f"127.0.0.1:{health}",
            "STACK_CFO_METRICS_LISTEN": "off",
            "STACK_CFO_DRAIN_DELAY": "0s",
            "STACK_CFO_DATA_DIR": str(tmp_path),
        })
        proxy.hold()
        proc = start_cli(["serve"], env)
        target = f"127.0.0.1:{port}"
        user = str(uuid.uuid4())
        try:
            await asyncio.wait_for(proxy.waiting.wait(), 60)  # started, and waiting for the database
            assert _listening(proc.pid, port)
            async with grpc.aio.insecure_channel(target) as ch:
                stub = health_pb2_grpc.HealthStub(ch)
                # Health answers on the API port before readiness (liveness is the process's).
                live = await stub.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=5)
                assert live.status == SERVING
                ready = await stub.Check(health_pb2.HealthCheckRequest(service="readiness"), timeout=5)
                assert ready.status == NOT_SERVING
            code, reason, message = await _list_sessions(target, user)
            assert (code, reason) == (grpc.StatusCode.UNAVAILABLE, "SERVER_STARTING"), message

            proxy.admit()
            await wait_ready(f"127.0.0.1:{health}", timeout=60)
            assert (await _list_sessions(target, user))[0] == grpc.StatusCode.OK
        finally:
            proxy.admit()
            with contextlib.suppress(subprocess.TimeoutExpired):
                stop(proc, "stack-cfo serve (refuses before its pool is open)")


async def test_a_worker_that_cannot_bind_once_its_pool_is_open_stops_the_pod_with_exit_2(
    db_dsn: str, tmp_path: Path
) -> None:
    """Binding later keeps what an address taken meant: the workers exit 2 before they were ever
    ready, and the supervisor stops with exit 2 instead of restarting them forever."""
    async with _proxy(db_dsn) as proxy:
        port = free_port()
        env = cli_env({
            "DATABASE_URL": proxy.dsn(),
            "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
            "STACK_CFO_METRICS_LISTEN": "off",
            "STACK_CFO_DATA_DIR": str(tmp_path),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        })
        proxy.hold()
        proc = start_cli(["serve", "--workers", "2"], env)
        label = "stack-cfo serve --workers 2 (port taken before the workers bind)"
        try:
            await asyncio.wait_for(proxy.waiting.wait(), 60)  # the workers run, waiting for the database
            with socket.socket() as taken:  # someone else takes the port meanwhile (no SO_REUSEPORT)
                taken.bind(("127.0.0.1", port))
                taken.listen()
                proxy.admit()
                rc = await asyncio.to_thread(proc.wait, 60)
            _, _, err = finish(proc, label)
        finally:
            if proc.poll() is None:
                _stop_pod(proc, label)
        assert rc == 2, err
        assert '"msg": "cannot listen"' in err and "worker refused the configuration; stopping" in err, err
