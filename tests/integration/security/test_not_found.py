"""Someone else's resource answers word for word like a missing one of the caller's own: the same
code, message, ErrorInfo reason and metadata (resource_type, resource_name), so existence does not
leak and a client handles one shape of NOT_FOUND (common.proto)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import message as pb_message

from stack_cfo._proto.stack.cfo.v1 import (
    chat_pb2,
    chat_pb2_grpc,
    portfolio_pb2,
    portfolio_pb2_grpc,
    receipt_pb2,
    receipt_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
    user_data_pb2,
    user_data_pb2_grpc,
)
from tests.integration.portfolio.support import error_details, new_user
from tests.support.server import running_server

Call = Callable[..., Awaitable[Any]]


async def _not_found(call: Call, request: pb_message.Message, md: list[tuple[str, str]]) -> tuple[Any, ...]:
    try:
        await call(request, metadata=md, timeout=10)
    except grpc.aio.AioRpcError as err:
        info, _ = error_details(err)
        return err.code(), err.details(), info.reason, dict(info.metadata)
    raise AssertionError(f"{type(request).__name__} succeeded")


async def test_another_users_resource_answers_like_a_missing_one(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        owner, other = new_user(), new_user()
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        session = await chat.CreateSession(chat_pb2.CreateSessionRequest(
            parent=f"users/{owner}", session=chat_pb2.Session(title="mine")), metadata=srv.auth(owner))
        missing_session = f"users/{owner}/sessions/{uuid.uuid4()}"
        ledger = portfolio_pb2_grpc.PortfolioSummaryServiceStub(srv.channel)
        scheduler = scheduler_pb2_grpc.SchedulerServiceStub(srv.channel)
        user_data = user_data_pb2_grpc.UserDataServiceStub(srv.channel)
        receipts = receipt_pb2_grpc.ReceiptServiceStub(srv.channel)
        transaction = f"users/{owner}/portfolio/transactions/{uuid.uuid4()}"
        receipt = f"users/{owner}/receipts/{uuid.uuid4()}"
        cases: list[tuple[str, Call, pb_message.Message, pb_message.Message]] = [
            ("archived session", user_data.GetArchivedSession,
             user_data_pb2.GetArchivedSessionRequest(session=missing_session),
             user_data_pb2.GetArchivedSessionRequest(session=session.name)),
            ("device", scheduler.DeleteDevice, scheduler_pb2.DeleteDeviceRequest(name=f"users/{owner}/devices/7"),
             scheduler_pb2.DeleteDeviceRequest(name=f"users/{owner}/devices/7")),
            ("webhook endpoint", scheduler.GetWebhookEndpoint,
             scheduler_pb2.GetWebhookEndpointRequest(name=f"users/{owner}/webhookEndpoints/7"),
             scheduler_pb2.GetWebhookEndpointRequest(name=f"users/{owner}/webhookEndpoints/7")),
            ("transaction", ledger.GetTransaction, portfolio_pb2.GetTransactionRequest(name=transaction),
             portfolio_pb2.GetTransactionRequest(name=transaction)),
            ("transactions of no portfolio", ledger.ListTransactions,
             portfolio_pb2.ListTransactionsRequest(parent=f"users/{owner}/portfolio"),
             portfolio_pb2.ListTransactionsRequest(parent=f"users/{owner}/portfolio")),
            ("receipt", receipts.GetReceipt, receipt_pb2.GetReceiptRequest(name=receipt),
             receipt_pb2.GetReceiptRequest(name=receipt)),
        ]
        for label, call, own_missing, foreign in cases:
            mine = await _not_found(call, own_missing, srv.auth(owner))
            theirs = await _not_found(call, foreign, srv.auth(other))
            if label == "archived session":  # another name (the session exists): compare the shape
                assert mine[0] == theirs[0] and mine[2] == theirs[2] == "SESSION_NOT_FOUND", (mine, theirs)
                assert theirs[3] == {"resource_type": "session", "resource_name": session.name}
                assert theirs[1] == f"session {session.name!r} not found"
                continue
            assert mine == theirs, (label, mine, theirs)
            code, _, _, metadata = theirs
            assert code == grpc.StatusCode.NOT_FOUND and set(metadata) == {"resource_type", "resource_name"}, label


