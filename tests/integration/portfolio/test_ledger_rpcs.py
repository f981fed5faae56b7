"""The onboarding story and the ledger through the RPCs on a real server.

* A client imports a year of dated snapshots (ImportHoldingsHistory) or a year of transactions
  (BatchCreateTransactions): the first summary already has every risk metric and a year of chart
  points.
* Bad ledger input is INVALID_ARGUMENT naming the field and the row, and nothing is written.
* Corrections (update, delete) re-derive the history; listing is paginated and filtered.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from google.protobuf import field_mask_pb2

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    error_details,
    evening,
    holding,
    metric,
    name,
    new_user,
    pdate,
    price_path,
    price_points,
    record,
    stub,
    summary,
    trading_days,
)
from tests.integration.portfolio.support import transaction as _tx
from tests.support.server import running_server

DAYS = trading_days(date(2024, 1, 2), 260)
RETURNS = list(np.random.default_rng(5).normal(0.0006, 0.011, len(DAYS) - 1))
BENCH = list(np.random.default_rng(6).normal(0.0004, 0.009, len(DAYS) - 1))
RISK = ("time_weighted_return", "volatility", "sharpe", "sortino", "max_drawdown", "current_drawdown", "cagr",
        "calmar", "var_95", "cvar_95", "beta", "alpha")


async def _prices(srv: object) -> None:
    closes = price_path(__import__("decimal").Decimal("100"), RETURNS)
    bench = price_path(__import__("decimal").Decimal("400"), BENCH)
    pts = price_points({"AAA": list(zip(DAYS, closes, strict=True)), "SPY": list(zip(DAYS, bench, strict=True))})
    for i in range(0, len(pts), 5000):
        await record(srv, pts[i:i + 5000])  # type: ignore[arg-type]


def _assert_full_history(s: portfolio_pb2.PortfolioSummary) -> None:
    assert s.risk.observation_count == len(DAYS) - 1
    for f in RISK:
        assert isinstance(metric(getattr(s.risk, f)), float), f


async def test_a_year_of_snapshots_imported_gives_every_metric_at_once(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _prices(srv)
        user = new_user()
        snaps = [portfolio_pb2.DatedHoldings(effective_date=pdate(DAYS[0]), positions=[holding("AAA", "10", "90")],
                                             cash_balance="100"),
                 portfolio_pb2.DatedHoldings(effective_date=pdate(DAYS[100]), positions=[holding("AAA", "12", "95")],
                                             cash_balance="0")]
        resp = await stub(srv).ImportHoldingsHistory(portfolio_pb2.ImportHoldingsHistoryRequest(
            portfolio=name(user), snapshots=snaps), metadata=srv.auth(user), timeout=30)
        assert resp.snapshot_count == 2 and resp.dates.start_date.year == 2024
        s = await summary(srv, user)
        _assert_full_history(s)
        assert s.source == portfolio_pb2.PORTFOLIO_SOURCE_SNAPSHOTS
        hist = await stub(srv).GetPerformanceHistory(portfolio_pb2.GetPerformanceHistoryRequest(
            portfolio=name(user), range=portfolio_pb2.PERFORMANCE_RANGE_ALL), metadata=srv.auth(user), timeout=30)
        assert len(hist.points) == len(DAYS)
        # A past effective date on SyncPortfolio adds a snapshot without replacing the current holdings.
        await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), positions=[holding("AAA", "11", "92")], effective_date=pdate(DAYS[50])),
            metadata=srv.auth(user), timeout=10)
        after = await summary(srv, user)
        assert after.positions[0].quantity == "12"


async def test_a_year_of_transactions_gives_every_metric_and_ledger_figures(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _prices(srv)
        user = new_user()
        txs = [
            _tx("DEPOSIT", DAYS[0], amount="10000", client_id="d1"),
            _tx("BUY", DAYS[0], symbol="AAA", quantity="50", price="100", fees="1", client_id="b1"),
            _tx("BUY", DAYS[30], symbol="AAA", quantity="20", price="104", client_id="b2"),
            _tx("DIVIDEND", DAYS[60], symbol="AAA", amount="35", fees="5", client_id="v1"),
            _tx("SELL", DAYS[120], symbol="AAA", quantity="30", price="110", fees="2", client_id="s1"),
            _tx("WITHDRAWAL", DAYS[150], amount="500", client_id="w1"),
        ]
        st = stub(srv)
        resp = await st.BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=txs), metadata=srv.auth(user), timeout=30)
        assert resp.created_count == 6 and resp.transactions[0].name.startswith(f"users/{user}/portfolio/transactions/")
        # Retrying the same client ids records nothing new.
        again = await st.BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=txs), metadata=srv.auth(user), timeout=30)
        assert (again.created_count, again.existing_count) == (0, 6)
        s = await summary(srv, user)
        _assert_full_history(s)
        assert s.source == portfolio_pb2.PORTFOLIO_SOURCE_LEDGER
        # Average cost: (50*100 + 1 + 20*104) / 70 per unit; the sale realises 30*110 - 2 - 30 * that.
        avg = (50 * 100 + 1 + 20 * 104) / 70
        assert float(s.realized_pnl_amount) == pytest.approx(30 * 110 - 2 - 30 * avg, abs=1e-6)
        assert float(s.income_amount) == pytest.approx(30.0)
        assert float(s.fees_amount) == pytest.approx(3.0)
        assert s.positions[0].quantity == "40"
        assert isinstance(metric(s.money_weighted_return), float)
        assert metric(s.currency_effect) == pytest.approx(0.0, abs=1e-12)

        # List: paginated and filtered.
        page = await st.ListTransactions(portfolio_pb2.ListTransactionsRequest(parent=name(user), page_size=4),
                                         metadata=srv.auth(user), timeout=10)
        rest = await st.ListTransactions(portfolio_pb2.ListTransactionsRequest(
            parent=name(user), page_size=4, page_token=page.next_page_token), metadata=srv.auth(user), timeout=10)
        assert len(page.transactions) == 4 and len(rest.transactions) == 2 and not rest.next_page_token
        only = await st.ListTransactions(portfolio_pb2.ListTransactionsRequest(
            parent=name(user), symbol="AAA", start_date=pdate(DAYS[20]), end_date=pdate(DAYS[130])),
            metadata=srv.auth(user), timeout=10)
        assert [t.client_id for t in only.transactions] == ["b2", "v1", "s1"]

        # A correction re-derives: the sale at 120 instead of 110.
        sale = resp.transactions[4]
        sale.price = "120"
        await st.UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(
            transaction=sale, update_mask=field_mask_pb2.FieldMask(paths=["price"])), metadata=srv.auth(user),
            timeout=10)
        s2 = await summary(srv, user)
        assert float(s2.realized_pnl_amount) == pytest.approx(30 * 120 - 2 - 30 * avg, abs=1e-6)
        # Deleting the first buy would make the sale exceed the holdings: refused, nothing deleted.
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await st.DeleteTransaction(portfolio_pb2.DeleteTransactionRequest(name=resp.transactions[1].name),
                                       metadata=srv.auth(user), timeout=10)
        info, _ = error_details(ei.value)
        assert info.reason == "SELL_EXCEEDS_HOLDINGS"
        # Moving that buy after the sale: the error names the field the update changed.
        moved = resp.transactions[1]
        moved.trade_date.CopyFrom(pdate(DAYS[-1]))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await st.UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(
                transaction=moved, update_mask=field_mask_pb2.FieldMask(paths=["trade_date"])),
                metadata=srv.auth(user), timeout=10)
        info, violations = error_details(ei.value)
        assert (info.reason, [v[0] for v in violations]) == ("SELL_EXCEEDS_HOLDINGS", ["transaction.trade_date"])
        # Snapshots are refused on a ledger portfolio.
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await st.SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(portfolio=name(user)),
                                   metadata=srv.auth(user), timeout=10)
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize(
    ("rows", "field", "reason"),
    [
        ([_tx("BUY", DAYS[0], symbol="AAA", quantity="1", price="1"),
          _tx("SELL", DAYS[1], symbol="AAA", quantity="2", price="1")], "transactions[1].quantity",
         "SELL_EXCEEDS_HOLDINGS"),
        ([_tx("SPLIT", DAYS[0], symbol="AAA", split_ratio="0")], "transactions[0].split_ratio", "INVALID_SPLIT_RATIO"),
        ([_tx("DEPOSIT", date(2030, 1, 1), amount="1")], "transactions[0].trade_date", "FUTURE_DATE"),
        ([_tx("DEPOSIT", date(1969, 12, 31), amount="1")], "transactions[0].trade_date", "OUT_OF_RANGE"),
        ([_tx("DEPOSIT", DAYS[0], amount="1", currency="XYZ")], "transactions[0].currency", "UNKNOWN_CURRENCY"),
        ([_tx("DEPOSIT", DAYS[0], amount="1", client_id="x"), _tx("DEPOSIT", DAYS[0], amount="2", client_id="x")],
         "transactions[1].client_id", "CLIENT_ID_REUSED"),
        ([_tx("BUY", DAYS[0], symbol="AAA", quantity="-1", price="1")], "transactions[0].quantity",
         "NEGATIVE_QUANTITY"),
        ([_tx("BUY", DAYS[0], symbol="AAA", quantity="1", price="1", currency="EUR")], "transactions[0].currency",
         "CURRENCY_MISMATCH"),
    ],
)
async def test_bad_transactions_name_field_and_row_and_write_nothing(
    db_dsn: str, data_dir: Path, rows: list[portfolio_pb2.Transaction], field: str, reason: str
) -> None:
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await record(srv, price_points({"AAA": [(DAYS[0], "10")]}))
        user = new_user()
        good = _tx("DEPOSIT", DAYS[0], amount="5")
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(user), transactions=[good, *rows]), metadata=srv.auth(user), timeout=10)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(ei.value)
        shifted = field.replace(f"[{field[13]}]", f"[{int(field[13]) + 1}]", 1)  # the good row comes first
        assert (info.reason, violations[0][0]) == (reason, shifted)
        await _nothing_created(srv, user)


async def _nothing_created(srv: Any, user: str) -> None:
    """Nothing partial: not even the portfolio exists (ListTransactions: PORTFOLIO_NOT_FOUND, as a never-created
    portfolio's summary)."""
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await stub(srv).ListTransactions(portfolio_pb2.ListTransactionsRequest(parent=name(user)),
                                         metadata=srv.auth(user), timeout=10)
    assert ei.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_details(ei.value)[0].reason == "PORTFOLIO_NOT_FOUND"


async def test_every_symbols_oversell_in_a_batch_is_reported_at_once(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAYS[-1]))) as srv:
        user = new_user()
        rows = [_tx("SELL", DAYS[0], symbol="AAA", quantity="1000", price="1"),
                _tx("TRANSFER_OUT", DAYS[0], symbol="BBB", quantity="1000", price="1")]
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(user), transactions=rows), metadata=srv.auth(user), timeout=10)
        info, violations = error_details(ei.value)
        assert info.reason == "SELL_EXCEEDS_HOLDINGS" and info.metadata["violation_count"] == "2"
        assert [f for f, _ in violations] == ["transactions[0].quantity", "transactions[1].quantity"]
        with pytest.raises(grpc.aio.AioRpcError) as one:
            await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(user), transactions=rows[:1]), metadata=srv.auth(user), timeout=10)
        # the row is named by its field: its id would name a transaction that was never stored
        assert error_details(one.value)[0].reason == "SELL_EXCEEDS_HOLDINGS"
        assert "transaction" not in error_details(one.value)[0].metadata
        await _nothing_created(srv, user)
        # an empty or non-UUID transaction id, or a user id spelled other than with dashes, is a
        # malformed name, not a missing transaction
        for bad in (f"users/{user}/portfolio/transactions/", f"users/{user}/portfolio/transactions/not-a-uuid",
                    f"users/{{{user}}}/portfolio/transactions/{user}",
                    f"users/{user.replace('-', '')}/portfolio/transactions/{user}"):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub(srv).GetTransaction(portfolio_pb2.GetTransactionRequest(name=bad),
                                               metadata=srv.auth(user), timeout=10)
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
            assert error_details(ei.value)[0].reason == "INVALID_RESOURCE_NAME"


