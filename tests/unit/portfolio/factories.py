"""Builders for portfolio-core tests: trading calendars, price series from returns, portfolios."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

from stack_cfo.core.portfolio import (
    CashFlow,
    Holdings,
    HoldingsSnapshot,
    PortfolioInputs,
    Position,
    PricePoint,
    PriceSeries,
)

NY = ZoneInfo("America/New_York")
D = Decimal


def weekdays(start: date, n: int) -> list[date]:
    """``n`` consecutive Monday-Friday dates from ``start`` (inclusive when it is a weekday)."""
    out: list[date] = []
    d = start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def after_close(day: date, hour: int = 17) -> datetime:
    """An aware instant on ``day`` after the New York close."""
    return datetime.combine(day, time(hour), tzinfo=NY)


def prices_from_returns(start_price: float, returns: Sequence[float]) -> list[Decimal]:
    """Closes whose simple returns are ``returns`` (to float precision), as exact Decimals."""
    closes = [start_price]
    for r in returns:
        closes.append(closes[-1] * (1.0 + r))
    return [Decimal(repr(c)) for c in closes]


def series(symbol: str, days: Sequence[date], closes: Sequence[Decimal | str | float], **kw: object) -> PriceSeries:
    return PriceSeries(symbol, tuple(days), tuple(D(str(c)) for c in closes), **kw)  # type: ignore[arg-type]


def position(symbol: str, qty: str | int, cost: str | None = None, **kw: object) -> Position:
    return Position(symbol=symbol, quantity=D(str(qty)), average_cost=None if cost is None else D(cost), **kw)  # type: ignore[arg-type]


def holdings(positions: Iterable[Position], cash: str | int = 0, *, at: datetime | None = None) -> Holdings:
    return Holdings(
        user="users/u1",
        base_currency="USD",
        cash=D(str(cash)),
        positions=tuple(positions),
        as_of=at or datetime(2024, 1, 1, tzinfo=UTC),
    )


def snapshot(effective: date, positions: Iterable[Position], cash: str | int = 0) -> HoldingsSnapshot:
    return HoldingsSnapshot(effective, holdings(positions, cash, at=after_close(effective)))


def single_asset_inputs(
    returns: Sequence[float],
    *,
    start: date = date(2023, 1, 2),
    qty: str = "10",
    start_price: float = 100.0,
    cash: str = "0",
    benchmark_returns: Sequence[float] | None = None,
    flows: Sequence[CashFlow] = (),
) -> tuple[PortfolioInputs, list[date]]:
    """One position whose price follows ``returns`` (so the TWR equals them), optional benchmark."""
    days = weekdays(start, len(returns) + 1)
    prices = {"AAA": series("AAA", days, prices_from_returns(start_price, returns))}
    bench = None
    if benchmark_returns is not None:
        bench = series("SPY", days, prices_from_returns(400.0, benchmark_returns))
    inputs = PortfolioInputs(
        holdings=(snapshot(days[0], [position("AAA", qty, "90", sector="Technology")], cash),),
        prices=prices,
        cash_flows=tuple(flows),
        benchmark=bench,
    )
    return inputs, days


def normal_returns(n: int, seed: int = 7, mu: float = 0.0004, sigma: float = 0.011) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(x) for x in rng.normal(mu, sigma, n)]


def quote(symbol: str, at: datetime, close: str, previous_close: str | None = None) -> PricePoint:
    return PricePoint(symbol, at, D(close), None if previous_close is None else D(previous_close))
