"""As-of replay: the facts of a receipt recomputed now, for the same as-of time, and what changed.

The numbers an AI text was written from can change after the fact: a price corrected, holdings
re-synced, a cash flow recorded late. A replay rebuilds the receipt's data document from the
data stored *now* as of the snapshot's time (``data_as_of``), compares it fact by fact with the
snapshot the model saw, and re-checks every figure of the text against the recomputed facts.
Facts the model never saw (keys a newer document format adds) are not compared.

A figure that was tied to a fact holds only while it matches *that* fact's recomputed value (the
grounding check's tolerance, signs and kinds): another fact that happens to equal the number now
does not make it hold. A column total tied to ``sum(column)`` holds while every figure it summed
still holds. A figure that was tied to nothing holds when the recomputed facts ground it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stack_cfo.core.grounding import Facts, Figure, FigureCheck, check, check_figures
from stack_cfo.core.provenance.audit import facts_from_json
from stack_cfo.core.provenance.model import AiSurface, FigureRecord, Receipt
from stack_cfo.core.provenance.snapshot import Snapshot

#: The path the grounding check gives a table total that equals the sum of the figures above it.
_COLUMN_SUM = "sum(column)"

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
    facts = now_facts | facts_from_json(receipt.extra_facts)
    by_span = {(c.figure.start, c.figure.end): c for c in check(receipt.text, facts).checks}
    figures = []
    columns: dict[tuple[int, int], list[bool]] = {}  # per table column, the verdicts since its last total
    for figure in receipt.grounding.figures:
        again = by_span.get((figure.start, figure.end))
        holds = _holds(figure, again, facts, columns)
        figures.append(FigureReplay(figure, holds, _text(facts, figure.fact) if figure.fact else ""))
    return Replay(receipt, replay_time, now, changed, tuple(figures))


def _holds(
    figure: FigureRecord, again: FigureCheck | None, facts: Facts, columns: dict[tuple[int, int], list[bool]]
) -> bool:
    """Whether ``figure`` (as recorded) still holds, given ``again``, its re-check against ``facts``."""
    if again is None:
        return False
    cell = again.figure.table_cell
    if figure.fact == _COLUMN_SUM:
        # Tied to the figures above it: the text's numbers do not change, so it holds while they all do.
        above = columns.pop(cell, []) if cell is not None else []
        return len(above) >= 2 and all(above)
    if figure.fact:
        # The best match now may be another fact that merely equals the number (a total that fell to
        # what a position was worth): only the fact the figure was tied to can keep it holding.
        holds = again.grounded and (again.fact_path == figure.fact or _matches(again.figure, figure.fact, facts))
    else:
        holds = again.grounded  # it was tied to nothing: any fact that grounds it now will do
    if cell is not None:
        if again.figure.total_row:
            columns.pop(cell, None)  # a new block starts after a total, as in the grounding check
        else:
            columns.setdefault(cell, []).append(holds)
    return holds


def _matches(figure: Figure, path: str, facts: Facts) -> bool:
    """Whether ``figure`` matches the fact at ``path`` by the grounding check's rules, that fact alone.

    The grounding check chose ``path`` for this figure's words, so only the value is in question:
    tolerance, sign, kind and currency all still apply.
    """
    fact = facts.get(path)
    if fact is None:
        return False
    alone = check_figures([figure], Facts({path: fact})).checks
    return bool(alone) and alone[0].grounded  # none: a count the fact alone cannot check ("2 in Technology")


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