async def test_every_bad_row_of_a_batch_is_reported_at_once(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        user = new_user()
        good = _tx("DEPOSIT", DAYS[0], amount="5")
        # bad decimals (read by the API) in rows 1 and 3; bad content (the domain's rules) in rows 2 and 4
        parse_errors = [good, _tx("BUY", DAYS[0], symbol="AAA", quantity="1e3", price="1"), good,
                        _tx("FEE", DAYS[0], amount="12,5")]
        rule_errors = [good, good, _tx("BUY", DAYS[0], symbol="AAA", quantity="-1", price="1"), good,
                       _tx("DEPOSIT", DAYS[0], amount="5", symbol="bad symbol!")]
        for rows, expected, reason in (
            (parse_errors, ["transactions[1].quantity", "transactions[3].amount"], "INVALID_DECIMAL"),
            (rule_errors, ["transactions[2].quantity", "transactions[4].symbol"], "NEGATIVE_QUANTITY"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                    parent=name(user), transactions=rows), metadata=srv.auth(user), timeout=10)
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            info, violations = error_details(ei.value)
            assert [f for f, _ in violations] == expected
            assert (info.reason, info.metadata["field"], info.metadata["violation_count"]) == (
                reason, expected[0], "2")
            assert expected[0] in ei.value.details() and "1 more item with problems" in ei.value.details()
        await _nothing_created(srv, user)


async def test_a_batch_over_the_limit_is_refused_clearly(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        user = new_user()
        rows = [_tx("DEPOSIT", DAYS[0], amount="1")] * 100_000
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(user), transactions=rows), metadata=srv.auth(user), timeout=60)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(ei.value)
        assert (info.reason, violations[0][0], info.metadata["limit"]) == ("TOO_MANY_TRANSACTIONS", "transactions",
                                                                            "10000")


