"""Helpers for PortfolioSummaryService tests: build requests, drive a frozen clock, read errors."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import psycopg
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.wiring.importer import import_transactions
from tests.support.server import RunningServer

NY = ZoneInfo("America/New_York")


def evening(day: date) -> datetime:
    """18:00 New York time on ``day``: after the close, so that day's bar is not in the future."""
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=NY).astimezone(UTC)


def trading_days(start: date, count: int) -> list[date]:
    """``count`` weekdays from ``start`` (inclusive)."""
    out: list[date] = []
    d = start
    while len(out) < count:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def new_user() -> str:
    return str(uuid.uuid4())


def name(user: str) -> str:
    return f"users/{user}/portfolio"


def stub(srv: RunningServer) -> portfolio_pb2_grpc.PortfolioSummaryServiceStub:
    return portfolio_pb2_grpc.PortfolioSummaryServiceStub(srv.channel)


def pdate(d: date) -> common_pb2.Date:
    return common_pb2.Date(year=d.year, month=d.month, day=d.day)


def holding(
    symbol: str,
    quantity: str,
    average_cost: str = "",
    *,
    sector: str = "",
    basket: str = "",
    currency: str = "",
    tags: Sequence[str] = (),
    asset_class: int = portfolio_pb2.ASSET_CLASS_EQUITY,
) -> portfolio_pb2.Holding:
    return portfolio_pb2.Holding(symbol=symbol, quantity=quantity, average_cost=average_cost, sector=sector,
                                 basket=basket, currency=currency, tags=list(tags), asset_class=asset_class)  # type: ignore[arg-type]


def flow(kind: str, amount: str, on: date, flow_id: str = "") -> portfolio_pb2.CashFlow:
    t = portfolio_pb2.CASH_FLOW_TYPE_DEPOSIT if kind == "deposit" else portfolio_pb2.CASH_FLOW_TYPE_WITHDRAWAL
    return portfolio_pb2.CashFlow(id=flow_id, type=t, amount=amount, occur_date=pdate(on))


def price_points(series: Mapping[str, Iterable[tuple[date, Decimal | str]]], currency: str = "USD"
                 ) -> list[portfolio_pb2.PricePoint]:
    points = []
    for symbol, rows in series.items():
        for d, close in rows:
            points.append(portfolio_pb2.PricePoint(symbol=symbol, date=pdate(d), close=str(close), currency=currency))
    return points


async def sync(
    srv: RunningServer,
    user: str,
    positions: Sequence[portfolio_pb2.Holding],
    *,
    cash: str = "0",
    flows: Sequence[portfolio_pb2.CashFlow] = (),
    request_id: str = "",
    as_user: str | None = None,
) -> portfolio_pb2.SyncPortfolioResponse:
    md = srv.auth(as_user or user)
    req = portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), positions=list(positions), cash_balance=cash,
                                             cash_flows=list(flows), request_id=request_id)
    return await stub(srv).SyncPortfolio(req, metadata=md, timeout=10)


async def record(
    srv: RunningServer, points: Sequence[portfolio_pb2.PricePoint], request_id: str = ""
) -> portfolio_pb2.RecordPricesResponse:
    req = portfolio_pb2.RecordPricesRequest(points=list(points), request_id=request_id)
    return await stub(srv).RecordPrices(req, metadata=srv.auth(service="market-data"), timeout=30)


def transaction(kind: str, day: date, **fields: str) -> portfolio_pb2.Transaction:
    """A ``TRANSACTION_TYPE_{kind}`` transaction traded on ``day``."""
    return portfolio_pb2.Transaction(type=getattr(portfolio_pb2, f"TRANSACTION_TYPE_{kind}"),
                                     trade_date=pdate(day), **fields)


async def create_transactions(
    srv: RunningServer, user: str, rows: Sequence[portfolio_pb2.Transaction], base: str = ""
) -> portfolio_pb2.BatchCreateTransactionsResponse:
    """``BatchCreateTransactions`` of ``rows`` as ``user`` (``base``: the request's base currency)."""
    return await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
        parent=name(user), transactions=list(rows), base_currency=base), metadata=srv.auth(user), timeout=10)


async def summary(srv: RunningServer, user: str, *, as_user: str | None = None) -> portfolio_pb2.PortfolioSummary:
    req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user))
    return await stub(srv).GetPortfolioSummary(req, metadata=srv.auth(as_user or user), timeout=10)


def price_path(start: Decimal, returns: Sequence[float], places: int = 12) -> list[Decimal]:
    """Prices P_0 = start, P_t = P_{t-1} (1 + r_t), each rounded to ``places`` decimals (what is sent)."""
    q = Decimal(1).scaleb(-places)
    out = [start]
    for r in returns:
        out.append((out[-1] * (Decimal(1) + Decimal(repr(float(r))))).quantize(q))
    return out


def error_details(
    err: grpc.aio.AioRpcError, *, reasons: bool = False
) -> tuple[error_details_pb2.ErrorInfo, list[tuple[str, str]]]:
    """The ErrorInfo and every (field, description) of the BadRequest; (field, reason) with ``reasons``."""
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None, "no google.rpc.Status in the trailers"
    info = error_details_pb2.ErrorInfo()
    violations: list[tuple[str, str]] = []
    for d in st.details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            d.Unpack(info)
        elif d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            br = error_details_pb2.BadRequest()
            d.Unpack(br)
            violations.extend((v.field, v.reason if reasons else v.description) for v in br.field_violations)
    return info, violations


def retry_delay(err: grpc.aio.AioRpcError) -> float:
    """The seconds of the error's google.rpc.RetryInfo (an AssertionError when it has none)."""
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None
    for d in st.details:
        if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            d.Unpack(info)
            return info.retry_delay.ToTimedelta().total_seconds()
    raise AssertionError("no RetryInfo")


def metric(m: common_pb2.Metric) -> float | str:
    """The value, or the reason's short name when absent."""
    if m.HasField("value"):
        return m.value
    return common_pb2.MetricUnavailableReason.Name(m.reason).removeprefix("METRIC_UNAVAILABLE_REASON_")


async def lock_waiters(conn: psycopg.AsyncConnection[Any], count: int, tries: int = 1200) -> None:
    """Until ``count`` other backends of this (per-test) database wait on a lock (25 ms between looks)."""
    for _ in range(tries):
        cur = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")
        row = await cur.fetchone()
        assert row is not None
        if row[0] >= count:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"{count} calls never waited for the portfolio row")


async def run_import(cfg: object, user: str, text: str, **kw: object) -> tuple[int, str, str]:
    """``stack-cfo import-transactions`` of ``text``: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = await import_transactions(cfg, user, text, out=out, err=err, **kw)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


async def listed_transactions(srv: RunningServer, user: str) -> list[portfolio_pb2.Transaction]:
    resp = await stub(srv).ListTransactions(
        portfolio_pb2.ListTransactionsRequest(parent=name(user)), metadata=srv.auth(user), timeout=10)
    return list(resp.transactions)
