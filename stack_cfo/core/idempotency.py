"""AIP-155 request ids: a retried mutation returns the first response instead of acting twice.

The domain names a request (:class:`Idempotency`) and validates its id; an adapter that owns
the storage (:class:`IdempotencyStore`, PostgreSQL in production) runs the work once per
(method, principal, request id) and replays the stored response afterwards. A request id
reused with a different request is INVALID_ARGUMENT (REQUEST_ID_REUSED).
"""

from __future__ import annotations

import uuid
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


def validate_request_id(request_id: str, field: str = "request_id") -> None:
    """An empty id means "not idempotent"; anything else must be a UUID."""
    if not request_id:
        return
    try:
        uuid.UUID(request_id)
    except ValueError:
        raise InvalidArgument(
            f"{field}: must be a UUID",
            violations=[FieldViolation(field, "must be a UUID (AIP-155)")],
            reason="INVALID_REQUEST_ID",
            metadata={"field": field},
        ) from None


def idempotency_key(method: str, principal: str, request_id: str, fingerprint: bytes) -> Idempotency | None:
    """The key of a request, or None when the caller sent no request id (validated first)."""
    validate_request_id(request_id)
    return Idempotency(method, principal, request_id, fingerprint) if request_id else None


class IdempotencyStore(Protocol):
    """Runs work once per request id and keeps its serialized response."""

    async def run(self, key: Idempotency | None, work: Callable[[], Awaitable[bytes]]) -> bytes:
        """``work()``'s bytes the first time; the stored bytes for a retry of the same request.
        Without a key the work simply runs."""
        ...
