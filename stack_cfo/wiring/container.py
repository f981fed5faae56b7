"""The objects of one process, each built once from the configuration on first use.

The API server and the scheduler process both use a :class:`Container`: the pool, the one
compute client (one set of breakers and one connection pool per process), the archive store
and the domain services. Servicers and the scheduler get what they need from it through their
constructors; nothing imports this package back.

Tests build the same objects with other parts plugged in: :meth:`Container.provide` replaces a
part before first use (another compute client, another archive).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

from stack_cfo.api.auth import resolve_jwt_secret
from stack_cfo.api.validation import PageTokens
from stack_cfo.config import Config
from stack_cfo.core import grounding, market_calendar
from stack_cfo.core.ai import ComputeClient
from stack_cfo.core.ai.budget import DailyTokenBudget
from stack_cfo.core.chat.manager import ChatManager
from stack_cfo.core.chat.portfolio_context import PortfolioServiceContext
from stack_cfo.core.clock import Clock, SystemClock
from stack_cfo.core.gc_hold import GcHold
from stack_cfo.core.i18n import UserLocales
from stack_cfo.core.idempotency import IdempotencyStore
from stack_cfo.core.notifications.notification_feed import FeedService, FeedWakeups
from stack_cfo.core.notifications.portfolio_facts import PortfolioFacts
from stack_cfo.core.notifications.service import NotificationService
from stack_cfo.core.notifications.webhooks import WebhookEndpointService, WebhookPolicy
from stack_cfo.core.portfolio import PortfolioService
from stack_cfo.core.provenance.replay import ReplayService
from stack_cfo.core.replay import recomputers
from stack_cfo.core.user_data import UserDataService
from stack_cfo.crypto.envelope import EncryptingArchiveStore
from stack_cfo.crypto.fields import FieldSealer
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.metrics import in_process_metrics
from stack_cfo.scheduler.process import build_worker
from stack_cfo.scheduler.worker import DeliveryWorker
from stack_cfo.secret import Secret
from stack_cfo.store.chat import ChatRepository
from stack_cfo.store.chat.usage import TokenUsage
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.store.erasure import PgUserRows
from stack_cfo.store.idempotency import PgIdempotencyStore
from stack_cfo.store.portfolio_repo import PgChangeFeed, PortfolioRepository
from stack_cfo.store.receipts import PgReceiptStore
from stack_cfo.store.scheduler import SchedulerRepo
from stack_cfo.store.scheduler.delivery import PgFeedListener
from stack_cfo.wiring import settings
from stack_cfo.wiring.archive import build_archive_store, build_field_sealer
from stack_cfo.zerog import build_compute_client

log = logging.getLogger(__name__)

T = TypeVar("T")


class Container:
    """Everything a servicer or job needs, built once per process."""

    def __init__(
        self,
        config: Config,
        db: Database,
        *,
        clock: Clock | None = None,
        jwt_secret: Secret | None = None,
        page_tokens: PageTokens | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.jwt_secret = jwt_secret
        self.page_tokens = page_tokens or PageTokens(os.urandom(32))
        self._parts: dict[str, Any] = {}
        """Parts built so far, in the order they were built (closed in reverse)."""

    # -- plumbing -----------------------------------------------------------------------------

    def _part(self, name: str, build: Callable[[], T]) -> T:
        if name not in self._parts:
            self._parts[name] = build()
        return self._parts[name]  # type: ignore[no-any-return]

    def provide(self, name: str, part: Any) -> None:
        """Plug in a ready-made part (``compute``, ``archive``, ...) before anything uses it."""
        if name in self._parts:
            raise RuntimeError(f"{name} is already built")
        self._parts[name] = part

    def built(self, name: str) -> Any | None:
        """The part ``name`` if something has built it, else None (nothing is built by asking)."""
        return self._parts.get(name)

    async def astart(self) -> None:
        """Start the parts that run in the background (the portfolio change feed), once the
        database is ready. First the grounding checker's table of listed companies is built and
        NYSE's holidays loaded, in a thread: done by the first check instead, they would hold the
        event loop for about 0.2 s and 0.085 s."""
        today = self.clock.now().date()

        def preload() -> None:
            grounding.preload()
            market_calendar.preload(today)

        await asyncio.to_thread(preload)
        for part in list(self._parts.values()):
            starter = getattr(part, "astart", None)
            if starter is not None:
                await starter()

    async def aclose(self) -> None:
        """Close every part that was built, newest first (before the pool closes)."""
        for part in reversed(list(self._parts.values())):
            closer = getattr(part, "aclose", None) or getattr(part, "close", None)
            if closer is not None and inspect.iscoroutinefunction(closer):
                with contextlib.suppress(Exception):
                    await closer()

    # -- shared parts -------------------------------------------------------------------------

    @property
    def compute(self) -> ComputeClient:
        """The process's one 0G compute client (the clock drives token times and breakers)."""
        def build() -> ComputeClient:
            return build_compute_client(settings.compute_config(self.config), clock=self.clock)

        return self._part("compute", build)

    @property
    def archive(self) -> EncryptingArchiveStore:
        """Every archived byte sealed per user, kept in PostgreSQL or on 0G Storage."""
        return self._part("archive", lambda: build_archive_store(self.config, self.db))

    @property
    def sealer(self) -> FieldSealer:
        """Seals user data in its rows under the user's data key (the archive's key ring)."""
        def build() -> FieldSealer:
            sealer, listener = build_field_sealer(self.config, self.db)
            self._part("key_listener", lambda: listener)  # closed at shutdown with the other parts
            return sealer

        return self._part("sealer", build)

    @property
    def receipts(self) -> PgReceiptStore:
        """Receipts of AI-written texts."""
        return self._part("receipts", lambda: PgReceiptStore(self.db, sealer=self.sealer))

    @property
    def idempotency(self) -> IdempotencyStore:
        return self._part("idempotency", lambda: PgIdempotencyStore(self.db, sealer=self.sealer))

    @property
    def scheduler_config(self) -> SchedulerConfig:
        return self._part("scheduler_config", lambda: settings.scheduler_config(self.config))

    # -- domain services ----------------------------------------------------------------------

    @property
    def portfolio(self) -> PortfolioService:
        return self._part(
            "portfolio",
            lambda: PortfolioService(
                PortfolioRepository(self.db, sealer=self.sealer),
                PgChangeFeed(self.db.conninfo),
                clock=self.clock,
                settings=settings.analytics_settings(self.config),
                compute=lambda: self.compute,
                cache=settings.cache_settings(self.config),
                receipts=self.receipts,
                locales=self.user_locales,
                gc_hold=GcHold(),  # one portfolio service, so one hold, per process
                budget=DailyTokenBudget(TokenUsage(self.db), self.config.chat.daily_token_budget, self.clock),
            ),
        )

    @property
    def user_locales(self) -> UserLocales:
        """Each user's locale (notification preferences) for texts written outside notifications."""
        return self._part(
            "user_locales",
            lambda: UserLocales(SchedulerRepo(self.db, sealer=self.sealer), self.config.notifications.default_locale),
        )

    @property
    def portfolio_facts(self) -> PortfolioFacts:
        """The portfolio as notifications see it (the same summaries the API serves)."""
        return self._part("portfolio_facts", lambda: PortfolioFacts(self.portfolio, clock=self.clock))

    @property
    def chat_store(self) -> ChatRepository:
        return self._part("chat_store", lambda: ChatRepository(self.db, sealer=self.sealer))

    @property
    def chat(self) -> ChatManager:
        def build() -> ChatManager:
            compute = self.compute
            return ChatManager(
                self.chat_store,
                compute,
                PortfolioServiceContext(self.portfolio, self.clock),
                lambda: self.archive,
                self.clock,
                settings.chat_settings(self.config, compute),
                locales=self.user_locales,
            )

        return self._part("chat", build)

    @property
    def notifications(self) -> NotificationService:
        return self._part(
            "notifications",
            lambda: NotificationService(
                SchedulerRepo(self.db, sealer=self.sealer),
                self.scheduler_config,
                deliverer=self.delivery_worker,
                default_locale=self.config.notifications.default_locale,
                max_devices=self.config.notifications.max_devices_per_user,
                unsubscribe_secret=self.config.notifications.email.unsubscribe_secret,
                clock=self.clock,
            ),
        )

    @property
    def webhook_endpoints(self) -> WebhookEndpointService:
        def build() -> WebhookEndpointService:
            hooks = self.config.notifications.webhook
            policy = WebhookPolicy(
                allow_private_networks=hooks.allow_private_networks,
                secret_rotation_grace=hooks.secret_rotation_grace,
                max_endpoints_per_owner=hooks.max_endpoints_per_owner,
            )
            return WebhookEndpointService(SchedulerRepo(self.db, sealer=self.sealer), policy, clock=self.clock)

        return self._part("webhook_endpoints", build)

    @property
    def notification_feed(self) -> FeedService:
        """WatchNotifications streams, woken by the process's LISTEN connection on the feed channel."""

        def build() -> FeedService:
            feed = self.config.notifications.feed
            wakeups = FeedWakeups()
            listener = self._part("feed_listener", lambda: PgFeedListener(self.db.conninfo, wakeups))
            return FeedService(
                SchedulerRepo(self.db, sealer=self.sealer),
                wakeups,
                ack_grace=feed.ack_grace,
                poll_interval=feed.poll_interval.total_seconds(),
                start_listening=listener.start,
            )

        return self._part("notification_feed", build)

    def delivery_worker(self) -> DeliveryWorker:
        """An in-process delivery worker (RunJob in the API), same claim fencing as the scheduler;
        its counters are on the process's ``/metrics`` page (:func:`in_process_metrics`)."""
        return self._part(
            "delivery_worker",
            lambda: build_worker(
                self.db,
                self.scheduler_config,
                portfolio=self.portfolio_facts,
                compute=self.compute,
                clock=self.clock,
                worker_id="api-runjob",
                archive=self.archive,
                sealer=self.sealer,
                metrics=in_process_metrics(),
            ),
        )

    @property
    def replay(self) -> ReplayService:
        """Receipts read back and replayed as of their snapshot's time."""
        return self._part(
            "replay",
            lambda: ReplayService(
                self.receipts.get_receipt, recomputers(self.portfolio, self.portfolio_facts), self.clock.now
            ),
        )

    @property
    def user_data(self) -> UserDataService:
        def forget(user_id: str) -> None:
            portfolio = self.built("portfolio")
            if portfolio is not None:
                portfolio.forget_user(user_id)
            sealer = self.built("sealer")
            if sealer is not None:
                sealer.forget(user_id)

        return self._part(
            "user_data", lambda: UserDataService(lambda: self.archive, PgUserRows(self.db), on_erased=[forget])
        )


def build_container(config: Config, conninfo: str, *, clock: Clock | None = None) -> Container:
    """The API process's container: the pool sized from ``database.*`` and the JWT secret."""
    db = Database(
        conninfo,
        PoolSettings(
            min_size=config.database.pool_min_size,
            max_size=config.database.pool_max_size,
            timeout=config.database.pool_timeout.total_seconds(),
        ),
        role=config.database.role or None,
    )
    secret = resolve_jwt_secret(config.auth, config.database.data_dir)
    # Page tokens must verify on every replica: key them from the shared JWT secret when there is one.
    key = hashlib.sha256(b"stack-cfo page tokens\x00" + secret.get().encode()).digest() if secret else os.urandom(32)
    return Container(config, db, clock=clock, jwt_secret=secret, page_tokens=PageTokens(key))
