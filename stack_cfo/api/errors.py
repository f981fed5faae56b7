"""Domain errors -> gRPC status with ``google.rpc.Status`` details, in one place.

Every error carries an ``ErrorInfo`` (reason, domain ``stack-cfo``, metadata with every
dynamic value); bad input adds ``BadRequest`` field violations, each with its own reason where
known (an error combining several items' problems keeps only the first one's in ``ErrorInfo``,
:func:`violation_reason`); retryable ones add
``RetryInfo`` (``retry_after``, or ``retry_after_seconds`` in an unavailable error's metadata).
Anything unexpected becomes INTERNAL with a generic message: its text never reaches the client;
the traceback is logged with the trace id.

Whatever a caller sent can come back in a message or a metadata value (a resource name, a bad
value): each is cut to :data:`MAX_ECHO_CHARS` UTF-8 bytes (the message to :data:`MAX_MESSAGE_CHARS`) so a
1 MB name cannot make the trailers unreadable (HTTP/2 header limits are 8-16 KiB by default), and the whole status
stays within :data:`MAX_STATUS_BYTES` (fifty violations each echoing 256 bytes would not: see :func:`_bad_request`).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry import trace

from stack_cfo.core import errors as e
from stack_cfo.telemetry.logging import RepeatLimiter

log = logging.getLogger("stack_cfo.api")
_FAILURES = RepeatLimiter(every=10.0)
_now = time.monotonic

DOMAIN = "stack-cfo"
MAX_ECHO_CHARS = 256
MAX_MESSAGE_CHARS = 512
#: What a violation echoes when its error's violations at :data:`MAX_ECHO_CHARS` would pass :data:`MAX_STATUS_BYTES`,
#: then, if they still would, at the last of these.
SHORT_ECHO_CHARS = 64
SHORTEST_ECHO_CHARS = 32
#: The trailers of an error at most this many bytes as sent: ``grpc-status-details-bin`` (the ``google.rpc.Status``,
#: base64-encoded), ``grpc-message`` (percent-encoded) and the rest of the headers under gRPC's default 8 KiB
#: metadata limit, which grpc-java (Android) counts on the base64 text. Past it clients drop the status:
#: RESOURCE_EXHAUSTED "received metadata size exceeds soft limit" (C-core at random from 8 KiB, always from 16 KiB).
TRAILER_BYTES = 7680
#: The ``google.rpc.Status`` at most this many bytes, whatever room its message leaves.
MAX_STATUS_BYTES = 5632


#: ``BadRequest.FieldViolation.reason`` exists (googleapis-common-protos 1.66 and later).
_VIOLATION_REASONS = "reason" in error_details_pb2.BadRequest.FieldViolation.DESCRIPTOR.fields_by_name


def clip(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes, marked with an ellipsis and the original length in characters.
    Bytes, not characters: ``grpc-message`` percent-encodes every byte of a character (an emoji is 12 bytes on the
    wire), so 512 characters of emoji made a 6 KB message and, with the details, trailers over gRPC's 8 KiB limit,
    which clients then dropped with the status."""
    if len(text) <= limit // 4 or len(text.encode("utf-8", "surrogatepass")) <= limit:
        return text
    suffix = f"...({len(text)} chars)"
    room = max(0, limit - len(suffix))
    cut = text.encode("utf-8", "surrogatepass")[:room].decode("utf-8", "ignore")  # whole characters only
    return cut + suffix

