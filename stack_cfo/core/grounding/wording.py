"""The words around a figure that qualify it: hedges ("about", "more than") and directions ("fell", "a 3% drop").

Both functions take words already cut to the figure's clause: :func:`near_words` stops at a
punctuation barrier, so "Sharpe: 2.10" or "fell, then 3%" do not read across the break.
"""

from __future__ import annotations

from stack_cfo.core.grounding import lexicon as lx
from stack_cfo.core.grounding.model import Hedge

_BARRIER = ",:;.!?|"
_ABBREVIATIONS = frozenset({"approx.", "ca.", "no.", "fr."})
_STRIP = "*_\"'()[]{}`"
_HEDGES = {"APPROX": Hedge.APPROX, "AT_LEAST": Hedge.AT_LEAST, "AT_MOST": Hedge.AT_MOST}
_NEGATIVE_AFTER = (
    (lx.NEGATIVE_NOUNS - {"loss", "losses"}) | {"lower", "below", "unter", "sous", "debajo", "off"}
    | lx.NEGATIVE_AFTER_VERBS
)
_POSITIVE_AFTER = lx.POSITIVE_NOUNS | {"higher", "above"} | lx.POSITIVE_AFTER_VERBS
AFTER_WORDS = _NEGATIVE_AFTER | _POSITIVE_AFTER | lx.LOSS_LABELS
_GIVE = frozenset({"gave", "give", "gives", "giving", "given"})
_GAVE = frozenset({"gab", "gaben", "gibt", "geben"})
#: Adjectives that follow their noun in French and Spanish, between a noun of change and "de".
_AFTER_NOUN_ADJECTIVES = frozenset({"latente", "latent", "latentes", "latents", "total", "totale", "totales",
                                    "acumulada", "acumulado", "cumulée", "cumulé", "realizada", "réalisée"})
"""Words after a figure that give it a sign or a loss context ("a 3% drop", "8.7% below", "a 3% drawdown")."""


def near_words(raw_words: list[str]) -> tuple[list[str], list[str]]:
    """The words before a figure back to a punctuation barrier, lowercase and as written, nearest last."""
    near: list[str] = []
    near_case: list[str] = []
    for raw in reversed(raw_words):
        clean = raw.strip(_STRIP)
        low = clean.lower()
        if raw[-1] in _BARRIER and low not in _ABBREVIATIONS:
            break
        near.append(low)
        near_case.append(clean)
        if raw[0] in _BARRIER:
            break
    near.reverse()
    near_case.reverse()
    return near, near_case


