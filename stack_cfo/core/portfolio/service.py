"""The portfolio domain service: holdings, prices and news in; summaries, history, narrative and
watches out. It orchestrates the store, the pure analytics in :mod:`stack_cfo.core.portfolio`,
a cache, and the AI narrative. No gRPC, no SQL text: the outside comes in through the
:class:`~.ports.PortfolioStore` and :class:`~.ports.ChangeFeed` protocols and the
:class:`~stack_cfo.core.ai.ComputeClient` port.

**Caching.** Computed summaries are cached per (user, as-of market day) together with the price
series and holdings they were built from. Every change is announced on the change feed (PostgreSQL
LISTEN/NOTIFY in production, so every replica hears every write): a sync drops that user's
entries, a price write drops the entries depending on the changed symbols, and an exchange-rate
write (announced like prices, as ``#FX:EUR/USD`` and ``#FX:USD/EUR``) those computed with that
pair's series, directly or as a cross rate through the base (summaries, loaded portfolios, ledger
books, the rate series): every other user's entries stay cached. A price or rate write carries a
change id, so the writing process invalidates once for it. A cache entry is only
trusted while the feed is connected and was built in the current feed epoch (a reconnect may have
missed notifications, so it empties the cache); an entry also expires after ``cache_ttl``. A
computation that overlaps an invalidation is returned but not stored. The process that made the
write invalidates locally before answering, so a client reads its own writes.

**Watches** (:mod:`.watch`) share one feed per process; changes inside the client's minimum
interval coalesce into one update. A watch listens to its portfolio's held symbols and to the
exchange-rate series its summary is valued with (see :meth:`PortfolioService._watch_symbols`), so
a new rate of such a pair wakes it as a new price of a held symbol does (and no other watch).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import decimal
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from stack_cfo.core.ai import (
    ComputeClient,
)
from stack_cfo.core.ai.budget import DailyTokenBudget
from stack_cfo.core.ai.offline import OfflineComputeClient
from stack_cfo.core.clock import Clock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.errors import FailedPrecondition, Unavailable
from stack_cfo.core.gc_hold import GcHold
from stack_cfo.core.i18n import UserLocales
from stack_cfo.core.idempotency import Idempotency
from stack_cfo.core.portfolio import compute_pool, cpu_meter
from stack_cfo.core.portfolio.cache import CacheSettings, TaggedCache
from stack_cfo.core.portfolio.engine import compute_history, compute_summary
from stack_cfo.core.portfolio.fx import FxTable, convert_series, fx_key, is_fx_key
from stack_cfo.core.portfolio.history import DateRange, HistoryRange, Interval, PerformanceHistory
from stack_cfo.core.portfolio.inputs import (
    ArticleInput,
    ImportHistoryCommand,
    PriceInput,
    SyncCommand,
    check_not_future,
    validate_articles,
    validate_import,
    validate_prices,
    validate_sync,
)
from stack_cfo.core.portfolio.ledger_service import LedgerUseCases, portfolio_not_found
from stack_cfo.core.portfolio.models import PortfolioInputs, PricePoint, PriceSeries
from stack_cfo.core.portfolio.narration import Narrator
from stack_cfo.core.portfolio.ports import (
    ChangeEvent,
    ChangeFeed,
    HoldingsChanged,
    ImportResult,
    IngestResult,
    PortfolioStore,
    PricesChanged,
    RecordResult,
    StoredPortfolio,
    SyncResult,
)
from stack_cfo.core.portfolio.results import PortfolioSummary
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.valuation import market_date
from stack_cfo.core.portfolio.views import (
    HistoryView,
    StreamEvent,
    SummaryReady,
    SummaryView,
    build_view,
)
from stack_cfo.core.portfolio.watch import WatchHub, WatchTrigger, WatchUpdate, clamp_watch_interval, shutting_down
from stack_cfo.core.provenance import Audit, ReceiptStore

log = logging.getLogger(__name__)


@dataclass
class _Inputs:
    portfolio: StoredPortfolio
    prices: dict[str, PriceSeries]
    settings: AnalyticsSettings
    #: Exchange-rate series the prices were converted with besides the portfolio's own (cache tags).
    converted_with: frozenset[str] = frozenset()

    def analytics(self) -> PortfolioInputs:
        p = self.portfolio
        if p.ledger is not None:
            return PortfolioInputs(
                holdings=(), prices=self.prices, cash_flows=p.ledger.flows, timeline=p.ledger.timeline,
                ledger_figures=p.ledger.figures, fx_rates=p.fx_rates,
            )
        return PortfolioInputs(holdings=p.snapshots, prices=self.prices, cash_flows=p.cash_flows,
                               fx_rates=p.fx_rates)


@dataclass
class _QuoteBatch:
    at: datetime
    symbols: set[str] = dataclasses.field(default_factory=set)
    task: asyncio.Task[dict[str, PricePoint]] | None = None


@dataclass
class _Shared:
    """A summary being computed, shared by the calls that asked for it at the same change
    sequence. When the last of them has gone, it is cancelled unless its CPU work has started (a
    thread cannot be stopped; its result is still cached)."""

    seq: int
    task: asyncio.Task[SummaryView] | None = None
    waiters: int = 0
    #: Its work is running on a thread (set by that thread).
    started: bool = False

    def start(self) -> None:
        self.started = True


def _end_turn(release: cpu_meter.Release, _task: asyncio.Task[SummaryView]) -> None:
    release()


@dataclass
class _Stats:
    """Counters since start (exported as Prometheus metrics by the API layer)."""

    summary_hits: int = 0
    summary_misses: int = 0
    computations: int = 0


@contextlib.contextmanager
def stored_values_checked(user_id: str) -> Iterator[None]:
    """Stored holdings or prices beyond today's input bounds (accepted before those bounds
    existed) can overflow the arithmetic: say so with a reason instead of failing as INTERNAL."""
    try:
        yield
    except (decimal.DecimalException, OverflowError) as exc:
        log.warning("stored portfolio values exceed the supported range",
                    extra={"user_id": user_id, "error": type(exc).__name__})
        raise FailedPrecondition(
            "the stored portfolio holds values beyond the supported range; sync it again with values within "
            "the documented bounds",
            reason="STORED_VALUES_OUT_OF_RANGE",
            metadata={"portfolio": f"users/{user_id}/portfolio"},
        ) from None


class PortfolioService(LedgerUseCases):
    """Use cases of ``PortfolioSummaryService``; one per process (built by the wiring)."""

    def __init__(
        self,
        store: PortfolioStore,
        feed: ChangeFeed,
        *,
        clock: Clock,
        settings: AnalyticsSettings,
        compute: Callable[[], ComputeClient] | None = None,
        cache: CacheSettings | None = None,
        receipts: ReceiptStore | None = None,
        locales: UserLocales | None = None,
        gc_hold: GcHold | None = None,
        budget: DailyTokenBudget | None = None,
    ) -> None:
        """``gc_hold``: held while a watch fan-out is in flight (see :mod:`.watch`); the process's
        one, from the wiring (none: collections run whenever they fall due). ``budget``: the
        users' daily AI token budget the narratives spend from (none: unlimited)."""
        self._store = store
        self._feed = feed
        self._clock = clock
        self.settings = settings
        self._compute = compute or OfflineComputeClient
        self._narrator = Narrator(self._compute, Audit(clock), receipts, locales, budget)
        cs = cache or CacheSettings()
        #: Weighed by positions (one 10,000-position summary is ~20 MB with its API message), and one
        #: user's summaries at past instants capped, so they cannot push everyone else's out.
        self._summaries = TaggedCache(cs.max_summaries, cs.ttl, max_weight=cs.max_summary_positions,
                                      weigh=_summary_weight, max_per_group=cs.max_as_of_per_user)
        self._portfolios = TaggedCache(cs.max_portfolios, cs.ttl)
        self._series = TaggedCache(cs.max_series, cs.ttl)
        #: Derived ledger books under their signatures (see :mod:`.ledger_service`).
        self._books = TaggedCache(cs.max_series, cs.ttl)
        #: Bumped whenever exchange rates change: a book derived across the change is not cached (the
        #: books converted with the changed pairs are dropped by their tags).
        self._fx_generation = 0
        self._seq = 0
        self._inflight: dict[Hashable, _Shared] = {}
        #: Series being loaded now, by symbol, with the change sequence they were loaded at.
        self._series_loads: dict[str, tuple[int, asyncio.Future[PriceSeries]]] = {}
        #: Latest-quote loads waiting to be made as one query (see _latest_quotes).
        self._quote_batch: _QuoteBatch | None = None
        self.hub = WatchHub(gc_hold)
        #: Summaries of watched portfolios being recomputed after a price change (see _refresh_watched).
        self._refreshes: set[asyncio.Task[None]] = set()
        #: By user, the refresh under way and the symbols changed since it started (refreshed next).
        self._refreshing: dict[str, tuple[asyncio.Task[None], set[str]]] = {}
        #: By watched user, the exchange-rate series (``#FX:`` keys) their latest "now" summary was
        #: valued with, and the change sequence that computation started at (a computation begun
        #: earlier and finished later does not replace it): what their watches listen to besides the
        #: held symbols (see _watch_symbols).
        self._watched_fx: dict[str, tuple[int, frozenset[str]]] = {}
        #: Price and rate writes invalidated for already, by id, with their symbols (see _invalidate_change).
        self._changes_applied: OrderedDict[str, frozenset[str]] = OrderedDict()
        #: (previous summary, next summary, what _compared found) by the pair's ids.
        self._compared_memo: dict[tuple[int, int], tuple[SummaryView, SummaryView, tuple[bool, frozenset[str]]]] = {}
        self._compared_rows = 0
        self.stats = _Stats()
        self._started = False
        #: The market day of the newest "now" summary key, with the instants it spans (see _today).
        self._day: tuple[datetime, datetime, date] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def astart(self) -> None:
        if not self._started:
            self._started = True
            await self._feed.start(self._on_change)

    def end_watches(self) -> None:
        """End every open watch with UNAVAILABLE (reconnect) and refuse new ones: shutdown begins."""
        self.hub.close()

    async def aclose(self) -> None:
        self.hub.close()
        for refresh in list(self._refreshes):
            refresh.cancel()
        for shared in list(self._inflight.values()):
            if shared.task is not None:
                shared.task.cancel()
        await self._feed.stop()

    # -- change handling -------------------------------------------------------------------

    def _on_change(self, event: ChangeEvent) -> None:
        if isinstance(event, PricesChanged):
            self._invalidate_change(event.symbols, event.change_id)
            for user_id in self.hub.users_holding(event.symbols):
                running = self._refreshing.get(user_id)
                if running is not None:
                    running[1].update(event.symbols)  # refreshed again once the one under way is done
                else:
                    self._start_refresh(user_id, event.symbols)
        else:
            self._invalidate(event)
            self.hub.dispatch(event)

    def _start_refresh(self, user_id: str, symbols: frozenset[str]) -> None:
        """One refresh per user at a time: changes that come while one is under way are refreshed
        together when it is done. One per change piled up for a big portfolio (its summary taking
        longer than the changes came), each computing and holding a summary no one would read."""
        task = asyncio.create_task(self._refresh_watched(user_id, symbols))
        self._refreshes.add(task)
        self._refreshing[user_id] = (task, set())
        episode = self.hub.busy()  # the fan-out starts with the computations for it
        task.add_done_callback(functools.partial(self._refresh_done, episode, user_id))

    def _refresh_done(self, episode: int, user_id: str, task: asyncio.Task[None]) -> None:
        self._refreshes.discard(task)
        running = self._refreshing.get(user_id)
        if running is not None and running[0] is task:
            del self._refreshing[user_id]
            changed = frozenset(running[1])
            if changed and not task.cancelled() and self.hub.watches(user_id, changed):
                self._start_refresh(user_id, changed)
        self.hub.idle(episode)

    def _watchers_gone(self, user_id: str) -> None:
        """The last watch of ``user_id`` ended: the refresh for it is of no use any more."""
        if not self.hub.watches(user_id):
            self._watched_fx.pop(user_id, None)
            running = self._refreshing.get(user_id)
            if running is not None:
                running[0].cancel()

    def _invalidate_change(self, symbols: frozenset[str], change_id: str) -> None:
        """Invalidate for a price or exchange-rate write, once per write: this process's own write
        is announced twice, by its RecordPrices (RecordExchangeRates) as it answers
        (read-your-writes) and by its notification coming back, in either order. Both come after
        the commit, so whatever is computed after the first reads the new prices (rates); the
        second would only discard that work (after a change every watched portfolio holding the
        symbol, or valued with the pair, is recomputed, and it was recomputed twice)."""
        if not change_id:
            self._invalidate(PricesChanged(symbols))
            return
        done = self._changes_applied.get(change_id, frozenset())
        if not symbols <= done:
            self._invalidate(PricesChanged(symbols - done))
        self._changes_applied[change_id] = done | symbols
        self._changes_applied.move_to_end(change_id)
        while len(self._changes_applied) > _CHANGES_REMEMBERED:
            self._changes_applied.popitem(last=False)

    async def _refresh_watched(self, user_id: str, symbols: frozenset[str]) -> None:
        """After a price change, the new summary of a watched portfolio, computed (and cached)
        once, and only then its watchers woken: they find it in the cache. Woken first, the
        watchers of a portfolio (thousands in all after a change of a widely held symbol) would
        each wait on its computation and be woken twice; the computations and the sends of the
        portfolios done so far now interleave instead. A failed computation still wakes them:
        each then meets the error itself, as before."""
        fresh: tuple[SummaryView, int] | None = None
        # The user's own portfolio, for the user's own watch. An error: the watchers' own
        # summary() meets and reports it. Cancelled (the user's watches ended, or shutdown): there
        # is no one to wake. No call asked for it: nobody's CPU budget is charged or asked.
        with contextlib.suppress(Exception), user_scope(user_id), cpu_meter.charged_to(None):
            seq = self._seq
            view = await self.summary(user_id)
            if self._seq == seq:  # nothing invalidated while it was computed
                fresh = (view, seq)
        self.hub.dispatch_prices(user_id, symbols, fresh)

    def _invalidate(self, event: ChangeEvent) -> None:
        self._seq += 1
        if isinstance(event, PricesChanged):
            self._series_drop(event.symbols)
            self._summaries.drop_symbols(event.symbols)
            fx = frozenset(s for s in event.symbols if is_fx_key(s))
            if fx:
                # Only what was converted with these pairs (tagged ``#FX:EUR/USD``; a write names its
                # pairs both ways round): other users' portfolios and books stay cached.
                self._fx_generation += 1  # a ledger book being derived now is not cached
                self._portfolios.drop_symbols(fx)
                self._books.drop_symbols(fx)
        elif isinstance(event, HoldingsChanged):
            self._portfolios.drop_user(event.user_id)
            self._summaries.drop_user(event.user_id)
        else:
            self._summaries.clear()
            self._portfolios.clear()
            self._series.clear()
            self._books.clear()

    def forget_user(self, user_id: str) -> None:
        """Drop everything cached for ``user_id`` (after their data was erased)."""
        self._invalidate(HoldingsChanged(user_id))

    def _series_drop(self, symbols: frozenset[str]) -> None:
        for s in symbols:
            self._series.drop(("series", s))

    @property
    def notifications_live(self) -> bool:
        """The change feed is connected (caches are in use and watches hear every replica)."""
        return self._feed.healthy

    def _epoch(self) -> int | None:
        """The epoch caches may use now, or None when nothing may be cached (feed down)."""
        return self._feed.epoch if self._feed.healthy else None

    # -- writes ----------------------------------------------------------------------------

    async def sync(self, command: SyncCommand, *, idempotency: Idempotency | None = None) -> SyncResult:
        now = self._clock.now()
        cmd = validate_sync(command, now)
        effective = cmd.effective_date or market_date(now, self.settings.tz)
        result = await self._store.sync_portfolio(cmd, effective=effective, synced_at=now, idempotency=idempotency)
        self._invalidate(HoldingsChanged(cmd.user_id))
        return result

    async def import_history(
        self, command: ImportHistoryCommand, *, idempotency: Idempotency | None = None
    ) -> ImportResult:
        """Store a history of dated snapshots, all or nothing (``ImportHoldingsHistory``)."""
        now = self._clock.now()
        # up to 200,000 positions to check (~1 s): in a thread, so other callers are not held meanwhile
        large = sum(len(s.positions) for s in command.snapshots) + len(command.cash_flows) > INLINE_POSITIONS
        cmd = await cpu_meter.in_thread(large, validate_import, command, now)
        result = await self._store.import_history(cmd, synced_at=now, idempotency=idempotency)
        self._invalidate(HoldingsChanged(cmd.user_id))
        return result

    async def record_prices(
        self, points: Sequence[PriceInput], *, idempotency: Idempotency | None = None
    ) -> RecordResult:
        valid = validate_prices(points, self._clock.now())
        result = await self._store.record_prices(valid, idempotency=idempotency)
        if result.changed_symbols:
            self._invalidate_change(result.changed_symbols, result.change_id)
        return result

    async def ingest_news(self, articles: Sequence[ArticleInput]) -> IngestResult:
        return await self._store.ingest_news(validate_articles(articles, self._clock.now()))

    # -- reads -----------------------------------------------------------------------------

    async def summary(self, user_id: str, as_of: datetime | None = None, *, live: bool = False,
                      holdings_now: bool | datetime = False) -> SummaryView:
        """The summary as of now (cached per market day) or as of a past instant.

        ``live`` uses the live summary's rule at ``as_of`` (a close dated that day counts as soon as
        recorded, not only after its session's end, see :func:`~.engine.compute_summary`): digests,
        and receipt replays of texts written from the live summary. GetPortfolioSummary with an
        ``as_of_time`` does not. ``holdings_now`` (with ``as_of``): a portfolio that held nothing yet
        then is valued as it is now at ``as_of``'s prices (a new user's first digest), not refused; an instant
        instead of ``True``: as it was then (the replay of that digest's receipt, written at that instant)."""
        now = self._clock.now()
        if as_of is not None:
            check_not_future(as_of, now, "as_of_time")
            key: Hashable = ("at", user_id, as_of, live, holdings_now)
        else:
            key = ("now", user_id, self._today(now))
        release: cpu_meter.Release | None = None
        try:
            while True:
                epoch = self._epoch()
                if epoch is not None:
                    hit = self._summaries.get(key, epoch)
                    if hit is not None:
                        self.stats.summary_hits += 1
                        return hit  # type: ignore[no-any-return]
                seq = self._seq
                shared = self._inflight.get(key)
                if shared is not None and shared.seq == seq and shared.task is not None and not shared.task.done():
                    self.stats.summary_misses += 1
                    break  # shared: no turn taken, nothing charged
                if release is None:
                    # A new computation: the caller's CPU budget may refuse it, and makes it wait
                    # while another of the caller's runs (see .cpu_meter); having waited, the cache
                    # or a computation started meanwhile may answer: looked at again.
                    release = await cpu_meter.admit()
                    continue
                self.stats.summary_misses += 1
                shared = _Shared(seq)
                task = asyncio.create_task(
                    self._compute_view(key, user_id, as_of, epoch, shared, live,
                                       holdings_now if as_of is not None else False))
                shared.task = task
                self._inflight[key] = shared
                task.add_done_callback(lambda t: self._forget(key, t))
                # The caller's turn ends with the computation (charged by then), whoever waits for it.
                task.add_done_callback(functools.partial(_end_turn, release))
                release = None
                break
        finally:
            if release is not None:
                release()
        return await self._await_shared(key, shared)

    async def _await_shared(self, key: Hashable, shared: _Shared) -> SummaryView:
        """Wait for a shared computation. When every caller waiting on it has gone before its CPU
        work started, it is cancelled (a queued big computation then never runs) and forgotten (a
        later call starts its own)."""
        task = shared.task
        assert task is not None
        shared.waiters += 1
        try:
            return await asyncio.shield(task)
        finally:
            shared.waiters -= 1
            if shared.waiters == 0 and not task.done() and not shared.started:
                if self._inflight.get(key) is shared:
                    del self._inflight[key]
                task.cancel()

    def _today(self, now: datetime) -> date:
        """``market_date(now)``, converted once a market day: the day is kept with the instants it
        spans, in ``now``'s own time zone (aware datetimes with the same tzinfo compare without
        converting), and a ``now`` inside them is that day."""
        day = self._day
        if day is not None and now.tzinfo is day[0].tzinfo and day[0] <= now < day[1]:
            return day[2]
        tz = self.settings.tz
        today = market_date(now, tz)
        start = datetime.combine(today, dtime.min, tzinfo=tz).astimezone(now.tzinfo)
        end = datetime.combine(today + timedelta(days=1), dtime.min, tzinfo=tz).astimezone(now.tzinfo)
        self._day = (start, end, today)
        return today

    def _forget(self, key: Hashable, task: asyncio.Task[SummaryView]) -> None:
        current = self._inflight.get(key)
        if current is not None and current.task is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: waiters re-raise it; no "never retrieved" warning

    async def _compute_view(
        self, key: Hashable, user_id: str, as_of: datetime | None, epoch: int | None, shared: _Shared, live: bool,
        holdings_now: bool | datetime = False,
    ) -> SummaryView:
        seq = shared.seq
        at = as_of or self._clock.now()
        inputs = await self._load(user_id, at, epoch, seq)

        settings = inputs.settings
        holdings_if_none = (
            None if holdings_now is False
            else self._today(holdings_now if isinstance(holdings_now, datetime) else self._clock.now())
        )

        def work() -> SummaryView:
            with cpu_meter.metered(), stored_values_checked(user_id):
                summary = compute_summary(
                    inputs.analytics(),
                    as_of=at,
                    settings=settings,
                    closes_at_session_end=as_of is not None and not live,
                    holdings_if_none=holdings_if_none,
                )
                return build_view(user_id, summary, inputs.portfolio)

        # A summary of up to ~50 positions x 504 days costs under ~2 ms of CPU: computed on the
        # loop, as a thread handoff costs more than that under load (the GIL is contended by the
        # loop and the worker, and after a price change every watched portfolio recomputes at
        # once: bench/watches.py at 2,000 watchers, p99 1.69 s -> 1.01 s). Larger ones go to a thread,
        # so one user's big portfolio does not hold every other call (10,000 positions: ~0.5 s); the
        # process's few such threads (compute_pool) bound how many are in memory at once.
        if _inline(inputs):
            view = work()
        else:
            view = await compute_pool.run(work, started=shared.start)
        self.stats.computations += 1
        if as_of is None and self.hub.watches(user_id):
            # Noted whether or not the summary is cached: the watch sending it listens to these.
            noted = self._watched_fx.get(user_id)
            if noted is None or noted[0] <= seq:
                self._watched_fx[user_id] = (seq, inputs.portfolio.fx_keys | inputs.converted_with)
        if epoch is not None and self._seq == seq and self._epoch() == epoch:
            deps = (inputs.portfolio.symbols | {settings.benchmark_symbol} | inputs.portfolio.fx_keys
                    | inputs.converted_with)
            self._summaries.put(key, view, user_id=user_id, symbols=deps, epoch=epoch,
                                group=("at", user_id) if as_of is not None else None)
        return view

    async def _load(self, user_id: str, at: datetime, epoch: int | None, seq: int) -> _Inputs:
        portfolio: StoredPortfolio | None = None
        if epoch is not None:
            portfolio = self._portfolios.get(("portfolio", user_id), epoch)
        if portfolio is None:
            portfolio = await self._load_portfolio(user_id, epoch, seq)
            if epoch is not None and self._seq == seq:
                self._portfolios.put(
                    ("portfolio", user_id), portfolio, user_id=user_id, symbols=portfolio.fx_keys, epoch=epoch
                )
        settings = portfolio.user_settings.applied(self.settings)
        symbols = sorted(portfolio.symbols | {settings.benchmark_symbol})
        series: dict[str, PriceSeries] = {}
        missing: list[str] = []
        for s in symbols:
            cached = self._series.get(("series", s), epoch) if epoch is not None else None
            if cached is None:
                missing.append(s)
            else:
                series[s] = cached
        if missing:
            series.update(await self._load_series(missing, epoch, seq))
        quotes = await self._latest_quotes(symbols, at)
        prices: dict[str, PriceSeries] = {}
        for s, one in series.items():
            q = quotes.get(s)
            if q is not None:
                one = dataclasses.replace(one, quote=q, currency=one.currency or q.currency)
            if one.dates or one.quote is not None:
                prices[s] = one
        converted_with = await self._convert_foreign_prices(portfolio, prices, epoch, seq)
        return _Inputs(portfolio, prices, settings, converted_with)

    async def _convert_foreign_prices(
        self, portfolio: StoredPortfolio, prices: dict[str, PriceSeries], epoch: int | None, seq: int
    ) -> frozenset[str]:
        """Prices recorded in another currency than the one their symbol is held or traded in are
        converted into the latter, day by day (:func:`~.fx.convert_series`): a position and its prices
        share a currency once any price is recorded (RecordPrices and the writes refuse a mismatch),
        but trades made before a symbol's first price cannot know its currency. Without it they
        were valued as if the exchange rate were 1. Returns the rate series used (cache tags)."""
        held = portfolio.symbol_currencies
        foreign = {
            s: c for s, c in held.items() if s in prices and prices[s].currency and prices[s].currency != c
        }
        if not foreign:
            return frozenset()
        base = portfolio.base_currency
        needed = ({prices[s].currency for s in foreign} | set(foreign.values())) - {base}
        rates = dict(portfolio.fx_rates)
        if needed - rates.keys():
            rates.update(await self._fx_series(needed - rates.keys(), base, epoch, seq))
        table = FxTable(base, rates)
        for s, c in foreign.items():
            converted = convert_series(prices[s], c, table)
            if converted.dates or converted.quote is not None:
                prices[s] = converted
            else:
                del prices[s]  # no rate to convert at: unpriced (MISSING_PRICE), never at 1
        return frozenset(fx_key(c, base) for c in needed)

    async def _latest_quotes(self, symbols: list[str], at: datetime) -> dict[str, PricePoint]:
        """The latest quotes of ``symbols`` at or before ``at``. The summaries loading at the same
        moment share one query (after a price change every watched portfolio holding the symbol
        recomputes at once: one query instead of one each), made as of the earliest of their
        instants: a quote recorded in between is one those summaries could have missed anyway,
        and its write invalidates them."""
        batch = self._quote_batch
        if batch is None:
            batch = self._quote_batch = _QuoteBatch(at)
            batch.task = asyncio.create_task(self._flush_quotes(batch))
            batch.task.add_done_callback(_retrieve)
        batch.symbols.update(symbols)
        batch.at = min(batch.at, at)
        task = batch.task
        assert task is not None
        loaded = await asyncio.shield(task)
        return {s: loaded[s] for s in symbols if s in loaded}

    async def _flush_quotes(self, batch: _QuoteBatch) -> dict[str, PricePoint]:
        await asyncio.sleep(0)  # the loads resumed in this turn of the loop join first
        self._quote_batch = None
        return await self._store.load_latest_quotes(sorted(batch.symbols), at_or_before=batch.at)

    async def _load_series(self, symbols: list[str], epoch: int | None, seq: int) -> dict[str, PriceSeries]:
        """Daily closes of ``symbols``, one query for all of them; a symbol another summary is
        loading at this moment (for the same change) is awaited, not queried again: after a price
        change every watched portfolio holding the symbol recomputes at once, and they share one
        load of its series instead of one each."""
        out: dict[str, PriceSeries] = {}
        waits: dict[str, asyncio.Future[PriceSeries]] = {}
        mine: list[str] = []
        for s in symbols:
            running = self._series_loads.get(s)
            if running is not None and running[0] == seq and not running[1].done():
                waits[s] = running[1]
            else:
                mine.append(s)
        if mine:
            loop = asyncio.get_running_loop()
            futures = {s: loop.create_future() for s in mine}
            for s, f in futures.items():
                self._series_loads[s] = (seq, f)
            try:
                loaded = await self._store.load_daily_prices(mine)
            except BaseException as exc:
                for s, f in futures.items():
                    if isinstance(exc, Exception):
                        f.set_exception(exc)
                        f.exception()  # retrieved: only the waiters re-raise it
                    else:
                        f.cancel()  # the loader was cancelled: a waiter sees CancelledError
                    self._drop_series_load(s, f)
                raise
            for s, f in futures.items():
                one = loaded.get(s) or PriceSeries(symbol=s, dates=(), closes=())
                out[s] = one
                f.set_result(one)
                self._drop_series_load(s, f)
                if epoch is not None and self._seq == seq:
                    self._series.put(("series", s), one, user_id=None, symbols=frozenset({s}), epoch=epoch)
        for s, f in waits.items():
            try:
                out[s] = await asyncio.shield(f)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not f.cancelled() or (task is not None and task.cancelling()):
                    raise
                out.update(await self._load_series([s], epoch, seq))  # its loader went away: load it here
        return out

    def _drop_series_load(self, symbol: str, future: asyncio.Future[PriceSeries]) -> None:
        current = self._series_loads.get(symbol)
        if current is not None and current[1] is future:
            del self._series_loads[symbol]

    async def _load_portfolio(self, user_id: str, epoch: int | None, seq: int) -> StoredPortfolio:
        """Snapshots, or the ledger when the user has transactions; the user's settings; the
        exchange rates every currency in it needs."""
        user_settings = await self._store.get_settings(user_id)
        base = await self._store.portfolio_base_currency(user_id)
        if base is None:
            raise portfolio_not_found(user_id)
        fx: dict[str, PriceSeries] = {}

        async def load_fx(currencies: set[str]) -> None:
            fx.update(await self._fx_series(currencies - {base}, base, epoch, seq))

        ledger = await self.load_ledger(user_id, base, user_settings.method, fx, load_fx, epoch)
        if ledger is not None:
            return StoredPortfolio(user_id=user_id, base_currency=base, snapshots=(), cash_flows=(), ledger=ledger,
                                   user_settings=user_settings, fx_rates=fx)
        portfolio = await self._store.load_portfolio(user_id)
        if portfolio is None or not portfolio.snapshots:
            raise portfolio_not_found(user_id)
        await load_fx(portfolio.currencies)
        return dataclasses.replace(portfolio, user_settings=user_settings, fx_rates=fx)

    async def _fx_series(
        self, currencies: set[str], base: str, epoch: int | None, seq: int
    ) -> dict[str, PriceSeries]:
        """The rate series of ``currencies`` to ``base``, cached as price series are: only when nothing
        was invalidated since ``seq`` (a series read just before a new rate was recorded, and put
        after its invalidation, was served to every summary after it until it expired)."""
        out: dict[str, PriceSeries] = {}
        missing: list[str] = []
        for c in sorted(currencies):
            key = ("series", fx_key(c, base))
            hit = self._series.get(key, epoch) if epoch is not None else None
            if hit is None:
                missing.append(c)
            else:
                out[c] = hit
        if missing:
            loaded = await self._store.load_exchange_rates(missing, base)
            for c in missing:
                one = loaded.get(c) or PriceSeries(symbol=fx_key(c, base), dates=(), closes=())
                out[c] = one
                if epoch is not None and self._seq == seq:
                    self._series.put(("series", fx_key(c, base)), one, user_id=None,
                                     symbols=frozenset({fx_key(c, base)}), epoch=epoch)
        return out

    async def history(
        self, user_id: str, window: HistoryRange | DateRange, interval: Interval = Interval.DAILY
    ) -> HistoryView:
        now = self._clock.now()
        if isinstance(window, DateRange):
            check_not_future(window.end, now, "dates.end_date")
        # Every history is computed (none is cached): the caller's CPU budget may refuse it, and it
        # waits while another computation of the caller's runs; its turn ends with it (see .cpu_meter).
        release = await cpu_meter.admit()
        try:
            return await self._history(user_id, window, interval, now)
        finally:
            release()

    async def _history(
        self, user_id: str, window: HistoryRange | DateRange, interval: Interval, now: datetime
    ) -> HistoryView:
        epoch = self._epoch()
        inputs = await self._load(user_id, now, epoch, self._seq)
        settings = inputs.settings

        def work() -> PerformanceHistory:
            with cpu_meter.metered(), stored_values_checked(user_id):
                return compute_history(
                    inputs.analytics(),
                    as_of=now,
                    range=window,
                    interval=interval,
                    settings=settings,
                )

        hist = await asyncio.to_thread(work) if _inline(inputs) else await compute_pool.run(work)
        return HistoryView(
            user_id=user_id,
            base_currency=inputs.portfolio.base_currency,
            benchmark_symbol=hist.benchmark_symbol or settings.benchmark_symbol,
            history=hist,
        )

    # -- streams ---------------------------------------------------------------------------

    async def stream_summary(
        self, user_id: str, *, deadline: float | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """``SummaryReady``, then ``NarrativeChunk``\\ s, then one ``NarrativeDone``.

        Closing the iterator early closes the AI stream (which cancels the provider request).
        """
        view = await self.summary(user_id)
        yield SummaryReady(view)
        narration = self._narrator.narrate(user_id, view.summary, deadline=deadline)
        try:
            async for event in narration:
                yield event
        finally:
            await narration.aclose()

    async def watch(
        self, user_id: str, min_interval: timedelta | None = None
    ) -> AsyncGenerator[WatchUpdate, None]:
        """One update at once, then one per relevant change, at most once per ``min_interval``."""
        interval = clamp_watch_interval(min_interval).total_seconds()
        sub = self.hub.subscribe(user_id)
        try:
            view = await self.summary(user_id)
            sub.symbols = self._watch_symbols(user_id, view)
            yield WatchUpdate(view, WatchTrigger.INITIAL, ())
            last_sent = time.monotonic()
            while True:
                sub.settle()  # the update of the last wake is out (or there was none to send)
                await sub.event.wait()
                if sub.closed:
                    raise shutting_down()
                delay = last_sent + interval - time.monotonic()
                if delay > 0:
                    sub.settle(pausing=True)
                    try:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(sub.ended.wait(), delay)  # shutdown ends the wait
                    finally:
                        sub.resume()
                    if sub.closed:
                        raise shutting_down()
                trigger, changed, resync, fresh = sub.take()
                # The summary the change was computed into, unless anything changed since.
                new = fresh[0] if fresh is not None and fresh[1] == self._seq else await self._summary_for_watch(
                    user_id, sub)
                sub.symbols = self._watch_symbols(user_id, new)
                if resync:
                    # The feed reconnected and may have missed changes (a database outage): what
                    # differs from the update sent last says what they were.
                    if trigger is None and _same_figures(new.summary, view.summary):
                        continue
                    trigger, missed = _resync_trigger(trigger, view.summary, new.summary)
                    changed = changed | missed
                elif trigger is None:
                    continue
                elif trigger is WatchTrigger.HOLDINGS_CHANGE and not changed and _same_figures(
                    new.summary, view.summary
                ):
                    # a holdings change this watch had already seen (its notice came after the first update, as a
                    # SyncPortfolio's just before the watch began can through another replica), or one that changed
                    # nothing: no update says the holdings changed when none of its figures did
                    continue
                elif trigger is WatchTrigger.PRICE_CHANGE:
                    # A price written before this wake's summary was computed and announced after it is in that
                    # summary: it is named with the wake's own changes, and its own wake finds the summary already
                    # sent (it sent the same figures again, naming only that symbol)
                    same, repriced = self._compared(view, new)
                    if same:
                        continue
                    changed = changed | repriced
                view = new
                yield WatchUpdate(view, trigger, tuple(sorted(changed & new.held_symbols)))
                last_sent = time.monotonic()
        finally:
            self.hub.unsubscribe(sub)
            self._watchers_gone(user_id)


    def _compared(self, old: SummaryView, new: SummaryView) -> tuple[bool, frozenset[str]]:
        """Whether a watch's next summary has the same figures as the one it sent last (:func:`_same_figures`),
        and the symbols repriced between them (:func:`_repriced`): worked out once for all the watchers of a
        portfolio (thousands after a change of a widely held symbol); the last few pairs kept."""
        if new is old:
            return True, frozenset()
        memo = self._compared_memo
        key = (id(old), id(new))
        hit = memo.get(key)
        if hit is not None and hit[0] is old and hit[1] is new:
            return hit[2]
        repriced = frozenset(_repriced(old.summary, new.summary))
        # a repriced symbol is a new figure; only without one are the whole summaries compared (a rate, or nothing)
        found = (not repriced and _same_figures(new.summary, old.summary), repriced)
        memo[key] = (old, new, found)
        self._compared_rows += old.rows + new.rows
        while len(memo) > _COMPARED_KEPT or self._compared_rows > _COMPARED_ROWS:
            first = memo.pop(next(iter(memo)))
            self._compared_rows -= first[0].rows + first[1].rows
        return found

    def _watch_symbols(self, user_id: str, view: SummaryView) -> frozenset[str]:
        """What a watch of ``user_id`` that just got ``view`` listens to: the held symbols, and the
        exchange-rate series the portfolio is valued with (its positions' and flows' currencies, and
        the cross rates of prices recorded in another currency than their position's; ``#FX:`` keys,
        which no ticker can equal). A rate write names its pair both ways round, so it reaches the
        watch however it was recorded; a portfolio that converts with no rate listens to its symbols
        alone. A new price of a held symbol is matched exactly as before (the same set, the same
        lookups)."""
        noted = self._watched_fx.get(user_id)
        if noted is not None:
            fx = noted[1]
        else:
            # No summary computed since the user's first watch opened: the one it got came from the
            # cache, and the entry's tags name the series it was computed with.
            tags = self._summaries.tags_of(("now", user_id, self._today(self._clock.now())), view)
            if tags is None:
                return view.held_symbols
            fx = frozenset(t for t in tags if is_fx_key(t))
            self._watched_fx[user_id] = (-1, fx)  # any computation from now on replaces it
        return view.held_symbols | fx if fx else view.held_symbols

    async def _summary_for_watch(self, user_id: str, sub: Any) -> SummaryView:
        """The summary a watch sends next. The database being unavailable does not end the watch: it
        waits (backing off to ``WATCH_RETRY_MAX``) and tries again until it answers or the watch ends.
        The change feed reconnects the moment the database is back, before readiness renews the pool
        (calls fail fast until then), so every watch's resync used to fail at the instant of recovery
        and the whole fleet's watches ended at once with "database unavailable"."""
        delay = WATCH_RETRY_FIRST
        while True:
            try:
                return await self.summary(user_id)
            except Unavailable:
                if sub.closed:
                    raise shutting_down() from None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(sub.ended.wait(), delay)  # shutdown ends the wait
                if sub.closed:
                    raise shutting_down() from None
                delay = min(delay * 2, WATCH_RETRY_MAX)


#: A watch's first wait before it asks again for a summary the database could not give, and the
#: longest (seconds).
WATCH_RETRY_FIRST, WATCH_RETRY_MAX = 0.25, 5.0


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a shared task's error retrieved (its waiters re-raise it; they may all be gone)."""
    if not task.cancelled():
        task.exception()


def _summary_weight(view: SummaryView) -> int:
    """A cached summary's weight against ``CacheSettings.max_summary_positions``: its positions (a ledger's
    symbols, closed ones too, each with its figures), + 1."""
    return view.rows + 1


_CHANGES_REMEMBERED = 1024
#: Pairs of summaries compared for watches kept (a change's watched portfolios, each pair keeping its two summaries
#: alive), and the rows (positions) they may hold in all.
_COMPARED_KEPT, _COMPARED_ROWS = 512, 50_000
"""Price and rate writes whose second announcement is still expected (it comes within milliseconds)."""

_INLINE_PRICE_CELLS = 50 * 504
#: Positions above which CPU work on a portfolio leaves the event loop (a thread).
INLINE_POSITIONS = 500
"""Price points (days x series) up to which a summary is computed on the event loop."""


def _inline(inputs: _Inputs) -> bool:
    """Small enough to compute on the event loop; larger ones go to a thread. A ledger counts every
    symbol it ever traded (closed ones too: each has its figures), and its timeline's cells (symbols x
    trade dates; 252,000 of them cost the valuation about 10 ms more, priced or not)."""
    ledger = inputs.portfolio.ledger
    return (
        sum(len(p.dates) for p in inputs.prices.values()) <= _INLINE_PRICE_CELLS
        and len(inputs.portfolio.symbols) <= INLINE_POSITIONS
        and (ledger is None or ledger.timeline.quantities.size <= 10 * _INLINE_PRICE_CELLS)
    )


def _same_figures(a: PortfolioSummary, b: PortfolioSummary) -> bool:
    return dataclasses.replace(a, as_of=b.as_of) == b


def _holdings(s: PortfolioSummary) -> tuple[Any, ...]:
    """What a holdings change (SyncPortfolio, ImportHoldingsHistory, a transaction, the settings)
    alters in a summary and a price or rate change does not: the positions with their quantities,
    costs and classification, the cash, and the settings a summary shows."""
    positions = frozenset(
        (p.symbol, p.quantity, p.currency, p.average_cost, p.sector, p.asset_class, p.basket, p.tags)
        for p in s.positions
    )
    return (s.base_currency, s.benchmark_symbol, s.source, s.cash, positions)


def _repriced(old: PortfolioSummary, new: PortfolioSummary) -> set[str]:
    """Symbols held in both summaries whose price differs (the price, or the instant it is of)."""
    before = {p.symbol: (p.price, p.price_at) for p in old.positions}
    return {p.symbol for p in new.positions if p.symbol in before and before[p.symbol] != (p.price, p.price_at)}


def _resync_trigger(
    pending: WatchTrigger | None, old: PortfolioSummary, new: PortfolioSummary
) -> tuple[WatchTrigger, set[str]]:
    """The trigger of an update after the change feed reconnected (changes made while it was away
    were not announced), and the held symbols whose price changed meanwhile, from the summary sent
    last (``old``) and the one about to be sent (``new``): HOLDINGS_CHANGE when the holdings differ
    (a missed SyncPortfolio labelled PRICE_CHANGE told the client its positions were as before),
    else what was announced since the reconnection, else PRICE_CHANGE (a price, a rate, or only
    the passing of time)."""
    missed = _repriced(old, new)
    if _holdings(old) != _holdings(new):
        return WatchTrigger.HOLDINGS_CHANGE, missed
    return pending or WatchTrigger.PRICE_CHANGE, missed
