"""Words, charts and payloads: a digest, weekly summary or alert rendered for email and push.

Pure functions of the facts. Email is plain text plus HTML with an inline SVG chart of the
period's value; push is a title, a body, string-only data fields for deep links, and
collapse keys so a rare duplicate delivery *replaces* the earlier notification.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from stack_cfo.core.i18n import Localizer, english
from stack_cfo.core.notifications.blocks import (
    ContentBlock,
    ContentFigure,
    ContentItem,
    bullet_list,
    chart,
    figures,
    heading,
)
from stack_cfo.core.notifications.blocks import blocks as blocks_of
from stack_cfo.core.notifications.blocks import paragraph as paragraph_block
from stack_cfo.core.notifications.keys import collapse_id, display_period
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.news import RankedNews
from stack_cfo.core.notifications.ports import AlertFacts, DigestFacts, Mover, ValuePoint, WeeklyFacts

DEEP_LINK_BASE = "stackcfo://notifications"
PUSH_BODY_MAX = 178  # what a lock screen shows before truncating
NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class PushContent:
    title: str
    body: str
    data: dict[str, str]
    collapse_key: str
    """Android ``collapse_key``: one per kind (FCM keeps at most four per device)."""
    apns_collapse_id: str
    """``apns-collapse-id``: kind and period, so only a true duplicate collapses."""


@dataclass(frozen=True, slots=True)
class Rendered:
    kind: NotificationKind
    period: str
    email: EmailContent
    push: PushContent
    meta: dict[str, str] = field(default_factory=dict)
    degraded_reason: str = ""
    """Why its AI-written paragraph is not the AI's (``core.ai.DegradedReason``); "" otherwise."""
    receipts: tuple[str, ...] = ()
    """Receipt names of the AI texts it carries: the portfolio paragraph (``users/{user}/receipts/{id}``),
    then the news summaries (shared: ``receipts/{id}``)."""
    blocks: tuple[ContentBlock, ...] = ()
    """The content as structured blocks (webhooks, the notification feed); see ``blocks.py``."""
    figures: tuple[ContentFigure, ...] = ()
    locale: str = "en"
    """The BCP 47 locale its words and formats are in."""
    locale_fallback_from: str = ""
    """The user's locale when it is unsupported and the content fell back to English ("" otherwise)."""

    @property
    def receipt_ids(self) -> tuple[str, ...]:
        return tuple(name.rsplit("/", 1)[-1] for name in self.receipts)


# -- formatting -------------------------------------------------------------------------
# CLDR formats through the user's Localizer (core.i18n); these English forms stay for callers that
# have no locale.


def money(value: Decimal, currency: str = "USD", *, signed: bool = False) -> str:
    return english().money(value, currency, signed=signed)


def pct(ratio: float | None, *, signed: bool = True, digits: int = 2) -> str:
    return english().pct(ratio, signed=signed, digits=digits)


def long_date(d: date) -> str:
    return english().date_long(d)


def short_date(d: date) -> str:
    return english().date_short(d)


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _mover_line(m: Mover, currency: str, l10n: Localizer) -> str:
    return f"{m.symbol} {l10n.pct(m.period_return)} ({l10n.money(m.contribution, currency, signed=True)})"


def _deep_link(kind: NotificationKind, period: str) -> str:
    return f"{DEEP_LINK_BASE}/{kind.value}/{display_period(period)}"


def _push_data(kind: NotificationKind, period: str, key: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    data = {
        "kind": kind.value,
        "period": display_period(period),  # as Notification.period shows it (an alert's without the exchange)
        "deep_link": _deep_link(kind, period),
        "notification_key": key,
    }
    data.update(extra or {})
    return data


# -- chart ------------------------------------------------------------------------------


def svg_chart(
    points: Sequence[ValuePoint],
    *,
    width: int = 480,
    height: int = 120,
    title: str = "Value",
    l10n: Localizer | None = None,
) -> str:
    """A small inline SVG line chart of portfolio value (empty string when < 2 points); its label,
    which screen readers say, in ``l10n``'s words and date format."""
    if len(points) < 2:
        return ""
    values = [float(p.value) for p in points]
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    pad = 6
    step = (width - 2 * pad) / (len(values) - 1)
    coords = " ".join(
        f"{pad + i * step:.1f},{height - pad - (v - lo) / span * (height - 2 * pad):.1f}" for i, v in enumerate(values)
    )
    colour = "#1a7f37" if values[-1] >= values[0] else "#cf222e"
    lc = l10n or english()
    label = html.escape(lc._("{title}: {start} to {end}").format(
        title=title, start=lc.date_medium(points[0].day), end=lc.date_medium(points[-1].day)))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>'
        "</svg>"
    )


