"""Two ``stack-cfo serve`` and two ``stack-cfo scheduler`` processes on one PostgreSQL, the client
behind a client-side round-robin channel (``ipv4:a,b`` with the ``round_robin`` policy), as a
deployment with several replicas runs:

- chat turns on one session, alternating between the replicas, stay serialised (each prompt holds
  every earlier answer) and exactly-once per ``request_id`` (the same request_id retried on the
  other replica, even at the same moment, replays the one stored answer);
- a watcher on one replica sees a write made through the other within 1 s;
- each digest reaches its user once per channel (SMTP, FCM, webhook) with both schedulers ticking;
- per-user limits (a rate and concurrent streams) hold across the replicas with the shared Redis
  store: a user gets the configured number of calls in total, not that number per replica.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from stack_cfo._proto.stack.cfo.v1 import (
    chat_pb2,
    chat_pb2_grpc,
    common_pb2,
    portfolio_pb2,
    portfolio_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
)
from stack_cfo.api.auth import mint_token
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.secret import Secret
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from tests.conftest import clone_database, drop_database
from tests.standins.fcm import FcmStandIn
from tests.standins.smtp import SmtpSink
from tests.standins.webhook_receiver import WebhookReceiver, https_receiver
from tests.standins.zerog_provider import Reply, RouterStandIn
from tests.support.contract import market_today
from tests.support.proc import cli_env, finish, free_port, start_cli, wait_ready
from tests.support.redis_server import ensure_redis
from tests.support.secrets import JWT_SECRET, ZEROG_API_KEY, production_auth

pytestmark = pytest.mark.slow

READS_PER_HOUR = 25
STREAMS_PER_USER = 3
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


def md(user: str | None = None) -> tuple[tuple[str, str], ...]:
    cfg = production_auth()
    secret = Secret(JWT_SECRET)
    token = mint_token(secret, user_id=user, cfg=cfg) if user else mint_token(secret, service="e2e", cfg=cfg)
    return (("authorization", f"Bearer {token}"),)


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def handled(port: int, method: str) -> float:
    """RPCs of ``method`` this replica finished (any code), from its /metrics."""
    samples = await asyncio.to_thread(_scrape, port)
    return sum(v for (name, labels), v in samples.items()
               if name == "grpc_server_handled_total" and ("grpc_method", method) in labels)


@dataclass
class Fleet:
    targets: list[str]
    metrics: list[int]
    router: RouterStandIn
    smtp: SmtpSink
    fcm: FcmStandIn
    webhooks: WebhookReceiver
    dsn: str
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def rr(self) -> grpc.aio.Channel:
        """The client's channel: both replicas, calls spread round-robin."""
        return grpc.aio.insecure_channel(
            "ipv4:" + ",".join(self.targets), options=[("grpc.lb_policy_name", "round_robin")]
        )

    def direct(self, i: int) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(self.targets[i])


@pytest.fixture(scope="module")
def fleet_db_dsn(admin_dsn: str, template_dsn: str) -> Iterator[str]:
    """A fresh migrated database for this module's fleet (every test uses users of its own)."""
    name, dsn = clone_database(admin_dsn, template_dsn)
    try:
        yield dsn
    finally:
        drop_database(admin_dsn, name)


@pytest.fixture
async def fleet(module_fleet: Fleet) -> AsyncIterator[Fleet]:
    """The module's fleet (four processes take 6-16 s to start on two cores, so they are started
    once): every replica and scheduler still running, and what a test set on the stand-ins undone."""
    dead = [label for label, proc in module_fleet.procs if proc.poll() is not None]
    assert not dead, f"exited before the test: {dead}"
    try:
        yield module_fleet
    finally:
        module_fleet.router.reply_for = None
        module_fleet.webhooks.secrets = []


