"""The deterministic answer used when AI is not answering: the figures asked about, plainly, no advice.

:func:`offline_answer` reads the question (:mod:`.question`) for what it asks about: a risk metric
(Sharpe, volatility, drawdown, beta, VaR, Sortino, CAGR...), a position, a basket or a sector, cash,
performance over a period (today, this week, this month, this year), the gain since purchase
(or since the start, "am I up", "total return"), what the positions cost or trade at (average cost,
cost basis, "what did I pay", last price), the best or worst positions ("best performer", "top 3
this week", "biggest losers": ranked by the period asked for, else by the gain on cost), risk in
general, diversification, insights, news, or a trade; and answers with those figures. A percentage
the question states ("up 50%") is compared with the figure, never repeated: it is the user's, not a
fact of the data. Anything else gets the general summary.

Every figure it writes is a number of the data block (:func:`~.data_block.context_document`), the
same document the AI is given, shown at the block's precision or rounded from it: percentages with
two decimals from the block's four-decimal fractions, money with two decimals, ratios with two. So
its text passes the grounding check against that block. Every share says what it is a share of
(total value with cash, or invested value), and the first and last lines say honestly why AI is
not answering and whether asking again can help (:func:`~stack_cfo.core.ai.offline.not_ai_notice`).

In another locale (``l10n``) the words come from the message catalogue and the figures are spelled in
the locale's CLDR formats (``+3,24 %``, ``7.160,00 $``), which the grounding check reads as well; the
question is read with English, Spanish, German, French and Chinese keywords (a question it does not
recognise gets the general summary).

The compute client streams this text (marked ``offline``) when no provider can answer before the
first byte, so a chat turn never hangs on AI and the user's message is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from stack_cfo.core.ai.offline import next_step, not_ai_notice
from stack_cfo.core.chat.context_figures import PERIOD_KEYS
from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.chat.models import PortfolioContext
from stack_cfo.core.chat.question import Question, read_question
from stack_cfo.core.i18n import N_, Localizer, english

Doc = Mapping[str, Any]

PERIOD_LABELS = {
    "1d": N_("since the previous close"),
    "1w": N_("over the past week"),
    "1m": N_("over the past month"),
    "ytd": N_("so far this year"),
}
_METRIC_LABELS = {
    "time_weighted_return": N_("Time-weighted return"),
    "volatility": N_("Annualised volatility"),
    "sharpe": N_("Sharpe ratio"),
    "sortino": N_("Sortino ratio"),
    "max_drawdown": N_("Maximum drawdown"),
    "current_drawdown": N_("Current drawdown from the peak"),
    "cagr": N_("CAGR"),
    "calmar": N_("Calmar ratio"),
    "var_95": N_("One-day 95% VaR"),
    "cvar_95": N_("One-day 95% CVaR (expected shortfall)"),
    "beta": N_("Beta"),
    "alpha": N_("Annualised alpha"),
}
#: Why a metric is missing (MetricUnavailableReason), as the reader's language says it.
_UNAVAILABLE = {
    "INSUFFICIENT_HISTORY": N_("not enough history yet"),
    "ZERO_DISPERSION": N_("the returns do not vary"),
    "NO_BENCHMARK": N_("no benchmark data"),
    "NO_DRAWDOWN": N_("no drawdown so far"),
    "UNDEFINED": N_("undefined for this portfolio"),
    "MISSING_EXCHANGE_RATE": N_("an exchange rate is missing"),
    "SPARSE_HISTORY": N_("the prices are not daily"),
}
_RATIOS = frozenset({"sharpe", "sortino", "calmar", "beta"})
_UNSIGNED = frozenset({"volatility"})
_RISK_OVERVIEW = ("volatility", "max_drawdown", "current_drawdown", "sharpe", "beta", "var_95")
_MAX_NAMED = 3
_MAX_COSTS = 5
_MAX_INSIGHTS = 5


# ------------------------------------------------------------------------------ figures


def _dec(v: Any) -> Decimal:
    return Decimal(str(v))


def _shown(v: Any, scale: int = 1) -> Decimal:
    """``v`` x ``scale`` rounded to the 2 decimals shown, a negative that rounds to zero shown as
    zero ("0.00", never "-0.00")."""
    d = (_dec(v) * scale).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)  # as format() rounds
    return abs(d) if d == 0 else d


def pct(v: Any) -> str:
    """A block fraction as a signed percentage: -0.0324 -> '-3.24%'."""
    return f"{_shown(v, 100):+.2f}%"


def share(v: Any) -> str:
    """A block fraction as an unsigned share: 0.1925 -> '19.25%'."""
    return f"{_shown(v, 100):.2f}%"


def points(v: Any) -> str:
    """A difference of fractions in percentage points: -0.0424 -> '-4.24 percentage points'."""
    return f"{_shown(v, 100):+.2f} percentage points"


def money(v: Any, ccy: str, *, signed: bool = False) -> str:
    """Block money as shown: '7,160.00 USD', or '-240.00 USD' when signed."""
    return (f"{_shown(v):+,.2f}" if signed else f"{_shown(v):,.2f}") + (f" {ccy}" if ccy else "")


def ratio(v: Any) -> str:
    return f"{_shown(v):.2f}"


class _Figures:
    """The figure spellings of one answer: the English ones above, or the locale's CLDR ones."""

    def __init__(self, l10n: Localizer) -> None:
        self.l10n = l10n
        self.en = l10n.is_english

    def pct(self, v: Any) -> str:
        return pct(v) if self.en else self.l10n.percent_of(_dec(v) * 100, signed=True)

    def share(self, v: Any) -> str:
        return share(v) if self.en else self.l10n.percent_of(_dec(v) * 100)

    def points(self, v: Any) -> str:
        if self.en:
            return points(v)
        value = self.l10n.number(_dec(v) * 100)
        value = value if value.startswith(("-", "\u2212")) else "+" + value
        return self.l10n._("{value} percentage points").format(value=value)

    def money(self, v: Any, ccy: str, *, signed: bool = False) -> str:
        return money(v, ccy, signed=signed) if self.en else self.l10n.money(_dec(v), ccy, signed=signed)

    def ratio(self, v: Any) -> str:
        return ratio(v) if self.en else self.l10n.number(_dec(v))

    def price(self, v: Any, ccy: str) -> str:
        """A price per unit at the block's precision: 2 decimals, more when the block shows more (0.0034)."""
        d = _dec(v)
        digits = -int(d.as_tuple().exponent)
        if digits <= 2:
            return self.money(d, ccy)
        if self.en:
            return f"{d:,.{digits}f}" + (f" {ccy}" if ccy else "")
        return self.l10n.number(d, digits=digits) + (f"\u00a0{ccy}" if ccy else "")

    def count(self, v: Any) -> str:
        return str(v) if self.en else self.l10n.number(_dec(v), digits=len(str(v).partition(".")[2]))


