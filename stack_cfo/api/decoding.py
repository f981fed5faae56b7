"""Request bodies that do not decode.

grpc.aio calls the handler's request deserializer before any interceptor code runs; when it
raises, the call ends as UNKNOWN "Unexpected <class 'google.protobuf.message.DecodeError'>...",
naming a Python class. Every handler we serve gets a deserializer that never raises: a body that
does not decode becomes :data:`UNDECODABLE`, and the handler's behaviour answers
INVALID_ARGUMENT ``MALFORMED_REQUEST`` with a fixed message naming only the protobuf message
type (as grpc-go and grpc-java refuse such a body, but with a code that says whose fault it is).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from grpc_status import rpc_status

from stack_cfo.api.errors import to_status
from stack_cfo.core.errors import FieldViolation, InvalidArgument


class _Undecodable:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDECODABLE"


UNDECODABLE: Any = _Undecodable()


def undecodable(request: Any) -> bool:
    """Whether ``request`` is what :func:`safe_deserializer` gives for a body that did not decode."""
    return isinstance(request, _Undecodable)


def message_name(deserializer: Any) -> str:
    """The protobuf full name behind a generated ``FromString`` (``"request"`` if unknown)."""
    owner = getattr(deserializer, "__self__", None)
    descriptor = getattr(owner, "DESCRIPTOR", None)
    return str(getattr(descriptor, "full_name", "request"))


def passthrough_serializer(serialize: Callable[[Any], bytes] | None) -> Callable[[Any], bytes] | None:
    """``serialize``, except that bytes go out unchanged: a servicer that sends one message to many
    streams (a watch update) serializes it once and yields the bytes to every stream."""
    if serialize is None:
        return None

    def encode(message: Any) -> bytes:
        if type(message) is bytes:
            return message
        return serialize(message)

    return encode


class BadText(_Undecodable):
    """A request body that did not decode because strings in it are not UTF-8 (protobuf refuses the whole message):
    ``fields`` are their paths (``positions[0].symbol``), found by walking the wire bytes (:func:`invalid_utf8_fields`).
    """

    __slots__ = ("fields",)

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields


class TextWithNul:
    """A request that decoded but has strings holding U+0000, which no text column can store
    (PostgreSQL refuses it): ``fields`` are their paths (``articles[0].title``)."""

    __slots__ = ("fields",)

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields


MAX_NUL_FIELDS = 50

MAX_NUL_WALK = 300_000
"""Messages :func:`nul_fields` looks into, at most. More than any request within its documented limits
holds (the largest, an import: 5,000 snapshots and their dates, 200,000 positions, 10,000 cash flows and
their times, 230,000), so a request that has more is refused by its handler for its counts
(TOO_MANY_CASH_FLOWS...) before any of its items is read, and is not walked: 3,500,000 empty cash flows (7
MB, a zero byte each) took 2 s of the event loop to walk before the handler ran. A request whose handler
reads no such field (an output-only one) is not affected either: it stores nothing of it."""


class _WalkTooLong(Exception):
    """The walk passed :data:`MAX_NUL_WALK` messages."""


def nul_fields(message: Message, prefix: str = "", out: list[str] | None = None) -> list[str] | None:
    """Paths of the string fields of ``message`` (nested, repeated and map values included) that
    contain U+0000, at most :data:`MAX_NUL_FIELDS`; None when ``message`` holds more than
    :data:`MAX_NUL_WALK` messages (it is not looked at further)."""
    found: list[str] = [] if out is None else out
    try:
        _walk(message, prefix, found, [MAX_NUL_WALK])
    except _WalkTooLong:
        return None
    return found[:MAX_NUL_FIELDS]


def _walk(message: Message, prefix: str, found: list[str], budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise _WalkTooLong
    for fd, value in message.ListFields():
        if len(found) >= MAX_NUL_FIELDS:
            break
        path = f"{prefix}{fd.name}"
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            for k, v in value.items():
                if "\x00" in str(k) or (value_fd.type == value_fd.TYPE_STRING and "\x00" in v):
                    found.append(f"{path}[{k!r}]")
                elif value_fd.message_type is not None:
                    _walk(v, f"{path}[{k!r}].", found, budget)
        elif fd.type == fd.TYPE_STRING:
            if fd.is_repeated:
                if "\x00" in "".join(value):  # (millions of strings: joined in C, looked at one by one if needed)
                    found.extend(f"{path}[{i}]" for i, v in enumerate(value) if "\x00" in v)
            elif "\x00" in value:
                found.append(path)
        elif fd.message_type is not None:
            if fd.is_repeated:
                if len(value) > budget[0]:
                    raise _WalkTooLong  # (counted before any is walked)
                for i, v in enumerate(value):
                    _walk(v, f"{path}[{i}].", found, budget)
            else:
                _walk(value, f"{path}.", found, budget)


_F = TypeVar("_F", bound=Callable[..., Any])


def refuses_nul_per_field(method: _F) -> _F:
    """Marks an RPC whose servicer refuses a string holding U+0000 itself, as INVALID_TEXT on that field
    among the request's other problems (a batch's rows), rather than the whole request being refused for
    it before the servicer runs (:func:`safe_deserializer`; it hid every other row's problems)."""
    method.refuses_nul_per_field = True  # type: ignore[attr-defined]
    return method


def refuses_nul_itself(method: Callable[..., Any]) -> bool:
    """Whether ``method`` (a servicer's, maybe bound) is marked :func:`refuses_nul_per_field`."""
    return bool(getattr(method, "refuses_nul_per_field", False))


def safe_deserializer(
    deserialize: Callable[[bytes], Any] | None, *, refuse_nul: bool = False
) -> Callable[[bytes], Any] | None:
    """``deserialize`` that never raises (:data:`UNDECODABLE`); with ``refuse_nul``, a request
    whose strings hold U+0000 becomes :class:`TextWithNul` (a body without a zero byte has
    none, so the walk over its fields happens only for bodies that have one)."""
    if deserialize is None:
        return None

    descriptor = getattr(getattr(deserialize, "__self__", None), "DESCRIPTOR", None)

    def decode(data: bytes) -> Any:
        try:
            message = deserialize(data)
        except Exception:
            bad = invalid_utf8_fields(descriptor, data) if descriptor is not None else []
            return BadText(bad) if bad else UNDECODABLE
        if refuse_nul and b"\x00" in data:
            fields = nul_fields(message)  # (None: too many items to walk, and refused for their count)
            if fields:
                return TextWithNul(fields)
        return message

    return decode


MAX_WIRE_FIELDS = 200_000
"""Fields :func:`invalid_utf8_fields` reads, at most (a body of many tiny fields is not walked further)."""


class _Wire(Exception):
    """The bytes are no well-formed protobuf encoding (or the walk is too long): stop."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise _Wire
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def invalid_utf8_fields(descriptor: Any, data: bytes) -> list[str]:
    """Paths of the string fields whose bytes are not UTF-8 in the encoded ``descriptor`` message ``data`` (nested and
    repeated ones: ``positions[2].symbol``), at most :data:`MAX_NUL_FIELDS`; what was found before the bytes stop
    being a well-formed encoding."""
    found: list[str] = []
    try:
        _wire_walk(descriptor, memoryview(data), "", found, [MAX_WIRE_FIELDS])
    except _Wire:
        pass
    return found[:MAX_NUL_FIELDS]


def _wire_walk(descriptor: Any, data: memoryview, prefix: str, found: list[str], budget: list[int]) -> None:
    seen: dict[int, int] = {}
    pos, end = 0, len(data)
    while pos < end and len(found) < MAX_NUL_FIELDS:
        budget[0] -= 1
        if budget[0] < 0:
            raise _Wire
        tag, pos = _varint(data, pos)  # type: ignore[arg-type]
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _, pos = _varint(data, pos)  # type: ignore[arg-type]
            continue
        if wire in (1, 5):
            pos += 8 if wire == 1 else 4
            continue
        if wire != 2:
            raise _Wire  # groups (proto2 only) and unknown wire types: not walked
        size, pos = _varint(data, pos)  # type: ignore[arg-type]
        if pos + size > end:
            raise _Wire
        payload, pos = data[pos : pos + size], pos + size
        fd = descriptor.fields_by_number.get(number)
        if fd is None:
            continue
        k = seen.get(number, 0)
        seen[number] = k + 1
        path = f"{prefix}{fd.name}[{k}]" if fd.is_repeated else f"{prefix}{fd.name}"
        if fd.type == fd.TYPE_STRING:
            try:
                bytes(payload).decode("utf-8")
            except UnicodeDecodeError:
                found.append(path)
        elif fd.type == fd.TYPE_MESSAGE:
            _wire_walk(fd.message_type, payload, f"{path}.", found, budget)


def _per_field(fields: list[str], problem: str, reason: str, headline: str, **metadata: str) -> InvalidArgument:
    """INVALID_ARGUMENT ``reason`` with one violation per field of ``fields`` (``problem``); the message is
    ``headline`` and how many more fields, the ErrorInfo names the first and counts them."""
    more = len(fields) - 1
    message = headline + (f" (and {more} more field{'s' if more > 1 else ''})" if more else "")
    md = {**metadata, "field": fields[0], **({"violation_count": str(len(fields))} if more else {})}
    return InvalidArgument(message, violations=[FieldViolation(f, problem) for f in fields], reason=reason,
                           metadata=md)


def bad_text_error(bad: BadText, type_name: str) -> InvalidArgument:
    """INVALID_ARGUMENT ``MALFORMED_REQUEST`` (the body does not decode: common.proto), naming every field whose bytes
    are not UTF-8, one violation each."""
    problem = "is not valid UTF-8 text"
    return _per_field(bad.fields, problem, "MALFORMED_REQUEST",
                      f"the request body is not a valid {type_name} message: {bad.fields[0]} {problem}",
                      message_type=type_name)


def decode_error(request: Any, type_name: str) -> InvalidArgument:
    """The error for an :func:`undecodable` request: its strings that are not UTF-8 named when that is why."""
    return bad_text_error(request, type_name) if type(request) is BadText else malformed(type_name)


def nul_error(bad: TextWithNul) -> InvalidArgument:
    """INVALID_ARGUMENT ``INVALID_TEXT`` naming every field that holds U+0000 (one violation each;
    the ErrorInfo names the first and counts them)."""
    problem = "must not contain the NUL character (U+0000)"
    return _per_field(bad.fields, problem, "INVALID_TEXT", f"{bad.fields[0]}: {problem}")


def malformed(type_name: str) -> InvalidArgument:
    return InvalidArgument(
        f"the request body is not a valid {type_name} message",
        reason="MALFORMED_REQUEST",
        metadata={"message_type": type_name},
    )


async def abort_malformed(context: grpc.aio.ServicerContext, type_name: str, request: Any) -> None:
    await context.abort_with_status(rpc_status.to_status(to_status(decode_error(request, type_name))))


def guard(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """``handler`` (health, reflection: no other wrapping) with the never-raising deserializer."""
    type_name = message_name(handler.request_deserializer)
    decode = safe_deserializer(handler.request_deserializer)
    if handler.request_streaming and handler.response_streaming:
        inner_ss = handler.stream_stream

        async def stream_stream(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
            async def checked() -> AsyncIterator[Any]:
                async for r in requests:
                    if undecodable(r):
                        await abort_malformed(context, type_name, r)
                    yield r

            async for response in inner_ss(checked(), context):
                yield response

        return grpc.stream_stream_rpc_method_handler(
            stream_stream, request_deserializer=decode, response_serializer=handler.response_serializer
        )
    if handler.request_streaming:
        return handler  # no client-streaming RPC is served
    if handler.response_streaming:
        inner_us = handler.unary_stream

        async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if undecodable(request):
                await abort_malformed(context, type_name, request)
            result = inner_us(request, context)
            if hasattr(result, "__aiter__"):
                async for response in result:
                    yield response
            else:
                await result

        return grpc.unary_stream_rpc_method_handler(
            unary_stream, request_deserializer=decode, response_serializer=handler.response_serializer
        )
    inner_uu = handler.unary_unary

    async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        if undecodable(request):
            await abort_malformed(context, type_name, request)
        return await inner_uu(request, context)

    return grpc.unary_unary_rpc_method_handler(
        unary_unary, request_deserializer=decode, response_serializer=handler.response_serializer
    )
