"""The deterministic answer used when AI is not answering: the figures asked about, plainly, no advice.

:func:`offline_answer` reads the question (:mod:`.question`) for what it asks about: a risk metric
(Sharpe, volatility, drawdown, beta, VaR, Sortino, CAGR...), a position, a basket or a sector, cash,
performance over a period (today, this week, this month, this year), risk in general,
diversification, insights, news, or a trade; and answers with those figures. Anything else gets
the general summary.

Every figure it writes is a number of the data block (:func:`~.data_block.context_document`), the
same document the AI is given, shown at the block's precision or rounded from it: percentages with
two decimals from the block's four-decimal fractions, money with two decimals, ratios with two. So
its text passes the grounding check against that block. Every share says what it is a share of
(total value with cash, or invested value), and the first and last lines say honestly why AI is
not answering and whether asking again can help (:func:`~stack_cfo.core.ai.offline.not_ai_notice`).

The compute client streams this text (marked ``offline``) when no provider can answer before the
first byte, so a chat turn never hangs on AI and the user's message is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from stack_cfo.core.ai.offline import next_step, not_ai_notice
from stack_cfo.core.chat.context_figures import PERIOD_KEYS
from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.chat.models import PortfolioContext
from stack_cfo.core.chat.question import Question, read_question

Doc = Mapping[str, Any]

PERIOD_LABELS = {
    "1d": "since the previous close",
    "1w": "over the past week",
    "1m": "over the past month",
    "ytd": "so far this year",
}
_METRIC_LABELS = {
    "time_weighted_return": "Time-weighted return",
    "volatility": "Annualised volatility",
    "sharpe": "Sharpe ratio",
    "sortino": "Sortino ratio",
    "max_drawdown": "Maximum drawdown",
    "current_drawdown": "Current drawdown from the peak",
    "cagr": "CAGR",
    "calmar": "Calmar ratio",
    "var_95": "One-day 95% VaR",
    "cvar_95": "One-day 95% CVaR (expected shortfall)",
    "beta": "Beta",
    "alpha": "Annualised alpha",
}
_RATIOS = frozenset({"sharpe", "sortino", "calmar", "beta"})
_UNSIGNED = frozenset({"volatility"})
_RISK_OVERVIEW = ("volatility", "max_drawdown", "current_drawdown", "sharpe", "beta", "var_95")
_MAX_NAMED = 3
_MAX_INSIGHTS = 5


# ------------------------------------------------------------------------------ figures


def _dec(v: Any) -> Decimal:
    return Decimal(str(v))


def pct(v: Any) -> str:
    """A block fraction as a signed percentage: -0.0324 -> '-3.24%'."""
    return f"{_dec(v) * 100:+.2f}%"


def share(v: Any) -> str:
    """A block fraction as an unsigned share: 0.1925 -> '19.25%'."""
    return f"{_dec(v) * 100:.2f}%"


def points(v: Any) -> str:
    """A difference of fractions in percentage points: -0.0424 -> '-4.24 percentage points'."""
    return f"{_dec(v) * 100:+.2f} percentage points"


def money(v: Any, ccy: str, *, signed: bool = False) -> str:
    """Block money as shown: '7,160.00 USD', or '-240.00 USD' when signed."""
    return (f"{_dec(v):+,.2f}" if signed else f"{_dec(v):,.2f}") + (f" {ccy}" if ccy else "")


def ratio(v: Any) -> str:
    return f"{_dec(v):.2f}"


def _items(doc: Doc, key: str) -> list[Mapping[str, Any]]:
    value = doc.get(key)
    return [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []


def _by(items: Iterable[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    return {str(x[key]): x for x in items if key in x}


def _known(item: Mapping[str, Any], periods: Sequence[str]) -> list[str]:
    return [p for p in periods if f"return_{p}" in item]


# ------------------------------------------------------------------------------ sections


class _Writer:
    def __init__(self, doc: Doc, question: Question) -> None:
        self.doc = doc
        self.q = question
        self.ccy = str(doc.get("base_currency") or "")
        self.positions = _by(_items(doc, "positions"), "symbol")
        self.baskets = _by(_items(doc, "baskets"), "name")
        self.sectors = _by(_items(doc, "sectors"), "name")
        bench = doc.get("benchmark")
        self.bench: Mapping[str, Any] = bench if isinstance(bench, Mapping) else {}
        self.risk: Mapping[str, Any] = doc.get("risk") if isinstance(doc.get("risk"), Mapping) else {}  # type: ignore[assignment]

    @property
    def periods(self) -> tuple[str, ...]:
        return self.q.periods or PERIOD_KEYS

    def _vs_benchmark(self, item: Mapping[str, Any], period: str) -> str:
        excess = item.get(f"excess_return_{period}")
        bench = self.bench.get(f"return_{period}")
        if excess is None or bench is None:
            return ""
        name = self.bench.get("symbol", "the benchmark")
        return f", against {pct(bench)} for {name}: an excess return of {points(excess)}"

    def _moves(self, item: Mapping[str, Any], periods: Sequence[str]) -> list[str]:
        parts = []
        for p in _known(item, periods):
            change = item.get(f"change_{p}")
            amount = f" ({money(change, self.ccy, signed=True)})" if change is not None else ""
            parts.append(f"{PERIOD_LABELS[p]} {pct(item[f'return_{p}'])}{amount}")
        return parts

    def value(self) -> list[str]:
        doc = self.doc
        when = _as_of(doc.get("snapshot_time"))
        line = f"As of {when}, your portfolio is worth {money(doc['total_value'], self.ccy)}" if "total_value" in doc \
            else f"As of {when}"
        cash = doc.get("cash")
        if isinstance(cash, Mapping) and "value" in cash:
            line += f", including {money(cash['value'], self.ccy)} in cash"
            if "weight" in cash:
                line += f" ({share(cash['weight'])} of total value)"
        lines = [line + "."]
        if "unrealized_pnl" in doc:
            ret = f" ({pct(doc['unrealized_return'])} on cost)" if "unrealized_return" in doc else ""
            lines.append(f"Unrealised gain or loss on the current positions: "
                         f"{money(doc['unrealized_pnl'], self.ccy, signed=True)}{ret}.")
        return lines

    def performance(self, periods: Sequence[str]) -> list[str]:
        perf = self.doc.get("performance")
        if not isinstance(perf, Mapping):
            return ["There are no performance figures for your portfolio in the data."]
        lines = []
        for p in _known(perf, periods):
            change = perf.get(f"change_{p}")
            amount = f" ({money(change, self.ccy, signed=True)})" if change is not None else ""
            lines.append(f"Your portfolio (cash included) returned {pct(perf[f'return_{p}'])} {PERIOD_LABELS[p]}"
                         f"{amount}{self._vs_benchmark(perf, p)}.")
        if not lines:
            lines.append("There are no figures for that period in the data (the price history is too short).")
        for p in _known(perf, periods)[:1] if self.q.periods else []:
            movers = sorted(
                (x for x in self.positions.values() if f"return_{p}" in x), key=lambda x: _dec(x[f"return_{p}"])
            )
            if len(movers) >= 2:
                worst, best = movers[0], movers[-1]
                lines.append(f"Weakest position {PERIOD_LABELS[p]}: {worst['symbol']} {pct(worst[f'return_{p}'])}; "
                             f"strongest: {best['symbol']} {pct(best[f'return_{p}'])}.")
        return lines

    def benchmark(self, periods: Sequence[str]) -> list[str]:
        known = [p for p in periods if f"return_{p}" in self.bench]
        if not known:
            return []
        parts = [f"{pct(self.bench[f'return_{p}'])} {PERIOD_LABELS[p]}" for p in known]
        return [f"The benchmark, {self.bench.get('symbol', '')}: " + "; ".join(parts) + "."]

    def position(self, symbol: str) -> list[str]:
        p = self.positions[symbol]
        head = f"{symbol}: {p['quantity']} shares"
        if "market_value" in p:
            head += f" worth {money(p['market_value'], self.ccy)}"
        if "weight" in p:
            head += f", {share(p['weight'])} of total value (cash included)"
        if "invested_weight" in p:
            head += f" and {share(p['invested_weight'])} of invested value"
        lines = [head + "."]
        moves = self._moves(p, self.periods)
        if moves:
            lines.append(f"{symbol} price moves: " + "; ".join(moves) + ".")
        if "unrealized_pnl" in p:
            ret = f" ({pct(p['unrealized_return'])} on cost)" if "unrealized_return" in p else ""
            lines.append(f"Unrealised gain or loss: {money(p['unrealized_pnl'], self.ccy, signed=True)}{ret}.")
        basket = self.baskets.get(str(p.get("basket", "")))
        member = next((m for m in _items(basket, "positions") if m.get("symbol") == symbol), None) if basket else None
        if member is not None:
            parts = [f"{points(member[f'return_contribution_{k}'])} {PERIOD_LABELS[k]}"
                     for k in self.q.periods if f"return_contribution_{k}" in member]
            if parts:
                lines.append(f"Its contribution to the {p['basket']} basket's return: " + "; ".join(parts) + ".")
        return lines

    def group(self, kind: str, name: str) -> list[str]:
        g = (self.baskets if kind == "basket" else self.sectors)[name]
        count = int(g.get("position_count", 0))
        noun = "position" if count == 1 else "positions"
        head = f"Your {name} {kind} holds {count} {noun}"
        if "market_value" in g:
            head += f" worth {money(g['market_value'], self.ccy)}"
        shares = [f"{share(g['weight'])} of total value (cash included)"] if "weight" in g else []
        if "invested_weight" in g:
            shares.append(f"{share(g['invested_weight'])} of invested value")
        lines = [head + (": " + ", ".join(shares) if shares else "") + "."]
        for p in _known(g, self.periods):
            change = g.get(f"change_{p}")
            amount = f" ({money(change, self.ccy, signed=True)})" if change is not None else ""
            lines.append(f"{PERIOD_LABELS[p].capitalize()} the {name} {kind} returned {pct(g[f'return_{p}'])}"
                         f"{amount}{self._vs_benchmark(g, p)}.")
        for p in _known(g, self.q.periods or ("1w",)):
            members = [m for m in _items(g, "positions") if f"return_contribution_{p}" in m]
            if not members:
                continue
            members.sort(key=lambda m: _dec(m[f"return_contribution_{p}"]))
            parts = []
            for m in members:
                own = self.positions.get(str(m["symbol"]), {}).get(f"return_{p}")
                own_text = f" (its own return {pct(own)})" if own is not None else ""
                parts.append(f"{m['symbol']} {points(m[f'return_contribution_{p}'])}{own_text}")
            more = g.get("positions_not_listed_count")
            rest = f"; {more} smaller positions are not listed" if more else ""
            lines.append(f"Contributions to the {name} {kind}'s return {PERIOD_LABELS[p]}: "
                         + ", ".join(parts) + rest + ".")
        if not _known(g, self.periods):
            lines.append(f"There are no {name} {kind} returns for that period in the data.")
        return lines

    def groups_overview(self, kind: str) -> list[str]:
        groups = self.baskets if kind == "basket" else self.sectors
        if not groups:
            return [f"There are no {kind}s in your portfolio data."]
        p = next((x for x in self.periods if any(f"return_{x}" in g for g in groups.values())), None)
        parts = []
        for name, g in groups.items():
            text = f"{name} {share(g['invested_weight'])} of invested value" if "invested_weight" in g else name
            if p is not None and f"return_{p}" in g:
                text += f", {pct(g[f'return_{p}'])} {PERIOD_LABELS[p]}"
            parts.append(text)
        return [f"Your {kind}s: " + "; ".join(parts) + "."]

    def metrics(self, keys: Sequence[str]) -> list[str]:
        if not self.risk:
            return ["There are no risk figures for your portfolio in the data."]
        parts = []
        for key in keys:
            if key not in self.risk:
                continue
            value = self.risk[key]
            label = _METRIC_LABELS.get(key, key)
            if isinstance(value, str):
                reason = value.removeprefix("unavailable (").removesuffix(")").replace("_", " ").lower()
                parts.append(f"{label}: not available ({reason})")
            elif key in _RATIOS:
                against = f" against {self.risk['benchmark']}" if key == "beta" and "benchmark" in self.risk else ""
                parts.append(f"{label}{against} {ratio(value)}")
            else:
                parts.append(f"{label} {share(value) if key in _UNSIGNED else pct(value)}")
        if not parts:
            return ["Those risk figures are not in the data."]
        lines = [". ".join(parts) + "."]
        if self.risk.get("observations"):
            lines.append(f"They are computed on {self.risk['observations']} daily time-weighted returns "
                         "(deposits and withdrawals removed).")
        elif "observations" in self.risk:
            lines.append("There are no daily returns yet to compute them on.")
        return lines

    def cash(self) -> list[str]:
        cash = self.doc.get("cash")
        if not isinstance(cash, Mapping) or "value" not in cash:
            return ["Your cash balance is not in the data."]
        line = f"Cash: {money(cash['value'], self.ccy)}"
        if "weight" in cash:
            line += f", {share(cash['weight'])} of total value"
        lines = [line + "."]
        idle = next((i for i in _items(self.doc, "insights") if i.get("code") == "IDLE_CASH"), None)
        if idle is not None and "threshold_weight" in idle:
            lines.append(f"That is above the {share(idle['threshold_weight'])} of total value at which the app "
                         "flags idle cash.")
        return lines

    def largest(self) -> list[str]:
        top = list(self.positions.values())[:_MAX_NAMED]
        if not top:
            return []
        parts = [f"{p['symbol']} {share(p['weight'])}" for p in top if "weight" in p]
        return ["Largest positions, as shares of total value (cash included): " + ", ".join(parts) + "."] \
            if parts else []

    def diversification(self) -> list[str]:
        d = self.doc.get("diversification")
        if not isinstance(d, Mapping) or "score" not in d:
            return ["There is no diversification score in the data."]
        line = f"Diversification score {d['score']}"
        parts = []
        if "score_from_holdings" in d:
            parts.append(f"{d['score_from_holdings']} of it for breadth across holdings")
        if "score_from_sectors" in d:
            parts.append(f"{d['score_from_sectors']} for breadth across sectors")
        lines = [line + (f" ({' and '.join(parts)})" if parts else "") + "."]
        if "effective_position_count" in d and "effective_sector_count" in d:
            lines.append(f"Weighted by value you hold the equivalent of {d['effective_position_count']} equal "
                         f"positions in {d['effective_sector_count']} equal sectors.")
        if "largest_symbol" in d and "largest_invested_weight" in d:
            lines.append(f"The largest position, {d['largest_symbol']}, is {share(d['largest_invested_weight'])} "
                         "of invested value.")
        sectors = [f"{n} {share(g['invested_weight'])}" for n, g in self.sectors.items() if "invested_weight" in g]
        if sectors:
            lines.append("Sectors as shares of invested value: " + ", ".join(sectors) + ".")
        return lines

    def insights(self, *, limit: int = _MAX_INSIGHTS) -> list[str]:
        lines = [line for line in (_insight_line(i, self.bench) for i in _items(self.doc, "insights")) if line]
        return lines[:limit]


def _insight_line(i: Mapping[str, Any], bench: Mapping[str, Any]) -> str:
    code = i.get("code")
    subject = i.get("symbol") or i.get("sector") or i.get("basket") or ""
    if code in ("POSITION_CONCENTRATION", "SECTOR_CONCENTRATION") and "invested_weight" in i:
        limit = f", above the {share(i['threshold_invested_weight'])} guideline" \
            if "threshold_invested_weight" in i else ""
        return f"{subject} is {share(i['invested_weight'])} of invested value{limit}."
    if code == "DRAWDOWN" and "current_drawdown" in i:
        return f"The portfolio's time-weighted value is {pct(i['current_drawdown'])} from its peak (current drawdown)."
    if code in ("BASKET_LAGGING_BENCHMARK", "POSITION_LAGGING_BENCHMARK") and "return_1w" in i:
        what = f"Your {subject} basket" if code == "BASKET_LAGGING_BENCHMARK" else subject
        vs = f" against {pct(i['benchmark_return_1w'])} for {bench.get('symbol', 'the benchmark')}" \
            if "benchmark_return_1w" in i else ""
        excess = f" (an excess return of {points(i['excess_return_1w'])})" if "excess_return_1w" in i else ""
        return f"{what} returned {pct(i['return_1w'])} over the past week{vs}{excess}."
    if code == "IDLE_CASH" and "weight" in i:
        return f"Cash is {share(i['weight'])} of total value."
    message = str(i.get("message") or "")
    return message if message and not any(ch.isdigit() for ch in message) else ""


def _as_of(raw: Any) -> str:
    try:
        return datetime.fromisoformat(str(raw)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return "the last snapshot"


# ------------------------------------------------------------------------------ the answer


def _body(w: _Writer) -> list[str]:
    q = w.q
    lines: list[str] = []
    if q.trade:
        lines.append("I cannot place, change or confirm trades, and this summary gives no advice; "
                     "here are the figures.")
    named = False
    for symbol in q.symbols[:_MAX_NAMED]:
        lines += w.position(symbol)
        named = True
    for name in q.baskets[:_MAX_NAMED]:
        lines += w.group("basket", name)
        named = True
    for name in q.sectors[:_MAX_NAMED]:
        lines += w.group("sector", name)
        named = True
    if q.all_baskets:
        lines += w.groups_overview("basket")
    if q.all_sectors:
        lines += w.groups_overview("sector")
    if named and q.benchmark:
        lines += w.benchmark(w.periods)
    if q.metrics:
        lines += w.metrics(q.metrics)
    elif q.risk:
        lines += w.metrics(_RISK_OVERVIEW)
    if q.cash:
        lines += w.cash()
    if q.diversification:
        lines += w.diversification()
    if (q.performance or q.benchmark or q.periods) and not named:
        lines += w.performance(w.periods)
    if q.value and not named and not q.cash:
        lines += w.value()
    if q.insights or q.risk:
        found = w.insights()
        lines += found or ["There are no insights flagged for your portfolio."]
    if q.news:
        lines.append("News is not part of the data this summary is built from, so it cannot say what was reported.")
    if lines and not (q.trade and len(lines) == 1):
        return lines
    # Nothing recognised (or only a trade request): the general summary.
    return [*lines, *w.value(), *w.performance(q.periods or ("1d", "1w")), *w.largest(), *w.insights(limit=2)]


def offline_answer(context: PortfolioContext, now: datetime, question: str, *, reason: str) -> str:
    """The answer to ``question`` from the figures of ``context`` alone.

    ``reason`` is why AI is not answering, a :class:`~stack_cfo.core.ai.DegradedReason` code
    (``COMPUTE_NOT_CONFIGURED``, ``COMPUTE_UNAVAILABLE``, ``AI_UNGROUNDED``...).
    """
    lines = [not_ai_notice(reason)]
    doc = context_document(context, now)
    if not doc.get("available"):
        lines.append("There is no portfolio data on file for you yet, so there are no figures to answer with.")
    else:
        positions = [str(p["symbol"]) for p in _items(doc, "positions")]
        bench = doc.get("benchmark")
        q = read_question(
            question,
            symbols=positions,
            benchmark=str(bench.get("symbol", "")) if isinstance(bench, Mapping) else "",
            baskets=[str(g["name"]) for g in _items(doc, "baskets")],
            sectors=[str(g["name"]) for g in _items(doc, "sectors")],
        )
        lines += _body(_Writer(doc, q))
    lines.append(f"Your question is saved. {next_step(reason)}")
    return "\n".join(lines)
