"""The AI narrative of a portfolio summary, checked before a word of it is sent.

The narrative is one-way (no one can correct it mid-stream), so the AI's text is collected whole,
its figures are checked against the data block it was given (:func:`~.narrative.summary_document`),
and only a text that checks out is sent, in sentence-sized chunks. A first draft that states
figures matching nothing is rejected and the AI is asked once more, told which figures were not in
the data; a second ungrounded draft gives way to the deterministic writer's narrative, marked
``AI_UNGROUNDED``. An AI stream that broke is sent as it arrived (``incomplete``) when what arrived
checks out. Every narrative, AI-written or not, gets a receipt.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncGenerator, Callable

from stack_cfo.core.ai import (
    CompletionOptions,
    CompletionResult,
    ComputeClient,
    DegradedReason,
    IncompleteCompletion,
    degraded_reason,
)
from stack_cfo.core.ai.offline import offline_result, sentence_chunks, write_offline
from stack_cfo.core.errors import StackCfoError
from stack_cfo.core.portfolio.narrative import narrative_messages, summary_document, write_narrative
from stack_cfo.core.portfolio.results import PortfolioSummary
from stack_cfo.core.portfolio.views import NarrativeChunk, NarrativeDone
from stack_cfo.core.provenance import AiSurface, Audit, GroundingRecord, GroundingState, ReceiptStore, Snapshot

log = logging.getLogger(__name__)

#: Drafts the AI may write before the deterministic narrative is used (the first and one regeneration).
MAX_DRAFTS = 2


class Narrator:
    def __init__(
        self,
        compute: Callable[[], ComputeClient],
        audit: Audit,
        receipts: ReceiptStore | None = None,
    ) -> None:
        self._compute = compute
        self._audit = audit
        self._receipts = receipts

    async def narrate(
        self, user_id: str, summary: PortfolioSummary, *, deadline: float | None = None
    ) -> AsyncGenerator[NarrativeChunk | NarrativeDone, None]:
        """The narrative's chunks, then one :class:`NarrativeDone`."""
        doc = summary_document(summary)
        snapshot = Snapshot(doc, summary.as_of, summary.base_currency)
        subject = f"users/{user_id}/portfolio"
        fallback = write_narrative(summary)
        client = self._compute()
        options = CompletionOptions(fallback=fallback, operation="narrative", deadline=deadline)
        result: CompletionResult | None = None
        failure: StackCfoError | None = None  # why no result came back (InsufficientFunds is raised)
        checked: GroundingRecord | None = None
        rejected: list[str] = []
        prompt = narrative_messages(doc)
        for _ in range(MAX_DRAFTS):
            prompt = narrative_messages(doc, ungrounded=rejected)
            try:
                result = await client.complete(prompt, options=options)
            except IncompleteCompletion as exc:
                result = dataclasses.replace(exc.partial, incomplete=True)
            except StackCfoError as exc:
                log.warning("narrative AI call failed; using the deterministic writer", extra={"reason": exc.reason})
                result, failure = None, exc
                break
            checked = self._audit.check(AiSurface.PORTFOLIO_NARRATIVE, result.text, snapshot.facts, subject=subject)
            if result.offline or result.incomplete or checked.status is not GroundingState.UNGROUNDED:
                break
            rejected = [f.text for f in checked.ungrounded]

        ai_result, ai_checked = result, checked
        if result is None:  # a raised error: the deterministic narrative, without a banner
            offline = write_offline(
                fallback,
                reason=failure.reason if failure is not None else "",
                requested_model=client.default_model,
                banner=False,  # the deterministic narrative opens with its own notice
                chunks=sentence_chunks,
            )
            result, reason = offline.result, degraded_reason(None, failure)
        elif checked is not None and checked.status is GroundingState.UNGROUNDED and not result.offline:
            result = offline_result(fallback, reason="", requested_model=client.default_model)
            reason = DegradedReason.UNGROUNDED.value
        else:
            reason = degraded_reason(result)
            if reason == DegradedReason.MODEL_SUBSTITUTED and not result.degraded:
                result = dataclasses.replace(result, degraded=True)  # failover: not the requested AI path
        if checked is None or result is not ai_result:
            checked = self._audit.check(AiSurface.PORTFOLIO_NARRATIVE, result.text, snapshot.facts, count=False)

        for chunk in sentence_chunks(result.text):
            yield NarrativeChunk(chunk)

        receipt = self._audit.receipt(
            surface=AiSurface.PORTFOLIO_NARRATIVE,
            subject=subject,
            user_id=user_id,
            result=ai_result if ai_result is not None else result,
            text=ai_result.text if ai_result is not None else result.text,
            prompt=prompt,
            snapshot=snapshot,
            grounding=ai_checked if ai_checked is not None else checked,
            degraded_reason=reason,
        )
        if self._receipts is not None:
            try:
                await self._receipts.save_receipt(receipt)
            except StackCfoError as exc:
                log.warning("narrative receipt could not be stored", extra={"reason": exc.reason})
        yield NarrativeDone(result, reason, checked, receipt)
