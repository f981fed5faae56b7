"""The deterministic answer used when AI is unavailable: the numbers, plainly, and no advice.

The compute client streams this text (marked ``offline``) when no provider can answer before
the first byte, so a chat turn never hangs on AI and the user's message is never lost.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from stack_cfo.core.chat.models import PortfolioContext

OFFLINE_NOTICE = (
    "The AI assistant is unavailable right now, so this is an automatic summary of your numbers, not AI analysis."
)


def _money(v: Decimal, ccy: str) -> str:
    q = v.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"{q:,.2f} {ccy}".strip()


def _pct(v: float | None) -> str | None:
    return f"{v:+.2f}%" if v is not None else None


def offline_answer(context: PortfolioContext, now: datetime) -> str:
    lines = [OFFLINE_NOTICE]
    if context.is_empty:
        lines.append("There is no portfolio data on file for you yet, so there is not enough data to analyse.")
    else:
        ccy = context.base_currency
        as_of = context.snapshot_time.strftime("%Y-%m-%d %H:%M UTC")
        facts = [f"As of {as_of}"]
        if context.total_value is not None:
            facts.append(f"your portfolio is worth {_money(context.total_value, ccy)}")
        ret = _pct(context.total_return_percent)
        if ret:
            facts.append(f"with an unrealised return of {ret}")
        day = _pct(context.day_change_percent)
        if day:
            facts.append(f"and {day} today")
        lines.append(" ".join(facts) + ".")
        top = sorted(context.positions, key=lambda p: p.market_value or Decimal(0), reverse=True)[:3]
        if top:
            parts = []
            for p in top:
                w = f" ({p.weight * 100:.1f}% of invested value)" if p.weight is not None else ""
                parts.append(f"{p.symbol}{w}")
            lines.append("Largest positions: " + ", ".join(parts) + ".")
    lines.append("Your question is saved; ask again in a moment for an AI answer.")
    return "\n".join(lines)
