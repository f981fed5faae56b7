"""A configuration error names one key and says what is wrong with it, in one line.

The key is the environment variable and the dotted key (``SCHEDULER_BATCH_SIZE
(scheduler.batch_size)``) when the value came from the environment, else the dotted key as
the file spells it (:func:`stack_cfo.config.sources.label`). The problem never contains the
value of a secret key.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class ConfigError(Exception):
    """A configuration value is missing or invalid; ``key`` names it (dotted path or env name)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class InvalidConfig(ConfigError):
    """The values read do not validate: the first problem (``key``, ``problem``), every problem
    (``errors``), and what was read, so ``config show`` can still print it."""

    def __init__(
        self,
        errors: Sequence[ConfigError],
        *,
        invalid: frozenset[str],
        read: Mapping[str, Any],
        sources: Mapping[str, str],
        unknown: tuple[str, ...],
    ) -> None:
        super().__init__(errors[0].key, errors[0].problem)
        self.errors = tuple(errors)
        self.invalid = invalid
        """Dotted keys (current spelling) an error is about."""
        self.read = read
        """Dotted key -> the value as a source gave it (text from the environment, YAML from the file)."""
        self.sources = sources
        """Dotted key -> where its value came from (``environment X``, ``file ...``), for every key a source set."""
        self.unknown = unknown


def validation_errors(
    exc: ValidationError, name: Callable[[str], str], is_secret: Callable[[str], bool]
) -> list[tuple[str, ConfigError]]:
    """(dotted key, :class:`ConfigError` naming it with ``name(dotted)``) for every key ``exc`` blames,
    in pydantic's order, each key once."""
    out: dict[str, ConfigError] = {}
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        error = (err.get("ctx") or {}).get("error")
        blamed = getattr(error, "key", "")
        if blamed:
            loc.extend(blamed.split("."))
        dotted = ".".join(loc)
        if dotted not in out:
            out[dotted] = ConfigError(name(dotted), _problem(err, show_input=not is_secret(dotted)))
    return list(out.items())


def _bound_message(attr: str, ctx: dict[str, Any]) -> str:
    return f"must be {BOUND_SIGNS[attr]} {_bound(ctx.get(attr))}"


def _bound(value: object) -> object:
    """A bound as a setting is written: a duration under a second in ms ("100ms", not pydantic's "100000
    microseconds")."""
    if isinstance(value, str) and (m := re.fullmatch(r"(\d+)000 microseconds", value)):
        return f"{int(m[1])}ms"
    return value


#: How the docs and the errors write each bound of a setting (``ge``...).
BOUND_SIGNS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
#: pydantic's error for each bound.
_BOUND_ERRORS = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}

_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "int_parsing": lambda c: "must be an integer",
    "int_from_float": lambda c: "must be a whole number",
    "int_type": lambda c: "must be an integer",
    "float_parsing": lambda c: "must be a number",
    "float_type": lambda c: "must be a number",
    "decimal_parsing": lambda c: "must be a decimal number",
    "decimal_type": lambda c: "must be a decimal number",
    "decimal_max_places": lambda c: f"has more than {c.get('decimal_places')} decimal places",
    "finite_number": lambda c: "must be finite",
    "bool_parsing": lambda c: "must be true or false",
    "bool_type": lambda c: "must be true or false",
    "string_type": lambda c: "must be a string",
    "literal_error": lambda c: f"must be one of {c.get('expected')}",
    "enum": lambda c: f"must be one of {c.get('expected')}",
    "extra_forbidden": lambda c: "unknown key",
    "missing": lambda c: "is required",
    "model_type": lambda c: "must be a mapping",
    "model_attributes_type": lambda c: "must be a mapping",
    "dict_type": lambda c: "must be a mapping",
    "list_type": lambda c: "must be a list",
    "tuple_type": lambda c: "must be a list",
    **{kind: functools.partial(_bound_message, attr) for kind, attr in _BOUND_ERRORS.items()},
}


def _problem(err: ErrorDetails, *, show_input: bool) -> str:
    ctx = dict(err.get("ctx") or {})
    if err["type"] == "value_error":
        return str(ctx.get("error") or err["msg"]).splitlines()[0]
    text = _MESSAGES[err["type"]](ctx) if err["type"] in _MESSAGES else err["msg"].splitlines()[0]
    value = err.get("input")
    scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
    if show_input and scalar and err["type"] != "extra_forbidden":
        text += f", got {value!r}"
    return text