def _html_page(title: str, blocks: Sequence[str], l10n: Localizer) -> str:
    body = "\n".join(blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(l10n.tag, quote=True)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;'
        'max-width:560px;margin:0 auto;padding:16px">\n'
        f"{body}\n"
        '<p style="color:#656d76;font-size:12px">'
        + html.escape(l10n._("You receive this because notifications are on in your STACK settings. "
                             "Change them in the app."))
        + "</p></body></html>"
    )


def _ul(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else ""


# -- digest -----------------------------------------------------------------------------


def _was_yesterday(facts: DigestFacts, period: str) -> bool:
    """Whether the reported session was the day before the digest's date (``period``): a Sunday's or
    Monday's digest, or one after a holiday, reports an earlier day, which its words name."""
    try:
        return facts.day == date.fromisoformat(period) - timedelta(days=1)
    except ValueError:
        return False


def _digest_title(lc: Localizer, facts: DigestFacts, period: str) -> str:
    """The push title: "yesterday" only when the reported session was (:func:`_was_yesterday`)."""
    _ = lc._
    if _was_yesterday(facts, period):
        return _("Portfolio {percent} yesterday").format(percent=lc.pct(facts.day_return))
    return _("Portfolio {percent} on {day}").format(percent=lc.pct(facts.day_return), day=lc.date_short(facts.day))


def render_digest(
    facts: DigestFacts,
    news: Sequence[tuple[RankedNews, str]],
    *,
    period: str,
    key: str,
    paragraph: str | None = None,
    l10n: Localizer | None = None,
) -> Rendered:
    """Yesterday's performance, a paragraph about it (the AI's, checked, else the deterministic
    writer's; ``facts.narrative`` when none is given) and the most relevant news, each with its
    (shared) summary. Words and formats in ``l10n``'s locale (English by default)."""
    lc = l10n or english()
    _ = lc._
    paragraph = facts.narrative_in(lc) if paragraph is None else paragraph
    kind = NotificationKind.DIGEST
    cur = facts.currency
    ranked_holdings = sorted((h for h in facts.holdings if h.day_return is not None), key=lambda h: h.day_return or 0.0)
    best = ranked_holdings[-1] if ranked_holdings else None
    worst = ranked_holdings[0] if len(ranked_holdings) > 1 else None
    change = lc.money(facts.change, cur, signed=True)
    day = lc.date_short(facts.day)
    perf = [
        _("Value: {value}").format(value=lc.money(facts.total_value, cur)),
        _("Change on {day}: {change} ({percent})").format(day=day, change=change, percent=lc.pct(facts.day_return)),
    ]
    if best is not None:
        perf.append(_("Best: {symbol} {percent}").format(symbol=best.symbol, percent=lc.pct(best.day_return)))
    if worst is not None and best is not None and worst.day_return != best.day_return:  # a tie has no worst
        perf.append(_("Worst: {symbol} {percent}").format(symbol=worst.symbol, percent=lc.pct(worst.day_return)))
    subject = _("Your portfolio on {day}: {percent} ({change})").format(
        day=day, percent=lc.pct(facts.day_return), change=change
    )
    long_day = lc.date_long(facts.day)
    performance = (
        _("Yesterday's performance") if _was_yesterday(facts, period) else _("Performance on {day}").format(day=day)
    )
    news_title = _("News about your holdings")
    no_news = _("No news mentioned your holdings.")

    text = [_("Your STACK digest for {day}.").format(day=long_day), "", performance]
    text += [f"  {line}" for line in perf]
    if paragraph:
        text += ["", paragraph]
    text += ["", news_title]
    if news:
        for ranked, summary in news:
            n = ranked.item
            text += [
                f"- {n.title} ({n.source}; {', '.join(ranked.held_symbols)})",
                f"  {summary}",
                f"  {n.url}",
            ]
    else:
        text.append(f"  {no_news}")

    html_news = [
        f'<a href="{html.escape(r.item.url, quote=True)}">{html.escape(r.item.title)}</a> '
        f"<small>({html.escape(r.item.source)}; {html.escape(', '.join(r.held_symbols))})</small><br>"
        f"{html.escape(s)}"
        for r, s in news
    ]
    heading_text = _("Your portfolio on {day}").format(day=long_day)
    chart_title = _("Portfolio value")
    blocks = [
        f"<h2>{html.escape(heading_text)}</h2>",
        _ul([html.escape(line) for line in perf]),
        svg_chart(facts.history, title=chart_title, l10n=lc),
    ]
    if paragraph:
        blocks.append(f"<p>{html.escape(paragraph)}</p>")
    blocks += [
        f"<h3>{html.escape(news_title)}</h3>",
        _ul(html_news) or f"<p>{html.escape(no_news)}</p>",
    ]

    top = news[0][0].item.title if news else ""
    body = f"{lc.money(facts.total_value, cur)} ({change})"
    if top:
        body += f" · {top}"
    push = PushContent(
        title=_digest_title(lc, facts, period),
        body=_truncate(body, PUSH_BODY_MAX),
        data=_push_data(kind, period, key, {"day": facts.day.isoformat(), "locale": lc.tag}),
        collapse_key=kind.value,
        apns_collapse_id=collapse_id(kind, period),
    )
    news_block = ContentBlock(
        "list",
        news_title,
        tuple(ContentItem(r.item.title, r.item.url, s) for r, s in news),
    )
    narrative = facts.narrative_in(lc)
    return Rendered(
        kind,
        period,
        EmailContent(subject, "\n".join(text) + "\n", _html_page(subject, blocks, lc)),
        push,
        {"news_items": str(len(news))},
        blocks=blocks_of(
            heading(heading_text),
            bullet_list(performance, perf),
            chart(chart_title, facts.history),
            paragraph_block(narrative) if narrative else None,
            news_block,
        ),
        figures=figures(
            cur,
            {"total_value": facts.total_value, "change": facts.change},
            {"day_return": (facts.day_return, "fraction")},
        ),
        locale=lc.tag,
        locale_fallback_from=_fallback_from(lc),
    )


def _fallback_from(lc: Localizer) -> str:
    return lc.resolved.requested if lc.resolved.fell_back else ""


# -- weekly -----------------------------------------------------------------------------


def _change_line(label: str, now: float | None, before: float | None, *, as_pct: bool, lc: Localizer) -> str | None:
    if now is None:
        return None

    def fmt(v: float) -> str:
        return lc.pct(v, signed=False) if as_pct else lc.number(v)

    if before is None:
        return f"{label}: {fmt(now)}"
    if now > before:
        change = lc._("up from {before}")
    elif now < before:
        change = lc._("down from {before}")
    else:
        change = lc._("unchanged from {before}")
    return f"{label}: {fmt(now)} ({change.format(before=fmt(before))})"


def render_weekly(
    facts: WeeklyFacts, *, period: str, key: str, summary: str = "", l10n: Localizer | None = None
) -> Rendered:
    """The week in figures, opened by ``summary`` (the AI's paragraph, checked, else the
    deterministic writer's) when there is one."""
    lc = l10n or english()
    _ = lc._
    kind = NotificationKind.WEEKLY
    cur = facts.currency
    vs = (
        f"{facts.benchmark_symbol} {lc.pct(facts.benchmark_return)}"
        if facts.benchmark_return is not None
        else f"{facts.benchmark_symbol} {_('n/a')}"
    )
    # the whole portfolio's return over the week (cash in, deposits and withdrawals out), beside its start
    # and end values; the gain it made is the value change less the money that came in or went out
    ret = facts.return_over_week
    relative = None
    if ret is not None and facts.benchmark_return is not None:
        diff = ret - facts.benchmark_return
        gap = lc.pct(abs(diff), signed=False)
        if diff > 0:
            relative = _("You finished {gap} ahead of {benchmark}.").format(gap=gap, benchmark=facts.benchmark_symbol)
        elif diff < 0:
            relative = _("You finished {gap} behind {benchmark}.").format(gap=gap, benchmark=facts.benchmark_symbol)
        else:
            relative = _("You finished level with {benchmark}.").format(benchmark=facts.benchmark_symbol)
    perf = [
        _("Value: {start} → {end}").format(
            start=lc.money(facts.start_value, cur), end=lc.money(facts.end_value, cur)
        ),
        _("Return: {percent} ({change}) vs {benchmark}").format(
            percent=lc.pct(ret), change=lc.money(facts.change - facts.net_flows, cur, signed=True), benchmark=vs
        ),
    ]
    if facts.net_flows != 0:
        flows = lc.money(facts.net_flows, cur, signed=True)
        perf.insert(1, _("Net deposits and withdrawals: {amount}").format(amount=flows))
    risk = [
        line
        for line in (
            _change_line(_("Volatility (annualised)"), facts.volatility, facts.previous_volatility, as_pct=True, lc=lc),
            _change_line(
                _("Diversification score"), facts.diversification, facts.previous_diversification, as_pct=False, lc=lc
            ),
        )
        if line
    ]
    movers = [_mover_line(m, cur, lc) for m in facts.top_movers]
    label = f"{lc.date_short(facts.week_start)} – {lc.date_short(facts.week_end)}"
    subject = _("Your week {dates}: {percent} vs {benchmark}").format(
        dates=label, percent=lc.pct(ret), benchmark=vs
    )
    insights = facts.insights_in(lc)
    t_perf, t_movers, t_risk, t_insights = (
        _("Performance"), _("Top movers"), _("Risk and diversification"), _("Insights")
    )
    no_move = _("No position moved.")

    opening = _("Your STACK weekly summary, {dates}.").format(dates=label)
    if opening.endswith("..") and not opening.endswith("..."):
        opening = opening[:-1]  # a short date may end in an abbreviation's period ("29. Nov." in German)
    text = [opening]
    if summary:
        text += ["", summary]
    text += ["", t_perf] + [f"  {x}" for x in perf]
    if relative:
        text.append(f"  {relative}")
    text += ["", t_movers] + ([f"  {x}" for x in movers] or [f"  {no_move}"])
    if risk:
        text += ["", t_risk] + [f"  {x}" for x in risk]
    if insights:
        text += ["", t_insights] + [f"- {x}" for x in insights]

    heading_text = _("Your week, {dates}").format(dates=label)
    chart_title = _("Portfolio value")
    blocks = [
        f"<h2>{html.escape(heading_text)}</h2>",
        *([f"<p>{html.escape(summary)}</p>"] if summary else []),
        _ul([html.escape(x) for x in perf + ([relative] if relative else [])]),
        svg_chart(facts.history, title=chart_title, l10n=lc),
        f"<h3>{html.escape(t_movers)}</h3>",
        _ul([html.escape(x) for x in movers]) or f"<p>{html.escape(no_move)}</p>",
    ]
    if risk:
        blocks += [f"<h3>{html.escape(t_risk)}</h3>", _ul([html.escape(x) for x in risk])]
    if insights:
        blocks += [f"<h3>{html.escape(t_insights)}</h3>", _ul([html.escape(x) for x in insights])]
    body = _("{percent} vs {benchmark}").format(percent=lc.pct(ret), benchmark=vs)  # (was English in every language)
    if movers:
        body += " · " + _("top mover {mover}").format(mover=movers[0])
    push = PushContent(
        title=_("Your weekly summary"),
        body=_truncate(body, PUSH_BODY_MAX),
        data=_push_data(kind, period, key, {"week_start": facts.week_start.isoformat(), "locale": lc.tag}),
        collapse_key=kind.value,
        apns_collapse_id=collapse_id(kind, period),
    )
    return Rendered(
        kind,
        period,
        EmailContent(subject, "\n".join(text) + "\n", _html_page(subject, blocks, lc)),
        push,
        blocks=blocks_of(
            heading(heading_text),
            bullet_list(t_perf, perf + ([relative] if relative else [])),
            chart(chart_title, facts.history),
            bullet_list(t_movers, movers),
            bullet_list(t_risk, risk) if risk else None,
            bullet_list(t_insights, insights) if insights else None,
        ),
        figures=figures(
            cur,
            {
                "start_value": facts.start_value,
                "end_value": facts.end_value,
                "change": facts.change,
                **({"net_flows": facts.net_flows} if facts.net_flows != 0 else {}),
            },
            {
                "week_return": (ret, "fraction"),  # the return the content states: the whole portfolio's
                "benchmark_return": (facts.benchmark_return, "fraction"),
                "volatility": (facts.volatility, "fraction"),
                "diversification": (facts.diversification, "score"),
            },
        ),
        locale=lc.tag,
        locale_fallback_from=_fallback_from(lc),
    )


# -- alert ------------------------------------------------------------------------------


def _threshold_percent(percent: float, l10n: Localizer) -> str:
    """A threshold the user typed in percent, with the decimals it has (``2%``, ``2.5%``, ``0.25%``)."""
    digits = next((d for d in (0, 1) if round(percent, d) == percent), 2)
    return l10n.percent_of(percent, digits=digits)


def render_alert(
    facts: AlertFacts,
    *,
    period: str,
    key: str,
    exchange_tz: ZoneInfo = NEW_YORK,
    l10n: Localizer | None = None,
) -> Rendered:
    lc = l10n or english()
    _ = lc._
    kind = NotificationKind.ALERT
    cur = facts.currency
    local: datetime = facts.at.astimezone(exchange_tz)
    if exchange_tz is NEW_YORK:
        when = _("{time} New York time").format(time=lc.clock(local))
    else:
        when = f"{lc.clock(local)} {local:%Z}"
    move = lc.pct(abs(facts.move), signed=False)
    if facts.move > 0:
        headline = _("Your portfolio is up {percent} today").format(percent=move)
        title = _("Portfolio up {percent}").format(percent=move)
    else:
        headline = _("Your portfolio is down {percent} today").format(percent=move)
        title = _("Portfolio down {percent}").format(percent=move)
    if facts.sigma is not None:
        sigma = lc.number(abs(facts.sigma), digits=1)
        if "SIGMA" not in facts.crossed and "PCT" in facts.crossed and facts.threshold_percent is not None:
            # fired on the percentage threshold alone: that is the threshold to name
            unusual = _(
                "That is a {sigma}-standard-deviation move for your portfolio (your alert threshold is {threshold})."
            ).format(sigma=sigma, threshold=_threshold_percent(facts.threshold_percent, lc))
        else:
            unusual = _(
                "That is a {sigma}-standard-deviation move for your portfolio (your alert threshold is "
                "{threshold} standard deviations)."
            ).format(sigma=sigma, threshold=lc.number(facts.threshold_sigma, digits=1))
        sigma_tag = f" ({sigma}σ)"
    else:
        unusual = _("Your portfolio's history is too short to say how unusual this move is.")
        sigma_tag = ""
    drivers = [_mover_line(m, cur, lc) for m in facts.drivers]
    change = lc.money(facts.change, cur, signed=True)
    subject = _("Unusual move: portfolio {percent}").format(percent=lc.pct(facts.move)) + sigma_tag
    t_drivers = _("What drove it")
    no_driver = _("No single position stood out.")
    as_of = _("{change} as of {time}.").format(change=change, time=when)
    text = [
        _("{headline} ({change}), as of {time}.").format(headline=headline, change=change, time=when),
        unusual,
        _("Value now: {value}.").format(value=lc.money(facts.value, cur)),
        "",
        t_drivers,
    ] + ([f"  {x}" for x in drivers] or [f"  {no_driver}"])
    blocks = [
        f"<h2>{html.escape(headline)}</h2>",
        f"<p>{html.escape(as_of)} {html.escape(unusual)}</p>",
        svg_chart(facts.history, title=_("Portfolio value"), l10n=lc),
        f"<h3>{html.escape(t_drivers)}</h3>",
        _ul([html.escape(x) for x in drivers]) or f"<p>{html.escape(no_driver)}</p>",
    ]
    body = f"{lc.pct(facts.move)} ({change}){sigma_tag.replace(' (', ', ').rstrip(')')}"
    if drivers:
        body += " · " + _("led by {mover}").format(mover=drivers[0])
    push = PushContent(
        title=title,
        body=_truncate(body, PUSH_BODY_MAX),
        data=_push_data(
            kind,
            period,
            key,
            {
                "sigma": f"{facts.sigma:.2f}" if facts.sigma is not None else "",
                "move": f"{facts.move:.6f}",
                "locale": lc.tag,
            },
        ),
        collapse_key=kind.value,
        apns_collapse_id=collapse_id(kind, period),
    )
    return Rendered(
        kind,
        period,
        EmailContent(subject, "\n".join(text) + "\n", _html_page(subject, blocks, lc)),
        push,
        blocks=blocks_of(
            heading(headline),
            paragraph_block(f"{as_of} {unusual}"),
            chart(_("Portfolio value"), facts.history),
            bullet_list(t_drivers, drivers),
        ),
        figures=figures(
            cur,
            {"value": facts.value, "change": facts.change},
            {"move": (facts.move, "fraction"), "sigma": (facts.sigma, "sigma")},
        ),
        locale=lc.tag,
        locale_fallback_from=_fallback_from(lc),
    )
