"""Where values come from: pydantic-settings sources for the environment and ``config.yaml``.

Priority: environment > file > fallback environment variables > defaults. Both sources
are driven by the env names declared on the fields (:mod:`.tree`), drop empty values (an
unset ``${VAR}`` or ``VAR=`` means "use the default") and record where every key they set
came from, for error messages and ``stack-cfo config show``.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from stack_cfo.config.errors import ConfigError
from stack_cfo.config.tree import child, keys, section_type

#: Older spellings still read from the file: old dotted path -> current one. Where both are
#: set the current one wins.
MOVED_KEYS: Mapping[str, str] = {
    "scheduler.smtp": "notifications.smtp",
    "scheduler.fcm": "notifications.fcm",
    "zerog.compute.ledger_address": "zerog.compute.contracts.ledger",
    "zerog.compute.inference_address": "zerog.compute.contracts.inference",
}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one key's value came from."""

    kind: str
    """``default``, ``file`` or ``env``."""
    name: str = ""
    """The environment variable, or the file's path."""
    written: str = ""
    """The key as spelled in the file, when it differs from the current spelling."""

    def describe(self) -> str:
        if self.kind == "env":
            return f"environment {self.name}"
        if self.kind == "file":
            where = f"file {self.name}" if self.name else "file"
            return f"{where} (as {self.written})" if self.written else where
        return "default"


DEFAULT = Origin("default")


def label(dotted: str, origins: Mapping[str, Origin]) -> str:
    """How to name ``dotted`` to the operator: the variable that set it, or the key as written."""
    prefix = _known_prefix(dotted, origins)
    origin = origins.get(prefix) if prefix else None
    if origin is None:
        return dotted
    if origin.kind == "env":
        return f"{origin.name} ({dotted})"
    return origin.written + dotted[len(prefix):] if origin.written else dotted


def _known_prefix(dotted: str, origins: Mapping[str, Origin]) -> str:
    """The longest prefix of ``dotted`` (itself included) that a source set."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in origins:
            return prefix
    return ""


@dataclass
class Load:
    """One load: its inputs and what each source supplied (filled while the model is built)."""

    env: Mapping[str, str]
    path: Path | None = None
    tree: Mapping[str, Any] | None = None
    """An already parsed file (tests and ``build_config``)."""
    found: dict[str, dict[str, Origin]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    """Dotted keys the file sets that no setting has (a typo, or a key of another release)."""
    given: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    """Source name -> the tree it supplied, before validation."""

    def origins(self) -> dict[str, Origin]:
        """Dotted key -> origin, the highest-priority source first."""
        out: dict[str, Origin] = {}
        for source in _LOWEST_FIRST:
            out.update(self.found.get(source, {}))
        return out

    def read(self, model: type[BaseModel]) -> dict[str, Any]:
        """Dotted key -> the value the highest-priority source gave it, unvalidated, for every leaf
        key of ``model`` a source set (``config show`` of a configuration that does not validate)."""
        out: dict[str, Any] = {}
        for key in keys(model):
            for source in reversed(_LOWEST_FIRST):
                node: Any = self.given.get(source, {})
                for spelled, attr in zip(key.path, key.attrs, strict=True):
                    node = node.get(spelled, node.get(attr)) if isinstance(node, Mapping) else None
                if node is not None:
                    out[key.dotted] = node
                    break
        return out


_LOWEST_FIRST = ("fallback", "file", "env")
"""The sources' names by priority, the lowest first (the environment wins)."""

_CURRENT: contextvars.ContextVar[Load | None] = contextvars.ContextVar("stack_cfo_config_load", default=None)


def current_load() -> Load:
    """The load in progress; a bare ``Config()`` reads ``os.environ`` and no file."""
    return _CURRENT.get() or Load(os.environ)


def activate(load: Load) -> contextvars.Token[Load | None]:
    return _CURRENT.set(load)


def deactivate(token: contextvars.Token[Load | None]) -> None:
    _CURRENT.reset(token)


class _Source(PydanticBaseSettingsSource):
    name = ""

    def __init__(self, settings_cls: type[BaseSettings], load: Load) -> None:
        super().__init__(settings_cls)
        self.load = load
        self.found: dict[str, Origin] = load.found.setdefault(self.name, {})

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ builds the whole tree at once


