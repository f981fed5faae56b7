"""An insight's message in the user's language, written from its ``code`` and ``numbers``.

The insight engine (:mod:`.insights`) writes English messages; this module writes the same sentence
in another locale from the same numbers (percentages in the locale's CLDR format, one decimal as the
English message shows them). English keeps the engine's message unchanged; a code this module does not
know keeps it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from stack_cfo.core.i18n import Localizer
from stack_cfo.core.portfolio.results import Insight

_MAX_LISTED = 5


def _num(numbers: Mapping[str, str], key: str) -> Decimal | None:
    try:
        return Decimal(numbers[key])
    except (KeyError, ArithmeticError, ValueError):
        return None


def _listed(numbers: Mapping[str, str], key: str, lc: Localizer) -> str:
    items = [s for s in numbers.get(key, "").split(",") if s]
    shown = items[:_MAX_LISTED]
    if len(items) > _MAX_LISTED:
        shown.append(lc._("{count} more").format(count=len(items) - _MAX_LISTED))
    return lc.join(shown)


def insight_text(insight: Insight, l10n: Localizer, *, benchmark: str = "") -> str:
    """``insight.message`` in ``l10n``'s language."""
    if l10n.is_english:
        return insight.message
    lc, n, code = l10n, insight.numbers, insight.code
    _ = lc._

    def share(key: str, *, signed: bool = False) -> str:
        value = _num(n, key)
        return "" if value is None else lc.pct(value, signed=signed, digits=1)

    def gap(key: str) -> str:
        value = _num(n, key)
        if value is None:
            return ""
        return _("{value} percentage points").format(value=lc.number(abs(value) * 100, digits=1))

    subject = insight.subject or ""
    if code in ("POSITION_CONCENTRATION", "SECTOR_CONCENTRATION") and "weight" in n and "threshold" in n:
        return _("{subject} is {weight} of your invested portfolio, above the {threshold} guideline.").format(
            subject=subject, weight=share("weight"), threshold=share("threshold")
        )
    if code == "DRAWDOWN" and "current_drawdown" in n:
        depth = _num(n, "current_drawdown")
        assert depth is not None
        return _("Your portfolio is {percent} below its peak (time-weighted, deposits excluded).").format(
            percent=lc.pct(abs(depth), signed=False, digits=1)
        )
    if code == "MISSING_PRICE" and "symbols" in n:
        return _("No price for {symbols}; valued at cost where known, otherwise left out.").format(
            symbols=_listed(n, "symbols", lc)
        )
    if code == "STALE_PRICES" and "symbols" in n and "oldest_age_days" in n:
        return _("Prices for {symbols} are out of date (oldest {days} days); their day change counts as zero.").format(
            symbols=_listed(n, "symbols", lc), days=lc.number(Decimal(n["oldest_age_days"]), digits=1)
        )
    if code == "MISSING_COST_BASIS" and "symbols" in n:
        return lc.n_(
            "No cost basis for {symbols}, so total return leaves it out.",
            "No cost basis for {symbols}, so total return leaves them out.",
            len([s for s in n["symbols"].split(",") if s]),
        ).format(symbols=_listed(n, "symbols", lc))
    if code == "IDLE_CASH" and "cash_weight" in n:
        return _("{share} of your portfolio is cash.").format(share=share("cash_weight"))
    if code == "MISSING_EXCHANGE_RATE" and "currencies" in n:
        count = len([c for c in n["currencies"].split(",") if c])
        return lc.n_(
            "No exchange rate recorded for {currencies}; money in it is left out where a rate is missing.",
            "No exchange rate recorded for {currencies}; money in them is left out where a rate is missing.",
            count,
        ).format(currencies=_listed(n, "currencies", lc))
    if code in ("BASKET_LAGGING_BENCHMARK", "POSITION_LAGGING_BENCHMARK") and "week_return" in n:
        values = {
            "name": subject,
            "percent": share("week_return", signed=True),
            "benchmark": benchmark,
            "benchmark_percent": share("benchmark_week_return", signed=True),
            "gap": gap("difference"),
        }
        if code == "BASKET_LAGGING_BENCHMARK":
            line = _("Your {name} basket is {percent} this week vs {benchmark} {benchmark_percent} ({gap} behind).")
            return line.format(**values)
        return _("{name} is {percent} this week vs {benchmark} {benchmark_percent} ({gap} behind).").format(**values)
    return insight.message
