"""What a chat question asks about, read without AI (for the deterministic writer in :mod:`.offline`).

Word lists (English, with the Spanish, German, French and Chinese words for the same things, so that a
question asked in the user's language is read too), matched case-insensitively on word boundaries. A
position is named by its symbol (exactly as written, or in any case when it has four characters or more,
or as a ``$CASHTAG``, so that "on", "it" or "all" never name a position); a basket or a sector by its name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

_I = re.IGNORECASE


_CJK = re.compile(r"[\u3400-\u9fff]")


def _any(*patterns: str) -> re.Pattern[str]:
    """Words on word boundaries; Chinese words anywhere (Chinese writes no spaces between words)."""
    return re.compile(
        "|".join(p if _CJK.search(p) else rf"(?<![\w&]){p}(?![\w&])" for p in patterns), _I
    )


PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("1d", _any("today'?s?", "daily", "day", "since yesterday", "overnight", r"24 ?h(?:ours?)?", "1 ?d",
                  "hoy", r"diari[oa]s?", "heute", r"täglich\w*", "seit gestern", "aujourd['’]hui", r"quotidien\w*",
                  "今天", "今日", "当日", "日内")),
    ("1w", _any("week", "weekly", "wtd", "this week'?s?", r"(?:7|seven|5|five) (?:trading )?days", "1 ?w",
                  r"semana\w*", r"woche\w*", r"semaine\w*", "本周", "这周", "一周", "上周")),
    ("1m", _any("month", "monthly", "mtd", r"(?:30|thirty) days", r"1 ?mo?", "mes", r"mensual\w*", r"monat\w*",
                "mois", r"mensuel\w*", "本月", "这个月", "一个月")),
    ("ytd", _any("ytd", "year[- ]to[- ]date", "this year", "since january", "year", "año", r"jahr\w*",
                 "année", "今年", "年初至今")),
)
"""Period keys of the data block and the words that ask for them."""

METRIC_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (("sharpe",), _any("sharpe", "夏普")),
    (("sortino",), _any("sortino", "索提诺")),
    (("calmar",), _any("calmar", "卡玛", "卡尔玛")),
    (("beta",), _any("beta", "贝塔", "贝他")),
    (("alpha",), _any("alpha", "阿尔法", "超额收益")),
    (("volatility",), _any(r"volatil\w*", "vol", "standard deviation", "std", "波动")),
    (("max_drawdown", "current_drawdown"), _any(r"draw[- ]?downs?", "dd", "peak", "caída máxima", "perte maximale",
                                                "回撤")),
    (("var_95", "cvar_95"), _any("var", "value at risk", "风险价值")),
    (("cvar_95",), _any("cvar", "expected shortfall", "tail loss", "tail risk", "预期亏损", "尾部风险")),
    (("cagr",), _any("cagr", r"annuali[sz]ed return", r"compound\w*", "年化收益")),
    (("time_weighted_return",), _any("twr", "time[- ]weighted", "时间加权")),
)
"""Risk figures of the data block and the words that ask for them."""

_RISK = _any(r"risk\w*", "safe", r"danger\w*", "exposed", "downside", r"riesgo\w*", r"arriesgad\w*", r"risque\w*",
             r"risqué\w*", "风险")
_DIVERSIFICATION = _any(
    r"diversif\w*", r"concentrat\w*", "hhi", "spread", "allocation", "weights?", r"balanced?", r"concentra\w*",
    r"konzentr\w*", "streuung", "gestreut", "分散", "集中",
)
_CASH = _any("cash", "uninvested", "idle", "buying power", "dry powder", "efectivo", "liquidez", "bargeld",
             r"barmittel\w*", "liquidität", "liquidités", "espèces", "现金")
_PERFORMANCE = _any(
    r"perform\w*", "returns?", "doing", r"gain\w*", r"los[st]\w*", "made", r"profit\w*", "p&l", "pnl",
    r"underperform\w*", r"outperform\w*", r"lag\w*", r"beat\w*", "benchmark", "up", "down", r"mov\w*",
    r"chang\w*", r"drop\w*", "fell", r"fall\w*", "rose", "rises?", "rising", "risen", "why",
    "rendimiento", "rentabilidad", r"ganancia\w*", r"pérdida\w*", "por qué", "rendite", "entwicklung",
    r"gewinn\w*", r"verlust\w*", "warum", r"rendement\w*", r"perte\w*", "pourquoi", "表现", "收益", "盈亏", "涨",
    "跌", "为什么",
)
_VALUE = _any("worth", "value", "how much", "total", "balance", "valor", "cuánto", "vale", "wert", "wie viel",
              "valeur", "combien", "vaut", "价值", "多少", "总值")
#: Value words that name the portfolio's value itself, not an amount of something ("how much cash"):
#: asked beside cash, the total is answered too.
_TOTAL = _any("worth", "value", "total", "valor", "vale", "wert", "gesamtwert", "valeur", "vaut", "价值", "总值")
_INSIGHTS = _any(
    "insights?", "warnings?", "alerts?", "concerns?", r"worr\w*", "issues?", "problems?", "red flags?",
    "should i know", "watch out", r"avisos?", r"alertas?", r"hinweise?", r"warnung\w*", r"alertes?",
    r"avertissement\w*", "提醒", "洞察", "警告",
)
_NEWS = _any("news", "headlines?", "articles?", r"announce\w*", "earnings", r"report(?:ed|s)?", r"noticias?",
             "nachrichten", r"actualités?", "nouvelles", "新闻", "消息")
_TRADE = _any("buy", "sell", "short", "orders?", "trade", "purchase", "liquidate", "rebalance", "comprar?",
              "vender?", "kaufen", "verkaufen", "acheter", "vendre", "买入", "卖出", "买", "卖")
_BENCHMARK = _any("benchmark", "s&p", "market", "index", "mercado", "índice", "markt", "marché", "indice", "大盘",
                  "基准", "指数")
_BASKETS = _any("baskets?", "cestas?", "körbe", "korb", "paniers?", "组合分组")
_SECTORS = _any("sectors?", r"industr(?:y|ies)", "sectores", r"sektor\w*", r"branche\w*", "secteurs?", "行业",
                "板块")
#: The gain since purchase: unrealised gain on cost, total return, the time since the start.
_SINCE_PURCHASE = _any(
    r"since (?:i |we )?(?:first )?(?:bought|buying|purchased?|purchasing|invested|investing|started|starting)\w*",
    r"since (?:the |my )?(?:purchase|start|beginning|inception)", r"all[- ]time", "from the start", "on cost",
    r"total (?:gains?|returns?|profits?|p&l|pnl)", r"unreali[sz]ed", r"paper (?:gains?|loss(?:es)?)",
    r"desde que (?:l[oa]s? )?(?:compré|invertí|empecé)", "desde (?:la )?compra", "desde el (?:inicio|principio)",
    r"(?:ganancia|rentabilidad|rendimiento) total", r"no realizad\w*", r"seit (?:dem )?(?:kauf|beginn|start|anfang)",
    r"seit ich (?:\w+ )?(?:gekauft|investiert|angefangen)\w*", r"gesamt(?:rendite|gewinn|ertrag)\w*",
    r"(?:nicht |un)realisiert\w*", r"buchgewinn\w*", r"depuis (?:l['’]achat|le début|que j['’]ai (?:acheté|investi))",
    r"(?:gain|rendement) total", r"(?:plus|moins)-values? latentes?", r"(?:gains?|pertes?) latente?s?",
    "买入以来", "自买入", "建仓以来", "持有以来", "总收益", "总盈亏", "累计收益", "浮盈", "浮亏", "未实现",
)
#: The cost itself ("what did I pay", "average cost", "cost basis"): answered with each position's average
#: cost and cost basis.
_COST = _any(
    r"cost(?: basis)?", "paid", r"(?:did|do) (?:i|we) pay", "bought (?:it |them )?(?:for|at)", "purchase price",
    "precio de compra", r"cost[eo] de adquisición", r"cost[eo] (?:medio|promedio)", "precio medio", r"pagu[ée]",
    r"pagad[oa]s?", "kaufpreis", r"einstand\w*", r"anschaffungs\w*", r"durchschnitts(?:kosten|preis|kurs)\w*",
    "bezahlt", "prix de revient", r"prix d['’]achat", r"coûts? moyens?", r"pay[ée]e?s?", "成本", "买入价", "花了",
)
#: The price per unit ("last price", "what is AAPL trading at"): answered with each position's last price.
_PRICE = _any(
    "price", r"(?:last|latest|current|closing|share|stock) price", "trading at", r"clos(?:e|ed|es|ing) at",
    "quote", "precio", r"cotiza\w*", "preis", r"(?:aktien|schluss)?kurs", "prix", "cours", "价格", "股价", "现价",
    "收盘价",
)
#: Words that ask about the gain since purchase only when no period is named ("am I up today?" is a day;
#: so is a percentage stated with no period, "is my portfolio up 50%?").
_OVERALL = _any(
    "overall", "in total", r"(?:am i|are we) (?:up|down)",
    r"how much (?:have i|did i|i['’]ve) (?:made|lost|gained|earned)", "en total", "en conjunto",
    r"cuánto he (?:ganado|perdido)", "insgesamt", r"wie viel habe ich (?:verdient|gewonnen|verloren)", "au total",
    "en tout", r"combien (?:j['’]ai|ai-je) (?:gagné|perdu)", "一共", "总共", "赚了多少", "亏了多少",
)
#: A percentage the question states ("up 50%"), and the loss words that make it a fall ("down 10%").
_STATED_PERCENT = re.compile(
    r"([-−]?)(\d+(?:[.,]\d+)?)\s?(?:%|percent\b|per cent\b|prozent\b|por ciento\b|pour ?cent\b)", _I
)
_LOSS = _any("down", r"los[st]\w*", "losing", "under water", "underwater", r"verlust\w*", "verloren", "im minus",
             r"perdid[oa]s?", r"pérdidas?", "baja", "perdu", r"pertes?", "baisse", "跌", "亏")
_TOKEN = re.compile(r"\$?[A-Za-z0-9][A-Za-z0-9.\-]*")


@dataclass(frozen=True, slots=True)
class Question:
    """What a question asks about (empty tuples and ``False`` when it does not say)."""

    periods: tuple[str, ...] = ()
    """Period keys asked for, in ``1d, 1w, 1m, ytd`` order."""
    metrics: tuple[str, ...] = ()
    """Risk figure keys asked for."""
    symbols: tuple[str, ...] = ()
    """Positions named, as the data spells them."""
    baskets: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    all_baskets: bool = False
    """Baskets in general ("my baskets"), none named."""
    all_sectors: bool = False
    benchmark: bool = False
    cash: bool = False
    performance: bool = False
    value: bool = False
    total: bool = False
    """The portfolio's value named as such ("total", "worth"), not only "how much"."""
    risk: bool = False
    diversification: bool = False
    insights: bool = False
    news: bool = False
    trade: bool = False
    since_purchase: bool = False
    """The gain since purchase or since the start ("since I bought", "total return", "am I up" with no period)."""
    cost: bool = False
    """What the positions cost ("what did I pay", "average cost", "cost basis")."""
    price: bool = False
    """The price per unit ("last price", "what is it trading at")."""
    stated_percent: Decimal | None = None
    """A percentage the question states as the user's own figure ("up 50%": 50, "down 10%": -10)."""

    @property
    def recognised(self) -> bool:
        """Anything beyond a period: otherwise the general summary answers."""
        return any((
            self.metrics, self.symbols, self.baskets, self.sectors, self.all_baskets, self.all_sectors,
            self.benchmark, self.cash, self.performance, self.value, self.risk, self.diversification,
            self.insights, self.news, self.trade, self.since_purchase, self.cost, self.price,
        ))


