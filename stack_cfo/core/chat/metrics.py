"""Chat metrics with the seed's names and bounded labels.

User and session ids never become labels (they go to logs and spans): ``provider`` and
``model`` take values from the configured set (anything else is ``other``), ``operation`` and
``error_code`` come from fixed code paths and the stable error reasons.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from stack_cfo.core.ai import DegradedReason

SESSIONS_CREATED = Counter(
    "chat_manager_sessions_created_total",
    "Chat sessions created.",
    ["provider", "model"],
)
MESSAGES_SENT = Counter(
    "chat_manager_messages_sent_total",
    "User messages accepted (replays excluded).",
)
MESSAGE_DURATION = Histogram(
    "chat_manager_message_duration_seconds",
    "From accepting a message to storing its answer; success=false for offline or incomplete answers.",
    ["success"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)
COMPRESSIONS = Counter(
    "chat_manager_compressions_total",
    "Summaries written to compress long conversations.",
)
DEGRADED_ANSWERS = Counter(
    "chat_manager_degraded_answers_total",
    "Answers stored degraded (offline writer, cut stream, another model), by degraded_reason.",
    ["reason"],
)
for _reason in DegradedReason:
    DEGRADED_ANSWERS.labels(_reason.value)
ERRORS = Counter(
    "chat_manager_errors_total",
    "Chat operations that failed, by operation and error reason.",
    ["operation", "error_code"],
)

OPERATIONS = frozenset(
    {
        "create_session",
        "get_session",
        "list_sessions",
        "delete_session",
        "send_message",
        "update_context",
        "archive_session",
        "summarize",
        "refresh_context",
    }
)
