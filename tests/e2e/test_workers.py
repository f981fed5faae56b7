"""``stack-cfo serve --workers 2`` as real processes: calls land on both workers, the metrics page
sums their counters, a worker killed with SIGKILL is replaced and the pod serves again, and
SIGTERM drains the whole (readiness at once, open watches ended, unary calls still answered
during the drain delay) and exits 0."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client.multiprocess import MultiProcessCollector

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.api.auth import mint_token
from stack_cfo.secret import Secret
from tests.support.proc import cli_env, finish, free_port, start_cli, wait_ready
from tests.support.secrets import JWT_SECRET, production_auth

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
LIST_SESSIONS = 'grpc_server_started_total{grpc_method="ListSessions",grpc_service="stack.cfo.v1.ChatService",' \
    'grpc_type="unary"}'


def _auth(user: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", "Bearer " + mint_token(Secret(JWT_SECRET), user_id=user, ttl_seconds=600,
                                                      cfg=production_auth())),)


def _channel(target: str) -> grpc.aio.Channel:
    # Its own connection (no subchannel shared with the other channels of this process): the
    # kernel gives each new connection to one of the workers.
    return grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])


@pytest.fixture
def pod(db_dsn: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    port, health, metrics = free_port(), free_port(), free_port()
    env = cli_env({
        "DATABASE_URL": db_dsn,
        "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
        "STACK_CFO_HEALTH_LISTEN": f"127.0.0.1:{health}",
        "STACK_CFO_METRICS_LISTEN": f"127.0.0.1:{metrics}",
        "STACK_CFO_DRAIN_DELAY": "1.5s",
        "STACK_CFO_SHUTDOWN_GRACE": "5s",
        "STACK_CFO_DATA_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    })
    proc = start_cli(["serve", "--workers", "2"], env)
    try:
        yield proc, f"127.0.0.1:{port}", f"127.0.0.1:{health}", metrics, tmp_path / "metrics"
    finally:
        _stop_pod(proc, "stack-cfo serve --workers 2")


def _stop_pod(proc: subprocess.Popen[bytes], label: str) -> None:
    """Kill what is left of a pod (supervisor and workers) and report its output."""
    if proc.poll() is None:
        for child in psutil.Process(proc.pid).children():
            child.kill()
        proc.kill()
    finish(proc, label)


def _workers(proc: subprocess.Popen[bytes]) -> list[int]:
    return sorted(c.pid for c in psutil.Process(proc.pid).children() if "stack_cfo.cli" in " ".join(c.cmdline()))


def _calls_by_pid(metrics_dir: Path) -> dict[int, float]:
    """ListSessions calls started, per worker pid, from each worker's own metrics file."""
    out: dict[int, float] = {}
    for f in metrics_dir.glob("counter_*.db"):
        pid = int(f.stem.split("_")[1])
        for metric in MultiProcessCollector.merge([str(f)], accumulate=True):
            for s in metric.samples:
                if s.name == "grpc_server_started_total" and s.labels.get("grpc_method") == "ListSessions":
                    out[pid] = out.get(pid, 0) + s.value
    return out


def _page_value(metrics_port: int, series: str) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    m = re.search(re.escape(series) + r" ([0-9.e+]+)", body)
    assert m is not None, f"{series} is not on the metrics page"
    return float(m.group(1))


async def _list_sessions(target: str, calls: int, channels: int) -> None:
    user = str(uuid.uuid4())
    opened = [_channel(target) for _ in range(channels)]
    try:
        for i in range(calls):
            stub = chat_pb2_grpc.ChatServiceStub(opened[i % channels])
            await stub.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{user}"), metadata=_auth(user),
                                    timeout=10)
    finally:
        for ch in opened:
            await ch.close()


async def test_calls_spread_over_workers_metrics_add_up_and_a_killed_worker_comes_back(pod) -> None:  # type: ignore[no-untyped-def]
    proc, target, health, metrics_port, metrics_dir = pod
    await wait_ready(health, timeout=90)  # the supervisor's readiness: both workers ready
    first = _workers(proc)
    assert len(first) == 2

    await _list_sessions(target, calls=40, channels=16)
    by_pid = _calls_by_pid(metrics_dir)
    assert set(by_pid) <= set(first)
    assert len([p for p, n in by_pid.items() if n > 0]) == 2, f"calls must land on both workers: {by_pid}"
    assert sum(by_pid.values()) == 40
    assert _page_value(metrics_port, LIST_SESSIONS) == 40, "the page must sum every worker's counter"

    victim = first[0]
    async with grpc.aio.insecure_channel(health) as hch:
        readiness = health_pb2_grpc.HealthStub(hch).Watch(health_pb2.HealthCheckRequest(service="readiness"))
        assert (await readiness.read()).status == SERVING
        psutil.Process(victim).kill()  # SIGKILL: no drain, no goodbye
        assert (await asyncio.wait_for(readiness.read(), 5)).status == NOT_SERVING, \
            "a pod short of a worker is not ready"
        assert (await asyncio.wait_for(readiness.read(), 90)).status == SERVING, "the worker must come back"
    now = _workers(proc)
    assert len(now) == 2 and victim not in now and first[1] in now, f"{first} -> {now}"

    await _list_sessions(target, calls=20, channels=8)
    # The dead worker's counts stay in the total: a counter never goes back.
    assert _page_value(metrics_port, LIST_SESSIONS) == 60
    assert proc.poll() is None


