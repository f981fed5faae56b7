"""``stack-cfo config show``: the effective configuration, one key a line, with where each
value came from (default, the file, or the environment variable). Secrets print as ``***``."""

from __future__ import annotations

from stack_cfo.config.render import shown
from stack_cfo.config.root import Config
from stack_cfo.config.tree import keys


def show(config: Config) -> str:
    rows = [(k.dotted, shown(k, k.value(config)), config.origin(k.dotted).describe()) for k in keys(Config)]
    width = [max(len(r[0]) for r in rows), min(40, max(len(r[1]) for r in rows))]
    lines = [f"{'KEY'.ljust(width[0])}  {'VALUE'.ljust(width[1])}  SOURCE"]
    lines += [f"{key.ljust(width[0])}  {value.ljust(width[1])}  {source}" for key, value, source in rows]
    lines += [f"{key.ljust(width[0])}  {'(unknown key: ignored)'.ljust(width[1])}  file" for key in config.unknown_keys]
    return "\n".join(line.rstrip() for line in lines) + "\n"
