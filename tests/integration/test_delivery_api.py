"""SchedulerService over a real server: webhook endpoints (users' and services', secrets shown once,
rotation, the SSRF guard at registration), delivery of a RunJob to a real local webhook receiver that checks
signatures itself, and the notification feed (stream, disconnect, resume from a cursor, acknowledgements,
a client that never acknowledges)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo.core.data_scope import system_scope
from stack_cfo.store.scheduler import SchedulerRepo
from tests.standins.webhook_receiver import WebhookReceiver, https_receiver
from tests.support.server import RunningServer, running_server


def _violation(err: grpc.aio.AioRpcError) -> tuple[str, str]:
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None
    reason = field = ""
    for d in st.details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            reason = info.reason
        if d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            d.Unpack(bad)
            field = bad.field_violations[0].field
    return reason, field


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[WebhookReceiver]:
    async with https_receiver(tmp_path) as r:
        yield r


def _local(receiver: WebhookReceiver, **feed: Any) -> dict[str, Any]:
    assert receiver.cert is not None
    return {
        "notifications": {
            "webhook": {"allow_private_networks": True, "ca_file": str(receiver.cert[0]), "timeout": "2s"},
            "feed": {"poll_interval": "30s", **feed},  # a long poll: only NOTIFY can wake streams quickly
        }
    }


async def _user_with_portfolio(srv: RunningServer, user: str, *, email: bool = False) -> None:
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    await stub.UpdateNotificationPreferences(
        pb.UpdateNotificationPreferencesRequest(
            preferences=pb.NotificationPreferences(
                name=f"users/{user}/notificationPreferences", email_enabled=email, push_enabled=False
            ),
        ),
        metadata=srv.auth(user),
        timeout=10,
    )
    await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
        ppb.SyncPortfolioRequest(
            portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="1000",
            positions=[ppb.Holding(symbol="AAPL", quantity="2", average_cost="150", currency="USD")],
        ),
        metadata=srv.auth(user), timeout=10,
    )


async def _run(srv: RunningServer, kind: int, user: str | None = None) -> list[pb.RunJobResponse]:
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    request = pb.RunJobRequest(kind=kind, user=f"users/{user}" if user else "")
    return [e async for e in stub.RunJob(request, metadata=srv.auth(service="ops"), timeout=60)]


async def test_webhook_endpoints_are_managed_by_their_owner_and_deliver_signed_runs(
    db_dsn: str, data_dir: Path, receiver: WebhookReceiver
) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    async with running_server(db_dsn, data_dir, _local(receiver)) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        rid = str(uuid.uuid4())
        create = pb.CreateWebhookEndpointRequest(
            parent=f"users/{alice}",
            webhook_endpoint=pb.WebhookEndpoint(url=receiver.url("/ok"), description="Alice's inbox"),
            request_id=rid,
        )
        mine = await stub.CreateWebhookEndpoint(create, metadata=srv.auth(alice), timeout=10)
        assert mine.name.startswith(f"users/{alice}/webhookEndpoints/") and mine.secret.startswith("whsec_")
        assert await stub.CreateWebhookEndpoint(create, metadata=srv.auth(alice), timeout=10) == mine  # request_id
        got = await stub.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(name=mine.name), metadata=srv.auth(alice))
        assert got.secret == "" and got.url == receiver.url("/ok")
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # Bob cannot see it
            await stub.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(name=mine.name), metadata=srv.auth(bob))
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND

        tenant = await stub.CreateWebhookEndpoint(
            pb.CreateWebhookEndpointRequest(
                parent="services/acme-backend",
                webhook_endpoint=pb.WebhookEndpoint(
                    url=receiver.url("/ok"), kinds=[pb.NOTIFICATION_KIND_WEEKLY_SUMMARY]
                ),
            ),
            metadata=srv.auth(service="acme-backend"),
            timeout=10,
        )
        assert tenant.name.startswith("services/acme-backend/webhookEndpoints/")
        for who in (srv.auth(service="other-backend"), srv.auth(alice)):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.ListWebhookEndpoints(
                    pb.ListWebhookEndpointsRequest(parent="services/acme-backend"), metadata=who, timeout=10
                )
            assert ei.value.code() == grpc.StatusCode.NOT_FOUND

        # rotation: a new secret, the old one still signs for a while
        rotated = await stub.RotateWebhookEndpointSecret(
            pb.RotateWebhookEndpointSecretRequest(name=mine.name), metadata=srv.auth(alice), timeout=10
        )
        assert rotated.secret.startswith("whsec_") and rotated.secret != mine.secret
        assert rotated.previous_secret_expire_time.seconds > 0

        # a digest run reaches Alice's endpoint (not the tenant's, filtered to weekly summaries), signed
        # with both secrets: a receiver still on the old one verifies it
        receiver.secrets = [mine.secret]
        await _user_with_portfolio(srv, alice)
        events = await _run(srv, pb.NOTIFICATION_KIND_DAILY_DIGEST, alice)
        sent = [e for e in events if e.stage == pb.RUN_JOB_STAGE_SENT]
        assert [e.channel for e in sent] == [pb.NOTIFICATION_CHANNEL_WEBHOOK] and sent[0].user == f"users/{alice}"
        [delivered] = receiver.received
        body = delivered["body"]["data"]
        assert body["notification"] == sent[0].notification and body["manual"] is True
        assert delivered["headers"]["webhook-id"] == body["idempotency_key"]
        page = await stub.ListNotifications(
            pb.ListNotificationsRequest(parent=f"users/{alice}"), metadata=srv.auth(alice), timeout=10
        )
        [n] = page.notifications
        assert n.channel == pb.NOTIFICATION_CHANNEL_WEBHOOK and n.target == mine.name and n.manual
        assert n.idempotency_key == body["idempotency_key"] and "~m" in n.idempotency_key

        # the weekly summary goes to both endpoints
        receiver.secrets = [rotated.secret, tenant.secret]
        await _run(srv, pb.NOTIFICATION_KIND_WEEKLY_SUMMARY, alice)
        assert len(receiver.received) == 3

        updated = await stub.UpdateWebhookEndpoint(
            pb.UpdateWebhookEndpointRequest(
                webhook_endpoint=pb.WebhookEndpoint(name=mine.name, disabled=True),
                update_mask=field_mask_pb2.FieldMask(paths=["disabled"]),
            ),
            metadata=srv.auth(alice),
            timeout=10,
        )
        assert updated.disabled and updated.url == receiver.url("/ok")
        # kinds come back once each, in the enum's order, whatever order they were given in
        every = [pb.NOTIFICATION_KIND_PERFORMANCE_ALERT, pb.NOTIFICATION_KIND_DAILY_DIGEST,
                 pb.NOTIFICATION_KIND_WEEKLY_SUMMARY, pb.NOTIFICATION_KIND_DAILY_DIGEST]
        kinds = await stub.UpdateWebhookEndpoint(pb.UpdateWebhookEndpointRequest(
            webhook_endpoint=pb.WebhookEndpoint(name=mine.name, kinds=every),
            update_mask=field_mask_pb2.FieldMask(paths=["kinds"])), metadata=srv.auth(alice), timeout=10)
        got = await stub.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(name=mine.name), metadata=srv.auth(alice))
        assert list(kinds.kinds) == list(got.kinds) == sorted(set(every))
        replaced = await stub.UpdateWebhookEndpoint(pb.UpdateWebhookEndpointRequest(  # "*": every field
            webhook_endpoint=pb.WebhookEndpoint(name=mine.name, url=receiver.url("/ok"), disabled=True),
            update_mask=field_mask_pb2.FieldMask(paths=["*"])), metadata=srv.auth(alice), timeout=10)
        assert replaced.disabled and replaced.description == "" and list(replaced.kinds) == []
        listed = await stub.ListWebhookEndpoints(
            pb.ListWebhookEndpointsRequest(parent=f"users/{alice}", page_size=1), metadata=srv.auth(alice)
        )
        assert [e.name for e in listed.webhook_endpoints] == [mine.name] and not listed.next_page_token
        await stub.DeleteWebhookEndpoint(pb.DeleteWebhookEndpointRequest(name=mine.name), metadata=srv.auth(alice))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub.DeleteWebhookEndpoint(pb.DeleteWebhookEndpointRequest(name=mine.name), metadata=srv.auth(alice))
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND


async def test_production_mode_refuses_private_and_plain_http_endpoints(db_dsn: str, data_dir: Path) -> None:
    alice = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        for url, reason in (
            ("https://localhost:8443/hook", "WEBHOOK_URL_NOT_ALLOWED"),
            ("https://169.254.169.254/latest", "WEBHOOK_URL_NOT_ALLOWED"),
            ("http://hooks.example.com/x", "INVALID_WEBHOOK_URL"),
            ("", "MISSING_FIELD"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.CreateWebhookEndpoint(
                    pb.CreateWebhookEndpointRequest(
                        parent=f"users/{alice}", webhook_endpoint=pb.WebhookEndpoint(url=url)
                    ),
                    metadata=srv.auth(alice),
                    timeout=10,
                )
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, url
            assert _violation(ei.value) == (reason, "webhook_endpoint.url"), url


async def _take(call: Any, n: int, timeout: float = 15) -> list[pb.WatchNotificationsResponse]:
    out: list[pb.WatchNotificationsResponse] = []

    async def read() -> None:
        async for event in call:
            out.append(event)
            if len(out) == n:
                return

    await asyncio.wait_for(read(), timeout)
    return out


async def test_feed_streams_resumes_without_loss_and_redelivers_only_the_unacknowledged(
    db_dsn: str, data_dir: Path, receiver: WebhookReceiver
) -> None:
    users = [str(uuid.uuid4()) for _ in range(3)]
    svc = "acme-backend"
    feed = f"services/{svc}/notificationFeed"
    async with running_server(db_dsn, data_dir, _local(receiver)) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        me = srv.auth(service=svc)
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # never enabled
            await _take(stub.WatchNotifications(pb.WatchNotificationsRequest(feed=feed), metadata=me), 1)
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # service principals only
            await stub.GetNotificationFeed(pb.GetNotificationFeedRequest(name=feed), metadata=srv.auth(users[0]))
        assert ei.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # Disabling a feed never enabled creates nothing: no create_time, and it still cannot be watched.
        off = await stub.UpdateNotificationFeed(
            pb.UpdateNotificationFeedRequest(feed=pb.NotificationFeed(name=feed, enabled=False)), metadata=me
        )
        assert not off.enabled and not off.HasField("create_time")
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _take(stub.WatchNotifications(pb.WatchNotificationsRequest(feed=feed), metadata=me), 1)
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        enabled = await stub.UpdateNotificationFeed(
            pb.UpdateNotificationFeedRequest(feed=pb.NotificationFeed(name=feed, enabled=True)), metadata=me
        )
        assert enabled.enabled and enabled.acknowledgement_grace.seconds == 86400
        star = await stub.UpdateNotificationFeed(pb.UpdateNotificationFeedRequest(  # "*": both fields
            feed=pb.NotificationFeed(name=feed, enabled=True), update_mask={"paths": ["*"]}), metadata=me)
        assert star.enabled and list(star.kinds) == []
        reordered = await stub.UpdateNotificationFeed(pb.UpdateNotificationFeedRequest(
            feed=pb.NotificationFeed(name=feed, kinds=[pb.NOTIFICATION_KIND_PERFORMANCE_ALERT,
                                                       pb.NOTIFICATION_KIND_DAILY_DIGEST]),
            update_mask={"paths": ["kinds"]}), metadata=me)
        assert list(reordered.kinds) == [pb.NOTIFICATION_KIND_DAILY_DIGEST, pb.NOTIFICATION_KIND_PERFORMANCE_ALERT]
        await stub.UpdateNotificationFeed(pb.UpdateNotificationFeedRequest(  # every kind again, for what follows
            feed=pb.NotificationFeed(name=feed), update_mask={"paths": ["kinds"]}), metadata=me)
        for u in users:
            await _user_with_portfolio(srv, u)
        await _run(srv, pb.NOTIFICATION_KIND_DAILY_DIGEST)

        first = stub.WatchNotifications(pb.WatchNotificationsRequest(feed=feed), metadata=me)
        got = await _take(first, 2)
        first.cancel()  # disconnect mid-stream: the third was never read
        assert all(e.notification.status == pb.NOTIFICATION_STATUS_AWAITING_ACK for e in got)
        assert all(e.notification.channel == pb.NOTIFICATION_CHANNEL_FEED for e in got)
        assert not any(e.redelivered for e in got)
        # The notification carries the receipts its content names (it carried none on the feed).
        for e in got:
            assert [r.name for r in e.notification.receipts] == list(e.content.receipts), e
        assert any(e.content.receipts for e in got)
        # The feed counts what is on it (many users' rows: it was 0 under row-level security).
        status = await stub.GetNotificationFeed(pb.GetNotificationFeedRequest(name=feed), metadata=me)
        assert status.unacknowledged_count == 3 and status.HasField("create_time")
        # An acknowledgement under another user's name is an unknown name: ignored, the row stays.
        owner, _, number = got[0].notification.name.split("/")[1:4]
        stranger = next(u for u in users if u != owner)
        wrong = await stub.AcknowledgeNotifications(pb.AcknowledgeNotificationsRequest(
            feed=feed, notifications=[f"users/{stranger}/notifications/{number}"]), metadata=me)
        assert wrong.acknowledged_count == 0
        # A cursor beyond any this feed handed out is not one of its cursors.
        for cursor in (str(max(int(e.cursor) for e in got) + 1000), "\u00b2"):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await _take(stub.WatchNotifications(pb.WatchNotificationsRequest(feed=feed, cursor=cursor),
                                                    metadata=me), 1)
            assert _violation(ei.value) == ("INVALID_CURSOR", "cursor")
        content = got[0].content
        assert content.title and content.blocks[0].type == "heading"
        assert any(f.name == "total_value" and f.unit == "USD" for f in content.figures)
        # The digest's paragraph has a receipt even when the deterministic writer wrote it (no AI configured).
        (receipt,) = content.receipts
        assert receipt.startswith(f"users/{got[0].notification.name.split('/')[1]}/receipts/")
        ack = await stub.AcknowledgeNotifications(
            pb.AcknowledgeNotificationsRequest(feed=feed, notifications=[got[0].notification.name]), metadata=me
        )
        assert ack.acknowledged_count == 1

        # produced while disconnected
        await _run(srv, pb.NOTIFICATION_KIND_WEEKLY_SUMMARY)
        second = stub.WatchNotifications(pb.WatchNotificationsRequest(feed=feed, cursor=got[1].cursor), metadata=me)
        again = await _take(second, 5)
        names = [e.notification.name for e in again]
        assert got[0].notification.name not in names  # acknowledged: never again
        assert again[0].notification.name == got[1].notification.name and again[0].redelivered
        assert not any(e.redelivered for e in again[1:])
        assert [int(e.cursor) for e in again] == sorted(int(e.cursor) for e in again)
        # live: a new notification wakes the open stream (the poll is 30 s; NOTIFY does it)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await _run(srv, pb.NOTIFICATION_KIND_DAILY_DIGEST, users[0])
        [live] = await _take(second, 1, timeout=10)
        assert loop.time() - started < 10 and live.notification.name not in names
        second.cancel()

        everything = {got[0].notification.name, *names, live.notification.name}
        assert len(everything) == 7  # 3 digests + 3 weekly + 1 manual digest: nothing lost
        await stub.AcknowledgeNotifications(
            pb.AcknowledgeNotificationsRequest(feed=feed, notifications=sorted(everything)), metadata=me
        )
        status = await stub.GetNotificationFeed(pb.GetNotificationFeedRequest(name=feed), metadata=me)
        assert status.unacknowledged_count == 0
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub.AcknowledgeNotifications(
                pb.AcknowledgeNotificationsRequest(feed=feed, notifications=["users/x/devices/1"]), metadata=me
            )
        assert _violation(ei.value) == ("INVALID_RESOURCE_NAME", "notifications[0]")
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # every bad name at once ("１２": not a name's segment)
            await stub.AcknowledgeNotifications(pb.AcknowledgeNotificationsRequest(
                feed=feed, notifications=[f"users/{users[0]}/notifications/１２", sorted(everything)[0],
                                          f"users/{users[0]}/notifications/x", "users/x/devices/1"]), metadata=me)
        st = rpc_status.from_call(ei.value)  # type: ignore[arg-type]
        assert st is not None
        bad = error_details_pb2.BadRequest()
        next(d for d in st.details if d.Is(error_details_pb2.BadRequest.DESCRIPTOR)).Unpack(bad)
        assert [v.field for v in bad.field_violations] == ["notifications[0]", "notifications[3]"]
        # a well-formed name no notification has ("x", a UUID) is unknown: ignored, as the contract says
        unknown = [f"users/{users[0]}/notifications/{uuid.uuid4()}", f"users/{users[0]}/notifications/x",
                   f"users/{users[0]}/notifications/{'9' * 19}"]
        ack = await stub.AcknowledgeNotifications(pb.AcknowledgeNotificationsRequest(
            feed=feed, notifications=unknown), metadata=me)
        assert ack.acknowledged_count == 0
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # the count is checked first, whatever the names
            await stub.AcknowledgeNotifications(pb.AcknowledgeNotificationsRequest(
                feed=feed, notifications=unknown * 334), metadata=me)
        assert _violation(ei.value) == ("TOO_MANY_NOTIFICATIONS", "notifications")


async def test_a_feed_client_that_never_acknowledges_gets_redelivery_then_expiry(
    db_dsn: str, data_dir: Path, receiver: WebhookReceiver
) -> None:
    user = str(uuid.uuid4())
    svc = "lazy-backend"
    feed = f"services/{svc}/notificationFeed"
    async with running_server(db_dsn, data_dir, _local(receiver)) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        me = srv.auth(service=svc)
        await stub.UpdateNotificationFeed(
            pb.UpdateNotificationFeedRequest(feed=pb.NotificationFeed(name=feed, enabled=True)), metadata=me
        )
        await _user_with_portfolio(srv, user)
        await _run(srv, pb.NOTIFICATION_KIND_DAILY_DIGEST)
        seen = []
        for _ in range(3):  # every reconnect redelivers what was never acknowledged
            call = stub.WatchNotifications(
                pb.WatchNotificationsRequest(feed=feed, cursor=seen[-1].cursor if seen else ""), metadata=me
            )
            [event] = await _take(call, 1)
            call.cancel()
            seen.append(event)
        assert len({e.notification.name for e in seen}) == 1
        assert [e.redelivered for e in seen] == [False, True, True]

        # past the acknowledgement grace the scheduler's sweep expires it; it is never streamed again
        repo = SchedulerRepo(srv.container.db)
        later = await repo.db_now() + srv.container.notification_feed.ack_grace
        with system_scope("reaper"):  # the sweep spans users
            assert await repo.expire_feed_rows(now=later) == 1
        page = await stub.ListNotifications(
            pb.ListNotificationsRequest(parent=f"users/{user}"), metadata=srv.auth(user), timeout=10
        )
        [n] = page.notifications
        assert n.status == pb.NOTIFICATION_STATUS_EXPIRED and n.reason == "feed_unacknowledged"
        call = stub.WatchNotifications(pb.WatchNotificationsRequest(feed=feed), metadata=me)
        with pytest.raises(TimeoutError):
            await _take(call, 1, timeout=1)
        call.cancel()