async def test_sigterm_drains_every_worker_and_exits_0(pod) -> None:  # type: ignore[no-untyped-def]
    proc, target, health, _, _ = pod
    await wait_ready(health, timeout=90)
    # The supervisor's health port reflects what it serves, as one process's does (it listed the
    # contract's services, which only the API port serves).
    async with grpc.aio.insecure_channel(health) as hch:
        async def ask():  # type: ignore[no-untyped-def]
            yield reflection_pb2.ServerReflectionRequest(list_services="")

        (listed,) = [r async for r in reflection_pb2_grpc.ServerReflectionStub(hch).ServerReflectionInfo(ask())]
        assert {s.name for s in listed.list_services_response.service} == {
            "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}
        statuses = (await health_pb2_grpc.HealthStub(hch).List(health_pb2.HealthListRequest(), timeout=5)).statuses
        assert statuses["stack.cfo.v1.ChatService"].status == SERVING  # health still covers every service
    user = str(uuid.uuid4())
    md = _auth(user)
    name = f"users/{user}/portfolio"
    async with _channel(target) as ch, grpc.aio.insecure_channel(health) as hch:
        stub = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
        await stub.SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(portfolio=name, cash_balance="100",
                                                                    base_currency="USD",
                                                                    request_id=str(uuid.uuid4())),
                                 metadata=md, timeout=10)
        watch = stub.WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=name), metadata=md)
        assert (await asyncio.wait_for(watch.read(), 10)).summary.portfolio == name
        readiness = health_pb2_grpc.HealthStub(hch).Watch(health_pb2.HealthCheckRequest(service="readiness"))
        assert (await readiness.read()).status == SERVING

        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert (await asyncio.wait_for(readiness.read(), 3)).status == NOT_SERVING
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            await asyncio.wait_for(watch.read(), 3)
        assert ended.value.code() == grpc.StatusCode.UNAVAILABLE, "open watches end at once, to reconnect"
        # During the drain delay the workers still answer.
        await stub.GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name), metadata=md,
                                       timeout=2)
    rc = await asyncio.to_thread(proc.wait, 30)
    assert rc == 0
    assert time.monotonic() - sent >= 1.4, "the drain delay holds for the pod as a whole"
    # Each worker's lines say which worker wrote them (the same index as the supervisor's "worker started").
    _, _, err = finish(proc, "stack-cfo serve --workers 2")
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    started = {line["worker"] for line in lines if line["msg"] == "worker started"}
    assert len(started) == 2
    assert {line.get("worker") for line in lines if line["msg"] == "gRPC listening"} == started
    supervisor = {"stack_cfo.workers", "stack_cfo.wiring.workers", "stack_cfo.telemetry.metrics",
                  "stack_cfo.telemetry.readiness"}
    assert {line["logger"] for line in lines if "worker" not in line} <= supervisor
    assert any(line.get("worker") is not None and line["logger"] == "stack_cfo.wiring.server" for line in lines)
    assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE


async def test_workers_stop_when_their_supervisor_is_killed(pod) -> None:  # type: ignore[no-untyped-def]
    """A supervisor killed outright (SIGKILL, the OOM killer) forwards nothing: each worker is told by
    the kernel (PR_SET_PDEATHSIG) and drains and exits, instead of serving the port unsupervised
    (a client test left 433 orphaned workers that way)."""
    proc, _, health, _, _ = pod
    await wait_ready(health, timeout=90)
    workers = _workers(proc)
    assert len(workers) == 2
    proc.kill()
    proc.wait(10)
    def running() -> list[int]:
        return [p for p in workers if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]

    for _ in range(100):  # up to 20 s: drain_delay 1.5 s, shutdown_grace 5 s
        if not running():
            break
        await asyncio.sleep(0.2)
    alive = running()
    for p in alive:
        psutil.Process(p).kill()
    assert alive == [], "workers outlived their supervisor"