async def test_a_batch_whose_answer_could_not_fit_4_mib_is_refused_before_it_is_written(
    db_dsn: str, data_dir: Path
) -> None:
    """The answer lists every transaction as stored (name, times): 10,000 rows with long notes made an
    answer past 4 MiB (a default client could not read it, after the write) or past the server's 8 MiB
    (unsendable). Such a batch is refused up front, naming the field; the largest accepted one's answer
    fits a default client."""
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        user = new_user()
        note = "é" * 190  # 380 bytes
        rows = [_tx("DEPOSIT", DAYS[0], amount="1", note=note, client_id=f"n{i}") for i in range(10_000)]
        request = portfolio_pb2.BatchCreateTransactionsRequest(parent=name(user), transactions=rows)
        assert request.ByteSize() < 8 * 1024 * 1024  # the server reads it
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).BatchCreateTransactions(request, metadata=srv.auth(user), timeout=60)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(ei.value)
        assert (info.reason, violations[0][0]) == ("BATCH_TOO_LARGE", "transactions")
        assert info.metadata["max_bytes"] == str(4 * 1024 * 1024 - 16 * 1024)
        await _nothing_created(srv, user)
        # the largest batch of such rows that passes: its answer fits 4 MiB
        n = 10_000
        while n and (request.ByteSize() + 200 * n > 4 * 1024 * 1024 - 16 * 1024):
            n -= 100
            del request.transactions[n:]
        async with grpc.aio.insecure_channel(srv.target) as default_client:  # 4 MiB receive limit
            resp = await portfolio_pb2_grpc.PortfolioSummaryServiceStub(default_client).BatchCreateTransactions(
                request, metadata=srv.auth(user), timeout=60)
        assert resp.created_count == n and resp.ByteSize() <= 4 * 1024 * 1024