_CODES: list[tuple[type[e.StackCfoError], grpc.StatusCode]] = [
    (e.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (e.NotFound, grpc.StatusCode.NOT_FOUND),
    (e.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (e.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (e.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (e.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (e.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (e.Aborted, grpc.StatusCode.ABORTED),
    (e.Unimplemented, grpc.StatusCode.UNIMPLEMENTED),
    (e.DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
    (e.DataLoss, grpc.StatusCode.DATA_LOSS),
    (e.Unavailable, grpc.StatusCode.UNAVAILABLE),
]


def grpc_code(exc: e.StackCfoError) -> grpc.StatusCode:
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code
    return grpc.StatusCode.INTERNAL


def _pack(msg: object) -> any_pb2.Any:
    a = any_pb2.Any()
    a.Pack(msg)  # type: ignore[arg-type]
    return a


def to_status(exc: e.StackCfoError) -> status_pb2.Status:
    code = grpc_code(exc)
    st = status_pb2.Status(code=code.value[0], message=clip(exc.message, MAX_MESSAGE_CHARS))
    metadata = {clip(k, 64): clip(v) for k, v in exc.metadata.items()}
    info = error_details_pb2.ErrorInfo(reason=exc.reason, domain=DOMAIN, metadata=metadata)
    st.details.append(_pack(info))
    if isinstance(exc, e.InvalidArgument) and exc.violations:
        # (the room left, less the BadRequest's Any wrapper and a "violations_listed" entry)
        room = min(MAX_STATUS_BYTES, (TRAILER_BYTES - _message_wire_bytes(st.message)) * 3 // 4)
        bad_request, listed = _bad_request(exc, room - st.ByteSize() - 128)
        if listed < len(exc.violations):
            info.metadata["violations_listed"] = str(listed)
            st.details[0].Pack(info)
        st.details.append(_pack(bad_request))
    retry_after = _retry_after(exc)
    if retry_after is not None:
        d = duration_pb2.Duration()
        d.FromTimedelta(retry_after)
        st.details.append(_pack(error_details_pb2.RetryInfo(retry_delay=d)))
    return st


def _message_wire_bytes(message: str) -> int:
    """The size of ``grpc-message`` as sent: every byte outside printable ASCII, and "%", percent-encoded."""
    raw = message.encode("utf-8", "surrogatepass")
    return len(raw) + 2 * sum(1 for b in raw if b < 0x20 or b > 0x7E or b == 0x25)


def _bad_request(exc: e.InvalidArgument, budget: int) -> tuple[error_details_pb2.BadRequest, int]:
    """The error's field violations within ``budget`` bytes, and how many it lists: every one, each text cut to
    :data:`MAX_ECHO_CHARS`; when those pass the budget (50 items each echoing a long value made 15 KB of details,
    over gRPC's 16 KiB hard limit for trailers: the client saw RESOURCE_EXHAUSTED, not the error; from 8 KiB some
    clients dropped it at random), every one cut to :data:`SHORT_ECHO_CHARS`; and if even those do not fit, the
    first ones that do (``violations_listed`` in ``ErrorInfo.metadata``; ``violation_count`` counts them all)."""
    for limit in (MAX_ECHO_CHARS, SHORT_ECHO_CHARS, SHORTEST_ECHO_CHARS):
        violations = [
            error_details_pb2.BadRequest.FieldViolation(
                field=clip(v.field, max(limit, SHORT_ECHO_CHARS * 2)), description=clip(v.description, limit),
                **({"reason": violation_reason(exc, k)} if _VIOLATION_REASONS else {}),
            )
            for k, v in enumerate(exc.violations)
        ]
        sizes = [v.ByteSize() + 4 for v in violations]  # + the field's tag and length
        if sum(sizes) <= budget:
            return error_details_pb2.BadRequest(field_violations=violations), len(violations)
    listed, used = 0, 0
    for size in sizes:
        if used + size > budget and listed:
            break
        used += size
        listed += 1
    return error_details_pb2.BadRequest(field_violations=violations[:listed]), listed


def violation_reason(exc: e.InvalidArgument, k: int) -> str:
    """The reason of ``exc``'s ``k``-th violation (``BadRequest.FieldViolation.reason``): its own when
    it carries one; else the error's, which is every violation's in an error of one problem and the
    first one's in an error combining several items (``violation_count``); else none known ("")."""
    own = getattr(exc.violations[k], "reason", "")
    if own:
        return str(own)
    return exc.reason if k == 0 or "violation_count" not in exc.metadata else ""


def _retry_after(exc: e.StackCfoError) -> timedelta | None:
    """When the client should try again: a spent budget's ``retry_after``, or an unavailable
    dependency's (or a draining server's) ``retry_after_seconds``."""
    if isinstance(exc, e.ResourceExhausted):
        return exc.retry_after
    seconds = exc.metadata.get("retry_after_seconds") if isinstance(exc, e.Unavailable) else None
    try:
        return timedelta(seconds=float(seconds)) if seconds else None
    except ValueError:
        return None


def internal_status(trace_id: str) -> status_pb2.Status:
    st = status_pb2.Status(code=code_pb2.INTERNAL, message="internal error")
    md = {"trace_id": trace_id} if trace_id else {}
    st.details.append(_pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=DOMAIN, metadata=md)))
    return st


def current_trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""


def mark_span(code: grpc.StatusCode, message: str) -> None:
    """Record the outcome on the current (server) span as soon as the call is aborted."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code is not grpc.StatusCode.OK:
        span.set_status(trace.Status(trace.StatusCode.ERROR, f"{code.name}: {message}"))


def domain_error_for(exc: BaseException, method: str) -> e.StackCfoError | None:
    """The domain error to report for ``exc``, or None if it is unexpected (-> INTERNAL)."""
    if isinstance(exc, e.StackCfoError):
        return exc
    if isinstance(exc, NotImplementedError):
        return e.Unimplemented(
            f"{method} is not implemented yet",
            reason="NOT_IMPLEMENTED_YET",
            metadata={"method": method},
        )
    return None


def error_status(exc: BaseException, method: str) -> grpc.Status:
    """The status to end the RPC with for ``exc`` (an unexpected one is logged and INTERNAL), with
    the outcome marked on the current span."""
    mapped = domain_error_for(exc, method)
    if mapped is None:
        tid = current_trace_id()
        log.error("unhandled error in %s", method, exc_info=exc, extra={"grpc_method": method})
        mark_span(grpc.StatusCode.INTERNAL, "internal error")
        return rpc_status.to_status(internal_status(tid))
    code = grpc_code(mapped)
    mark_span(code, mapped.reason)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        # One line per method and reason every 10 s, with how many were held back: an outage under
        # load fails every call, and grpc_server_handled_total counts each of them anyway.
        held = _FAILURES.allow((method, mapped.reason), _now())
        if held is not None:
            extra = {"grpc_method": method, **mapped.metadata, **({"repeated": held} if held else {})}
            log.warning("%s failed: %s", method, mapped.reason, extra=extra)
    return rpc_status.to_status(to_status(mapped))


def fail_with(context: grpc.aio.ServicerContext, exc: BaseException, method: str) -> None:
    """Set the status for ``exc`` on the call, which ends with it when the handler returns.

    Not ``context.abort``: grpc keeps the ``AbortError`` it raises on the call's state, and the
    error's traceback holds the handler's frames, which hold the call's state: a reference cycle
    that keeps the request (up to 8 MiB) alive until a full garbage collection, which a serving
    process runs rarely (``tune_gc``). Refused large requests piled up by gigabytes."""
    status = error_status(exc, method)
    context.set_code(status.code)
    context.set_details(status.details)
    context.set_trailing_metadata(status.trailing_metadata)
