"""How a configuration key is declared, and the value types keys share.

A key is a field of a :class:`Section` with its one-line description as the attribute
docstring below it, declared with :func:`setting` when it has an environment variable::

    batch_size: int = setting(50, env="SCHEDULER_BATCH_SIZE", ge=1, le=10_000)
    \"\"\"Outbox rows one worker claim takes.\"\"\"

The value types below parse what YAML and the environment give (``"30s"``, ``"a, b"``,
``"0x..."``) and raise ``ValueError`` with a one-line reason that never contains a secret.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, cast

from eth_utils import is_hex_address, to_checksum_address
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializationInfo,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticKnownError, PydanticUndefined
from pydantic_core.core_schema import ErrorType

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.durations import parse_seconds
from stack_cfo.secret import Secret


class Section(BaseModel):
    """A block of ``config.yaml``: frozen, unknown keys ignored, aliases and field names both accepted."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        """A YAML ``true`` where a number goes is a mistake, not 1 (``max_concurrent_rpcs: true`` capped
        the server at one call): handed on as the text it was, which the number's check refuses,
        naming the key."""
        if not isinstance(data, dict):
            return data
        out = None
        for name, info in cls.model_fields.items():
            if info.annotation not in (int, float):
                continue
            for key in (name, info.alias):
                if key is not None and isinstance(data.get(key), bool):
                    out = dict(data) if out is None else out
                    out[key] = str(data[key]).lower()
        return data if out is None else out


class StrictSection(Section):
    """A block whose unknown keys are errors (the tuning blocks that always rejected typos)."""

    model_config = ConfigDict(extra="forbid")


class FieldError(ValueError):
    """Raised by a model validator to blame ``key`` (relative to the model) rather than the whole block."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


def setting(
    default: Any = PydanticUndefined,
    *,
    env: str | tuple[str, ...] = (),
    fallback_env: str = "",
    alias: str | None = None,
    default_factory: Any = None,
    **constraints: Any,
) -> Any:
    """A key with its environment variable(s).

    ``env`` names win over the file; ``fallback_env`` is read only when neither the primary
    variable nor the file sets the key (``GOOGLE_APPLICATION_CREDENTIALS``). A secret key also
    reads ``<NAME>_FILE`` (a mounted file). ``alias`` is the key's spelling in YAML when it
    differs from the attribute name.
    """
    extra: dict[str, Any] = {}
    names = (env,) if isinstance(env, str) else env
    if names:
        extra["env"] = list(names)
    if fallback_env:
        extra["fallback_env"] = fallback_env
    if default_factory is not None:
        return Field(default_factory=default_factory, alias=alias, json_schema_extra=extra or None, **constraints)
    return Field(default, alias=alias, json_schema_extra=extra or None, **constraints)


def set_derived(model: BaseModel, **values: Any) -> None:
    """Fill a default that depends on other keys from an ``after`` validator of a frozen model."""
    for name, value in values.items():
        object.__setattr__(model, name, value)


# --------------------------------------------------------------------------- value parsers


def _timedelta(value: Any) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=parse_seconds(value))


_BOUND_ERRORS: frozenset[ErrorType] = frozenset({"greater_than_equal", "greater_than", "less_than_equal", "less_than"})


def _bound_error_on_given_value(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A duration's bound (``ge=timedelta(...)``) is checked on the parsed ``timedelta``, so its error
    carried that rather than what was written, and the message could not repeat it ("must be >= 100ms"
    for ``99ms``): the error is raised again here, outside the parsing, on the value as given."""
    try:
        return handler(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if len(errors) != 1 or errors[0]["type"] not in _BOUND_ERRORS or errors[0]["loc"]:
            raise
        raise PydanticKnownError(cast("ErrorType", errors[0]["type"]), errors[0].get("ctx")) from None


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else parse_seconds(value)


def split_list(value: Any) -> Any:
    """A comma/space separated string (the environment's form) or a YAML list."""
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part]
    return value


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"must be host:port, got {value!r}")
    return value


def _listen_or_off(value: Any) -> str:
    text = str(value).strip()
    return "" if text.lower() in ("", "off", "none") else _host_port(text)


def _http_url(value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+", text):
        raise ValueError(f"must be an http(s) URL, got {text!r}")
    return text


def _eth_address(value: Any) -> str:
    text = str(value).strip()
    if not is_hex_address(text):
        raise ValueError(f"must be a 0x-prefixed 20-byte address, got {text!r}")
    return str(to_checksum_address(text))


def _cron(value: Any) -> CronSchedule:
    if isinstance(value, CronSchedule):
        return value
    try:
        return CronSchedule.parse(str(value))
    except InvalidArgument as exc:
        raise ValueError(exc.violations[0].description if exc.violations else exc.message) from None


def _dump_cron(value: CronSchedule, info: SerializationInfo) -> Any:
    return str(value) if info.mode_is_json() else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def wallet_key(secret: Secret | None) -> Secret | None:
    """A wallet private key: 32 bytes of hex, optional ``0x``; surrounding blanks dropped."""
    if secret is None:
        return None
    text = secret.get().strip()
    if not re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", text):
        raise ValueError("must be 32 bytes of hex (64 hex digits, optional 0x)")
    return Secret(text)


Duration = Annotated[timedelta, BeforeValidator(_timedelta), WrapValidator(_bound_error_on_given_value)]
"""A ``timedelta`` from seconds or Go-style text (``30s``, ``1m30s``, ``250ms``, ``14d``)."""
IN_SECONDS = "stack_cfo.config: a float of seconds"
"""Marks :data:`Seconds` fields so the docs and ``config show`` write them as durations."""
Seconds = Annotated[float, BeforeValidator(_seconds), IN_SECONDS]
"""Float seconds from the same inputs as :data:`Duration` (for consumers that want a float)."""
PositiveSeconds = Annotated[Seconds, Field(gt=0)]
HostPort = Annotated[str, BeforeValidator(lambda v: str(v).strip()), AfterValidator(_host_port)]
ListenOrOff = Annotated[str, BeforeValidator(_listen_or_off)]
"""``host:port``, or ``off``/``none`` for disabled (read as ``""``)."""
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
"""An ``http(s)://`` URL without the trailing slash."""
EthAddress = Annotated[str, BeforeValidator(_eth_address)]
"""A 20-byte hex address, checksummed."""
Cron = Annotated[
    CronSchedule,
    PlainValidator(_cron),
    PlainSerializer(_dump_cron),
    WithJsonSchema({"type": "string", "format": "cron"}),
]
"""A 5-field cron expression, or 6 fields with seconds first."""
Lower = BeforeValidator(_lower)
"""Case-insensitive choices: the value is stripped and lower-cased before it is checked."""
