"""Data in: SyncPortfolio, RecordPrices and IngestNews — bad input, all-or-nothing, idempotency,
who may write and read what."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
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
)
from tests.support.sealed import user_cipher
from tests.support.server import running_server

TODAY = date(2024, 5, 15)  # a Wednesday


def _rows(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


async def _fails(coro: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await coro
    return ei.value


def _ts(at: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(at)
    return t


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(evening(TODAY))


async def test_every_unreadable_part_of_a_sync_is_named_at_once(
    db_dsn: str, data_dir: Path, clock: FrozenClock
) -> None:
    # a tester: a bad cash balance hid the bad positions and cash flows of the same request (one part per retry)
    from stack_cfo._proto.stack.cfo.v1 import common_pb2

    user = new_user()
    req = portfolio_pb2.SyncPortfolioRequest(
        portfolio=name(user),
        cash_balance="12,5",
        positions=[holding("AAPL", "abc"), holding("MSFT", "5", "NaN")],
        cash_flows=[flow("deposit", "1e3", TODAY)],
        effective_date=common_pb2.Date(year=2024, month=13, day=1),
    )
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        err = await _fails(stub(srv).SyncPortfolio(req, metadata=srv.auth(user), timeout=5))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_details(err)
    assert [v[0] for v in violations] == [
        "cash_balance", "positions[0].quantity", "positions[1].average_cost", "cash_flows[0].amount", "effective_date"]
    assert info.reason == "INVALID_DECIMAL"  # the first one's
    assert info.metadata["violation_count"] == "5"


async def test_bad_sync_input_names_the_field_and_writes_nothing(
    db_dsn: str, data_dir: Path, clock: FrozenClock
) -> None:
    user = new_user()
    good = [holding("AAPL", "10", "150"), holding("MSFT", "5", "300")]
    tomorrow_plus = TODAY + timedelta(days=2)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"positions": [*good, holding("XOM", "-5", "100")]}, "positions[2].quantity", "NEGATIVE_QUANTITY"),
        ({"positions": [holding("AAPL", "0")]}, "positions[0].quantity", "NEGATIVE_QUANTITY"),
        ({"positions": [holding("AAPL", "NaN")]}, "positions[0].quantity", "INVALID_DECIMAL"),
        ({"positions": [holding("AAPL", "Infinity")]}, "positions[0].quantity", "INVALID_DECIMAL"),
        ({"positions": [holding("AAPL", "1e3")]}, "positions[0].quantity", "INVALID_DECIMAL"),
        ({"positions": [*good, holding("IBM", "1", "-3")]}, "positions[2].average_cost", "NEGATIVE_PRICE"),
        ({"positions": [*good, holding("aapl", "1")]}, "positions[2].symbol", "DUPLICATE_SYMBOL"),
        ({"positions": [holding("SAP", "1", currency="XYZ")]}, "positions[0].currency", "UNKNOWN_CURRENCY"),
        ({"positions": good, "base_currency": "ABC"}, "base_currency", "UNKNOWN_CURRENCY"),
        ({"positions": good, "cash_balance": "12,5"}, "cash_balance", "INVALID_DECIMAL"),
        ({"positions": good, "cash_flows": [flow("deposit", "100", TODAY), flow("deposit", "5", tomorrow_plus)]},
         "cash_flows[1].occur_date", "FUTURE_DATE"),
        ({"positions": good, "cash_flows": [portfolio_pb2.CashFlow(
            type=portfolio_pb2.CASH_FLOW_TYPE_DEPOSIT, amount="5",
            occur_time=_ts(clock.now() + timedelta(hours=1)))]}, "cash_flows[0].occur_time", "FUTURE_DATE"),
        ({"positions": good, "cash_flows": [portfolio_pb2.CashFlow(amount="5", occur_date=pdate(TODAY))]},
         "cash_flows[0].type", "MISSING_FIELD"),
        ({"positions": good, "request_id": "not-a-uuid"}, "request_id", "INVALID_REQUEST_ID"),
        # holdings days are market days: tomorrow in New York is the future, though Kiritimati has reached it
        ({"positions": good, "effective_date": pdate(TODAY + timedelta(days=1))}, "effective_date", "FUTURE_DATE"),
        ({"positions": good, "cash_flows": [flow("deposit", "5", TODAY + timedelta(days=1))]},
         "cash_flows[0].occur_date", "FUTURE_DATE"),
        ({"positions": good, "cash_flows": [flow("deposit", "5", TODAY, "x" * 1000)]}, "cash_flows[0].id",
         "TEXT_TOO_LONG"),
        # one id, two different flows: the second would be dropped as "already recorded"
        ({"positions": good,
          "cash_flows": [flow("deposit", "100", TODAY, "zz1"), flow("withdrawal", "7", TODAY, "zz1")]},
         "cash_flows[1].id", "DUPLICATE_FLOW_ID"),
    ]
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, user, good, cash="1000", flows=[flow("deposit", "1000", TODAY, "f-1")])
        for fields, field, reason in cases:
            req = portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), **fields)
            err = await _fails(stub(srv).SyncPortfolio(req, metadata=srv.auth(user), timeout=5))
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (field, err.details())
            info, violations = error_details(err)
            assert info.reason == reason, field
            assert info.domain == "stack-cfo"
            assert [v[0] for v in violations] == [field]

        twice = flow("deposit", "3", TODAY, "same")  # the same flow twice in one request counts once
        other = new_user()
        resp = await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(other), positions=good, cash_balance="3", cash_flows=[twice, twice]),
            metadata=srv.auth(other), timeout=5)
        assert (resp.recorded_flow_count, resp.ignored_flow_count) == (1, 1)

        err = await _fails(stub(srv).SyncPortfolio(
            portfolio_pb2.SyncPortfolioRequest(portfolio="users/not-a-uuid/portfolio"), metadata=srv.auth(user)))
        info, violations = error_details(err)
        assert (err.code(), info.reason, violations[0][0]) == (
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "portfolio")

        # The base currency is fixed by the first sync; the check happens inside the write transaction.
        err = await _fails(stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), positions=[holding("SAP", "1")], base_currency="EUR",
            cash_flows=[flow("deposit", "7", TODAY)]), metadata=srv.auth(user)))
        info, violations = error_details(err)
        assert (info.reason, violations[0][0]) == ("CURRENCY_MISMATCH", "base_currency")

    # Nothing of the failed calls reached the database: the first sync is intact.
    # (quantities are sealed: opened as a restored backup would be)
    cipher = await user_cipher(db_dsn, user)
    stored = _rows(db_dsn, "SELECT h.symbol, h.effective_date, h.sealed FROM holdings_history h "
                           "JOIN positions p USING (user_id, symbol) WHERE h.user_id = %s ORDER BY symbol", user)
    assert [(sym, cipher.open_json("holdings_history.sealed", f"{eff.isoformat()}/{sym}", sealed)["q"])
            for sym, eff, sealed in stored] == [("AAPL", "10"), ("MSFT", "5")]
    [(flow_type, on, ext, sealed_amount)] = _rows(
        db_dsn, "SELECT flow_type, occurred_on, external_id, sealed_amount FROM cash_flows WHERE user_id = %s", user)
    assert cipher.open("cash_flows.sealed_amount", f"{flow_type}/{on.isoformat()}/{ext or ''}", sealed_amount) == "1000"
    [(version, sealed_cash, base)] = _rows(db_dsn, "SELECT holdings_version, sealed_cash, base_currency "
                                                   "FROM portfolios WHERE user_id = %s", user)
    (eff,) = {e for _, e, _ in stored}
    assert (version, cipher.open("cash_balance_history.sealed_cash", eff.isoformat(), sealed_cash), base) == (
        1, "1000", "USD")
    assert _rows(db_dsn, "SELECT count(*) FROM holdings_history WHERE user_id = %s", user) == [(2,)]


async def test_bad_price_input_names_the_field_and_writes_nothing(
    db_dsn: str, data_dir: Path, clock: FrozenClock
) -> None:
    ok = price_points({"AAPL": [(TODAY - timedelta(days=1), "190.5"), (TODAY, "191")]})

    def pt(**kw: Any) -> portfolio_pb2.PricePoint:
        base: dict[str, Any] = {"symbol": "MSFT", "date": pdate(TODAY), "close": "400", "currency": "USD"}
        base.update(kw)
        return portfolio_pb2.PricePoint(**base)

    cases: list[tuple[list[portfolio_pb2.PricePoint], str, str]] = [
        ([*ok, pt(close="0")], "points[2].close", "NEGATIVE_PRICE"),
        ([*ok, pt(close="-400")], "points[2].close", "NEGATIVE_PRICE"),
        ([*ok, pt(close="nan")], "points[2].close", "INVALID_DECIMAL"),
        ([pt(previous_close="-1")], "points[0].previous_close", "NEGATIVE_PRICE"),
        ([pt(currency="ZZZ")], "points[0].currency", "UNKNOWN_CURRENCY"),
        ([pt(currency="")], "points[0].currency", "MISSING_FIELD"),
        ([pt(date=pdate(TODAY + timedelta(days=3)))], "points[0].date", "FUTURE_DATE"),
        # 18:00 in New York is already tomorrow in UTC and in Asia: a close dated tomorrow is still the future
        ([pt(date=pdate(TODAY + timedelta(days=1)))], "points[0].date", "FUTURE_DATE"),
        ([portfolio_pb2.PricePoint(symbol="MSFT", close="1", currency="USD")], "points[0].date", "MISSING_FIELD"),
        ([*ok, pt(), pt(close="401")], "points[3].date", "DUPLICATE_POINT"),
        ([pt(symbol="")], "points[0].symbol", "MISSING_FIELD"),
        ([pt(), pt(date=pdate(TODAY - timedelta(days=1)), currency="EUR")], "points[1].currency",
         "CURRENCY_MISMATCH"),
        ([pt()] * 10_001, "points", "TOO_MANY_POINTS"),
    ]
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        for points, field, reason in cases:
            err = await _fails(record(srv, points))
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, field
            info, violations = error_details(err)
            assert (info.reason, [v[0] for v in violations]) == (reason, [field])

        # Prices are market data: only service principals write them.
        err = await _fails(stub(srv).RecordPrices(portfolio_pb2.RecordPricesRequest(points=ok),
                                                  metadata=srv.auth(new_user()), timeout=5))
        info, _ = error_details(err)
        assert (err.code(), info.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_PRINCIPAL_REQUIRED")
    assert _rows(db_dsn, "SELECT count(*) FROM prices") == [(0,)]


async def test_a_price_in_another_currency_than_the_symbols_is_refused(
    db_dsn: str, data_dir: Path, clock: FrozenClock
) -> None:
    """A close in EUR for a symbol priced in USD would be valued at a rate of 1 (a 100 USD stock worth
    1 the day the EUR close was stored)."""
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await record(srv, price_points({"SAP": [(TODAY - timedelta(days=1), "100")]}))
        eur = [portfolio_pb2.PricePoint(symbol="SAP", date=pdate(TODAY), close="1", currency="EUR")]
        err = await _fails(record(srv, eur))
        info, violations = error_details(err)
        assert (err.code(), info.reason, [v[0] for v in violations]) == (
            grpc.StatusCode.INVALID_ARGUMENT, "CURRENCY_MISMATCH", ["points[0].currency"])
        assert info.metadata["price_currency"] == "USD"
    assert _rows(db_dsn, "SELECT count(*) FROM prices WHERE symbol = 'SAP'") == [(1,)]


async def test_sync_is_idempotent_with_a_request_id(db_dsn: str, data_dir: Path, clock: FrozenClock) -> None:
    user = new_user()
    rid = str(uuid.uuid4())
    positions = [holding("AAPL", "10", "150")]
    flows = [flow("deposit", "500", TODAY)]  # no ledger id: a second write would append it again
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        first = await sync(srv, user, positions, cash="500", flows=flows, request_id=rid)
        clock.advance(minutes=5)
        again = await sync(srv, user, positions, cash="500", flows=flows, request_id=rid)
        assert again == first  # same sync_time: the stored response, not a new write
        assert first.recorded_flow_count == 1 and first.position_count == 1
        # the market day the holdings are in force from: today's, as no effective_date was sent
        assert (first.effective_date.year, first.effective_date.month, first.effective_date.day) == (
            TODAY.year, TODAY.month, TODAY.day)
        # the id in upper case is the same id (one canonical form), not a second write
        assert await sync(srv, user, positions, cash="500", flows=flows, request_id=rid.upper()) == first

        err = await _fails(sync(srv, user, [holding("AAPL", "11", "150")], request_id=rid))
        info, violations = error_details(err)
        assert (info.reason, violations[0][0]) == ("REQUEST_ID_REUSED", "request_id")

        # Ledger ids make overlapping syncs harmless even without a request id.
        r1 = await sync(srv, user, positions, cash="700", flows=[flow("deposit", "200", TODAY, "L-9")])
        r2 = await sync(srv, user, positions, cash="700",
                        flows=[flow("deposit", "200", TODAY, "L-9"), flow("deposit", "50", TODAY, "L-10")])
        assert (r1.recorded_flow_count, r1.ignored_flow_count) == (1, 0)
        assert (r2.recorded_flow_count, r2.ignored_flow_count) == (1, 1)
    assert _rows(db_dsn, "SELECT count(*) FROM cash_flows WHERE user_id = %s", user) == [(3,)]
    assert _rows(db_dsn, "SELECT holdings_version FROM portfolios WHERE user_id = %s", user) == [(3,)]


async def test_record_prices_is_an_idempotent_upsert(db_dsn: str, data_dir: Path, clock: FrozenClock) -> None:
    d1, d2 = TODAY - timedelta(days=1), TODAY
    rid = str(uuid.uuid4())
    batch = price_points({"AAPL": [(d1, "190"), (d2, "191")], "MSFT": [(d2, "400")]})
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        first = await record(srv, batch, request_id=rid)
        assert (first.inserted_count, first.updated_count, first.unchanged_count) == (3, 0, 0)
        # A later correction of one close...
        fix = await record(srv, price_points({"AAPL": [(d2, "191.25")]}))
        assert (fix.inserted_count, fix.updated_count, fix.unchanged_count) == (0, 1, 0)
        # ...is not undone by a retry of the first call: the stored response comes back, nothing is written.
        assert await record(srv, batch, request_id=rid) == first
        # The same points without a request id are an upsert: one updated back, the rest unchanged.
        plain = await record(srv, batch)
        assert (plain.inserted_count, plain.updated_count, plain.unchanged_count) == (0, 1, 2)
        quote = portfolio_pb2.PricePoint(symbol="AAPL", time=_ts(clock.now() - timedelta(hours=3)), close="192.5",
                                         previous_close="191", currency="USD")
        q = await record(srv, [quote])
        assert (q.inserted_count, q.updated_count, q.unchanged_count) == (1, 0, 0)
    assert _rows(db_dsn, "SELECT symbol, trading_date, close::text FROM prices ORDER BY 1, 2") == [
        ("AAPL", d1, "190"), ("AAPL", d2, "191"), ("MSFT", d2, "400")]
    assert _rows(db_dsn, "SELECT close::text, previous_close::text FROM price_quotes") == [("192.5", "191")]


async def test_portfolios_are_private_to_their_user(db_dsn: str, data_dir: Path, clock: FrozenClock) -> None:
    alice, bob = new_user(), new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, alice, [holding("AAPL", "10", "150")], cash="100")
        await record(srv, price_points({"AAPL": [(TODAY, "190")]}))

        never_synced = await _fails(summary(srv, bob))
        theirs = await _fails(summary(srv, alice, as_user=bob))
        for err, who in ((never_synced, bob), (theirs, alice)):
            info, _ = error_details(err)
            assert (err.code(), info.reason) == (grpc.StatusCode.NOT_FOUND, "PORTFOLIO_NOT_FOUND")
            assert info.metadata["resource_name"] == name(who)
        # The same answer for other RPCs reading the portfolio, before any event of a stream.
        hist = portfolio_pb2.GetPerformanceHistoryRequest(portfolio=name(alice),
                                                          range=portfolio_pb2.PERFORMANCE_RANGE_ALL)
        err = await _fails(stub(srv).GetPerformanceHistory(hist, metadata=srv.auth(bob), timeout=5))
        assert error_details(err)[0].reason == "PORTFOLIO_NOT_FOUND"
        call = stub(srv).StreamPortfolioSummary(portfolio_pb2.StreamPortfolioSummaryRequest(portfolio=name(alice)),
                                                metadata=srv.auth(bob), timeout=5)
        err = await _fails(call.read())
        assert err.code() == grpc.StatusCode.NOT_FOUND
        call = stub(srv).WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=name(alice)),
                                        metadata=srv.auth(bob), timeout=5)
        err = await _fails(call.read())
        assert err.code() == grpc.StatusCode.NOT_FOUND

        # Bob cannot write Alice's holdings either.
        err = await _fails(sync(srv, alice, [holding("TSLA", "1")], as_user=bob))
        assert (err.code(), error_details(err)[0].reason) == (grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND")

        # A service principal acts for any user.
        req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(alice))
        s = await stub(srv).GetPortfolioSummary(req, metadata=srv.auth(service="digest"), timeout=5)
        assert s.total_value == "2000"
        await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(bob), positions=[holding("MSFT", "2", "300")]), metadata=srv.auth(service="ledger"))
        assert (await summary(srv, bob)).positions[0].symbol == "MSFT"
    assert _rows(db_dsn, "SELECT symbol FROM positions WHERE user_id = %s", alice) == [("AAPL",)]


async def test_news_is_deduplicated_by_id_and_url(db_dsn: str, data_dir: Path, clock: FrozenClock) -> None:
    at = clock.now() - timedelta(hours=2)

    def art(aid: str, url: str, symbols: list[str]) -> portfolio_pb2.NewsArticle:
        return portfolio_pb2.NewsArticle(id=aid, source="Reuters", publish_time=_ts(at), title=f"Title {aid}",
                                         summary="Lead.", url=url, symbols=symbols)

    batch = [
        art("a1", "https://example.com/1", ["aapl"]),
        art("a2", "https://example.com/2", ["MSFT", "AAPL"]),
        art("a1", "https://example.com/3", ["AAPL"]),  # same id as the first
        art("a4", "https://example.com/1", ["AAPL"]),  # same url as the first
        art("a5", "", []),  # no url: general market news
    ]
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        md = srv.auth(service="news-feed")
        first = await stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(articles=batch), metadata=md, timeout=5)
        assert (first.inserted_count, first.duplicate_count) == (3, 2)
        again = await stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(articles=batch), metadata=md, timeout=5)
        assert (again.inserted_count, again.duplicate_count) == (0, 5)

        future = art("a9", "", [])
        future.publish_time.CopyFrom(_ts(clock.now() + timedelta(days=1)))
        err = await _fails(stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(articles=[future]), metadata=md))
        info, violations = error_details(err)
        assert (info.reason, violations[0][0]) == ("FUTURE_DATE", "articles[0].publish_time")
        err = await _fails(stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(articles=[art("x", "", [])] * 1001),
                                                metadata=md))
        assert error_details(err)[0].reason == "TOO_MANY_ARTICLES"
        # U+0000 cannot be stored in a text column: named, before anything else (it was INTERNAL).
        nul = art("n1", "", ["AAPL"])
        nul.title = "Apple\x00beats"
        err = await _fails(stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(articles=[art("ok", "", []), nul]),
                                                metadata=md))
        info, violations = error_details(err)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (info.reason, [v[0] for v in violations]) == ("INVALID_TEXT", ["articles[1].title"])
        err = await _fails(stub(srv).IngestNews(portfolio_pb2.IngestNewsRequest(articles=batch),
                                                metadata=srv.auth(new_user())))
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    rows = _rows(db_dsn, "SELECT id, source, published_at, title, summary, url, symbols, ingested_at IS NOT NULL "
                         "FROM news_articles ORDER BY id")
    assert [(r[0], r[5], r[6]) for r in rows] == [
        ("a1", "https://example.com/1", ["AAPL"]),
        ("a2", "https://example.com/2", ["MSFT", "AAPL"]),
        ("a5", None, []),
    ]
    assert rows[0][2] == at.astimezone(UTC) and rows[0][7]
