"""What notifications need from the portfolio and news side, as small Protocols.

The facts are plain numbers computed by the portfolio core (``compute_summary``,
``evaluate_alert``); this package only turns them into words, charts and payloads.
Ratios are fractions (``0.0123`` = 1.23 %) and ``None`` when undefined.

The last part describes what the API's notification use cases need: the scheduler's tables
(:class:`NotificationStore`), its settings (:class:`JobSettings`) and an in-process delivery
worker (:class:`Deliverer`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from stack_cfo.core.i18n import Localizer
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Platform, Reason
from stack_cfo.core.notifications.policy import GraceWindows, RetryPolicy
from stack_cfo.core.notifications.preferences import NotificationPreferences
from stack_cfo.core.notifications.records import (
    Heartbeat,
    JobRun,
    NotificationRecord,
    PlannerState,
    PushDevice,
    RunCandidate,
)
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.core.provenance.model import Receipt


@dataclass(frozen=True, slots=True)
class ValuePoint:
    day: date
    value: Decimal


@dataclass(frozen=True, slots=True)
class Holding:
    symbol: str
    weight: float
    """Share of portfolio value, 0..1."""
    value: Decimal
    day_return: float | None = None


@dataclass(frozen=True, slots=True)
class Mover:
    """A position's move over the period and what it contributed to the portfolio's."""

    symbol: str
    period_return: float | None
    contribution: Decimal
    """Money gained or lost by the portfolio through this position."""


@dataclass(frozen=True, slots=True)
class NewsItem:
    id: str
    title: str
    summary: str
    url: str
    source: str
    published_at: datetime
    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """A shared AI summary of a news article, as kept for every holder."""

    text: str
    receipt_id: str | None


@dataclass(frozen=True, slots=True)
class DigestFacts:
    """Yesterday's performance, in the user's local calendar."""

    day: date
    currency: str
    total_value: Decimal
    change: Decimal
    day_return: float | None
    holdings: tuple[Holding, ...]
    history: tuple[ValuePoint, ...] = ()
    narrative: str = ""
    """The portfolio core's deterministic one-paragraph reading of the numbers, if any."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """The portfolio's data block (``core.portfolio.summary_document``) the AI paragraph is written
    from and checked against; empty when the reader has none (then it is built from these fields)."""
    as_of: datetime | None = None
    """When the figures were computed."""
    narrator: Callable[[Localizer], str] | None = field(default=None, compare=False, repr=False)
    """Writes ``narrative`` in another locale (the same sentences over the same figures)."""

    def narrative_in(self, l10n: Localizer) -> str:
        """The deterministic paragraph in ``l10n``'s language (``narrative`` in English)."""
        if self.narrator is None or l10n.is_english:
            return self.narrative
        return self.narrator(l10n)


