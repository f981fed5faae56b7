"""Through the RPC: a foreign amount that comes in on the day its currency's first exchange rate
arrives is counted once, as the flow that brought it (it used to enter the valuation as well, like
an amount held before any rate: a fake loss in the TWR, a phantom inflow in the money-weighted
return, a currency effect where no rate moved). The tester's repros, by ledger and by imported
snapshots."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    evening,
    flow,
    holding,
    metric,
    name,
    new_user,
    pdate,
    price_points,
    record,
    stub,
    summary,
)
from tests.support.server import running_server

#: Mon 12 .. Wed 14 February 2024; JPY's first rate is on Tuesday.
DAYS = [date(2024, 2, 12), date(2024, 2, 13), date(2024, 2, 14)]


async def _jpy_rates(srv) -> None:  # type: ignore[no-untyped-def]
    await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
        portfolio_pb2.ExchangeRate(base_currency="JPY", quote_currency="USD", date=pdate(d), rate="0.0067")
        for d in DAYS[1:]]), metadata=srv.auth(service="market-data"), timeout=10)


async def _history(srv, user: str) -> portfolio_pb2.GetPerformanceHistoryResponse:  # type: ignore[no-untyped-def]
    req = portfolio_pb2.GetPerformanceHistoryRequest(portfolio=name(user), range=portfolio_pb2.PERFORMANCE_RANGE_ALL)
    return await stub(srv).GetPerformanceHistory(req, metadata=srv.auth(user), timeout=10)


def _figures(s: portfolio_pb2.PortfolioSummary) -> tuple[object, object, object, object]:
    return (metric(s.risk.time_weighted_return), metric(s.money_weighted_return), metric(s.local_return),
            metric(s.currency_effect))


async def test_a_jpy_deposit_on_the_first_jpy_rate_day_is_no_loss(db_dsn: str, data_dir: Path) -> None:
    """10,000 USD in and 10 AAA at 100 on Monday, 100,000 JPY deposited on Tuesday (first JPY rate,
    0.0067), AAA flat: value 10,670, net flow 670 on Tuesday, and every return 0 (it was TWR -6.7 %,
    MWR -99.999 %, currency effect -6.7 %)."""
    clock = FrozenClock(evening(DAYS[-1]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await record(srv, price_points({"FRE1": [(d, "100") for d in DAYS]}))
        await _jpy_rates(srv)
        T = portfolio_pb2.Transaction
        txs = [
            T(type=portfolio_pb2.TRANSACTION_TYPE_DEPOSIT, trade_date=pdate(DAYS[0]), amount="10000", client_id="a"),
            T(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(DAYS[0]), symbol="FRE1", quantity="10",
              price="100", client_id="b"),
            T(type=portfolio_pb2.TRANSACTION_TYPE_DEPOSIT, trade_date=pdate(DAYS[1]), amount="100000",
              currency="JPY", client_id="c"),
        ]
        await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=txs, base_currency="USD"), metadata=srv.auth(user), timeout=10)
        s = await summary(srv, user)
        assert Decimal(s.total_value) == 10670, s.total_value
        assert _figures(s) == pytest.approx((0.0, 0.0, 0.0, 0.0), abs=1e-9), _figures(s)
        assert list(s.missing_exchange_rates) == []
        h = await _history(srv, user)
        assert [Decimal(p.value) for p in h.points] == [10000, 10670, 10670], [p.value for p in h.points]
        assert [float(p.net_flow) for p in h.points] == [10000.0, 670.0, 0.0]
        assert [p.cumulative_return for p in h.points] == pytest.approx([0.0] * 3, abs=1e-12)
        assert [p.local_cumulative_return for p in h.points] == pytest.approx([0.0] * 3, abs=1e-12)


async def test_an_imported_snapshot_adding_a_jpy_stock_on_its_first_rate_day_is_no_loss(
    db_dsn: str, data_dir: Path
) -> None:
    """Monday's snapshot: 10 AAA and 9,000 USD (10,000 deposited); Tuesday's adds 100 TOY (JPY, first
    close 1,000 and first JPY rate both on Tuesday) with a 670 USD deposit. TWR and local 0 (both
    were -6.7 %)."""
    clock = FrozenClock(evening(DAYS[-1]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await record(srv, price_points({"FRE2": [(d, "100") for d in DAYS]}))
        await record(srv, price_points({"FRETOY": [(d, "1000") for d in DAYS[1:]]}, currency="JPY"))
        await _jpy_rates(srv)
        aaa = holding("FRE2", "10", "100")
        req = portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user), base_currency="USD", snapshots=[
            portfolio_pb2.DatedHoldings(effective_date=pdate(DAYS[0]), positions=[aaa], cash_balance="9000"),
            portfolio_pb2.DatedHoldings(effective_date=pdate(DAYS[1]), cash_balance="9000", positions=[
                aaa, holding("FRETOY", "100", "1000", currency="JPY")]),
        ], cash_flows=[flow("deposit", "10000", DAYS[0], "f1"), flow("deposit", "670", DAYS[1], "f2")])
        await stub(srv).ImportHoldingsHistory(req, metadata=srv.auth(user), timeout=30)
        s = await summary(srv, user)
        assert Decimal(s.total_value) == 10670, s.total_value
        assert _figures(s) == pytest.approx((0.0, 0.0, 0.0, 0.0), abs=1e-9), _figures(s)
        h = await _history(srv, user)
        assert [p.cumulative_return for p in h.points] == pytest.approx([0.0] * 3, abs=1e-12)
        assert [p.local_cumulative_return for p in h.points] == pytest.approx([0.0] * 3, abs=1e-12)