async def test_zero_rate_is_refused_and_settings_apply(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
                portfolio_pb2.ExchangeRate(base_currency="EUR", quote_currency="USD", date=pdate(DAYS[0]), rate="0")]),
                metadata=srv.auth(service="market-data"), timeout=10)
        info, violations = error_details(ei.value)
        assert (info.reason, violations[0][0]) == ("INVALID_RATE", "rates[0].rate")
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # every bad rate at once, one violation each
            await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
                portfolio_pb2.ExchangeRate(base_currency="EUR", quote_currency="USD", date=pdate(DAYS[0]), rate="0"),
                portfolio_pb2.ExchangeRate(base_currency="EUR", quote_currency="ABC", date=pdate(DAYS[0]), rate="1"),
                portfolio_pb2.ExchangeRate(base_currency="EUR", quote_currency="EUR", date=pdate(DAYS[0]), rate="1")]),
                metadata=srv.auth(service="market-data"), timeout=10)
        info, violations = error_details(ei.value)
        assert [f for f, _ in violations] == ["rates[0].rate", "rates[1].quote_currency", "rates[2].quote_currency"]
        assert info.metadata["violation_count"] == "3"
        user = new_user()
        settings_name = f"users/{user}/portfolio/settings"
        got = await stub(srv).GetPortfolioSettings(portfolio_pb2.GetPortfolioSettingsRequest(name=settings_name),
                                                   metadata=srv.auth(user), timeout=10)
        assert got.benchmark_symbol == "SPY" and got.cost_basis_method == portfolio_pb2.COST_BASIS_METHOD_AVERAGE_COST
        upd = await stub(srv).UpdatePortfolioSettings(portfolio_pb2.UpdatePortfolioSettingsRequest(
            settings=portfolio_pb2.PortfolioSettings(name=settings_name, benchmark_symbol="qqq",
                                                     cost_basis_method=portfolio_pb2.COST_BASIS_METHOD_FIFO,
                                                     idle_cash_threshold=0.5)), metadata=srv.auth(user), timeout=10)
        assert (upd.benchmark_symbol, upd.cost_basis_method, upd.idle_cash_threshold) == (
            "QQQ", portfolio_pb2.COST_BASIS_METHOD_FIFO, 0.5)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).UpdatePortfolioSettings(portfolio_pb2.UpdatePortfolioSettingsRequest(
                settings=portfolio_pb2.PortfolioSettings(name=settings_name, idle_cash_threshold=2.0)),
                metadata=srv.auth(user), timeout=10)
        info, violations = error_details(ei.value)
        assert (info.reason, violations[0][0]) == ("OUT_OF_RANGE", "settings.idle_cash_threshold")
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # every bad value named at once
            await stub(srv).UpdatePortfolioSettings(portfolio_pb2.UpdatePortfolioSettingsRequest(
                settings=portfolio_pb2.PortfolioSettings(name=settings_name, position_concentration_threshold=1.5,
                                                         drawdown_warning_threshold=0.2, benchmark_symbol="S P Y")),
                metadata=srv.auth(user), timeout=10)
        info, violations = error_details(ei.value)
        assert sorted(f for f, _ in violations) == ["settings.benchmark_symbol", "settings.drawdown_warning_threshold",
                                                    "settings.position_concentration_threshold"]
        # A critical threshold less severe than its warning, in one update or against the stored other
        # half of the pair, is refused and changes nothing (it was stored).
        for settings, field in (
            (portfolio_pb2.PortfolioSettings(name=settings_name, position_concentration_threshold=0.5,
                                             position_concentration_critical_threshold=0.3),
             "settings.position_concentration_critical_threshold"),
            (portfolio_pb2.PortfolioSettings(name=settings_name, position_concentration_threshold=0.3),
             "settings.position_concentration_threshold"),  # the stored critical is the default 0.25
            (portfolio_pb2.PortfolioSettings(name=settings_name, drawdown_critical_threshold=-0.05),
             "settings.drawdown_critical_threshold"),  # the stored warning is the default -0.1
        ):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub(srv).UpdatePortfolioSettings(portfolio_pb2.UpdatePortfolioSettingsRequest(
                    settings=settings), metadata=srv.auth(user), timeout=10)
            info, violations = error_details(ei.value)
            assert (ei.value.code(), info.reason, [f for f, _ in violations]) == (
                grpc.StatusCode.INVALID_ARGUMENT, "OUT_OF_RANGE", [field])
        kept = await stub(srv).GetPortfolioSettings(portfolio_pb2.GetPortfolioSettingsRequest(name=settings_name),
                                                    metadata=srv.auth(user), timeout=10)
        assert (kept.position_concentration_threshold, kept.position_concentration_critical_threshold,
                kept.drawdown_critical_threshold, kept.idle_cash_threshold) == (0.1, 0.25, -0.2, 0.5)
        both = await stub(srv).UpdatePortfolioSettings(portfolio_pb2.UpdatePortfolioSettingsRequest(
            settings=portfolio_pb2.PortfolioSettings(name=settings_name, position_concentration_threshold=0.3,
                                                     position_concentration_critical_threshold=0.3)),
            metadata=srv.auth(user), timeout=10)
        assert (both.position_concentration_threshold, both.position_concentration_critical_threshold) == (0.3, 0.3)
        await stub(srv).UpdatePortfolioSettings(portfolio_pb2.UpdatePortfolioSettingsRequest(
            settings=portfolio_pb2.PortfolioSettings(name=settings_name),
            update_mask={"paths": ["position_concentration_threshold", "position_concentration_critical_threshold"]}),
            metadata=srv.auth(user), timeout=10)  # both back to the defaults
        await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=[_tx("DEPOSIT", DAYS[0], amount="100")]), metadata=srv.auth(user))
        s = await summary(srv, user)
        assert s.benchmark_symbol == "QQQ" and s.cost_basis_method == portfolio_pb2.COST_BASIS_METHOD_FIFO


