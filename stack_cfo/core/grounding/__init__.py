"""Grounding: every figure an AI wrote must be one of the facts it was given.

Pure domain code (stdlib only: ``re``, ``unicodedata``, ``decimal``). Run :func:`check` on every
AI-written text before it is stored or sent: chat answers, the portfolio narrative, digest
paragraphs, compression summaries, news summaries. It runs on the completed text (a stream's
chunks re-assembled), never on a chunk.

Figure grammar (:func:`extract_figures`)
    ``[direction word [by]] [hedge] [-|+] [( ] [currency] [-|+] NUMBER [suffix] [currency] [unit]``

    * NUMBER: ASCII digits after normalisation (any script's decimal digits, full-width forms);
      grouping by ``,`` (1,234,567.89), by ``.`` with a decimal comma (1.234.567,89), or by
      no-break / narrow no-break / thin / figure space or apostrophe (1 234 567); a decimal point
      or a decimal comma (``12,5 %``). ASCII spaces group digits only before a decimal comma (``9 485,15 $``) or, in a
      text with two French or Spanish words, before a currency (``Vos liquidités sont de 2 500 $``: 2500); an English
      text keeps ``2 500 $`` apart. In a text that groups digits with dots (two German, Spanish or French words, or a
      decimal comma in another number, and no decimal point that is no group of three), one to three digits, a dot
      and three digits are a whole number (``Ihr Depot ist rund 9.500 USD wert``, ``Su efectivo es de 2.500 $``:
      9500, 2500), except before a percent (``1.985 %``); an English text keeps ``1.985`` and ``1.985%``.
    * sign: ``-``, ``+``, U+2212 minus, en dash or figure dash, glued to the number or to its
      currency (``-$420``, ``$-420``); a dash after a letter, a digit or ``%`` is a hyphen or a range.
      Accounting parentheses mean negative only when they fill a markdown table cell.
    * currency: symbols (``$ US$ C$ A$ HK$ € £ ¥ ₹ ...``) and ISO codes before or after, and
      ``dollars``/``euros``... after.
    * suffix: ``k K thousand``, ``M mn mm million Mio``, ``B bn billion Mrd``, ``tn trillion``
      (``m``, ``b`` and ``T`` only next to a currency); ``%``, ``percent``, ``per cent``, ``pct``, ``Prozent``,
      ``pour cent``, ``por ciento``;
      ``pp``, ``p.p.``, ``percentage points``; ``bp``, ``bps``, ``basis points`` (divided by 100);
      ``x`` / ``×`` for ratios.
    * unit: a counted noun (``lexicon.COUNT_NOUNS``, in English, German, French, Spanish, Italian and Portuguese;
      "sector groups", "industry groups" count sectors),
      optionally after a partitive (``8 of your positions``, ``3 Ihrer Positionen``, ``2 de vos
      lignes``, ``4 de tus posiciones``) and one lowercase adjective (``12 open positions``,
      ``63 trading days``, ``9 daily returns``, ``4 other positions``) or one or two capitalised words of a
      name (``3 Health Care positions``, ``10 AAPL shares``; not after a year: "2024 Apple shares"); a
      singular noun only after 1 (``1 position``). The words between number and noun are
      ``Figure.qualifier``; a name right after the noun and "of"/"in" (``12 shares of MSFT``, ``2 positions
      in Health Care``, not the first of a list of names) is ``Figure.of_name``. French ``actions`` (an
      English word too) is a counted noun only in a French clause ("Vous avez 7 actions", "3 de vos actions").
      Whatever its size, a number with a unit is a COUNT figure. So is the part of a whole: the ``3`` of
      ``3 of your 5 positions``, ``3 of 5 sectors``, ``3 out of 5 positions``, ``3 Ihrer 5 Positionen``, ``3
      von 5 Sektoren``, ``2 de vos 4 lignes``, ``2 sur 4 lignes``, ``4 de tus 6 posiciones`` (the number alone,
      a COUNT of the whole's noun; ``lexicon.SUBSET_LINKS``). Words after the noun qualify the things
      counted, not the count: ``2 Positionen im Plus``, ``2 positions above 50%`` take no direction. A word
      for "sector" says what a name is and is left out of it (``2 Energy sector positions``, ``2 lignes du
      secteur Énergie``, ``2 posiciones en el sector de energía``); a hyphenated or German compound of a name
      or sector word and a counted noun is that noun qualified by it (``2 Energie-Positionen``, ``2
      Energiepositionen``, ``2 Technologiewerte``, ``10 AAPL-Aktien``); an ISO code before a noun of holdings
      is no currency (``3 EUR positions``: a count). A count may leave its noun out after a name
      (``Figure.elided``): a number, maybe ``are``/``sind``/``sont``/``son``, a link word (in, of, im, von, en,
      de, dans...) and a name is a COUNT of the noun of the count before it in its sentence when only a list
      joins them (``3 positions: 2 in Technology and 1 in Energy``, ``10 shares of AAPL, 12 of MSFT``, ``3
      Positionen, davon 2 im Technologiesektor``), or, for a number under 10 after in/im/en/dans with no
      such count before it, of positions (``Figure.implied``: ``5 in Technology and 1 in Energy``); the raw
      figure is the number alone, the name its qualifier. Not after a direction word (``fell 2 in Europe``),
      nor before a month, a currency code or a list of names. Implied counts of one list (``3 in Technology and 1
      in Energy``, ``3 in Technology, 1 in Energy``), or one after a verb of holding (``You hold 1 in Energy``),
      state their names' whole counts (``Figure.breakdown``), unless a verb after the list says what the counted
      are (``1 in Energy and 1 in Technology are up``). A count's noun may be that of the count after it, a list
      joiner and its name between them (``3 Energy and 3 Technology positions``, ``10 AAPL, 12 MSFT shares``: the raw
      figure is ``3 Energy``, the name its qualifier); a copula may stand between a noun and its name (``2
      positions are in Energy``).
    * direction: fell, dropped, lost, declined, down, lagged... (-1); rose, gained, up, climbed,
      outperformed... (+1); ``a drop/gain of``; ``a 3% drop``, ``an 11.8% monthly drop``,
      ``3% lower``, ``8.7% below``. "makes up 6.8%" is not a rise. Words of time may stand between the verb and the
      figure (``fell today by 2.03%``, ``fell this week by``, ``a baissé aujourd'hui de``, ``bajó hoy un``); a German
      participle after the figure signs it (``ist heute um 2,03 % gefallen``, ``hat 196,60 $ verloren``, ``gestiegen``);
      a verb of comparison signs the figure after its object and "by" (``lagged SPY by 0.79 points``, ``trailed the
      benchmark by 0.8%``, ``beat``); German ``fiel von X auf Y`` is a level, not a fall by X. Loss labels (drawdown,
      VaR, CVaR, a loss of) make the figure a magnitude of either sign. A figure of no direction takes that of the
      figure of its kind before it in its sentence when only a joining or comparing word and a name stand between
      them (the verb left out: ``MSFT fell 2.84% and NVDA 2.64%``, ``MSFT fell 2.84%, more than NVDA's 2.64%``,
      ``NVDA's 2.64% drop was smaller than MSFT's 2.84%``), or a comma and a name, as in a list (``NVDA lost 3.11%
      today, MMM 0.64%``).
    * range: ``5-10%``, ``5 – 10 %``, ``5—10%`` (an em dash joins a range only here), ``5 to 10%``,
      ``5 bis 10 %``, ``between 5 and 10%``, ``$5-10M``, ``5%-10%``: both ends are figures. A lower
      end without a suffix of its own takes the upper end's (``5`` of ``5-10%`` is 5 %, ``$5`` of
      ``$5-10M`` is $5M), the upper end takes the lower end's currency (``$5-10``), and when both
      ends are of one kind the words before and after the range (direction, hedge, loss label,
      subject, "of the portfolio", a word of time) qualify both. The ends must ascend; a range
      joined by a word (``to``) needs a bare lower end, so "fell 3% to $140.12" stays a change and
      a level.
    * glued: a number glued to a name of two letters or more is a figure only with a ``%`` or a
      percent word right after it (``XOM33.6%``, ``CPI2.9%``, ``AAPL25.2 percent``); ``Q3%``, ``H1%``,
      ``FY24%`` and URL encodings are not. A sign between name and digits is the figure's
      (``XOM+3.1%``; a hyphen only after an upper-case name and before a decimal: ``XOM-3.1%``, not
      ``COVID-19%`` or ``top-10%``).
    * words: English cardinals zero to ninety-nine, optionally times a hundred, are figures with a
      percent or currency unit only (``twenty-five percent``, ``ten thousand dollars``); alone or
      counting things ("three holdings", "one stock stands out") they are prose.
    * exponent: ``6.2e3`` is 6200 (precision from the shown digits) unless a letter or digit follows
      (``1e3x``, ``0x1e3f``); it never ends a range.
    * kind: PERCENT (percent or point suffix, or a ``%``/weight/return table column), RATIO (``x``
      or a Sharpe/Sortino/Calmar/beta/ratio label), AMOUNT (currency or magnitude suffix, or a
      value/price/P&L column), COUNT (unit), else NUMBER.

    Not figures: dates (2026-03-08, 03/08/2026, 08.03.2026, March 8, 8 March 2026, 8th of March),
    times (16:00, 9:30 am, 4 pm), years (1900-2100 alone or after in/since/by..., FY2024, '24,
    Q3), quarters and halves (Q3, H1), list numbering (``1.``/``2)`` at a line start), ``#3``,
    ``No. 3``, ``top 5``, ``10 largest``, footnotes ``[12]``, index names (S&P 500, Russell 2000),
    period windows (``1-year``, ``over the last 30 days``, ``1d``/``1w``/``1m``, ``3M return``),
    identifiers with digits glued to letters, ``_`` or ``.`` (BRK.B, COVID-19, 0700.HK, v1.2; see glued),
    versions and IP addresses (1.2.3), paths and URLs, confidence levels (``95% VaR``, ``95% value
    at risk``), ordinals
    (3rd), and small bare integers under 10 outside tables without a unit ("5", "(1)"; "5 of your
    holdings" and "2 in Technology" are COUNTs). ``3M`` glued,
    integral and without a currency is the company (or a 3-month window), not 3 million; a
    facts' bracketed name with digits (``positions[3M]``) is always a name. Numbers in words
    without a percent or currency unit (see words) are not figures.

Tolerance (:func:`check`)
    A figure's *unit* is one step of its last shown digit, scaled: ``$31,041.20`` 0.01,
    ``$31k`` 1000, ``$31.0k`` 100, ``6.8%`` 0.1 percent points, ``25 bps`` 0.01 percent points.
    After a hedge word (about, roughly, ~, rund, etwa, environ, aproximadamente, over, under...) an integer's
    trailing zeros are not significant: ``about $31,000`` has unit 1000, ``about $10,920`` unit 10 (not for percents).
    A fact matches when it is within half a unit,
    both ends inclusive (or within half its own shown precision, for facts taken from text).
    "Over"/"more than" accept a fact from the value up to two units above it, "under"/"up to"
    from two units below up to the value. Before a count, "over" and "above" mean more than only
    at the clause start or after a verb of holding or being ("You hold over 20 positions", "with
    over 20 stocks"); as prepositions they count exactly ("spread over 2 sectors", "5 positions
    over 3 sectors"). FRACTION facts are compared with percent figures times
    100 (``0.068`` is ``6.8%``); percentage points and percents are both accepted for a fraction,
    so a difference of returns may be written either way.

    Signs: a direction word fixes the sign (``fell 3%`` needs a negative fact; ``down 3%``
    matches -0.0297); an explicit sign must agree; a loss context (drawdown, VaR, loss) without
    a sign matches either sign; any other unsigned figure needs a fact that is not negative. A
    percent in brackets or after ", or" right after an amount restates it (``$1,781.23 (27.12%)``; also after a word
    of time or "roughly": ``lost 26.25% this year, or $1,572.80``, ``26%, roughly $1.6k``): it keeps the amount's
    subject, period and direction. A noun of change before a copula signs its figure (``The biggest drop was
    0.27%``). A gap "by X points" after a comparison
    (``trailing the S&P 500 by 2.2 points``) cites only an excess (difference) of that sign.

    Subjects: a metric word or name (Sharpe, beta, drawdown, VaR, value at risk, standard deviation,
    Volatilität...; also dividend yield, expense ratio, dividend income, which no data block carries) limits a figure
    to facts whose path names it (before a bracket in its clause too: "VaR (95%) is"); a fact of an excess return,
    alpha or a difference of returns is cited only by a figure whose words compare ("lagged SPY by", "than",
    "Überrendite") or name it, and a counted noun a COUNT
    figure to the counts of what it counts (``4 sectors``: ``sectors.count``, ``sector_count``...;
    ``10 shares``: a quantity; ``9 daily returns``: observations), even when no fact is one, so
    ``5 sectors`` is ungrounded when there is no sector count, whatever else is 5. With or without a
    possessive ("your 2 positions", "Ihre 2 Positionen", "2 positions in the green", "2 Positionen im
    Plus"), a count is checked the same way: it must equal a count of its noun. The part of a whole
    (``3`` of ``3 of your 5 positions``) is grounded by a count of its noun equal to it; when none is,
    but the part is at most the whole and the whole is grounded, the part is a claim the facts cannot
    check ("1 of your 2 positions is up": no fact counts the positions that are up) and is left out of
    the figures (no status says "not checkable"); a part larger than its whole, or of an ungrounded
    whole, is an ungrounded COUNT. A whole COUNT figure ("You hold 4 positions", the ``4`` of "4 of
    your 5 positions") never cites a fractional count (an effective count of 3.87) unless its words
    say it is effective ("effectively 4 positions", "4 effective positions"). A name in a count's
    qualifier or after its noun ("3 Health Care positions", "12 shares of MSFT", "2 positions in
    Energy") limits it to the facts under that name, never the portfolio's count; a word that starts
    a single sector's (or other non-ticker) name is that name ("2 Tech positions" for Technology). A
    ticker symbol absent from the facts ("10 TSLA shares", "10 shares of TSLA") leaves it ungrounded;
    other capitalised qualifier words that name nothing ("5 US stocks", "2 Big Tech positions", "40
    Exxon shares") count a part of the portfolio's things: grounded by its equal count, left out as
    uncheckable when at most it, ungrounded when larger ("6 US stocks" of 5 positions); a noun no
    portfolio-wide fact counts (shares) is grounded by any equal count ("40 Exxon shares", like "40
    shares of Exxon Mobil") and otherwise left out. A count whose noun is left out ("2 in Technology") is
    checked only where the facts count its noun under its name ("1 in AAPL" is left out); when its noun is
    only implied (positions), it is ungrounded only when larger than every such count ("5 in Technology" of
    2; "1 in Technology is up" may be a part) and left out when its name names nothing in the facts, except that
    implied counts of one list or after a verb of holding must equal their names' counts ("You hold 3 in Technology
    and 1 in Energy" of 3 and 2: the 1 is ungrounded; "You hold 1 in Energy" likewise). "N
    other <noun>" (other, remaining, weitere, autres, otros...; after the noun: "4 posiciones más") counts
    the rest after the things of its kind its clause names before it, or after one when it names none:
    "Besides AAPL and MSFT, 1 other position" cites a count of 3, and "AAPL is
    24%; 4 other positions make up the rest" cites the 5 positions). ``max drawdown
    -3%`` is ungrounded even when some other fact is -3 %, and ``Sharpe ratio 0.58`` is ungrounded
    when the Sharpe ratio could not be computed (it is
    a reason, not a fact) even when beta is 0.58. A metric word limits only the figure it is the
    subject of: not after words saying it is missing ("Sharpe is unavailable, TWR 11.95%") or
    with a nearer subject ("Despite low volatility, your portfolio returned 11.95%" is a return).
    A name from the facts'
    brackets (``NVDA`` of ``positions[NVDA]``) excludes the facts of other names; a direction
    word limits it to changes (return, change, gain, pnl, excess... paths). What a figure's clause names as a whole
    (:mod:`.subjects`; counts excepted) limits it further, the nearest before it first: a name of the facts in its
    clause to that name's facts alone ("NVDA changed 0% today" is no ledger figure); cash (cash, Bargeld, liquidités,
    efectivo...) to the cash's facts ("Cash is 31.2% of your portfolio" is not NVDA's weight; also "You hold $1,977.90
    in cash", "Your portfolio holds $2,500 in cash"); the
    benchmark's ticker (``Facts.benchmarks``, from ``benchmark.symbol``, ``benchmark_symbol``...; any ticker absent
    from the facts when they name none), an index name, "benchmark" or "the index" (index, indice, índice; not a
    metric's: "Herfindahl index", "indice de concentration") to the benchmark's facts, or an excess return when the
    clause compares ("SPY fell 2.03%" is not the portfolio's day; "You lagged SPY by 2.56%" is the excess); another
    ticker absent from the facts to none ("TSLA rose 0.53%" is not the benchmark's day); a capitalised name the facts
    do not have, the subject of a verb, to the facts under a name ("Tesla rose 0.53%" is no benchmark's nor
    portfolio's figure, "Apple gained 1.25%" may be AAPL's); the
    portfolio (portfolio, total value, overall, Depot, Gesamtwert, portefeuille, cartera...) to facts under no name that
    are not the cash's nor the benchmark's ("Your portfolio is worth $2,960.60" is not NVDA's value), unless the clause
    also names a holding, a share or a company ("NVDA is 31.2% of your portfolio", "Apple makes up 20.85% of your
    portfolio" are the position's); a bracket right after the figure naming one holding or company ("-2.84% (Amazon)")
    before all of these; "for" or "on" and a name right after a figure whose clause names nothing ("The biggest drop was
    0.27% for NVDA", "only 0.34% for VOO") after them. A share cites only a weight of its basis ("of your invested
    capital": an invested weight, "including cash" (also after a comma), "of your total portfolio": a weight of the
    total; "Your total portfolio, including cash, is worth" the total value), of the top holdings when it is theirs
    ("your five largest positions"), of the sector when it is its holdings' ("your tech holdings"); a heading's words
    ("### Allocation", "**Weights**", "Allocation:") qualify the list under it as a clause's would. A limit (an
    insight's ``threshold_*``) grounds only a figure whose clause says one (guideline, limit, threshold, cap, Schwelle,
    Grenze, seuil, plafond, umbral, límite, soglia, limite, limiar...), or one held against it ("above 50%", "over
    10%", "exceeds the 10%"; a figure with no words read, as in Chinese, too), whoever the clause is about: "ASML is
    10.0% of your invested portfolio" is not the 10% guideline. The count of a list's items left out for length
    (``positions_not_listed_count``) grounds only a clause that says the rest or not listed ("the other 20", "20 more
    positions", "20 remaining", "not shown", "nicht aufgeführt", "non elencate"; "20 other positions" when the clause
    names none before), and the count of such a list (``positions.count``, the 20 listed of 40) only one that says
    listed or shown: "You hold 20 positions" is the portfolio's count or ungrounded. A score is the score, not a part
    of it (``score_from_holdings``) unless the words name the part ("the holdings part of your score"). Periods: today,
    this
    week, for the week, since last Friday, this month, for the month, year to
    date... (``lexicon.PERIOD_PHRASES``, in six languages: en, de, fr, es, it, pt; a weekday is the day it names, but
    the end of a week, month or year so far said before it: "This week through Friday's close", "Ce mois-ci, jusqu'à
    vendredi"; "since January", "since the start of the year" (seit Beginn des Jahres, depuis le début d'année, desde
    el inicio del año, dall'inizio di quest'anno, desde o início deste ano) and the data's own year named, "in 2026",
    "since the start of 2026", the year to date, unless another period is
    said, "Today ... in 2026"; another year, "since January 2025", "no ano passado", a span no fact covers:
    ``Facts.year``, from the data's date or its snapshot's market date); the nearest after a figure in its clause,
    else before it in
    its sentence. Words of the day ("today's", "daily", "the day's", "on the day", "today" after a list or range of
    figures: "between -2.84% and +0.87% today") give a figure the day as its period: never a drawdown. Facts from text
    are exempt. In a markdown table, a Total/Sum/Combined/Gesamt
    row may equal the sum of the column above it (a count column's exactly); a column header or row label naming a
    period (Today, 1D, Heute, This month, MTD, 1W, YTD, a "Week" row) gives its cells that period.

    The best match is deterministic: among count facts one written as the figure is (``2.0
    holdings``: an effective count of 1.99, not the 2 positions), then a fact equal to the shown
    value, then a fact under the name the figure's words mention, then sorted path order. Details:
    :mod:`.matching`. Fact paths: :mod:`.facts` (a list item is ``[KEY]`` only when no other item of
    its list shares that key, else ``[N]``).

Offsets
    ``Figure.start``/``end`` are code-point indices into the original text (``text[start:end] ==
    raw``); ``start_utf16``/``end_utf16`` count UTF-16 code units, where each astral character
    (emoji) before the offset counts twice.

Cost
    Linear in the text: numbers are found with ``str.find`` over a digit-marked copy, each is read
    through a bounded window with precompiled patterns and word look-ups, and facts are indexed by
    magnitude (see :mod:`.index`), so a check is not figures × facts. Hostile input (1 MB, 10,000
    figures, control characters, lone surrogates) never raises.
"""

from stack_cfo.core.grounding.companies import preload
from stack_cfo.core.grounding.extract import extract_figures
from stack_cfo.core.grounding.facts import Facts, facts_from_data, facts_from_text, kind_for_key
from stack_cfo.core.grounding.matching import (
    FigureCheck,
    GroundingResult,
    GroundingStatus,
    check,
    check_figures,
    checked_text_facts,
)
from stack_cfo.core.grounding.model import Fact, FactKind, Figure, FigureKind, Hedge

__all__ = [
    "Fact",
    "FactKind",
    "Facts",
    "Figure",
    "FigureCheck",
    "FigureKind",
    "GroundingResult",
    "GroundingStatus",
    "Hedge",
    "check",
    "check_figures",
    "checked_text_facts",
    "extract_figures",
    "facts_from_data",
    "facts_from_text",
    "kind_for_key",
    "preload",
]