def _page(metrics_port: int) -> dict[str, float]:
    """Every unlabelled sample on the page (labelled ones keyed with their labels)."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    out: dict[str, float] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


async def test_figures_each_worker_computes_at_scrape_time_are_on_the_page(pod) -> None:  # type: ignore[no-untyped-def]
    """Pool, watch, cache, process and chat figures are computed by a worker when it would be
    scraped; with the supervisor serving the page they are copied into it (summed over the live
    workers, except the chat counts, which are the database's and so the same in each)."""
    proc, target, health, metrics_port, _ = pod
    await wait_ready(health, timeout=90)
    workers = _workers(proc)
    users = [str(uuid.uuid4()) for _ in range(4)]
    channels = [_channel(target) for _ in users]
    watches = []
    try:
        for user, ch in zip(users, channels, strict=True):
            md, name = _auth(user), f"users/{user}/portfolio"
            stub = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
            await stub.SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
                portfolio=name, cash_balance="100", base_currency="USD", request_id=str(uuid.uuid4())),
                metadata=md, timeout=10)
            watch = stub.WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=name), metadata=md)
            assert (await asyncio.wait_for(watch.read(), 10)).summary.portfolio == name
            watches.append(watch)
            await chat_pb2_grpc.ChatServiceStub(ch).CreateSession(
                chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="t")),
                metadata=md, timeout=10)

        page: dict[str, float] = {}
        deadline = time.monotonic() + 20  # written every 5 s, by each worker on its own clock
        while time.monotonic() < deadline:
            page = _page(metrics_port)
            # every figure below, not only the watches: when the kernel gave all four connections to one
            # worker, the other's last write can still predate its change feed connecting (livemin 0)
            if (page.get("stack_cfo_portfolio_watchers") == 4 and page.get("chat_sessions_active", 0) >= 4
                    and page.get("stack_cfo_portfolio_change_feed_connected") == 1):
                break
            await asyncio.sleep(0.5)
        assert page.get("stack_cfo_portfolio_watchers") == 4, "the watches of both workers, summed"
        assert page["chat_sessions_active"] >= 4
        assert not any(k.startswith("chat_sessions_active{") for k in page), "one series, not one a worker"
        assert page["stack_cfo_portfolio_change_feed_connected"] == 1
        assert page["stack_cfo_db_pool_pool_size"] >= 2, "both workers' pools"
        assert page["stack_cfo_portfolio_summary_computations_total"] >= 4
        rss = sum(psutil.Process(p).memory_info().rss for p in workers)
        assert 0.5 * rss < page["process_resident_memory_bytes"] < 2 * rss, "both workers' memory"
        assert page["process_cpu_seconds_total"] > 0
    finally:
        for w in watches:
            w.cancel()
        for ch in channels:
            await ch.close()


async def test_a_worker_refusing_its_configuration_stops_the_pod_with_exit_2(tmp_path: Path) -> None:
    """Exit 2 before ever being ready is a configuration the worker refuses: started again it would
    fail the same way forever (a restart loop that never tells the orchestrator), so the
    supervisor stops and exits 2 too."""
    from stack_cfo.config import build_config
    from stack_cfo.wiring.workers import Supervisor

    config = build_config({"server": {"listen": f"127.0.0.1:{free_port()}", "health_listen": "off",
                                      "metrics_listen": "off"}})
    refuse = [sys.executable, "-c", "import sys; print('invalid configuration: x', file=sys.stderr); sys.exit(2)"]
    env = {**cli_env({}), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    started = time.monotonic()
    assert await asyncio.wait_for(Supervisor(config, 2, refuse, env).run(), 30) == 2
    assert time.monotonic() - started < 10, "no restart loop"


def test_workers_over_the_embedded_database_serve(tmp_path: Path) -> None:
    """Without DATABASE_URL the supervisor starts one embedded PostgreSQL and hands it to the
    workers, with the local archive master key a single process would use (to the workers the
    database is external, and an external one needs the keys: they used to exit 2 in a loop)."""
    port, health = free_port(), free_port()
    env = {k: v for k, v in cli_env({
        "STACK_CFO_LISTEN": f"127.0.0.1:{port}", "STACK_CFO_HEALTH_LISTEN": f"127.0.0.1:{health}",
        "STACK_CFO_METRICS_LISTEN": "off", "STACK_CFO_DRAIN_DELAY": "0s", "STACK_CFO_DATA_DIR": str(tmp_path),
    }).items() if k not in ("DATABASE_URL", "STACK_CFO_ARCHIVE_MASTER_KEYS")}
    proc = start_cli(["serve", "--workers", "2"], env)
    try:
        async def check() -> None:
            await wait_ready(f"127.0.0.1:{health}", timeout=120)
            user = str(uuid.uuid4())
            md, name = _auth(user), f"users/{user}/portfolio"
            for _ in range(2):  # two connections: most likely both workers
                async with _channel(f"127.0.0.1:{port}") as ch:
                    stub = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
                    await stub.SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
                        portfolio=name, cash_balance="100", base_currency="USD", request_id=str(uuid.uuid4())),
                        metadata=md, timeout=20)
                    got = await stub.GetPortfolioSummary(
                        portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name), metadata=md, timeout=20)
                    assert got.total_value == "100"

        asyncio.run(check())
        assert proc.poll() is None
        assert (tmp_path / "archive-master-key").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        _stop_pod(proc, "stack-cfo serve --workers 2 (embedded)")