@dataclass(frozen=True, slots=True)
class WeeklyFacts:
    week_start: date
    week_end: date
    currency: str
    start_value: Decimal
    end_value: Decimal
    change: Decimal
    """``end_value - start_value``: the week's gain plus ``net_flows``."""
    week_return: float | None
    """Price return of the invested positions over the week, cash left out (the summary's holdings-based
    week return, the group ``week_return_percent`` of the portfolio API): not the return of
    ``start_value`` to ``end_value``, which is :attr:`portfolio_return`."""
    benchmark_symbol: str
    benchmark_return: float | None
    top_movers: tuple[Mover, ...]
    portfolio_return: float | None = None
    """The whole portfolio's return over the week, cash included, time-weighted: deposits and withdrawals
    (``net_flows``) are not a gain. Without flows it is ``end_value / start_value - 1``. ``None`` from a
    reader that does not compute it (:attr:`return_over_week` then derives it when it can)."""
    net_flows: Decimal = Decimal(0)
    """Net external flows during the week (+ deposits, - withdrawals), part of ``change``."""
    volatility: float | None = None
    previous_volatility: float | None = None
    diversification: float | None = None
    """Diversification score 0-100 (PortfolioSummary.diversification.score; higher is better), now and a
    week ago."""
    previous_diversification: float | None = None
    insights: tuple[str, ...] = ()
    history: tuple[ValuePoint, ...] = ()
    portfolio: Mapping[str, Any] = field(default_factory=dict)
    """The end-of-week data block (``core.portfolio.summary_document``); empty when the reader has none."""
    as_of: datetime | None = None
    insights_writer: Callable[[Localizer], tuple[str, ...]] | None = field(default=None, compare=False, repr=False)
    """Writes ``insights`` in another locale (from the insights' codes and numbers)."""

    def insights_in(self, l10n: Localizer) -> tuple[str, ...]:
        """The insight lines in ``l10n``'s language (``insights`` in English)."""
        if self.insights_writer is None or l10n.is_english:
            return self.insights
        return self.insights_writer(l10n)

    @property
    def return_over_week(self) -> float | None:
        """The return stated beside ``start_value`` and ``end_value``: :attr:`portfolio_return`, else
        (a reader without it) ``change / start_value`` when no money came in or went out."""
        if self.portfolio_return is not None:
            return self.portfolio_return
        if self.net_flows != 0 or self.start_value <= 0:
            return None
        return float(self.change / self.start_value)

    def ending_by(self, local_today: date) -> WeeklyFacts:
        """These facts with a week that ends by the user's local date: a new portfolio's week so far is
        labelled by the market (New York) date of its figures, which west of New York can be a day that
        has not begun for the user (Saturday evening in Pago Pago is Sunday in New York); its seven days
        then end on ``local_today`` instead. A week ending earlier (any whole week) is kept as it is."""
        if self.week_end <= local_today:
            return self
        return replace(self, week_start=local_today - timedelta(days=6), week_end=local_today)


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """A fired alert: present only when the portfolio core's alert rule fired."""

    at: datetime
    currency: str
    value: Decimal
    change: Decimal
    move: float
    """Move since the previous close, as a fraction."""
    sigma: float | None
    """The move in standard deviations of the portfolio's own daily volatility; ``None`` when the
    history is too short to know (the alert then fired on the percentage threshold)."""
    threshold_sigma: float
    drivers: tuple[Mover, ...]
    """The positions behind the move (change since the previous close in base currency, the same
    reference as ``change``), largest first."""
    history: tuple[ValuePoint, ...] = ()
    threshold_percent: float | None = None
    """The user's threshold in percent (2.0 = 2 %)."""
    crossed: tuple[str, ...] = ()
    """The thresholds the move crossed (:attr:`~stack_cfo.core.portfolio.AlertDecision.crossed`):
    ``"PCT"``, ``"SIGMA"``; the text names one that fired (empty: the sigma threshold)."""


class PortfolioReader(Protocol):
    """Numbers for one user. The lead adapts the portfolio store and core to this."""

    async def digest_facts(self, user_id: str, day: date) -> DigestFacts | None:
        """Performance on local ``day``; ``None`` when the user holds nothing."""
        ...

    async def weekly_facts(self, user_id: str, week_start: date, week_end: date) -> WeeklyFacts | None: ...

    async def alert_facts(
        self, user_id: str, at: datetime, *, threshold_percent: float, threshold_sigma: float
    ) -> AlertFacts | None:
        """The alert at ``at`` if the rule fires (move >= ``threshold_percent`` points, or
        >= ``threshold_sigma`` standard deviations), else ``None``."""
        ...


