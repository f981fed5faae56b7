"""A client's first calls, over a real server: a user's own notification history is an empty list
before anything created them (and after they erased their data), as their devices and preferences
are; a service asking for a user it never saw is still NOT_FOUND. An empty Unsubscribe request is
the caller's mistake (INVALID_ARGUMENT naming ``token``) even on a server without the unsubscribe
secret, where only a well-formed token gets FAILED_PRECONDITION."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.unsubscribe import issue_token
from stack_cfo.secret import Secret
from tests.integration.portfolio.support import error_details
from tests.support.secrets import EMAIL_UNSUBSCRIBE_SECRET
from tests.support.server import running_server


async def _refused(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await call
    return ei.value


async def test_a_new_user_lists_their_own_empty_history(db_dsn: str, data_dir: Path) -> None:
    alice, stranger = str(uuid.uuid4()), str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        app = srv.auth(service="app-backend")

        async def own_history(user: str) -> pb.ListNotificationsResponse:
            return await stub.ListNotifications(
                pb.ListNotificationsRequest(parent=f"users/{user}"), metadata=srv.auth(user), timeout=10
            )

        async def refused_to_service(user: str) -> None:
            err = await _refused(
                stub.ListNotifications(pb.ListNotificationsRequest(parent=f"users/{user}"), metadata=app, timeout=10)
            )
            assert err.code() == grpc.StatusCode.NOT_FOUND
            assert error_details(err)[0].reason == "USER_NOT_FOUND"

        # Alice's very first call: an empty history, like her devices.
        first = await own_history(alice)
        assert list(first.notifications) == [] and first.next_page_token == ""
        devices = await stub.ListDevices(
            pb.ListDevicesRequest(parent=f"users/{alice}"), metadata=srv.auth(alice), timeout=10
        )
        assert list(devices.devices) == []
        # Her read created nothing: a service still does not know her, nor a user it never saw.
        await refused_to_service(alice)
        await refused_to_service(stranger)

        # Once she exists and has erased her data, her own list is empty again, not NOT_FOUND.
        prefs = await stub.GetNotificationPreferences(
            pb.GetNotificationPreferencesRequest(name=f"users/{alice}/notificationPreferences"),
            metadata=srv.auth(alice),
            timeout=10,
        )
        assert prefs.name == f"users/{alice}/notificationPreferences"
        await upb_grpc.UserDataServiceStub(srv.channel).EraseUserData(
            upb.EraseUserDataRequest(name=f"users/{alice}", request_id=str(uuid.uuid4())),
            metadata=srv.auth(service="privacy-desk"),
            timeout=30,
        )
        after = await own_history(alice)
        assert list(after.notifications) == []
        await refused_to_service(alice)


async def test_without_the_secret_an_empty_unsubscribe_names_the_token(db_dsn: str, data_dir: Path) -> None:
    alice = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:  # no notifications.email.unsubscribe_secret
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        for request in (
            pb.UnsubscribeRequest(),
            pb.UnsubscribeRequest(token="not a token"),
            pb.UnsubscribeRequest(token="x" * 513),
            pb.UnsubscribeRequest(token="A" * 46),
        ):
            err = await _refused(stub.Unsubscribe(request, metadata=srv.auth(service="app-backend"), timeout=10))
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, request.token
            info, violations = error_details(err)
            assert info.reason == "INVALID_UNSUBSCRIBE_TOKEN", request.token
            assert [f for f, _ in violations] == ["token"]

        # A well-formed token (whoever signed it): the server cannot check it, FAILED_PRECONDITION.
        token = issue_token(Secret(EMAIL_UNSUBSCRIBE_SECRET), alice, NotificationKind.DIGEST)
        err = await _refused(stub.Unsubscribe(pb.UnsubscribeRequest(token=token), metadata=srv.auth(alice), timeout=10))
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_details(err)[0].reason == "UNSUBSCRIBE_NOT_CONFIGURED"
