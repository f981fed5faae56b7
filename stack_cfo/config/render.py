"""Writing key values back as an operator types them: ``30s`` not ``timedelta(seconds=30)``,
cron text, ``***`` for a set secret. Shared by the docs generator and ``config show``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from stack_cfo.config.tree import Key
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.durations import format_seconds
from stack_cfo.secret import REDACTED, Secret


def plain(key: Key, value: Any) -> Any:
    """``value`` as YAML scalars, lists and mappings (secrets redacted)."""
    if isinstance(value, Secret):
        return REDACTED if value else ""
    if isinstance(value, timedelta):
        return format_seconds(value.total_seconds())
    if key.duration and isinstance(value, int | float) and not isinstance(value, bool):
        return format_seconds(float(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, CronSchedule | Path | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple | list):
        return [plain(key, v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(key, v) for k, v in value.items()}
    return value


def yaml_text(value: Any) -> str:
    """A one-line YAML value: quoted strings, ``[a, b]`` lists, ``{k: v}`` mappings, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(yaml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_text(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def shown(key: Key, value: Any) -> str:
    """The value for a human: bare text, ``-`` when unset."""
    value = plain(key, value)
    if value is None or value == "":
        return "-"
    return value if isinstance(value, str) else yaml_text(value)
