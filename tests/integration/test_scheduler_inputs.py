"""SchedulerService and UserDataService input rules a client switches on: unknown enum numbers are
INVALID_ENUM naming the field, over-long labels TEXT_TOO_LONG with the limit, another user's
resources NOT_FOUND with the reason of their kind (found by a client's test)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from tests.support.server import running_server


async def _error(call: Awaitable[Any]) -> tuple[grpc.StatusCode, error_details_pb2.ErrorInfo, list[str]]:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await call
    st = rpc_status.from_call(ei.value)  # type: ignore[arg-type]
    assert st is not None
    info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    fields: list[str] = []
    for d in st.details:
        if d.Is(info.DESCRIPTOR):
            d.Unpack(info)
        elif d.Is(bad.DESCRIPTOR):
            d.Unpack(bad)
            fields = [v.field for v in bad.field_violations]
    return ei.value.code(), info, fields


async def test_enums_labels_and_other_users_resources(db_dsn: str, data_dir: Path) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    overrides = {"notifications": {"webhook": {"allow_private_networks": True}}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        ops = srv.auth(service="ops")
        url = "https://127.0.0.1:9/hook"
        invalid_enum = [
            ("kind", stub.RunJob(pb.RunJobRequest(kind=9), metadata=ops, timeout=10).read()),
            ("device.platform", stub.RegisterDevice(pb.RegisterDeviceRequest(
                parent=f"users/{alice}", device=pb.Device(platform=9, token="x" * 64)),
                metadata=srv.auth(alice), timeout=10)),
            ("webhook_endpoint.kinds[0]", stub.CreateWebhookEndpoint(pb.CreateWebhookEndpointRequest(
                parent=f"users/{alice}", webhook_endpoint=pb.WebhookEndpoint(url=url, kinds=[7])),
                metadata=srv.auth(alice), timeout=10)),
        ]
        for field, call in invalid_enum:
            code, info, fields = await _error(call)
            assert (code, info.reason, fields) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ENUM", [field])
        # zero is "not set": still MISSING_FIELD
        code, info, fields = await _error(stub.RunJob(pb.RunJobRequest(), metadata=ops, timeout=10).read())
        assert (info.reason, fields) == ("MISSING_FIELD", ["kind"])
        code, info, _ = await _error(ppb_grpc.PortfolioSummaryServiceStub(srv.channel).GetPerformanceHistory(
            ppb.GetPerformanceHistoryRequest(portfolio=f"users/{alice}/portfolio", range=42),
            metadata=srv.auth(alice), timeout=10))
        assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ENUM")

        long_label = [
            ("device.display_name", stub.RegisterDevice(pb.RegisterDeviceRequest(
                parent=f"users/{alice}", device=pb.Device(platform=pb.DEVICE_PLATFORM_FCM, token="t" * 64,
                                                         display_name="d" * 201)),
                metadata=srv.auth(alice), timeout=10)),
            ("webhook_endpoint.description", stub.CreateWebhookEndpoint(pb.CreateWebhookEndpointRequest(
                parent=f"users/{alice}", webhook_endpoint=pb.WebhookEndpoint(url=url, description="d" * 201)),
                metadata=srv.auth(alice), timeout=10)),
        ]
        for field, call in long_label:
            code, info, fields = await _error(call)
            assert (code, info.reason, fields) == (grpc.StatusCode.INVALID_ARGUMENT, "TEXT_TOO_LONG", [field])
            assert info.metadata["max_chars"] == "200"

        # Alice's resources asked for by Bob: NOT_FOUND with the reason a missing one has.
        device = await stub.RegisterDevice(pb.RegisterDeviceRequest(
            parent=f"users/{alice}", device=pb.Device(platform=pb.DEVICE_PLATFORM_FCM, token="a" * 64)),
            metadata=srv.auth(alice), timeout=10)
        endpoint = await stub.CreateWebhookEndpoint(pb.CreateWebhookEndpointRequest(
            parent=f"users/{alice}", webhook_endpoint=pb.WebhookEndpoint(url=url)), metadata=srv.auth(alice),
            timeout=10)
        as_bob = srv.auth(bob)
        cases = [
            ("DEVICE_NOT_FOUND", stub.DeleteDevice(pb.DeleteDeviceRequest(name=device.name), metadata=as_bob)),
            ("WEBHOOK_ENDPOINT_NOT_FOUND", stub.GetWebhookEndpoint(
                pb.GetWebhookEndpointRequest(name=endpoint.name), metadata=as_bob)),
            ("USER_NOT_FOUND", stub.GetNotificationPreferences(pb.GetNotificationPreferencesRequest(
                name=f"users/{alice}/notificationPreferences"), metadata=as_bob)),
            ("USER_NOT_FOUND", upb_grpc.UserDataServiceStub(srv.channel).EraseUserData(
                upb.EraseUserDataRequest(name=f"users/{alice}"), metadata=as_bob)),
            ("PORTFOLIO_NOT_FOUND", ppb_grpc.PortfolioSummaryServiceStub(srv.channel).GetPortfolioSummary(
                ppb.GetPortfolioSummaryRequest(portfolio=f"users/{alice}/portfolio"), metadata=as_bob)),
            ("TRANSACTION_NOT_FOUND", ppb_grpc.PortfolioSummaryServiceStub(srv.channel).GetTransaction(
                ppb.GetTransactionRequest(name=f"users/{alice}/portfolio/transactions/{uuid.uuid4()}"),
                metadata=as_bob)),
        ]
        for reason, call in cases:
            code, info, _ = await _error(call)
            assert (code, info.reason) == (grpc.StatusCode.NOT_FOUND, reason)

        # ListNotifications: a user asking for their own list before anything was planned gets an empty one; a
        # service asking for a user it has never seen, NOT_FOUND USER_NOT_FOUND (scheduler.proto).
        fresh = str(uuid.uuid4())
        own = await stub.ListNotifications(pb.ListNotificationsRequest(parent=f"users/{fresh}"),
                                           metadata=srv.auth(fresh), timeout=10)
        assert list(own.notifications) == [] and own.next_page_token == ""
        code, info, _ = await _error(stub.ListNotifications(
            pb.ListNotificationsRequest(parent=f"users/{uuid.uuid4()}"), metadata=ops, timeout=10))
        assert (code, info.reason) == (grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND")

        # Values echoed in an error's metadata are cut to 256 characters with a marker, not silently.
        code, info, _ = await _error(stub.GetNotificationPreferences(
            pb.GetNotificationPreferencesRequest(name="users/" + "x" * 3000), metadata=ops, timeout=10))
        assert info.metadata["value"].endswith("...(3006 chars)") and len(info.metadata["value"]) == 256


async def test_a_path_in_the_mask_left_unset_gets_its_default(db_dsn: str, data_dir: Path) -> None:
    """AIP-134: naming a field in update_mask and leaving it unset resets it (it was MISSING_FIELD for
    the optional bools and UNKNOWN_TIME_ZONE for an empty time zone)."""
    from google.protobuf import field_mask_pb2

    user = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        name = f"users/{user}/notificationPreferences"
        await stub.UpdateNotificationPreferences(pb.UpdateNotificationPreferencesRequest(
            preferences=pb.NotificationPreferences(name=name, time_zone="Europe/Berlin", daily_digest_enabled=False)),
            metadata=srv.auth(user), timeout=10)
        reset = await stub.UpdateNotificationPreferences(pb.UpdateNotificationPreferencesRequest(
            preferences=pb.NotificationPreferences(name=name),
            update_mask=field_mask_pb2.FieldMask(paths=["daily_digest_enabled", "time_zone"])),
            metadata=srv.auth(user), timeout=10)
        assert reset.daily_digest_enabled and reset.time_zone == "UTC"


async def test_a_time_of_day_out_of_range_names_its_own_field(db_dsn: str, data_dir: Path) -> None:
    """TimeOfDay's "Hours, 0 to 23" and "Minutes, 0 to 59": the violation names the field that is out of range
    (it named the TimeOfDay: ``preferences.quiet_hours_start``; a contract tester)."""
    from google.protobuf import field_mask_pb2

    from stack_cfo._proto.stack.cfo.v1 import common_pb2

    user = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        name = f"users/{user}/notificationPreferences"
        mask = field_mask_pb2.FieldMask(paths=["quiet_hours_start", "quiet_hours_end"])
        cases = [
            ((24, 0), (7, 0), "preferences.quiet_hours_start.hours"),
            ((-1, 0), (7, 0), "preferences.quiet_hours_start.hours"),
            ((22, 60), (7, 0), "preferences.quiet_hours_start.minutes"),
            ((22, 0), (7, -5), "preferences.quiet_hours_end.minutes"),
            ((22, 0), (2147483647, 0), "preferences.quiet_hours_end.hours"),
        ]
        for start, end, field in cases:
            request = pb.UpdateNotificationPreferencesRequest(
                preferences=pb.NotificationPreferences(
                    name=name, quiet_hours_start=common_pb2.TimeOfDay(hours=start[0], minutes=start[1]),
                    quiet_hours_end=common_pb2.TimeOfDay(hours=end[0], minutes=end[1])),
                update_mask=mask)
            code, info, fields = await _error(stub.UpdateNotificationPreferences(
                request, metadata=srv.auth(user), timeout=10))
            assert (code, info.reason, fields) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_QUIET_HOURS", [field])
        ok = await stub.UpdateNotificationPreferences(pb.UpdateNotificationPreferencesRequest(
            preferences=pb.NotificationPreferences(name=name, quiet_hours_start=common_pb2.TimeOfDay(hours=23),
                                                   quiet_hours_end=common_pb2.TimeOfDay(hours=6, minutes=59)),
            update_mask=mask), metadata=srv.auth(user), timeout=10)
        assert (ok.quiet_hours_start.hours, ok.quiet_hours_end.minutes) == (23, 59)
