"""Prometheus metrics of the 0G Storage backend, on the default registry.

Labels are bounded: ``operation`` is ``upload`` or ``download``, ``direction`` ``up`` or
``down``, ``error_type`` one of :data:`ERROR_TYPES`. Roots, users and sessions never become labels.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ERROR_TYPES = (
    "not_found",
    "pruned",
    "not_finalized",
    "corrupted",
    "reverted",
    "chain_unavailable",
    "storage_unavailable",
    "rejected",
    "breaker_open",
    "invalid",
    "no_wallet",
    "insufficient_funds",
    "other",
)

UPLOADS = Counter("zerog_storage_uploads_total", "Archive uploads to 0G Storage that were started.")
DOWNLOADS = Counter("zerog_storage_downloads_total", "Archive downloads from 0G Storage that were started.")
BYTES = Counter(
    "zerog_storage_bytes_total",
    "Bytes of archives moved successfully (up: finalized uploads, down: verified downloads).",
    ["direction"],
)
FAILURES = Counter(
    "zerog_storage_failures_total",
    "Uploads and downloads that ended in an error, by error type.",
    ["operation", "error_type"],
)
DURATION = Histogram(
    "zerog_storage_duration_seconds",
    "Time of one upload (submission to finality) or download (request to verified bytes).",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