class EnvSource(_Source):
    """The environment variables declared on the fields (``setting(env=...)``), plus
    ``<NAME>_FILE`` for secrets: the file's content with the trailing newline removed."""

    name = "env"

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in keys(self.settings_cls):
            for var in self._names(key.env, key.fallback_env):
                found = self._read(var, key.dotted, key.secret)
                if found is not None:
                    _set(out, key.path, found[0])
                    self.found[key.dotted] = Origin("env", found[1])
                    break
        self.load.given[self.name] = out
        return out

    def _names(self, env: tuple[str, ...], fallback: str) -> tuple[str, ...]:
        return env

    def _read(self, var: str, dotted: str, secret: bool) -> tuple[str, str] | None:
        """(value, the variable that held it), or ``None`` when neither is set."""
        env = self.load.env
        direct = env.get(var, "")
        path = env.get(f"{var}_FILE", "") if secret else ""
        if direct and path:
            raise ConfigError(f"{var}_FILE ({dotted})", f"set {var} or {var}_FILE, not both")
        if path:
            try:
                text = Path(path).read_text("utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ConfigError(f"{var}_FILE ({dotted})", f"cannot read {path!r}: {exc.strerror}") from None
            return (text, f"{var}_FILE") if text else None
        return (direct, var) if direct else None


class FallbackEnvSource(EnvSource):
    """Variables read only when neither the primary variable nor the file sets the key."""

    name = "fallback"

    def _names(self, env: tuple[str, ...], fallback: str) -> tuple[str, ...]:
        return (fallback,) if fallback else ()


class FileSource(_Source):
    """``config.yaml`` in the seed's format, ``${VAR}``/``${VAR:-default}`` expanded."""

    name = "file"

    def __call__(self) -> dict[str, Any]:
        load = self.load
        tree = load.tree if load.tree is not None else read_yaml(load.path, load.env) if load.path else {}
        tree = _prune(tree)
        old_spellings = _move_old_spellings(tree)
        _check_sections(tree, self.settings_cls)
        for current, written in _leaves(tree, self.settings_cls):
            written = old_spellings.get(current, written)
            self.found[current] = Origin("file", str(load.path or ""), "" if written == current else written)
        load.unknown[:] = _unknown(tree, self.settings_cls)
        load.given[self.name] = tree
        return tree


def read_yaml(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    if not path.is_file():
        problem = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise ConfigError("STACK_CFO_CONFIG", f"config file {str(path)!r} {problem}")
    try:
        loaded = yaml.safe_load(path.read_text("utf-8")) or {}
    except UnicodeDecodeError:
        raise ConfigError(str(path), "is not UTF-8 text (a YAML file is)") from None
    except OSError as exc:
        raise ConfigError("STACK_CFO_CONFIG", f"config file {str(path)!r} cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), f"is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(loaded, dict):
        raise ConfigError(str(path), "top level must be a mapping")
    expanded: dict[str, Any] = expand_vars(loaded, env)
    return expanded


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_vars(value: Any, env: Mapping[str, str]) -> Any:
    """``${VAR}`` / ``${VAR:-default}`` expansion in every string of a loaded YAML tree."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: env.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: expand_vars(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_vars(v, env) for v in value]
    return value


def _prune(node: Any) -> Any:
    """Drop ``None`` and ``""`` values: an unset ``${VAR}`` means "the default", as before."""
    if isinstance(node, Mapping):
        return {str(k): _prune(v) for k, v in node.items() if v is not None and v != ""}
    return node


def _move_old_spellings(tree: dict[str, Any]) -> dict[str, str]:
    """Rewrite :data:`MOVED_KEYS` in place; returns current dotted key -> old spelling of every
    value that was moved (and not overridden by the current spelling)."""
    written: dict[str, str] = {}
    for old, new in MOVED_KEYS.items():
        *parent, last = old.split(".")
        node = _get(tree, parent)
        if not isinstance(node, dict) or last not in node:
            continue
        value = node.pop(last)
        *new_parent, new_last = new.split(".")
        target = _ensure(tree, new_parent)
        current = target.get(new_last)
        if isinstance(current, dict) and isinstance(value, dict):
            taken = [rel for rel in _flat(value) if rel not in _flat(current)]
            target[new_last] = {**value, **current}
        elif current is None:
            taken = _flat(value)
            target[new_last] = value
        else:
            taken = []
        written.update({new + rel: old + rel for rel in taken})
    return written


def _flat(node: Any, prefix: str = "") -> list[str]:
    """Relative dotted suffixes (``".host"``, or ``""`` for a scalar) of a plain tree's leaves."""
    if isinstance(node, Mapping):
        return [rel for k, v in node.items() for rel in _flat(v, f"{prefix}.{k}")]
    return [prefix]


def _leaves(
    tree: Mapping[str, Any], model: type[BaseModel], current: tuple[str, ...] = (), written: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """(current dotted key, dotted key as written) of every value the file sets for a known key."""
    out: list[tuple[str, str]] = []
    for spelled, value in tree.items():
        found = child(model, spelled)
        if found is None:
            continue
        key, info = found
        c, w = (*current, key), (*written, spelled)
        sub = section_type(info)
        if sub is not None and isinstance(value, Mapping):
            out.extend(_leaves(value, sub, c, w))
        else:
            out.append((".".join(c), ".".join(w)))
    return out


def _check_sections(tree: Mapping[str, Any], model: type[BaseModel], written: tuple[str, ...] = ()) -> None:
    """Refuse a section of settings written as a single value or a list (``server: 5``, ``database:
    "postgres://..."`` for ``database: {url: ...}``): it was read as no setting at all, silently (an operator's
    tester; README: an invalid value stops the process naming the key)."""
    for spelled, value in tree.items():
        found = child(model, spelled)
        sub = section_type(found[1]) if found is not None else None
        if sub is None or value is None:
            continue
        dotted = ".".join((*written, str(spelled)))
        if not isinstance(value, Mapping):
            # (a text is not echoed: it may be a secret written in the wrong place, a database URL)
            shown = value if isinstance(value, int | float | bool) else "a list" if isinstance(value, list) else (
                "a text")
            example = next(iter(sub.model_fields), "...")
            raise ConfigError(dotted, f"is a section of settings, written as keys under it ({dotted}.{example}: ...),"
                                      f" not a single value ({shown})")
        _check_sections(value, sub, (*written, str(spelled)))


def _unknown(tree: Mapping[str, Any], model: type[BaseModel], written: tuple[str, ...] = ()) -> list[str]:
    """Dotted keys (as written) of ``tree`` that ``model`` has no setting for."""
    out: list[str] = []
    for spelled, value in tree.items():
        found = child(model, spelled)
        if found is None:
            out.append(".".join((*written, str(spelled))))
            continue
        sub = section_type(found[1])
        if sub is not None and isinstance(value, Mapping):
            out.extend(_unknown(value, sub, (*written, str(spelled))))
    return out


def _get(tree: Mapping[str, Any], path: list[str]) -> Any:
    node: Any = tree
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _ensure(tree: dict[str, Any], path: list[str] | tuple[str, ...]) -> dict[str, Any]:
    node = tree
    for part in path:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    return node


def _set(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    _ensure(tree, path[:-1])[path[-1]] = value
