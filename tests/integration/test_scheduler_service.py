"""SchedulerService over a real server: preferences (AIP-134 masks, validation, privacy),
devices (idempotent, token owned by another user), RunJob progress delivering to a real
SMTP server, the paginated history, and the operator status."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import common_pb2
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo.core.data_scope import user_scope
from tests.standins.smtp import SmtpSink
from tests.support.server import running_server


def _overrides(sink: SmtpSink) -> dict[str, object]:
    return {
        "notifications": {"smtp": {"host": "127.0.0.1", "port": sink.port, "starttls": False, "timeout": "5s"}},
    }


async def test_preferences_and_devices(db_dsn: str, data_dir: Path) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    sink = await SmtpSink().start()
    try:
        async with running_server(db_dsn, data_dir, _overrides(sink)) as srv:
            stub = pb_grpc.SchedulerServiceStub(srv.channel)
            name = f"users/{alice}/notificationPreferences"
            prefs = await stub.GetNotificationPreferences(
                pb.GetNotificationPreferencesRequest(name=name), metadata=srv.auth(alice), timeout=10
            )
            assert prefs.time_zone == "UTC" and prefs.daily_digest_enabled and prefs.name == name

            updated = await stub.UpdateNotificationPreferences(
                pb.UpdateNotificationPreferencesRequest(
                    preferences=pb.NotificationPreferences(
                        name=name,
                        time_zone="Europe/Berlin",
                        email_address="alice@example.com",
                        quiet_hours_start=common_pb2.TimeOfDay(hours=22),
                        quiet_hours_end=common_pb2.TimeOfDay(hours=7),
                        performance_alerts_enabled=False,
                        weekly_summary_enabled=False,  # not in the mask: must not change
                    ),
                    update_mask=field_mask_pb2.FieldMask(
                        paths=["time_zone", "email_address", "quiet_hours_start", "quiet_hours_end",
                               "performance_alerts_enabled"]
                    ),
                ),
                metadata=srv.auth(alice),
                timeout=10,
            )
            assert updated.time_zone == "Europe/Berlin"
            assert (updated.quiet_hours_start.hours, updated.quiet_hours_end.hours) == (22, 7)
            assert not updated.performance_alerts_enabled
            assert updated.weekly_summary_enabled
            assert updated.update_time.seconds > 0

            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.UpdateNotificationPreferences(
                    pb.UpdateNotificationPreferencesRequest(
                        preferences=pb.NotificationPreferences(name=name, time_zone="Mars/Olympus"),
                        update_mask=field_mask_pb2.FieldMask(paths=["time_zone"]),
                    ),
                    metadata=srv.auth(alice),
                    timeout=10,
                )
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "time_zone" in ei.value.details()

            async def update(prefs: pb.NotificationPreferences, paths: list[str]) -> pb.NotificationPreferences:
                return await stub.UpdateNotificationPreferences(pb.UpdateNotificationPreferencesRequest(
                    preferences=prefs, update_mask=field_mask_pb2.FieldMask(paths=paths)),
                    metadata=srv.auth(alice), timeout=10)

            # A service reading an unknown user's preferences: USER_NOT_FOUND, and no user is created.
            stranger = f"users/{uuid.uuid4()}/notificationPreferences"
            for _ in range(2):
                with pytest.raises(grpc.aio.AioRpcError) as ei:
                    await stub.GetNotificationPreferences(pb.GetNotificationPreferencesRequest(name=stranger),
                                                          metadata=srv.auth(service="ops"), timeout=10)
                assert ei.value.code() == grpc.StatusCode.NOT_FOUND
                assert _reason(ei.value) == "USER_NOT_FOUND"

            # "name" and "update_time" in a mask are ignored (they were INVALID_UPDATE_MASK).
            same = await update(pb.NotificationPreferences(name=name), ["name", "update_time"])
            assert (same.time_zone, same.performance_alerts_enabled) == ("Europe/Berlin", False)
            # "*" replaces everything: what is unset goes back to its default (it was MISSING_FIELD).
            replaced = await update(pb.NotificationPreferences(name=name, time_zone="Asia/Tokyo"), ["*"])
            assert replaced.time_zone == "Asia/Tokyo"
            assert replaced.performance_alerts_enabled and replaced.weekly_summary_enabled
            assert not replaced.HasField("quiet_hours_start") and replaced.alert_threshold_percent == 2

            with pytest.raises(grpc.aio.AioRpcError) as ei:  # Bob cannot see Alice's preferences
                await stub.GetNotificationPreferences(
                    pb.GetNotificationPreferencesRequest(name=name), metadata=srv.auth(bob), timeout=10
                )
            assert ei.value.code() == grpc.StatusCode.NOT_FOUND

            rid = str(uuid.uuid4())
            req = pb.RegisterDeviceRequest(
                parent=f"users/{alice}",
                device=pb.Device(platform=pb.DEVICE_PLATFORM_FCM, token="fcm-token-alice-1", display_name="Pixel"),
                request_id=rid,
            )
            dev = await stub.RegisterDevice(req, metadata=srv.auth(alice), timeout=10)
            assert dev.name.startswith(f"users/{alice}/devices/") and dev.active and dev.token == ""
            assert await stub.RegisterDevice(req, metadata=srv.auth(alice), timeout=10) == dev
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.RegisterDevice(
                    pb.RegisterDeviceRequest(
                        parent=f"users/{bob}",
                        device=pb.Device(platform=pb.DEVICE_PLATFORM_FCM, token="fcm-token-alice-1"),
                    ),
                    metadata=srv.auth(bob),
                    timeout=10,
                )
            assert ei.value.code() == grpc.StatusCode.ALREADY_EXISTS

            # Unregistering (logout on a shared phone) frees the token for Bob; Bob cannot delete Alice's.
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.DeleteDevice(pb.DeleteDeviceRequest(name=dev.name), metadata=srv.auth(bob), timeout=10)
            assert ei.value.code() == grpc.StatusCode.NOT_FOUND
            await stub.DeleteDevice(pb.DeleteDeviceRequest(name=dev.name), metadata=srv.auth(alice), timeout=10)
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.DeleteDevice(pb.DeleteDeviceRequest(name=dev.name), metadata=srv.auth(alice), timeout=10)
            assert ei.value.code() == grpc.StatusCode.NOT_FOUND
            bobs = await stub.RegisterDevice(
                pb.RegisterDeviceRequest(
                    parent=f"users/{bob}",
                    device=pb.Device(platform=pb.DEVICE_PLATFORM_FCM, token="fcm-token-alice-1"),
                ),
                metadata=srv.auth(bob),
                timeout=10,
            )
            assert bobs.name.startswith(f"users/{bob}/devices/")
    finally:
        await sink.stop()


async def test_run_job_streams_progress_and_history_lists_it(db_dsn: str, data_dir: Path) -> None:
    alice = str(uuid.uuid4())
    sink = await SmtpSink().start()
    try:
        async with running_server(db_dsn, data_dir, _overrides(sink)) as srv:
            stub = pb_grpc.SchedulerServiceStub(srv.channel)
            await stub.UpdateNotificationPreferences(
                pb.UpdateNotificationPreferencesRequest(
                    preferences=pb.NotificationPreferences(
                        name=f"users/{alice}/notificationPreferences",
                        email_address="alice@example.com",
                        push_enabled=False,
                    ),
                ),
                metadata=srv.auth(alice),
                timeout=10,
            )
            # A user without a portfolio is skipped with a reason; one with a portfolio gets a digest.
            from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
            from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc

            await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
                ppb.SyncPortfolioRequest(
                    portfolio=f"users/{alice}/portfolio", base_currency="USD", cash_balance="1000",
                    positions=[ppb.Holding(symbol="AAPL", quantity="2", average_cost="150", currency="USD")],
                ),
                metadata=srv.auth(alice), timeout=10,
            )
            with pytest.raises(grpc.aio.AioRpcError) as ei:  # operators only
                [e async for e in stub.RunJob(pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST),
                                              metadata=srv.auth(alice), timeout=10)]
            assert ei.value.code() == grpc.StatusCode.PERMISSION_DENIED

            events = [
                e
                async for e in stub.RunJob(
                    pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{alice}",
                                     request_id=str(uuid.uuid4())),
                    metadata=srv.auth(service="ops"),
                    timeout=60,
                )
            ]
            stages = [e.stage for e in events]
            assert stages[0] == pb.RUN_JOB_STAGE_PLANNED and stages[-1] == pb.RUN_JOB_STAGE_DONE
            assert pb.RUN_JOB_STAGE_SENT in stages, events
            sent = next(e for e in events if e.stage == pb.RUN_JOB_STAGE_SENT)
            assert sent.channel == pb.NOTIFICATION_CHANNEL_EMAIL
            assert events[-1].counts.sent == 1
            mails = await sink.wait_for(1)
            assert mails[0].message["To"] == "alice@example.com"

            page = await stub.ListNotifications(
                pb.ListNotificationsRequest(parent=f"users/{alice}", page_size=10), metadata=srv.auth(alice),
                timeout=10,
            )
            assert [n.name for n in page.notifications] == [sent.notification]
            assert page.notifications[0].status == pb.NOTIFICATION_STATUS_SENT
            assert page.notifications[0].target == "alice@example.com"
            assert page.notifications[0].kind == pb.NOTIFICATION_KIND_DAILY_DIGEST

            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.ListNotifications(
                    pb.ListNotificationsRequest(parent=f"users/{alice}", page_token="forged.token"),
                    metadata=srv.auth(alice), timeout=10,
                )
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            for bad in (pb.ListNotificationsRequest(parent=f"users/{alice}", kind=99),  # type: ignore[arg-type]
                        pb.ListNotificationsRequest(parent=f"users/{alice}", status=-1)):  # type: ignore[arg-type]
                with pytest.raises(grpc.aio.AioRpcError) as ei:  # not "no filter": every notification
                    await stub.ListNotifications(bad, metadata=srv.auth(alice), timeout=10)
                assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT

            status = await stub.GetSchedulerStatus(
                pb.GetSchedulerStatusRequest(), metadata=srv.auth(service="ops"), timeout=10
            )
            kinds = {j.kind: j for j in status.jobs}
            digest = kinds[pb.NOTIFICATION_KIND_DAILY_DIGEST]
            assert digest.schedule == "0 8 * * *" and digest.enabled
            assert any(c.status == pb.NOTIFICATION_STATUS_SENT and c.count == 1 for c in digest.counts)
            assert kinds[pb.NOTIFICATION_KIND_PERFORMANCE_ALERT].time_zone == "America/New_York"
    finally:
        await sink.stop()


async def test_ai_written_digest_is_archived_sealed_for_the_user(db_dsn: str, data_dir: Path) -> None:
    """With an AI provider, the digest's news summary is AI-written: the digest text is kept in
    ai-summaries/ under the user's key (readable by them, sealed at rest)."""
    import psycopg
    from google.protobuf import timestamp_pb2

    from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
    from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
    from tests.standins.zerog_provider import Reply, RouterStandIn
    from tests.support.secrets import ZEROG_API_KEY

    alice = str(uuid.uuid4())
    sink = await SmtpSink().start()
    try:
        async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
            router.default_reply = Reply.ok(text="Apple beat estimates on services revenue.")
            overrides = {
                **_overrides(sink),
                "zerog": {"compute": {"mode": "router", "broker_endpoint": router.base_url, "api_key": ZEROG_API_KEY}},
            }
            async with running_server(db_dsn, data_dir, overrides) as srv:
                portfolio = ppb_grpc.PortfolioSummaryServiceStub(srv.channel)
                await portfolio.SyncPortfolio(
                    ppb.SyncPortfolioRequest(
                        portfolio=f"users/{alice}/portfolio", base_currency="USD", cash_balance="100",
                        positions=[ppb.Holding(symbol="AAPL", quantity="5", average_cost="150", currency="USD")],
                    ),
                    metadata=srv.auth(alice), timeout=10,
                )
                published = timestamp_pb2.Timestamp()
                published.GetCurrentTime()
                await portfolio.IngestNews(
                    ppb.IngestNewsRequest(articles=[ppb.NewsArticle(
                        id="n-1", source="wire", publish_time=published, title="Apple results",
                        summary="Apple reported quarterly results.", url="https://news.example/apple",
                        symbols=["AAPL"],
                    )]),
                    metadata=srv.auth(service="news-feed"), timeout=10,
                )
                stub = pb_grpc.SchedulerServiceStub(srv.channel)
                await stub.UpdateNotificationPreferences(
                    pb.UpdateNotificationPreferencesRequest(preferences=pb.NotificationPreferences(
                        name=f"users/{alice}/notificationPreferences", email_address="alice@example.com",
                    )),
                    metadata=srv.auth(alice), timeout=10,
                )
                events = [e async for e in stub.RunJob(
                    pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{alice}"),
                    metadata=srv.auth(service="ops"), timeout=60,
                )]
                assert events[-1].counts.sent >= 1, events
                mail = (await sink.wait_for(1))[0]
                assert "Apple beat estimates" in mail.part("plain")

                with psycopg.connect(db_dsn) as conn:
                    rows = conn.execute(
                        "SELECT address, content FROM archive_objects WHERE owner = %s AND namespace = 'ai-summaries/'",
                        (alice,),
                    ).fetchall()
                assert len(rows) == 1
                address, content = rows[0]
                assert b"Apple beat estimates" not in bytes(content)  # sealed at rest
                with user_scope(alice):  # as her requests read it (row-level security)
                    text = await srv.container.archive.get(address, owner=alice)
                assert b"Apple beat estimates" in text
    finally:
        await sink.stop()


def _reason(err: grpc.aio.AioRpcError) -> str:
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None
    info = error_details_pb2.ErrorInfo()
    next(d for d in st.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)).Unpack(info)
    return str(info.reason)