async def test_a_ledgers_cash_is_rounded_like_other_computed_money(db_dsn: str, data_dir: Path) -> None:
    """A buy at 10.123456785 leaves 9 decimals of cash: it is rounded half-even to 8 places, so
    total_value is positions_value + cash_balance as shown (it came back unrounded: 9989.876543215)."""
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _prices(srv)
        user = new_user()
        await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=[
                _tx("DEPOSIT", DAYS[0], amount="10000"),
                _tx("BUY", DAYS[0], symbol="AAA", quantity="1", price="10.123456785"),
            ]), metadata=srv.auth(user), timeout=10)
        s = await summary(srv, user)
        assert s.cash_balance == "9989.87654322"
        assert Decimal(s.total_value) == Decimal(s.positions_value) + Decimal(s.cash_balance)


async def test_money_at_the_documented_bounds_comes_back_exact(db_dsn: str, data_dir: Path) -> None:
    """A BUY of 999,999,999,999 units at 999,999,999,999.123456789 with fees (inside the bounds): the
    32-digit cash, total value and history value are exact to 8 decimals, as common.proto promises
    (they came back rounded to 28 significant digits: -...789001.0000)."""
    from decimal import Decimal, localcontext

    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAYS[-1]))) as srv:
        user = new_user()
        await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=[
                _tx("BUY", DAYS[-2], symbol="BIG", quantity="999999999999", price="999999999999.123456789",
                    fees="0.12345678"),
            ]), metadata=srv.auth(user), timeout=10)
        await record(srv, price_points({"BIG": [(DAYS[-2], Decimal("2")), (DAYS[-1], Decimal("3"))]}))
        s = await summary(srv, user)
        with localcontext() as ctx:
            ctx.prec = 60
            cash = -(Decimal("999999999999") * Decimal("999999999999.123456789") + Decimal("0.12345678"))
            value = cash + Decimal("999999999999") * 3
        assert Decimal(s.cash_balance) == cash.quantize(Decimal("1e-8"), context=ctx)
        assert Decimal(s.total_value) == value.quantize(Decimal("1e-8"), context=ctx)
        history = await stub(srv).GetPerformanceHistory(portfolio_pb2.GetPerformanceHistoryRequest(
            portfolio=name(user), range=portfolio_pb2.PERFORMANCE_RANGE_ALL), metadata=srv.auth(user), timeout=10)
        assert Decimal(history.points[-1].value) == Decimal(s.total_value)


