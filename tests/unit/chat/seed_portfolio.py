"""The seed's example, "why is my tech basket underperforming this week?", as a portfolio through
the real analytics core: a Tech basket that lost 3.24 % in a week when SPY gained 1 %.

As of Friday 6 March 2026 after the New York close, with closes on 31 Dec 2025 (last of the
previous year), 6 Feb (a month before), 27 Feb (a week before), 5 Mar and 6 Mar:

========  ====  ======  ======  ======  ======  ======  ===================
symbol    qty   31 Dec  6 Feb   27 Feb  5 Mar   6 Mar   basket / sector
========  ====  ======  ======  ======  ======  ======  ===================
NVDA      10    100     120     200     190     180     Tech / Technology
AAPL      20    150     160     170     171     170     Tech / Technology
MSFT      5     400     380     400     396     392     Tech / Technology
XOM       10    100     100     100     100     102     - / Energy
SPY       -     500     510     520     522     525.2   benchmark
========  ====  ======  ======  ======  ======  ======  ===================

Cash 2,000. Values now: NVDA 1,800, AAPL 3,400, MSFT 1,960, XOM 1,020; invested 8,180; total 10,180.
Tech over the week: 7,400 -> 7,160, -240 (-3.2432 %); NVDA contributes -200 / 7,400 (-2.7027
points), AAPL 0, MSFT -40 / 7,400 (-0.5405 points); SPY +1 %.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from stack_cfo.core.chat.models import PortfolioContext
from stack_cfo.core.chat.portfolio_context import context_from_view
from stack_cfo.core.portfolio import AnalyticsSettings, Holdings, HoldingsSnapshot, PortfolioInputs, compute_summary
from stack_cfo.core.portfolio.ports import StoredPortfolio
from stack_cfo.core.portfolio.views import build_view
from tests.unit.portfolio.factories import NY, position, series

DAYS = [date(2025, 12, 31), date(2026, 2, 6), date(2026, 2, 27), date(2026, 3, 5), date(2026, 3, 6)]
AS_OF = datetime.combine(DAYS[-1], time(17), tzinfo=NY)
NOW = AS_OF.astimezone(UTC)
CLOSES = {
    "NVDA": ["100", "120", "200", "190", "180"],
    "AAPL": ["150", "160", "170", "171", "170"],
    "MSFT": ["400", "380", "400", "396", "392"],
    "XOM": ["100", "100", "100", "100", "102"],
    "SPY": ["500", "510", "520", "522", "525.2"],
}


def seed_context() -> PortfolioContext:
    positions = (
        position("NVDA", 10, "90", sector="Technology", basket="Tech"),
        position("AAPL", 20, "120", sector="Technology", basket="Tech"),
        position("MSFT", 5, "300", sector="Technology", basket="Tech"),
        position("XOM", 10, "95", sector="Energy"),
    )
    snap = HoldingsSnapshot(
        DAYS[0],
        Holdings(user="u1", base_currency="USD", cash=Decimal(2000), positions=positions,
                 as_of=datetime.combine(DAYS[0], time(17), tzinfo=NY)),
    )
    prices = {s: series(s, DAYS, closes) for s, closes in CLOSES.items()}
    summary = compute_summary(
        PortfolioInputs(holdings=(snap,), prices=prices), as_of=AS_OF, settings=AnalyticsSettings(min_history=0)
    )
    view = build_view("u1", summary, StoredPortfolio("u1", "USD", (snap,), ()))
    return context_from_view(view, taken_at=NOW)
