"""The per-user daily token budget (UTC days) and the retry time when it is spent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from stack_cfo.core.ai.budget import usage_day
from stack_cfo.core.chat.settings import ChatSettings
from stack_cfo.core.errors import ResourceExhausted

__all__ = ["DEFAULT_ANSWER_TOKENS", "RESERVED_RETRY", "check_budget", "turn_reservation", "until_next_day",
           "usage_day"]

DEFAULT_ANSWER_TOKENS = 4096
"""The completion cap assumed when ``chat.max_answer_tokens`` is unset (the default of
``zerog.compute.model_config.max_tokens``, which the compute client then applies)."""

RESERVED_RETRY = timedelta(seconds=5)
"""Retry time of a turn refused while the rest of the budget is reserved by turns in flight: they
finish (or their reservations expire with their leases) within seconds, not at midnight."""


def until_next_day(now: datetime) -> timedelta:
    """Time until the budget resets (next UTC midnight), at least one second."""
    now = now.astimezone(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
    return max(timedelta(seconds=1), midnight - now)


def turn_reservation(settings: ChatSettings) -> int:
    """The tokens a turn reserves of its user's budget when it is admitted (0 without a budget):
    its largest prompt (``chat.prompt_budget_tokens``, as the prompt builder estimates tokens)
    plus its completion cap. It is held until the turn's usage replaces it, so turns in flight
    see each other's; the overshoot is then bounded by one turn, plus the estimate's error."""
    if settings.daily_token_budget <= 0:
        return 0
    answer = settings.max_answer_tokens if settings.max_answer_tokens is not None else DEFAULT_ANSWER_TOKENS
    return settings.prompt_budget_tokens + answer


def _whole_seconds(delay: timedelta) -> timedelta:
    return timedelta(seconds=int(delay.total_seconds()) + (1 if delay.microseconds else 0))


def check_budget(used: int, budget: int, now: datetime, reserved: int = 0) -> None:
    """RESOURCE_EXHAUSTED (TOKEN_BUDGET_EXHAUSTED, RetryInfo) when ``used`` reached ``budget``,
    or when ``used`` plus ``reserved`` (what the user's other turns in flight reserved) did.

    ``budget`` 0 means unlimited. The check runs before a turn: one turn may overshoot the
    budget by its own size, the next one is refused; turns in flight hold their estimate, so
    concurrent turns do not multiply the overshoot. Refused for reservations, the retry time
    is :data:`RESERVED_RETRY` (the budget is not spent yet), else the next UTC midnight.
    """
    if budget <= 0 or used + max(0, reserved) < budget:
        return
    metadata: dict[str, object] = {"budget_tokens": budget, "used_tokens": used, "day": usage_day(now).isoformat()}
    if used >= budget:
        raise ResourceExhausted(
            f"daily token budget of {budget} tokens is spent; it resets at 00:00 UTC",
            retry_after=_whole_seconds(until_next_day(now)),
            reason="TOKEN_BUDGET_EXHAUSTED",
            metadata=metadata,
        )
    raise ResourceExhausted(
        f"the rest of the daily token budget of {budget} tokens is reserved by answers still in progress;"
        " retry when they have finished",
        retry_after=_whole_seconds(min(RESERVED_RETRY, until_next_day(now))),
        reason="TOKEN_BUDGET_EXHAUSTED",
        metadata=metadata | {"reserved_tokens": reserved},
    )
