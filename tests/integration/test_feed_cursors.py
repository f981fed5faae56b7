"""Notification feed cursors are counted per feed (migration 26): a cursor the feed handed out stays a
valid resume point after its rows are gone (erasure, retention), and one service's cursors say nothing
about how many notifications other services' feeds get."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from stack_cfo.store.migrations import Migrator
from tests.integration.portfolio.support import error_details
from tests.support.server import RunningServer, running_server

FEED_ONLY = {"notifications": {"feed": {"poll_interval": "30s"}}}


def _feed(service: str) -> str:
    return f"services/{service}/notificationFeed"


async def _enable(srv: RunningServer, service: str) -> None:
    await pb_grpc.SchedulerServiceStub(srv.channel).UpdateNotificationFeed(
        pb.UpdateNotificationFeedRequest(feed=pb.NotificationFeed(name=_feed(service), enabled=True)),
        metadata=srv.auth(service=service), timeout=10,
    )  # fmt: skip


async def _user_with_portfolio(srv: RunningServer, user: str) -> None:
    await pb_grpc.SchedulerServiceStub(srv.channel).UpdateNotificationPreferences(
        pb.UpdateNotificationPreferencesRequest(preferences=pb.NotificationPreferences(
            name=f"users/{user}/notificationPreferences", email_enabled=False, push_enabled=False)),
        metadata=srv.auth(user), timeout=10,
    )  # fmt: skip
    await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
        ppb.SyncPortfolioRequest(
            portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="1000",
            positions=[ppb.Holding(symbol="AAPL", quantity="2", average_cost="150", currency="USD")],
        ),
        metadata=srv.auth(user), timeout=10,
    )  # fmt: skip


async def _digest(srv: RunningServer, user: str | None = None) -> None:
    """A daily digest run (every user, or one user's manual run), delivered before it returns."""
    request = pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{user}" if user else "")
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    [e async for e in stub.RunJob(request, metadata=srv.auth(service="ops"), timeout=60)]


async def _watch(srv: RunningServer, service: str, n: int, cursor: str = "",
                 timeout: float = 15) -> list[pb.WatchNotificationsResponse]:
    """The first ``n`` events of a WatchNotifications call (then it is cancelled)."""
    call = pb_grpc.SchedulerServiceStub(srv.channel).WatchNotifications(
        pb.WatchNotificationsRequest(feed=_feed(service), cursor=cursor), metadata=srv.auth(service=service)
    )
    out: list[pb.WatchNotificationsResponse] = []

    async def read() -> None:
        async for event in call:
            out.append(event)
            if len(out) == n:
                return

    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        call.cancel()
    return out


def _owner(event: pb.WatchNotificationsResponse) -> str:
    return event.notification.name.split("/")[1]


async def test_a_cursor_stays_valid_after_the_feeds_newest_rows_are_erased(db_dsn: str, data_dir: Path) -> None:
    """The tester's repro: the watcher received the feed's highest cursor, that notification's user was
    erased, and resuming with the cursor was INVALID_CURSOR (it was checked against the rows left)."""
    svc = "inbox-backend"
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    async with running_server(db_dsn, data_dir, FEED_ONLY) as srv:
        await _enable(srv, svc)
        for user in (alice, bob):
            await _user_with_portfolio(srv, user)
        await _digest(srv)
        await _digest(srv, alice)  # alice's second notification: three on the feed
        got = await _watch(srv, svc, 3)
        assert [int(e.cursor) for e in got] == [1, 2, 3]
        newest = got[-1]
        erased = _owner(newest)
        kept = [e for e in got if _owner(e) != erased]
        assert kept and len(kept) < 3

        await upb_grpc.UserDataServiceStub(srv.channel).EraseUserData(
            upb.EraseUserDataRequest(name=f"users/{erased}", request_id=str(uuid.uuid4())),
            metadata=srv.auth(service="privacy-desk"), timeout=30,
        )  # fmt: skip

        # Resume with the highest cursor the feed sent: the unacknowledged notifications left are sent
        # again, marked redelivered, in cursor order; the erased user's are gone.
        again = await _watch(srv, svc, len(kept), cursor=newest.cursor)
        assert [e.notification.name for e in again] == [e.notification.name for e in kept]
        assert [e.cursor for e in again] == [e.cursor for e in kept]
        assert all(e.redelivered for e in again)
        # Nothing else is on the feed.
        with pytest.raises(TimeoutError):
            await _watch(srv, svc, len(kept) + 1, cursor=newest.cursor, timeout=1)

        # The next notification gets the next cursor (above every one handed out), not redelivered.
        survivor = _owner(kept[0])
        await _digest(srv, survivor)
        resumed = await _watch(srv, svc, len(kept) + 1, cursor=newest.cursor)
        assert [e.redelivered for e in resumed] == [True] * len(kept) + [False]
        assert int(resumed[-1].cursor) == int(newest.cursor) + 1 and _owner(resumed[-1]) == survivor
        # A cursor above any the feed handed out is still refused.
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _watch(srv, svc, 1, cursor=str(int(resumed[-1].cursor) + 1))
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_details(ei.value)[0].reason == "INVALID_CURSOR"


async def test_each_feed_counts_its_own_cursors_whatever_other_feeds_get(db_dsn: str, data_dir: Path) -> None:
    """Two services' feeds get the same notifications, published interleaved: each sees 1, 2, 3... with
    no gaps (a shared counter told each service how many notifications the other got, and when)."""
    users = [str(uuid.uuid4()) for _ in range(3)]
    async with running_server(db_dsn, data_dir, FEED_ONLY) as srv:
        await _enable(srv, "svc-one")
        await _enable(srv, "svc-two")
        for user in users:
            await _user_with_portfolio(srv, user)
        await _digest(srv)
        await _digest(srv, users[0])
        for svc in ("svc-one", "svc-two"):
            got = await _watch(srv, svc, 4)
            assert [int(e.cursor) for e in got] == [1, 2, 3, 4], svc
        # A feed enabled later starts at 1, however much the others got before it.
        await _enable(srv, "svc-three")
        await _digest(srv, users[1])
        assert [int(e.cursor) for e in await _watch(srv, "svc-one", 5)] == [1, 2, 3, 4, 5]
        assert [int(e.cursor) for e in await _watch(srv, "svc-three", 1)] == [1]


def _sql(dsn: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(statement, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


async def test_migration_26_keeps_every_cursor_handed_out_valid_both_ways(empty_db_dsn: str) -> None:
    """Feeds that published under the shared sequence start above every cursor it gave out (one whose
    rows are gone included), the previous release's publishing gets per-feed cursors (rolling deploy),
    and migrating down gives the sequence back above every feed's counter."""
    dsn = empty_db_dsn
    migrator = Migrator(dsn)
    await migrator.up(target=25)
    user = str(uuid.uuid4())
    _sql(dsn, "INSERT INTO users (id) VALUES (%s)", user)
    [(one,)] = _sql(dsn, "INSERT INTO notification_feeds (service, enabled) VALUES ('one', true) RETURNING id")
    [(two,)] = _sql(dsn, "INSERT INTO notification_feeds (service, enabled) VALUES ('two', true) RETURNING id")
    [(idle,)] = _sql(dsn, "INSERT INTO notification_feeds (service, enabled) VALUES ('idle', true) RETURNING id")
    for seq, feed in ((1, one), (2, two), (3, one), (4, two)):  # 5 was feed one's too: erased since
        _sql(dsn, """INSERT INTO notification_outbox (idempotency_key, kind, user_id, channel, target_id,
                     slot_local, scheduled_for, deadline, status, feed_seq)
                     VALUES (%s, 'digest', %s, 'feed', %s, '2025-01-02', now(), now() + interval '1 day',
                             'awaiting_ack', %s)""", f"k{seq}", user, feed, seq)
    _sql(dsn, "SELECT setval('notification_feed_seq', 5)")

    await migrator.up()
    counters = dict(_sql(dsn, "SELECT id, last_seq FROM notification_feeds"))
    assert counters == {one: 5, two: 5, idle: 5}

    # A process of the previous release, still running during a rolling deploy, publishes as it did
    # (feed_seq = nextval of the shared sequence, which is kept): the row gets its feed's next cursor.
    for key, feed in (("old-1", two), ("old-2", two), ("old-3", one)):
        _sql(dsn, """INSERT INTO notification_outbox (idempotency_key, kind, user_id, channel, target_id,
                     slot_local, scheduled_for, deadline, status, locked_by, locked_until)
                     VALUES (%s, 'digest', %s, 'feed', %s, '2025-01-03', now(), now() + interval '1 day',
                             'sending', 'old-release', now() + interval '1 minute')""", key, user, feed)
        _sql(dsn, """UPDATE notification_outbox SET status = 'awaiting_ack', locked_by = NULL, locked_until = NULL,
                     feed_seq = nextval('notification_feed_seq') WHERE idempotency_key = %s""", key)
    assert _sql(dsn, "SELECT idempotency_key, feed_seq FROM notification_outbox WHERE idempotency_key LIKE 'old-%%'"
                " ORDER BY idempotency_key") == [("old-1", 6), ("old-2", 7), ("old-3", 6)]
    assert dict(_sql(dsn, "SELECT id, last_seq FROM notification_feeds")) == {one: 6, two: 7, idle: 5}

    _sql(dsn, "UPDATE notification_feeds SET last_seq = 8 WHERE id = %s", two)  # published since
    await migrator.down(target=25)
    assert _sql(dsn, "SELECT nextval('notification_feed_seq')") == [(9,)]
    assert _sql(dsn, """SELECT count(*) FROM information_schema.columns
                        WHERE table_name = 'notification_feeds' AND column_name = 'last_seq'""") == [(0,)]
    await migrator.up()
    assert dict(_sql(dsn, "SELECT id, last_seq FROM notification_feeds")) == {one: 9, two: 9, idle: 9}
