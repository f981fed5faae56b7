"""What a chat answer may cite: the data block the model was given, the numbers the investor wrote
in the conversation (user messages in the prompt) and the session's summary of earlier turns
(an AI one was checked before it was kept; a deterministic one quotes only the investor).

Nothing here is computed before the answer streams: the snapshot and the facts are built on first
use, after the last delta (the first delta is never held back by the check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from stack_cfo.core.chat.models import ChatMessage, MessageRole, PortfolioContext, Summary
from stack_cfo.core.chat.prompt import Prompt
from stack_cfo.core.chat.transcript import session_name
from stack_cfo.core.grounding import Facts, checked_text_facts
from stack_cfo.core.provenance import Snapshot
from stack_cfo.core.provenance.audit import text_facts


@dataclass(frozen=True, slots=True)
class Evidence:
    prompt: Prompt
    messages: Sequence[ChatMessage]
    """The transcript messages in the prompt, the new user message included."""
    summary: Summary | None
    context: PortfolioContext
    user_id: str
    session_id: str
    _cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def snapshot(self) -> Snapshot:
        if "snapshot" not in self._cache:
            self._cache["snapshot"] = Snapshot(
                self.prompt.data, self.context.snapshot_time, self.context.base_currency or None
            )
        return self._cache["snapshot"]  # type: ignore[return-value]

    @property
    def extra(self) -> Facts:
        """Facts outside the data block: ``user[i][j]`` (the j-th number of the i-th user message in
        the prompt) and ``summary[j]``."""
        if "extra" not in self._cache:
            extra = text_facts("user", [m.content for m in self.messages if m.role is MessageRole.USER])
            if self.summary is not None:
                # An AI summary was checked when it was kept; a deterministic one quotes only the
                # investor's messages (and a checked AI summary): either way its numbers are ones the
                # investor wrote or the data held, which an answer may repeat. A number the data still
                # holds is cited as that fact, under its rules (checked_text_facts).
                extra = extra | checked_text_facts("summary", self.summary.content, self.snapshot.facts)
            self._cache["extra"] = extra
        return self._cache["extra"]  # type: ignore[return-value]

    @property
    def facts(self) -> Facts:
        if "facts" not in self._cache:
            self._cache["facts"] = self.snapshot.facts | self.extra
        return self._cache["facts"]  # type: ignore[return-value]

    def subject(self, answer: ChatMessage) -> str:
        return f"{session_name(self.user_id, self.session_id)}/messages/{answer.id}"