async def test_a_rate_sent_the_wrong_way_round_is_corrected_by_sending_it_the_right_way(
    db_dsn: str, data_dir: Path
) -> None:
    """EURSEK 11 on every day, then SEK/EUR 11 for the last day by mistake (1 SEK = 11 EUR): the
    inverted row used to win for good, re-sending EUR/SEK changed nothing (a client's test). A rate now
    replaces the one recorded the other way round for that pair and day."""
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        ops = srv.auth(service="market-data")
        user = new_user()
        await record(srv, price_points({"FXVOLV": [(DAYS[-1], "272")]}, currency="SEK"))

        async def rates(*items: tuple[str, str, str]) -> portfolio_pb2.RecordExchangeRatesResponse:
            return await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
                portfolio_pb2.ExchangeRate(base_currency=b, quote_currency=q, date=pdate(DAYS[-1]), rate=r)
                for b, q, r in items]), metadata=ops, timeout=10)

        await rates(("EUR", "SEK", "11"))
        await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), base_currency="EUR", cash_balance="0",
            positions=[portfolio_pb2.Holding(symbol="FXVOLV", quantity="10", average_cost="250", currency="SEK")]),
            metadata=srv.auth(user), timeout=10)
        right = Decimal((await summary(srv, user)).total_value)
        assert abs(right - Decimal(2720) / 11) < Decimal("0.01")
        await rates(("SEK", "EUR", "11"))  # the mistake: 1 SEK = 11 EUR
        assert Decimal((await summary(srv, user)).total_value) == Decimal(29920)
        fixed = await rates(("EUR", "SEK", "11"))  # the same rate as before, the right way round
        # it replaced the inverted one: a rate of that pair and day existed, so an update
        assert (fixed.inserted_count, fixed.updated_count) == (0, 1)
        assert Decimal((await summary(srv, user)).total_value) == right
        # Both ways round in one request: which one converts would be a guess. Refused, nothing stored.
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await rates(("EUR", "SEK", "12"), ("SEK", "EUR", "0.09"))
        info, violations = error_details(ei.value)
        assert (info.reason, [f for f, _ in violations]) == ("DUPLICATE_RATE", ["rates[1].date"])
        assert Decimal((await summary(srv, user)).total_value) == right


