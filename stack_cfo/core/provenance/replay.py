"""As-of replay: the facts of a receipt recomputed now, for the same as-of time, and what changed.

The numbers an AI text was written from can change after the fact: a price corrected, holdings
re-synced, a cash flow recorded late. A replay rebuilds the receipt's data document from the
data stored *now* as of the snapshot's time (``data_as_of``), compares it fact by fact with the
snapshot the model saw, and re-checks every figure of the text against the recomputed facts.
Facts the model never saw (keys a newer document format adds) are not compared.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stack_cfo.core.grounding import Facts, check
from stack_cfo.core.provenance.audit import facts_from_json
from stack_cfo.core.provenance.model import AiSurface, FigureRecord, GroundingRecord, Receipt
from stack_cfo.core.provenance.snapshot import Snapshot

#: Rebuilds a receipt's data document from the data stored now, as of ``receipt.data_as_of``.
Recompute = Callable[[Receipt, Mapping[str, Any]], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class FactChange:
    fact: str
    then_value: str
    now_value: str


@dataclass(frozen=True, slots=True)
class FigureReplay:
    figure: FigureRecord
    still_holds: bool
    now_value: str


@dataclass(frozen=True, slots=True)
class Replay:
    receipt: Receipt
    replay_time: datetime
    replayed: Snapshot
    changed: tuple[FactChange, ...]
    figures: tuple[FigureReplay, ...]

    @property
    def unchanged(self) -> bool:
        return not self.changed


def _text(facts: Facts, path: str) -> str:
    fact = facts.get(path)
    return format(fact.value, "f") if fact is not None else ""


def compare(receipt: Receipt, now_doc: Mapping[str, Any], replay_time: datetime) -> Replay:
    """The replay of ``receipt`` against ``now_doc`` (its document rebuilt from today's data)."""
    then = Snapshot.parse(receipt.data_snapshot, receipt.data_as_of)
    now = Snapshot(dict(now_doc), receipt.data_as_of)
    then_facts, now_facts = then.facts, now.facts
    changed = tuple(
        FactChange(path, _text(then_facts, path), _text(now_facts, path))
        for path in sorted(then_facts)
        if path not in now_facts or now_facts[path].value != then_facts[path].value
    )
    extra = facts_from_json(receipt.extra_facts)
    recheck = GroundingRecord.of(check(receipt.text, now_facts | extra), now_facts | extra)
    by_span = {(f.start, f.end): f for f in recheck.figures}
    figures = []
    for figure in receipt.grounding.figures:
        again = by_span.get((figure.start, figure.end))
        holds = again is not None and again.grounded
        figures.append(FigureReplay(figure, holds, _text(now_facts, figure.fact) if figure.fact else ""))
    return Replay(receipt, replay_time, now, changed, tuple(figures))


class ReplayService:
    """Reads receipts and replays them; ``recompute`` rebuilds a surface's document as of a time."""

    def __init__(
        self,
        receipts: Callable[[str], Awaitable[Receipt | None]],
        recompute: Mapping[AiSurface, Recompute],
        now: Callable[[], datetime],
    ) -> None:
        self._get = receipts
        self._recompute = recompute
        self._now = now

    async def receipt(self, receipt_id: str) -> Receipt | None:
        return await self._get(receipt_id)

    async def replay(self, receipt: Receipt) -> Replay:
        then_doc: Mapping[str, Any] = Snapshot.parse(receipt.data_snapshot, receipt.data_as_of).doc
        recompute = self._recompute.get(receipt.surface)
        now_doc = await recompute(receipt, then_doc) if recompute is not None else then_doc
        return compare(receipt, now_doc, self._now())