def qualifiers(near: list[str], after: str, tilde: bool) -> tuple[Hedge, int | None, bool]:
    """Hedge, direction (-1, +1 or None) and loss context from the words before and the word after.

    Read right to left: ``[verb] [adverb] [time] [by] [a further] [hedge] FIGURE``, or ``[noun] of FIGURE``
    ("a loss of", "a drop of"), or ``noun is FIGURE`` ("The biggest drop was 0.27%"), or ``FIGURE [adjective] noun``
    ("an 11.8% monthly drop"), or a German verb at the clause end (``um FIGURE gefallen``, ``FIGURE verloren``). Words
    of time between the verb and the figure are skipped ("fell today by", "ist heute um", "a baissé aujourd'hui de",
    "bajó hoy un", "fell this week by").
    """
    hedge = Hedge.APPROX if tilde else Hedge.NONE
    rest = _without_time(near)
    if len(rest) >= 2 and (rest[-2], rest[-1]) in lx.HEDGE_PAIRS:
        hedge = _HEDGES[lx.HEDGE_PAIRS[(rest[-2], rest[-1])]]
        rest = rest[:-2]
    elif rest and rest[-1] in lx.HEDGE_APPROX:
        hedge, rest = Hedge.APPROX, rest[:-1]
    elif rest and rest[-1] in lx.HEDGE_AT_LEAST:
        hedge, rest = Hedge.AT_LEAST, rest[:-1]
    elif rest and rest[-1] in lx.HEDGE_AT_MOST:
        hedge, rest = Hedge.AT_MOST, rest[:-1]
    direction: int | None = None
    loss = False
    dropped = 0
    by = bool(rest) and rest[-1] in lx.BY_WORDS
    while rest and dropped < 3 and (
        rest[-1] in lx.FILLERS or (rest[-1].endswith("ly") and len(rest) > 1 and rest[-1] != "only")
    ):
        if rest[-1] in lx.OF_WORDS:
            noun = rest[-2] if len(rest) > 1 else ""
            j = 2
            if len(rest) > 2 and noun in lx.NOUN_COPULAS:
                j, noun = 3, rest[-3]  # "La pérdida latente es de 452,80 €", "La baisse est de 2 %"
            if len(rest) > j and noun in _AFTER_NOUN_ADJECTIVES:
                noun = rest[-j - 1]  # "una pérdida latente de", "une moins-value latente de": the noun's sign
            if noun in lx.LOSS_LABELS:
                loss = True
            elif rest[-1] in lx.FROM_AFTER_VERB and (noun in lx.NEGATIVE_WORDS or noun in lx.POSITIVE_WORDS):
                pass  # "fiel von 10.000 € auf 9.800 €": from, not by
            elif noun in lx.NEGATIVE_NOUNS or (noun in lx.NEGATIVE_WORDS and rest[-1] != "of"):
                direction = -1  # "a loss of", "ein Minus von", "a reculé de"
            elif noun in lx.POSITIVE_NOUNS or (noun in lx.POSITIVE_WORDS and rest[-1] != "of"):
                direction = 1
            break
        rest = rest[:-1]
        dropped += 1
    if direction is None and not loss and len(rest) >= 2 and rest[-1] in lx.NOUN_COPULAS:
        noun = rest[-2]  # "The biggest drop was 0.27%", "Der Rückgang betrug 2 %": the noun's sign
        if len(rest) >= 4 and rest[-3] in lx.OF_WORDS and noun not in lx.NEGATIVE_NOUNS | lx.POSITIVE_NOUNS:
            noun = rest[-4]  # "Der Verlust von MBG beträgt 45,59 %", "The loss on MBG is": the noun before its name
        direction = _noun_sign(noun)
    if direction is None and not loss and len(rest) >= 2 and (
        rest[-2] in lx.NOUN_COPULAS or (len(rest) >= 3 and rest[-2] in lx.NAME_ARTICLES and rest[-3] in lx.NOUN_COPULAS)
    ):
        direction = _noun_sign(rest[-1])  # the verb first: "Bei MBG beträgt der Verlust 45,59 %", "es la pérdida"
    if direction is None and not loss and rest:
        if rest[-1] in lx.NEGATIVE_WORDS:
            direction = -1
        elif rest[-1] == "up" and rest[-2:-1] and rest[-2] in _GIVE:
            direction = -1  # "NVDA gave up 2.84%": a loss
        elif rest[-1] in lx.POSITIVE_WORDS and not (rest[-1] == "up" and rest[-2:-1] and rest[-2] in lx.PHRASAL_UP):
            direction = 1  # "makes up 6.8%" is a share, not a rise
    if direction is None and not loss and by:
        direction = _compared(rest)  # "lagged SPY by 0.79 points", "trailed the benchmark by 0.8%"
    if direction is None and not loss and dropped and near and near[-1] in _INVERTED_BY:
        direction = _inverted(rest)  # "Diese Woche fiel Ihr Depot um 2,12 %", "cayó también un 2,12 %"
    if direction is None and not loss and after == "nach" and any(w in _GAVE for w in near):
        direction = -1  # "der Korb gab um 0,29 % nach": "nachgeben", split
    if direction is None and not loss:
        if after in _NEGATIVE_AFTER:
            direction = -1
        elif after in _POSITIVE_AFTER:
            direction = 1
        elif after in lx.LOSS_LABELS:
            loss = True
    return hedge, direction, loss


#: "By" in German and Spanish, after a verb that may stand before its subject or an adverb.
_INVERTED_BY = frozenset({"um", "un"})
#: Conjunctions: a verb before one belongs to another clause.
_JOINS = frozenset({"y", "e", "und", "oder", "o", "and", "et", "ou", "pero", "aber", "mais"})


