"""Gathers the facts for one outbox row and renders it (the pure rendering is in core).

AI texts of a digest, each checked before it is used (:mod:`stack_cfo.core.grounding`):

* the portfolio paragraph (daily) or summary (weekly), written from the user's own figures by
  :class:`~stack_cfo.core.provenance.GroundedWriter`: one regeneration when a draft states figures
  that match nothing, then the deterministic writer's text (``AI_UNGROUNDED``);
* the one-paragraph summary of each *news article*, made once per article (single-flight in
  the process, cached in ``news_summaries`` for every replica) and reused by every user who holds
  the symbols it mentions. A summary whose figures are not the article's is never kept; the
  article's first sentence is used instead. Fallback text is never cached in the database, so
  the AI text replaces it once the provider is back.

Every AI text gets a receipt; a rendering carries the receipts' ids and its degraded reason to
the outbox row.

A notification is rendered once (docs/api.md; ``NotificationContent`` in scheduler.proto): with a
:class:`RenderingStore`, the first rendering of a key is stored (sealed, ``notification_contents``)
and every later render of that key reads it back - a retry in another process, after a restart or
after the in-memory cache expired carries the same text, figures and receipts under the same
``webhook-id``, and pays for no second AI text. The in-memory cache stays in front of the store.

A performance alert is news once (docs/api.md, "Performance alerts"): the hourly check's rule
measures the day's move from the previous close, so it fires at every check while the move lasts.
The stored renderings are also the memory of the alerts a user was given that market day, shared by
every scheduler process: a check that fires is sent only when the move crossed the threshold for the
first time that day in its direction, or grew by another threshold beyond the largest alerted move
that way (:func:`~stack_cfo.core.portfolio.alerts.new_crossings`); otherwise its rows are skipped
``no_alert`` like a check that did not fire. A rendering counts once one of its rows was sent, is on
a feed, or is still being delivered; an alert dropped in quiet hours is never rendered, so it does not
count, and the first check after the quiet hours alerts the move as news.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from opentelemetry import trace

from stack_cfo.core.ai import CompletionOptions, ComputeClient, Message, ReasonedFallback
from stack_cfo.core.ai.offline import OFFLINE_BANNER, OfflineComputeClient
from stack_cfo.core.archive import AI_SUMMARIES, ArchiveStore
from stack_cfo.core.clock import SystemClock
from stack_cfo.core.i18n import Localizer, localizer
from stack_cfo.core.notifications.ai_texts import (
    digest_document,
    digest_fallback,
    digest_messages,
    weekly_document,
    weekly_messages,
    weekly_paragraph,
)
from stack_cfo.core.notifications.content import Rendered, render_alert, render_digest, render_weekly
from stack_cfo.core.notifications.kinds import NotificationKind, Reason
from stack_cfo.core.notifications.news import (
    article_document,
    article_facts,
    clean_summary,
    fallback_summary,
    rank_news,
    summary_prompt,
)
from stack_cfo.core.notifications.ports import AlertFacts, NewsItem, NewsReader, PortfolioReader, StoredSummary
from stack_cfo.core.notifications.preferences import NotificationPreferences
from stack_cfo.core.portfolio.alerts import AlertRule, GivenAlert, new_crossings
from stack_cfo.core.provenance import AiSurface, Audit, GroundedWriter, GroundingState, Receipt, ReceiptStore, Snapshot
from stack_cfo.core.provenance.writer import Written
from stack_cfo.telemetry.metrics import LOCALE_FALLBACKS

log = logging.getLogger(__name__)
tracer = trace.get_tracer("stack_cfo.scheduler")

NEWS_LOOKBACK = timedelta(hours=36)
#: A digest's news begins this long before the close of the day it reports (that session's own news, from
#: before its open), or NEWS_LOOKBACK before it is written, whichever is earlier (see :func:`news_since`).
NEWS_BEFORE_CLOSE = timedelta(hours=8)


def news_since(now: datetime, reported_close: datetime | None) -> datetime:
    """Where a digest's news begins: it "reports the last trading day before, and the news since" (scheduler.proto),
    so the news from that session on, however long ago it closed (a Monday digest reports Friday: the 36 hours
    before it left out Friday evening's and Saturday's news), and at least the last NEWS_LOOKBACK."""
    start = now - NEWS_LOOKBACK
    if reported_close is not None:
        start = min(start, reported_close - NEWS_BEFORE_CLOSE)
    return start


class RenderingStore(Protocol):
    """Where the first rendering of each key is kept for every process (``store.scheduler.contents``)."""

    async def get_rendering(
        self, user_id: str, kind: str, period: str, locale: str, occasion: str
    ) -> Rendered | None: ...

    async def put_rendering(
        self, user_id: str, kind: str, period: str, locale: str, occasion: str, rendered: Rendered
    ) -> Rendered:
        """Keep ``rendered`` unless the key has a rendering already; returns the one kept."""
        ...

    async def alerts_given(
        self, user_id: str, day: str, *, period: str, occasion: str, since: datetime
    ) -> list[Rendered]:
        """The alerts the user was given on the market day ``day`` (a period prefix), but the one of
        (``period``, ``occasion``): renderings with a row sent, on a feed or still being delivered."""
        ...


class SummaryStore(Protocol):
    async def get_summary(self, article_id: str) -> StoredSummary | None: ...

    async def put_summary(self, article_id: str, summary: str, *, receipt: Receipt) -> None: ...


class NewsSummarizer:
    """One AI summary per article, shared by every user and (through the store) every replica."""

    def __init__(
        self,
        compute: ComputeClient | None,
        store: SummaryStore | None = None,
        *,
        fallback_ttl: float = 600.0,
        max_entries: int = 10_000,
        audit: Audit | None = None,
    ) -> None:
        self._compute = compute
        self._store = store
        self._audit = audit or Audit(SystemClock())
        self._fallback_ttl = fallback_ttl
        self._max = max_entries
        self._cache: OrderedDict[str, tuple[StoredSummary, float]] = OrderedDict()  # id -> (summary, expires)
        self._inflight: dict[str, asyncio.Task[StoredSummary]] = {}
        self.ai_calls = 0
        self.fallbacks = 0
        self.cache_hits = 0

    async def summarize(self, item: NewsItem, l10n: Localizer | None = None) -> StoredSummary:
        """The article's shared summary and its receipt (``receipt_id`` None for the fallback), in
        ``l10n``'s language: one summary per article and language (``{article}@{language}`` for other
        languages than English), shared by every holder who reads that language."""
        lang = l10n.catalog if l10n is not None and not l10n.is_english else ""
        key = f"{item.id}@{lang}" if lang else item.id
        hit = self._cache.get(key)
        if hit is not None and hit[1] > time.monotonic():
            self.cache_hits += 1
            return hit[0]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._produce(item, key, l10n if lang else None))
            self._inflight[key] = task
            article_id = key

            def _forget(_: asyncio.Task[StoredSummary]) -> None:
                self._inflight.pop(article_id, None)

            task.add_done_callback(_forget)
        else:
            self.cache_hits += 1
        return await asyncio.shield(task)

    def _remember(self, article_id: str, summary: StoredSummary, ttl: float) -> StoredSummary:
        self._cache[article_id] = (summary, time.monotonic() + ttl)
        self._cache.move_to_end(article_id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return summary

    async def _produce(self, item: NewsItem, key: str, l10n: Localizer | None) -> StoredSummary:
        if self._store is not None:
            try:
                stored = await self._store.get_summary(key)
            except Exception:
                log.warning("news summary cache unavailable", exc_info=True)
                stored = None
            if stored:
                return self._remember(key, stored, float("inf"))
        fallback = StoredSummary(fallback_summary(item), None)
        if self._compute is None:
            self.fallbacks += 1
            return self._remember(key, fallback, self._fallback_ttl)
        self.ai_calls += 1
        prompt = summary_prompt(item, l10n)
        try:
            result = await self._compute.complete(
                prompt,
                options=CompletionOptions(max_tokens=160, temperature=0.2, fallback=fallback.text, operation="digest"),
            )
        except Exception as exc:  # the client promises fallbacks; belt and braces for the digest
            log.warning("news summary failed, using fallback", extra={"error": type(exc).__name__})
            self.fallbacks += 1
            return self._remember(key, fallback, self._fallback_ttl)
        text = clean_summary(result.text)
        if result.offline or result.degraded or result.incomplete or not text:
            self.fallbacks += 1
            return self._remember(key, fallback, self._fallback_ttl)
        facts = article_facts(item)
        subject = f"news/{item.id}"
        checked = self._audit.check(AiSurface.NEWS_SUMMARY, text, facts, subject=subject)
        if checked.status is GroundingState.UNGROUNDED:
            self.fallbacks += 1  # never kept as shared data: every holder would read it
            return self._remember(key, fallback, self._fallback_ttl)
        receipt = self._audit.receipt(
            surface=AiSurface.NEWS_SUMMARY,
            subject=subject,
            user_id=None,
            result=result,
            text=text,
            prompt=prompt,
            snapshot=Snapshot(article_document(item), item.published_at),
            grounding=checked,
            extra_facts=facts,
        )
        summary = StoredSummary(text, receipt.id)
        if self._store is not None:
            try:
                await self._store.put_summary(key, text, receipt=receipt)
            except Exception:
                log.warning("could not store news summary", exc_info=True)
                return self._remember(key, StoredSummary(text, None), self._fallback_ttl)
        return self._remember(key, summary, float("inf"))


def _given_alert(rendered: Rendered) -> GivenAlert | None:
    """The move an alert's rendering stated (its figures; the push data's move for want of them)."""
    figures = {f.name: f.value for f in rendered.figures}
    try:
        if "move" in figures:
            sigma = figures.get("sigma")
            return GivenAlert(float(figures["move"]) * 100.0, float(sigma) if sigma else None)
        return GivenAlert(float(rendered.push.data["move"]) * 100.0)
    except (KeyError, ValueError):
        log.warning("a stored alert states no move; left out of the day's alerts", extra={"period": rendered.period})
        return None


def previous_week(period: str) -> tuple[date, date]:
    """The Monday..Sunday before the ISO week ``2026-W11`` in which the summary is sent."""
    year, week = period.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return monday - timedelta(days=7), monday - timedelta(days=1)


class ContentService:
    """Facts -> rendered content for one row, shared across the rows of one user and period."""

    def __init__(
        self,
        portfolio: PortfolioReader,
        news: NewsReader,
        summarizer: NewsSummarizer,
        *,
        news_items: int = 3,
        cache_ttl: float = 900.0,
        archive: ArchiveStore | None = None,
        compute: ComputeClient | None = None,
        receipts: ReceiptStore | None = None,
        audit: Audit | None = None,
        default_locale: str = "en",
        renderings: RenderingStore | None = None,
    ) -> None:
        self.default_locale = default_locale
        """notifications.default_locale: the locale of users who set none."""
        self.portfolio = portfolio
        self.news = news
        self.summarizer = summarizer
        self.archive = archive
        self.compute: ComputeClient = compute if compute is not None else OfflineComputeClient()
        self.receipts = receipts
        self.writer = GroundedWriter(audit or Audit(SystemClock()))
        self.news_items = news_items
        self._ttl = cache_ttl
        self.renderings = renderings
        """Renderings kept for every process (None: this process's cache only)."""
        self.stored_hits = 0
        """Renders answered by a rendering another render (maybe in another process) stored."""
        self._shared: OrderedDict[tuple[str, ...], tuple[asyncio.Task[Rendered | Reason], float]] = OrderedDict()
        #: How many rows wait for each shared rendering: the last one to leave (cancelled) cancels it.
        self._waiting: dict[asyncio.Task[Rendered | Reason], int] = {}

    async def render(
        self, kind: NotificationKind, user_id: str, period: str, key: str, prefs: NotificationPreferences,
        now: datetime, *, notification: str = "", occasion: str = "",
    ) -> Rendered | Reason:
        """The content, or the reason there is none (``no_portfolio``, ``no_alert``).

        The rows of one user and period (email, push, webhook, feed) share one rendering (one portfolio
        read, one alert evaluation, one AI text), in every process and on every retry once a
        :class:`RenderingStore` is wired; only the key in the push data differs. ``notification``: the
        resource name of the row rendering it, the subject of its AI text's receipt (the rows that
        share the rendering carry the same receipt); without it, the key stands in its place.
        ``occasion``: what the sharing rows have in common besides user and period (the manual run's
        id, or the planned time): a second manual run renders the figures afresh instead of
        resending the first run's text (with the first run's receipt); a retry of the same row has the
        same occasion and so the same content.
        """
        subject = notification or f"users/{user_id}/notifications/{key}"
        l10n = localizer(prefs.locale, self.default_locale)
        cache_key = (kind.value, user_id, period, l10n.tag, occasion)
        entry = self._shared.get(cache_key)
        if entry is None or entry[1] < time.monotonic():
            if l10n.resolved.fell_back:
                LOCALE_FALLBACKS.labels(kind.value).inc()
                log.warning(
                    "unsupported locale, writing in English",
                    extra={"locale": prefs.locale, "user_id": user_id, "kind": kind.value, "period": period},
                )
            task = asyncio.ensure_future(
                self._render_once(kind, user_id, period, key, prefs, now, l10n, subject, occasion)
            )
            self._shared[cache_key] = (task, time.monotonic() + self._ttl)
            while len(self._shared) > 20_000:
                self._shared.popitem(last=False)
            entry = self._shared[cache_key]
        task = entry[0]
        self._waiting[task] = self._waiting.get(task, 0) + 1
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            # the last row waiting for a shared rendering left (its RunJob was cancelled, the worker stops): the
            # rendering stops too, its AI texts with it, and is forgotten (the next row renders afresh)
            if self._waiting.get(task) == 1 and not task.done():
                task.cancel()
                if self._shared.get(cache_key, (None,))[0] is task:
                    self._shared.pop(cache_key, None)
            raise
        except Exception:
            self._shared.pop(cache_key, None)
            raise
        finally:
            left = self._waiting.get(task, 1) - 1
            if left:
                self._waiting[task] = left
            else:
                self._waiting.pop(task, None)
        if isinstance(result, Rendered) and result.push.data.get("notification_key") != key:
            data = {**result.push.data, "notification_key": key}
            result = replace(result, push=replace(result.push, data=data))
        return result

    async def _render_once(
        self,
        kind: NotificationKind,
        user_id: str,
        period: str,
        key: str,
        prefs: NotificationPreferences,
        now: datetime,
        l10n: Localizer,
        subject: str,
        occasion: str,
    ) -> Rendered | Reason:
        """The key's stored rendering, else a new one, stored (the first stored wins: renderers racing
        in two processes deliver the same content). A reason (``no_portfolio``, ``no_alert``) is not
        stored: it costs no AI text and carries no receipt, its row is skipped (never retried), and a
        later row of the key should see a portfolio or an alert that appeared meanwhile.

        An error of the store is raised, not rendered around: content that could not be kept could
        differ on the next attempt under the same ``webhook-id`` (the worker gives the row back on
        ``Unavailable``)."""
        if self.renderings is not None:
            stored = await self.renderings.get_rendering(user_id, kind.value, period, l10n.tag, occasion)
            if stored is not None:
                self.stored_hits += 1
                return stored
        result = await self._render(kind, user_id, period, key, prefs, now, l10n, subject, occasion)
        if self.renderings is None or not isinstance(result, Rendered):
            return result
        return await self.renderings.put_rendering(user_id, kind.value, period, l10n.tag, occasion, result)

    async def _render(
        self,
        kind: NotificationKind,
        user_id: str,
        period: str,
        key: str,
        prefs: NotificationPreferences,
        now: datetime,
        l10n: Localizer,
        subject: str,
        occasion: str = "",
    ) -> Rendered | Reason:
        if kind is NotificationKind.DIGEST:
            return await self._digest(user_id, period, key, now, l10n, subject)
        if kind is NotificationKind.WEEKLY:
            start, end = previous_week(period)
            facts = await self.portfolio.weekly_facts(user_id, start, end)
            if facts is None:
                return Reason.NO_PORTFOLIO
            # the week shown ends by the user's own date, as the period it is sent in is theirs
            facts = facts.ending_by(now.astimezone(prefs.tz).date())
            doc = weekly_document(facts)
            written, kept = await self._write(
                AiSurface.WEEKLY_SUMMARY, user_id, subject, doc, facts.as_of, weekly_paragraph(facts, l10n),
                lambda rejected: weekly_messages(doc, rejected, l10n), facts.currency, l10n,
            )
            rendered = render_weekly(facts, period=period, key=key, summary=written.result.text, l10n=l10n)
            return replace(rendered, degraded_reason=written.degraded_reason, receipts=kept)
        alert = await self.portfolio.alert_facts(
            user_id,
            now,
            threshold_percent=prefs.alert_threshold_percent,
            threshold_sigma=prefs.alert_threshold_sigma,
        )
        if alert is None or not await self._alert_is_news(alert, user_id, period, occasion, prefs, now):
            return Reason.NO_ALERT
        return render_alert(alert, period=period, key=key, l10n=l10n)

    async def _alert_is_news(
        self, alert: AlertFacts, user_id: str, period: str, occasion: str, prefs: NotificationPreferences,
        now: datetime,
    ) -> bool:
        """Is this fired check news after the alerts the user was given earlier the same market day (in any
        process)? Without a rendering store there is no memory: every fired check is news."""
        day, sep, _hour = period.rpartition("T")
        if self.renderings is None or not sep:
            return True
        given = await self.renderings.alerts_given(
            user_id, day + sep, period=period, occasion=occasion, since=now - timedelta(days=1)
        )
        moves = [g for g in (_given_alert(r) for r in given) if g is not None]
        rule = AlertRule(threshold_pct=prefs.alert_threshold_percent, threshold_sigma=prefs.alert_threshold_sigma)
        news = new_crossings(alert.move * 100.0, alert.sigma, rule, moves)
        if not news:
            log.info(
                "alert repeats one already given today; not sent",
                extra={"user_id": user_id, "period": period, "given": len(moves)},
            )
        return bool(news)

    async def _digest(
        self, user_id: str, period: str, key: str, now: datetime, l10n: Localizer, subject: str
    ) -> Rendered | Reason:
        day = date.fromisoformat(period) - timedelta(days=1)  # the digest of the 9th reports the 8th
        facts = await self.portfolio.digest_facts(user_id, day)
        if facts is None:
            return Reason.NO_PORTFOLIO
        weights: dict[str, float] = {}
        for h in facts.holdings:
            weights[h.symbol.upper()] = weights.get(h.symbol.upper(), 0.0) + h.weight
        with tracer.start_as_current_span("news_service.get_portfolio_relevant_news") as span:
            span.set_attribute("symbols", len(weights))
            items = await self.news.news_for_symbols(sorted(weights), news_since(now, facts.as_of), now, 50)
            ranked = rank_news(items, weights, now, limit=self.news_items)
            span.set_attribute("articles", len(ranked))
        # the day it is written on: "yesterday" in it is the reported session only when that is the day before
        # (the grounding check reads both from the data, so a receipt re-verifies the same)
        doc = {**digest_document(facts), "written_on": period}
        (written, kept), summaries = await asyncio.gather(
            self._write(
                AiSurface.DAILY_DIGEST, user_id, subject, doc, facts.as_of, digest_fallback(facts, l10n),
                lambda rejected: digest_messages(doc, rejected, l10n), facts.currency, l10n,
            ),
            asyncio.gather(*(self.summarizer.summarize(r.item, l10n) for r in ranked)),
        )
        rendered = render_digest(
            facts,
            [(r, s.text) for r, s in zip(ranked, summaries, strict=True)],
            period=period,
            key=key,
            paragraph=written.result.text,
            l10n=l10n,
        )
        rendered = replace(
            rendered,
            degraded_reason=written.degraded_reason,
            receipts=kept + tuple(f"receipts/{s.receipt_id}" for s in summaries if s.receipt_id),
        )
        if not written.result.offline or any(s.receipt_id for s in summaries):
            await self._archive_ai_text(user_id, f"digest-{period}.txt", rendered)
        return rendered

    async def _write(
        self,
        surface: AiSurface,
        user_id: str,
        subject: str,
        doc: dict[str, Any],
        as_of: datetime | None,
        fallback: str,
        prompt: Callable[[Sequence[str]], list[Message]],
        currency: str,
        l10n: Localizer,
    ) -> tuple[Written, tuple[str, ...]]:
        """The AI paragraph of one rendering (checked; else the deterministic one), and the name of its
        receipt once stored (empty when it could not be: a row only names receipts that exist)."""
        written = await self.writer.write(
            self.compute,
            surface=surface,
            subject=subject,
            user_id=user_id,
            prompt=prompt,
            snapshot=Snapshot(doc, as_of, currency or None),
            fallback=fallback,
            options=CompletionOptions(
                max_tokens=400,
                temperature=0.3,
                # the offline writer's banner line in the user's language (English: the plain default)
                fallback=fallback
                if l10n.is_english
                else ReasonedFallback(lambda _why: fallback, banner=l10n._(OFFLINE_BANNER)),
                operation="digest",
            ),
        )
        if self.receipts is None:
            return written, ()
        try:
            await self.receipts.save_receipt(written.receipt)
        except Exception:
            log.warning("digest receipt could not be stored", exc_info=True)
            return written, ()
        return written, (written.receipt.name,)

    async def _archive_ai_text(self, user_id: str, name: str, rendered: Rendered) -> None:
        """Keep AI-written digest text in ``ai-summaries/`` (sealed under the user's key).
        Best effort: an archive outage never holds a notification back."""
        if self.archive is None:
            return
        try:
            address = await self.archive.put(AI_SUMMARIES, name, rendered.email.text.encode("utf-8"), owner=user_id)
        except Exception:
            log.warning("could not archive the AI-written digest", exc_info=True, extra={"archive_key": name})
            return
        rendered.meta["archive_address"] = address
