"""ComputeAccountService over a real server: offline mode, service-principal only."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import compute_account_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import compute_account_pb2_grpc as pb_grpc
from tests.support.server import running_server


async def test_offline_account_for_a_service_principal(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        stub = pb_grpc.ComputeAccountServiceStub(srv.channel)
        acct = await stub.GetComputeAccount(pb.GetComputeAccountRequest(), metadata=srv.auth(service="ops"), timeout=5)
    assert acct.mode == pb.COMPUTE_MODE_OFFLINE
    assert list(acct.providers) == []
    assert acct.wallet_address == ""
    assert acct.read_time.seconds > 0


async def test_users_may_not_read_the_compute_account(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        stub = pb_grpc.ComputeAccountServiceStub(srv.channel)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub.GetComputeAccount(
                pb.GetComputeAccountRequest(), metadata=srv.auth(str(uuid.uuid4())), timeout=5
            )
    assert ei.value.code() == grpc.StatusCode.PERMISSION_DENIED
