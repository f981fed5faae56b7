"""What an error echoes is bounded in bytes on the wire: 512 characters of emoji in a message made a 6 KB
``grpc-message`` (every UTF-8 byte percent-encoded) and, with the details, trailers over gRPC's 8 KiB limit, which the
client dropped with the status (RESOURCE_EXHAUSTED "received metadata size exceeds soft limit", no ErrorInfo; a
security tester: docs/security.md "a 1 MB resource name cannot make the trailers unreadable"); nor can fifty
violations each echoing a long value (docs/api.md "Errors"). And an address that
does not resolve is said so without a Python class name."""

from __future__ import annotations

import base64
import socket
import urllib.parse

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from stack_cfo.api.errors import (
    MAX_ECHO_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_STATUS_BYTES,
    SHORT_ECHO_CHARS,
    TRAILER_BYTES,
    clip,
    fail_with,
    to_status,
)
from stack_cfo.core.errors import FieldViolation, InvalidArgument, NotFound, each_checked
from stack_cfo.core.notifications.webhooks import AddressBlocked, checked_addresses


def _wire_size(text: str) -> int:
    return len(urllib.parse.quote(text.encode("utf-8"), safe=" "))  # grpc-message's percent-encoding, at worst


@pytest.mark.parametrize("char", ["x", "é", "中", "😀"])
def test_a_long_echo_is_cut_in_bytes(char: str) -> None:
    name = "users/u/sessions/" + char * 5000
    exc = InvalidArgument(f"name: {name!r} is not a valid resource name", reason="INVALID_RESOURCE_NAME",
                          violations=[FieldViolation("name", f"expected users/{{user}}, not {name!r}")],
                          metadata={"field": "name", "value": name})
    st = to_status(exc)
    assert len(st.message.encode()) <= MAX_MESSAGE_CHARS and st.message.endswith("chars)")
    assert _wire_size(st.message) + len(st.SerializeToString()) * 4 // 3 < 4096  # far below 8 KiB
    missing = to_status(NotFound.resource("session", name))
    assert len(missing.SerializeToString()) < 2048


def test_clip_keeps_whole_characters_and_short_texts() -> None:
    assert clip("short") == "short"
    cut = clip("😀" * 300)
    assert len(cut.encode()) <= MAX_ECHO_CHARS and cut.startswith("😀") and "\ufffd" not in cut
    assert clip("a" * 256) == "a" * 256


async def test_an_address_that_does_not_resolve_names_no_exception_class() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(AddressBlocked) as ei:
        await checked_addresses("localhost.", 443, allow_private=False, resolve=resolve)
    assert str(ei.value) == "localhost. does not resolve"



def _many(description: str, items: int = 60) -> InvalidArgument:
    """The error of a batch whose every item is refused with ``description`` (50 listed: MAX_REPORTED_ITEMS)."""
    errors = [InvalidArgument.field(f"prices[{i}].symbol", description) for i in range(items)]

    def refuse(_: int, i: int) -> None:
        raise errors[i]

    with pytest.raises(InvalidArgument) as ei:
        each_checked(range(items), refuse, prefix="prices")
    return ei.value


def _bad_request(st: status_pb2.Status) -> error_details_pb2.BadRequest:
    out = error_details_pb2.BadRequest()
    assert st.details[1].Unpack(out)
    return out


def _error_info(st: status_pb2.Status) -> error_details_pb2.ErrorInfo:
    out = error_details_pb2.ErrorInfo()
    assert st.details[0].Unpack(out)
    return out


def test_fifty_ordinary_violations_are_listed_whole() -> None:
    exc = _many("must be 1-32 characters: letters, digits and . - ^ = _ /")
    st = to_status(exc)
    violations = _bad_request(st).field_violations
    assert [v.field for v in violations] == [f"prices[{i}].symbol" for i in range(50)]
    assert all(v.description == "must be 1-32 characters: letters, digits and . - ^ = _ /" for v in violations)
    assert "violations_listed" not in _error_info(st).metadata


@pytest.mark.parametrize("value", ["x" * 180, "😀" * 300, "é" * 2000])
def test_fifty_long_echoes_fit_the_status_budget(value: str) -> None:
    """50 items each echoing a long value made a 10-15 KB status: over gRPC's limits for trailers."""
    exc = _many(f"{value!r} is not a valid symbol")
    st = to_status(exc)
    assert len(st.SerializeToString()) <= MAX_STATUS_BYTES
    # as sent: the status base64-encoded (grpc-java counts that against its 8 KiB), the message percent-encoded
    assert _wire_size(st.message) + len(base64.b64encode(st.SerializeToString())) <= TRAILER_BYTES
    info = _error_info(st)
    assert info.metadata["violation_count"] == "50"
    violations = _bad_request(st).field_violations
    listed = int(info.metadata.get("violations_listed", "50"))
    assert len(violations) == listed >= 40  # cut to 64 bytes, fifty nearly fit
    assert [v.field for v in violations] == [f"prices[{i}].symbol" for i in range(listed)]  # the first ones, in order
    assert all(len(v.description.encode()) <= SHORT_ECHO_CHARS for v in violations)


def test_violations_that_do_not_fit_even_short_are_cut_to_the_first_ones() -> None:
    violations = [FieldViolation(f"rows[{i}]." + "f" * 120, "x" * 300) for i in range(200)]
    exc = InvalidArgument("rows[0]: bad", violations=violations, metadata={"violation_count": "200"})
    st = to_status(exc)
    assert len(st.SerializeToString()) <= MAX_STATUS_BYTES
    listed = _bad_request(st).field_violations
    assert 0 < len(listed) < 200 and _error_info(st).metadata["violations_listed"] == str(len(listed))
    assert listed[0].field.startswith("rows[0].") and listed[-1].field.startswith(f"rows[{len(listed) - 1}].")


@pytest.mark.parametrize("value", ["x" * 180, "😀" * 300])
async def test_a_client_reads_the_error_of_fifty_long_echoes(value: str) -> None:
    """Through a real gRPC server and client: every call ends INVALID_ARGUMENT with its details (they got
    RESOURCE_EXHAUSTED "received metadata size exceeds hard limit", or at random past the soft limit)."""
    exc = _many(f"{value!r} is not a valid symbol")

    async def handler(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        fail_with(context, exc, "/test.Errors/Fail")
        return b""

    server = grpc.aio.server()
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "test.Errors", {"Fail": grpc.unary_unary_rpc_method_handler(handler)})])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary("/test.Errors/Fail")
            for _ in range(10):
                with pytest.raises(grpc.aio.AioRpcError) as ei:
                    await call(b"")
                assert ei.value.code() is grpc.StatusCode.INVALID_ARGUMENT, ei.value.details()
                status = rpc_status.from_call(ei.value)
                assert status is not None and len(_bad_request(status).field_violations) >= 40
    finally:
        await server.stop(0)


def test_a_long_message_leaves_the_violations_less_room() -> None:
    """The status's room is what the trailers' 7.5 KiB leave after the message as sent: 512 bytes of emoji in the
    message (1.5 KB percent-encoded) leave less than an ASCII one."""
    exc = _many("must be a positive decimal number with at most 8 decimal places, e.g. 187.25")
    exc.message = "😀" * 200
    st = to_status(exc)
    assert _wire_size(st.message) + len(base64.b64encode(st.SerializeToString())) <= TRAILER_BYTES
