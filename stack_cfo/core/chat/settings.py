"""Chat settings: what the chat manager runs with. The wiring builds them from the ``chat``
section of the configuration (whose defaults are these) and the compute client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class ChatSettings:
    default_model: str = "gpt-oss-120b"
    """Model of a session created without one."""
    default_provider: str = "router"
    """Provider recorded on a session created without one (the compute client's default)."""
    allowed_models: frozenset[str] = frozenset()
    """Models a session may name (the default is always allowed); anything else is UNKNOWN_MODEL."""
    max_message_chars: int = 4000
    """Longest user message after stripping control characters (CONTENT_TOO_LONG beyond)."""
    max_title_chars: int = 255
    context_staleness: timedelta = timedelta(minutes=15)
    """A context older than this is refreshed before the next answer."""
    summarize_interval: int = 20
    """Default for new sessions: uncovered messages that trigger a summary."""
    keep_recent_messages: int = 10
    """Messages kept verbatim after a summary (at most half the session's interval)."""
    summary_step: int = 4
    """After the first summary, fold again once this many messages beyond ``keep_recent_messages``
    are uncovered (4 = every second turn); larger means fewer summary calls, longer prompts."""
    summary_max_chars: int = 2000
    """Cap of a summary's text; it is part of every later prompt."""
    daily_token_budget: int = 200_000
    """Tokens per user per UTC day (answers and summaries); 0 = unlimited."""
    prompt_budget_tokens: int = 16_000
    """Estimated prompt size limit; the oldest kept messages are dropped beyond it."""
    max_answer_tokens: int | None = None
    """Completion limit per answer; ``None`` = the compute client's default."""
    summary_timeout: float = 30.0
    """Seconds a summary may take before the deterministic writer's summary is used."""
    summary_wait: float = 2.0
    """Seconds a message waits for the background summary of the previous turns, if one is being
    written, before answering with the previous summary."""
    lock_wait: float = 120.0
    """Seconds a message waits for an earlier turn on the same session (without a deadline)."""
    grounding_policy: str = "flag"
    """What happens to an answer whose figures match nothing the server computed: ``flag`` (it is
    stored and sent with its ungrounded figures marked) or ``replace`` (the deterministic answer
    replaces it, degraded_reason AI_UNGROUNDED)."""
    delta_interval: float = 0.0
    """Seconds: answer text arriving within this long of the last delta goes out with the next
    one (the compute stream paces its reads, see ``CompletionOptions.pace``); 0 = a delta per
    model chunk."""
    store_retry_for: float = 15.0
    """Seconds a finished turn retries storing its answer while the database is unavailable; kept
    under the turn lease (``store.chat.LEASE_TTL``) so a retry of its request_id finds it stored."""
    known_providers: frozenset[str] = field(default_factory=frozenset)
    """Provider values that may appear as a metric label (others are counted as ``other``)."""
