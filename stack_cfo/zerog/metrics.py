"""Prometheus metrics of the 0G compute client (seed names), on the default registry.

Labels stay bounded: ``model`` and ``provider`` come from configuration/discovery,
``operation`` from a fixed set chosen by callers, ``error_type`` and ``outcome`` from
the fixed vocabularies below. User and session ids never become labels.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "zerog_compute_requests_total",
    "Completions requested from the 0G compute client.",
    ["model", "operation"],
)
DURATION = Histogram(
    "zerog_compute_request_duration_seconds",
    "Time from the request to the end of the answer (streams included).",
    ["model", "operation", "success"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300),
)
TOKENS = Counter(
    "zerog_compute_tokens_used_total",
    "Prompt plus completion tokens reported by providers.",
    ["model"],
)
ERRORS = Counter(
    "zerog_compute_request_errors_total",
    "Failed provider attempts and completions, by error type "
    "(connection, timeout, deadline, http_<status>, insufficient_balance, session_rejected, breaker_open, "
    "malformed, stream_truncated, stream_broken, stream_error, answer_too_long, first_byte_timeout, "
    "idle_timeout, incomplete, fallback, chain, tx_reverted, other).",
    ["model", "error_type"],
)
BREAKER_STATE = Gauge(
    "zerog_compute_breaker_state",
    "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.",
    ["provider"],
    multiprocess_mode="livemax",  # serve --workers N: the most open breaker of the live workers
)
VERIFICATIONS = Counter(
    "zerog_compute_verifications_total",
    "TEE signature checks of answers, by outcome (verified, unverified_service, failed, unavailable).",
    ["outcome"],
)
TOPUPS = Counter(
    "zerog_compute_topups_total",
    "Sub-account top-up transactions, by result (sent, failed).",
    ["provider", "result"],
)

#: The callers' operations (``CompletionOptions.operation``).
OPERATIONS = ("chat", "summary", "digest", "narrative")
#: Error types every deployment may meet; others (``http_<status>``...) appear at their first event.
COMMON_ERRORS = ("connection", "timeout", "breaker_open", "incomplete", "deadline", "fallback")
VERIFICATION_OUTCOMES = ("verified", "unverified_service", "failed", "unavailable")


def prime(model: str) -> None:
    """Every series of ``model`` that rules and dashboards read, at 0 from the start (docs/scaling.md): with none,
    a rate over a family no request has touched yet is no data, not 0, and the error-ratio rules, their burn-rate
    alerts and the dashboard's compute panels stayed empty (an operator's tester). Also when no provider is
    configured: the process then asks none, and its compute figures are truly 0."""
    TOKENS.labels(model)
    for operation in OPERATIONS:
        REQUESTS.labels(model, operation)
        for success in ("true", "false"):
            DURATION.labels(model, operation, success)
    for kind in COMMON_ERRORS:
        ERRORS.labels(model, kind)
    for outcome in VERIFICATION_OUTCOMES:
        VERIFICATIONS.labels(outcome)
