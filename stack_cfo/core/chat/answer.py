"""An answer as it is stored: the message built from what the compute client reported, then its
figures checked against the evidence and its receipt attached (:class:`Grounder`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from stack_cfo.core.ai import CompletionResult, DegradedReason, degraded_reason
from stack_cfo.core.chat.evidence import Evidence
from stack_cfo.core.chat.models import ChatMessage, ChatSession, MessageRole, PortfolioContext, Replaced
from stack_cfo.core.chat.offline import offline_answer
from stack_cfo.core.i18n import Localizer
from stack_cfo.core.provenance import AiSurface, Audit, GroundingRecord, GroundingState


def answer_message(
now: datetime,
session: ChatSession,
    user_msg: ChatMessage,
    assistant_id: str,
    text: str,
    result: CompletionResult,
    refreshed: bool,
    compressed: bool,
    failure: BaseException | None = None,
) -> ChatMessage:
    substituted = not result.offline and (
        bool(result.model and result.model != session.model)
        or bool(
            result.provider
            and session.provider not in ("", "router")
            and result.provider.lower() != session.provider.lower()
        )
    )
    reason = degraded_reason(result, failure, substituted=substituted)
    # Degraded whenever there is a reason: a cut answer is flagged alike whether the provider broke
    # or the client (or a server shutdown) cut it.
    degraded = bool(reason) or result.degraded or result.offline or substituted
    return ChatMessage(
        id=assistant_id,
        session_id=session.id,
        seq=0,
        role=MessageRole.ASSISTANT,
        content=text,
        created_at=now,
        prompt_tokens=max(0, result.prompt_tokens),
        completion_tokens=max(0, result.completion_tokens),
        # Offline text is free; a provider that reported no fee leaves it unknown.
        fee_neuron=result.fee_neuron or (0 if result.offline else None),
        provider=result.provider,
        model="offline" if result.offline else result.model,
        verification=result.verification.value,
        degraded=degraded,
        offline=result.offline,
        incomplete=result.incomplete,
        degraded_reason=reason,
        context_refreshed=refreshed,
        compressed=compressed,
        reply_to=user_msg.id,
    )


class Grounder:
    """Checks a finished answer and writes its receipt; under the ``replace`` policy an ungrounded AI
    answer gives way to the deterministic one."""

    def __init__(self, audit: Audit, policy: str) -> None:
        self._audit = audit
        self._policy = policy

    def ground(
        self,
        answer: ChatMessage,
        result: CompletionResult,
        evidence: Evidence,
        ctx: PortfolioContext,
        now: datetime,
        question: str,
        l10n: Localizer | None = None,
    ) -> tuple[ChatMessage, Replaced | None]:
        """Check the answer's figures against its evidence; attach the outcome and the receipt.

        Under the ``replace`` policy an ungrounded AI answer gives way to the deterministic
        writer's (checked too); the receipt keeps the AI's text and its ungrounded figures.
        """
        subject = evidence.subject(answer)
        checked = self._audit.check(AiSurface.CHAT_ANSWER, answer.content, evidence.facts, subject=subject)
        if (
            checked.status is not GroundingState.UNGROUNDED
            or self._policy != "replace"
            or answer.offline
        ):
            return self.receipted(answer, result, evidence, checked), None
        text = offline_answer(ctx, now, question, reason=DegradedReason.UNGROUNDED.value, l10n=l10n)
        replaced = replace(
            answer,
            content=text,
            degraded=True,
            offline=True,  # the content is the deterministic writer's (usage, fee, provider: the AI's, paid)
            degraded_reason=DegradedReason.UNGROUNDED.value,
        )
        receipted = self.receipted(replaced, result, evidence, checked, ai_text=answer.content)
        own = self._audit.check(AiSurface.CHAT_ANSWER, text, evidence.facts, count=False)
        return replace(receipted, grounding=own), Replaced(text, DegradedReason.UNGROUNDED.value)

    def receipted(
        self,
        answer: ChatMessage,
        result: CompletionResult,
        evidence: Evidence,
        checked: GroundingRecord,
        *,
        ai_text: str | None = None,
    ) -> ChatMessage:
        receipt = self._audit.receipt(
            surface=AiSurface.CHAT_ANSWER,
            subject=evidence.subject(answer),
            user_id=evidence.user_id,
            result=result,
            text=answer.content if ai_text is None else ai_text,
            prompt=evidence.prompt.messages,
            snapshot=evidence.snapshot,
            grounding=checked,
            degraded_reason=answer.degraded_reason,
            extra_facts=evidence.extra,
        )
        return replace(answer, grounding=checked, receipt=receipt)

    def flagged(self, answer: ChatMessage, result: CompletionResult, evidence: Evidence) -> ChatMessage:
        """Checked and receipted, flagged only (for an answer nobody is listening to any more)."""
        subject = evidence.subject(answer)
        checked = self._audit.check(AiSurface.CHAT_ANSWER, answer.content, evidence.facts, subject=subject)
        return self.receipted(answer, result, evidence, checked)
