"""Shared by the audit rounds' tests: the data blocks the testers built with the chat path's own code
(``data/roundN_*.json``), as facts, and the verdict on one figure of a text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from stack_cfo.core.grounding import Facts, check
from stack_cfo.core.provenance import Snapshot

DATA = Path(__file__).parent / "data"


def block_facts(file: str) -> Facts:
    """The facts of ``data/{file}.json`` as a chat turn sees them (its snapshot time and base currency)."""
    block = json.loads((DATA / f"{file}.json").read_text())
    return Snapshot(block, datetime.fromisoformat(block["snapshot_time"]), block["base_currency"]).facts


def blocks(round_name: str, *names: str) -> dict[str, Facts]:
    return {name: block_facts(f"{round_name}_{name}") for name in names}


def verdict(facts: Mapping[str, Facts] | Facts, block: str, text: str, marker: str, *,
            last: bool = False) -> tuple[bool, str | None]:
    """Whether the figure at ``marker`` (its first occurrence, or its ``last``) is grounded, and the fact cited."""
    start = text.rindex(marker) if last else text.index(marker)
    result = check(text, facts[block] if not isinstance(facts, Facts) else facts)
    found = [c for c in result.checks if c.figure.start < start + len(marker) and c.figure.end > start]
    assert found, (text, [c.figure.raw for c in result.checks])
    return found[0].grounded, found[0].fact_path