class NewsReader(Protocol):
    async def news_for_symbols(
        self, symbols: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[NewsItem]:
        """Articles published in ``[since, until)`` mentioning any of ``symbols``, newest first."""
        ...


@dataclass(slots=True)
class StaticPortfolioReader:
    """In-memory facts per user: for tests, benchmarks and demos."""

    digests: Mapping[str, DigestFacts] = field(default_factory=dict)
    weeklies: Mapping[str, WeeklyFacts] = field(default_factory=dict)
    alerts: Mapping[str, AlertFacts] = field(default_factory=dict)
    default_digest: DigestFacts | None = None
    default_weekly: WeeklyFacts | None = None

    async def digest_facts(self, user_id: str, day: date) -> DigestFacts | None:
        from dataclasses import replace

        facts = self.digests.get(user_id, self.default_digest)
        return replace(facts, day=day) if facts is not None else None

    async def weekly_facts(self, user_id: str, week_start: date, week_end: date) -> WeeklyFacts | None:
        from dataclasses import replace

        facts = self.weeklies.get(user_id, self.default_weekly)
        return replace(facts, week_start=week_start, week_end=week_end) if facts is not None else None

    async def alert_facts(
        self, user_id: str, at: datetime, *, threshold_percent: float, threshold_sigma: float
    ) -> AlertFacts | None:
        facts = self.alerts.get(user_id)
        if facts is None:
            return None
        sigma = abs(facts.sigma) if facts.sigma is not None else 0.0
        if abs(facts.move) * 100 < threshold_percent and sigma < threshold_sigma:
            return None
        return facts


@dataclass(slots=True)
class StaticNewsReader:
    items: Sequence[NewsItem] = ()

    async def news_for_symbols(
        self, symbols: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[NewsItem]:
        wanted = {s.upper() for s in symbols}
        hits = [n for n in self.items if since <= n.published_at < until and wanted.intersection(n.symbols)]
        return sorted(hits, key=lambda n: n.published_at, reverse=True)[:limit]


# -- the scheduler's tables and worker, for the API's use cases ------------------------------------------


class NotificationStore(Protocol):
    """The scheduler's tables, as the use cases need them (``SchedulerRepo`` in production)."""

    async def db_now(self) -> datetime: ...
    async def ensure_user(self, user_id: str) -> None: ...
    async def user_exists(self, user_id: str) -> bool: ...
    async def status_counts(
        self, retention: timedelta = ...
    ) -> tuple[dict[NotificationKind, dict[OutboxStatus, int]], dict[NotificationKind, datetime], datetime]: ...
    async def planner_states(self) -> dict[NotificationKind, PlannerState]: ...
    async def distinct_time_zones(self) -> list[str]: ...
    async def heartbeats(self) -> list[Heartbeat]: ...
    async def create_run(
        self, *, request_id: str | None, request_hash: str, kind: NotificationKind, user_id: str | None,
        principal: str = "",
    ) -> tuple[JobRun, bool]: ...
    async def get_run(self, run_id: str) -> JobRun | None: ...
    async def plan_run(
        self,
        run_id: str,
        kind: NotificationKind,
        *,
        periods: dict[str, str],
        now: datetime,
        deadline: datetime,
        max_attempts: int,
        user_id: str | None,
    ) -> list[RunCandidate]: ...
    async def update_run(
        self, run_id: str, *, planned: int, sent: int, skipped: int, failed: int, done: bool, skipped_users: int = 0
    ) -> None: ...
    async def run_rows(self, run_id: str) -> list[tuple[int, str, Channel, OutboxStatus, str]]: ...
    async def run_skipped_users(
        self, run_id: str, kind: NotificationKind, user_id: str | None
    ) -> list[tuple[str, str]]: ...
    async def get_preferences(self, user_id: str) -> NotificationPreferences: ...
    async def save_preferences(
        self, prefs: NotificationPreferences, *, modify: Any = None
    ) -> NotificationPreferences: ...
    async def register_device(
        self, user_id: str, *, platform: Platform, token: str, display_name: str = "", limit: int | None = None
    ) -> PushDevice: ...
    async def delete_device(self, user_id: str, device_id: int) -> bool: ...
    async def list_devices(self, user_id: str, *, limit: int, after_id: int) -> list[PushDevice]: ...
    async def list_notifications(
        self,
        user_id: str,
        *,
        limit: int,
        after: tuple[datetime, int] | None = None,
        kind: NotificationKind | None = None,
        status: OutboxStatus | None = None,
    ) -> list[NotificationRecord]: ...
    async def receipts(self, ids: Sequence[str]) -> dict[str, Receipt]:
        """Receipts by id, without their data snapshots."""
        ...

    async def requeue_dead(
        self,
        *,
        ids: Sequence[int] | None = None,
        kind: NotificationKind | None = None,
        extend: timedelta = ...,
        now: datetime | None = None,
    ) -> list[int]: ...


class JobSettings(Protocol):
    """What the use cases read of the scheduler's configuration."""

    @property
    def enabled(self) -> bool: ...
    @property
    def heartbeat_interval(self) -> timedelta: ...
    @property
    def grace(self) -> GraceWindows: ...
    @property
    def retry(self) -> RetryPolicy: ...
    def enabled_for(self, kind: NotificationKind) -> bool: ...
    def schedule_for(self, kind: NotificationKind) -> CronSchedule: ...


class Delivered(Protocol):
    """What delivering one row came to."""

    @property
    def row_id(self) -> int: ...
    @property
    def user_id(self) -> str: ...
    @property
    def channel(self) -> Channel: ...
    @property
    def status(self) -> OutboxStatus: ...
    @property
    def reason(self) -> Reason | None: ...


class Deliverer(Protocol):
    """Delivers a run's planned rows in this process (the scheduler's delivery worker)."""

    def drain_iter(self, *, run_id: str | None = None) -> AsyncIterator[Delivered]: ...
