"""Request validation helpers shared by servicers: decimals, page sizes, opaque page tokens,
timestamps, dates and durations. Every failure is INVALID_ARGUMENT naming the field.

Ranges every request shares (documented in common.proto and docs/api.md): decimal strings
have at most 30 integer and 18 fractional digits (each field's own, smaller bound is the
domain's); dates and timestamps lie in years 1900-2199 (:data:`MIN_YEAR`, :data:`MAX_YEAR`),
so date arithmetic on them (history windows, day counts) stays small and in range; durations
are valid ``google.protobuf.Duration`` values (|seconds| <= 315,576,000,000, nanos of the
same sign), which each field may clamp further.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from stack_cfo.core.decimals import DECIMAL_STRING, MAX_FRACTION_DIGITS, WIDE
from stack_cfo.core.errors import FieldViolation, InvalidArgument

MIN_YEAR = 1900
MAX_YEAR = 2199
_MIN_INSTANT = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
_MAX_INSTANT = datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC)
_MAX_DURATION_SECONDS = 315_576_000_000  # google.protobuf.Duration's own bound (10,000 years)


def invalid(field: str, description: str, *, reason: str = "INVALID_ARGUMENT", **metadata: object) -> InvalidArgument:
    return InvalidArgument(
        f"{field}: {description}",
        violations=[FieldViolation(field, description)],
        reason=reason,
        metadata={"field": field, **metadata},
    )


def require(value: object, field: str) -> None:
    if value in (None, "", b"") or (isinstance(value, list | tuple) and not value):
        raise invalid(field, "is required", reason="MISSING_FIELD")


def parse_decimal(
    value: str,
    field: str,
    *,
    required: bool = True,
    allow_negative: bool = False,
    allow_zero: bool = True,
    below: Decimal | None = None,
) -> Decimal | None:
    """A decimal string of ASCII digits (``-?[0-9]+(\\.[0-9]+)?``, at most 30 integer and 18 fractional
    digits) -> Decimal; with ``below``, its absolute value must be less than that (OUT_OF_RANGE)."""
    if value == "":
        if required:
            raise invalid(field, "is required", reason="MISSING_FIELD")
        return None
    if not DECIMAL_STRING.fullmatch(value):
        raise invalid(field, _not_decimal(value), reason="INVALID_DECIMAL", value=value[:40])
    try:
        d = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex already rules this out
        raise invalid(field, "is not a decimal", reason="INVALID_DECIMAL") from None
    if d < 0 and not allow_negative:
        raise invalid(field, "must not be negative", reason="NEGATIVE_VALUE", value=value)
    if d == 0 and not allow_zero:
        raise invalid(field, "must be greater than zero", reason="ZERO_VALUE", value=value)
    if below is not None and d.copy_abs() >= below:  # abs() would round to 28 digits first
        raise invalid(field, f"must be less than {format_decimal(below)} in absolute value", reason="OUT_OF_RANGE",
                      value=value[:40], limit=format_decimal(below))
    return d


_PLAIN_DECIMAL = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")
_EXPONENT_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+")


def _not_decimal(value: str) -> str:
    """Why ``value`` is refused: too many digits for a well-formed decimal, exponent notation, or not
    a decimal string at all (a tester read "'1000...000' is not a decimal string" as a parse error)."""
    shown = f"{value[:40]!r}{'...' if len(value) > 40 else ''}"
    plain = _PLAIN_DECIMAL.fullmatch(value)
    if plain is not None:
        whole, fraction = plain[1], plain[2] or ""
        if len(whole) > 30:
            return f"{shown} has {len(whole)} digits before the decimal point; at most 30 are accepted"
        return f"{shown} has {len(fraction)} decimal places; at most {MAX_FRACTION_DIGITS} are accepted"
    if _EXPONENT_DECIMAL.fullmatch(value):
        return f'{shown} is in exponent notation; write it as a plain decimal string like "123.45"'
    return f'{shown} is not a decimal string like "123.45"'


#: Doubles a request may carry (percentages, ratios, weights): finite and at most this large.
MAX_DOUBLE = 1e12


def bounded_double(value: float, field: str, *, limit: float = MAX_DOUBLE) -> float:
    """A finite double with ``|value| <= limit`` (NaN and infinities cannot be stored or compared)."""
    if not math.isfinite(value) or abs(value) > limit:
        raise invalid(field, f"must be a finite number no larger than {limit:g} in absolute value",
                      reason="OUT_OF_RANGE", value=repr(value))
    return value


def format_decimal(value: Decimal | None, places: int | None = None) -> str:
    """Decimal -> wire string (plain notation, never exponent)."""
    if value is None:
        return ""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), context=WIDE)
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def page_size(value: int, *, default: int = 50, maximum: int = 500, field: str = "page_size") -> int:
    """AIP-158: 0 -> default; above maximum -> coerced down; negative -> INVALID_ARGUMENT."""
    if value < 0:
        raise invalid(field, "must not be negative", reason="INVALID_PAGE_SIZE", value=value)
    if value == 0:
        return default
    return min(value, maximum)


class PageTokens:
    """Opaque, tamper-proof page tokens: base64url(JSON payload) + '.' + HMAC-SHA256 tag.

    The tag binds the token to the list call (method and filter) so a token from one listing
    cannot be replayed against another. The key is shared by replicas (derived from config).
    """

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _tag(self, body: bytes, scope: str) -> str:
        mac = hmac.new(self._key, scope.encode() + b"\x00" + body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def encode(self, payload: dict[str, Any], *, scope: str) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":"), default=str).encode())
        return body.decode().rstrip("=") + "." + self._tag(body.rstrip(b"="), scope)

    def decode(self, token: str, *, scope: str, field: str = "page_token") -> dict[str, Any] | None:
        if not token:
            return None
        body, _, tag = token.partition(".")
        if not body or not tag or not hmac.compare_digest(tag, self._tag(body.encode(), scope)):
            raise invalid(field, "is not a page token issued for this request", reason="INVALID_PAGE_TOKEN")
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            raise invalid(field, "is malformed", reason="INVALID_PAGE_TOKEN") from None
        if not isinstance(payload, dict):
            raise invalid(field, "is malformed", reason="INVALID_PAGE_TOKEN")
        return payload


    def decode_after_id(self, token: str, *, scope: str, field: str = "page_token") -> int:
        """The row id a page token issued by :meth:`encode_after_id` continues after (0: first page)."""
        after = (self.decode(token, scope=scope, field=field) or {}).get("i", 0)
        if type(after) is not int:
            raise invalid(field, "is malformed", reason="INVALID_PAGE_TOKEN")
        return after

    def encode_after_id(self, after: int | None, *, scope: str) -> str:
        """The token of the page after row id ``after``; empty on the last page (``None``)."""
        return self.encode({"i": after}, scope=scope) if after is not None else ""


def to_timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def set_timestamp(target: Any, value: datetime | None) -> None:
    """Copy ``value`` into the Timestamp field ``target``; leave it unset for None."""
    if value is not None:
        target.FromDatetime(value.astimezone(UTC))


def from_timestamp(
    ts: Timestamp, field: str, *, required: bool = False, present: bool | None = None
) -> datetime | None:
    """``ts`` as an aware UTC datetime; ``None`` when the field is unset (MISSING_FIELD when ``required``).

    ``present`` says whether the field is set (``msg.HasField(name)``, or the oneof's ``WhichOneof``): a
    present Timestamp of zero is the epoch, 1970-01-01T00:00:00Z, judged on its value like any other
    instant. Without it (a caller that cannot know), a zero Timestamp counts as unset.
    """
    if present is None:
        present = ts.seconds != 0 or ts.nanos != 0
    if not present:
        if required:
            raise invalid(field, "is required", reason="MISSING_FIELD")
        return None
    try:
        value = ts.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise invalid(field, "is not a valid timestamp", reason="INVALID_TIMESTAMP") from None
    if not _MIN_INSTANT <= value < _MAX_INSTANT:
        raise invalid(field, f"must lie in the years {MIN_YEAR} to {MAX_YEAR}", reason="OUT_OF_RANGE",
                      value=value.isoformat())
    return value


def from_duration(d: Duration, field: str, *, maximum: timedelta | None = None) -> timedelta:
    """A valid, non-negative ``google.protobuf.Duration`` -> timedelta, clamped to ``maximum``."""
    valid_nanos = -999_999_999 <= d.nanos <= 999_999_999 and not (d.seconds > 0 > d.nanos or d.seconds < 0 < d.nanos)
    if not valid_nanos or abs(d.seconds) > _MAX_DURATION_SECONDS:
        raise invalid(field, "is not a valid duration", reason="INVALID_DURATION",
                      seconds=d.seconds, nanos=d.nanos)
    if d.seconds < 0 or d.nanos < 0:
        raise invalid(field, "must not be negative", reason="INVALID_DURATION")
    value = timedelta(seconds=d.seconds, microseconds=d.nanos // 1000)
    return min(value, maximum) if maximum is not None else value


def from_date(d: Any, field: str, *, required: bool = False) -> date | None:
    """``stack.cfo.v1.Date`` -> ``datetime.date`` (all-zero = unset)."""
    if d.year == 0 and d.month == 0 and d.day == 0:
        if required:
            raise invalid(field, "is required", reason="MISSING_FIELD")
        return None
    if not MIN_YEAR <= d.year <= MAX_YEAR:  # before the calendar check: year 10000 is out of range, not "invalid"
        raise invalid(field, f"must lie in the years {MIN_YEAR} to {MAX_YEAR}", reason="OUT_OF_RANGE",
                      value=f"{d.year:04d}-{d.month:02d}-{d.day:02d}")
    try:
        value = date(d.year, d.month, d.day)
    except ValueError:
        raise invalid(
            field, f"{d.year:04d}-{d.month:02d}-{d.day:02d} is not a calendar date", reason="INVALID_DATE",
            value=f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
        ) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise invalid(field, f"must lie in the years {MIN_YEAR} to {MAX_YEAR}", reason="OUT_OF_RANGE",
                      value=value.isoformat())
    return value


def fill_date(target: Any, value: date | None) -> None:
    if value is not None:
        target.year, target.month, target.day = value.year, value.month, value.day
