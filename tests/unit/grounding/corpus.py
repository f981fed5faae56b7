"""Hand-written AI answers with the figures a reviewer marked as invented.

Each case names its facts block (``usd``/``eur`` from :mod:`.portfolios`, or ``none`` for a news
summary checked only against its article), the answer text, how many figures it holds (dates,
years, list numbers and the like are not figures), and the raw text of every invented or wrong
figure. Everything else in the answer is true to the facts. ``user``/``article`` add the numbers
of the user's message or of the source article as facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NNBSP = "\u202f"
NBSP = "\u00a0"


@dataclass(frozen=True)
class Case:
    name: str
    facts: str
    text: str
    figures: int
    invented: list[str] = field(default_factory=list)
    user: str = ""
    article: str = ""


CASES: list[Case] = [
    # --- the brief's example and its true counterpart
    Case("brief-invented", "usd",
         "Your portfolio is worth $1,250,000, with a Sharpe ratio of 2.10, a max drawdown of −3% and NVDA at 45% of "
         "your holdings.", 4, ["$1,250,000", "2.10", "−3%", "45%"]),
    Case("brief-true", "usd",
         "Your portfolio is worth $31,041.20 today. The Sharpe ratio is −3.04, the maximum drawdown was −19.4%, and "
         "NVDA makes up 6.8% of the portfolio.", 4),
    Case("max-drawdown-wrong", "usd", "Max drawdown −3%.", 1, ["−3%"]),
    Case("max-drawdown-signed", "usd", "Max drawdown: −19.4% (current: −8.7%).", 2),
    # --- rounding to the shown digits
    Case("rounded-k", "usd",
         "That's roughly $31k in total (31.0k to be precise, or $31,041 rounded to the dollar).", 3),
    Case("rounded-wrong", "usd", "Your account holds about $32k, and cash is $1,900.", 2, ["$32k", "$1,900"]),
    Case("weights-rounding", "usd", "AAPL: 17%, or 17.11% to two decimals.", 2),
    Case("weight-too-precise", "usd", "AAPL is 17.2% of your portfolio.", 1, ["17.2%"]),
    Case("weights-exact", "usd", "KO weighs 3.2% and JPM 5.75%.", 2),
    Case("cash-wrong-digit", "usd", "Cash is exactly 6.04% of the portfolio.", 1, ["6.04%"]),
    Case("cash-true", "usd", "Your cash buffer is 6.0% of the portfolio ($1,871.40).", 2),
    Case("half-unit-inclusive", "usd",
         "Volatility is 22.4 percent annualised; the risk-free rate used is 4.3 per cent.", 2),
    Case("k-suffixes", "usd", "AAPL is worth $5.3K, MSFT $4.2k, and cash €1.9k.", 3, ["€1.9k"]),
    Case("magnitude-words", "usd", "Your holdings total 31.04 thousand dollars, or 0.03 million.", 2),
    Case("billions-invented", "usd", "The fund manages USD 1.2bn; you own 12,000 of its shares.", 2,
         ["USD 1.2bn", "12,000"]),
    # --- signed changes in words
    Case("fell-down", "usd", "NVDA fell 3% this week and is down 11.8% over the month.", 2),
    Case("rose-wrong-sign", "usd", "NVDA rose 3% this week.", 1, ["3%"]),
    Case("gained-slipped", "usd", "Apple gained 1.25% on the week while Microsoft slipped 0.87%.", 2),
    Case("jumped-invented", "usd", "Amazon jumped 9.2% today.", 1, ["9.2%"]),
    Case("down-on-day", "usd", "NVDA is down 3% on the day.", 1),
    Case("explicit-signs", "usd", "AMZN +1.88% this week, KO −0.11%.", 2),
    Case("lost-invented", "usd", "You lost $1,200 today.", 1, ["$1,200"]),
    Case("loss-of", "usd", "NVDA shows an unrealized loss of $420, while XOM is down $188.20.", 2),
    Case("drawdown-magnitude", "usd",
         "The drawdown of 19.4% is the deepest since 2024, and you are currently 8.7% below the peak.", 2),
    Case("returned-neutral", "usd", "Over one week the portfolio returned −0.37% against SPY's +0.42%.", 2),
    Case("index-names", "usd", "SPY (S&P 500) rose 0.42% this week, while the Russell 2000 fell 1.9%.", 2, ["1.9%"]),
    # --- percentage points vs percent for differences
    Case("pp-difference", "usd",
         "The portfolio lagged SPY by 0.79 percentage points this week (−0.37% vs +0.42%).", 3),
    Case("percent-difference", "usd", "You trailed the benchmark by 0.8% this week.", 1),
    Case("pp-invented", "usd", "You beat the benchmark by +2.4 pp this week.", 1, ["+2.4 pp"]),
    Case("pp-sector-invented", "usd", "Energy outperformed by 5.1 pp.", 1, ["5.1 pp"]),
    Case("bps", "usd", "Your alpha is −1,532 bps annualised.", 1),
    # --- ratios
    Case("ratios-true", "usd", "Beta is 0.87 and the Sortino ratio −2.41; Calmar sits at −1.12.", 3),
    Case("beta-invented", "usd", "With a beta of 1.35, the portfolio is more volatile than the market.", 1, ["1.35"]),
    Case("times-invented", "usd", "Your biggest position is 2.6x the size of your smallest.", 1, ["2.6x"]),
    Case("var-cvar", "usd", "Your one-day 95% VaR is 2.3%, and the CVaR is 3.2%.", 2),
    # --- counts
    Case("counts-true", "usd",
         "You hold 12 positions across 8 sectors; the risk figures use 63 trading days of history.", 3),
    Case("counts-invented", "usd", "Your portfolio has roughly 20 positions spread over about 3 sectors.", 2,
         ["20 positions", "3 sectors"]),
    Case("periods-not-counts", "usd",
         "Over the last 30 days, the portfolio returned 0.87%, and over the past 5 trading days −0.37%.", 2),
    Case("small-ints", "usd",
         "3 of your 12 positions fell today: NVDA (−3.11%), MMM (−0.64%) and AAPL (−0.42%).", 4),
    Case("year-like-count", "usd", "You could buy 2000 shares of KO with that.", 1, ["2000 shares"]),
    Case("top-five-derived", "usd", "Your top 5 positions make up 64.3% of the portfolio.", 1, ["64.3%"]),
    # --- bounds
    Case("bounds-true", "usd", "NVDA is under 7% of the portfolio, and your cash is more than $1,800.", 2),
    Case("bounds-invented", "usd", "Tech is over 50% of your holdings.", 1, ["50%"]),
    Case("range", "usd", "Your positions range from 2.0% to 17.1% of the portfolio.", 2),
    # --- currencies
    Case("wrong-currency", "usd", "Your portfolio is worth €31,041.20.", 1, ["€31,041.20"]),
    Case("iso-after", "usd", "Total: 31,041.20 USD; unrealized gain on AAPL: 812.50 USD.", 2),
    Case("unicode-minus-en-dash", "usd", "Day change: −$412.37 (–1.31%).", 2),
    Case("narrow-nbsp", "usd", f"Total value: 31{NNBSP}041,20 $ — cash 1{NNBSP}871,40 $.", 2),
    Case("nbsp-invented", "usd", f"Total value: 1{NBSP}250{NBSP}000 USD.", 1, [f"1{NBSP}250{NBSP}000 USD"]),
    # --- dates, times, years, identifiers
    Case("dates-years", "usd",
         "As of 2026-03-08 16:00 ET, your portfolio was worth $31,041.20, up from the 2025 year-end.", 1),
    Case("date-forms", "usd",
         "Between March 8 and 8 March 2026 (03/08/2026), and again in Q3 2025 and FY2024, the value stayed near "
         "$31,041.", 1),
    Case("times", "usd", "The market closed at 4 pm and reopened at 9:30 am; NVDA last traded at $140.12.", 1),
    Case("identifiers", "usd", "BRK.B is 5.3% of the portfolio; 3M (MMM) is just 2.0%.", 2),
    Case("versions-urls", "usd",
         "Model v2.1.3 (see https://example.com/report/2026/03 and ref 10.1.2.3) estimates cash at $1,871.40.", 1),
    Case("hyphen-compounds", "usd",
         "Unlike the COVID-19 sell-off, this 52-week low in NVDA ($140.12) is mild.", 1),
    # --- markdown
    Case("list-numbering", "usd",
         "## 3. Risk overview\n1. Sharpe ratio: −3.04\n2. Sortino ratio: −2.41\n3) Max drawdown: −19.4%\n", 3),
    Case("table-true", "usd",
         "| Symbol | Weight | Value | 1W |\n|---|---|---|---|\n| AAPL | 17.1% | $5,310.00 | +1.25% |\n"
         "| NVDA | 6.8% | $2,101.80 | −2.97% |\n| MSFT | 13.4% | $4,153.00 | −0.87% |\n", 9),
    Case("table-invented", "usd",
         "| Symbol | Weight | Value |\n|---|---|---|\n| AAPL | 17.1% | $5,310.00 |\n| NVDA | 17.1 % | $9,999.00 |\n",
         4, ["17.1 %", "$9,999.00"]),
    Case("table-accounting", "usd",
         "| Position | Unrealized P&L |\n|---|---|\n| NVDA | (420.00) |\n| XOM | (188.20) |\n| AAPL | 812.50 |\n", 3),
    Case("table-accounting-invented", "usd",
         "| Position | Unrealized P&L |\n|---|---|\n| NVDA | (420.00) |\n| MMM | (612.50) |\n", 2, ["(612.50)"]),
    Case("code-block", "usd",
         '```json\n{"total_value": 31041.20, "sharpe": -3.04, "nvda_weight": 0.45}\n```', 3, ["0.45"]),
    Case("emphasis", "usd", "**Total:** **$31,041.20** | *Day:* _−$412.37_", 2),
    Case("long-answer", "usd",
         "Your portfolio of $31,041.20 returned 10.1% overall, with a total gain of $2,841.55. Tech makes up 37.3% "
         "(AAPL 17.1%, MSFT 13.4%, NVDA 6.8%). Year to date you are up 14.2%.", 8, ["14.2%"]),
    # --- scripts and symbols
    Case("arabic-indic", "usd", "وزن NVDA هو ٦٫٨٪ من المحفظة، والقيمة الإجمالية ٣١٬٠٤١٫٢٠ دولار", 2),
    Case("full-width", "usd", "ＮＶＤＡ：６．８％、総額＄３１，０４１．２０", 2),
    Case("devanagari-invented", "usd", "कुल मूल्य $१२,५००", 1, ["$१२,५००"]),
    Case("chinese", "usd", "您的投资组合总值为31,041.20美元，英伟达占6.8%。", 2),
    Case("emoji", "usd", "📉 NVDA −2.97% this week 🚀 AMZN +1.88%", 2),
    # --- the user's and an article's numbers
    Case("user-numbers", "usd", "Buying 40 shares at $180 would cost $7,200.", 3, [],
         user="I bought 40 more shares of AAPL at $180 last week."),
    Case("news-summary", "none",
         "Nvidia's revenue rose 94% to $35.1bn; guidance is $37.5bn, versus $40bn expected by analysts.", 4,
         ["$40bn"],
         article="Nvidia reported revenue of $35.1 billion, up 94% from a year ago, and guided to $37.5 billion "
                 "for the next quarter."),
    # --- the EUR portfolio
    Case("eur-true", "eur", "Your portfolio is worth €48,215.90; SAP is 19.2% of it and ASML fell 4.6% this week.", 3),
    Case("eur-continental", "eur", "Total value: 48.215,90 € (cash 9.801,20 €).", 2),
    Case("eur-french", "eur", f"Valeur totale : 48{NNBSP}215,90 € ; SAP pèse 19,18 %.", 2),
    Case("eur-invented", "eur", "Your portfolio is worth €52,400 and ASML is 15% of it.", 2, ["€52,400", "15%"]),
    Case("eur-wrong-currency", "eur", "Your portfolio is worth $48,215.90.", 1, ["$48,215.90"]),
    Case("eur-risk", "eur", "Sharpe 1.27, beta 1.05, volatility 16.1%, max drawdown −8.1%.", 4),
    Case("eur-drawdown-invented", "eur", "The maximum drawdown was 18.1%.", 1, ["18.1%"]),
    Case("eur-quantities", "eur",
         "You hold 70 TotalEnergies shares worth €4,090.80 and 40 SAP shares at €231.15.", 4),
    Case("eur-k", "eur", "SAP €9.2k, Siemens €5.7k, Allianz €5.75k, cash €9.8k.", 4),
    Case("eur-wrong-direction", "eur", "Airbus dropped 2.9% this week.", 1, ["2.9%"]),
    Case("eur-table", "eur",
         f"| Position | Weight | Value (EUR) |\n|:--|--:|--:|\n| SAP | 19.18 | 9{NNBSP}246,00 |\n"
         f"| ALV | 11.93 | 5{NNBSP}750,00 |\n| AIR | 8.41 | 4{NNBSP}054,50 |\n", 6),
    Case("eur-day", "eur", "Today you gained €215.30 (+0.45%).", 2),
    Case("eur-benchmark", "eur",
         "Risk metrics are based on 126 trading days; the benchmark gained 1.31% this week versus your 1.62%.", 3),
    # --- a second batch, written before running the checker on it
    Case("digest-week", "usd",
         "This week your portfolio slipped 0.4% to $31,041.20, trailing the S&P 500 (SPY +0.4%) by 0.8 percentage "
         "points. NVDA was the biggest drag, falling 2.97%, while XOM added 2.33%.", 6),
    Case("digest-invented", "usd",
         "Your best performer was AMZN, up 4.1% on the week, and your cash position grew to $2,500.", 2,
         ["4.1%", "$2,500"]),
    Case("narrative-bullets", "usd",
         "**Portfolio snapshot**\n- Value: $31,041.20\n- Day: −$412.37 (−1.31%)\n- Total return: +10.08% "
         "($2,841.55)\n- Positions: 12\n", 6),
    Case("risk-invented", "usd",
         "Your portfolio's annualised volatility is 18.5%, below the market's 20%, and your beta of 0.87 suggests "
         "slightly less market sensitivity.", 3, ["18.5%", "20%"]),
    Case("compression-summary", "usd",
         "User asked about NVDA (6.8% weight, −$420 unrealized). Assistant explained the 11.8% monthly drop and "
         "suggested trimming to 5%.", 4),
    Case("news-apple", "none",
         "Apple fell 2.1% to $212.40 after trimming its outlook to $94bn; analysts now see 3% downside.", 4, ["3%"],
         article="Apple shares fell 2.1% to $212.40 after the company cut its revenue outlook to $94 billion."),
    Case("user-derived", "usd",
         "Holding $50,000 in cash would be about 161% of your current portfolio value of $31,041.20.", 3, [],
         user="My brother says I should have $50,000 in cash."),
    Case("sector-table-total", "usd",
         "| Sector | Weight |\n|---|---|\n| Technology | 37.3% |\n| Broad Market | 15.2% |\n| Financials | 11.1% |\n"
         "| **Total** | **63.6%** |\n", 4),
    Case("emoji-pipes", "usd", "🔻 NVDA −3.0% | 🔺 XOM +2.3% | ➖ KO −0.1%", 3),
    Case("fraction-in-words", "usd", "Cash makes up 0.06 of the portfolio.", 1),
    Case("gains-invented", "usd", "Your unrealized gains total $3,217.85 across all positions.", 1, ["$3,217.85"]),
    Case("no-spaces", "usd", "Value:$31,041.20;Sharpe:-3.04;Beta:0.87", 3),
    Case("basket-returns", "usd", "The Tech basket returned −0.5% this week and −0.7% this month.", 2),
    Case("month-mixed", "usd",
         "Over the past month, MSFT gained 2.1% and JNJ lost 0.9%, while your VTI position is worth $4,724.10. Your "
         "cash earns 4.3%, and dividends this quarter were $86.40.", 5, ["$86.40"]),
    Case("eur-leaders", "eur",
         "ASML is your weakest holding this week at −4.55%, while Airbus led with +2.88%; cash sits at 20.3% "
         "(€9,801.20).", 4),
    Case("eur-sap-invented", "eur", "SAP rose 3.1% this week, bringing its weight to 21%.", 2, ["3.1%", "21%"]),
    Case("eur-decimal-comma", "eur", "Total value 48.215,9 EUR; day change +215,30 EUR (+0,45 %).", 3),
    Case("pct-word", "usd", "NVDA weight is 6.77 pct, AAPL 17.11 pct.", 2),
    Case("ordinals", "usd", "Your third-largest holding, MSFT, is worth $4,153.00 — the 2nd quarter was strong.", 1),
    Case("flat-zero", "usd", "KO was flat at 0.0% on the day.", 1),
    Case("was-invented", "usd", "NVDA: $140.12 (was $150.00 last week).", 2, ["$150.00"]),
    Case("sharpe-rounded", "usd", "A Sharpe ratio of -3.0 is poor.", 1),
    Case("sector-table-total-wrong", "usd",
         "| Sector | Weight |\n|---|---|\n| Technology | 37.3% |\n| Financials | 11.1% |\n| Total | 52.0% |\n", 3,
         ["52.0%"]),
]
