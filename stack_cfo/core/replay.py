"""How each kind of AI text's data document is rebuilt for an as-of replay
(:mod:`stack_cfo.core.provenance.replay`): the same builders the texts were written from, over the
portfolio as it is stored now, as of the receipt's snapshot time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from stack_cfo.core.chat.portfolio_context import context_from_view
from stack_cfo.core.chat.prompt import context_document
from stack_cfo.core.notifications.ai_texts import weekly_document
from stack_cfo.core.notifications.portfolio_facts import PortfolioFacts
from stack_cfo.core.portfolio import PortfolioService, SummaryView, summary_document
from stack_cfo.core.provenance import AiSurface, Receipt
from stack_cfo.core.provenance.replay import Recompute


def recomputers(portfolio: PortfolioService, facts: PortfolioFacts) -> dict[AiSurface, Recompute]:
    async def view(receipt: Receipt) -> SummaryView:
        assert receipt.user_id is not None
        # chat contexts, narratives and digests were all written with the live summary's rule (a
        # close posted that day counts at once): the same rule again, or such a close reads as a change
        # (a new user's first digest was written from the holdings of when it was written, valued at an as-of close
        # before them: the same again, or its replay was refused NO_HOLDINGS_AS_OF)
        return await portfolio.summary(receipt.user_id, receipt.data_as_of, live=True,
                                       holdings_now=receipt.created_at)

    async def chat(receipt: Receipt, then: Mapping[str, Any]) -> Mapping[str, Any]:
        ctx = context_from_view(await view(receipt), taken_at=receipt.data_as_of)
        return context_document(ctx, receipt.created_at)

    async def summary(receipt: Receipt, then: Mapping[str, Any]) -> Mapping[str, Any]:
        if "total_value" not in then:  # written from a reader without a summary document
            return then
        return summary_document((await view(receipt)).summary)

    async def weekly(receipt: Receipt, then: Mapping[str, Any]) -> Mapping[str, Any]:
        week = then.get("week") or {}
        assert receipt.user_id is not None
        try:
            start, end = date.fromisoformat(str(week["week_start"])), date.fromisoformat(str(week["week_end"]))
        except (KeyError, ValueError):
            return then
        found = await facts.weekly_facts(receipt.user_id, start, end)
        return weekly_document(found) if found is not None else {}

    return {
        AiSurface.CHAT_ANSWER: chat,
        AiSurface.PORTFOLIO_NARRATIVE: summary,
        AiSurface.DAILY_DIGEST: summary,
        AiSurface.WEEKLY_SUMMARY: weekly,
    }
