"""``stack-cfo`` as a real process: SIGTERM drains (readiness first, then the port closes,
exit 0), bad configuration exits 2 naming the key, ``buf curl`` lists every service over
reflection, and ``/metrics`` exposes the standard gRPC server metrics."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.proc import cli_env, finish, free_port, start_cli, stop, wait_ready

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
BUF = shutil.which("buf") or str(Path(os.sys.executable).parent / "buf")  # type: ignore[attr-defined]




@pytest.fixture
def served(db_dsn: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    metrics = free_port()
    env = cli_env(
        {
            "DATABASE_URL": db_dsn,
            "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
            "STACK_CFO_METRICS_LISTEN": f"127.0.0.1:{metrics}",
            "STACK_CFO_DRAIN_DELAY": "1.5s",
            "STACK_CFO_SHUTDOWN_GRACE": "10s",
            "STACK_CFO_DATA_DIR": str(tmp_path),
        }
    )
    proc = start_cli(["serve"], env)
    try:
        yield proc, f"127.0.0.1:{port}", metrics
    finally:
        if proc.poll() is None:
            proc.kill()
        finish(proc, "stack-cfo serve")


async def test_sigterm_flips_readiness_before_the_port_closes_and_exits_0(served) -> None:  # type: ignore[no-untyped-def]
    proc, target, _ = served
    await wait_ready(target)
    async with grpc.aio.insecure_channel(target) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        watch = stub.Watch(health_pb2.HealthCheckRequest(service="readiness"))
        assert (await watch.read()).status == SERVING
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        update = await asyncio.wait_for(watch.read(), 5)
        flipped = time.monotonic()
        assert update.status == NOT_SERVING
        # The port is still open during the drain delay: new RPCs are answered.
        live = await stub.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=1)
        assert live.status == SERVING
        assert flipped - sent < 1.0, "readiness must flip at once"
    rc = await asyncio.to_thread(proc.wait, 30)
    assert rc == 0
    assert time.monotonic() - sent >= 1.4, "the server must keep serving for the drain delay"


def test_serve_over_the_embedded_database_logs_only_json_lines_to_its_exit(tmp_path: Path) -> None:
    """``make run``'s set-up (no DATABASE_URL): start, one call, SIGTERM, exit 0; every line the
    process wrote is a JSON log record (log collectors parse them), the embedded PostgreSQL's stop
    included (gRPC's fork handlers used to print a plain line when it forked to stop it)."""
    port = free_port()
    env = {k: v for k, v in cli_env({
        "STACK_CFO_LISTEN": f"127.0.0.1:{port}", "STACK_CFO_METRICS_LISTEN": "off",
        "STACK_CFO_DRAIN_DELAY": "0s", "STACK_CFO_DATA_DIR": str(tmp_path),
    }).items() if k not in ("DATABASE_URL", "STACK_CFO_ARCHIVE_MASTER_KEYS")}
    proc = start_cli(["serve"], env)
    try:
        asyncio.run(wait_ready(f"127.0.0.1:{port}", timeout=120))
    finally:
        code, out, err = stop(proc, "stack-cfo serve (embedded)")
    assert code == 0
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert any(json.loads(line).get("msg") == "shutdown complete" for line in lines)
    for line in lines:
        assert isinstance(json.loads(line), dict), line


def test_bad_config_value_exits_2_naming_the_key(tmp_path: Path) -> None:
    for var, value in (
        ("STACK_CFO_LISTEN", "not-an-address"),
        ("STACK_CFO_DB_POOL_MAX", "many"),
        ("STACK_CFO_SHUTDOWN_GRACE", "soon"),
        ("SCHEDULER_BATCH_SIZE", "many"),
        ("SCHEDULER_DAILY_DIGEST_TIME", "99 * * *"),
        ("ZEROG_COMPUTE_PRIVATE_KEY", "0x1234"),
        ("STACK_CFO_ARCHIVE_MASTER_KEYS", "k1:not-a-key"),
    ):
        env = cli_env({var: value, "STACK_CFO_DATA_DIR": str(tmp_path)})
        rc, _out, err = finish(start_cli(["serve"], env), f"bad config {var}", timeout=30)
        assert rc == 2, (var, err)
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and var in lines[0], err


async def test_direct_mode_refuses_a_default_model_no_provider_serves(db_dsn: str, tmp_path: Path) -> None:
    """Direct mode reads the configured provider's on-chain record at start: a default model it
    does not serve exits 2 naming the key and what the provider serves (every chat answer would
    degrade otherwise); the model it serves starts normally."""
    from eth_account import Account

    from tests.standins.chain_rpc import ChainStandIn
    from tests.standins.zerog_provider import ONE_0G, ProviderStandIn
    from tests.support.secrets import ZEROG_PRIVATE_KEY

    async with ChainStandIn() as chain:
        provider = ProviderStandIn(chain=chain, model="qwen-2.5-7b-instruct")
        await provider.start()
        try:
            chain.add_service(provider.service_entry())
            chain.set_ledger(Account.from_key(ZEROG_PRIVATE_KEY).address, 100 * ONE_0G)
            port = free_port()
            base = {
                "DATABASE_URL": db_dsn,
                "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
                "STACK_CFO_DATA_DIR": str(tmp_path),
                "STACK_CFO_DRAIN_DELAY": "0.1s",
                "ZEROG_COMPUTE_MODE": "direct",
                "ZEROG_COMPUTE_PRIVATE_KEY": ZEROG_PRIVATE_KEY,
                "ZEROG_COMPUTE_PROVIDER_ID": provider.address,
                "ZEROG_COMPUTE_CHAIN_RPC_URL": chain.url,
            }
            wrong = start_cli(["serve"], cli_env({**base, "ZEROG_COMPUTE_DEFAULT_MODEL": "gpt-oss-120b"}))
            rc, _out, err = await asyncio.to_thread(finish, wrong, "serve (wrong model)", 60)
            lines = [line for line in err.splitlines() if line.strip() and '"level"' not in line]
            assert rc == 2, err
            assert len(lines) == 1 and "ZEROG_COMPUTE_DEFAULT_MODEL" in lines[0], err
            assert "'gpt-oss-120b' is not served" in lines[0] and "qwen-2.5-7b-instruct" in lines[0]

            right = start_cli(["serve"], cli_env({**base, "ZEROG_COMPUTE_DEFAULT_MODEL": "qwen-2.5-7b-instruct"}))
            try:
                await wait_ready(f"127.0.0.1:{port}")
            finally:
                right.send_signal(signal.SIGTERM)
                rc, _out, err = await asyncio.to_thread(finish, right, "serve (served model)", 60)
            assert rc == 0, err
            assert "default model is served" in err
        finally:
            await provider.stop()


def test_token_command_mints_a_verifiable_token(tmp_path: Path) -> None:
    import jwt

    from tests.support.secrets import JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET

    user = str(uuid.uuid4())
    rc, out, err = finish(start_cli(["token", "--user", user], cli_env()), "token")
    assert rc == 0, err
    claims = jwt.decode(out.strip(), JWT_SECRET, algorithms=["HS256"], audience=JWT_AUDIENCE, issuer=JWT_ISSUER)
    assert claims["sub"] == user and claims["exp"] > time.time()
    rc, out, _ = finish(start_cli(["token", "--service", "ops"], cli_env()), "token service")
    assert rc == 0
    service = jwt.decode(out.strip(), JWT_SECRET, algorithms=["HS256"], audience="stack-cfo-service")
    assert "stack-cfo:service" in service["scope"] and service["iss"] == JWT_ISSUER
    rc, _, err = finish(start_cli(["token", "--user", "bob"], cli_env()), "token bad")
    assert rc == 2 and "UUID" in err


async def test_buf_curl_lists_every_method_over_reflection(served) -> None:  # type: ignore[no-untyped-def]
    _, target, metrics = served
    await wait_ready(target)
    out = await asyncio.to_thread(
        subprocess.run,
        [BUF, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-methods", f"http://{target}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    methods = set(out.stdout.split())
    for m in (
        "stack.cfo.v1.PortfolioSummaryService/GetPortfolioSummary",
        "stack.cfo.v1.PortfolioSummaryService/WatchPortfolio",
        "stack.cfo.v1.ChatService/SendMessage",
        "stack.cfo.v1.SchedulerService/RunJob",
        "stack.cfo.v1.ComputeAccountService/GetComputeAccount",
        "stack.cfo.v1.UserDataService/EraseUserData",
        "grpc.health.v1.Health/Check",
    ):
        assert m in methods, (m, out.stdout)
    # The same list through reflection v1 only (no fallback to v1alpha): every service is there.
    out = await asyncio.to_thread(
        subprocess.run,
        [BUF, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", "grpc-v1",
         "--list-methods", f"http://{target}"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()) == methods
    # A health check through buf curl, as a person debugging would do it.
    out = await asyncio.to_thread(
        subprocess.run,
        [BUF, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", '{"service":"readiness"}',
         f"http://{target}/grpc.health.v1.Health/Check"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0 and "SERVING" in out.stdout, out.stderr
    # Health/List, which reflection advertises, answers too (it was UNIMPLEMENTED).
    out = await asyncio.to_thread(
        subprocess.run,
        [BUF, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", "{}",
         f"http://{target}/grpc.health.v1.Health/List"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0 and '"readiness"' in out.stdout and '"liveness"' in out.stdout, out.stderr

    body = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=5).read().decode()
    )
    assert "stack_cfo_db_pool_pool_max" in body
    assert "grpc_server_handled_total" in body


async def test_sigterm_with_open_watches_takes_the_drain_delay_not_the_grace(served) -> None:  # type: ignore[no-untyped-def]
    """WatchPortfolio, WatchNotifications and Health/Watch streams never end by themselves; SIGTERM
    ends the portfolio watch and the notification feed's stream at once (UNAVAILABLE with a retry
    hint, so the client reconnects elsewhere) and the health watch at stop, so the process exits
    after the drain delay (1.5 s), not drain + grace (11.5 s)."""
    from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2, portfolio_pb2_grpc, scheduler_pb2, scheduler_pb2_grpc
    from stack_cfo.api.auth import mint_token
    from stack_cfo.secret import Secret
    from tests.support.secrets import JWT_SECRET, production_auth

    proc, target, _ = served
    await wait_ready(target)
    user = str(uuid.uuid4())
    md = [("authorization", "Bearer " + mint_token(Secret(JWT_SECRET), user_id=user, cfg=production_auth()))]
    async with grpc.aio.insecure_channel(target) as ch:
        portfolio = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
        await portfolio.SyncPortfolio(
            portfolio_pb2.SyncPortfolioRequest(
                portfolio=f"users/{user}/portfolio",
                positions=[portfolio_pb2.Holding(symbol="ABC", quantity="10", average_cost="100")],
                cash_balance="250",
            ),
            metadata=md, timeout=10,
        )
        watch = portfolio.WatchPortfolio(
            portfolio_pb2.WatchPortfolioRequest(portfolio=f"users/{user}/portfolio"), metadata=md
        )
        await watch.read()
        ops = [("authorization", "Bearer " + mint_token(Secret(JWT_SECRET), service="ops", cfg=production_auth()))]
        scheduler = scheduler_pb2_grpc.SchedulerServiceStub(ch)
        feed = "services/ops/notificationFeed"
        await scheduler.UpdateNotificationFeed(
            scheduler_pb2.UpdateNotificationFeedRequest(feed=scheduler_pb2.NotificationFeed(name=feed, enabled=True)),
            metadata=ops, timeout=10,
        )
        notifications = scheduler.WatchNotifications(scheduler_pb2.WatchNotificationsRequest(feed=feed), metadata=ops)
        reading = asyncio.ensure_future(notifications.read())
        await asyncio.sleep(0.5)  # open and waiting (the feed is empty: no first event)
        assert not reading.done()
        health = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service="readiness"))
        assert (await health.read()).status == SERVING
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            await asyncio.wait_for(watch.read(), 5)
        watch_ended = time.monotonic() - sent
        assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "SERVER_SHUTTING_DOWN" in str(ended.value.trailing_metadata())
        with pytest.raises(grpc.aio.AioRpcError) as feed_ended:
            await asyncio.wait_for(reading, 5)
        assert time.monotonic() - sent < 0.5
        assert feed_ended.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "SERVER_SHUTTING_DOWN" in str(feed_ended.value.trailing_metadata())
        rc = await asyncio.to_thread(proc.wait, 30)
        exited = time.monotonic() - sent
    assert rc == 0
    print(f"\nwatch ended {watch_ended:.2f} s after SIGTERM; process exited after {exited:.2f} s "
          "(drain 1.5 s, grace 10 s)")
    assert watch_ended < 0.5
    assert 1.4 <= exited < 4.0


async def test_sigterm_lets_a_chat_stream_in_flight_finish(db_dsn: str, tmp_path: Path) -> None:
    """SIGTERM arrives while SendMessage is streaming a 2-second answer: the answer completes
    (not cut, not degraded) inside the grace period, then the process exits 0."""
    from stack_cfo._proto.stack.cfo.v1 import chat_pb2 as cpb
    from stack_cfo._proto.stack.cfo.v1 import chat_pb2_grpc as cpb_grpc
    from stack_cfo.api.auth import mint_token
    from stack_cfo.secret import Secret
    from tests.standins.zerog_provider import Reply, RouterStandIn
    from tests.support.secrets import JWT_SECRET, ZEROG_API_KEY, production_auth

    words = " ".join(f"word{i}" for i in range(20))
    async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
        router.default_reply = Reply.ok(text=words, chunks=20, chunk_delay=0.1)
        port = free_port()
        env = cli_env(
            {
                "DATABASE_URL": db_dsn,
                "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
                "STACK_CFO_DRAIN_DELAY": "0.3s",
                "STACK_CFO_SHUTDOWN_GRACE": "15s",
                "STACK_CFO_DATA_DIR": str(tmp_path),
                "ZEROG_COMPUTE_MODE": "router",
                "ZEROG_COMPUTE_BROKER_ENDPOINT": router.base_url,
                "ZEROG_COMPUTE_API_KEY": ZEROG_API_KEY,
            }
        )
        proc = start_cli(["serve"], env)
        try:
            target = f"127.0.0.1:{port}"
            await wait_ready(target)
            user = str(uuid.uuid4())
            token = mint_token(Secret(JWT_SECRET), user_id=user, cfg=production_auth())
            md = [("authorization", "Bearer " + token)]
            async with grpc.aio.insecure_channel(target) as ch:
                chat = cpb_grpc.ChatServiceStub(ch)
                session = await chat.CreateSession(
                    cpb.CreateSessionRequest(parent=f"users/{user}", session=cpb.Session(title="t")),
                    metadata=md, timeout=10,
                )
                call = chat.SendMessage(
                    cpb.SendMessageRequest(name=session.name, content="Summarise my week",
                                           request_id=str(uuid.uuid4())),
                    metadata=md, timeout=30,
                )
                events = []
                async for ev in call:
                    events.append(ev)
                    if ev.WhichOneof("event") == "delta" and len(events) == 2:
                        sent = time.monotonic()
                        proc.send_signal(signal.SIGTERM)
                completed = events[-1].completed
                assert events[-1].WhichOneof("event") == "completed"
                assert not completed.incomplete and not completed.degraded and not completed.offline
                assert completed.assistant_message.content.strip().endswith("word19")
                assert time.monotonic() - sent < 15
            rc = await asyncio.to_thread(proc.wait, 30)
            assert rc == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            finish(proc, "stack-cfo serve (chat stream at SIGTERM)")
