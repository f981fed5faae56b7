"""What the service has counted refusing (``stack_cfo_rpc_throttled_total``), read from this process's registry."""

from __future__ import annotations

from prometheus_client import REGISTRY


def throttled(reason: str, call_class: str) -> float:
    """Calls refused so far with ``reason`` (``RATE_LIMITED``, ``WRITE_CPU_BUDGET_EXHAUSTED``...) in ``call_class``."""
    return REGISTRY.get_sample_value("stack_cfo_rpc_throttled_total", {"reason": reason, "class": call_class}) or 0.0
