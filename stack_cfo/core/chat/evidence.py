"""What a chat answer may cite: the data block the model was given, the numbers the investor wrote
in the conversation (user messages in the prompt) and the session's summary of earlier turns
(when AI-written: it was checked before it was kept)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from stack_cfo.core.chat.models import ChatMessage, MessageRole, PortfolioContext, Summary
from stack_cfo.core.chat.prompt import Prompt
from stack_cfo.core.chat.transcript import session_name
from stack_cfo.core.grounding import Facts, facts_from_text
from stack_cfo.core.provenance import Snapshot
from stack_cfo.core.provenance.audit import text_facts


@dataclass(frozen=True, slots=True)
class Evidence:
    prompt: Prompt
    snapshot: Snapshot
    extra: Facts
    """Facts outside the data block: ``user[i][j]`` (the j-th number of the i-th user message in the
    prompt) and ``summary[j]``."""
    user_id: str
    session_id: str
    _all: list[Facts] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        prompt: Prompt,
        messages: Sequence[ChatMessage],
        summary: Summary | None,
        context: PortfolioContext,
        *,
        user_id: str,
        session_id: str,
    ) -> Evidence:
        extra = text_facts("user", [m.content for m in messages if m.role is MessageRole.USER])
        if summary is not None and not summary.offline:
            # An AI summary was checked when it was kept; a deterministic one quotes the conversation
            # (earlier answers included) verbatim, so its numbers prove nothing.
            extra = extra | facts_from_text("summary", summary.content)
        snapshot = Snapshot(prompt.data, context.snapshot_time, context.base_currency or None)
        return cls(prompt, snapshot, extra, user_id, session_id)

    @property
    def facts(self) -> Facts:
        if not self._all:
            self._all.append(self.snapshot.facts | self.extra)
        return self._all[0]

    def subject(self, answer: ChatMessage) -> str:
        return f"{session_name(self.user_id, self.session_id)}/messages/{answer.id}"