async def test_deleting_every_transaction_returns_to_the_snapshots_stored_before_them(
    db_dsn: str, data_dir: Path
) -> None:
    """The contract (PortfolioService): stored snapshots are kept while the ledger defines the portfolio,
    and define it again once every transaction is deleted; a portfolio that only ever had transactions
    has nothing to value then (PORTFOLIO_NOT_FOUND)."""
    clock = FrozenClock(evening(DAYS[-1]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _prices(srv)
        st = stub(srv)
        user, ledger_only = new_user(), new_user()
        await st.ImportHoldingsHistory(portfolio_pb2.ImportHoldingsHistoryRequest(
            portfolio=name(user),
            snapshots=[portfolio_pb2.DatedHoldings(effective_date=pdate(DAYS[0]),
                                                   positions=[holding("AAA", "10", "90")], cash_balance="100")]),
            metadata=srv.auth(user), timeout=30)
        for who in (user, ledger_only):
            made = await st.BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(who), transactions=[
                    _tx("DEPOSIT", DAYS[200], amount="1000", client_id="d"),
                    _tx("BUY", DAYS[200], symbol="AAA", quantity="3", price="100", client_id="b")]),
                metadata=srv.auth(who), timeout=30)
            s = await summary(srv, who)
            assert s.source == portfolio_pb2.PORTFOLIO_SOURCE_LEDGER and s.positions[0].quantity == "3"
            for tx in reversed(made.transactions):
                await st.DeleteTransaction(portfolio_pb2.DeleteTransactionRequest(name=tx.name),
                                           metadata=srv.auth(who), timeout=10)
        s = await summary(srv, user)
        assert s.source == portfolio_pb2.PORTFOLIO_SOURCE_SNAPSHOTS
        assert [(p.symbol, p.quantity) for p in s.positions] == [("AAA", "10")]
        assert s.risk.observation_count == len(DAYS) - 1  # the snapshots' whole history again
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await summary(srv, ledger_only)
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_details(ei.value)[0].reason == "PORTFOLIO_NOT_FOUND"
        listed = await st.ListTransactions(portfolio_pb2.ListTransactionsRequest(parent=name(user)),
                                           metadata=srv.auth(user), timeout=10)
        assert not listed.transactions
