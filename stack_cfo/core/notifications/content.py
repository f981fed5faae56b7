"""Words, charts and payloads: a digest, weekly summary or alert rendered for email and push.

Pure functions of the facts. Email is plain text plus HTML with an inline SVG chart of the
period's value; push is a title, a body, string-only data fields for deep links, and
collapse keys so a rare duplicate delivery *replaces* the earlier notification.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from stack_cfo.core.notifications.keys import collapse_id
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.news import RankedNews
from stack_cfo.core.notifications.ports import AlertFacts, DigestFacts, Mover, ValuePoint, WeeklyFacts

DEEP_LINK_BASE = "stackcfo://notifications"
PUSH_BODY_MAX = 178  # what a lock screen shows before truncating
NEW_YORK = ZoneInfo("America/New_York")
_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


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
    receipt_ids: tuple[str, ...] = ()
    """Receipts of the AI texts it carries: the portfolio paragraph, then the news summaries."""


# -- formatting -------------------------------------------------------------------------


def money(value: Decimal, currency: str = "USD", *, signed: bool = False) -> str:
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ("+" if signed and q > 0 else "")
    body = f"{abs(q):,.2f}"
    symbol = _CURRENCY_SIGNS.get(currency.upper())
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency.upper()}"


def pct(ratio: float | None, *, signed: bool = True, digits: int = 2) -> str:
    if ratio is None:
        return "n/a"
    value = ratio * 100
    if round(value, digits) == 0:
        value = 0.0
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"


def long_date(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def short_date(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _mover_line(m: Mover, currency: str) -> str:
    return f"{m.symbol} {pct(m.period_return)} ({money(m.contribution, currency, signed=True)})"


def _deep_link(kind: NotificationKind, period: str) -> str:
    return f"{DEEP_LINK_BASE}/{kind.value}/{period}"


def _push_data(kind: NotificationKind, period: str, key: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    data = {
        "kind": kind.value,
        "period": period,
        "deep_link": _deep_link(kind, period),
        "notification_key": key,
    }
    data.update(extra or {})
    return data


# -- chart ------------------------------------------------------------------------------


def svg_chart(points: Sequence[ValuePoint], *, width: int = 480, height: int = 120, title: str = "Value") -> str:
    """A small inline SVG line chart of portfolio value (empty string when < 2 points)."""
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
    label = html.escape(f"{title}: {points[0].day.isoformat()} to {points[-1].day.isoformat()}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>'
        "</svg>"
    )


def _html_page(title: str, blocks: Sequence[str]) -> str:
    body = "\n".join(blocks)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;'
        'max-width:560px;margin:0 auto;padding:16px">\n'
        f"{body}\n"
        '<p style="color:#656d76;font-size:12px">You receive this because notifications are on in '
        "your STACK settings. Change them in the app.</p></body></html>"
    )


def _ul(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else ""


# -- digest -----------------------------------------------------------------------------


def render_digest(
    facts: DigestFacts,
    news: Sequence[tuple[RankedNews, str]],
    *,
    period: str,
    key: str,
    paragraph: str | None = None,
) -> Rendered:
    """Yesterday's performance, a paragraph about it (the AI's, checked, else the deterministic
    writer's; ``facts.narrative`` when none is given) and the most relevant news, each with its
    (shared) summary."""
    paragraph = facts.narrative if paragraph is None else paragraph
    kind = NotificationKind.DIGEST
    cur = facts.currency
    ranked_holdings = sorted((h for h in facts.holdings if h.day_return is not None), key=lambda h: h.day_return or 0.0)
    best = ranked_holdings[-1] if ranked_holdings else None
    worst = ranked_holdings[0] if len(ranked_holdings) > 1 else None
    change = money(facts.change, cur, signed=True)
    perf = [
        f"Value: {money(facts.total_value, cur)}",
        f"Change on {short_date(facts.day)}: {change} ({pct(facts.day_return)})",
    ]
    if best is not None:
        perf.append(f"Best: {best.symbol} {pct(best.day_return)}")
    if worst is not None and worst is not best:
        perf.append(f"Worst: {worst.symbol} {pct(worst.day_return)}")
    subject = f"Your portfolio on {short_date(facts.day)}: {pct(facts.day_return)} ({change})"

    text = [f"Your STACK digest for {long_date(facts.day)}.", "", "Yesterday's performance"]
    text += [f"  {line}" for line in perf]
    if paragraph:
        text += ["", paragraph]
    text += ["", "News about your holdings"]
    if news:
        for ranked, summary in news:
            n = ranked.item
            text += [
                f"- {n.title} ({n.source}; {', '.join(ranked.held_symbols)})",
                f"  {summary}",
                f"  {n.url}",
            ]
    else:
        text.append("  No news mentioned your holdings.")

    html_news = [
        f'<a href="{html.escape(r.item.url, quote=True)}">{html.escape(r.item.title)}</a> '
        f"<small>({html.escape(r.item.source)}; {html.escape(', '.join(r.held_symbols))})</small><br>"
        f"{html.escape(s)}"
        for r, s in news
    ]
    blocks = [
        f"<h2>Your portfolio on {html.escape(long_date(facts.day))}</h2>",
        _ul([html.escape(line) for line in perf]),
        svg_chart(facts.history, title="Portfolio value"),
    ]
    if paragraph:
        blocks.append(f"<p>{html.escape(paragraph)}</p>")
    blocks += [
        "<h3>News about your holdings</h3>",
        _ul(html_news) or "<p>No news mentioned your holdings.</p>",
    ]

    top = news[0][0].item.title if news else ""
    body = f"{money(facts.total_value, cur)} ({money(facts.change, cur, signed=True)})"
    if top:
        body += f" · {top}"
    push = PushContent(
        title=f"Portfolio {pct(facts.day_return)} yesterday",
        body=_truncate(body, PUSH_BODY_MAX),
        data=_push_data(kind, period, key, {"day": facts.day.isoformat()}),
        collapse_key=kind.value,
        apns_collapse_id=collapse_id(kind, period),
    )
    return Rendered(
        kind,
        period,
        EmailContent(subject, "\n".join(text) + "\n", _html_page(subject, blocks)),
        push,
        {"news_items": str(len(news))},
    )


# -- weekly -----------------------------------------------------------------------------


def _change_line(label: str, now: float | None, before: float | None, *, as_pct: bool) -> str | None:
    if now is None:
        return None
    fmt = (lambda v: pct(v, signed=False)) if as_pct else (lambda v: f"{v:.2f}")
    if before is None:
        return f"{label}: {fmt(now)}"
    direction = "up" if now > before else "down" if now < before else "unchanged"
    return f"{label}: {fmt(now)} ({direction} from {fmt(before)})"


def render_weekly(facts: WeeklyFacts, *, period: str, key: str, summary: str = "") -> Rendered:
    """The week in figures, opened by ``summary`` (the AI's paragraph, checked, else the
    deterministic writer's) when there is one."""
    kind = NotificationKind.WEEKLY
    cur = facts.currency
    vs = (
        f"{facts.benchmark_symbol} {pct(facts.benchmark_return)}"
        if facts.benchmark_return is not None
        else f"{facts.benchmark_symbol} n/a"
    )
    relative = None
    if facts.week_return is not None and facts.benchmark_return is not None:
        diff = facts.week_return - facts.benchmark_return
        word = "ahead of" if diff > 0 else "behind" if diff < 0 else "level with"
        relative = f"You finished {pct(abs(diff), signed=False)} {word} {facts.benchmark_symbol}."
        if word == "level with":
            relative = f"You finished level with {facts.benchmark_symbol}."
    perf = [
        f"Value: {money(facts.start_value, cur)} → {money(facts.end_value, cur)}",
        f"Return: {pct(facts.week_return)} ({money(facts.change, cur, signed=True)}) vs {vs}",
    ]
    risk = [
        line
        for line in (
            _change_line("Volatility (annualised)", facts.volatility, facts.previous_volatility, as_pct=True),
            _change_line("Diversification score", facts.diversification, facts.previous_diversification, as_pct=False),
        )
        if line
    ]
    movers = [_mover_line(m, cur) for m in facts.top_movers]
    label = f"{short_date(facts.week_start)} – {short_date(facts.week_end)}"
    subject = f"Your week {label}: {pct(facts.week_return)} vs {vs}"

    text = [f"Your STACK weekly summary, {label}."]
    if summary:
        text += ["", summary]
    text += ["", "Performance"] + [f"  {x}" for x in perf]
    if relative:
        text.append(f"  {relative}")
    text += ["", "Top movers"] + ([f"  {x}" for x in movers] or ["  No position moved."])
    if risk:
        text += ["", "Risk and diversification"] + [f"  {x}" for x in risk]
    if facts.insights:
        text += ["", "Insights"] + [f"- {x}" for x in facts.insights]

    blocks = [
        f"<h2>Your week, {html.escape(label)}</h2>",
        *([f"<p>{html.escape(summary)}</p>"] if summary else []),
        _ul([html.escape(x) for x in perf + ([relative] if relative else [])]),
        svg_chart(facts.history, title="Portfolio value"),
        "<h3>Top movers</h3>",
        _ul([html.escape(x) for x in movers]) or "<p>No position moved.</p>",
    ]
    if risk:
        blocks += ["<h3>Risk and diversification</h3>", _ul([html.escape(x) for x in risk])]
    if facts.insights:
        blocks += ["<h3>Insights</h3>", _ul([html.escape(x) for x in facts.insights])]
    body = f"{pct(facts.week_return)} vs {vs}"
    if movers:
        body += f" · top mover {movers[0]}"
    push = PushContent(
        title="Your weekly summary",
        body=_truncate(body, PUSH_BODY_MAX),
        data=_push_data(kind, period, key, {"week_start": facts.week_start.isoformat()}),
        collapse_key=kind.value,
        apns_collapse_id=collapse_id(kind, period),
    )
    return Rendered(kind, period, EmailContent(subject, "\n".join(text) + "\n", _html_page(subject, blocks)), push)


# -- alert ------------------------------------------------------------------------------


def render_alert(facts: AlertFacts, *, period: str, key: str, exchange_tz: ZoneInfo = NEW_YORK) -> Rendered:
    kind = NotificationKind.ALERT
    cur = facts.currency
    direction = "up" if facts.move > 0 else "down"
    local: datetime = facts.at.astimezone(exchange_tz)
    when = f"{local:%H:%M} New York time" if exchange_tz is NEW_YORK else f"{local:%H:%M %Z}"
    headline = f"Your portfolio is {direction} {pct(abs(facts.move), signed=False)} today"
    if facts.sigma is not None:
        unusual = (
            f"That is a {abs(facts.sigma):.1f}-standard-deviation move for your portfolio "
            f"(your alert threshold is {facts.threshold_sigma:.1f})."
        )
        sigma_tag = f" ({abs(facts.sigma):.1f}σ)"
    else:
        unusual = "Your portfolio's history is too short to say how unusual this move is."
        sigma_tag = ""
    drivers = [_mover_line(m, cur) for m in facts.drivers]
    subject = f"Unusual move: portfolio {pct(facts.move)}{sigma_tag}"
    text = [
        f"{headline} ({money(facts.change, cur, signed=True)}), as of {when}.",
        unusual,
        f"Value now: {money(facts.value, cur)}.",
        "",
        "What drove it",
    ] + ([f"  {x}" for x in drivers] or ["  No single position stood out."])
    blocks = [
        f"<h2>{html.escape(headline)}</h2>",
        f"<p>{html.escape(money(facts.change, cur, signed=True))} as of {html.escape(when)}. "
        f"{html.escape(unusual)}</p>",
        svg_chart(facts.history, title="Portfolio value"),
        "<h3>What drove it</h3>",
        _ul([html.escape(x) for x in drivers]) or "<p>No single position stood out.</p>",
    ]
    body = f"{pct(facts.move)} ({money(facts.change, cur, signed=True)}){sigma_tag.replace(' (', ', ').rstrip(')')}"
    if drivers:
        body += f" · led by {drivers[0]}"
    push = PushContent(
        title=f"Portfolio {direction} {pct(abs(facts.move), signed=False)}",
        body=_truncate(body, PUSH_BODY_MAX),
        data=_push_data(
            kind,
            period,
            key,
            {"sigma": f"{facts.sigma:.2f}" if facts.sigma is not None else "", "move": f"{facts.move:.6f}"},
        ),
        collapse_key=kind.value,
        apns_collapse_id=collapse_id(kind, period),
    )
    return Rendered(kind, period, EmailContent(subject, "\n".join(text) + "\n", _html_page(subject, blocks)), push)
