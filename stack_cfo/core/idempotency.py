"""AIP-155 request ids: a retried mutation returns the first response instead of acting twice.

The domain names a request (:class:`Idempotency`) and validates its id; an adapter that owns
the storage (:class:`IdempotencyStore`, PostgreSQL in production) runs the work once per
(method, principal, request id) and replays the stored response afterwards. A request id
reused with a different request is INVALID_ARGUMENT (REQUEST_ID_REUSED).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from stack_cfo.core.errors import FieldViolation, InvalidArgument


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A request id (AIP-155) and a fingerprint of the request it was first used with."""

    method: str
    principal: str
    request_id: str
    fingerprint: bytes


#: A UUID in its 36-character text form (8-4-4-4-12 hex digits, either case).
_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def validate_request_id(request_id: str, field: str = "request_id") -> str:
    """The request id in its one canonical form (lower case): an empty id means "not
    idempotent"; anything else must be a UUID written as 8-4-4-4-12 hex digits. Other spellings
    of a UUID (braces, ``urn:uuid:``, no hyphens) are refused rather than read, and case is
    folded, so one id never counts as two requests (two paid AI calls)."""
    if not request_id:
        return ""
    if _UUID_TEXT.fullmatch(request_id) is None:
        raise InvalidArgument(
            f"{field}: must be a UUID (8-4-4-4-12 hex digits)",
            violations=[FieldViolation(field, "must be a UUID written as 8-4-4-4-12 hex digits (AIP-155)")],
            reason="INVALID_REQUEST_ID",
            metadata={"field": field},
        )
    return request_id.lower()


def idempotency_key(method: str, principal: str, request_id: str, fingerprint: bytes) -> Idempotency | None:
    """The key of a request, or None when the caller sent no request id (validated first)."""
    rid = validate_request_id(request_id)
    return Idempotency(method, principal, rid, fingerprint) if rid else None


class _Request(Protocol):
    request_id: str

    def SerializeToString(self, *, deterministic: bool = ...) -> bytes: ...  # protobuf's name


def request_key(method: str, principal: str, request: _Request) -> Idempotency | None:
    """The key of a protobuf request with a ``request_id`` field: its id in canonical form and
    the request's bytes, with that canonical id, as its fingerprint (so a retry spelling the id in
    another case is the same request)."""
    rid = validate_request_id(request.request_id)
    if not rid:
        return None
    if rid != request.request_id:
        canonical = type(request)()
        canonical.CopyFrom(request)  # type: ignore[attr-defined]
        canonical.request_id = rid
        request = canonical
    return Idempotency(method, principal, rid, request.SerializeToString(deterministic=True))


class IdempotencyStore(Protocol):
    """Runs work once per request id and keeps its serialized response."""

    async def run(self, key: Idempotency | None, work: Callable[[], Awaitable[bytes]]) -> bytes:
        """``work()``'s bytes the first time; the stored bytes for a retry of the same request.
        Without a key the work simply runs."""
        ...
