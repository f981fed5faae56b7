"""Round 9 contract fixes against the real server.

* UpdatePortfolioContext keeps every field of a supplied position (``realized_pnl_amount``,
  ``income_amount``, ``exchange_rate``, ``local_return_percent``, ``currency_effect_percent`` were
  dropped, NaN accepted), and a session's server-built context returns the exchange rate and the
  currency split of GetPortfolioSummary.
* A present Timestamp at 1970-01-01T00:00:00Z is that instant, not "unset": GetPortfolioSummary at the
  epoch is a summary as of then (NO_HOLDINGS_AS_OF), not the live one; a required instant at the epoch
  is read, not MISSING_FIELD.
* IngestNews refuses a publish_time before 1970 (OUT_OF_RANGE, as its contract says); SyncPortfolio and
  ImportHoldingsHistory refuse a cash flow dated before 1970, as they refuse a holdings day then.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    error_details,
    evening,
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
from tests.support.server import RunningServer, running_server

DAYS = trading_days(date(2024, 5, 13), 3)
TODAY = DAYS[-1]
BEFORE_1970 = datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)


def _ts(at: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(at)
    return t


def _epoch() -> Timestamp:
    return Timestamp()  # seconds = nanos = 0: 1970-01-01T00:00:00Z once set on a message


async def _fails(coro: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await coro  # type: ignore[misc]
    return ei.value


def _chat(srv: RunningServer) -> chat_pb2_grpc.ChatServiceStub:
    return chat_pb2_grpc.ChatServiceStub(srv.channel)


async def _session(srv: RunningServer, user: str) -> chat_pb2.Session:
    return await _chat(srv).CreateSession(
        chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="t")),
        metadata=srv.auth(user), timeout=10)


NEW_FIELDS: dict[str, object] = {
    "realized_pnl_amount": "-12.5",
    "income_amount": "3.25",
    "exchange_rate": "1.123456789",
    "local_return_percent": 11.25,
    "currency_effect_percent": -2.5,
}


def _supplied(**fields: object) -> chat_pb2.PortfolioContext:
    pos = portfolio_pb2.PositionSummary(symbol="SAP", quantity="10", currency="EUR", last_price="100",
                                        average_cost="90", market_value="1123.46", weight=1.0, **fields)  # type: ignore[arg-type]
    return chat_pb2.PortfolioContext(base_currency="USD", total_value="1123.46", positions=[pos])


async def test_a_supplied_context_keeps_every_position_field(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(TODAY))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        s = await _session(srv, user)
        chat = _chat(srv)
        got = await chat.UpdatePortfolioContext(
            chat_pb2.UpdatePortfolioContextRequest(name=s.name, portfolio_context=_supplied(**NEW_FIELDS)),
            metadata=srv.auth(service="backend"), timeout=10)
        (p,) = got.portfolio_context.positions
        assert {k: getattr(p, k) for k in NEW_FIELDS} == NEW_FIELDS
        read = await chat.GetSession(chat_pb2.GetSessionRequest(name=s.name), metadata=srv.auth(user), timeout=10)
        (p,) = read.portfolio_context.positions
        assert {k: getattr(p, k) for k in NEW_FIELDS} == NEW_FIELDS

        # refused like `weight` (NaN, infinities, beyond 10^12), naming the field; nothing is stored
        for field, value, reason in [
            ("local_return_percent", math.nan, "OUT_OF_RANGE"),
            ("currency_effect_percent", math.inf, "OUT_OF_RANGE"),
            ("local_return_percent", 1e308, "OUT_OF_RANGE"),
            ("realized_pnl_amount", "1e3", "INVALID_DECIMAL"),
            ("income_amount", "x", "INVALID_DECIMAL"),
            ("exchange_rate", "0", "ZERO_VALUE"),
        ]:
            err = await _fails(chat.UpdatePortfolioContext(
                chat_pb2.UpdatePortfolioContextRequest(name=s.name, portfolio_context=_supplied(**{field: value})),
                metadata=srv.auth(service="backend"), timeout=10))
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (field, err.details())
            info, violations = error_details(err)
            assert info.reason == reason, (field, info)
            assert [v[0] for v in violations] == [f"portfolio_context.positions[0].{field}"]
        read = await chat.GetSession(chat_pb2.GetSessionRequest(name=s.name), metadata=srv.auth(user), timeout=10)
        assert read.portfolio_context.positions[0].local_return_percent == 11.25


async def test_a_sessions_context_has_the_summarys_currency_split(db_dsn: str, data_dir: Path) -> None:
    """10 SAP bought at 90 EUR, at 100 EUR now, with 1 USD = 0.9 EUR (1 EUR = 1.11111111... USD)."""
    clock = FrozenClock(evening(TODAY))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
            portfolio_pb2.ExchangeRate(base_currency="USD", quote_currency="EUR", date=pdate(d), rate="0.9")
            for d in DAYS]), metadata=srv.auth(service="market-data"), timeout=10)
        await record(srv, price_points({"SAP": [(d, "100") for d in DAYS]}, currency="EUR"))
        await sync(srv, user, [holding("SAP", "10", "90", currency="EUR")], cash="0")
        (want,) = (await summary(srv, user)).positions
        assert want.exchange_rate == "1.11111111" and want.HasField("local_return_percent")
        assert want.HasField("currency_effect_percent")

        s = await _session(srv, user)
        (got,) = s.portfolio_context.positions
        assert got.exchange_rate == want.exchange_rate  # at most 8 decimal places, as the summary's
        assert got.local_return_percent == want.local_return_percent
        assert got.currency_effect_percent == want.currency_effect_percent
        # a refresh writes the same
        again = await _chat(srv).UpdatePortfolioContext(chat_pb2.UpdatePortfolioContextRequest(name=s.name),
                                                        metadata=srv.auth(user), timeout=10)
        (got,) = again.portfolio_context.positions
        assert (got.exchange_rate, got.local_return_percent) == (want.exchange_rate, want.local_return_percent)


async def test_a_summary_as_of_the_epoch_is_as_of_then(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(TODAY))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, user, [holding("ABC", "1", "10")], cash="5")
        for at in (BEFORE_1970, datetime(1970, 1, 1, tzinfo=UTC)):
            req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user), as_of_time=_ts(at))
            if at.year == 1970:
                req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user), as_of_time=_epoch())
                assert req.HasField("as_of_time")
            err = await _fails(stub(srv).GetPortfolioSummary(req, metadata=srv.auth(user), timeout=10))
            assert err.code() == grpc.StatusCode.FAILED_PRECONDITION, (at, err.details())
            assert error_details(err)[0].reason == "NO_HOLDINGS_AS_OF"
        # unset: the live summary, as before
        live = await stub(srv).GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user)),
                                                   metadata=srv.auth(user), timeout=10)
        assert live.total_value


def _article(at: Timestamp) -> portfolio_pb2.NewsArticle:
    return portfolio_pb2.NewsArticle(id=str(uuid.uuid4()), source="Reuters", publish_time=at, title="Headline")


async def test_news_before_1970_is_out_of_range(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(TODAY))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        md = srv.auth(service="news")
        err = await _fails(stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(
            articles=[_article(_ts(BEFORE_1970))]), metadata=md, timeout=10))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(err)
        assert info.reason == "OUT_OF_RANGE" and [v[0] for v in violations] == ["articles[0].publish_time"]
        # at the epoch itself: a publish time (it was taken for "unset": MISSING_FIELD)
        done = await stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(articles=[_article(_epoch())]),
                                          metadata=md, timeout=10)
        assert done.inserted_count == 1
        # unset is still missing
        err = await _fails(stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(
            articles=[portfolio_pb2.NewsArticle(id="n", source="Reuters", title="Headline")]), metadata=md, timeout=10))
        assert error_details(err)[0].reason == "MISSING_FIELD"


def _flows() -> list[portfolio_pb2.CashFlow]:
    deposit = portfolio_pb2.CASH_FLOW_TYPE_DEPOSIT
    return [
        portfolio_pb2.CashFlow(id="a", type=deposit, amount="10", occur_date=pdate(date(1969, 12, 31))),
        portfolio_pb2.CashFlow(id="b", type=deposit, amount="10", occur_time=_ts(BEFORE_1970)),
        portfolio_pb2.CashFlow(id="c", type=deposit, amount="10", occur_date=pdate(date(1970, 1, 1))),
    ]


async def test_cash_flows_before_1970_are_refused(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(TODAY))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        md = srv.auth(user)
        err = await _fails(stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), cash_balance="1", cash_flows=_flows()), metadata=md, timeout=10))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(err)
        assert info.reason == "OUT_OF_RANGE"
        assert violations == [("cash_flows[0].occur_date", "must be on or after 1970-01-01"),
                              ("cash_flows[1].occur_time", "must be on or after 1970-01-01T00:00:00Z")]

        err = await _fails(stub(srv).ImportHoldingsHistory(portfolio_pb2.ImportHoldingsHistoryRequest(
            portfolio=name(user), snapshots=[portfolio_pb2.DatedHoldings(effective_date=pdate(DAYS[0]))],
            cash_flows=_flows()), metadata=md, timeout=10))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [v[0] for v in error_details(err)[1]] == ["cash_flows[0].occur_date", "cash_flows[1].occur_time"]

        # on or after the epoch: recorded (a flow at the epoch instant was MISSING_FIELD)
        at_epoch = portfolio_pb2.CashFlow(id="d", type=portfolio_pb2.CASH_FLOW_TYPE_DEPOSIT, amount="10",
                                          occur_time=_epoch())
        assert at_epoch.HasField("occur_time")
        done = await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), cash_balance="1", cash_flows=[_flows()[2], at_epoch]), metadata=md, timeout=10)
        assert done.recorded_flow_count == 2
