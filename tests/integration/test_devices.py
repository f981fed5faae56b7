"""Push devices over a real server: ListDevices (pages, active and deactivated devices, no tokens,
isolation) and the cap on how many devices one user keeps (``notifications.max_devices_per_user``:
deactivated devices make room, else TOO_MANY_DEVICES, also under concurrent registrations)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import grpc
import psycopg
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from tests.support.server import RunningServer, running_server

CAP = 3


def _details(err: grpc.aio.AioRpcError) -> tuple[error_details_pb2.ErrorInfo, list[str], bool]:
    """(ErrorInfo, BadRequest field paths, whether a RetryInfo came)."""
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None
    info, fields, retry = error_details_pb2.ErrorInfo(), [], False
    for d in st.details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            d.Unpack(info)
        elif d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            d.Unpack(bad)
            fields += [v.field for v in bad.field_violations]
        elif d.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = True
    return info, fields, retry


async def _register(srv: RunningServer, user: str, token: str, display_name: str = "") -> pb.Device:
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    return await stub.RegisterDevice(
        pb.RegisterDeviceRequest(
            parent=f"users/{user}",
            device=pb.Device(platform=pb.DEVICE_PLATFORM_FCM, token=token, display_name=display_name),
        ),
        metadata=srv.auth(user),
        timeout=10,
    )


async def _list(srv: RunningServer, user: str, page_size: int = 0, as_user: str | None = None) -> list[pb.Device]:
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    out: list[pb.Device] = []
    token = ""
    while True:
        page = await stub.ListDevices(
            pb.ListDevicesRequest(parent=f"users/{user}", page_size=page_size, page_token=token),
            metadata=srv.auth(as_user or user),
            timeout=10,
        )
        out += page.devices
        token = page.next_page_token
        if not token:
            return out


async def _deactivate(db_dsn: str, device: pb.Device) -> None:
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await conn.execute(
            "UPDATE push_devices SET active = false, updated_at = now() WHERE id = %s",
            (int(device.name.rsplit("/", 1)[1]),),
        )


async def test_list_devices_pages_shows_deactivated_and_hides_tokens(db_dsn: str, data_dir: Path) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    async with running_server(db_dsn, data_dir, {"notifications": {"max_devices_per_user": 10}}) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        assert await _list(srv, alice) == []  # a user the service has not seen has none
        made = [await _register(srv, alice, f"fcm-token-{i}", display_name=f"phone {i}") for i in range(5)]
        await _register(srv, bob, "fcm-token-bob")
        await _deactivate(db_dsn, made[1])

        listed = await _list(srv, alice, page_size=2)  # three pages, oldest first
        assert [d.name for d in listed] == [d.name for d in made]
        assert [d.active for d in listed] == [True, False, True, True, True]
        assert [d.display_name for d in listed] == [f"phone {i}" for i in range(5)]
        assert all(d.token == "" and d.platform == pb.DEVICE_PLATFORM_FCM and d.create_time.seconds for d in listed)
        assert [d.name.startswith(f"users/{bob}/devices/") for d in await _list(srv, bob)] == [True]

        # another user's devices: NOT_FOUND, as for every other resource of theirs
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _list(srv, alice, as_user=bob)
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND
        # a page token is bound to its parent, and a negative page size names the field
        first = await stub.ListDevices(pb.ListDevicesRequest(parent=f"users/{alice}", page_size=1),
                                       metadata=srv.auth(alice), timeout=10)
        for request, field, reason in (
            (pb.ListDevicesRequest(parent=f"users/{alice}", page_size=-1), "page_size", "INVALID_PAGE_SIZE"),
            (pb.ListDevicesRequest(parent=f"users/{alice}", page_token="nonsense"), "page_token",
             "INVALID_PAGE_TOKEN"),
            (pb.ListDevicesRequest(parent=f"users/{bob}", page_token=first.next_page_token), "page_token",
             "INVALID_PAGE_TOKEN"),
            (pb.ListDevicesRequest(parent="users/not-a-uuid"), "parent", "INVALID_RESOURCE_NAME"),
        ):
            who = bob if request.parent == f"users/{bob}" else alice
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.ListDevices(request, metadata=srv.auth(who), timeout=10)
            info, fields = _details(ei.value)[:2]
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, request
            assert (info.reason, fields) == (reason, [field]), request

        # deleting a device removes it from the list
        await stub.DeleteDevice(pb.DeleteDeviceRequest(name=made[0].name), metadata=srv.auth(alice), timeout=10)
        assert [d.name for d in await _list(srv, alice)] == [d.name for d in made[1:]]


async def test_device_cap_makes_room_from_deactivated_devices_then_refuses(db_dsn: str, data_dir: Path) -> None:
    alice = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir, {"notifications": {"max_devices_per_user": CAP}}) as srv:
        made = [await _register(srv, alice, f"tok-{i}") for i in range(CAP)]
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _register(srv, alice, "tok-one-too-many")
        info, _, retry = _details(ei.value)
        assert ei.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert info.reason == "TOO_MANY_DEVICES" and info.metadata["limit"] == str(CAP)
        assert not retry  # waiting does not help: delete one first
        assert [d.name for d in await _list(srv, alice)] == [d.name for d in made]

        # re-registering a token the user has is no new device: allowed at the cap
        again = await _register(srv, alice, "tok-1", display_name="renamed")
        assert again.name == made[1].name and again.display_name == "renamed"

        # a deactivated device (the push service rejected its token) makes room for a new one
        await _deactivate(db_dsn, made[2])
        fresh = await _register(srv, alice, "tok-new")
        assert [d.name for d in await _list(srv, alice)] == [made[0].name, made[1].name, fresh.name]
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _register(srv, alice, "tok-newer")
        assert _details(ei.value)[0].reason == "TOO_MANY_DEVICES"


async def test_device_cap_holds_under_concurrent_registrations(db_dsn: str, data_dir: Path) -> None:
    alice = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir, {"notifications": {"max_devices_per_user": CAP}}) as srv:
        await _register(srv, alice, "tok-first")  # the user exists: only the cap decides below
        results = await asyncio.gather(
            *(_register(srv, alice, f"tok-race-{i}") for i in range(8)), return_exceptions=True
        )
        refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(results) - len(refused) == CAP - 1
        assert {r.code() for r in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
        assert len(await _list(srv, alice)) == CAP
