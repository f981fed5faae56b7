"""Request metadata up to 16 KiB is read and above it refused, every time (docs/api.md). grpc's
default soft limit (8 KiB) refused a growing share of calls between 8 and 16 KiB at random."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.integration.portfolio.support import new_user
from tests.support.server import running_server


async def test_metadata_below_16_kib_is_always_read_and_above_it_always_refused(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        user = new_user()
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        request = chat_pb2.ListSessionsRequest(parent=f"users/{user}")
        for size in (9_000, 12_000, 15_000):
            md = [*srv.auth(user), ("x-pad", "p" * size)]
            for _ in range(15):
                await chat.ListSessions(request, metadata=md, timeout=10)
        md = [*srv.auth(user), ("x-pad", "p" * 17_000)]
        for _ in range(3):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await chat.ListSessions(request, metadata=md, timeout=10)
            assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "hard limit" in (err.value.details() or "")