def _items(doc: Doc, key: str) -> list[Mapping[str, Any]]:
    value = doc.get(key)
    return [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []


def _by(items: Iterable[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    return {str(x[key]): x for x in items if key in x}


def _known(item: Mapping[str, Any], periods: Sequence[str]) -> list[str]:
    return [p for p in periods if f"return_{p}" in item]


# ------------------------------------------------------------------------------ sections


class _Writer:
    def __init__(self, doc: Doc, question: Question, l10n: Localizer | None = None) -> None:
        self.doc = doc
        self.q = question
        self.l10n = l10n or english()
        self._ = self.l10n._
        self.f = _Figures(self.l10n)
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

    def period(self, key: str) -> str:
        return self._(PERIOD_LABELS[key])

    def _amount(self, item: Mapping[str, Any], p: str) -> str:
        change = item.get(f"change_{p}")
        return f" ({self.f.money(change, self.ccy, signed=True)})" if change is not None else ""

    def _vs_benchmark(self, item: Mapping[str, Any], period: str) -> str:
        excess = item.get(f"excess_return_{period}")
        bench = self.bench.get(f"return_{period}")
        if excess is None or bench is None:
            return ""
        name = self.bench.get("symbol") or self._("the benchmark")
        return self._(", against {benchmark_return} for {benchmark}: an excess return of {excess}").format(
            benchmark_return=self.f.pct(bench), benchmark=name, excess=self.f.points(excess)
        )

    def _moves(self, item: Mapping[str, Any], periods: Sequence[str]) -> list[str]:
        return [
            f"{self.period(p)} {self.f.pct(item[f'return_{p}'])}{self._amount(item, p)}" for p in _known(item, periods)
        ]

    def value(self) -> list[str]:
        _, f, doc = self._, self.f, self.doc
        when = _as_of(doc.get("snapshot_time"), self.l10n)
        if "total_value" in doc:
            line = _("As of {time}, your portfolio is worth {value}").format(
                time=when, value=f.money(doc["total_value"], self.ccy)
            )
        else:
            line = _("As of {time}").format(time=when)
        cash = doc.get("cash")
        if isinstance(cash, Mapping) and "value" in cash:
            line += _(", including {cash} in cash").format(cash=f.money(cash["value"], self.ccy))
            if "weight" in cash:
                line += _(" ({share} of total value)").format(share=f.share(cash["weight"]))
        lines = [line + "."]
        if "unrealized_pnl" in doc and not self.q.since_purchase:  # else the since-purchase lines say it
            ret = (
                _(" ({percent} on cost)").format(percent=f.pct(doc["unrealized_return"]))
                if "unrealized_return" in doc else ""
            )
            lines.append(
                _("Unrealised gain or loss on the current positions: {amount}{on_cost}.").format(
                    amount=f.money(doc["unrealized_pnl"], self.ccy, signed=True), on_cost=ret
                )
            )
        return lines

    def since_purchase(self) -> list[str]:
        """The gain on cost of the positions held, the time-weighted return of the risk figures' days, and
        (ledger portfolios) realised gains and income: each labelled with what it covers."""
        _, f, doc = self._, self.f, self.doc
        if "unrealized_pnl" not in doc:
            lines = [_("There is no gain since purchase in the data: no position has a known cost.")]
        else:
            ret = (
                _(" ({percent} on cost)").format(percent=f.pct(doc["unrealized_return"]))
                if "unrealized_return" in doc else ""
            )
            lines = [
                _("Gain or loss since purchase on the positions you hold (those with a known cost): "
                  "{amount}{on_cost}; that is their market value minus their cost, without cash or past sales.").format(
                    amount=f.money(doc["unrealized_pnl"], self.ccy, signed=True), on_cost=ret
                )
            ]
            stated = self.q.stated_percent
            if stated is not None and "unrealized_return" in doc:
                lines.append(self._compared(_dec(doc["unrealized_return"]) * 100, stated))
        twr = self.risk.get("time_weighted_return")
        asked = "time_weighted_return" in self.q.metrics  # then the metrics lines say it
        if isinstance(twr, int | float) and self.risk.get("observations") and not asked:
            lines.append(
                _("Time-weighted return over the last {count} daily returns (deposits and withdrawals removed): "
                  "{percent}.").format(count=self.risk["observations"], percent=f.pct(twr))
            )
        ledger = doc.get("ledger")
        if isinstance(ledger, Mapping) and "realized_pnl" in ledger:
            realised = f.money(ledger["realized_pnl"], self.ccy, signed=True)
            if "income" in ledger:
                lines.append(
                    _("Realised gain or loss on sales so far: {amount}; dividends and interest received: "
                      "{income}.").format(amount=realised, income=f.money(ledger["income"], self.ccy))
                )
            else:
                lines.append(_("Realised gain or loss on sales so far: {amount}.").format(amount=realised))
        return lines

    def _compared(self, percent: Decimal, stated: Decimal) -> str:
        """``percent`` against the user's ``stated`` one, at the precision the question gives ("50%" against
        42.26 % is lower), in words only: the user's figure is not in the data, so the answer never states it."""
        shown = percent.quantize(Decimal(1).scaleb(int(stated.as_tuple().exponent)))
        if shown > stated:
            return self._("That return on cost is higher than the percentage in your question.")
        if shown < stated:
            return self._("That return on cost is lower than the percentage in your question.")
        return self._("That return on cost matches the percentage in your question.")

    def performance(self, periods: Sequence[str]) -> list[str]:
        _, f = self._, self.f
        perf = self.doc.get("performance")
        if not isinstance(perf, Mapping):
            return [_("There are no performance figures for your portfolio in the data.")]
        lines = []
        for p in _known(perf, periods):
            lines.append(
                _("Your portfolio (cash included) returned {percent} {period}{amount}{versus}.").format(
                    percent=f.pct(perf[f"return_{p}"]), period=self.period(p), amount=self._amount(perf, p),
                    versus=self._vs_benchmark(perf, p),
                )
            )
        if not lines:
            lines.append(_("There are no figures for that period in the data "
                           "(the portfolio's history of holdings and prices is too short)."))
        for p in _known(perf, periods)[:1] if self.q.periods else []:
            movers = sorted(
                (x for x in self.positions.values() if f"return_{p}" in x), key=lambda x: _dec(x[f"return_{p}"])
            )
            if len(movers) >= 2:
                worst, best = movers[0], movers[-1]
                lines.append(
                    _("Weakest position {period}: {worst} {worst_return}; strongest: {best} {best_return}.").format(
                        period=self.period(p), worst=worst["symbol"], worst_return=f.pct(worst[f"return_{p}"]),
                        best=best["symbol"], best_return=f.pct(best[f"return_{p}"]),
                    )
                )
        return lines

    def benchmark(self, periods: Sequence[str]) -> list[str]:
        known = [p for p in periods if f"return_{p}" in self.bench]
        if not known:
            return []
        parts = [f"{self.f.pct(self.bench[f'return_{p}'])} {self.period(p)}" for p in known]
        return [
            self._("The benchmark, {benchmark}: {returns}.").format(
                benchmark=self.bench.get("symbol", ""), returns="; ".join(parts)
            )
        ]

    def position(self, symbol: str) -> list[str]:
        _, f = self._, self.f
        p = self.positions[symbol]
        head = _("{symbol}: {quantity} shares").format(symbol=symbol, quantity=f.count(p["quantity"]))
        if "market_value" in p:
            head += _(" worth {value}").format(value=f.money(p["market_value"], self.ccy))
        if "weight" in p:
            head += _(", {share} of total value (cash included)").format(share=f.share(p["weight"]))
        if "invested_weight" in p:
            head += _(" and {share} of invested value").format(share=f.share(p["invested_weight"]))
        lines = [head + "."]
        moves = self._moves(p, self.periods)
        if moves:
            lines.append(_("{symbol} price moves: {moves}.").format(symbol=symbol, moves="; ".join(moves)))
        if "unrealized_pnl" in p:
            ret = (
                _(" ({percent} on cost)").format(percent=f.pct(p["unrealized_return"]))
                if "unrealized_return" in p else ""
            )
            lines.append(
                _("Unrealised gain or loss: {amount}{on_cost}.").format(
                    amount=f.money(p["unrealized_pnl"], self.ccy, signed=True), on_cost=ret
                )
            )
        if self.q.cost or self.q.price:
            lines += self.costs([symbol])
        basket = self.baskets.get(str(p.get("basket", "")))
        member = next((m for m in _items(basket, "positions") if m.get("symbol") == symbol), None) if basket else None
        if member is not None:
            parts = [f"{f.points(member[f'return_contribution_{k}'])} {self.period(k)}"
                     for k in self.q.periods if f"return_contribution_{k}" in member]
            if parts:
                lines.append(
                    _("Its contribution to the {basket} basket's return: {parts}.").format(
                        basket=p["basket"], parts="; ".join(parts)
                    )
                )
        return lines

    def ranking(self) -> list[str]:
        """The best and/or worst positions (:attr:`Question.ranking`), by each period the question names, else
        by the gain on cost since purchase; each line says what ranks them. Positions with no such figure are
        not ranked, and named; a named basket or sector ranks its own positions."""
        _, n_, q = self._, self.l10n.n_, self.q
        if q.baskets or q.sectors:
            scope = self.l10n.join([
                *(_("the positions of your {name} basket").format(name=name) for name in q.baskets),
                *(_("the positions of your {name} sector").format(name=name) for name in q.sectors),
            ])
            pool = [
                p for p in self.positions.values() if p.get("basket") in q.baskets or p.get("sector") in q.sectors
            ]
        else:
            scope, pool = _("your positions"), list(self.positions.values())
        if not pool:
            return [_("There are no positions to rank in the data.")]
        measures = [f"return_{p}" for p in q.periods]
        if q.since_purchase or not measures:
            measures.append("unrealized_return")
        lines: list[str] = []
        for key in measures:
            ranked = [p for p in pool if key in p]
            if not ranked:
                if key == "unrealized_return":
                    lines.append(_("No position among {scope} has a known cost in the data, so none can be ranked "
                                   "by gain since purchase.").format(scope=scope))
                else:
                    lines.append(_("No position among {scope} has a return {period} in the data, so none can be "
                                   "ranked.").format(scope=scope, period=self.period(key.removeprefix("return_"))))
                continue
            period = self.period(key.removeprefix("return_")) if key != "unrealized_return" else ""
            # best and worst together name no position twice when there are enough ("winners and losers"): the
            # worst are chosen among the positions not already named best (ties would name one in both)
            count = min(q.rank_count, max(1, len(ranked) // 2)) if len(q.ranking) > 1 else q.rank_count
            named: list[Mapping[str, Any]] = []
            for direction in q.ranking:
                rest = [p for p in ranked if not any(p is b for b in named)] if len(ranked) > count else ranked
                # ties keep the block's order, largest position first
                chosen = sorted(rest, key=lambda p: _dec(p[key]), reverse=direction == "best")[:count]
                named += chosen
                parts = ", ".join(self._ranked(p, key) for p in chosen)
                line = self._rank_line(direction, key, len(chosen))
                lines.append(line.format(scope=scope, parts=parts, period=period))
            skipped = [str(p["symbol"]) for p in pool if key not in p]
            if skipped:
                lines.append(_("Not ranked, with no such figure in the data: {symbols}.").format(
                    symbols=self.l10n.join(skipped)
                ))
        more = self.doc.get("positions_not_listed_count")
        if more:
            lines.append(n_("{count} smaller position is not in the data, so it is not ranked.",
                            "{count} smaller positions are not in the data, so they are not ranked.", int(more)
                            ).format(count=more))
        return lines

    def _ranked(self, p: Mapping[str, Any], key: str) -> str:
        if key == "unrealized_return":
            pnl = p.get("unrealized_pnl")
            amount = f" ({self.f.money(pnl, self.ccy, signed=True)})" if pnl is not None else ""
            return f"{p['symbol']} {self.f.pct(p[key])}{amount}"
        return f"{p['symbol']} {self.f.pct(p[key])}{self._amount(p, key.removeprefix('return_'))}"

    def _rank_line(self, direction: str, key: str, count: int) -> str:
        n_ = self.l10n.n_
        if key == "unrealized_return":
            if direction == "best":
                return n_("Best performer since purchase among {scope}, ranked by gain on cost: {parts}.",
                          "Best performers since purchase among {scope}, ranked by gain on cost: {parts}.", count)
            return n_("Worst performer since purchase among {scope}, ranked by gain on cost: {parts}.",
                      "Worst performers since purchase among {scope}, ranked by gain on cost: {parts}.", count)
        if direction == "best":
            return n_("Best performer {period} among {scope}, ranked by return: {parts}.",
                      "Best performers {period} among {scope}, ranked by return: {parts}.", count)
        return n_("Worst performer {period} among {scope}, ranked by return: {parts}.",
                  "Worst performers {period} among {scope}, ranked by return: {parts}.", count)

    def costs(self, symbols: Sequence[str]) -> list[str]:
        """Each position's last price and average cost per unit (in its own currency) and its cost basis
        (in base currency): what it cost, and what a unit trades at."""
        _, f = self._, self.f
        lines = []
        for symbol in symbols:
            p = self.positions[symbol]
            ccy = str(p.get("price_currency") or self.ccy)
            parts = []
            if "last_price" in p:
                parts.append(_("last price {price} per share").format(price=f.price(p["last_price"], ccy)))
            if "average_cost" in p:
                parts.append(_("average cost {price} per share").format(price=f.price(p["average_cost"], ccy)))
            if "cost_basis" in p:
                parts.append(_("cost basis {amount} for the {quantity} shares held").format(
                    amount=f.money(p["cost_basis"], self.ccy), quantity=f.count(p["quantity"])))
            if "average_cost" not in p and "cost_basis" not in p:
                parts.append(_("its cost is not in the data"))
            lines.append(f"{symbol}: {'; '.join(parts)}.")
        return lines

    def all_costs(self) -> list[str]:
        """:meth:`costs` of the largest positions, asked about none in particular; the portfolio's total cost
        is no figure of the data."""
        _ = self._
        if not any({"average_cost", "cost_basis", "last_price"} & p.keys() for p in self.positions.values()):
            return [_("What the positions cost (their cost basis) is not in the data this summary is built from, "
                      "so it cannot confirm an amount paid.")]
        symbols = list(self.positions)  # largest first, as the block lists them
        lines = self.costs(symbols[:_MAX_COSTS])
        if len(symbols) > _MAX_COSTS or "positions_not_listed_count" in self.doc:
            lines.append(_("The positions are listed largest first; the others are not listed here."))
        if self.q.cost:
            lines.append(_("The total paid for the whole portfolio is not in the data; each position's cost basis is."))
        return lines

    def group(self, kind: str, name: str) -> list[str]:
        _, f = self._, self.f
        g = (self.baskets if kind == "basket" else self.sectors)[name]
        count = int(g.get("position_count", 0))
        if kind == "basket":
            head = self.l10n.n_(
                "Your {name} basket holds {count} position", "Your {name} basket holds {count} positions", count
            )
        else:
            head = self.l10n.n_(
                "Your {name} sector holds {count} position", "Your {name} sector holds {count} positions", count
            )
        head = head.format(name=name, count=count)
        if "market_value" in g:
            head += _(" worth {value}").format(value=f.money(g["market_value"], self.ccy))
        shares = (
            [_("{share} of total value (cash included)").format(share=f.share(g["weight"]))] if "weight" in g else []
        )
        if "invested_weight" in g:
            shares.append(_("{share} of invested value").format(share=f.share(g["invested_weight"])))
        lines = [head + (": " + ", ".join(shares) if shares else "") + "."]
        for p in _known(g, self.periods):
            values = {
                "period": self.period(p), "name": name, "percent": f.pct(g[f"return_{p}"]),
                "amount": self._amount(g, p), "versus": self._vs_benchmark(g, p),
            }
            if kind == "basket":
                line = _("{period} the {name} basket returned {percent}{amount}{versus}.").format(**values)
            else:
                line = _("{period} the {name} sector returned {percent}{amount}{versus}.").format(**values)
            lines.append(line[:1].upper() + line[1:])
        for p in _known(g, self.q.periods or ("1w",)):
            members = [m for m in _items(g, "positions") if f"return_contribution_{p}" in m]
            if not members:
                continue
            members.sort(key=lambda m: _dec(m[f"return_contribution_{p}"]))
            parts = []
            for m in members:
                own = self.positions.get(str(m["symbol"]), {}).get(f"return_{p}")
                own_text = _(" (its own return {percent})").format(percent=f.pct(own)) if own is not None else ""
                parts.append(f"{m['symbol']} {f.points(m[f'return_contribution_{p}'])}{own_text}")
            more = g.get("positions_not_listed_count")
            rest = _("; {count} smaller positions are not listed").format(count=more) if more else ""
            values = {"name": name, "period": self.period(p), "parts": ", ".join(parts), "rest": rest}
            if kind == "basket":
                lines.append(_("Contributions to the {name} basket's return {period}: {parts}{rest}.").format(**values))
            else:
                lines.append(_("Contributions to the {name} sector's return {period}: {parts}{rest}.").format(**values))
        if not _known(g, self.periods):
            if kind == "basket":
                lines.append(_("There are no {name} basket returns for that period in the data.").format(name=name))
            else:
                lines.append(_("There are no {name} sector returns for that period in the data.").format(name=name))
        return lines

    def groups_overview(self, kind: str) -> list[str]:
        _, f = self._, self.f
        groups = self.baskets if kind == "basket" else self.sectors
        if not groups:
            if kind == "basket":
                return [_("There are no baskets in your portfolio data.")]
            return [_("There are no sectors in your portfolio data.")]
        p = next((x for x in self.periods if any(f"return_{x}" in g for g in groups.values())), None)
        parts = []
        for name, g in groups.items():
            text = (
                _("{name} {share} of invested value").format(name=name, share=f.share(g["invested_weight"]))
                if "invested_weight" in g else name
            )
            if p is not None and f"return_{p}" in g:
                text += f", {f.pct(g[f'return_{p}'])} {self.period(p)}"
            parts.append(text)
        if kind == "basket":
            return [_("Your baskets: {parts}.").format(parts="; ".join(parts))]
        return [_("Your sectors: {parts}.").format(parts="; ".join(parts))]

    def metrics(self, keys: Sequence[str]) -> list[str]:
        _, f = self._, self.f
        if not self.risk:
            return [_("There are no risk figures for your portfolio in the data.")]
        parts = []
        for key in keys:
            if key not in self.risk:
                continue
            value = self.risk[key]
            label = _(_METRIC_LABELS[key]) if key in _METRIC_LABELS else key
            if isinstance(value, str):
                code = value.removeprefix("unavailable (").removesuffix(")")
                reason = _(_UNAVAILABLE[code]) if code in _UNAVAILABLE else code.replace("_", " ").lower()
                parts.append(_("{label}: not available ({reason})").format(label=label, reason=reason))
            elif key in _RATIOS:
                if key == "beta" and "benchmark" in self.risk:
                    parts.append(
                        _("{label} against {benchmark} {value}").format(
                            label=label, benchmark=self.risk["benchmark"], value=f.ratio(value)
                        )
                    )
                else:
                    parts.append(f"{label} {f.ratio(value)}")
            else:
                parts.append(f"{label} {f.share(value) if key in _UNSIGNED else f.pct(value)}")
        if not parts:
            return [_("Those risk figures are not in the data.")]
        lines = [". ".join(parts) + "."]
        if self.risk.get("observations"):
            if any(v == "unavailable (SPARSE_HISTORY)" for v in self.risk.values()):  # closes are not daily
                basis = _("They are computed on {count} time-weighted returns between the recorded closes "
                          "(deposits and withdrawals removed).")
            else:
                basis = _("They are computed on {count} daily time-weighted returns (deposits and withdrawals "
                          "removed).")
            lines.append(basis.format(count=self.risk["observations"]))
        elif "observations" in self.risk:
            lines.append(_("There are no daily returns yet to compute them on."))
        return lines

    def cash(self) -> list[str]:
        _, f = self._, self.f
        cash = self.doc.get("cash")
        if not isinstance(cash, Mapping) or "value" not in cash:
            return [_("Your cash balance is not in the data.")]
        line = _("Cash: {value}").format(value=f.money(cash["value"], self.ccy))
        if "weight" in cash:
            line += _(", {share} of total value").format(share=f.share(cash["weight"]))
        lines = [line + "."]
        idle = next((i for i in _items(self.doc, "insights") if i.get("code") == "IDLE_CASH"), None)
        if idle is not None and "threshold_weight" in idle:
            lines.append(
                _("That is above the {share} of total value at which the app flags idle cash.").format(
                    share=f.share(idle["threshold_weight"])
                )
            )
        return lines

    def largest(self) -> list[str]:
        top = list(self.positions.values())[:_MAX_NAMED]
        if not top:
            return []
        parts = [f"{p['symbol']} {self.f.share(p['weight'])}" for p in top if "weight" in p]
        if not parts:
            return []
        return [
            self._("Largest positions, as shares of total value (cash included): {parts}.").format(
                parts=", ".join(parts)
            )
        ]

    def diversification(self) -> list[str]:
        _, f = self._, self.f
        d = self.doc.get("diversification")
        if not isinstance(d, Mapping) or "score" not in d:
            return [_("There is no diversification score in the data.")]
        line = _("Diversification score {score}").format(score=f.count(d["score"]))
        parts = []
        if "score_from_holdings" in d:
            parts.append(_("{score} of it for breadth across holdings").format(score=f.count(d["score_from_holdings"])))
        if "score_from_sectors" in d:
            parts.append(_("{score} for breadth across sectors").format(score=f.count(d["score_from_sectors"])))
        lines = [line + (f" ({self.l10n.join(parts)})" if parts else "") + "."]
        if "effective_position_count" in d and "effective_sector_count" in d:
            lines.append(
                _("Weighted by value you hold the equivalent of {positions} equal positions in {sectors} equal "
                  "sectors.").format(
                    positions=f.count(d["effective_position_count"]), sectors=f.count(d["effective_sector_count"])
                )
            )
        if "largest_symbol" in d and "largest_invested_weight" in d:
            lines.append(
                _("The largest position, {symbol}, is {share} of invested value.").format(
                    symbol=d["largest_symbol"], share=f.share(d["largest_invested_weight"])
                )
            )
        sectors = [f"{n} {f.share(g['invested_weight'])}" for n, g in self.sectors.items() if "invested_weight" in g]
        if sectors:
            lines.append(_("Sectors as shares of invested value: {parts}.").format(parts=", ".join(sectors)))
        return lines

    def insights(self, *, limit: int = _MAX_INSIGHTS) -> list[str]:
        lines = [line for line in (_insight_line(i, self.bench, self) for i in _items(self.doc, "insights")) if line]
        return lines[:limit]


def _insight_line(i: Mapping[str, Any], bench: Mapping[str, Any], w: _Writer) -> str:
    _, f = w._, w.f
    code = i.get("code")
    subject = i.get("symbol") or i.get("sector") or i.get("basket") or ""
    if code in ("POSITION_CONCENTRATION", "SECTOR_CONCENTRATION") and "invested_weight" in i:
        if "threshold_invested_weight" in i:
            return _("{subject} is {share} of invested value, above the {limit} guideline.").format(
                subject=subject, share=f.share(i["invested_weight"]), limit=f.share(i["threshold_invested_weight"])
            )
        return _("{subject} is {share} of invested value.").format(subject=subject, share=f.share(i["invested_weight"]))
    if code == "DRAWDOWN" and "current_drawdown" in i:
        return _("The portfolio's time-weighted value is {percent} from its peak (current drawdown).").format(
            percent=f.pct(i["current_drawdown"])
        )
    if code in ("BASKET_LAGGING_BENCHMARK", "POSITION_LAGGING_BENCHMARK") and "return_1w" in i:
        what = _("Your {name} basket").format(name=subject) if code == "BASKET_LAGGING_BENCHMARK" else subject
        vs = (
            _(" against {percent} for {benchmark}").format(
                percent=f.pct(i["benchmark_return_1w"]), benchmark=bench.get("symbol") or _("the benchmark")
            )
            if "benchmark_return_1w" in i else ""
        )
        excess = (
            _(" (an excess return of {points})").format(points=f.points(i["excess_return_1w"]))
            if "excess_return_1w" in i else ""
        )
        return _("{what} returned {percent} over the past week{versus}{excess}.").format(
            what=what, percent=f.pct(i["return_1w"]), versus=vs, excess=excess
        )
    if code == "IDLE_CASH" and "weight" in i:
        return _("Cash is {share} of total value.").format(share=f.share(i["weight"]))
    message = str(i.get("message") or "")
    return message if message and not any(ch.isdigit() for ch in message) and w.l10n.is_english else ""


def _as_of(raw: Any, l10n: Localizer) -> str:
    try:
        at = datetime.fromisoformat(str(raw)).astimezone(UTC)
    except ValueError:
        return l10n._("the last snapshot")
    if l10n.is_english:
        return at.strftime("%Y-%m-%d %H:%M UTC")
    return f"{l10n.date_medium(at.date())} {l10n.clock(at)} UTC"


# ------------------------------------------------------------------------------ the answer


def _body(w: _Writer) -> list[str]:
    _ = w._
    q = w.q
    lines: list[str] = []
    if q.trade:
        lines.append(_("I cannot place, change or confirm trades, and this summary gives no advice; "
                       "here are the figures."))
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
    if q.largest and not q.ranking:
        lines += w.largest()
    if q.cash:
        lines += w.cash()
    if q.diversification:
        lines += w.diversification()
    if q.ranking:
        lines += w.ranking()
        if q.benchmark and not named:
            lines += w.benchmark(w.periods)
    # a ranking names each position's own gain on cost, as a named position's lines do
    if q.since_purchase and not named and not q.ranking:
        lines += w.since_purchase()
    if (q.cost or q.price) and not named:  # a named position's lines have its own cost and price
        lines += w.all_costs()
    # "Am I up since I bought?" asks for the gain since purchase, not the period returns (unless named too)
    # "Which position did best?" asks for positions, not the portfolio's returns
    if (q.periods or q.benchmark or (q.performance and not q.since_purchase)) and not named and not q.ranking:
        lines += w.performance(w.periods)
    if q.value and not named and (not q.cash or q.total):  # "how much cash" alone is about cash
        lines += w.value()
    if q.insights or q.risk:
        found = w.insights()
        lines += found or [_("There are no insights flagged for your portfolio.")]
    if q.news:
        lines.append(_("News is not part of the data this summary is built from, so it cannot say what was reported."))
    if lines and not (q.trade and len(lines) == 1):
        return lines
    # Nothing recognised (or only a trade request): the general summary.
    return [*lines, *w.value(), *w.performance(q.periods or ("1d", "1w")), *w.largest(), *w.insights(limit=2)]


def offline_answer(
    context: PortfolioContext, now: datetime, question: str, *, reason: str, l10n: Localizer | None = None
) -> str:
    """The answer to ``question`` from the figures of ``context`` alone, in ``l10n``'s language.

    ``reason`` is why AI is not answering, a :class:`~stack_cfo.core.ai.DegradedReason` code
    (``COMPUTE_NOT_CONFIGURED``, ``COMPUTE_UNAVAILABLE``, ``AI_UNGROUNDED``...).
    """
    lc = l10n or english()
    lines = [not_ai_notice(reason, lc)]
    doc = context_document(context, now)
    if not doc.get("available"):
        lines.append(lc._("There is no portfolio data on file for you yet, so there are no figures to answer with."))
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
        lines += _body(_Writer(doc, q, lc))
    lines.append(lc._("Your question is saved. {next_step}").format(next_step=next_step(reason, lc)))
    return "\n".join(lines)
