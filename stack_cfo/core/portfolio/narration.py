"""The AI narrative of a portfolio summary, checked before a word of it is sent.

The narrative is one-way (no one can correct it mid-stream), so the AI's text is collected whole,
its figures are checked against the data block it was given (:func:`~.narrative.summary_document`),
and only a text that checks out is sent, in sentence-sized chunks. A first draft that states
figures matching nothing is rejected and the AI is asked once more, told which figures were not in
the data; a second ungrounded draft gives way to the deterministic writer's narrative, marked
``AI_UNGROUNDED``. An AI stream that broke is sent as it arrived (``incomplete``) when what arrived
checks out. Every narrative, AI-written or not, gets a receipt. Its tokens are booked on the
user's daily AI budget (the one chat turns spend); once that is spent, the narrative is the
deterministic writer's (``TOKEN_BUDGET_EXHAUSTED``) until 00:00 UTC.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable

from stack_cfo.core.ai import (
    CompletionOptions,
    ComputeClient,
    DegradedReason,
    ReasonedFallback,
)
from stack_cfo.core.ai.budget import DailyTokenBudget
from stack_cfo.core.ai.offline import OFFLINE_BANNER, OfflineComputeClient, sentence_chunks
from stack_cfo.core.errors import StackCfoError
from stack_cfo.core.i18n import UserLocales
from stack_cfo.core.portfolio.narrative import narrative_messages, summary_document, write_narrative
from stack_cfo.core.portfolio.results import PortfolioSummary
from stack_cfo.core.portfolio.views import NarrativeChunk, NarrativeDone
from stack_cfo.core.provenance import AiSurface, Audit, GroundedWriter, ReceiptStore, Snapshot

log = logging.getLogger(__name__)


class Narrator:
    def __init__(
        self,
        compute: Callable[[], ComputeClient],
        audit: Audit,
        receipts: ReceiptStore | None = None,
        locales: UserLocales | None = None,
        budget: DailyTokenBudget | None = None,
    ) -> None:
        """``budget``: the users' daily AI token budget, shared with chat (none: unlimited)."""
        self._locales = locales or UserLocales(None)
        self._compute = compute
        self._writer = GroundedWriter(audit)
        self._receipts = receipts
        self._budget = budget

    async def _spent(self, user_id: str) -> bool:
        """Whether the user's budget is spent; a budget that cannot be read (the database is
        unreachable while a cached summary is served) does not stop the narrative."""
        assert self._budget is not None
        try:
            return await self._budget.spent(user_id)
        except StackCfoError as exc:
            log.warning("token budget unavailable; narrating anyway", extra={"reason": exc.reason})
            return False

    async def narrate(
        self, user_id: str, summary: PortfolioSummary, *, deadline: float | None = None
    ) -> AsyncGenerator[NarrativeChunk | NarrativeDone, None]:
        """The narrative's chunks, then one :class:`NarrativeDone`."""
        doc = summary_document(summary)
        client: ComputeClient = self._compute()
        if self._budget is not None and await self._spent(user_id):
            # The day's budget is spent (chat turns and narratives together): no paid request.
            client = OfflineComputeClient(reason=DegradedReason.TOKEN_BUDGET_EXHAUSTED.value)
        l10n = await self._locales.of(user_id)
        fallback = write_narrative(summary, l10n=l10n)
        written = await self._writer.write(
            client,
            surface=AiSurface.PORTFOLIO_NARRATIVE,
            subject=f"users/{user_id}/portfolio",
            user_id=user_id,
            prompt=lambda rejected: narrative_messages(doc, ungrounded=list(rejected), l10n=l10n),
            snapshot=Snapshot(doc, summary.as_of, summary.base_currency),
            fallback=fallback,
            options=CompletionOptions(
                operation="narrative",
                deadline=deadline,
                # the offline writer's banner in the user's language (English: the plain default)
                fallback=fallback
                if l10n.is_english
                else ReasonedFallback(lambda _why: fallback, banner=l10n._(OFFLINE_BANNER)),
            ),
        )
        if self._budget is not None and written.tokens:
            try:
                await self._budget.charge(user_id, written.tokens)
            except StackCfoError as exc:
                log.warning("narrative tokens could not be booked", extra={"reason": exc.reason})
        for chunk in sentence_chunks(written.result.text):
            yield NarrativeChunk(chunk)
        if self._receipts is not None:
            try:
                await self._receipts.save_receipt(written.receipt)
            except StackCfoError as exc:
                log.warning("narrative receipt could not be stored", extra={"reason": exc.reason})
        yield NarrativeDone(written.result, written.degraded_reason, written.grounding, written.receipt)
