"""Words and patterns of the figure grammar (see the package docstring), compiled once at import.

Word lists are matched by dictionary look-up on the few words around a number rather than by
large regex alternations, so the cost per figure does not grow with the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

from babel import Locale


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


SPACES = " \u00a0\u202f\u2009\u2007"
"""Spaces that may sit between a number and its currency or suffix (and group digits, except ASCII)."""

NUMBER = re.compile(
    r"(?P<sg>[1-9][0-9]{0,2}(?:[\u00a0\u202f\u2009\u2007'][0-9]{3})+|[1-9][0-9]{0,2}(?: [0-9]{3})+(?=,[0-9]))"
    r"(?:[.,](?P<sgd>[0-9]+))?(?![0-9])"
    r"|(?P<en>[1-9][0-9]{0,2}(?:,[0-9]{3})+)(?:\.(?P<end>[0-9]+))?(?![0-9])"
    r"|(?P<de>[1-9][0-9]{0,2}(?:\.[0-9]{3}){2,}|[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?=,[0-9]))(?:,(?P<ded>[0-9]+))?(?![0-9])"
    r"|(?P<pl>[0-9]+)(?:[.,](?P<pld>[0-9]+))?(?:[eE](?P<exp>[-+]?[0-9]{1,3})(?![0-9A-Za-z_]))?"
)
"""A number: grouped with no-break/thin spaces or apostrophes (or plain spaces before a decimal comma, as French is
often typed: 1 234,56), English (1,234.5), German (1.234.567,8 or 1.234,5), or plain with a decimal point or comma
and an optional exponent (6.2e3, 5E-3) that nothing alphanumeric follows (not 1e3x, 0x1e3f)."""
HAS_DIGIT = re.compile(r"[0-9]")

CURRENCY_SYMBOLS = {
    "US$": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "HK$": "HKD", "S$": "SGD",
    "NZ$": "NZD", "R$": "BRL", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
    "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "₿": "BTC", "Fr.": "CHF",
    # CLDR spellings of other locales (Babel): "CN¥1,234.56" (en), "1.234,56 CN¥" (de), "JP¥1,235" (zh),
    # "1 234,56 $US" (fr), "MX$", "NT$".
    "CN¥": "CNY", "JP¥": "JPY", "$US": "USD", "MX$": "MXN", "NT$": "TWD", "RMB¥": "CNY",
}
#: Currencies a bare sign also stands for in some locales: "¥1,234.56" is yuan in Chinese ("zh") and yen
#: elsewhere; "$" is the peso in "es-MX" and the Canadian dollar in "fr-CA".
SIGN_ALSO = {
    "¥": frozenset({"CNY", "JPY"}),
    "$": frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD"}),
}
CURRENCY_CODES = words(
    "USD EUR GBP JPY CHF CAD AUD NZD HKD SGD CNY CNH RMB SEK NOK DKK PLN CZK HUF INR KRW BRL MXN ZAR "
    "TRY RUB ILS AED SAR TWD THB IDR MYR PHP BTC ETH USDT USDC"
)
CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP",
    "yen": "JPY", "franc": "CHF", "francs": "CHF", "rupees": "INR", "yuan": "CNY",
    "dólares": "USD", "dólar": "USD",
}
#: Chinese units glued after a number: currencies, then magnitudes (万 10^4, 亿 10^8), then calendar
#: and clock units that make the number part of a date or time ("2026年12月8日", "11点").
CJK_CURRENCIES = (("人民币", "CNY"), ("美元", "USD"), ("欧元", "EUR"), ("日元", "JPY"), ("英镑", "GBP"),
                  ("港元", "HKD"), ("港币", "HKD"), ("元", "CNY"), ("块", "CNY"))
CJK_MAGNITUDES = {"万": 4, "亿": 8}
CJK_DATE_UNITS = frozenset("年月日号时點点分秒周")
CJK_PERCENT = ("个百分点", "百分点")
#: Chinese direction words just before a figure ("下跌¥45.10", "上涨了1.25%").
CJK_NEGATIVE = ("下跌", "下降", "下滑", "回落", "亏损", "减少", "跌", "降", "亏", "跌幅为", "跌幅", "减少了", "落后")
CJK_POSITIVE = ("上涨", "上升", "增长", "上扬", "盈利", "增加", "涨", "升", "涨幅为", "涨幅", "增加了")
#: Chinese words read as the English word the rules use (metric names of ``METRIC_NAMES``, a word of now): a Chinese
#: clause's only words (``extract._Scanner._clause``) with the Latin metric names in it (:data:`CJK_LATIN_METRICS`:
#: "1日VaR(95%)", "资金加权收益率(XIRR,年化)"), and words of its sentence (``Figure.antecedent``).
CJK_WORDS = {"时间加权": "twr", "资金加权": "mwr", "货币加权": "mwr", "内部收益率": "mwr", "最大回撤": "maxdrawdown",
             "回撤": "drawdown", "当前": "now", "当前回撤": "currentdrawdown", "目前回撤": "currentdrawdown",
             "当前的回撤": "currentdrawdown"}
CJK_WORD = re.compile("|".join(sorted(CJK_WORDS, key=len, reverse=True)))
CJK_LATIN_METRICS = re.compile(r"(?<![A-Za-z])(?:VaR|CVaR|XIRR|IRR|TWR|MWR)(?![A-Za-z])")
_SYMBOL_CHARS = "€$£¥₹₩₽₺₪₿"

# Magnitude suffixes, case-sensitive; the lowercase m/b and T count only next to a currency,
# because "5m" and "1m" are usually minutes, months or a return window, and "2T" is rare prose.
MAGNITUDES = {
    "k": 3, "K": 3, "thousand": 3, "Thousand": 3,
    "M": 6, "m": 6, "mn": 6, "mm": 6, "MM": 6, "MN": 6, "Mn": 6, "million": 6, "Million": 6, "Mio": 6,
    "B": 9, "b": 9, "bn": 9, "Bn": 9, "BN": 9, "billion": 9, "Billion": 9, "Mrd": 9,
    "T": 12, "tn": 12, "Tn": 12, "trillion": 12, "Trillion": 12,
}
MAGNITUDE_NEEDS_CURRENCY = frozenset({"m", "b", "T"})
#: Abbreviated magnitudes written with a dot before their currency ("14,41 Mio. €", "2 Mrd. USD"): the dot ends no
#: sentence.
DOTTED_MAGNITUDES = frozenset({"Mio", "Mrd"})

PERCENT_WORDS = frozenset({"%", "percent", "pct", "prozent"})
#: Percent words of two words: "4.3 per cent", "31,2 pour cent", "31,2 por ciento".
PERCENT_PAIRS = frozenset({("per", "cent"), ("pour", "cent"), ("por", "ciento")})
#: A percent sign or word right after a number ("1.985 %", "1.985 Prozent"): a number with a dot and three decimals
#: before it stays a decimal in a text that groups digits with dots (see ``extract._Scanner._dots_group``).
PERCENT_AFTER = re.compile(
    rf"[{SPACES}]?(?:%|(?i:percent|pct|prozent|per[{SPACES}]cent|pour[{SPACES}]cent|por[{SPACES}]ciento|pp|p\.p\.|bps?)"
    r"(?![A-Za-z]))"
)
#: "4.2 points" after a return is percentage points in a portfolio text (the core's insights say so).
POINT_WORDS = frozenset({"pp", "p.p.", "ppt", "ppts", "pts", "point", "points",
                         "prozentpunkte", "prozentpunkt", "prozentpunkten", "puntos", "punto", "punkte", "punkt",
                         "punkten", "punti", "pontos", "ponto"})
BASIS_POINT_WORDS = frozenset({"bp", "bps", "bips"})


def _nouns(kind: str, plural: str, singular: str = "") -> dict[str, tuple[str, bool]]:
    return {**{w: (kind, False) for w in singular.split()}, **{w: (kind, True) for w in plural.split()}}


#: Counted nouns after a number (lowercase, as a text writes them in en/de/fr/es/it/pt), each with its *kind* (what a
#: count of them is a count of; see :data:`COUNT_KINDS`) and whether it is plural. A singular noun counts only
#: after "1" ("1 position"). A noun written alike in several languages is listed once. Ambiguous words are left
#: out: fr "actions" (English "3 actions to take"), "valeurs"/"Werte"/"valores" (values), "part"/"parts".
COUNT_NOUNS: dict[str, tuple[str, bool]] = {
    **_nouns("holdings", """positions holdings stocks names companies assets securities funds etfs bonds tickers
        constituents members equities
        positionen wertpapiere lignes posiciones posizioni partecipazioni posições participações ativos""",
        """position holding stock name company asset security fund etf bond ticker equity
        wertpapier ligne posición posizione posição ativo"""),
    # a holding or a share: "20 titres détenus" of one position, "5 Aktien" held, "10 titoli", "7 ações"
    **_nouns("stocks", "aktien titel titres acciones títulos titoli azioni ações", "aktie titre acción título titolo"
             " azione ação"),
    **_nouns("quantity", "shares units lots contracts anteile stück participaciones quote cotas",
             "share unit lot contract anteil"),
    **_nouns("sectors", "sectors industries sektoren branchen secteurs sectores settori setores",
             "sector industry sektor branche secteur settore setor"),
    **_nouns("baskets", "baskets körbe paniers cestas panieri cesti cestos", "basket korb panier cesta paniere"
             " cesto"),
    **_nouns("observations", """days sessions observations returns
        renditen beobachtungen rendements séances rendimientos observaciones rentabilidades""",
             "day session observation return rendite beobachtung rendement séance rendimiento observación"),
    **_nouns("insights", "insights alerts hinweise warnungen alertes alertas avvisi segnalazioni avisos",
             "insight alert hinweis warnung alerte alerta avviso segnalazione aviso"),
    **_nouns("transactions", """transactions trades transaktionen buchungen opérations transacciones
        operaciones transazioni operazioni transações operações""",
             "transaction trade transaktion buchung opération transacción operación transazione operazione"
             " transação operação"),
    **_nouns("accounts", "accounts konten comptes cuentas conti contas", "account konto compte cuenta conto conta"),
    **_nouns("currencies", "currencies währungen devises divisas monedas valute moedas",
             "currency währung devise divisa moneda valuta moeda"),
    **_nouns("countries", "countries länder pays países paesi", "country land país paese"),
    **_nouns("dividends", "dividends payouts dividenden dividendes dividendos dividendi",
             "dividend payout dividende dividendo"),
    **_nouns("messages", "messages nachrichten mensajes messaggi mensagens", "message nachricht mensaje messaggio"
             " mensagem"),
    **_nouns("digests", "digests", "digest"),
    **_nouns("time", "weeks months years quarters hours", "week month year quarter hour"),
}
COUNT_UNITS = frozenset(COUNT_NOUNS)
#: Counted nouns that are English words too ("3 actions to take"): counted only in a French clause (a word of
#: :data:`FRENCH_MARKERS` before the number: "Vous avez 7 actions") or after a French partitive ("3 de vos actions").
FRENCH_COUNT_NOUNS: dict[str, tuple[str, bool]] = _nouns("stocks", "actions", "action")
FRENCH_MARKERS = words("""vous avez détenez possédez détient possède détiennent possèdent détiens possèdes j'ai
    votre vos ton tes notre nos leurs dont parmi comprend contient il elle nous tu portefeuille""")
FRENCH_PARTITIVE_STARTS = frozenset({"de", "des"})
#: Words between a counted noun and the name of what it counts: "12 shares of MSFT", "2 positions in Health Care",
#: "2 Positionen im Bereich"..., "2 Positionen aus dem Energiesektor", "2 lignes dans Énergie", "2 lignes du secteur
#: Énergie", "2 posiciones en Energía", "3 posizioni nel settore Energia", "3 posições no setor de energia".
NAME_LINKS = words("""of in im von aus de del du en dans di nel nella nei negli nelle della dei em no na nos nas do da
    dos""")
#: Articles between a link word and a name: "2 positions in the Energy sector", "2 lignes dans le secteur Énergie".
NAME_ARTICLES = words("the le la les der dem den el los las")
#: Words for "sector" between a name and a counted noun ("2 Energy sector positions", "1 tech-sector stock") or
#: between a link word and the name ("2 lignes du secteur Énergie", "2 posiciones en el sector de energía", "2
#: Positionen im Sektor Energie"): they say what the name is, and are left out of it.
SECTOR_NOUNS = words("sector industry secteur sektor branche bereich settore setor")
#: Words for a group after a word for "sector" ("6 sector groups", "5 industry groups"): a count of sectors; with
#: whether each is plural.
GROUP_NOUNS: dict[str, bool] = {**dict.fromkeys(words("group category"), False),
                                **dict.fromkeys(words("groups categories gruppen groupes grupos gruppi"), True)}
#: Counted nouns ending a German compound after a sector word ("2 Energiepositionen", "2 Technologiewerte",
#: "1 Gesundheitsaktie"), as the counted noun of :data:`COUNT_NOUNS` they stand for ("Werte" alone are values).
COMPOUND_NOUNS = {"positionen": "positionen", "position": "position", "aktien": "aktien", "aktie": "aktie",
                  "titel": "titel", "wertpapiere": "wertpapiere", "wertpapier": "wertpapier", "werte": "wertpapiere"}
#: A count whose noun is left out after a name of the facts ("2 in Technology and 1 in Energy", "10 shares of AAPL,
#: 12 of MSFT", "3 Positionen, davon 2 im Technologiesektor", "Of your 3 positions, 2 are in Technology"): the
#: number, maybe a copula, a word of :data:`NAME_LINKS` and the name. It counts the noun of the count before it in
#: its sentence (see ``ELIDED_GAP_BREAK``), or, when there is none, after a link of :data:`ELIDED_IN_LINKS`, positions.
ELIDED_COPULAS = words("is are sind ist sont est son están está")
#: Words right before a number that state it as a value ("count is 8306", "at 8306", "beträgt 8306", "è 8306"): a
#: held ticker symbol of digits after one of them is a figure, not the holding's name (``extract``).
VALUE_BEFORE = words("""is was are were be been being at equals equal equaled totals totaled totalled reached reaches
    hit hits by about around approximately roughly nearly almost ist war sind waren beträgt betrug betragen bei um
    etwa rund ca est était sont étaient environ es era fue son eran é foi são eram è sono erano circa""")
#: Verbs of holding before an implied count: "You hold 1 in Energy" states Energy's whole count, checked exactly (not
#: a part, as "1 in Technology is up" may be). See ``extract._breakdowns``.
HOLDING_VERBS = words("""hold holds own owns have has halten halte hältst hält haben habe hat besitzen besitzt
    détenez détiens détient détenons possédez possède avez tiene tienes tienen tengo tenemos posee poseen posees""")
#: Adverbs between a verb of holding and its count ("You only hold 1 in Energy", "You currently hold").
HOLDING_ADVERBS = words("""only currently still also now presently actually nur noch derzeit aktuell seulement
    actuellement solo sólo actualmente""")
#: Words after a list of implied counts that say something of the things counted, so that the counts may be a part
#: of their names' ("1 in Energy and 1 in Technology are up", "2 in Technology that rose"): no breakdown.
PART_PREDICATES = words("""is are was were be been has have had that which who whose whom where sind ist waren war
    haben hat die der das sont est étaient ont qui que dont son están está estaban eran tienen cuyo cuya cuyos""")
ELIDED_IN_LINKS = words("in im en dans")
ELIDED_NOUN = "positions"
#: Kinds of counted nouns (:data:`COUNT_NOUNS`) a later count may leave out: not times or observations ("Over 63
#: trading days, 2 in Energy" does not count days in Energy).
ELIDED_KINDS = frozenset({"holdings", "stocks", "quantity", "sectors", "baskets", "accounts", "transactions"})
#: Sector names in the words of other languages, or in a compound ("Energiesektor"), by their GICS names in English
#: (as the facts name sectors): a word names a sector of the facts only when exactly one of its candidates is one.
SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("technologie", "technologies", "technologique", "technologiques", "tecnología", "tecnologia", "tecnológica",
         "tecnológicas", "tecnológico", "tecnológicos", "tecnologie", "tecnologico", "tecnologici", "tecnologiche",
         "tecnologias", "informationstechnologie"),
        ("Technology", "Information Technology"),
    ),
    **dict.fromkeys(("energie", "énergie", "energía", "energético", "energéticas", "energéticos", "energética",
                     "énergétique", "énergétiques", "energia", "energetico", "energetici", "energetica",
                     "energetiche"), ("Energy",)),
    **dict.fromkeys(("gesundheit", "gesundheitswesen", "santé", "salud", "sanidad", "healthcare", "sanità", "salute",
                     "sanitario", "sanitari", "saúde"),
                    ("Health Care", "Healthcare")),
    **dict.fromkeys(("finanz", "finanzen", "finance", "finances", "finanzas", "financiero", "financieros",
                     "financières", "financier", "financiers", "financial", "financials", "finanzwerte", "finanza",
                     "finanziario", "finanziari", "finanziarie", "finanziaria", "finanças", "financeiro",
                     "financeiros", "financeira", "financeiras"), ("Financials",)),
    **dict.fromkeys(("industrie", "industriels", "industrielles", "industriales", "industria", "industrials",
                     "industriali", "industriais", "indústria", "industriel", "industrial"),
                    ("Industrials",)),
    **dict.fromkeys(("versorger", "versorgung", "utilities", "versorgungsunternehmen"), ("Utilities",)),
    **dict.fromkeys(("immobilien", "immobilier", "inmobiliario", "inmobiliaria", "immobiliare", "imobiliário",
                     "imobiliária", "imobiliario"), ("Real Estate",)),
    **dict.fromkeys(("rohstoffe", "grundstoffe", "matériaux", "materiales", "materials", "materiali", "materiais"),
                    ("Materials",)),
    # consumer goods: the discretionary or the staples, whichever the facts have
    **dict.fromkeys(("konsum", "konsumgüter", "consommation", "consumo"), ("Consumer Discretionary",
                                                                            "Consumer Staples")),
    **dict.fromkeys(("kommunikation", "kommunikationsdienste", "telekommunikation", "communication",
                     "communications", "télécommunications", "télécoms", "comunicaciones", "telecomunicaciones",
                     "comunicazione", "comunicazioni", "telecomunicazioni", "comunicação", "comunicações",
                     "telecomunicações"), ("Communication Services", "Communication", "Telecommunication Services")),
}
#: The word for "sector" ending a compound ("Energiesektor", "Technologie-Sektor").
SECTOR_SUFFIXES = ("sektors", "sektor", "branche")


def sector_word(word: str) -> tuple[str, ...] | None:
    """The English sector names a word may stand for (``SECTOR_WORDS``), the word for "sector" ending a compound
    left out ("Energiesektor": Energy); ``None`` for a word that is no sector word."""
    w = word.casefold()
    for suffix in SECTOR_SUFFIXES:
        if w.endswith(suffix) and len(w) > len(suffix):
            w = w[: -len(suffix)].rstrip("-")
            break
    return SECTOR_WORDS.get(w)
#: Words that make a whole number a count of something "effective" (a fractional, diversification-adjusted count):
#: only then may a whole COUNT figure cite a fractional count ("effectively 4 positions" for 3.87).
EFFECTIVE_WORDS = words("""effective effectively effektiv effektive effektiven effektiver effektives effectif
    effectifs effectives effectivement efectivo efectivos efectiva efectivas efectivamente""")
#: Adjectives that count the rest after one named thing: "AAPL is 24%; 4 other positions make up the rest" (5 in all).
OTHER_WORDS = words("""other remaining weitere weiteren anderen andere übrige übrigen verbleibende verbleibenden
    autres autre restantes restants restante otras otros otra otro demás""")
#: The same right after the counted noun ("Tiene 4 posiciones más además de AAPL", "4 lignes autres que AAPL",
#: "4 Positionen weitere"): they count the rest too. English "other"/"remaining" after a noun are left out ("4
#: positions remaining after the sale" may be the whole).
OTHER_AFTER_WORDS = words("más autres weitere weiteren restantes restants demás")
#: Words that pick some of the portfolio's things by rank ("your 3 largest positions are AAPL, MSFT and JNJ"): a
#: count so qualified is a part of the portfolio's things, which no fact counts (see ``matching._count_limits``).
SELECTION_WORDS = words("""largest biggest smallest top bottom best worst best-performing worst-performing
    leading main major heaviest highest lowest strongest weakest größten grössten kleinsten besten schlechtesten
    wichtigsten stärksten schwächsten größte grösste kleinste beste schlechteste wichtigste principales
    principaux meilleures meilleurs pires mayores menores mejores peores""")
#: All-caps words that are not ticker symbols: a capitalised qualifier of a count that is one of these ("5 US
#: stocks", "3 ETF positions") names a kind of thing, not a position absent from the data (see
#: ``matching._ticker_like``). Currency codes (:data:`CURRENCY_CODES`) are not tickers either.
NOT_TICKERS = words("""US USA UK EU EM DM EMEA APAC LATAM ETF ETN ETC AI IT REIT ADR GDR ESG SRI IPO SPAC GDP CEO
    CFO NYSE AMEX OTC DAX FTSE CAC SMI TSX ASX MSCI FX EV SME SMID PE VC NAV DRIP IRA ISA SIPP PEA ISIN ASEAN BRIC
    BRICS OPEC OECD GICS ICB""")
#: What a count of each kind of counted noun is: facts named by the words of their own key (the list of a
#: ``<list>.count``, else the last key: ``position_count``, ``risk.observations``, ``effective_sector_count``), as
#: alternatives of (key words, COUNT facts only). A COUNT figure whose noun has a kind here grounds only to such
#: facts, even when no fact has them: "5 sectors" with no sector count is ungrounded, not any fact equal to 5, and
#: "3 years ago" no count of something else that is 3. Holdings, sectors... are counted by COUNT facts only; a
#: number of shares is a quantity, of days or returns an observation count, whatever kind the fact has.
_HOLDINGS_KEYS = words("positions position holdings holding stocks securities symbols members constituents")
_QUANTITY_KEYS = words("quantity qty shares units")
COUNT_KINDS: dict[str, tuple[tuple[frozenset[str], bool], ...]] = {
    "holdings": ((_HOLDINGS_KEYS, True),),
    "quantity": ((_QUANTITY_KEYS, False),),
    "stocks": ((_HOLDINGS_KEYS, True), (_QUANTITY_KEYS, False)),
    "sectors": ((words("sectors sector industries industry"), True),),
    "baskets": ((words("baskets basket"), True),),
    "observations": ((words("observations observation days sessions"), False),),
    "insights": ((words("insights insight alerts alert"), True),),
    "transactions": ((words("transactions transaction trades trade"), True),),
    "accounts": ((words("accounts account"), True),),
    "currencies": ((words("currencies"), True),),
    "countries": ((words("countries country"), True),),
    "dividends": ((words("dividends dividend payouts"), True),),
    "messages": ((words("messages message"), True),),
    "digests": ((words("digests digest"), True),),
    "time": ((words("weeks week months month years year quarters quarter hours hour"), False),),
}
#: Words between a number and a counted noun that make it part of them: "8 of your positions", "3 Ihrer Positionen",
#: "2 de vos lignes", "4 de tus acciones", "3 delle tue posizioni", "3 das suas posições" (the noun must be plural;
#: one adjective may come before it). Not another's: "12,000 of its shares" are a fund's.
PARTITIVES: frozenset[tuple[str, ...]] = frozenset(
    {("of", w) for w in words("your the these those my our")}
    | {(w,) for w in words("ihrer deiner eurer unserer der dieser meiner")}
    | {("von", w) for w in words("ihren deinen euren unseren den diesen meinen")}
    | {("de", w) for w in words("vos tes nos ses leurs ces mes")}
    | {("des",)}
    | {("de", w) for w in words("tus sus nuestras nuestros vuestras vuestros las los estas estos mis")}
    | {("delle", w) for w in words("tue sue vostre nostre mie")}
    | {("dei", w) for w in words("tuoi suoi vostri nostri miei")}
    | {("das", w) for w in words("suas tuas nossas minhas")}
    | {("dos", w) for w in words("seus teus nossos meus")}
)
#: Words between a count and the larger count it is part of: "3 of 5 sectors", "3 out of your 5 positions", "3 Ihrer
#: 5 Positionen", "3 von 5 Sektoren", "2 de vos 4 lignes", "2 sur 4 lignes", "4 de tus 6 posiciones", "3 su 5
#: posizioni", "3 das 5 posições" (any partitive, or a bare "of"/"von"/"de"/"sur"/"su"/"di"; see ``SUBSET_GAP``).
SUBSET_LINKS: frozenset[tuple[str, ...]] = frozenset(
    PARTITIVES
    | {("of",), ("out", "of"), ("von",), ("de",), ("sur",), ("su",), ("di",), ("das",), ("dos",), ("delle",),
       ("dei",)}
    | {("out", "of", w) for w in words("your the these those my our")}
)
SUBSET_STARTS = frozenset(link[0] for link in SUBSET_LINKS)
TIME_UNITS = words("day days week weeks month months year years quarter quarters session sessions hour hours")

NEGATIVE_WORDS = words("""fell fall falls falling dropped drop drops dropping declined decline declines declining
    lost lose loses losing slid slide slides sliding slipped slip slips sank sink sinks tumbled tumbles
    plunged plunges plummeted plummets decreased decrease decreases shed sheds dipped dip dips
    retreated retreats shrank shrunk contracted slumped down lower underperformed underperforming
    lagged lagging trailed trails fallen sunk slumps
    fiel sank gesunken gefallen verlor verloren nachgegeben rutschte
    recule reculé baissé chuté perdu diminué cédé
    bajó baja cayó cae perdió retrocedió disminuyó descendió pierden pierde pierdes perdiste perdemos
    perd perdent off plunge plunging tanked tank tanks tanking tumbling tumble sinking sunk
    perdido caído bajado retrocedido desplomó desplomado hundió hundido derrumbó cedió cedido
    ceduto ceduta crollato crollata crollò despencou afundou dégringolé
    sceso scesa scesi scese calato calata calati perso persa perde perdono ribassato arretrato
    caiu caíram cai perdeu perderam recuou desvalorizou scende cala arretra recua desvaloriza
    subtracted subtracts subtracting shaved""")
POSITIVE_WORDS = words("""rose rise rises rising risen gained gain gains gaining climbed climb climbs increased increase
    increases jumped jump jumps surged surge surges advanced advance advances added adds grew grow
    grows rallied rally rallies soared soars up higher outperformed outperforming beat beats ahead
    appreciated
    stieg gestiegen legte zugelegt gewann gewonnen
    progressé progresse augmenté gagné monté grimpé
    subió sube ganó aumentó avanzó creció ganado subido crecido aumentado avanzado
    salito salita saliti guadagnato guadagnata guadagna cresciuto aumentato
    subiu subiram sobe ganhou valorizou cresceu avançou sale cresce avanza guadagnano valoriza avança""")
# Nouns that give a sign when followed by "of" before the figure ("a loss of $420") or when they
# follow it ("a 3% drop"). "drawdown" gives a loss context instead (see LOSS_LABELS).
NEGATIVE_NOUNS = words(
    "loss losses drop drops decline declines fall hit moins-value moins-values tagesverlust wochenverlust "
    "kursverlust buchverlust "
    "falls dip slide decrease decreases slump pullback selloff behind "
    "minus rückgang verlust baisse perte recul chute bajada caída pérdida descenso "
    "dahinter retard retraso perdita calo ribasso perda"
)
#: Verbs between a noun of change and its figure ("The biggest drop was 0.27%", "Der Rückgang betrug 2 %", "La baisse
#: est de 2 %"): the figure takes the noun's sign.
NOUN_COPULAS = words("is was were are stood came amounted betrug beträgt war ist était est fue es")
POSITIVE_NOUNS = words(
    "gain gains rise rises increase increases jump rally surge advance climb uptick appreciation ahead "
    "plus gewinn anstieg zuwachs hausse progression subida alza ganancia aumento guadagno rialzo ganho valorização"
)

HEDGE_APPROX = words("""about around roughly approximately approx approx. nearly almost some circa ca. ~ ≈ close
    estimated rund etwa ungefähr ca environ approximativement aproximadamente""")
HEDGE_AT_LEAST = frozenset({"over", "above", "exceeding", "north", "upwards", ">", "≥"})
HEDGE_AT_MOST = frozenset({"under", "below", "<", "≤", "south"})
#: Before a count, "over" and "above" are also prepositions: "spread over 2 sectors", "5 positions over 3 sectors"
#: count exactly. They mean "more than" only at the clause start or after one of these words (maybe with an adverb
#: between: "well over", "spread evenly over" is still across): "You hold over 20 positions", "with over 20 stocks".
COUNT_PREPOSITIONS = frozenset({"over", "above"})
COUNT_AT_LEAST_BEFORE = words("""hold holds held holding own owns owned owning have has had having with is are was
    were be been being contains contain contained containing includes include included including comprises comprise
    comprised number numbers numbered totals total totalled totaled counts count counted to of in across than""")
COUNT_HEDGE_ADVERBS = words("well just slightly comfortably already now still barely a bit little")
# Two-word hedges: (word before, last word).
HEDGE_PAIRS = {
    ("more", "than"): "AT_LEAST", ("greater", "than"): "AT_LEAST", ("at", "least"): "AT_LEAST",
    ("north", "of"): "AT_LEAST", ("upwards", "of"): "AT_LEAST", ("excess", "of"): "AT_LEAST",
    ("less", "than"): "AT_MOST", ("fewer", "than"): "AT_MOST", ("at", "most"): "AT_MOST",
    ("up", "to"): "AT_MOST", ("south", "of"): "AT_MOST", ("close", "to"): "APPROX",
    ("an", "estimated"): "APPROX", ("près", "de"): "APPROX", ("autour", "de"): "APPROX",
    ("alrededor", "de"): "APPROX", ("cerca", "de"): "APPROX",
}
NOT_ADJECTIVES = words("""this that these those per a an the of in on at for last next past every each
    and or nor but und oder et ou y o from with by into across among between via""")
"""Words that never qualify a counted noun after a number: "1 and position 2" counts no positions."""
PHRASAL_UP = words("make makes made making take takes took taking add adds added adding sum sums")
FILLERS = frozenset({"by", "a", "further", "another", "just", "only", "some", "of", "solo", "sólo", "nur",
                     "seulement",
                     "um", "un", "una", "ein", "eine", "von", "de", "del", "d'un", "d'une", "en", "di", "dell",
                     "l", "dello", "della", "il", "lo"})  # "dell", "l": "dell'1,08%", "l'1,08%" (the elided article)
#: Words that link a noun to its figure like "of" ("a loss of $420", "ein Minus von", "en baisse de").
OF_WORDS = frozenset({"of", "von", "de", "del", "di", "dell", "dello", "della"})

RATIO_LABELS = words(
    "sharpe sortino calmar treynor beta ratio ratios "
    "correlation p/e pe leverage multiple r-squared r²"
)
LOSS_LABELS = words("drawdown drawdowns dd maxdrawdown currentdrawdown var cvar shortfall loss losses underwater")
CONFIDENCE_WORDS = frozenset({"var", "cvar", "confidence", "ci", "es"})
#: Metric names as the texts of the five locales write them, read as the one word the rules and the fact paths
#: use (``var_95``, ``volatility``): names of several words ("value at risk", "standard deviation", "caída
#: máxima"; a hyphenated word is read as its parts: "Value-at-Risk", "Sharpe-Ratio") and other spellings
#: ("Volatilität", "bêta", "TCAM"). Keys are lowercase.
METRIC_NAMES: dict[tuple[str, ...], str] = {
    # en
    ("value", "at", "risk"): "var", ("conditional", "value", "at", "risk"): "cvar", ("conditional", "var"): "cvar",
    ("expected", "shortfall"): "shortfall", ("standard", "deviation"): "volatility",
    ("compound", "annual", "growth", "rate"): "cagr",
    # returns named by how they are weighted, and the return in the holdings' own currencies: only that fact ("Your
    # time-weighted return is 10.13%" is no money-weighted return that happens to be 10.13%)
    ("time", "weighted", "return"): "twr", ("time", "weighted"): "twr", ("money", "weighted", "return"): "mwr",
    ("money", "weighted"): "mwr", ("internal", "rate", "of", "return"): "mwr", ("irr",): "mwr", ("mwr",): "mwr",
    ("dollar", "weighted", "return"): "mwr", ("xirr",): "mwr", ("local", "return"): "localreturn",
    ("local", "currency", "return"): "localreturn", ("zeitgewichtete",): "twr", ("zeitgewichteten",): "twr",
    ("geldgewichtete",): "mwr", ("geldgewichteten",): "mwr", ("kapitalgewichtete",): "mwr",
    ("pondéré", "par", "le", "temps"): "twr", ("pondéré", "dans", "le", "temps"): "twr",
    ("pondéré", "par", "les", "capitaux"): "mwr", ("ponderada", "por", "el", "tiempo"): "twr",
    ("ponderada", "por", "tiempo"): "twr", ("ponderada", "en", "el", "tiempo"): "twr",
    ("ponderada", "por", "el", "dinero"): "mwr", ("ponderada", "por", "dinero"): "mwr",
    ("ponderato", "per", "il", "tempo"): "twr", ("ponderato", "per", "il", "denaro"): "mwr",
    ("ponderado", "pelo", "tempo"): "twr", ("ponderada", "pelo", "tempo"): "twr",
    ("ponderado", "pelo", "dinheiro"): "mwr", ("ponderada", "pelo", "dinheiro"): "mwr",
    # metrics a data block does not carry: a figure for one is no other fact's ("The dividend yield is 0.6%" is no
    # day's return; "Your dividend income was $120" cites only an income fact)
    ("dividend", "yield"): "yield", ("yield",): "yield", ("expense", "ratio"): "ter", ("ter",): "ter",
    ("dividend", "income"): "dividendincome", ("dividendenrendite",): "yield", ("ausschüttungsrendite",): "yield",
    ("gesamtkostenquote",): "ter", ("dividendenertrag",): "dividendincome", ("dividendeneinnahmen",): "dividendincome",
    ("rendement", "du", "dividende"): "yield", ("rendement", "en", "dividendes"): "yield",
    ("frais", "courants"): "ter", ("rentabilidad", "por", "dividendo"): "yield",
    # a holding's amounts, named: only that amount ("Your cost basis in MSFT is $1,960" is no market value that
    # happens to be $1,960; "NVDA's current price is $90" no average cost)
    **{name: "avgcost" for name in (
        ("average", "cost"), ("avg", "cost"), ("average", "price"), ("average", "purchase", "price"),
        ("average", "buy", "price"), ("average", "entry", "price"), ("average", "cost", "basis"), ("einstandskurs",),
        ("durchschnittlicher", "einstandskurs"), ("durchschnittlichen", "einstandskurs"), ("durchschnittskurs",),
        ("durchschnittlicher", "kaufkurs"), ("durchschnittlichen", "kaufkurs"), ("durchschnittspreis",),
        ("prix", "de", "revient", "moyen"), ("prix", "moyen"), ("prix", "d'achat", "moyen"), ("pru",),
        ("coût", "moyen"), ("precio", "medio"), ("precio", "promedio"), ("precio", "medio", "de", "compra"),
        ("coste", "medio"), ("costo", "medio"), ("costo", "promedio"), ("prezzo", "medio"),
        ("prezzo", "medio", "di", "carico"), ("prezzo", "medio", "di", "acquisto"), ("prezzo", "di", "carico"),
        ("preço", "médio"), ("preço", "médio", "de", "compra"), ("custo", "médio"))},
    **{name: "costbasis" for name in (
        ("cost", "basis"), ("total", "cost"), ("einstandswert",), ("anschaffungskosten",), ("anschaffungswert",),
        ("prix", "de", "revient"), ("prix", "de", "revient", "total"), ("coût", "d'acquisition"),
        ("coût", "de", "revient"), ("base", "de", "coste"), ("coste", "de", "adquisición"),
        ("costo", "de", "adquisición"), ("coste", "total"), ("costo", "total"), ("costo", "di", "acquisto"),
        ("custo", "de", "aquisição"), ("custo", "total"))},
    **{name: "marketvalue" for name in (
        ("market", "value"), ("marktwert",), ("kurswert",), ("valeur", "de", "marché"), ("valor", "de", "mercado"),
        ("valore", "di", "mercato"))},
    **{name: "lastprice" for name in (
        ("current", "price"), ("last", "price"), ("latest", "price"), ("share", "price"), ("stock", "price"),
        ("aktueller", "kurs"), ("aktuellen", "kurs"), ("aktuelle", "kurs"), ("aktienkurs",), ("cours", "actuel"),
        ("precio", "actual"), ("cotización", "actual"), ("prezzo", "attuale"), ("prezzo", "corrente"),
        ("preço", "atual"), ("cotação", "atual"))},
    ("position", "hhi"): "positionhhi", ("positions", "hhi"): "positionhhi", ("holdings", "hhi"): "positionhhi",
    ("sector", "hhi"): "sectorhhi", ("sectors", "hhi"): "sectorhhi",
    # de
    ("volatilität",): "volatility", ("standardabweichung",): "volatility",
    # fr
    ("volatilité",): "volatility", ("écart", "type"): "volatility", ("valeur", "à", "risque"): "var",
    ("valeur", "en", "risque"): "var", ("perte", "maximale"): "maxdrawdown",
    ("baisse", "maximale"): "maxdrawdown", ("baisse", "actuelle"): "currentdrawdown",
    ("perte", "moyenne", "attendue"): "cvar", ("bêta",): "beta", ("tcam",): "cagr",
    # es
    ("volatilidad",): "volatility", ("desviación", "estándar"): "volatility", ("desviación", "típica"): "volatility",
    ("valor", "en", "riesgo"): "var", ("caída", "máxima"): "maxdrawdown", ("caída", "actual"): "currentdrawdown",
    ("pérdida", "esperada"): "cvar", ("alfa",): "alpha", ("tcac",): "cagr",
    # a drawdown named as the deepest or as today's: only that drawdown ("Max drawdown was 2.8%" is no current one)
    **{(q, d): "maxdrawdown" for q in ("max", "maximum", "maximal", "maximale", "maximaler", "maximalen", "worst",
                                       "largest", "biggest", "deepest", "größter", "größte", "größten", "grösster")
       for d in ("drawdown", "drawdowns", "dd")},
    **{(d, q): "maxdrawdown" for q in ("maximal", "maximum", "max", "máximo", "máxima") for d in ("drawdown",)},
    **{(q, d): "currentdrawdown" for q in ("current", "present", "ongoing", "aktueller", "aktuelle", "aktuellen",
                                           "derzeitiger", "derzeitige") for d in ("drawdown", "drawdowns", "dd")},
    **{(d, q): "currentdrawdown" for q in ("actuel", "actual", "courant") for d in ("drawdown",)},
}
_LONGEST_METRIC_NAME = max(map(len, METRIC_NAMES))
_METRIC_NAME_STARTS = frozenset(name[0] for name in METRIC_NAMES)
#: Hyphenated words that are one name, not parts.
_WHOLE_HYPHENATED = frozenset({"r-squared"})
#: Words that say a metric is missing: the figure after them is about something else ("Sharpe is unavailable,
#: TWR 11.95%", "Sharpe n/a, beta 0.58"). Words that only say so negated ("not available", "cannot be computed",
#: "nicht verfügbar", "no disponible", "pas disponible") are in NEGATED_AVAILABLE, those that only say so right
#: after the metric ("Sharpe ratio is unknown", not "with missing days") in MISSING_AFTER; bare "available",
#: "missing" or "unknown" say nothing ("Sharpe ratio on the available history is 0.58" is the Sharpe ratio).
NOT_AVAILABLE = words("unavailable n/a undefined indisponible uncomputable")
NEGATED_AVAILABLE = words("""available computed calculated computable calculable meaningful defined
    verfügbar berechnet berechenbar vorhanden disponible calculé calculée défini calculado calculada definido""")
NEGATIONS = words("not no t cannot never nicht nie kein keine pas non jamais")
MISSING_AFTER = words("missing unknown unbekannt fehlt inconnu inconnue manquant desconocido desconocida falta")
#: Words before a metric that say it does not exist: "There is no Sharpe ratio yet", "kein Sharpe-Ratio".
NO_METRIC = words("no without kein keine keinen ohne sin ningún ninguna sans aucun aucune")
#: Words between a metric and what is said of it: "Sharpe ratio is unknown", "volatility has risen".
COPULAS = words("""is are was were be been being has have had remains remained stays stayed still now currently
    ratio ratios s annualised annualized annual ist sind war hat haben bleibt est sont était a reste es son
    fue ha está sigue""")
#: Nouns that make a figure the subject's own, nearer than a metric word before them: "Despite low volatility,
#: your time-weighted return is 11.95%" is the return; "Sharpe ratio value: 0.58" stays the Sharpe ratio.
SUBJECT_NOUNS = words("""return returns twr value worth pnl p&l profit gain gains cash price weight performance
    rendite wertentwicklung wert gewinn rendement valeur rentabilidad rendimiento valor ganancia""")
#: Verbs of a change or return: "Despite low volatility, your portfolio returned 11.95%" is the portfolio's return,
#: while "volatility rose to 12%" (the metric right before it) stays the volatility.
PERFORMANCE_VERBS = words("""returned earned made yielded delivered generated rendierte erwirtschaftete erzielte
    rapporté rindió generó obtuvo""")


@lru_cache(maxsize=8192)  # the same few label phrases recur in every text
def metric_words(context: tuple[str, ...]) -> tuple[str, ...]:
    """``context`` (a figure's words, nearest last) lowercased, hyphenated words split, and each metric name of
    :data:`METRIC_NAMES` read as its word, longest name first: ``("value", "at", "risk", "is")`` is ``("var",
    "is")``, ``("Sharpe-Ratio",)`` is ``("sharpe", "ratio")``."""
    lowered = tuple(map(str.lower, context))
    if not any("-" in word or word in _METRIC_NAME_STARTS for word in lowered):
        return lowered  # the common case: nothing to split or replace
    parts = [
        part for word in lowered for part in ((word,) if word in _WHOLE_HYPHENATED else word.split("-")) if part
    ]
    out: list[str] = []
    i = 0
    while i < len(parts):
        for n in range(min(_LONGEST_METRIC_NAME, len(parts) - i), 0, -1):
            name = METRIC_NAMES.get(tuple(parts[i : i + n]))
            if name is not None:
                out.append(name)
                i += n
                break
        else:
            out.append(parts[i])
            i += 1
    return tuple(out)

RANK_WORDS = words("""top bottom no. no # number rank ranked step option part page section item table figure tier level
    phase version release python ios android api chapter question round day week""")
#: Words before a small whole number that make it a label, not a figure: "position 2", "point 3".
LABEL_WORDS = words("position point")
#: Capitalised words before "(3)" or ": 3" that label a step, a note or a rank, not a sector or a basket whose
#: positions the number counts ("Step (2)", "Note: 1"; see ``extract._Scanner._listed_name``).
LISTED_NOT_NAMES = RANK_WORDS | LABEL_WORDS | words("""note notes footnote fn ref reference source sources step steps
    phase stage round chapter chap appendix exhibit annex example question answer q a day week month year quarter
    version v round priority score rating grade total sum subtotal positions position holdings count sectors sector
    baskets basket stocks shares risk scenario case point points schritt hinweis anmerkung beispiel frage stufe
    étape remarque exemple paso nota ejemplo pregunta""")
RANK_AFTER = words("largest biggest smallest best worst top most least main key major leading")
PERIOD_WORDS = words("last past next previous over within trailing rolling for in the during coming first recent")
TEMPORAL_WORDS = words("in since during by until from before after through of to between and early late mid end fy")
INDEX_WORDS = words(
    "s&p russell nasdaq ftse dax cac stoxx nikkei dow "
    "seng topix kospi sensex nifty asx ibex aex smi tsx"
)
MONTHS = words("""January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec""")
MONTHS = MONTHS | frozenset(
    name.rstrip(".")
    for lang in ("es", "de", "fr")
    for context in ("format", "stand-alone")
    for width in ("wide", "abbreviated")
    for month in Locale.parse(lang).months[context][width].values()
    for name in (month, month.capitalize())
)
ORDINALS = frozenset({"st", "nd", "rd", "th"})
TIME_OF_DAY = frozenset({"am", "pm", "a.m.", "p.m.", "AM", "PM"})


def _reverse_alternation(words: list[str]) -> str:
    return "|".join(re.escape(w[::-1]) for w in sorted(words, key=len, reverse=True))


_REV_CURRENCY = _reverse_alternation([*CURRENCY_SYMBOLS, *CURRENCY_CODES])

# Applied to the REVERSED text at the number's start: what is glued to the left of the number,
# read right to left: sign, currency (optionally one space), accounting "(", sign, "~", emphasis.
# A dash after "%" joins a range ("5%-10%"), it is not the sign of the upper end.
LEFT_ADJACENT_REV = re.compile(
    r"(?P<sin>[-+](?![0-9A-Za-z%]))?"
    rf"(?:[{SPACES}]?(?P<cur>{_REV_CURRENCY})(?![A-Za-z]))?"
    r"(?P<paren>\()?"
    r"(?P<sout>[-+](?![0-9A-Za-z%]))?"
    r"(?P<tilde>[~≈])?"
    r"(?P<md>[*_]{1,3})?"
)
# Up to five space-separated words to the left (reversed), on the same line.
#: An elided article glued to a figure, reversed ("dell'1,08%", "l'1,5%", "all'2%"): a word of its own.
ELIDED_BEFORE_REV = re.compile(r"['’][a-zà-ú]{1,5}(?![a-zà-ú])", re.IGNORECASE)
LEFT_WORDS_REV = re.compile(rf"(?:[{SPACES}\t]+[^\s0-9]{{1,24}}){{0,5}}")
# The label gap (reversed): back to a digit, a line break or sentence punctuation.
LABEL_GAP_REV = re.compile(r"(?:[^0-9\n.!?;]|(?<=[A-Z])\.(?=[A-Z])){0,96}")
LABEL_GAP = 48
"""The label gap's first characters (back from the number) hold a figure's context; up to twice as many its lead
(the clause's words before: "Your Sharpe ratio, with missing days left out, is 0.58")."""
_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"  # ASCII and Latin letters ("Volatilität", "bêta")
CONTEXT_WORD = re.compile(rf"[{_LETTER}][{_LETTER}0-9&/²_-]*(?:\.[A-Z]+)?")

_SEP = rf"[*_]{{0,3}}[{SPACES}]{{0,2}}"
#: A metric name right after a percent that makes the percent its confidence level ("95% value at risk", "95%
#: expected shortfall", "95 % Value-at-Risk"), like the words of CONFIDENCE_WORDS.
CONFIDENCE_AFTER = re.compile(
    rf"[{SPACES}*_(]{{0,4}}(?i:(?:conditional[{SPACES}-]+)?value[{SPACES}-]+at[{SPACES}-]+risk|expected[{SPACES}]+shortfall"
    rf"|valeur[{SPACES}]+(?:à|en)[{SPACES}]+risque|valor[{SPACES}]+en[{SPACES}]+riesgo)(?![A-Za-z])"
)
_LATIN = "A-Za-z\u00c0-\u024f"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = (
    rf"p\.p\.|a\.m\.|p\.m\.|%|[A-Z]{{1,2}}[{_SYMBOL_CHARS}]|[{_LATIN}]+|[{_CJK}]+"
    rf"|[{_SYMBOL_CHARS}][A-Z]{{2}}(?![a-z])|[{_SYMBOL_CHARS}]"
)
CJK_CHARS = re.compile(f"[{_CJK}]")
CJK_RUN_BEFORE_REV = re.compile(f"[{_CJK}]{{1,8}}")
#: German ordinal dot before a month: "8. Dezember".
MONTH_AFTER_DOT = re.compile(rf"\.[{SPACES}]?([{_LATIN}]+)")
# Forward, at the number's end: the next up to four words or symbols.
RIGHT = re.compile(
    rf"(?P<sp1>{_SEP})(?P<w1>{_TOKEN})?"
    rf"(?:(?P<sp2>{_SEP})(?P<w2>{_TOKEN}))?"
    rf"(?:[{SPACES}]{{1,2}}(?P<w3>[{_LATIN}]+))?"
    rf"(?:[{SPACES}]{{1,2}}(?P<w4>[{_LATIN}]+))?"
)
# Forward, at the number's end: a continuation that makes the token a date, time, version or path.
CONTINUATION = re.compile(
    r"(?P<date>-[0-9]{1,2}-[0-9]{1,2}(?![0-9])"
    r"(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?)"
    r"|(?P<ym>-[0-9]{2}(?![0-9]))"
    r"|(?P<chain>(?:[/.:][0-9]+)+(?:[ ]?[AaPp]\.?[Mm]\.?(?![A-Za-z]))?)"
)
#: The scale after a score ("/100", "/10", "/5"): "9.9/100" and "4.5/5" are scores (a decimal, or out of
#: 100), while "8/10" stays a date.
SCORE_SCALE = re.compile(r"/(100|10|5)")
#: Between the two ends of a range, up to the upper end's digits (past its currency sign): "5-10%", "5 - 10 %",
#: "$5-$10", "5 to 10%", "5 bis 10 %"; the joining words in AND_WORDS only after "between" ("between 5 and 10%").
#: An en dash is a hyphen after normalisation ("5–10%"); an em dash joins a range here only ("5—10%", "$5 — 10M"),
#: since elsewhere it is punctuation, not a minus ("Returns—5.2% this week").
RANGE_SEP = re.compile(
    rf"(?:[-\u2014]|[{SPACES}][-\u2014][{SPACES}]|[{SPACES}](?P<word>to|bis|à|a|and|und|et|y)[{SPACES}])"
    rf"(?:[{_SYMBOL_CHARS}])?(?=[0-9])"
)
#: After the link words of a part ("3 of your"): the gap to the whole's digits ("5 positions").
SUBSET_GAP = re.compile(rf"[{SPACES}]{{1,2}}(?=[0-9])")
#: After a name that follows a counted noun: the name is the first of a list of names ("in Technology, Energy and
#: ...", "in Technology and Energy"; not "12 shares of AAPL and 10 shares of MSFT", "of AAPL, 10 of MSFT").
_LIST_WORD = r"(?:and|und|et|y|or|oder|ou|o)"
LIST_NEXT = re.compile(
    rf"(?:[{SPACES}]*[,&/][{SPACES}]*(?:{_LIST_WORD}[{SPACES}]+)?|[{SPACES}]+{_LIST_WORD}[{SPACES}]+)"
    r"[A-Z\u00c0-\u00de]"
)
#: What may stand between a count and a later count that leaves its noun out ("10 shares of AAPL, 12 of MSFT", "3
#: positions: 2 in Technology", "3 Positionen, davon 2 im ..."): words of one sentence, no other number, that only
#: join them as a list (a mark of ``ELIDED_GAP_MARK`` or a word of ``ELIDED_JOINERS``), maybe after the first count's
#: name (see ``extract._joins_list``).
ELIDED_GAP_BREAK = re.compile(r"[0-9.!?\n]")
ELIDED_GAP_MARK = re.compile("[,:;(\u2014]")
ELIDED_GAP_WORD = re.compile(r"[^\W\d_]+")
ELIDED_JOINERS = words("""and und et y plus with mit avec con davon dont darunter including which among them parmi
    entre cuales""")
#: The words after a counted noun or a number, read to find the name they link to: separated by spaces (and
#: emphasis marks), a French elided article left out ("du secteur de l'énergie").
TAIL_WORD = re.compile(rf"[*_]{{0,3}}[{SPACES}]{{1,2}}[*_]{{0,3}}(?:[dDlL]')?([{_LATIN}]+)")
#: A second part after a hyphen ("Energie-Positionen", "Energy-sector"): letters up to a non-letter, no hyphen.
HYPHEN_PART = re.compile(rf"-([{_LATIN}]+)(?![{_LATIN}-])")
AND_WORDS = frozenset({"and", "und", "et", "y"})
_NAME_WORD = r"[A-Z\u00c0-\u00de][A-Za-z\u00c0-\u024f0-9&.-]*"
#: A hedge between a name and its figure in a list that shares a verb ("and MMM about 0.6%").
_GAP_HEDGE = r"(?:about|around|roughly|nearly|almost|approximately|some|just|only|rund|etwa|fast|environ|presque|casi)"
#: A short bracketed aside between the two figures of a list that shares a verb ("NVDA fell 10% (-$200) and MSFT
#: 2%"): the amount in it is of another kind.
_ASIDE = r"\([^()\n]{0,40}\)"
#: An article before the later figure's name ("e a MSFT 2%", "y el SPY"), and "by" before its number ("um", "de",
#: "un", "del", "di", "do").
_GAP_ARTICLE = rf"(?:(?:the|der|die|das|le|la|les|el|los|las|il|lo|a|o|os|as)[{SPACES}]+)?"
_GAP_BY = r"(?:by|um|de|un|of|von|del|della|dello|di|do|da)"
#: Between a figure with a direction and a later one: a joining or comparing word, then only a name (maybe
#: possessive, maybe "by"): the later figure's verb is left out, and it takes the earlier one's direction ("MSFT fell
#: 2.84% and NVDA 2.64%", "MSFT fell 2.84%, more than NVDA's 2.64%", "MSFT fiel um 2,84 % und NVDA um 2,64 %").
GAPPED = re.compile(
    rf"(?:[^0-9.!?\n|(]|{_ASIDE})*?(?<![A-Za-z\u00c0-\u024f])(?:and|while|whereas|but|und|während|et|tandis|y"
    rf"|mientras|e|than|als|que|versus|vs)[{SPACES}]+{_GAP_ARTICLE}"
    rf"(?P<name>{_NAME_WORD}(?:[{SPACES}]+{_NAME_WORD}){{0,2}})(?:'s?)?(?:[{SPACES}]*{_ASIDE})?(?:[{SPACES}]+{_GAP_BY})?"
    rf"(?:[{SPACES}]+{_GAP_HEDGE})?[{SPACES}]*"
)
#: The same after a comma, as in a list: maybe a word of time or two first, then only a name ("NVDA lost 3.11%, MMM
#: 0.64%", "NVDA fell 3.11% today, MMM 0.64% and VTI 0.48%").
LISTED_GAP = re.compile(
    rf"(?:[{SPACES}]+[a-z\u00df-\u00ff'’]+){{0,3}}(?:[{SPACES}]*{_ASIDE})?[{SPACES}]*,[{SPACES}]*{_GAP_ARTICLE}"
    rf"(?P<name>{_NAME_WORD}(?:[{SPACES}]+{_NAME_WORD}){{0,2}})(?:'s?)?(?:[{SPACES}]*{_ASIDE})?(?:[{SPACES}]+{_GAP_BY})?"
    rf"(?:[{SPACES}]+{_GAP_HEDGE})?[{SPACES}]*"
)
#: After a number: a name, then a list joiner and another number ("3 Energy and 3 Technology positions", "10 AAPL, 12
#: MSFT shares"): the number counts what the later one counts (see ``extract._Scanner._shared_noun``).
SHARED_NOUN_GAP = re.compile(
    rf"[{SPACES}]+(?P<name>{_NAME_WORD}(?:[{SPACES}]+{_NAME_WORD})?|[a-z\u00df-\u00ff]+)"
    rf"(?:[{SPACES}]*,[{SPACES}]*(?:(?:and|und|et|y)[{SPACES}]+)?|[{SPACES}]+(?:and|und|et|y)[{SPACES}]+)(?=[0-9])"
)
BETWEEN_WORDS = frozenset({"between", "zwischen", "entre"})
#: A number glued to a name is a figure only with a percent sign or word after it: "XOM33.6%", "CPI2.9 %",
#: "AAPL25.2 percent" (not "%20" in a URL), and only after a name of two letters or more (read reversed) that is no
#: fiscal-year prefix: not "Q3%", "H1%", "S&P500%", "FY24%". A sign between them is the figure's: "XOM+3.1%"; a
#: hyphen only after an upper-case name and before a decimal ("XOM-3.1%", not "COVID-19%", "top-10%", "sub-2%").
GLUED_PERCENT = re.compile(
    rf"[{SPACES}]?(?:%|(?i:percent|pct|prozent|per[{SPACES}]cent|pour[{SPACES}]cent|por[{SPACES}]ciento))(?![0-9A-Za-z])"
)
GLUED_NAME_REV = re.compile("[A-Za-z]{2,24}(?![A-Za-z])")
NOT_GLUED_NAMES = frozenset({"FY", "CY"})
LIST_PREFIX = re.compile(r"[ \t]*(?:>[ \t]*)*(?:#{1,6}[ \t]+)?(?:[-*+][ \t]+)?")
URL_MARK = re.compile(r"://|www\.|@")

#: English cardinals written as words, 0 to 99, optionally times a hundred ("three", "twenty-five", "twenty five
#: hundred"); a figure only with a percent, currency or counted-noun unit after it, read as for digits (the word
#: scale "thousand"/"million"/"billion" is the magnitude suffix). Not inside a hyphenated word ("three-month").
_CARDINALS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
NUMBER_WORD_UNITS = {w: i for i, w in enumerate(_CARDINALS)}
NUMBER_WORD_TENS = {w: 10 * i for i, w in enumerate(_TENS, 2)}
NUMBER_WORD = re.compile(
    rf"(?<![\w-])(?:(?P<tens>{'|'.join(_TENS)})(?:[- ](?P<ones>{'|'.join(_CARDINALS[1:10])}))?"
    rf"|(?P<unit>{'|'.join(sorted(_CARDINALS, key=len, reverse=True))}))"
    rf"(?P<hundred>[{SPACES}]hundred)?(?![\w-])",
    re.IGNORECASE,
)

# --- the subject of a figure as a whole: the portfolio, its cash, a benchmark (see ``subjects``)

#: Words of time that may stand between a direction word and its figure: "fell today by 2.03%", "ist heute um 2,03 %
#: gefallen", "a baissé aujourd'hui de 2,03 %", "bajó hoy un 2,03 %"; a word of TIME_DETERMINERS only before a word
#: of TIME_NOUNS ("fell this week by", "ist diese Woche um", "a baissé cette semaine de", "bajó esta semana un").
TIME_WORDS = words("today yesterday overnight intraday heute gestern aujourd'hui hier hoy ayer oggi ieri hoje ontem")
TIME_DETERMINERS = words("""this last past diese diesen dieses letzte letzten vergangene vergangenen cette ce cet
    esta este pasada pasado questa questo scorsa scorso ultima ultimo nesta neste última último passada passado
    same selben gleichen même mismo misma stesso stessa mesmo mesma""")
TIME_NOUNS = words("""week month year quarter session day woche monat jahr quartal tag semaine mois année trimestre
    séance journée semana mes año sesión día settimana mese anno trimestre seduta giornata mês ano sessão dia period
    zeitraum periode période período periodo""")
#: German participles that end a clause after the figure they sign: "ist um 2,03 % gefallen", "hat 196,60 $ verloren".
NEGATIVE_AFTER_VERBS = words("gefallen gesunken verloren nachgegeben eingebüßt zurückgegangen abgerutscht gesackt")
POSITIVE_AFTER_VERBS = words("gestiegen zugelegt gewonnen gewachsen geklettert hinzugewonnen")
#: Words that end the clause a figure's subject is read in ("Your portfolio fell 2.03% while NVDA ...", "NVDA is 31.2%
#: and cash 26.4%"): the words before one belong to another clause.
#: Words after "of" that stand for the things counted just before ("6 positions, 2 of them in Health Care").
OF_THEM = words("them which these those ellas ellos")
#: "respectively": the figures before it in its sentence go with the names listed before them, in order.
RESPECTIVELY = re.compile(r"(?<![\w])(?:respectively|beziehungsweise|jeweils|respectivement|respectivamente)(?![\w])",
                          re.IGNORECASE)
#: Pronouns that may stand for the subject of the sentence before ("It now makes up 31.2%", "Its weight is", "They
#: make up", "Il représente", "Elle pèse", "Ella"); not "su" (also "your"). Read only when the figure's clause names
#: nothing else.
CARRY_PRONOUNS = words("""it its they il elle ils elles ella ellos ellas""")
#: Words that are such a pronoun only as the first word of their clause ("Es macht 21,58 % aus", "Es el 21,58 %",
#: "Er ist", "Sie macht", "This is 21.58%"; not Spanish "es" = "is", "this week", "Sie halten" = "you hold"): "this"
#: and "that" with a verb after them.
#: German "Ihr" capitalised: the reader's ("your"), or, first in a sentence, as often a holding's ("its", "their").
FORMAL_YOUR = frozenset({"Ihr", "Ihre", "Ihrem", "Ihren", "Ihrer", "Ihres"})
CARRY_FIRST = words("""es er sie this that""")
#: Of those, the ones that stand for several: with two things named before, the figure is no one fact's.
PLURAL_PRONOUNS = words("""they ils elles ellos ellas""")
CLAUSE_JOINERS = words("""and but while whereas although though yet or because with
    und aber während wohingegen jedoch sondern oder weil mit
    et mais tandis ou car avec y pero mientras aunque o sino con""")
#: Words that name the portfolio as a whole ("Your portfolio is worth", "Your total value", "Overall you are up",
#: "Ihr Depot", "Gesamtwert", "votre portefeuille", "su cartera").
PORTFOLIO_WORDS = words("""portfolio portfolios overall whole depot depots gesamtwert gesamtportfolio gesamtdepot
    depotwert portfoliowert gesamtvermögen insgesamt portefeuille portefeuilles cartera carteras portafolio
    portafoglio portafogli carteira carteiras""")
#: "Total" names the portfolio as a whole only next to a word of value ("Total value", "valeur totale", "valor total",
#: "total worth") or as a label alone ("Total: $9,485.15"): "prix de revient total" of a position is its own.
TOTAL_WORDS = words("total totale totaux totales gesamt gesamte gesamter gesamten")
VALUE_WORDS = words("value worth wert valeur valor valore")
#: Abbreviations whose dot ends no sentence ("inkl. Barmittel", "ca. 9.500 USD", "vs. SPY").
ABBREVIATIONS = words("""inkl exkl zzgl ca approx bzw vs etc ggf evtl usw resp env aprox incl excl inc corp co ltd mio
    mrd""")
#: Words that name the portfolio's cash ("Cash is 26.4%", "You hold $2,500 in cash", "Bargeld", "liquidités").
CASH_WORDS = words("""cash bargeld barmittel barbestand barreserve liquidität kasse cashbestand liquidités espèces
    trésorerie liquidez efectivo liquidità contanti caixa""")
#: Starts of German compounds that name the cash ("Bargeldbestand", "Barmittelquote", "Bargeldanteil").
CASH_PREFIXES = ("bargeld", "barmittel", "barreserve", "barbestand")
#: Spanish "efectivo" is cash only after one of these ("en efectivo", "su efectivo"); otherwise "effective".
CASH_EFECTIVO_BEFORE = words("en el su tu de del son es")
#: Words that name the cash only after one of the words given: Spanish "efectivo" (else "effective"), German "in bar"
#: (else a bar), Portuguese "em dinheiro" (else money), Italian "in cassa", French "en liquide", Spanish "en metálico".
CASH_AFTER: dict[str, frozenset[str]] = {
    "efectivo": CASH_EFECTIVO_BEFORE, "bar": words("in"), "dinheiro": words("em"), "cassa": words("in"),
    "liquide": words("en"), "metálico": words("en"),
}
#: Words before a cash word that leave the cash out ("excluding cash, ...", "ohne Bargeld", "hors liquidités").
CASH_NEGATORS = words("""excluding excl ex without besides except minus apart aside net ohne exklusive abzüglich außer
    hors sans sauf sin excepto salvo menos""")
#: Words next to a cash word that make the cash a part of what is measured, not its subject: "Your portfolio (cash
#: included) returned", "including cash", "inklusive Bargeld", "liquidités comprises", "incluido el efectivo".
CASH_INCLUDED = words("""including incl included inclusive inklusive inkl einschließlich compris comprises inclus
    incluses incluido incluida incluidos incluidas incluyendo incluso inclusa inclusi incluse compreso compresa
    incluído incluída incluídos incluídas""")


def cash_included(words: Iterable[str]) -> bool:
    """Whether lowercase ``words`` say the cash is included, a word of :data:`CASH_INCLUDED` next to a cash word in
    either order ("including cash", "cash included", "inkl. Bargeld")."""
    return any(
        (a in CASH_INCLUDED and b in CASH_WORDS) or (a in CASH_WORDS and b in CASH_INCLUDED)
        for a, b in pairwise(words)
    )


#: Words after "cash" that make it something else: "cash dividends", "cash flow".
CASH_NOT_BEFORE = words("dividend dividends flow flows")
#: Path words of the facts a figure about cash may cite: the cash itself, or its rate ("Your cash earns 4.3%").
CASH_FACT_WORDS = words("cash rate yield interest")
#: Words naming the benchmark (besides index names, :data:`INDEX_WORDS`, and ticker symbols absent from the facts).
BENCHMARK_WORDS = words("benchmark benchmarks vergleichsindex referenzindex market markets markt marché mercado")
#: Nouns for an index, a benchmark when no metric names them ("The index fell 2.03%", "L'indice de référence a baissé",
#: "El índice de referencia bajó"; see :data:`INDEX_NOT_BENCHMARK`).
INDEX_NOUNS = words("index indices indexes indice índice índices")
#: Words right before or after an index noun, or after its "of"/"de", that make it a metric's or a fund's, not the
#: benchmark: "Herfindahl index", "diversification index", "index of concentration", "indice de diversification",
#: "índice de concentración", "index funds", "consumer price index".
INDEX_NOT_BENCHMARK = words("""herfindahl hirschman herfindahl-hirschman hhi diversification diversity concentration
    diversifikation diversifizierung konzentration diversificación concentración diversidad price prices consumer
    prix precios preise volatility volatilité volatilidad fear sharpe score scores rating fund funds etf etfs fonds
    fondos tracker trackers""")
#: Verbs after a capitalised name the facts do not have that make it the subject of the figure (besides direction words,
#: copulas and verbs of performance): "Tesla has risen", "Apple makes up 20.85%", "Tesla closed at".
#: Words for a company's stock after its name ("Apple stock", "Apple Inc.", "Apple-Aktie", "Apple shares").
COMPANY_NOUNS = words("""stock stocks share shares inc corp corporation co plc ag se sa nv ltd position stake holding
    aktie aktien titre titres action actions acción acciones""")
COMPANY_VERBS = words("""was were has have had makes made accounts accounted represents represented weighs weighed
    closed ended stood stands traded trades contributed contributes macht machte schloss beträgt betrug représente
    pèse représentait representa pesa cerró a ont hat es""")
#: Capitalised words before such a verb that name no company: articles, possessives, pronouns, question words ("Your
#: gain", "The drop", "It rose", "This is", "There are", "Es stieg", "Il a", "Ella subió").
NOT_COMPANY_WORDS = words("""the a an your my our their his her votre vos notre nos leur leurs ton ta tes mon ma mes
    le la les un une des du su sus tu tus mi mis nuestro nuestra nuestros nuestras el los las una unos unas
    it its this that these those there here he she they we you one everything something
    nothing anything everyone all both each either neither none most many some few several others which what who
    whatever whichever another such much more less meanwhile however also still then thus hence so yet
    es er sie wir das dies diese dieser dieses alles nichts man ce cela ceci il ils elle elles on nous vous tout
    rien ella ello ellas ellos esto eso esta este nada todo usted ustedes nosotros""")
#: Endings of words that name no company: adverbs ("Currently"), German nouns of a figure ("Tagesrendite", "Marktwert",
#: "Wertentwicklung", "Tagesveränderung", "Kursgewinn", "Barbestand").
NOT_COMPANY_ENDINGS = ("ly", "rendite", "renditen", "wert", "werte", "gewinn", "gewinne", "verlust", "verluste",
                       "entwicklung", "änderung", "anteil", "quote", "gewicht", "gewichtung", "summe", "stand",
                       "bestand", "kurs", "vermögen", "ergebnis", "saldo", "betrag", "ertrag", "erträge", "kosten",
                       "gebühren", "steuer", "steuern", "abgaben", "dividende", "dividenden", "zinsen", "volatilität",
                       "performance", "bilanz")
#: German articles and possessives before a capitalised noun: "Die Tagesrendite ist -2,03 %" names a noun, no company.
GERMAN_DETERMINERS = words("""der die das dem den des ein eine einer eines einem einen ihr ihre ihres ihrem ihren
    ihrer unser unsere dein deine mein meine kein keine""")
#: Words after "market" that make it no benchmark: "market value", "Marktwert" is one word already.
MARKET_NOT_BEFORE = words("""value values cap caps capitalization capitalisation price prices data hours close open
    order orders wert werte preis kapitalisierung valeur prix valor precio capitalización""")
#: Words that compare with a benchmark ("You lagged SPY by 2.56%", "beat the benchmark by", "versus", "gegenüber"):
#: the figure may then be an excess return, not the benchmark's own.
COMPARISON_WORDS = words("""beat beats beating outperformed outperform outperforms outperforming underperformed
    underperform underperforms underperforming lagged lag lags lagging trailed trail trails trailing vs vs. versus
    than against relative compared behind ahead over excess alpha gegenüber hinter übertraf schlug vergleich face
    contre rapport devant derrière surperformé frente respecto contra superó""")
#: Path words of the facts a comparison with a benchmark may cite.
COMPARISON_FACT_WORDS = words("excess alpha active relative tracking")
#: Nouns and adjectives of a gap between returns, in four languages ("a differential return of", "une surperformance
#: de", "eine Überrendite von", "una rentabilidad diferencial de"): a figure they qualify may cite an excess return.
EXCESS_WORDS = words("""differential difference gap spread outperformance underperformance mehrrendite überrendite
    minderrendite abstand differenz rückstand vorsprung écart différence différentiel surperformance
    sous-performance excédentaire excédent diferencial diferencia brecha vor dahinter delante detrás avance retard
    retraso atraso ventaja""")
#: Words before a portfolio word that make it the whole a part is measured in ("31.2% of your portfolio", "the
#: largest position in your portfolio", "du portefeuille", "de la cartera", "des Portfolios").
CONTAINER_LINKS = words("of in within across im von des dans du de en del della dello nel nella da do na ihres deines")
#: Nouns of a share of the portfolio ("NVDA's weight in your portfolio", "the share of your portfolio in cash"): the
#: figure is a part's, not the portfolio's own.
SHARE_WORDS = words("""share weight weighting portion part allocation proportion fraction percentage anteil gewicht
    gewichtung quote poids pondération peso participación proporción porcentaje invested investiert investi
    invertido""")
#: Capitalised words that name no position (German nouns, weekdays): they do not keep a figure from being the
#: portfolio's as a capitalised company name does ("Your portfolio's Apple stake is worth ...").
COMMON_CAPITALISED = words("""i portfolio depot wert gesamtwert depotwert tag woche monat jahr quartal rendite
    wertentwicklung gewinn verlust plus minus prozent anteil summe stand vermögen kurs performance vergleich markt
    euro euros dollar dollars sie ihr ihre ihres ihrem ihren du dein deine insgesamt gesamt kosten einstand
    einstandswert kaufwert buchwert heute gestern vortag monday tuesday wednesday thursday friday saturday sunday
    montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche
    lunes martes miércoles jueves viernes sábado domingo""")
#: All-caps words that are no ticker symbol besides :data:`NOT_TICKERS` and currency codes: a figure next to one is not
#: about an instrument missing from the facts ("Your YTD return", "TWR 9.0%", "P&L").
NOT_TICKER_WORDS = words("""YTD QTD MTD WTD YOY QOQ MOM TTM LTM PNL TWR MWR IRR XIRR TIR TRI ROI ROE ROA EPS NAV AUM
    CAGR HHI VAR CVAR ES DD TER ATH ATL OK TL DR FAQ NB PS API SEC FED ECB FOMC CPI PPI PCE UTC GMT ET EST EDT PST CET
    CEST AM PM MEZ USD EUR""")
#: A number of one to three digits, then groups of three after plain spaces, before a currency ("2 500 $", "9 500 €",
#: "12 500 USD", "2 500 dollars"): a whole number in a French or Spanish text (see ``extract._Scanner._spaces_group``).
SPACE_GROUPED = re.compile(
    rf"[1-9][0-9]{{0,2}}(?: [0-9]{{3}})+(?![0-9]|[.,][0-9])"
    rf"(?=[{SPACES}]?(?:[{_SYMBOL_CHARS}]|US\$|\$US|(?:{'|'.join(sorted(CURRENCY_CODES))})(?![A-Za-z])"
    r"|(?i:euros?|dollars?|dólares|dólar)(?![A-Za-z])))"
)
#: French and Spanish words: two of them in a text make "2 500 $" a grouped number.
SPACE_GROUPING_MARKERS = words("""vous votre vos nous notre nos avez détenez est sont une aux liquidités portefeuille
    valeur environ aujourd'hui
    su sus tus usted tiene tienes del los las una para efectivo cartera valor hoy está están""")
#: Words of languages that group digits with dots ("9.500 USD" is 9500 in German and Spanish): two of them in a text
#: with no decimal point elsewhere make "9.500" a grouped number (see ``extract._Scanner._dots_group``).
DOT_GROUPING_MARKERS = words("""ihr ihre ihres ihrem ihren ist sind und der das dem mit wert heute nicht auch liegt
    liegen beträgt haben einer einem für auf bei rund etwa ungefähr depot insgesamt gestiegen gefallen verloren
    su sus tus está están los las del hoy una con para tiene vale cartera votre vos est sont aujourd'hui environ
    efectivo valor liquidez posiciones usted tienes vous avez liquidités portefeuille valeur
    tuo tua tuoi tue sono portafoglio liquidità oggi circa posizioni valore pari della delle nella hai
    sua seu seus suas carteira hoje cerca posições você tem são aproximadamente""")
#: Verbs of a comparison whose object stands between them and "by" ("lagged SPY by 0.79 points", "trailed the
#: benchmark by 0.8%", "beat the S&P by 1.2%"): the figure takes their sign.
COMPARED_NEGATIVE = words("""lagged lag lags lagging trailed trail trails underperformed underperform underperforms
    underperforming""")
COMPARED_POSITIVE = words("""beat beats beating outperformed outperform outperforms outperforming superando superó
    supera superado superaste übertroffen übertraf übertrifft geschlagen schlug""")
#: "By" before a gap's figure: English "by", German "um", Spanish "en" ("superando al SPY en 10,67 puntos").
BY_WORDS = words("by um en")
#: Words that make a figure after "by" (or after one of ``GAP_NOUNS`` and "of", or before one of ``GAP_AFTER_*``) the
#: gap between two returns: a comparison ("trailing the S&P 500 by 2.2 points", "behind the benchmark by", "an
#: underperformance of 0.77 points", "3,23 Prozentpunkte hinter der Benchmark"): only an excess return may ground
#: it, negative for these, positive for ``GAP_POSITIVE`` (see ``matching._gap``).
GAP_NEGATIVE = COMPARED_NEGATIVE | words("""trailing behind underperformance underperformed rückstand
    hinterher shortfall indietro""")
GAP_POSITIVE = COMPARED_POSITIVE | words("ahead outperformance vorsprung")
GAP_NOUNS = words("underperformance outperformance rückstand vorsprung shortfall indietro")
GAP_AFTER_NEGATIVE = words("behind hinter worse peor detrás derrière zurück debajo dietro atrás abaixo")
GAP_AFTER_POSITIVE = words("ahead better mejor delante devant mieux encima sopra vorn vorne voraus acima più mais")
#: Links between a gap's figure and the word after it that says its side ("8,07 points de mieux", "3,12 puntos por
#: detrás", "8,07 puntos por encima").
GAP_AFTER_LINKS = words("de por di in em")  # ("6,48 punti in più")
#: Path words of the facts a gap between returns may cite (``performance.excess_return_ytd``, an insight's
#: ``numbers.return_difference``).
GAP_FACT_WORDS = words("excess active relative difference gap outperformance underperformance")
#: An aside listing the members of what the words before it name, which is no subject of a figure after it (see
#: ``extract._with_antecedents``): a bracket of two names or more with no digit ("Consumer Discretionary (Amazon and
#: Tesla)", "(AAPL, MSFT)"), or a relative clause of inclusion between commas ("Consumer Discretionary, which includes
#: Amazon and Tesla, has lost 11.7%").
MEMBER_ASIDE = re.compile(
    r"\((?=[^()\d\n]{0,120}?(?:,|\b(?:and|und|et|y)\b))[^()\d\n]{1,120}\)"
    r"|,\s*(?:which|that|die|der|das|qui|que)\s+(?:includes?|contains?|comprises?|umfasst|umfassen|enthält|enthalten"
    r"|comprend|comprennent|incluye|incluyen)\b[^,.;:()\d\n]{1,120}(?=,)",
    re.IGNORECASE,
)
#: Words right before a count that spread what the sentence before names over the things counted ("Financials
#: represent 16.99% of your portfolio through 2 positions", "..., spread across 3 positions", "und umfasst 3
#: Positionen"): the count is that name's (see ``matching._best``).
SPREAD_LINKS = words("across through spanning comprising umfasst umfassen umfasste verteilt répartis répartie"
                     " repartidos repartida abarca")
#: Link words between an amount and a percent that restate it ("$3,073.50 (42.83%)", "$410.00, or 9.75%", "26%,
#: roughly $1.6k"): the second figure keeps the first's subject, period and direction (see ``matching._companions``).
RESTATE_LINKS = words("or i.e. ie oder also soit bzw. beziehungsweise o roughly about around approximately nearly"
                      " almost rund etwa ungefähr environ aproximadamente circa ca. ou cerca")
#: Words that say a figure is a limit ("above the 25% guideline", "über der Schwelle von 25 %", "oltre la soglia del
#: 10%", "acima do limite de 10%"): it may be a threshold of the facts whoever the clause is about, and only such a
#: clause's figure may be one (a threshold is no holding's weight: "ASML is 10.0% of your portfolio" is not the 10%
#: guideline).
THRESHOLD_WORDS = words("""threshold thresholds guideline guidelines limit limits cap caps ceiling target targets
    schwelle schwellenwert grenze obergrenze richtwert richtgröße richtgrösse grenzwert seuil seuils limite limites
    plafond repère umbral umbrales límite límites pauta soglia soglie tetto limiti limiar diretriz
    diretrizes teto""")
#: Words that say items are (or are not) in a list the data gives: a count of a list cut for length
#: (``positions.count`` of the 20 listed of 40) grounds only a clause with one of them ("20 positions are listed"), and
#: the count of the items left out (``positions_not_listed_count``) only one with one of them and a negation ("20
#: positions are not shown") or a word of the rest (:data:`REST_WORDS`).
LISTED_WORDS = words("""listed list lists listing shown show shows displayed detailed itemised itemized included
    mentioned aufgeführt aufgelistet gelistet gezeigt angezeigt liste genannt listées listés liste affichées affichés
    détaillées détaillés mentionnées mentionnés listadas listados lista mostradas mostrados detalladas detallados
    elencate elencati elenco mostrate mostrati listate listati detalhadas detalhados""")
#: Negations of a listing ("not listed", "nicht aufgeführt", "não listadas"): with a word of :data:`LISTED_WORDS`, the
#: items left out.
LISTED_NEGATIONS = words("not no nicht nie kein keine pas non não nem without ohne sans sin senza sem")
#: Words of the rest of a list: "the other 20 positions", "20 remaining", "die übrigen 20", "les 20 autres", "los
#: otros 20", "le altre 20", "as outras 20" (and "20 more positions", said right by the count: see
#: ``matching._rest_said``).
REST_WORDS = OTHER_WORDS | OTHER_AFTER_WORDS | words("""rest additional further omitted remainder restlichen
    reste resto altre altri rimanenti restanti outras outros demais""")
#: Link words that mean "from" after a verb of change ("fiel von 10.000 € auf 9.800 €"; "um" is "by"), though "of"
#: after a noun ("ein Minus von 2 %").
FROM_AFTER_VERB = words("von")

#: Words of time that limit a figure to facts of one period (``Figure.period``; see ``extract._period_of``).
PERIOD_PHRASES = re.compile(
    r"(?<![\w'’])(?:today(?:['’]s)?|heute|aujourd['’]hui|hoy|the day['’]s|(?:on|for|over) the day"
    r"|oggi|hoje|(?:in |during |over |at )?the (?:latest|last|most recent|previous) (?:trading )?session"
    r"|on (?:monday|tuesday|wednesday|thursday|friday)"
    # a weekday's session: "as of Friday's close", "el viernes", "le vendredi", "am Freitag", "venerdì", "na
    # sexta-feira" (the day's; since one, below, the week's: see ``extract._period_of``)
    r"|(?:as of |at )?(?:monday|tuesday|wednesday|thursday|friday)['’]s (?:close|closing|session|trading)"
    r"|el (?:lunes|martes|miércoles|jueves|viernes)"
    r"|(?:le |ce )?(?:lundi|mardi|mercredi|jeudi|vendredi)"
    r"|(?:am|letzten|vergangenen) (?:montag|dienstag|mittwoch|donnerstag|freitag)"
    r"|(?:di |lo scorso )?(?:lunedì|martedì|mercoledì|giovedì|venerdì|lunedi|martedi|mercoledi|giovedi|venerdi)"
    r"|(?:na |nesta |na última |última )?(?:segunda|terça|quarta|quinta|sexta)-feira"
    r"|(?:na|nesta|na última) sexta(?![\w-]| (?:maior|menor|melhor|pior|posição|posições|parte|vez|colocada"
    r"|colocação|semana|sessão|rodada))"
    r"|yesterday(?:['’]s)?|gestern|ayer|ieri|ontem"
    r"|(?:this|the past|the last|over the|for the|on the|last|past) week"
    r"|since (?:last )?(?:monday|tuesday|wednesday|thursday|friday)(?:['’]s close)?"
    r"|seit (?:letztem |vergangenem )?(?:montag|dienstag|mittwoch|donnerstag|freitag)"
    r"|depuis (?:lundi|mardi|mercredi|jeudi|vendredi)(?: dernier)?"
    r"|desde el (?:lunes|martes|miércoles|jueves|viernes)(?: pasado)?"
    r"|dal?l?o? ?(?:scorso )?(?:lunedì|martedì|mercoledì|giovedì|venerdì|lunedi|martedi|mercoledi|giovedi|venerdi)"
    r"|desde (?:a )?(?:última )?(?:segunda|terça|quarta|quinta|sexta)(?:-feira)?(?: passada)?"
    r"|(?:in den |den )?(?:letzten|vergangenen) (?:7|sieben) tage[n]?"
    r"|(?:the |in the |over the )?(?:last|past) (?:[1-9][0-9]?|five|seven|thirty) (?:trading )?days"
    r"|(?:the |in the |over the )?(?:last|past) (?:24|twenty-four) hours"
    r"|(?:in den |den )?(?:letzten|vergangenen) 24 stunden|(?:au cours des |les |ces )?dernières 24 heures"
    r"|(?:en )?las últimas 24 horas"
    r"|letzte woche|(?:in der )?vergangenen woche"
    r"|la semaine (?:dernière|passée)|la semana pasada"
    r"|(?:diese|dieser|in dieser|diesen) woche|cette semaine|n?esta semana|(?:over|in) (?:1|one) week"
    r"|questa settimana|(?:nell['’]|l['’])ultima settimana|la settimana scorsa|(?:na )?última semana"
    r"|a semana passada|na semana(?: passada)?|en la semana(?: pasada)?|nella settimana(?: scorsa)?"
    r"|(?:this|the past|the last|over the|for the|on the|led the|topped the) month|(?:diesen|in diesem|dieser) monat"
    r"|(?:im |in the |the )?(?:laufenden|current) (?:monat|month)|(?:le |du )?mois en cours|(?:el )?mes en curso"
    r"|ce mois(?:-ci)?|este mes|month[- ]to[- ]date|mtd|so far this month|last month|(?:over|in) (?:1|one) month"
    r"|questo mese|(?:nel )?mese in corso|(?:nell['’]|l['’])ultimo mese|n?este mês|(?:no |el |en el )?último m[eê]s"
    r"|no mês corrente|no m[eê]s(?: passado)?|en el mes(?: pasado)?|nel mese(?: scorso)?|el mes pasado"
    r"|il mese scorso|o mês passado|sur le mois|(?:im )?(?:letzten|vergangenen) monat"
    r"|(?:le |au cours du |sur le )?mois (?:dernier|passé)"
    # the year so far: "no ano", "since January", "seit Januar", "depuis janvier", "desde enero", "da gennaio", "desde
    # janeiro"; with a year after it ("no ano de 2025", "since January 2025", "depuis le 1er janvier 2024") that year's,
    # the year to date only when it is the facts' (``Facts.year``); with "passado", "pasado", "scorso", "dernière"...
    # after it ("desde o começo do ano passado") the year before, a span no fact has (see ``extract._period_of``)
    r"|(?:this year|year[- ]to[- ]date|ytd|(?:for|on) the year|seit jahresbeginn|dieses jahr|cette année"
    r"|depuis le début de l['’]année|este año|en lo que va de año|so far this year"
    r"|da inizio anno|dall['’]inizio dell['’]anno|quest['’]anno|desde o início do ano|n?este ano|no acumulado do ano"
    r"|no ano|en el año|nell['’]anno"
    r"|im laufenden jahr|seit jahresanfang|seit anfang des jahres|desde (?:principios|comienzos|inicios) de(?:l)? año"
    r"|en lo que va del año|depuis le 1er janvier|desde o começo do ano|dall['’]inizio del(?:l['’])? ?anno"
    r"|since (?:the (?:start|beginning) of )?january|seit (?:anfang )?januar|depuis (?:début )?janvier"
    # the first of January written day first: "since 1 January", "seit dem 1. Januar", "desde el 1 de enero", "dal 1°
    # gennaio", "desde 1º de janeiro", "depuis le 1 janvier"
    r"|since (?:the )?1(?:st)? (?:of )?january|seit (?:dem )?1\. januar|desde el 1(?:º|°)? de enero"
    r"|dal(?:l['’])? ?1(?:º|°)? gennaio|desde (?:o )?1(?:º|°)? de janeiro|depuis le 1 janvier"
    # "since the start of the year", "since the beginning of this year", "seit Beginn des Jahres", "depuis le début
    # d'année", "desde el inicio del año", "dall'inizio di quest'anno", "desde o início deste ano"
    r"|since (?:the )?(?:start|beginning|turn) of (?:the |this )?year|since (?:the )?year(?:'s|’s)? (?:start|beginning)"
    r"|seit (?:dem )?(?:beginn|anfang) (?:des|dieses) jahres|depuis (?:le )?début (?:d['’]|de l['’]|de cette )année"
    r"|desde (?:el )?(?:inicio|comienzo|principio) (?:del|de este) año|dall['’]inizio di quest['’]anno"
    r"|desde o (?:início|começo) deste ano"
    # the start of a year named: that year's so far ("since the start of 2026"; another year's, a span)
    r"|since (?:the )?(?:start|beginning) of 20[0-9]{2}|seit (?:anfang|beginn) 20[0-9]{2}"
    r"|depuis (?:le )?début 20[0-9]{2}|desde (?:principios|comienzos|inicios) de 20[0-9]{2}"
    r"|dall['’]inizio del 20[0-9]{2}|desde o (?:início|começo) de 20[0-9]{2}"
    r"|desde (?:principios de )?enero|da(?: inizio)? gennaio|desde (?:o início de )?janeiro)"
    r"(?: (?:passado|pasado|scorso|precedente|anterior|dernier|dernière|passé|passée|précédent|précédente)"
    r"|,? (?:de |del |di |of )?20[0-9]{2})?"
    # a year named: "in 2026", "em 2026", "en 2026", "im Jahr 2026", "nel 2026" are the year to date when that is the
    # facts' year (``Facts.year``; see ``extract._period_of``), else a span no fact has; not "in 2026 dollars"
    r"|(?:in|during|en|em|nel|durante|im jahr|im jahre) 20[0-9]{2}"
    r"(?! (?:dollars?|euros?|yen|pounds?|francs?|terms|prices|money|dólares|dollari|reais|euro-preisen))"
    r"|(?:in|during) (?:january|february|march|april|may|june|july|august|september|october|november|december)"
    r"|im (?:januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember))(?![\w'’])",
    re.IGNORECASE,
)
#: The same on a lowercased text, first letters looked at before the alternatives (3x faster than ignoring case).
PERIOD_PHRASES_LOWER = re.compile(
    r"(?<![\w'’])(?=[thaygpoidcesvlfmqnúwj])" + PERIOD_PHRASES.pattern.removeprefix(r"(?<![\w'’])")
)
#: A short bracketed aside between the two figures of a list that shares a verb ("NVDA fell 10% (-$200) and MSFT
#: 2%"): the amount in it is of another kind.
_ASIDE = r"\([^()\n]{0,40}\)"
#: An article before the later figure's name ("e a MSFT 2%", "y el SPY"), and "by" before its number ("um", "de",
#: "un", "del", "di", "do").
_GAP_ARTICLE = rf"(?:(?:the|der|die|das|le|la|les|el|los|las|il|lo|a|o|os|as)[{SPACES}]+)?"
_GAP_BY = r"(?:by|um|de|un|of|von|del|della|dello|di|do|da)"
#: Between a figure with a direction and a later one: only a joiner, maybe after a word of time (as :data:`GAPPED`,
#: with no name): the later figure is the same thing's, maybe over another period ("AMZN is down 2.08% today and 3.36%
#: this week", "fell 2.08% and 3.36%").
BARE_GAP = re.compile(
    rf"(?:[{SPACES}]+(?:{PERIOD_PHRASES.pattern}))?[{SPACES}]*,?[{SPACES}]*(?:and|und|et|y|e|but|aber|mais|pero|ma|mas)"
    rf"[{SPACES}]+(?:(?:{PERIOD_PHRASES.pattern})[{SPACES}]+)?"  # "und diese Woche um 10 %"
    rf"(?:(?:by|um|un|de|del|dello|della|di|do|da)[{SPACES}]+|dell['’]|dello[{SPACES}]+)?",  # "y un 10 %", "e del 10 %"
    re.IGNORECASE,
)
#: Words that say a value is of the holdings alone, without the cash: the invested value, not the total.
INVESTED_WORDS = words("""invested investment investments investiert investierte investierten angelegt angelegte
    investi investis investie investies placé placés invertido invertida invertidos inversiones investito
    investita investiti investite investido investida investidos investidas""")
#: Words of a value's worth: with the portfolio as subject (and none of INVESTED_WORDS), its total value.
WORTH_WORDS = VALUE_WORDS | TOTAL_WORDS | words("vaut valent vale valen beträgt")

#: Words of a figure's clause that make it a share of the portfolio ("Amazon makes up 17.41% of your portfolio", "Its
#: weight is 17.41%", "Amazon pèse 17,41 %", "Amazon representa el 17,41 %"): it cites only a weight (see
#: ``matching._weight_only``). "makes"/"made" and "accounts" only with the particle of :data:`WEIGHT_PARTICLES`
#: after them ("makes up", "accounts for"); German "macht" only with "aus" after the figure ("macht 17,41 % aus").
WEIGHT_NOUNS = words("""weight weights weighting weightings allocation allocations portion proportion anteil gewicht
    gewichtung gewichtungen gewichte aufteilung allokation poids pondération pondérations répartition peso pesos
    ponderación participación proporción distribución asignación""")
WEIGHT_VERBS = words("""represents represent represented representing comprises comprise comprised constitutes
    constitute constituted weighs weigh weighed entfallen entfällt entfiel ausmacht ausmachen pèse pèsent pesait
    représente représentent représentait constitue constituent representa representan representaba pesa pesan
    supone suponen constituye constituyen rappresenta rappresentano costituisce costituiscono constitui""")
#: Verbs that say a share only with a particle after them: "makes up", "accounts for", "macht ... aus".
WEIGHT_PARTICLES = {
    **dict.fromkeys(("make", "makes", "made", "making"), "up"),
    **dict.fromkeys(("account", "accounts", "accounted", "accounting"), "for"),
}
WEIGHT_AUS_VERBS = words("macht machen machte machten")
#: Words after a figure that make it a share of a whole ("17.41% of your portfolio", "17,41 % Ihres Depots", "17,41 %
#: de votre portefeuille", "el 17,41 % de su cartera"): a link, then within three words a word of the whole.
WEIGHT_TAIL_LINKS = words("of ihres ihrer des deines unseres du de del della dello da do")
WEIGHT_WHOLES = words("""portfolio portfolios holdings assets capital depot depots portfolios gesamtportfolio
    vermögens portefeuille portefeuilles actifs cartera carteras portafolio portafoglio carteira money investments
    argent dinero denaro dinheiro""")
#: Words that keep a share's clause about a change ("Amazon's weight rose", "17% of the portfolio's return"): then it
#: is read as before, not as a weight.
WEIGHT_CHANGE_WORDS = words("""return returns returned change changes changed gain gains gained loss losses lost pnl
    profit performance contribution contributed rendite wertentwicklung gewinn verlust rendement perte gain
    rendimiento rentabilidad ganancia pérdida""")
#: Path words of the facts a share of the portfolio may cite (``positions[AAPL].weight``, ``cash.weight``,
#: ``sectors[Energy].invested_weight``, ``diversification.top5_invested_weight``).
WEIGHT_KEYS = words("weight weights allocation allocations")
#: Words of a share's basis: with INVESTED_WORDS a weight of the invested value (``invested_weight``), with a cash
#: word next to one of CASH_INCLUDED ("including cash", "cash included", "inkl. Bargeld") one of the total value
#: (``weight``, never ``invested_weight``); see ``matching._basis``.
INVESTED_KEYS = words("invested")
#: Words that pick some holdings by rank ("Your five largest positions", "your top 5 holdings"): a share of them cites
#: only a fact of the largest holdings (``diversification.top5_invested_weight``); see ``matching._ranked_share``.
TOP_KEYS = words("top")
NUMBER_NAMES = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "dos": 2,
                "tres": 3, "cuatro": 4, "cinco": 5}
#: Adjectives of the day in a figure's clause ("The biggest daily loss was -2.84%", "Daily moves ranged from"): the
#: figure is the day's (``Figure.period`` ``1d``), never a drawdown's nor another period's; see
#: ``matching._day_period``.
DAY_ADJECTIVES = words("""daily day's täglich tägliche täglichen tägliches täglicher quotidien quotidienne quotidiens
    quotidiennes journalier journalière diario diaria diarios diarias""")
#: Words of a diversification score ("Your diversification score is 6.2 out of 10"): only a score fact.
SCORE_WORDS = words("score scores punktzahl puntuación punteggio pontuação")
#: Words of time that name a span no fact of a snapshot covers, or one since the purchase (see
#: ``matching._with_spans``): "over the past 12 months", "the past year", "the last twelve months", "TTM" (the year to
#: date is no trailing year) name ``TRAILING_YEAR``; "since you bought it", "since purchase" name ``SINCE_COST`` (the
#: unrealised return, not this year's).
TRAILING_YEAR = "12m"
SINCE_COST = "cost"
SPAN_PHRASES = re.compile(
    r"(?<![\w'’])(?:(?P<year>(?:(?:over|in|during|for) )?(?:the )?(?:past|last|trailing|previous|prior) "
    r"(?:12|twelve) months|(?:(?:over|in|during|for) )?(?:the )?(?:past|last|trailing|previous|prior) year"
    r"|trailing twelve months|ttm|ltm|(?:in den |den )?(?:letzten|vergangenen) (?:12|zwölf) monate[n]?"
    r"|im (?:letzten|vergangenen) jahr|letztes jahr|(?:sur|au cours) (?:les|des) (?:12|douze) derniers mois"
    r"|(?:sur|au cours de) l['’]année (?:écoulée|passée|dernière)|l['’]année dernière"
    r"|(?:en |durante )?los últimos (?:12|doce) meses|(?:en |durante )?el último año|el año pasado)"
    r"|(?P<cost>since (?:you (?:first )?(?:bought|purchased|acquired)|(?:your )?(?:purchase|purchasing|buying|entry"
    r"|acquisition)|(?:you )?(?:bought|purchased) (?:it|them))|seit (?:dem )?(?:kauf|erwerb)"
    r"|depuis (?:l['’])?achat|desde (?:la )?compra"
    # a return on cost: "up 58.38% on what you paid", "19.78% below your cost", "versus your average cost"
    r"|(?:on|over|above|below|under|versus|vs\.?|against|compared (?:to|with)|relative to) (?:your |the |its |their )?"
    r"(?:average )?(?:cost(?: basis)?|purchase price|entry price|buy price|what you paid(?: for (?:it|them))?)"
    r"|(?:gegenüber|über|unter) (?:dem |ihrem |deinem )?(?:einstandspreis|einstandskurs|kaufpreis|kaufkurs|einstand)"
    r"|(?:par rapport à|au-dessus de|en dessous de|sous) (?:votre |son |leur )?(?:prix d['’]achat|prix de revient)"
    r"|(?:sobre|respecto a|por (?:encima|debajo) de) (?:su |tu |el )?(?:precio de compra|coste|costo)))(?![\w'’])",
    re.IGNORECASE,
)
#: The same on a lowercased text, first letters looked at before the alternatives (as :data:`PERIOD_PHRASES_LOWER`).
SPAN_PHRASES_LOWER = re.compile(
    r"(?<![\w'’])(?=[oidftplvsaebucrgü])" + SPAN_PHRASES.pattern.removeprefix(r"(?<![\w'’])")
)
#: Words right before a figure that make it a loss though no direction word is ("Nvidia gave back 2.84% today"), and
#: those that do so only with a period ("Nvidia cost you $192.05 today"; not "The position cost you $4,500", a cost).
LOSS_PHRASES = frozenset({("gave", "back"), ("give", "back"), ("gives", "back"), ("giving", "back"),
                          ("given", "back"), ("handed", "back"), ("wiped", "out"), ("wiped", "off")})
LOSS_PERIOD_PHRASES = frozenset({("cost", "you"), ("costs", "you"), ("costing", "you"), ("costing",), ("cost", "us"),
                                 ("cost", "the", "portfolio"),
                                 ("cost", "your", "portfolio")})
