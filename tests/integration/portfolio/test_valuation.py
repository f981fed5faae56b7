"""Values and returns through the RPC: exact position arithmetic, time-weighted returns with deposits
and withdrawals, performance history, as-of reads, intraday quotes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    error_details,
    evening,
    flow,
    holding,
    name,
    new_user,
    pdate,
    price_points,
    record,
    stub,
    summary,
    sync,
    trading_days,
)
from tests.support.server import running_server

D = Decimal
DAYS = trading_days(date(2024, 1, 2), 10)  # Tue 2 Jan ... Mon 15 Jan 2024
ABC = [D(p) for p in ("100", "102", "110", "108", "115", "112", "118", "120", "117", "121")]
SPY = [D(p) for p in ("470", "471", "469", "472", "475", "474", "476", "478", "477", "480")]


async def _history(srv, user: str, **window) -> portfolio_pb2.GetPerformanceHistoryResponse:  # type: ignore[no-untyped-def]
    req = portfolio_pb2.GetPerformanceHistoryRequest(portfolio=name(user), **window)
    return await stub(srv).GetPerformanceHistory(req, metadata=srv.auth(user), timeout=10)


def _as_date(d: common_pb2.Date) -> date:
    return date(d.year, d.month, d.day)


async def test_deposits_and_withdrawals_are_not_returns(db_dsn: str, data_dir: Path) -> None:
    """Fully invested in ABC throughout: the TWR is ABC's price return (+21 %), whatever was paid in or out."""
    clock = FrozenClock(evening(DAYS[0]))
    invested, with_cash = new_user(), new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, invested, [holding("ABC", "10", "100")], flows=[flow("deposit", "1000", DAYS[0], "F0")])
        await sync(srv, with_cash, [holding("ABC", "10", "100")], cash="0")
        clock.set(evening(DAYS[2]))  # deposit 550, buy 5 more at 110
        await sync(srv, invested, [holding("ABC", "15", "103.34")], flows=[flow("deposit", "550", DAYS[2], "F1")])
        await sync(srv, with_cash, [holding("ABC", "10", "100")], cash="550", flows=[flow("deposit", "550", DAYS[2])])
        clock.set(evening(DAYS[5]))  # sell 3 at 112 and withdraw the proceeds / buy 5 on margin
        await sync(srv, invested, [holding("ABC", "12", "103.34")], flows=[flow("withdrawal", "336", DAYS[5], "F2")])
        await sync(srv, with_cash, [holding("ABC", "15", "104")], cash="-10")
        clock.set(evening(DAYS[7]))
        await sync(srv, with_cash, [holding("ABC", "15", "104")], cash="-210",
                   flows=[flow("withdrawal", "200", DAYS[7])])
        clock.set(evening(DAYS[-1]))
        await record(srv, price_points({"ABC": zip(DAYS, ABC, strict=True), "SPY": zip(DAYS, SPY, strict=True)}))

        s = await summary(srv, invested)
        assert s.total_value == "1452"  # 12 x 121: value grew by 452 while only 214 of it is gain
        assert s.risk.time_weighted_return.value == pytest.approx(0.21, abs=1e-12)
        hist = await _history(srv, invested, range=portfolio_pb2.PERFORMANCE_RANGE_ALL)
        assert [_as_date(p.date) for p in hist.points] == DAYS
        assert [p.value for p in hist.points] == [str(q * p) for q, p in zip(
            [10, 10, 15, 15, 15, 12, 12, 12, 12, 12], ABC, strict=True)]
        assert [p.net_flow for p in hist.points] == ["1000", "0", "550", "0", "0", "-336", "0", "0", "0", "0"]
        for p, price in zip(hist.points, ABC, strict=True):
            assert p.cumulative_return == pytest.approx(float(price / ABC[0] - 1), abs=1e-12)
        assert hist.points[3].drawdown == pytest.approx(108 / 110 - 1, abs=1e-12)
        assert hist.points[-1].benchmark_cumulative_return == pytest.approx(480 / 470 - 1, abs=1e-12)
        assert (_as_date(hist.dates.start_date), _as_date(hist.dates.end_date)) == (DAYS[0], DAYS[-1])
        assert (hist.base_currency, hist.benchmark_symbol) == ("USD", "SPY")

        # Cash held beside the stock: an independent end-of-day-flow TWR over the same holdings.
        qty = [10, 10, 10, 10, 10, 15, 15, 15, 15, 15]
        cash = [D(0), D(0), D(550), D(550), D(550), D(-10), D(-10), D(-210), D(-210), D(-210)]
        flows = [D(0), D(0), D(550), D(0), D(0), D(0), D(0), D(-200), D(0), D(0)]
        values = [q * p + c for q, p, c in zip(qty, ABC, cash, strict=True)]
        growth = 1.0
        for i in range(1, len(values)):
            growth *= float((values[i] - flows[i]) / values[i - 1])
        s2 = await summary(srv, with_cash)
        assert s2.risk.time_weighted_return.value == pytest.approx(growth - 1, abs=1e-12)
        hist2 = await _history(srv, with_cash, range=portfolio_pb2.PERFORMANCE_RANGE_ALL)
        assert [D(p.value) for p in hist2.points] == values

        weekly = await _history(srv, invested, range=portfolio_pb2.PERFORMANCE_RANGE_ALL,
                                interval=portfolio_pb2.HISTORY_INTERVAL_WEEKLY)
        # one point per ISO week: the base point stands for its own (first) week
        assert [_as_date(p.date) for p in weekly.points] == [DAYS[0], DAYS[8], DAYS[9]]
        assert [p.net_flow for p in weekly.points] == ["1000", "214", "0"]
        assert weekly.interval == portfolio_pb2.HISTORY_INTERVAL_WEEKLY
        window = await _history(srv, invested, dates=common_pb2.DateRange(start_date=pdate(DAYS[4]),
                                                                          end_date=pdate(DAYS[6])))
        assert [_as_date(p.date) for p in window.points] == DAYS[4:7]
        assert window.points[0].cumulative_return == 0
        assert window.points[-1].cumulative_return == pytest.approx(118 / 115 - 1, abs=1e-12)
        one_week = await _history(srv, invested, range=portfolio_pb2.PERFORMANCE_RANGE_ONE_WEEK)
        assert _as_date(one_week.points[0].date) == DAYS[4]  # anchor: last close on or before 8 Jan

        for bad, reason, field in (
            ({"dates": common_pb2.DateRange(start_date=pdate(DAYS[5]), end_date=pdate(DAYS[1]))},
             "INVALID_DATE_RANGE", "dates"),
            ({"dates": common_pb2.DateRange(start_date=pdate(DAYS[5]), end_date=pdate(DAYS[-1] + timedelta(days=5)))},
             "FUTURE_DATE", "dates.end_date"),
            ({}, "MISSING_FIELD", "range"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await _history(srv, invested, **bad)
            info, violations = error_details(ei.value)
            assert (ei.value.code(), info.reason, violations[0][0]) == (
                grpc.StatusCode.INVALID_ARGUMENT, reason, field)


async def test_position_arithmetic_is_exact(db_dsn: str, data_dir: Path) -> None:
    d1, d2 = DAYS[0], DAYS[1]
    clock = FrozenClock(evening(d1))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, user, [
            holding("ABC", "3", "33.333", sector="Information Technology", basket="tech basket"),
            holding("XYZ", "0.5", "1999.99", sector="Information Technology", basket="tech basket"),
            holding("NOC", "7", sector=""),
        ], cash="-12.34")
        clock.set(evening(d2))
        points = price_points({"ABC": [(d1, "33.30"), (d2, "33.337")], "NOC": [(d1, "10"), (d2, "10.10")]})
        points += [portfolio_pb2.PricePoint(symbol="XYZ", date=pdate(d2), close="2001.015", previous_close="2000",
                                            currency="USD")]
        await record(srv, points)
        s = await summary(srv, user)

        by = {p.symbol: p for p in s.positions}
        assert [p.symbol for p in s.positions] == ["XYZ", "ABC", "NOC"]  # by market value
        assert (by["ABC"].market_value, by["ABC"].cost_basis, by["ABC"].unrealized_pnl_amount) == (
            "100.011", "99.999", "0.012")
        assert by["ABC"].day_change_amount == "0.111"
        assert (by["XYZ"].market_value, by["XYZ"].cost_basis, by["XYZ"].unrealized_pnl_amount) == (
            "1000.5075", "999.995", "0.5125")
        assert by["XYZ"].day_change_amount == "0.5075"  # against the reported previous close
        assert (by["NOC"].market_value, by["NOC"].cost_basis, by["NOC"].unrealized_pnl_amount) == ("70.70", "", "")
        assert not by["NOC"].HasField("unrealized_pnl_percent")
        assert (by["NOC"].sector, by["NOC"].average_cost, by["ABC"].last_price) == ("Unknown", "", "33.337")
        assert by["XYZ"].quantity == "0.5" and by["ABC"].average_cost == "33.333"

        positions_value = D("100.011") + D("1000.5075") + D("70.70")
        total = positions_value + D("-12.34")
        assert (D(s.positions_value), D(s.total_value), s.cash_balance) == (positions_value, total, "-12.34")
        assert (D(s.cost_basis), D(s.total_return_amount)) == (D("1099.994"), D("0.5245"))
        assert s.total_return_percent == pytest.approx(float(D("0.5245") / D("1099.994") * 100), rel=1e-12)
        day = D("0.111") + D("0.5075") + D("0.70")
        assert D(s.day_change_amount) == day
        assert s.day_change_percent == pytest.approx(float(day / (total - day) * 100), rel=1e-12)
        assert by["XYZ"].weight == pytest.approx(float(D("1000.5075") / total), rel=1e-12)
        assert by["ABC"].unrealized_pnl_percent == pytest.approx(float(D("0.012") / D("99.999") * 100), rel=1e-12)
        assert sum(p.weight for p in s.positions) == pytest.approx(float(positions_value / total), rel=1e-12)

        # Diversification over invested value, with the score formula published in the contract.
        w = {k: v / positions_value for k, v in
             {"XYZ": D("1000.5075"), "ABC": D("100.011"), "NOC": D("70.70")}.items()}
        hhi = sum(float(x) ** 2 for x in w.values())
        tech = float(w["XYZ"] + w["ABC"])
        sector_hhi = tech**2 + float(w["NOC"]) ** 2
        div = s.diversification
        assert div.position_count == 3 and div.largest_symbol == "XYZ" and div.top5_weight == pytest.approx(1.0)
        assert div.position_hhi == pytest.approx(hhi, rel=1e-12)
        assert div.effective_positions == pytest.approx(1 / hhi, rel=1e-12)
        assert [(x.sector, round(x.weight, 12)) for x in div.sector_weights] == [
            ("Information Technology", round(tech, 12)), ("Unknown", round(float(w["NOC"]), 12))]
        p_part = min(max((1 / hhi - 1) / 19, 0), 1)
        s_part = min(max((1 / sector_hhi - 1) / 5, 0), 1)
        assert div.score.value == pytest.approx(round(100 * (0.6 * p_part + 0.4 * s_part), 1))

        (basket,) = s.baskets
        assert (basket.key, list(basket.symbols), basket.market_value) == ("tech basket", ["XYZ", "ABC"], "1100.5185")
        assert (basket.cost_basis, basket.unrealized_pnl_amount, basket.day_change_amount) == (
            "1099.994", "0.5245", "0.6185")
        assert {g.key for g in s.sectors} == {"Information Technology", "Unknown"}
        assert s.insights and any(i.code == "MISSING_COST_BASIS" and "NOC" in i.symbols for i in s.insights)

        # As of the first evening: that day's prices, today's holdings.
        req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user))
        req.as_of_time.FromDatetime(evening(d1))
        past = await stub(srv).GetPortfolioSummary(req, metadata=srv.auth(user), timeout=5)
        assert {p.symbol: p.last_price for p in past.positions} == {"ABC": "33.30", "NOC": "10", "XYZ": ""}
        req.as_of_time.FromDatetime(evening(d2) + timedelta(days=2))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).GetPortfolioSummary(req, metadata=srv.auth(user), timeout=5)
        assert error_details(ei.value)[0].reason == "FUTURE_DATE"

        # An intraday quote newer than the last close values the position from then on.
        clock.set(evening(d2) + timedelta(hours=16))  # next morning, 10:00 New York
        quote = portfolio_pb2.PricePoint(symbol="ABC", close="34", previous_close="33.337", currency="USD")
        quote.time.FromDatetime(clock.now() - timedelta(minutes=1))
        await record(srv, [quote])
        s3 = await summary(srv, user)
        abc = next(p for p in s3.positions if p.symbol == "ABC")
        assert (abc.last_price, abc.market_value, abc.day_change_amount) == ("34", "102", "1.989")
        assert abc.last_price_time.ToDatetime().replace(microsecond=0) == (
            clock.now() - timedelta(minutes=1)).replace(tzinfo=None, microsecond=0)


async def test_an_all_cash_portfolio_has_a_summary(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(DAYS[0]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, user, [], cash="1000.50")
        s = await summary(srv, user)
        hist = await _history(srv, user, range=portfolio_pb2.PERFORMANCE_RANGE_ALL)
    assert (s.total_value, s.positions_value, s.cash_balance, len(s.positions)) == ("1000.50", "0", "1000.50", 0)
    assert s.diversification.position_count == 0
    assert s.diversification.score.reason == common_pb2.METRIC_UNAVAILABLE_REASON_UNDEFINED
    assert s.risk.observation_count == 0 and not s.risk.sharpe.HasField("value")
    assert not s.HasField("total_return_percent")
    # valued on the market's sessions though no bar dates them: a one-point chart of the cash
    assert [(p.value, p.net_flow, p.cumulative_return) for p in hist.points] == [("1000.50", "0", 0.0)]
    assert _as_date(hist.points[0].date) == DAYS[0] and hist.HasField("dates")
