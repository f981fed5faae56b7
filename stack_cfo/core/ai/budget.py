"""Each user's daily AI token budget (``chat.daily_token_budget``), on UTC days.

Chat turns check it inside their first transaction (:mod:`stack_cfo.core.chat.budget`). Every
other AI text a user asks for (the narrative of ``StreamPortfolioSummary``) spends from the same
budget through :class:`DailyTokenBudget`: once it is spent, the text comes from the deterministic
writer (``degraded_reason`` ``TOKEN_BUDGET_EXHAUSTED``) instead of a paid request, until 00:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol

from stack_cfo.core.clock import Clock


def usage_day(now: datetime) -> date:
    """The UTC calendar day a token spent at ``now`` is booked on."""
    return now.astimezone(UTC).date()


class TokenLedger(Protocol):
    """The tokens each user spent per UTC day (the store's ``chat_token_usage``)."""

    async def daily_tokens(self, user_id: str, day: date) -> int: ...

    async def add_daily_tokens(self, user_id: str, day: date, tokens: int) -> None: ...


class DailyTokenBudget:
    """``budget`` tokens a UTC day per user (0: unlimited), booked in ``ledger``."""

    def __init__(self, ledger: TokenLedger, budget: int, clock: Clock) -> None:
        self._ledger = ledger
        self.budget = budget
        self._clock = clock

    async def spent(self, user_id: str) -> bool:
        """True when ``user_id`` has used the whole day's budget. Like a chat turn, the text that
        crosses the budget is still written; the next one is not."""
        if self.budget <= 0:
            return False
        return await self._ledger.daily_tokens(user_id, usage_day(self._clock.now())) >= self.budget

    async def charge(self, user_id: str, tokens: int) -> None:
        if tokens > 0:
            await self._ledger.add_daily_tokens(user_id, usage_day(self._clock.now()), tokens)