def _symbols(text: str, symbols: Iterable[str]) -> tuple[str, ...]:
    exact = {s: s for s in symbols}
    folded = {s.upper(): s for s in exact if len(s) >= 4}
    found: list[str] = []
    for raw in _TOKEN.findall(text):
        cashtag = raw.startswith("$")
        token = raw.lstrip("$").rstrip(".-")
        token = token[:-2] if token.endswith(("'s", "’s")) else token
        hit = exact.get(token) or folded.get(token.upper()) or (
            next((s for s in exact if s.upper() == token.upper()), None) if cashtag else None
        )
        if hit is not None and hit not in found:
            found.append(hit)
    return tuple(found)


def _names(text: str, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(
        n for n in names if n and re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", text, _I) is not None
    )


def _stated_percent(text: str) -> Decimal | None:
    match = _STATED_PERCENT.search(text)
    if match is None:
        return None
    value = Decimal(match.group(2).replace(",", "."))
    # "down 10%" is a fall of 10 %: a loss word just before the number (an explicit sign wins).
    if match.group(1) or _LOSS.search(text[max(0, match.start() - 20):match.start()]):
        value = -value
    return value


def read_question(
    text: str,
    *,
    symbols: Iterable[str] = (),
    benchmark: str = "",
    baskets: Iterable[str] = (),
    sectors: Iterable[str] = (),
) -> Question:
    """What ``text`` asks about, given the names the data knows."""
    named_baskets = _names(text, baskets)
    named_sectors = _names(text, sectors)
    periods = tuple(key for key, pattern in PERIOD_PATTERNS if pattern.search(text))
    cost = bool(_COST.search(text))
    stated = _stated_percent(text)
    metrics: list[str] = []
    for keys, pattern in METRIC_PATTERNS:
        if pattern.search(text):
            metrics.extend(k for k in keys if k not in metrics)
    return Question(
        periods=periods,
        metrics=tuple(metrics),
        symbols=tuple(s for s in _symbols(text, symbols) if s != benchmark),
        baskets=named_baskets,
        sectors=named_sectors,
        all_baskets=not named_baskets and bool(_BASKETS.search(text)),
        all_sectors=not named_sectors and bool(_SECTORS.search(text)),
        benchmark=bool(_BENCHMARK.search(text)) or bool(benchmark and _symbols(text, [benchmark])),
        cash=bool(_CASH.search(text)),
        performance=bool(_PERFORMANCE.search(text)),
        value=bool(_VALUE.search(text)),
        total=bool(_TOTAL.search(text)),
        risk=bool(_RISK.search(text)),
        diversification=bool(_DIVERSIFICATION.search(text)),
        insights=bool(_INSIGHTS.search(text)),
        news=bool(_NEWS.search(text)),
        # "since purchase", "purchase price", "desde la compra", "买入以来" name a past purchase, not a trade
        trade=bool(_TRADE.search(_COST.sub(" ", _SINCE_PURCHASE.sub(" ", text)))),
        since_purchase=cost or bool(_SINCE_PURCHASE.search(text))
        or (not periods and (stated is not None or bool(_OVERALL.search(text)))),
        cost=cost,
        price=bool(_PRICE.search(text)),
        stated_percent=stated,
    )
