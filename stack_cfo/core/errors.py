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

import copy
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")
_E = TypeVar("_E", bound="StackCfoError")

#: A batch reports the problems of at most this many of its items in one error.
MAX_REPORTED_ITEMS = 50


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field in a request. ``field`` is the proto field path (``positions[2].quantity``);
    ``reason``: its own reason (``BadRequest.FieldViolation.reason`` on the wire), when it has one
    other than its error's."""

    field: str
    description: str
    reason: str = ""


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

    def detached(self: _E) -> _E:
        """This error without its traceback and chained errors, for an error kept as a value (an item's
        problem, reported later with the others'): a caught exception's traceback holds the frame that
        caught it, whose locals hold the list or dict it is kept in, a reference cycle that takes the
        frames (and their requests) with it; only the cyclic collector frees that, and in a serving
        process (rare full collections) one refused request of many bad items kept ~2 KB an item."""
        self.__traceback__ = None
        self.__context__ = None
        self.__cause__ = None
        return self


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
        #: The message without what :meth:`combine` adds (how many more problems): a combined error
        #: combined again says its count once.
        self.headline = message
        md = dict(metadata or {})
        if self.violations and "field" not in md:
            md["field"] = self.violations[0].field
        super().__init__(message, reason=reason, metadata=md)

    @classmethod
    def field(cls, field: str, description: str, *, reason: str | None = None) -> InvalidArgument:
        """The common case: one field is wrong. The message names the field."""
        return cls(f"{field}: {description}", violations=[FieldViolation(field, description)], reason=reason)

    @classmethod
    def too_long(cls, field: str, max_chars: int) -> InvalidArgument:
        """A text longer than its field allows: TEXT_TOO_LONG, the limit in metadata ``max_chars``."""
        description = f"must be at most {max_chars} characters"
        return cls(f"{field}: {description}", violations=[FieldViolation(field, description)],
                   reason="TEXT_TOO_LONG", metadata={"field": field, "max_chars": max_chars})

    @classmethod
    def combine(cls, errors: Sequence[InvalidArgument], *, unchecked_from: str | None = None) -> InvalidArgument:
        """One error for the problems of several items of a batch: every field violation, in order,
        with the first error's reason and metadata (a client that reads one reason reads the first
        problem's) plus ``violation_count``. ``unchecked_from``: the first item not checked (else the
        first one a combined error among ``errors`` names).

        The message is the first problem's, then how many more field violations the details list
        (one per item with a problem: an item reports its first) and where the check stopped. An
        error already combined contributes its first problem's message only, so the count is said
        once and counts every violation (it counted the errors combined: a request's parts, each
        combining several items, said "1 more item" with four violations listed)."""
        for e in errors:
            e.detached()  # (kept in a list by their collector: see StackCfoError.detached)
        if len(errors) == 1 and unchecked_from is None:
            # a copy: raised, the list's own would hold its traceback's frame, which holds the list
            return copy.copy(errors[0])
        first = errors[0]
        # every item's violations keep their item's reason (an error of one problem: its reason is every
        # violation's; one already combined: only its first violation's is known)
        violations = [
            v if v.reason or (k and "violation_count" in e.metadata) else dataclasses.replace(v, reason=e.reason)
            for e in errors for k, v in enumerate(e.violations)
        ]
        if unchecked_from is None:
            unchecked_from = next((e.metadata["unchecked_from"] for e in errors if "unchecked_from" in e.metadata),
                                  None)
        notes = []
        # the first problem's message names one violation (a combined one's: its first)
        more = len(violations) - 1 if first.violations else len(violations)
        if more > 0:
            notes.append(f"{more} more item{'s' if more > 1 else ''} with problems")
        if unchecked_from is not None:
            notes.append(f"items from {unchecked_from} on not checked")
        metadata = {**first.metadata, "violation_count": str(len(violations))}
        if unchecked_from is not None:
            metadata["unchecked_from"] = unchecked_from
        headline = getattr(first, "headline", first.message)
        combined = cls(f"{headline} ({'; '.join(notes)}: see the field violations)" if notes else headline,
                       violations=violations, reason=first.reason, metadata=metadata)
        combined.headline = headline
        return combined


def each_checked(
    items: Iterable[_T],
    check: Callable[[_T, int], _R],
    *,
    prefix: str = "items",
    limit: int = MAX_REPORTED_ITEMS,
) -> list[_R]:
    """``check(item, index)`` for every item, in order. When items fail, the problems of all of them
    (of the first ``limit`` failing items) are raised as one :class:`InvalidArgument`
    (:meth:`InvalidArgument.combine`), so a client importing a batch learns every bad row at once
    rather than one per attempt. An item reports its first problem. ``prefix`` names the list in
    the message when it stops early (``transactions[120]``)."""
    out: list[_R] = []
    errors: list[InvalidArgument] = []
    for i, item in enumerate(items):
        if len(errors) >= limit:
            raise InvalidArgument.combine(errors, unchecked_from=f"{prefix}[{i}]")
        try:
            out.append(check(item, i))
        except InvalidArgument as exc:
            errors.append(exc.detached())
    if errors:
        raise InvalidArgument.combine(errors)
    return out


class NotFound(StackCfoError):
    default_reason = "NOT_FOUND"

    @classmethod
    def resource(cls, kind: str, name: str, *, reason: str | None = None, detail: str = "") -> NotFound:
        """The one shape of "no such resource": the same message and metadata whether it is missing
        or someone else's (existence does not leak). ``detail`` is appended to the message."""
        return cls(
            f"{kind} {name!r} not found{detail}",
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
