"""Plain JSON encodings of the context's values (the ``chat_sessions.context`` column).

Writers return ``None`` for a missing value; readers are tolerant: anything unreadable, NaN or
infinite reads as ``None``, so a stored context of any age parses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


def ts(v: datetime | None) -> str | None:
    return v.astimezone(UTC).isoformat() if v is not None else None


def parse_ts(v: Any) -> datetime | None:
    if not v:
        return None
    try:
        d = datetime.fromisoformat(str(v))
    except ValueError:
        return None
    return d if d.tzinfo is not None else d.replace(tzinfo=UTC)


def dec(v: Decimal | None) -> str | None:
    return format(v, "f") if v is not None else None


def parse_dec(v: Any) -> Decimal | None:
    if v is None or v == "":
        return None
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def num(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def parse_num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def day(v: date | None) -> str | None:
    return v.isoformat() if v is not None else None


def parse_day(v: Any) -> date | None:
    if not v:
        return None
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        return None


def mapping(v: Any) -> Mapping[str, Any]:
    """``v`` if it is a JSON object, else an empty one."""
    return v if isinstance(v, Mapping) else {}


def objects(v: Any) -> list[Mapping[str, Any]]:
    """The JSON objects in the list ``v`` (anything else is skipped)."""
    return [x for x in v if isinstance(x, Mapping)] if isinstance(v, list | tuple) else []
