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
    # Spanish "mes" (month) only as "este mes", "el mes pasado"...: French "mes" is "my"
    ("1m", _any("month", "monthly", "mtd", r"(?:30|thirty) days", r"1 ?mo?",
                r"(?:este|el|del|un|al|cada|último|ultimo|por) mes", "mes pasado", r"mensual\w*", r"monat\w*",
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
             r"risqué\w*", r"risik\w*", "风险")
_DIVERSIFICATION = _any(
    r"diversif\w*", r"concentrat\w*", "hhi", "spread", "allocation", "weights?", r"balanced?", r"concentra\w*",
    r"konzentr\w*", "streuung", "gestreut", "分散", "集中",
)
#: The largest positions by weight ("What is my largest position?", "my biggest holdings", "größte Position").
_LARGEST = _any(
    # (not "my biggest losing positions", "top performing stocks": a ranking by change)
    r"(?:largest|biggest|top|main|heaviest) (?:(?!los\w*|gain\w*|win\w*|perform\w*|drop\w*|fall\w*|ris\w*)\w+ )?"
    r"(?:holdings?|positions?|stocks?|investments?)",
    r"gr[öo]ßten?\w* (?:\w+ )?(?:position(?:en)?|werte?|anteile?)", r"plus grosses? (?:positions?|lignes?)",
    r"principales? (?:positions?|lignes?)(?! perdant| gagnant)", r"mayor(?:es)? (?:posici[oó]n\w*|inversi[oó]n\w*)",
    r"posici[oó]n(?:es)? m[aá]s grandes?", r"posizion[ei] più grand[ei]", r"maior(?:es)? posi[cç][aã]o\w*",
    r"maiores posi[cç][oõ]es", "最大持仓", "最大的持仓",
    # by value: "Which position is worth the most?", "the highest value", "my most valuable stock" (not "the highest
    # return": a ranking by change)
    r"worth the most", r"(?:highest|largest|biggest|greatest) (?:market |total |dollar )?value",
    r"most valuable", r"am meisten wert", r"(?:le|la) plus de valeur", r"(?:más|mayor) valor", r"val(?:e|ga) más",
    r"vaut le plus", "价值最高",
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

#: Ranking: the best or worst positions ("best performer", "biggest losers", "am besten", "表现最好").
#: A superlative alone ("best", "mejor", "am besten", "最好") ranks only beside a position, a period or a
#: performance word ("my best stock", "did best"), so "the best time to buy" or "worst case" ranks nothing;
#: "top" ranks beside a period or a performance word ("top performers this week"; "top positions" are
#: the largest), or a count alone ("my top 3").
_BEST = _any(
    r"best(?! (?:case|time|way|moment|day|week|month|year|to))", "strongest",
    r"(?:el|la|los|las|mis?|sus?|tus?) mejor(?:es)?", r"(?:hizo|ido|fue|va|rendido|comportado) mejor",
    r"más fuertes?", r"beste[nmrs]?", "am besten",
    r"(?:am )?stärkste[nmrs]?(?! (?:gefallen|gesunken|verloren|eingebrochen|zurückgegangen|verlust|rückgang))",
    r"meilleur(?:e|s|es)?",
    "le mieux", r"les? plus forte?s?(?! baisses?)", "最好", "最佳", "最强",
)
_WORST = _any(
    r"worst(?! (?:case|time|way|moment|day|week|month|year))", "weakest", r"bottom(?! line)",
    r"(?:el|la|los|las|mis?|sus?|tus?) peor(?:es)?", r"(?:hizo|ido|fue|va|rendido|comportado) peor",
    r"más débil(?:es)?",
    r"schlechteste[nmrs]?", "am schlechtesten", r"schwächste[nmrs]?", "am schwächsten", r"pires?",
    "le moins bien", r"les? plus faibles?", r"plus mauvaise?s?", "最差", "最弱", "最糟",
)
_TOP = _any("top(?! of)")
#: Words that rank by themselves: a winner is the best performer, a laggard the worst; the highest return, the
#: biggest gain, "up the most" (not "the highest value": the largest position).
_BEST_ALONE = _any(
    r"winners?", r"gainers?", r"outperformers?", r"top[- ]performing", r"best[- ]performing",
    r"(?:gained|made|earned|returned|rose|risen|up|grew|grown|climbed|increased|jumped|rallied|advanced) the most",
    r"(?:highest|best|strongest) (?:\w+ )?(?:returns?|performance)",
    r"ganador(?:es|as?)?", r"(?:mayor|más alta) (?:rentabilidad|rendimiento|ganancia|subida|revalorización)",
    r"(?:rentabilidad|rendimiento) más alt[oa]", r"más (?:ha )?(?:subido|ganado|rentable)",
    r"(?:subió|ganó|sube|gana|creció|ha subido|ha ganado) más",
    r"gewinner\w*", r"höchsten? (?:\w+ )?(?:rendite|performance|gewinne?|wertzuwachs)",
    r"(?:größten?|stärksten?) (?:gewinne?|anstieg|zuwachs|kursgewinne?)",
    r"am (?:meisten|stärksten) (?:gestiegen|zugelegt|gewonnen)", r"gagnants?",
    r"(?:plus haut|meilleur|plus fort|plus gros) (?:rendement|gain|performance)", r"rendement le plus élevé",
    r"plus fortes? hausses?", r"(?:le plus|plus fortement) (?:monté|progressé|augmenté|gagné|grimpé|rapporté)",
    "涨幅最大", "涨得最多", "涨最多", "领涨", "最赚钱", "赚得最多", "赚最多", "赢家", "收益最高", "收益率最高",
    "回报最高", "涨幅最高", "表现最佳",
)
_WORST_ALONE = _any(
    r"losers?", r"decliners?", r"laggards?", r"underperformers?", r"worst[- ]performing", r"biggest drags?",
    r"(?:lost|fell|fallen|dropped|declined|down|sank|slid|decreased|shrank) the most",
    r"(?:lowest|weakest|worst) (?:\w+ )?(?:returns?|performance)",
    r"perdedor(?:es|as?)?", r"mayores caídas", r"(?:menor|más baja|peor) (?:rentabilidad|rendimiento)",
    r"(?:rentabilidad|rendimiento) más baj[oa]", r"(?:mayor|más grande) (?:pérdida|caída|bajada)",
    r"más (?:ha )?(?:caído|bajado|perdido)", r"(?:cayó|bajó|perdió|cae|baja|pierde|ha caído|ha bajado) más",
    r"verlierer\w*", r"niedrigsten? (?:\w+ )?(?:rendite|performance)", r"(?:größten?|stärksten?) (?:verlust|rückgang)",
    r"am (?:meisten|stärksten) (?:gefallen|gesunken|verloren|eingebrochen|zurückgegangen)",
    "schlusslicht", r"perdants?", r"(?:plus (?:bas|faible)|pire) (?:rendement|performance)",
    r"rendement le plus (?:faible|bas)", r"plus (?:grosse|forte) perte",
    r"plus fortes? baisses?", r"(?:le plus|plus fortement) (?:baissé|chuté|reculé|perdu|diminué)",
    "跌幅最大", "跌得最多", "跌最多", "亏得最多", "亏损最多", "领跌", "最亏", "输家", "收益最低", "收益率最低",
    "回报最低", "表现最弱",
)
#: The biggest gain or loss ranks only beside a position word: "which stock had the biggest loss", not "my biggest
#: loss in a crash".
_BIGGEST_GAIN = _any(r"(?:biggest|largest|greatest|highest) (?:\w+ )?(?:gains?|increases?|rises?)")
_BIGGEST_LOSS = _any(r"(?:biggest|largest|greatest) (?:\w+ )?(?:loss(?:es)?|drops?|declines?|falls?|decreases?)")
#: "Rank my positions by performance", "sort my holdings by return": the whole ranking, best first.
_RANK_BY = _any(
    r"(?:rank|sort|order|list)(?:ed|ing)? (?:\w+ ){0,4}by (?:\w+ )?(?:performance|returns?|gains?)",
    r"(?:ranking|ranked list) of (?:\w+ ){0,3}(?:positions|holdings|stocks|investments)",
    r"(?:ordena|clasifica|ordenar|clasificar)(?:me)? (?:\w+ ){0,4}por (?:\w+ )?(?:rentabilidad|rendimiento|ganancia)",
    r"(?:sortiere|sortieren|ordne|ordnen|ranke|ranking)(?: \w+){0,4} nach (?:\w+ )?(?:performance|rendite|gewinn)",
    r"(?:classe|classez|trie|triez|classer|trier) (?:\w+ ){0,4}(?:par|selon) (?:\w+ )?(?:performance|rendement)",
    "按表现排", "按收益排", "按回报排", "按涨幅排", "表现排名", "收益排名", "涨幅排名",
)
#: What a superlative ranks: positions ...
_RANK_POSITIONS = _any(
    r"positions?", r"holdings?", r"stocks?", r"shares?", r"investments?", r"assets?", r"tickers?", r"picks?",
    r"posici[oó]n(?:es)?", r"acci[oó]n(?:es)?", r"inversi[oó]n(?:es)?", r"t[ií]tulos?", r"aktien?", "titel",
    r"anlagen?", r"actions?", r"titres?", r"lignes?", r"placements?", "持仓", "股票", "个股", "仓位", "标的", "哪只",
)
#: ... or how they did.
_RANK_PERFORMANCE = _any(
    r"perform\w*", "did", "done", "doing", "fared", "went", r"returns?", "returned", r"gain(?:ed|s)?",
    "rendimiento", "rentabilidad", r"rentables?", "entwickelt", "gelaufen", "abgeschnitten", r"performt",
    "rendite", r"rendements?", "progressé", "rapporté", "marché", "表现", "收益", "回报", "涨", "跌",
)
#: Several positions asked for with no count ("biggest winners", "las mejores", "哪些").
_RANK_PLURAL = _any(
    r"performers", r"winners", r"losers", r"gainers", r"decliners", r"laggards", r"underperformers",
    r"outperformers", r"drags",
    r"(?:best|worst|top|strongest|weakest|biggest|largest)(?: \w+)? (?:positions|holdings|stocks|shares|"
    r"investments|assets|names|picks|ones|tickers)",
    "mejores", "peores", r"ganador(?:es|as)", r"perdedor(?:es|as)", r"mayores caídas",
    r"(?:besten|schlechtesten|stärksten|schwächsten|größten|top)(?: \w+)? (?:positionen|aktien|werte|gewinner|"
    r"verlierer|performer)",
    r"meilleur(?:e)?s", r"(?:pires|faibles|fortes) (?:positions|actions|titres|lignes|hausses|baisses)", "gagnants",
    "perdants", "哪些", "几只", "几个",
)
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
}
_NUMBER = r"(\d{1,2}|" + "|".join(w for w in _NUMBER_WORDS if not _CJK.search(w)) + ")"
_RANK_WORD = (
    r"(?:top|best|worst|bottom|biggest|largest|strongest|weakest|mejor(?:es)?|peor(?:es)?|beste\w*|"
    r"schlechteste\w*|stärkste\w*|schwächste\w*|größte\w*|meilleur\w*|pires?|plus)"
)
#: A count beside a ranking word or the positions it ranks: "top 3", "three worst", "die 3 besten",
#: "les 3 meilleures", "which 2 stocks", "前三", "3只".
_RANK_COUNT = (
    re.compile(rf"(?<![\w&]){_RANK_WORD}\s+{_NUMBER}(?![\w&%])", _I),
    re.compile(rf"(?<![\w&.,]){_NUMBER}\s+(?:\w+\s+)?{_RANK_WORD}(?![\w&])", _I),
    # "which 2 stocks did worst", "welche 2 Aktien", "mis 3 acciones", "mes 2 titres" (not "I have 10 stocks")
    re.compile(
        rf"(?<![\w&])(?:which|what|my|the|welche|meine|die|cuáles|qué|mis|las|los|quelles|quels|mes|les)\s+{_NUMBER}"
        r"\s+(?:positions?|holdings|stocks|shares|performers|winners|losers|gainers|positionen|aktien|werte|titel|"
        r"posiciones|acciones|inversiones|actions|titres|lignes)(?![\w&])",
        _I,
    ),
    re.compile(r"前\s*(\d{1,2}|[两二三四五六七八九十])(?!\s*个?月)|(\d{1,2}|[两二三四五六七八九十])\s*[只支个](?!月)"),
)
MAX_RANKED = 10
"""Positions a ranking names at most, whatever count the question asks for."""


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
    largest: bool = False
    """The largest positions by weight ("What is my largest position?")."""
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
    ranking: tuple[str, ...] = ()
    """``"best"`` and/or ``"worst"``: the positions that did best or worst ("best performer", "biggest
    losers"), by the periods asked for, else by the gain since purchase."""
    rank_count: int = 1
    """How many positions each ranking names: the count asked for ("top 3"), else 3 when the question asks
    for several ("winners", "las mejores"), else 1; at most :data:`MAX_RANKED`."""

    @property
    def recognised(self) -> bool:
        """Anything beyond a period: otherwise the general summary answers."""
        return any((
            self.metrics, self.symbols, self.baskets, self.sectors, self.all_baskets, self.all_sectors,
            self.benchmark, self.largest, self.cash, self.performance, self.value, self.risk, self.diversification,
            self.insights, self.news, self.trade, self.since_purchase, self.cost, self.price, self.ranking,
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


def _ranking(text: str, periods: tuple[str, ...], *, groups: bool) -> tuple[tuple[str, ...], int]:
    """Which rankings ``text`` asks for (``best``, ``worst``) and how many positions each names; none when
    it asks about baskets or sectors in general ("which sector did best": the overview answers)."""
    count = next(
        (_count(m.group(m.lastindex or 0)) for pattern in _RANK_COUNT for m in pattern.finditer(text)), 0
    )
    positions, how = bool(_RANK_POSITIONS.search(text)), bool(_RANK_PERFORMANCE.search(text) or periods)
    if groups and not positions:
        return (), 1
    about = positions or how
    # "top" alone is ambiguous: "top positions" are the largest, "top performers this week" the best
    best = bool(_BEST_ALONE.search(text)) or (about and bool(_BEST.search(text))) or (
        bool(_TOP.search(text)) and (how or (count > 0 and not positions))
    )
    best = best or (positions and bool(_BIGGEST_GAIN.search(text)))
    worst = bool(_WORST_ALONE.search(text)) or (about and bool(_WORST.search(text))) or (
        positions and bool(_BIGGEST_LOSS.search(text))
    )
    whole = not (best or worst) and bool(_RANK_BY.search(text))
    ranking = tuple(d for d, asked in (("best", best or whole), ("worst", worst or whole)) if asked)
    if not ranking:
        return (), 1
    if not count:
        # a whole ranking: every position once, best half first (see offline.ranking)
        count = MAX_RANKED if whole else 3 if _RANK_PLURAL.search(text) else 1
    return ranking, max(1, min(count, MAX_RANKED))


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word.lower(), 0)


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
    all_baskets = not named_baskets and bool(_BASKETS.search(text))
    all_sectors = not named_sectors and bool(_SECTORS.search(text))
    ranking, rank_count = _ranking(text, periods, groups=all_baskets or all_sectors)
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
        all_baskets=all_baskets,
        all_sectors=all_sectors,
        benchmark=bool(_BENCHMARK.search(text)) or bool(benchmark and _symbols(text, [benchmark])),
        largest=bool(_LARGEST.search(text)),
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
        ranking=ranking,
        rank_count=rank_count,
    )
