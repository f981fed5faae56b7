"""The CPU a heavy write spends off the event loop is charged to its caller's write budget
(``rate_limits.user.write_cpu``). A large SyncPortfolio, ImportHoldingsHistory or
BatchCreateTransactions is parsed (and checked, and answered) on a ``to_thread`` thread, and a large
ledger is derived on the compute pool, so that other callers are not held meanwhile; the call wrapper
measures the call's steps on the loop only, and that work, sent off with a plain ``to_thread``, was
charged to nobody: a user's big writes cost them only their decoding.

Here each such step is made to burn a known amount of its thread's CPU (:data:`BURN`), and the
charges the call's account receives from threads other than the loop's (the loop's own steps are
measured by the call wrapper) must include one of at least that for each step."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.cpu_budget import WriteAccount
from stack_cfo.api.servicers import ledger as ledger_servicer
from stack_cfo.api.servicers import portfolio as portfolio_servicer
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.portfolio import cpu_meter, ledger_service
from stack_cfo.core.portfolio import service as portfolio_service
from stack_cfo.core.portfolio.cpu_meter import Release
from stack_cfo.core.portfolio.ledger_service import DERIVE_INLINE_ROWS
from stack_cfo.core.portfolio.service import INLINE_POSITIONS
from stack_cfo.core.portfolio.transactions import CostBasisMethod
from tests.integration.portfolio.support import holding, name, new_user, pdate, stub
from tests.support.server import running_server

BURN = 0.05
"""Thread CPU seconds each patched step spends (measured with ``time.thread_time``, not wall time)."""
_OVERRIDES = {"rate_limits": {"user": {"write_cpu": "1s/1s", "write_cpu_burst": "60s"}}}  # never refuses


#: Per thread: the test (its :class:`_Burns`) whose burn ran there since the thread's last charge.
_burned = threading.local()


def _spin(seconds: float) -> None:
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


class _Burns:
    """Wraps functions so that they first spend :data:`BURN` of their thread's CPU, and notes where."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, loop_thread: int) -> None:
        self._monkeypatch = monkeypatch
        self._loop_thread = loop_thread
        #: Per burn: whether it ran off the event loop's thread.
        self.off_loop: list[bool] = []

    def patch(self, module: Any, attr: str, when: Callable[..., bool] = lambda *a, **kw: True) -> None:
        fn = getattr(module, attr)

        def burning(*args: Any, **kwargs: Any) -> Any:
            if when(*args, **kwargs):
                self.off_loop.append(threading.get_ident() != self._loop_thread)
                _spin(BURN)
                _burned.test = self  # the next charge made on this thread is the burn's block's (this test's)
            return fn(*args, **kwargs)

        self._monkeypatch.setattr(module, attr, burning)


@pytest.fixture
def loop_thread() -> int:
    return threading.get_ident()  # the tests' event loop, on which the in-process server runs too


@pytest.fixture
def off_loop_charges(monkeypatch: pytest.MonkeyPatch, loop_thread: int, burns: _Burns) -> list[float]:
    """What heavy write calls are charged, from other threads than the loop's, for the blocks a burn ran in (each then
    charged as well; other work metered off the loop, such as the store's sealing of many rows, is not listed)."""
    charged: list[float] = []
    charge = WriteAccount.charge

    def recording(self: WriteAccount, seconds: float) -> None:
        if threading.get_ident() != loop_thread and getattr(_burned, "test", None) is burns:
            _burned.test = None
            charged.append(seconds)
        charge(self, seconds)

    monkeypatch.setattr(WriteAccount, "charge", recording)
    return charged


@pytest.fixture
def burns(monkeypatch: pytest.MonkeyPatch, loop_thread: int) -> _Burns:
    return _Burns(monkeypatch, loop_thread)


def _large(items: Any, *_: Any, **__: Any) -> bool:
    return len(items) > INLINE_POSITIONS


def _once() -> Callable[..., bool]:
    done = [False]

    def first(*_: Any, **__: Any) -> bool:
        was, done[0] = done[0], True
        return not was

    return first


async def test_a_large_syncs_parsing_on_a_thread_is_charged_to_the_caller(
    db_dsn: str, data_dir: Path, burns: _Burns, off_loop_charges: list[float]
) -> None:
    burns.patch(portfolio_servicer, "_parsed", _large)  # the positions (more than INLINE_POSITIONS)
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        user = new_user()
        await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), cash_balance="5",
            positions=[holding(f"S{i:04d}", "2", "10") for i in range(INLINE_POSITIONS + 1)],
        ), metadata=srv.auth(user), timeout=60)
    assert burns.off_loop == [True], "the positions are parsed once, off the event loop"
    assert sum(off_loop_charges) >= BURN, "the thread's parsing is not charged to the caller"


