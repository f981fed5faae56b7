"""With AI down, "which position is my best performer?" names the position: ranked by the period the question
names, else by the gain on cost since purchase, with its figures from the data block and the measure said, in
every language the offline texts are written in (a client's report: these questions got only the portfolio's
returns or the general summary)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from stack_cfo.core.chat.context_figures import PeriodFigures
from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.chat.models import PortfolioContext
from stack_cfo.core.chat.offline import offline_answer
from stack_cfo.core.chat.question import read_question
from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
from stack_cfo.core.i18n import localizer
from tests.unit.chat.seed_portfolio import NOW, seed_context

# Gain on cost in the seed: NVDA +100.00% (+900), AAPL +41.67% (+1,000), MSFT +30.67% (+460), XOM +7.37% (+70).
# Over the week: XOM +2.00%, AAPL +0.00%, MSFT -2.00%, NVDA -10.00%; today NVDA -5.26% is the worst.
BEST_ON_COST = (
    "Best performer since purchase among your positions, ranked by gain on cost: NVDA +100.00% (+900.00 USD)."
)
WORST_ON_COST = "Worst performer since purchase among your positions, ranked by gain on cost: XOM +7.37% (+70.00 USD)."


def _answer(question: str, ctx: PortfolioContext | None = None, tag: str = "en") -> str:
    ctx = ctx or seed_context()
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE", l10n=localizer(tag))
    result = check(text, facts_from_data(context_document(ctx, NOW)))
    assert result.status in (GroundingStatus.GROUNDED, GroundingStatus.NO_FIGURES), [
        c.figure.raw for c in result.checks if not c.grounded
    ]
    return text


@pytest.mark.parametrize(
    ("question", "ranking", "count", "periods"),
    [
        ("Which position is my best performer?", ("best",), 1, ()),
        ("What is my worst performer?", ("worst",), 1, ()),
        ("Which of my holdings did best?", ("best",), 1, ()),
        ("What are my top 3 performers this week?", ("best",), 3, ("1w",)),
        ("Show me my biggest winners and losers this month", ("best", "worst"), 3, ("1m",)),
        ("Which stock lost the most today?", ("worst",), 1, ("1d",)),
        ("my five worst positions", ("worst",), 5, ()),
        ("I have 10 stocks: which one did worst?", ("worst",), 1, ()),
        ("top 50 gainers", ("best",), 10, ()),  # at most MAX_RANKED
        ("¿Cuál es mi mejor posición?", ("best",), 1, ()),
        ("¿Cuáles son mis peores inversiones este año?", ("worst",), 3, ("ytd",)),
        ("¿Qué acción lo hizo mejor este mes?", ("best",), 1, ("1m",)),
        ("Welche Position hat sich am besten entwickelt?", ("best",), 1, ()),
        ("Wer sind meine größten Verlierer diese Woche?", ("worst",), 3, ("1w",)),
        ("Welche 2 Aktien liefen heute am schlechtesten?", ("worst",), 2, ("1d",)),
        ("Quelle est ma meilleure position ?", ("best",), 1, ()),
        ("Quelles sont mes 2 pires actions cette semaine ?", ("worst",), 2, ("1w",)),
        ("哪只股票表现最好?", ("best",), 1, ()),
        ("今年涨幅最大的前三只股票", ("best",), 3, ("ytd",)),
        ("哪些持仓跌幅最大?", ("worst",), 3, ()),
    ],
)
def test_reading_a_ranking_question(
    question: str, ranking: tuple[str, ...], count: int, periods: tuple[str, ...]
) -> None:
    q = read_question(question, symbols=["NVDA", "AAPL", "MSFT", "XOM"])
    assert (q.ranking, q.rank_count, q.periods) == (ranking, count, periods)
    assert q.recognised


@pytest.mark.parametrize(
    "question",
    [
        "What's the worst case loss?",
        "Is it the best time to buy?",
        "What is my worst drawdown?",
        "What are my top positions?",  # the largest, as the general summary lists them
        "Which sector performed best?",  # the sectors overview answers
        "¿Es mejor vender?",
        "How am I doing?",
        "Why is my tech basket underperforming this week?",
    ],
)
def test_questions_that_rank_nothing(question: str) -> None:
    assert read_question(question).ranking == ()


def test_french_mes_is_my_not_a_month() -> None:
    """Spanish "mes" (month) read French "mes positions" (my positions) as a month."""
    assert read_question("Quelles sont mes positions ?").periods == ()
    assert read_question("¿Cómo me fue este mes?").periods == ("1m",)
    assert read_question("¿Y el mes pasado?").periods == ("1m",)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which position is my best performer?", BEST_ON_COST),
        ("What is my worst performer?", WORST_ON_COST),
        ("Which of my holdings did best?", BEST_ON_COST),
        ("Welche Position hat sich am besten entwickelt?", BEST_ON_COST),  # read in German, answered in English
    ],
)
def test_the_reported_questions_name_the_position(question: str, expected: str) -> None:
    text = _answer(question)
    assert expected in text
    assert "Your portfolio (cash included) returned" not in text and "Largest positions" not in text


def test_a_period_ranks_by_the_positions_returns_over_it() -> None:
    assert (
        "Best performers over the past week among your positions, ranked by return: XOM +2.00% (+20.00 USD), "
        "AAPL +0.00% (+0.00 USD), MSFT -2.00% (-40.00 USD)."
    ) in _answer("What are my top 3 performers this week?")
    assert (
        "Worst performer since the previous close among your positions, ranked by return: NVDA -5.26% (-100.00 USD)."
    ) in _answer("Which stock lost the most today?")


def test_winners_and_losers_name_no_position_twice() -> None:
    text = _answer("Show me my biggest winners and losers this month")
    assert (
        "Best performers over the past month among your positions, ranked by return: NVDA +50.00% (+600.00 USD), "
        "AAPL +6.25% (+200.00 USD)."
    ) in text
    assert (
        "Worst performers over the past month among your positions, ranked by return: XOM +2.00% (+20.00 USD), "
        "MSFT +3.16% (+60.00 USD)."
    ) in text


def test_a_named_basket_ranks_its_own_positions() -> None:
    text = _answer("Which stock in my Tech basket did best this year?")
    assert (
        "Best performer so far this year among the positions of your Tech basket, ranked by return: "
        "NVDA +80.00% (+800.00 USD)."
    ) in text
    text = _answer("What is the worst performer in the Energy sector since I bought?")
    assert (
        "Worst performer since purchase among the positions of your Energy sector, ranked by gain on cost: "
        "XOM +7.37% (+70.00 USD)."
    ) in text


def test_positions_without_the_figure_are_skipped_and_said_so() -> None:
    ctx = seed_context()
    no_week = {"NVDA", "XOM"}
    ctx = replace(
        ctx,
        positions=tuple(
            replace(p, periods=PeriodFigures(), day_change=None, day_change_percent=None) if p.symbol in no_week else p
            for p in ctx.positions
        ),
    )
    text = _answer("Which position did best this week?", ctx)
    assert "Best performer over the past week among your positions, ranked by return: AAPL +0.00% (+0.00 USD)." in text
    assert "Not ranked, with no such figure in the data: NVDA and XOM." in text
    ctx = replace(
        ctx,
        positions=tuple(
            replace(p, periods=PeriodFigures(), day_change=None, day_change_percent=None) for p in ctx.positions
        ),
    )
    text = _answer("Which position did best this week?", ctx)
    assert (
        "No position among your positions has a return over the past week in the data, so none can be ranked." in text
    )
    no_cost = replace(
        ctx,
        positions=tuple(
            replace(p, average_cost=None, cost_basis=None, unrealized_pnl=None, unrealized_pnl_percent=None)
            for p in ctx.positions
        ),
    )
    text = _answer("What is my best performer?", no_cost)
    assert (
        "No position among your positions has a known cost in the data, so none can be ranked by gain since purchase."
    ) in text


@pytest.mark.parametrize(
    ("tag", "question", "expected"),
    [
        (
            "es",
            "¿Cuál es mi mejor posición?",
            "Mejor posición desde la compra entre tus posiciones, según su ganancia sobre el coste: "
            "NVDA +100,00\u00a0% (+900,00\u00a0US$).",
        ),
        (
            "es",
            "¿Cuáles son mis peores inversiones este año?",
            "Peores posiciones en lo que va de año entre tus posiciones, según su rentabilidad: "
            "MSFT -2,00\u00a0% (-40,00\u00a0US$), XOM +2,00\u00a0% (+20,00\u00a0US$), "
            "AAPL +13,33\u00a0% (+400,00\u00a0US$).",
        ),
        (
            "de",
            "Welche Position hat sich am besten entwickelt?",
            "Beste Position seit dem Kauf unter Ihren Positionen, nach Gewinn auf den Einstand: "
            "NVDA +100,00\u00a0% (+900,00\u00a0$).",
        ),
        (
            "de",
            "Was ist meine schwächste Aktie im Korb Tech diese Woche?",
            "Schwächste Position in der letzten Woche unter den Positionen Ihres Korbs Tech, nach Rendite: "
            "NVDA -10,00\u00a0% (-200,00\u00a0$).",
        ),
        (
            "fr",
            "Quelle est ma meilleure position ?",
            "Meilleure position depuis l’achat parmi vos positions, classée selon sa plus-value sur le prix de "
            "revient : NVDA +100,00\u00a0% (+900,00\u00a0$US).",
        ),
        (
            "fr",
            "Quelles sont mes 2 pires actions cette semaine ?",
            "Moins bonnes positions sur la dernière semaine parmi vos positions, classées selon leur rendement : "
            "NVDA -10,00\u00a0% (-200,00\u00a0$US), MSFT -2,00\u00a0% (-40,00\u00a0$US).",
        ),
        (
            "zh-Hans",
            "哪只股票表现最好?",
            "您的持仓中自买入以来表现最好的持仓(按相对成本的盈亏排序):NVDA +100.00% (+US$900.00)。",
        ),
        (
            "zh-Hans",
            "今天哪只股票表现最差?",
            "您的持仓中自上一收盘以来表现最差的持仓(按收益率排序):NVDA -5.26% (-US$100.00)。",
        ),
    ],
)
def test_a_ranking_in_the_users_language(tag: str, question: str, expected: str) -> None:
    text = _answer(question, tag=tag)
    assert expected in text, text
    english = offline_answer(seed_context(), NOW, question, reason="COMPUTE_UNAVAILABLE")
    assert len(text.splitlines()) == len(english.splitlines())  # the same sections as in English


@pytest.mark.parametrize(
    ("question", "ranking", "count", "periods"),
    [
        # an auditor's questions that got no ranking: the highest or lowest return, up or down the most
        ("Which of my holdings has the highest return?", ("best",), 1, ()),
        ("Which stock is up the most?", ("best",), 1, ()),
        ("Which stock had the lowest return?", ("worst",), 1, ()),
        ("Which stock had the biggest gain?", ("best",), 1, ()),
        ("Which stock had the biggest loss this week?", ("worst",), 1, ("1w",)),
        ("Which stock is down the most today?", ("worst",), 1, ("1d",)),
        ("Which holding climbed the most this month?", ("best",), 1, ("1m",)),
        # a whole ranking: both ways, every position once (best half first)
        ("Rank my positions by performance", ("best", "worst"), 10, ()),
        ("Sort my holdings by return this week", ("best", "worst"), 10, ("1w",)),
        ("¿Qué acción tiene la mayor rentabilidad?", ("best",), 1, ()),
        ("¿Qué acción subió más este mes?", ("best",), 1, ("1m",)),
        ("¿Qué acción cayó más?", ("worst",), 1, ()),
        ("Ordena mis posiciones por rentabilidad", ("best", "worst"), 10, ()),
        ("Welche Aktie hat die höchste Rendite?", ("best",), 1, ()),
        ("Welche Aktie hat die niedrigste Rendite?", ("worst",), 1, ()),
        ("Welche Aktie ist diese Woche am stärksten gefallen?", ("worst",), 1, ("1w",)),  # was "best"
        ("Sortiere meine Positionen nach Performance", ("best", "worst"), 10, ()),
        ("Quelle action a le rendement le plus élevé ?", ("best",), 1, ()),
        ("Quelle action a le plus baissé ?", ("worst",), 1, ()),
        ("Classe mes positions par performance", ("best", "worst"), 10, ()),
        ("哪只股票收益最高?", ("best",), 1, ()),
        ("哪只股票收益最低?", ("worst",), 1, ()),
        ("按表现排名我的持仓", ("best", "worst"), 10, ()),
    ],
)
def test_reading_highest_return_and_rank_by_questions(
    question: str, ranking: tuple[str, ...], count: int, periods: tuple[str, ...]
) -> None:
    q = read_question(question, symbols=["NVDA", "AAPL", "MSFT", "XOM"])
    assert (q.ranking, q.rank_count, q.periods) == (ranking, count, periods)


@pytest.mark.parametrize(
    "question",
    [
        "Which stock has the highest value?",  # the largest position
        "Which position has the largest weight?",
        "Rank my positions by size",
        "What has the highest volatility?",
    ],
)
def test_superlatives_of_other_figures_rank_nothing(question: str) -> None:
    assert read_question(question).ranking == ()


def test_the_highest_return_and_a_whole_ranking_name_the_positions() -> None:
    assert BEST_ON_COST in _answer("Which of my holdings has the highest return?")
    assert WORST_ON_COST in _answer("Which stock had the lowest return?")
    assert (
        "Best performer since the previous close among your positions, ranked by return: XOM +2.00% (+20.00 USD)."
    ) in _answer("Which stock is up the most today?")
    text = _answer("Rank my positions by performance")
    assert (
        "Best performers since purchase among your positions, ranked by gain on cost: NVDA +100.00% (+900.00 USD), "
        "AAPL +41.67% (+1,000.00 USD)."
    ) in text
    assert (
        "Worst performers since purchase among your positions, ranked by gain on cost: XOM +7.37% (+70.00 USD), "
        "MSFT +30.67% (+460.00 USD)."
    ) in text


def test_tied_winners_and_losers_name_no_position_twice() -> None:
    """The question "Winners and losers today?" named NESN both a winner and a loser: three positions tied at 0 %
    that day, and each list took the first of the tie."""
    ctx = seed_context()
    flat = {"AAPL", "MSFT", "XOM"}
    ctx = replace(
        ctx,
        positions=tuple(
            replace(
                p,
                day_change=Decimal(0),
                day_change_percent=0.0,
                periods=PeriodFigures(
                    returns={**p.periods.returns, "1d": 0.0}, changes={**p.periods.changes, "1d": Decimal(0)}
                ),
            )
            if p.symbol in flat
            else p
            for p in ctx.positions
        ),
    )
    text = _answer("Winners and losers today?", ctx)
    best = next(line for line in text.splitlines() if line.startswith("Best performers"))
    worst = next(line for line in text.splitlines() if line.startswith("Worst performers"))
    assert "AAPL +0.00%" in best and "MSFT +0.00%" in best, best
    assert "NVDA -5.26%" in worst and "XOM +0.00%" in worst and "AAPL" not in worst, worst
