"""Durations in configuration: a number of seconds or Go-style text (``30s``, ``1m30s``, ``250ms``, ``2h``),
plus days (``14d``, ``1d12h``; a day is 24 h), the unit the retention settings are written in.

:func:`parse_seconds` reads them; :func:`format_seconds` writes them back (in hours, never days).
"""

from __future__ import annotations

import math
import re
from typing import Any

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_EXAMPLES = "30s, 1m30s, 250ms or 14d"
#: The longest duration any setting takes (infinity or 1e20 s overflowed deep in the start-up).
MAX_SECONDS = 100 * 365.25 * 86400


def parse_seconds(value: Any) -> float:
    """Seconds (>= 0) from ``value``; ValueError with a one-line reason otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"must be a duration such as {_EXAMPLES}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            pos, seconds = 0, 0.0
            for m in _PART.finditer(text):
                if m.start() != pos:
                    break
                seconds += float(m.group(1)) * _UNITS[m.group(2)]
                pos = m.end()
            if not text or pos != len(text):
                raise ValueError(f"must be a duration such as {_EXAMPLES}, got {value!r}") from None
    if seconds < 0:
        raise ValueError(f"must not be negative, got {value!r}")
    if math.isnan(seconds):
        raise ValueError(f"must be a duration such as {_EXAMPLES}, got {value!r}")
    if seconds > MAX_SECONDS:  # infinity too
        raise ValueError(f"must be at most 100 years ({MAX_SECONDS:g} s), got {value!r}")
    return seconds


def format_seconds(seconds: float) -> str:
    """Go-style text for ``seconds`` that :func:`parse_seconds` reads back: ``96h``, ``1m30s``, ``250ms``."""
    if seconds == 0:
        return "0s"
    whole, rest = divmod(round(seconds * 1000), 1000)
    if whole == 0:
        return f"{rest}ms"
    hours, left = divmod(whole, 3600)
    minutes, secs = divmod(left, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    if secs or rest:
        text += f"{secs}.{rest:03d}".rstrip("0").rstrip(".") + "s"
    return text