async def test_a_large_imports_parsing_and_checking_on_threads_are_charged_to_the_caller(
    db_dsn: str, data_dir: Path, burns: _Burns, off_loop_charges: list[float]
) -> None:
    burns.patch(ledger_servicer, "_import_command")  # the servicer's parsing of a large import
    burns.patch(portfolio_service, "validate_import")  # the service's checking of it
    today = date.today()
    per_day = INLINE_POSITIONS // 2 + 1
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        user = new_user()
        await stub(srv).ImportHoldingsHistory(portfolio_pb2.ImportHoldingsHistoryRequest(
            portfolio=name(user), base_currency="USD",
            snapshots=[portfolio_pb2.DatedHoldings(
                effective_date=pdate(today - timedelta(days=7 + k)), cash_balance="5",
                positions=[holding(f"S{i:04d}", "2", "10") for i in range(per_day)],
            ) for k in range(2)],
        ), metadata=srv.auth(user), timeout=60)
    assert burns.off_loop == [True, True], "the import is parsed, then checked, each once off the event loop"
    assert sum(c >= BURN for c in off_loop_charges) == 2, "the threads' parsing and checking are not both charged"


async def test_a_large_batchs_parsing_and_answer_on_threads_are_charged_to_the_caller(
    db_dsn: str, data_dir: Path, burns: _Burns, off_loop_charges: list[float]
) -> None:
    burns.patch(ledger_servicer, "_parsed", _large)  # the rows
    burns.patch(ledger_servicer, "transaction_to_proto", _once())  # the answer (its first row)
    day = date.today() - timedelta(days=7)
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        user = new_user()
        answer = await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), base_currency="USD", transactions=[
                portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(day),
                                          symbol=f"S{i:04d}", quantity="1", price="10")
                for i in range(INLINE_POSITIONS + 1)
            ]), metadata=srv.auth(user), timeout=60)
    assert answer.created_count == INLINE_POSITIONS + 1
    assert burns.off_loop == [True, True], "the rows are parsed, and the answer made, each once off the event loop"
    assert sum(c >= BURN for c in off_loop_charges) == 2, "the threads' parsing and answer are not both charged"


class _Recording:
    """A :class:`~stack_cfo.core.portfolio.cpu_meter.CpuAccount` noting what it is charged, from which thread."""

    def __init__(self) -> None:
        self.charged: list[tuple[int, float]] = []

    async def admit(self) -> Release:
        return lambda: None

    def charge(self, seconds: float) -> None:
        self.charged.append((threading.get_ident(), seconds))


@pytest.fixture
def ledger_derivations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The threads large ledgers were derived on (each derivation spending BURN of its thread's CPU)."""
    threads: list[int] = []
    derive = ledger_service.derive_ledger

    def burning(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        _spin(BURN)
        return derive(*args, **kwargs)

    monkeypatch.setattr(ledger_service, "derive_ledger", burning)
    yield threads


async def test_a_large_ledger_derived_on_the_compute_pool_is_charged_to_the_current_account(
    db_dsn: str, data_dir: Path, loop_thread: int, ledger_derivations: list[int]
) -> None:
    """(An uncached summary for UpdatePortfolioContext, a write, derives the user's ledger so.)"""
    day = date.today() - timedelta(days=7)
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        user = new_user()
        await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), base_currency="USD", transactions=[
                portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(day),
                                          symbol=f"S{i:04d}", quantity="1", price="10")
                for i in range(DERIVE_INLINE_ROWS + 1)
            ]), metadata=srv.auth(user), timeout=60)
        account = _Recording()

        async def no_rates(currencies: set[str]) -> None:
            pass

        with user_scope(user), cpu_meter.charged_to(account):
            ledger = await srv.container.portfolio.load_ledger(
                user, "USD", CostBasisMethod.FIFO, {}, no_rates, None)
    assert ledger is not None and len(ledger.books) >= DERIVE_INLINE_ROWS + 1
    assert len(ledger_derivations) == 1 and ledger_derivations[0] != loop_thread, "derived once, on the pool"
    off_loop = [s for thread, s in account.charged if thread != loop_thread]
    assert sum(off_loop) >= BURN, "the derivation on the compute pool is not charged"


async def test_the_stores_work_on_many_rows_in_a_thread_is_charged_to_the_current_account(loop_thread: int) -> None:
    """(Sealing or opening more than THREAD_ABOVE_ROWS rows, ~50 us a row, runs on a thread: a sync's or a batch's.)"""
    from stack_cfo.store.ledger_repo import THREAD_ABOVE_ROWS, off_loop

    account = _Recording()
    with cpu_meter.charged_to(account):
        where = await off_loop(THREAD_ABOVE_ROWS + 1, lambda: (_spin(BURN), threading.get_ident())[1])
        assert await off_loop(THREAD_ABOVE_ROWS, threading.get_ident) == loop_thread  # few rows: on the loop
    assert where != loop_thread
    assert sum(s for thread, s in account.charged if thread != loop_thread) >= BURN
