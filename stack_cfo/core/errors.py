"""The one domain exception tree.

Every layer raises these; ``store`` maps psycopg errors into them, ``zerog`` maps HTTP
and chain errors into them, and ``api`` maps them to gRPC status in one place
(:mod:`stack_cfo.api.errors`)::

    StackCfoError                 reason, message, metadata (every dynamic value)
    ├── InvalidArgument           bad input; carries field violations   -> INVALID_ARGUMENT
    ├── NotFound                  unknown (or not yours) resource       -> NOT_FOUND
    ├── AlreadyExists             unique key taken                      -> ALREADY_EXISTS
    ├── FailedPrecondition        state forbids it (archived session)   -> FAILED_PRECONDITION
    ├── ResourceExhausted         budget/quota spent; retry_after       -> RESOURCE_EXHAUSTED
    ├── Unauthenticated           missing/invalid credentials           -> UNAUTHENTICATED
    ├── PermissionDenied          principal may not do this             -> PERMISSION_DENIED
    ├── Aborted                   concurrency conflict, retry the txn   -> ABORTED
    ├── Unimplemented             capability not landed yet             -> UNIMPLEMENTED
    ├── DeadlineExceeded          caller's deadline ran out             -> DEADLINE_EXCEEDED
    ├── DataLoss                  stored bytes corrupted / unverifiable -> DATA_LOSS
    └── Unavailable               dependency down, retryable            -> UNAVAILABLE

Reasons are UPPER_SNAKE_CASE (<= 63 chars) and stable: clients switch on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field in a request. ``field`` is the proto field path (``positions[2].quantity``)."""

    field: str
    description: str


class StackCfoError(Exception):
    """Root of every error the service raises on purpose."""

    default_reason = "ERROR"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = {k: str(v) for k, v in (metadata or {}).items()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


class InvalidArgument(StackCfoError):
    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        *,
        violations: Iterable[FieldViolation] = (),
        reason: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        self.violations = list(violations)
        md = dict(metadata or {})
        if self.violations and "field" not in md:
            md["field"] = self.violations[0].field
        super().__init__(message, reason=reason, metadata=md)

    @classmethod
    def field(cls, field: str, description: str, *, reason: str | None = None) -> InvalidArgument:
        """The common case: one field is wrong. The message names the field."""
        return cls(f"{field}: {description}", violations=[FieldViolation(field, description)], reason=reason)


class NotFound(StackCfoError):
    default_reason = "NOT_FOUND"

    @classmethod
    def resource(cls, kind: str, name: str, *, reason: str | None = None) -> NotFound:
        return cls(
            f"{kind} {name!r} not found",
            reason=reason or f"{kind.upper().replace(' ', '_')}_NOT_FOUND",
            metadata={"resource_type": kind, "resource_name": name},
        )


class AlreadyExists(StackCfoError):
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(StackCfoError):
    default_reason = "FAILED_PRECONDITION"


class ResourceExhausted(StackCfoError):
    default_reason = "RESOURCE_EXHAUSTED"

    def __init__(
        self,
        message: str,
        *,
        retry_after: timedelta | None = None,
        reason: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        self.retry_after = retry_after
        md = dict(metadata or {})
        if retry_after is not None:
            md.setdefault("retry_after_seconds", f"{retry_after.total_seconds():.0f}")
        super().__init__(message, reason=reason, metadata=md)


class Unauthenticated(StackCfoError):
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(StackCfoError):
    default_reason = "PERMISSION_DENIED"


class Aborted(StackCfoError):
    default_reason = "ABORTED"


class Unimplemented(StackCfoError):
    default_reason = "NOT_IMPLEMENTED_YET"


class DeadlineExceeded(StackCfoError):
    default_reason = "DEADLINE_EXCEEDED"


class DataLoss(StackCfoError):
    """Stored data failed its integrity check (hash, root or authentication tag)."""

    default_reason = "DATA_LOSS"


class Unavailable(StackCfoError):
    """A dependency (database, AI provider, chain RPC) cannot be reached. Safe to retry."""

    default_reason = "UNAVAILABLE"
