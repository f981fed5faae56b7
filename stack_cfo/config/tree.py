"""The key tree, read off the models: every key's dotted path, environment names, description,
default and whether it is a secret. The sources, the docs generator, ``config show``, error
messages and log redaction all walk this one description."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from stack_cfo.config.fields import IN_SECONDS
from stack_cfo.secret import Secret


@dataclass(frozen=True, slots=True)
class Key:
    """One configuration key."""

    path: tuple[str, ...]
    """YAML spelling of each level: ``("zerog", "compute", "model_config", "default_model")``."""
    attrs: tuple[str, ...]
    """Attribute names to reach the value on a loaded config."""
    field: FieldInfo

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def env(self) -> tuple[str, ...]:
        return tuple(_extra(self.field).get("env", ()))

    @property
    def fallback_env(self) -> str:
        return str(_extra(self.field).get("fallback_env", ""))

    @property
    def secret(self) -> bool:
        return _mentions(self.field.annotation, Secret)

    @property
    def duration(self) -> bool:
        """Written as ``30s``/``1m30s``: a ``timedelta``, or float seconds (:data:`.fields.IN_SECONDS`)."""
        return _mentions(self.field.annotation, timedelta) or IN_SECONDS in self.field.metadata

    @property
    def description(self) -> str:
        return " ".join((self.field.description or "").split())

    @property
    def default(self) -> Any:
        """The default as declared (a factory is called); ``None`` when the key has none."""
        if self.field.default_factory is not None:
            return self.field.default_factory()  # type: ignore[call-arg]
        return None if self.field.default is PydanticUndefined else self.field.default

    def value(self, root: BaseModel) -> Any:
        node: Any = root
        for attr in self.attrs:
            node = getattr(node, attr)
        return node


def yaml_key(name: str, field: FieldInfo) -> str:
    return field.alias or name


def section_type(field: FieldInfo) -> type[BaseModel] | None:
    """The model of a nested block, or ``None`` for a leaf key."""
    ann = field.annotation
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def keys(model: type[BaseModel], path: tuple[str, ...] = (), attrs: tuple[str, ...] = ()) -> Iterator[Key]:
    """Every leaf key below ``model``, depth first in declaration order."""
    for name, field in model.model_fields.items():
        p, a = (*path, yaml_key(name, field)), (*attrs, name)
        sub = section_type(field)
        if sub is not None:
            yield from keys(sub, p, a)
        else:
            yield Key(p, a, field)


def child(model: type[BaseModel], key: str) -> tuple[str, FieldInfo] | None:
    """The field a YAML key names (its alias or its attribute name), with its YAML spelling."""
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return yaml_key(name, field), field
    return None


def secrets(model: BaseModel) -> Iterator[Secret]:
    """Every secret value set on a loaded model tree."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Secret):
            yield value
        elif isinstance(value, BaseModel):
            yield from secrets(value)


def is_secret(model: type[BaseModel]) -> Callable[[str], bool]:
    """Whether a dotted key (or anything below it) belongs to a secret key of ``model``."""
    secret_keys = {k.dotted for k in keys(model) if k.secret}
    return lambda dotted: any(dotted == s or dotted.startswith(s + ".") for s in secret_keys)


def _extra(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _mentions(annotation: Any, target: type) -> bool:
    if annotation is target:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_mentions(arg, target) for arg in get_args(annotation))
    return False
