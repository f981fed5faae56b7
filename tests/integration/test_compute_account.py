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
    assert not acct.auto_topup.enabled  # nothing tops anything up without a wallet


async def test_users_may_not_read_the_compute_account(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        stub = pb_grpc.ComputeAccountServiceStub(srv.channel)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub.GetComputeAccount(
                pb.GetComputeAccountRequest(), metadata=srv.auth(str(uuid.uuid4())), timeout=5
            )
    assert ei.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_router_account_balance_and_breaker(db_dsn: str, data_dir: Path) -> None:
    from tests.standins.zerog_provider import ONE_0G, RouterStandIn
    from tests.support.secrets import ZEROG_API_KEY

    async with RouterStandIn(api_key=ZEROG_API_KEY, deposit_balance=7 * ONE_0G) as router:
        overrides = {"zerog": {"compute": {"mode": "router", "broker_endpoint": router.base_url,
                                            "api_key": ZEROG_API_KEY}}}
        async with running_server(db_dsn, data_dir, overrides) as srv:
            stub = pb_grpc.ComputeAccountServiceStub(srv.channel)
            acct = await stub.GetComputeAccount(
                pb.GetComputeAccountRequest(), metadata=srv.auth(service="ops"), timeout=10
            )
    assert acct.mode == pb.COMPUTE_MODE_ROUTER
    assert len(acct.providers) == 1
    assert acct.providers[0].breaker_state == pb.BREAKER_STATE_CLOSED
    # Account total (deposit + the router's other credit) at the top; the deposit on the provider entry.
    assert acct.balance == "8"
    assert acct.providers[0].balance == "7"
    assert acct.balance_error == ""
    assert not acct.auto_topup.enabled  # the router account is funded by its owner, not by this service
