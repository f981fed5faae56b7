"""RunJob's deliveries in ``stack-cfo serve`` count on the server's ``/metrics`` page (they were
counted in a private registry no page served): the scheduler counter names the monitoring rules
and dashboard use, with their labels; not the scheduler's outbox gauges."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo.telemetry.metrics import bound_port
from tests.support.server import RunningServer, running_server

SENT = "notification_scheduler_notifications_sent_total"
PROCESSED = "notification_scheduler_users_processed_total"
FAILURES = "notification_scheduler_job_failures_total"


async def _scrape(srv: RunningServer) -> str:
    port = bound_port(srv.process._metrics)
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
        assert resp.status == 200
        return await resp.text()


def _value(page: str, sample: str, **labels: str) -> float:
    """The sum of every ``sample`` with these labels on the page (a family listed twice counts twice)."""
    return sum(
        s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
        if s.name == sample and s.labels == labels
    )


async def _feed_digest(srv: RunningServer, service: str, user: str) -> list[pb.RunJobResponse]:
    """A service feed enabled, one user with a portfolio, a daily digest run for that user."""
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    feed = f"services/{service}/notificationFeed"
    await stub.UpdateNotificationFeed(
        pb.UpdateNotificationFeedRequest(feed=pb.NotificationFeed(name=feed, enabled=True)),
        metadata=srv.auth(service=service), timeout=10,
    )  # fmt: skip
    await stub.UpdateNotificationPreferences(
        pb.UpdateNotificationPreferencesRequest(
            preferences=pb.NotificationPreferences(
                name=f"users/{user}/notificationPreferences", email_enabled=False, push_enabled=False
            ),
        ),
        metadata=srv.auth(user), timeout=10,
    )  # fmt: skip
    await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
        ppb.SyncPortfolioRequest(
            portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="1000",
            positions=[ppb.Holding(symbol="AAPL", quantity="2", average_cost="150", currency="USD")],
        ),
        metadata=srv.auth(user), timeout=10,
    )  # fmt: skip
    request = pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{user}")
    return [e async for e in stub.RunJob(request, metadata=srv.auth(service="ops"), timeout=60)]


async def test_runjob_deliveries_count_on_the_servers_metrics_page(db_dsn: str, data_dir: Path) -> None:
    overrides = {"server": {"metrics_listen": "127.0.0.1:0"}, "notifications": {"feed": {"poll_interval": "30s"}}}
    # Two servers one after the other in this process (as the tests run them): the process's one set of
    # RunJob metrics is on the page once, and each run counts once.
    service = f"svc-{uuid.uuid4().hex[:8]}"  # the database outlives the first server: one feed for both
    for _ in range(2):
        user = str(uuid.uuid4())
        async with running_server(db_dsn, data_dir, overrides) as srv:
            before = await _scrape(srv)
            events = await _feed_digest(srv, service, user)
            sent = [e for e in events if e.stage == pb.RUN_JOB_STAGE_SENT]
            assert [e.channel for e in sent] == [pb.NOTIFICATION_CHANNEL_FEED], events
            after = await _scrape(srv)
            for _ in range(50):  # recorded once the row is marked delivered, just after the event
                if _value(after, SENT, type="daily_digest", channel="feed") > _value(
                    before, SENT, type="daily_digest", channel="feed"
                ):
                    break
                await asyncio.sleep(0.1)
                after = await _scrape(srv)

        def grew(sample: str, page_before: str = before, page_after: str = after, **labels: str) -> float:
            return _value(page_after, sample, **labels) - _value(page_before, sample, **labels)

        assert grew(SENT, type="daily_digest", channel="feed") == 1, after
        assert grew(FAILURES, job_type="daily_digest") == 0
        # A feed delivery counts as a send does: processed, with its lag.
        assert grew(PROCESSED, job_type="daily_digest") == 1
        assert grew("notification_scheduler_delivery_lag_seconds_count", type="daily_digest") == 1
        for series in (
            f'{FAILURES}{{job_type="daily_digest"}}',
            f'{PROCESSED}{{job_type="daily_digest"}}',
            f'{SENT}{{channel="email",type="daily_digest"}}',
        ):
            assert series in after  # every series exists (at 0 at first) for rates and alerts
        assert "# TYPE notification_scheduler_notifications_outcome_total counter" in after
        assert "# TYPE notification_scheduler_delivery_lag_seconds histogram" in after
        # The outbox and in-flight gauges describe a scheduler process, not the API's RunJob.
        assert "notification_scheduler_outbox_pending" not in after
        assert "notification_scheduler_sends_in_flight" not in after
        assert after.count(f"# TYPE {SENT} counter") == 1
