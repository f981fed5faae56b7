"""SQL lives in ``stack_cfo/store/sql/<group>.sql`` as named blocks, loaded once.

A block starts with a line ``-- name: query_name``; everything until the next such line is
the query text. ``load_queries("portfolio").upsert_prices`` returns the text.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


class Queries:
    def __init__(self, group: str, blocks: dict[str, str]) -> None:
        self._group = group
        self._blocks = blocks

    def __getattr__(self, name: str) -> str:
        try:
            return self._blocks[name]
        except KeyError:
            raise AttributeError(f"no query {name!r} in {self._group}.sql") from None

    def names(self) -> list[str]:
        return sorted(self._blocks)


def parse_queries(text: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    matches = list(_NAME.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[m.end() : end].strip()
        if m.group(1) in blocks:
            raise ValueError(f"duplicate query name {m.group(1)!r}")
        blocks[m.group(1)] = body
    return blocks


@functools.cache
def load_queries(group: str) -> Queries:
    text = resources.files("stack_cfo.store").joinpath("sql", f"{group}.sql").read_text("utf-8")
    return Queries(group, parse_queries(text))
