"""The per-user daily token budget (UTC days) and the retry time when it is spent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from stack_cfo.core.ai.budget import usage_day
from stack_cfo.core.errors import ResourceExhausted

__all__ = ["check_budget", "until_next_day", "usage_day"]


def until_next_day(now: datetime) -> timedelta:
    """Time until the budget resets (next UTC midnight), at least one second."""
    now = now.astimezone(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
    return max(timedelta(seconds=1), midnight - now)


def check_budget(used: int, budget: int, now: datetime) -> None:
    """RESOURCE_EXHAUSTED (TOKEN_BUDGET_EXHAUSTED, RetryInfo) when ``used`` reached ``budget``.

    ``budget`` 0 means unlimited. The check runs before a turn: one turn may overshoot the
    budget by its own size, the next one is refused.
    """
    if budget <= 0 or used < budget:
        return
    retry = until_next_day(now)
    raise ResourceExhausted(
        f"daily token budget of {budget} tokens is spent; it resets at 00:00 UTC",
        retry_after=timedelta(seconds=int(retry.total_seconds()) + (1 if retry.microseconds else 0)),
        reason="TOKEN_BUDGET_EXHAUSTED",
        metadata={"budget_tokens": budget, "used_tokens": used, "day": usage_day(now).isoformat()},
    )
