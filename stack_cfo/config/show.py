"""``stack-cfo config show``: the effective configuration, one key a line, with where each
value came from (default, the file, or the environment variable). Secrets print as ``***``.

When the configuration does not validate, :func:`show_read` prints what was read instead: each
value as its source gave it (unvalidated), the declared default otherwise, and ``(invalid)``
after the source of every key an error is about."""

from __future__ import annotations

from collections.abc import Iterable

from stack_cfo.config.errors import InvalidConfig
from stack_cfo.config.render import shown, yaml_text
from stack_cfo.config.root import Config
from stack_cfo.config.sources import DEFAULT
from stack_cfo.config.tree import keys
from stack_cfo.secret import REDACTED


def show(config: Config) -> str:
    rows = [(k.dotted, shown(k, k.value(config)), config.origin(k.dotted).describe()) for k in keys(Config)]
    return _table(rows, config.unknown_keys)


def show_read(error: InvalidConfig) -> str:
    """The table of :func:`show` for a configuration that failed to validate."""
    rows = []
    for k in keys(Config):
        if k.dotted in error.read:
            raw = error.read[k.dotted]
            value = REDACTED if k.secret else raw if isinstance(raw, str) else yaml_text(raw)
        else:
            value = shown(k, k.default)
        source = error.sources.get(k.dotted, DEFAULT.describe())
        rows.append((k.dotted, value or "-", f"{source} (invalid)" if k.dotted in error.invalid else source))
    return _table(rows, error.unknown)


def _table(rows: list[tuple[str, str, str]], unknown: Iterable[str]) -> str:
    width = [max(len(r[0]) for r in rows), min(40, max(len(r[1]) for r in rows))]
    lines = [f"{'KEY'.ljust(width[0])}  {'VALUE'.ljust(width[1])}  SOURCE"]
    lines += [f"{key.ljust(width[0])}  {value.ljust(width[1])}  {source}" for key, value, source in rows]
    lines += [f"{key.ljust(width[0])}  {'(unknown key: ignored)'.ljust(width[1])}  file" for key in unknown]
    return "\n".join(line.rstrip() for line in lines) + "\n"