def _inverted(rest: list[str]) -> int | None:
    """The sign of a verb of direction up to three words before "um"/"un", its subject or an adverb between them
    (German puts the verb before the subject after a word of time: "Heute fiel NVDA um 5,26 %", "Diese Woche
    fiel Ihr Depot um 2,12 %"; "su cartera cayó también un 2,12 %"); none when another figure's words or a
    comparison come first."""
    for k in range(len(rest) - 2, max(-1, len(rest) - 5), -1):
        word = rest[k]
        if word in _JOINS:
            return None  # "NVDA cayó hoy y pesa un 17,68 %": the verb of another clause
        if word in lx.NEGATIVE_WORDS:
            return -1
        if word in lx.POSITIVE_WORDS and word != "up":
            return 1
    return None


def _noun_sign(noun: str) -> int | None:
    """The sign a noun of change gives the figure it is said to be ("The biggest drop was 0.27%"): none for a loss
    label (a drawdown's magnitude) nor for "plus"/"ahead" (words of a comparison)."""
    if noun in lx.NEGATIVE_NOUNS and noun not in lx.LOSS_LABELS:
        return -1
    if noun in lx.POSITIVE_NOUNS and noun not in ("plus", "ahead"):
        return 1
    return None


def _compared(rest: list[str]) -> int | None:
    """The sign of a verb of comparison before its object, the words between it and "by" ("lagged SPY", "trailed
    the benchmark", "beat the S&P"): up to three words of object."""
    for k in range(len(rest) - 1, max(-1, len(rest) - 5), -1):
        word = rest[k]
        if word in lx.COMPARED_NEGATIVE:
            return -1 if k < len(rest) - 1 else None
        if word in lx.COMPARED_POSITIVE:
            return 1 if k < len(rest) - 1 else None
    return None


#: Prepositions and articles before a determiner and noun of time ("im selben Zeitraum", "over the same period").
_TIME_LINKS = frozenset({"in", "im", "over", "during", "for", "the", "sur", "la", "le", "en", "el", "il", "nel",
                         "nello", "no", "na", "durante", "während", "über", "al", "au", "dans", "am"})


def _without_time(near: list[str]) -> list[str]:
    """``near`` without the words of time among its last words, the fillers between them kept ("fell today by" is
    "fell by"; see ``lexicon.TIME_WORDS``)."""
    k = len(near)
    cut: list[int] = []
    while k > 0 and len(near) - k < 6:
        w = near[k - 1]
        if w in lx.TIME_WORDS:
            cut.append(k - 1)
            k -= 1
        elif w in lx.TIME_NOUNS and k > 1 and near[k - 2] in lx.TIME_DETERMINERS:
            cut += [k - 1, k - 2]
            k -= 2
            while k > 0 and len(near) - k < 6 and near[k - 1] in _TIME_LINKS:
                cut.append(k - 1)  # "verlor im selben Zeitraum 0,52 %", "fell over the same period"
                k -= 1
        elif w in lx.FILLERS and not cut:
            k -= 1  # "today by": the filler stays, only the time word goes
        else:
            break
    if not cut:
        return near
    return [w for i, w in enumerate(near) if i not in cut]


def count_at_least(near: list[str]) -> bool:
    """Whether the "more than" hedge before a COUNT figure (``near``: its words, nearest last) means more than:
    always for "more than", "at least", ">"...; for "over" and "above" only at the clause start or after a word of
    ``lexicon.COUNT_AT_LEAST_BEFORE`` ("You hold over 20 positions"), not where they are prepositions ("spread over 2
    sectors", "5 positions over 3 sectors": exactly 2, exactly 3)."""
    if not near or near[-1] not in lx.COUNT_PREPOSITIONS:
        return True
    j = len(near) - 2
    while j >= 0 and (near[j] in lx.COUNT_HEDGE_ADVERBS or (near[j].endswith("ly") and near[j] != "only")):
        j -= 1
    return j < 0 or near[j] in lx.COUNT_AT_LEAST_BEFORE
