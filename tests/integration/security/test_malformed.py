"""Bodies that do not decode, on every RPC of every service we serve (health and reflection
included), and values echoed back in errors."""

from __future__ import annotations

import random
import re
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.integration.portfolio.support import error_details, new_user
from tests.support.contract import contract_rpcs
from tests.support.server import RunningServer, running_server

#: (method path, request streaming, response streaming)
PUBLIC = [
    ("/grpc.health.v1.Health/Check", False, False),
    ("/grpc.health.v1.Health/Watch", False, True),
    ("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", True, True),
]
PYTHON_LEAK = re.compile(r"<class|Error'|Exception|Traceback|protobuf\.message|\.py\b")


def contract_methods() -> list[tuple[str, bool, bool]]:
    return [(r.path, r.client_streaming, r.server_streaming) for r in contract_rpcs()]


def bodies(seed: int) -> list[bytes]:
    """Bytes that no protobuf message accepts, plus random bytes (some of which may decode)."""
    rng = random.Random(seed)
    crafted = [
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",  # a varint that never ends
        b"\x0a\x05ab",  # a length-delimited field cut short
        b"\x0a\x02\xc3\x28",  # invalid UTF-8 in field 1 (refused where field 1 is a string)
        b"\x07",  # wire type 7 does not exist
    ]
    return crafted + [rng.randbytes(rng.randint(1, 64)) for _ in range(6)]


async def _call(srv: RunningServer, method: str, req_stream: bool, resp_stream: bool, body: bytes,
                md: list[tuple[str, str]]) -> grpc.aio.AioRpcError | None:
    ch = srv.channel
    try:
        if req_stream:
            call = ch.stream_stream(method)(iter([body]), metadata=md, timeout=5)
            async for _ in call:
                break
            call.cancel()
        elif resp_stream:
            call = ch.unary_stream(method)(body, metadata=md, timeout=5)
            async for _ in call:
                break
            call.cancel()
        else:
            await ch.unary_unary(method)(body, metadata=md, timeout=5)
    except grpc.aio.AioRpcError as err:
        return err
    return None


async def test_every_rpc_answers_an_undecodable_body_without_naming_python(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        user = new_user()
        methods = [*contract_methods(), *PUBLIC]
        assert len(methods) == 47 + len(PUBLIC)
        seen_malformed = set()
        for method, req_stream, resp_stream in methods:
            for i, body in enumerate(bodies(hash(method) & 0xFFFF)):
                for md in (srv.auth(user), srv.auth(service="ops"), []):
                    err = await _call(srv, method, req_stream, resp_stream, body, md)
                    if err is None:
                        continue
                    where = f"{method} body #{i} {body!r}"
                    assert err.code() not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL), \
                        f"{where}: {err.code()} {err.details()}"
                    assert not PYTHON_LEAK.search(err.details() or ""), f"{where}: {err.details()}"
                    if i in (0, 1, 3):  # no message decodes these
                        info, _ = error_details(err)
                        assert info.reason == "MALFORMED_REQUEST"
                        expected = f"the request body is not a valid {info.metadata['message_type']} message"
                        assert err.details() == expected
                        seen_malformed.add(method)
        # Every method refused the crafted bodies as MALFORMED_REQUEST (before authentication).
        assert seen_malformed == {m for m, _, _ in methods}


async def test_a_malformed_body_is_refused_before_authentication(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        err = await _call(srv, "/stack.cfo.v1.ChatService/GetSession", False, False, b"\xff" * 11, [])
        assert err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, _ = error_details(err)
        assert info.reason == "MALFORMED_REQUEST"
        assert info.metadata["message_type"] == "stack.cfo.v1.GetSessionRequest"


@pytest.mark.parametrize("size", [10_000, 1_000_000])
async def test_huge_values_are_clipped_in_errors(db_dsn: str, data_dir: Path, size: int) -> None:
    """A 1 MB resource name comes back cut to 256 characters in metadata (and the message is
    short), so the trailers stay readable."""
    async with running_server(db_dsn, data_dir, {"server": {"max_message_bytes": 4 * 1024 * 1024}}) as srv:
        user = new_user()
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        huge = f"users/{user}/sessions/" + "x" * size
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.GetSession(chat_pb2.GetSessionRequest(name=huge), metadata=srv.auth(user), timeout=10)
        err = ei.value
        assert err.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
        info, violations = error_details(err)
        assert len(err.details() or "") <= 512
        assert all(len(v) <= 256 for v in info.metadata.values())
        assert all(len(f) <= 256 and len(d) <= 256 for f, d in violations)
        assert re.search(r"\.\.\.\(\d+ chars\)$", err.details() or "")  # clipped, saying how long it was


async def test_text_that_is_not_utf8_is_refused_naming_its_field(db_dsn: str, data_dir: Path) -> None:
    """protobuf refuses a whole body for a string that is not UTF-8: it was MALFORMED_REQUEST naming no field (a
    contract tester; house rule: bad input names its field). The fields are found in the wire bytes."""
    from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2

    async with running_server(db_dsn, data_dir) as srv:
        user = new_user()
        request = portfolio_pb2.SyncPortfolioRequest(
            portfolio=f"users/{user}/portfolio",
            positions=[portfolio_pb2.Holding(symbol="AAAA", quantity="1"),
                       portfolio_pb2.Holding(symbol="BBBB", quantity="2", sector="SSSS")])
        body = request.SerializeToString().replace(b"BBBB", b"\xc3\x28\xff\xfe").replace(b"SSSS", b"\xed\xa0\x80Z")
        err = await _call(srv, "/stack.cfo.v1.PortfolioSummaryService/SyncPortfolio", False, False, body,
                          srv.auth(user))
        assert err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(err)
        assert info.reason == "MALFORMED_REQUEST" and info.metadata["field"] == "positions[1].symbol"
        assert info.metadata["message_type"] == "stack.cfo.v1.SyncPortfolioRequest"
        assert [f for f, _ in violations] == ["positions[1].symbol", "positions[1].sector"]
        assert not PYTHON_LEAK.search(err.details() or "")
