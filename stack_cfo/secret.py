"""A wrapper for secret strings (private keys, API keys, passwords).

``repr``/``str``/``format`` never show the value, so a secret cannot leak through a log
line, an exception message or a dataclass repr by accident. Read it with :meth:`Secret.get`
at the one place that needs the raw text (signing, an ``Authorization`` header).

It is also a pydantic field type: a model field annotated ``Secret`` accepts a string (or a
``Secret``), and dumps as ``"***"`` in JSON mode.
"""

from __future__ import annotations

import hmac
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic_core import CoreSchema

_MASK = "Secret('***')"
REDACTED = "***"


class Secret:
    """An opaque string. Compares by value (in constant time); never prints its value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def get(self) -> str:
        """The raw secret. Call it only where the value is used, never to log or format."""
        return self._value

    def __repr__(self) -> str:
        return _MASK

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> NoReturn:
        # Pickling would write the raw value to wherever the pickle goes (caches, queues).
        raise TypeError("Secret values cannot be pickled")

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __copy__(self) -> Secret:
        return self

    # ------------------------------------------------------------------ pydantic support

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            _to_secret,
            serialization=core_schema.plain_serializer_function_ser_schema(_dump, info_arg=True),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {"type": "string", "format": "password", "writeOnly": True}


def _to_secret(value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return Secret(str(value))
    raise ValueError("must be a string")


def _dump(value: Secret, info: Any) -> Any:
    return REDACTED if info.mode_is_json() else value


def read_or_create_private_file(path: Path, make: Callable[[], str]) -> tuple[str, bool]:
    """The text of ``path`` (stripped), after creating it with ``make()`` (mode 0600) if it is
    missing; and whether this call created it.

    The text is written to a temporary file beside it and hard-linked into place, which fails
    when the name exists: a reader never sees a half-written file, and processes starting
    together (the workers of ``serve --workers N``, a ``stack-cfo token`` during start-up) agree
    on one value, the first linked. An empty file is an error, never an empty secret."""
    created = False
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(make())
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
                created = True
            except FileExistsError:
                pass  # another process's is there: read it
        finally:
            os.unlink(tmp)
    text = path.read_text("utf-8").strip()
    if not text:
        raise ValueError(f"{path} is empty; delete it to have a new value generated")
    return text, created