@pytest.fixture(scope="module")
async def module_fleet(fleet_db_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Fleet]:
    db_dsn, tmp_path = fleet_db_dsn, tmp_path_factory.mktemp("replicas")
    redis = ensure_redis()
    async with RouterStandIn(api_key=ZEROG_API_KEY) as router, https_receiver(tmp_path) as webhooks:
        smtp = await SmtpSink().start()
        fcm = await FcmStandIn().start()
        assert webhooks.cert is not None
        account = fcm.write_service_account(tmp_path / "fcm.json")
        common = {
            "DATABASE_URL": db_dsn,
            "ZEROG_COMPUTE_MODE": "router",
            "ZEROG_COMPUTE_BROKER_ENDPOINT": router.base_url,
            "ZEROG_COMPUTE_API_KEY": ZEROG_API_KEY,
            "STACK_CFO_DRAIN_DELAY": "0.1s",
            "STACK_CFO_SHUTDOWN_GRACE": "5s",
            # A database of its own in the shared Redis: the keys of this run only.
            "STACK_CFO_RATE_LIMIT_STORAGE": redis.rsplit("/", 1)[0] + "/7",
            "STACK_CFO_RATE_LIMIT_USER_READS": f"{READS_PER_HOUR}/hour",
            "STACK_CFO_MAX_STREAMS_PER_USER": str(STREAMS_PER_USER),
            "STACK_CFO_RATE_LIMIT_USER_PAID_AI": "20/second;600/minute",  # turns sent all at once
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            "WEBHOOK_CA_FILE": str(webhooks.cert[0]),
            "WEBHOOK_TIMEOUT": "5s",
        }
        fleet = Fleet([], [], router, smtp, fcm, webhooks, db_dsn)
        try:
            for i in range(2):
                port, metrics = free_port(), free_port()
                proc = start_cli(["serve"], cli_env({
                    **common, "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
                    "STACK_CFO_METRICS_LISTEN": f"127.0.0.1:{metrics}",
                    "STACK_CFO_DATA_DIR": str(tmp_path / f"serve{i}"),
                }))
                fleet.procs.append((f"stack-cfo serve #{i} (replicas)", proc))
                fleet.targets.append(f"127.0.0.1:{port}")
                fleet.metrics.append(metrics)
            slot = datetime.now(UTC) - timedelta(minutes=5)
            for i in range(2):
                proc = start_cli(["scheduler"], cli_env({
                    **common,
                    "STACK_CFO_DATA_DIR": str(tmp_path / f"scheduler{i}"),
                    "SCHEDULER_METRICS_LISTEN": f"127.0.0.1:{free_port()}",
                    "SCHEDULER_REPLICA_ID": f"scheduler-{i}",
                    "SCHEDULER_DAILY_DIGEST_TIME": f"{slot.minute} {slot.hour} * * *",
                    "NOTIFICATION_ENABLE_WEEKLY_SUMMARY": "false",
                    "NOTIFICATION_ENABLE_PERFORMANCE_ALERTS": "false",
                    "SCHEDULER_TICK_INTERVAL": "1s", "SCHEDULER_POLL_INTERVAL": "100ms",
                    "SCHEDULER_RETRY_BASE": "1s", "SCHEDULER_SHUTDOWN_GRACE": "3s",
                    "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false",
                    "FCM_PROJECT_ID": fcm.project_id, "FCM_SERVICE_ACCOUNT_FILE": str(account),
                    "FCM_ENDPOINT": fcm.base_url,
                }))
                fleet.procs.append((f"stack-cfo scheduler #{i} (replicas)", proc))
            for target in fleet.targets:
                await wait_ready(target)
            yield fleet
        finally:
            for _, proc in fleet.procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for label, proc in fleet.procs:
                try:
                    await asyncio.to_thread(finish, proc, label, 30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    await asyncio.to_thread(finish, proc, label, 10)
            await fcm.stop()
            await smtp.stop()


def _date(d: Any) -> common_pb2.Date:
    return common_pb2.Date(year=d.year, month=d.month, day=d.day)


async def _prices(ch: grpc.aio.Channel, symbol: str, close: str, days: int = 5) -> None:
    today = market_today()
    await portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch).RecordPrices(portfolio_pb2.RecordPricesRequest(points=[
        portfolio_pb2.PricePoint(symbol=symbol, date=_date(today - timedelta(days=d)),
                                 close=str(close if d == 0 else 100), currency="USD")
        for d in range(days, -1, -1)
    ]), metadata=md(), timeout=10)


