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
    "(connection, timeout, http_<status>, insufficient_balance, session_rejected, breaker_open, "
    "incomplete, deadline, fallback).",
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
