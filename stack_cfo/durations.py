"""Durations in configuration: a number of seconds or Go-style text (``30s``, ``1m30s``, ``250ms``, ``2h``)."""

from __future__ import annotations

import re
from typing import Any

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_seconds(value: Any) -> float:
    """Seconds (>= 0) from ``value``; ValueError with a one-line reason otherwise."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 30s, 1m30s or 250ms")
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
                raise ValueError(f"must be a duration such as 30s, 1m30s or 250ms, got {value!r}") from None
    if seconds < 0:
        raise ValueError(f"must not be negative, got {value!r}")
    return seconds
