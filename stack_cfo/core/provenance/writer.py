"""One-way AI texts (narratives, digest paragraphs, weekly summaries): written whole, checked,
and only sent when they check out.

:meth:`GroundedWriter.write` asks the model for a text over a data snapshot, checks its figures
against the snapshot (plus any extra facts), asks once more naming the figures that matched
nothing, and falls back to the deterministic writer's text (``AI_UNGROUNDED``) when the second
draft does not check out either. It also falls back, with the compute client's reason, when no
AI text came back at all. The result carries the text to send, its grounding, and the receipt of
the AI's last draft (or of the deterministic text when there was none).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stack_cfo.core.ai import (
    CompletionOptions,
    CompletionResult,
    ComputeClient,
    DegradedReason,
    IncompleteCompletion,
    Message,
    degraded_reason,
)
from stack_cfo.core.ai.offline import offline_result
from stack_cfo.core.errors import StackCfoError
from stack_cfo.core.grounding import Facts
from stack_cfo.core.provenance.audit import Audit
from stack_cfo.core.provenance.model import AiSurface, GroundingRecord, GroundingState, Receipt
from stack_cfo.core.provenance.snapshot import Snapshot

log = logging.getLogger(__name__)

#: Drafts the AI may write before the deterministic text is used (the first and one regeneration).
MAX_DRAFTS = 2


@dataclass(frozen=True, slots=True)
class Written:
    """What to send: ``result.text`` (the AI's, or the deterministic writer's), why it is degraded,
    how its figures check out, and the receipt."""

    result: CompletionResult
    degraded_reason: str
    grounding: GroundingRecord
    receipt: Receipt
    failure: StackCfoError | None = None
    """The error the compute client raised instead of answering (InsufficientFunds), if any."""
    tokens: int = 0
    """Tokens the AI's drafts used together (a rejected first draft is paid for too)."""


class GroundedWriter:
    def __init__(self, audit: Audit) -> None:
        self._audit = audit

    async def write(
        self,
        client: ComputeClient,
        *,
        surface: AiSurface,
        subject: str,
        user_id: str | None,
        prompt: Callable[[Sequence[str]], list[Message]],
        snapshot: Snapshot,
        fallback: str,
        options: CompletionOptions,
        extra_facts: Facts | None = None,
    ) -> Written:
        """``prompt(rejected)`` builds the messages; ``rejected`` lists the figures of a draft that
        did not check out (empty for the first draft)."""
        facts = snapshot.facts | extra_facts if extra_facts else snapshot.facts
        result: CompletionResult | None = None
        failure: StackCfoError | None = None
        checked: GroundingRecord | None = None
        rejected: list[str] = []
        tokens = 0
        messages = prompt(rejected)
        for _ in range(MAX_DRAFTS):
            messages = prompt(rejected)
            try:
                result = await client.complete(messages, options=options)
            except IncompleteCompletion as exc:
                result = dataclasses.replace(exc.partial, incomplete=True)
            except StackCfoError as exc:
                log.warning("AI call failed; using the deterministic text", extra={"surface": surface.value,
                                                                                   "reason": exc.reason})
                result, failure = None, exc
                break
            if not result.offline:
                tokens += result.total_tokens
            checked = self._audit.check(surface, result.text, facts, subject=subject)
            if result.offline or result.incomplete or checked.status is not GroundingState.UNGROUNDED:
                break
            rejected = [f.text for f in checked.ungrounded]

        ai_result, ai_checked = result, checked
        if result is None:
            result = offline_result(fallback, reason=failure.reason if failure is not None else "",
                                    requested_model=client.default_model)
            reason = degraded_reason(None, failure)
        elif checked is not None and checked.status is GroundingState.UNGROUNDED and not result.offline:
            result = offline_result(fallback, reason="", requested_model=client.default_model)
            reason = DegradedReason.UNGROUNDED.value
        else:
            reason = degraded_reason(result)
            if reason == DegradedReason.MODEL_SUBSTITUTED and not result.degraded:
                result = dataclasses.replace(result, degraded=True)  # failover: not the requested AI path
        if checked is None or result is not ai_result:
            checked = self._audit.check(surface, result.text, facts, count=False)
        receipt = self._audit.receipt(
            surface=surface,
            subject=subject,
            user_id=user_id,
            result=ai_result if ai_result is not None else result,
            text=ai_result.text if ai_result is not None else result.text,
            prompt=messages,
            snapshot=snapshot,
            grounding=ai_checked if ai_checked is not None else checked,
            degraded_reason=reason,
            extra_facts=extra_facts,
        )
        return Written(result, reason, checked, receipt, failure, tokens)