async def _sync(ch: grpc.aio.Channel, user: str, symbol: str, quantity: str = "10") -> None:
    await portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
        portfolio=f"users/{user}/portfolio", cash_balance="250",
        positions=[portfolio_pb2.Holding(symbol=symbol, quantity=quantity, average_cost="90")],
    ), metadata=md(user), timeout=10)


async def _send(ch: grpc.aio.Channel, user: str, session: str, content: str, request_id: str
                ) -> tuple[chat_pb2.MessageAccepted, chat_pb2.MessageCompleted]:
    accepted = completed = None
    async for event in chat_pb2_grpc.ChatServiceStub(ch).SendMessage(chat_pb2.SendMessageRequest(
            name=session, content=content, request_id=request_id), metadata=md(user), timeout=30):
        if event.HasField("accepted"):
            accepted = event.accepted
        elif event.HasField("completed"):
            completed = event.completed
    assert accepted is not None and completed is not None
    return accepted, completed


def _asked(body: dict[str, Any]) -> str | None:
    """The question word of the newest user message of a chat prompt (None for other prompts)."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    if not users:
        return None
    text = str(users[-1].get("content", ""))
    found = [w for w in WORDS if f"question {w}" in text]
    return found[-1] if found else None


async def test_chat_turns_across_replicas_are_serialised_and_exactly_once(fleet: Fleet) -> None:
    user = str(uuid.uuid4())
    seen: list[tuple[str, str]] = []  # (question, the whole prompt) in the order the provider got them

    def reply_for(body: dict[str, Any]) -> Reply | None:
        word = _asked(body)
        if word is None:
            return None
        seen.append((word, str(body["messages"])))
        # Slow enough that the turns would overlap if nothing serialised them.
        return Reply.ok(f"Answer {word} from the model.", chunks=6, chunk_delay=0.05)

    fleet.router.reply_for = reply_for
    sent_before = [await handled(p, "SendMessage") for p in fleet.metrics]
    async with fleet.rr() as ch:
        await _prices(ch, "ABC", "101")
        await _sync(ch, user, "ABC")
        session = (await chat_pb2_grpc.ChatServiceStub(ch).CreateSession(chat_pb2.CreateSessionRequest(
            parent=f"users/{user}", session=chat_pb2.Session(title="Across replicas")),
            metadata=md(user), timeout=10)).name
        words = WORDS[:STREAMS_PER_USER]
        # All at once, through the round-robin channel: the turns land on both replicas.
        results = await asyncio.gather(*(
            _send(ch, user, session, f"Please answer question {w}.", str(uuid.uuid4())) for w in words
        ))
        for w, (_, completed) in zip(words, results, strict=True):
            assert completed.assistant_message.content == f"Answer {w} from the model."
    sent_after = [await handled(p, "SendMessage") for p in fleet.metrics]
    assert all(a > b for a, b in zip(sent_after, sent_before, strict=True)), (sent_before, sent_after)

    # Serialised: the provider got the turns one after another, each prompt holding every earlier answer.
    assert sorted(w for w, _ in seen) == sorted(words)
    for k, (_, prompt) in enumerate(seen):
        for earlier, _ in seen[:k]:
            assert f"Answer {earlier} from the model." in prompt, (k, earlier)

    # Exactly once per request_id: the same request retried on the other replica replays the answer.
    rid = str(uuid.uuid4())
    async with fleet.direct(0) as a, fleet.direct(1) as b:
        first_acc, first = await _send(a, user, session, "Please answer question golf.", rid)
        again_acc, again = await _send(b, user, session, "Please answer question golf.", rid)
        assert again_acc.replayed and not first_acc.replayed
        assert again.assistant_message.id == first.assistant_message.id
        assert again.assistant_message.content == first.assistant_message.content == "Answer golf from the model."
        # ... and at the same moment on both replicas: one turn stored, both callers get it.
        rid2 = str(uuid.uuid4())
        both = await asyncio.gather(_send(a, user, session, "Please answer question hotel.", rid2),
                                    _send(b, user, session, "Please answer question hotel.", rid2))
        assert both[0][1].assistant_message.id == both[1][1].assistant_message.id
        assert sorted(acc.replayed for acc, _ in both) == [False, True]
        got = await chat_pb2_grpc.ChatServiceStub(b).GetSession(
            chat_pb2.GetSessionRequest(name=session), metadata=md(user), timeout=10)
    assert [w for w, _ in seen].count("golf") == 1 and [w for w, _ in seen].count("hotel") == 1
    roles = [m.role for m in got.messages]
    assert roles == [chat_pb2.CHAT_ROLE_USER, chat_pb2.CHAT_ROLE_ASSISTANT] * (len(words) + 2), roles
    for q, ans in zip(got.messages[::2], got.messages[1::2], strict=True):
        word = next(w for w in WORDS if f"question {w}" in q.content)
        assert ans.content == f"Answer {word} from the model."


async def _first_update(stream: Any) -> tuple[float, portfolio_pb2.WatchPortfolioResponse]:
    update = await stream.read()
    return time.monotonic(), update


async def test_a_watcher_on_one_replica_sees_a_write_through_the_other_within_a_second(fleet: Fleet) -> None:
    user = str(uuid.uuid4())
    async with fleet.direct(0) as a, fleet.direct(1) as b:
        await _prices(a, "WXY", "100")
        await _sync(a, user, "WXY")
        watches = [
            portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch).WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(
                portfolio=f"users/{user}/portfolio", min_interval={"seconds": 1}), metadata=md(user), timeout=60)
            for ch in (a, b)
        ]
        for w in watches:
            first = await asyncio.wait_for(w.read(), 10)
            assert first.trigger == portfolio_pb2.WATCH_TRIGGER_INITIAL
        await asyncio.sleep(1.2)  # past the minimum interval since the initial update

        # A price written through replica 1 reaches the watcher on replica 0 (and the one on 1).
        pending = [asyncio.create_task(_first_update(w)) for w in watches]
        t0 = time.monotonic()
        await _prices(b, "WXY", "123")
        for task in pending:
            at, update = await asyncio.wait_for(task, 5)
            assert update.trigger == portfolio_pb2.WATCH_TRIGGER_PRICE_CHANGE
            assert list(update.changed_symbols) == ["WXY"]
            assert at - t0 < 1.0, f"{at - t0:.3f} s"
        await asyncio.sleep(1.2)

        # Holdings synced through replica 0 reach the watcher on replica 1.
        pending = [asyncio.create_task(_first_update(w)) for w in watches]
        t0 = time.monotonic()
        await _sync(a, user, "WXY", quantity="12")
        for task in pending:
            at, update = await asyncio.wait_for(task, 5)
            assert update.trigger == portfolio_pb2.WATCH_TRIGGER_HOLDINGS_CHANGE
            assert at - t0 < 1.0, f"{at - t0:.3f} s"
        for w in watches:
            w.cancel()


async def test_each_digest_is_delivered_once_with_two_schedulers(fleet: Fleet) -> None:
    mail, push, hook = (str(uuid.uuid4()) for _ in range(3))
    async with fleet.rr() as ch:
        stub = scheduler_pb2_grpc.SchedulerServiceStub(ch)
        await _prices(ch, "DGT", "104")
        for user in (mail, push, hook):
            await _sync(ch, user, "DGT")
        prefs = {
            mail: scheduler_pb2.NotificationPreferences(
                time_zone="UTC", email_address="mail@example.com", email_enabled=True, push_enabled=False,
                daily_digest_enabled=True),
            push: scheduler_pb2.NotificationPreferences(
                time_zone="UTC", email_enabled=False, push_enabled=True, daily_digest_enabled=True),
            hook: scheduler_pb2.NotificationPreferences(
                time_zone="UTC", email_enabled=False, push_enabled=False, daily_digest_enabled=True),
        }
        for user, p in prefs.items():
            p.name = f"users/{user}/notificationPreferences"
            await stub.UpdateNotificationPreferences(scheduler_pb2.UpdateNotificationPreferencesRequest(
                preferences=p, update_mask={"paths": [
                    "time_zone", "email_address", "email_enabled", "push_enabled", "daily_digest_enabled"]}),
                metadata=md(user), timeout=10)
        await stub.RegisterDevice(scheduler_pb2.RegisterDeviceRequest(
            parent=f"users/{push}",
            device=scheduler_pb2.Device(platform=scheduler_pb2.DEVICE_PLATFORM_FCM, token="fcm-replicas-1")),
            metadata=md(push), timeout=10)
        endpoint = await stub.CreateWebhookEndpoint(scheduler_pb2.CreateWebhookEndpointRequest(
            parent=f"users/{hook}", webhook_endpoint=scheduler_pb2.WebhookEndpoint(url=fleet.webhooks.url("/ok"))),
            metadata=md(hook), timeout=10)
        fleet.webhooks.secrets = [endpoint.secret]

    # They opted in yesterday and today's digest slot was five minutes ago: both running schedulers
    # find it due at their next tick.
    db = Database(fleet.dsn)
    await db.open()
    try:
        with system_scope("test-seed"):  # several users' rows (row-level security)
            async with db.connection() as conn:
                await conn.execute("UPDATE notification_prefs SET opted_in_at = now() - interval '1 day' "
                                   "WHERE user_id = ANY(%s::uuid[])", ([mail, push, hook],))
        repo = SchedulerRepo(db)
        await repo.set_planner_state(NotificationKind.DIGEST, epoch=await repo.db_now() - timedelta(hours=1))
    finally:
        await db.close()

    def counts() -> tuple[int, int, int]:
        return (sum(1 for m in fleet.smtp.received() if list(m.rcpt_tos) == ["mail@example.com"]),
                sum(1 for m in fleet.fcm.accepted if m.get("token") == "fcm-replicas-1"),
                len(fleet.webhooks.received))

    for _ in range(300):
        if all(counts()):
            break
        await asyncio.sleep(0.1)
    assert all(counts()), (counts(), [m.rcpt_tos for m in fleet.smtp.received()])
    await asyncio.sleep(4)  # four more ticks of each scheduler, and outbox polls: nothing is sent again
    assert counts() == (1, 1, 1)
    assert fleet.webhooks.received[0]["body"]["data"]["user"] == f"users/{hook}"


async def test_per_user_limits_hold_across_replicas_with_the_shared_store(fleet: Fleet) -> None:
    user = str(uuid.uuid4())
    async with fleet.rr() as ch:
        stub = scheduler_pb2_grpc.SchedulerServiceStub(ch)
        before = [await handled(p, "GetNotificationPreferences") for p in fleet.metrics]
        codes = []
        for _ in range(READS_PER_HOUR + 15):
            try:
                await stub.GetNotificationPreferences(scheduler_pb2.GetNotificationPreferencesRequest(
                    name=f"users/{user}/notificationPreferences"), metadata=md(user), timeout=10)
                codes.append(grpc.StatusCode.OK)
            except grpc.aio.AioRpcError as err:
                codes.append(err.code())
        after = [await handled(p, "GetNotificationPreferences") for p in fleet.metrics]
        # Both replicas answered (about half each): per-replica limits would let all 40 through.
        assert all(a - b >= 15 for a, b in zip(after, before, strict=True)), (before, after)
        assert codes.count(grpc.StatusCode.OK) == READS_PER_HOUR, codes
        assert set(codes[READS_PER_HOUR:]) == {grpc.StatusCode.RESOURCE_EXHAUSTED}

        # Concurrent streams: the user's slots are counted across both replicas.
        other = str(uuid.uuid4())
        await _prices(ch, "STR", "100")
        await _sync(ch, other, "STR")
        portfolio = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
        open_watches = []
        for _ in range(STREAMS_PER_USER):
            w = portfolio.WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=f"users/{other}/portfolio"),
                                         metadata=md(other), timeout=30)
            await asyncio.wait_for(w.read(), 10)
            open_watches.append(w)
        for _ in range(2):  # refused on either replica
            extra = portfolio.WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(
                portfolio=f"users/{other}/portfolio"), metadata=md(other), timeout=30)
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await asyncio.wait_for(extra.read(), 10)
            assert ei.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        open_watches.pop().cancel()
        for _ in range(50):  # the freed slot is usable again (the release reaches Redis)
            retry = portfolio.WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(
                portfolio=f"users/{other}/portfolio"), metadata=md(other), timeout=30)
            try:
                await asyncio.wait_for(retry.read(), 10)
                break
            except grpc.aio.AioRpcError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("a closed watch never gave its slot back")
        retry.cancel()
        for w in open_watches:
            w.cancel()
