"""Hand-written data snapshots the grounding tests check answers against.

``USD`` is the portfolio of the brief: $31,041.20, Sharpe -3.04, max drawdown -19.4 %, NVDA 6.8 %.
``EUR`` is a European portfolio (figures written the continental way in the corpus).
"""

from __future__ import annotations

from decimal import Decimal as D


def _position(symbol: str, qty: int, price: str, value: str, weight: float, pnl: str, r1d: float, r1w: float,
              r1m: float, sector: str, basket: str = "") -> dict[str, object]:
    return {"symbol": symbol, "quantity": qty, "price": D(price), "market_value": D(value), "weight": weight,
            "unrealized_pnl": D(pnl), "return_1d": r1d, "return_1w": r1w, "return_1m": r1m, "sector": sector,
            "basket": basket}


USD: dict[str, object] = {
    "base_currency": "USD",
    "total_value": D("31041.20"),
    "day_change": D("-412.37"),
    "day_change_percent": D("-1.31"),
    "total_gain": D("2841.55"),
    "total_return": 0.1008,
    "return_1w": -0.0037,
    "return_1m": 0.0087,
    "excess_return_1w": -0.0079,
    "cash": {"amount": D("1871.40"), "weight": 0.0603},
    "positions": [
        _position("AAPL", 25, "212.40", "5310.00", 0.1711, "812.50", -0.0042, 0.0125, 0.0341, "Technology", "Tech"),
        _position("MSFT", 10, "415.30", "4153.00", 0.1338, "623.10", 0.0031, -0.0087, 0.0212, "Technology", "Tech"),
        _position("NVDA", 15, "140.12", "2101.80", 0.0677, "-420.00", -0.0311, -0.0297, -0.1184, "Technology",
                  "Tech"),
        _position("JNJ", 12, "152.75", "1833.00", 0.0591, "95.40", 0.0008, 0.0061, -0.0093, "Health Care"),
        _position("XOM", 20, "109.55", "2191.00", 0.0706, "-188.20", 0.0154, 0.0233, 0.0410, "Energy"),
        _position("JPM", 9, "198.20", "1783.80", 0.0575, "301.35", -0.0021, 0.0049, 0.0117, "Financials"),
        _position("PG", 14, "165.10", "2311.40", 0.0745, "140.00", 0.0012, -0.0034, 0.0056, "Consumer Staples"),
        _position("VTI", 18, "262.45", "4724.10", 0.1522, "710.80", -0.0048, 0.0042, -0.0118, "Broad Market"),
        _position("AMZN", 8, "185.60", "1484.80", 0.0478, "210.15", 0.0095, 0.0188, 0.0267, "Consumer Discretionary"),
        _position("KO", 16, "62.30", "996.80", 0.0321, "44.80", 0.0005, -0.0011, 0.0079, "Consumer Staples"),
        _position("BRK.B", 4, "412.90", "1651.60", 0.0532, "118.60", -0.0017, 0.0026, 0.0144, "Financials"),
        _position("MMM", 5, "125.70", "628.50", 0.0202, "-61.25", -0.0064, -0.0152, -0.0377, "Industrials"),
    ],
    "sectors": [
        {"name": "Technology", "weight": 0.3726},
        {"name": "Broad Market", "weight": 0.1522},
        {"name": "Consumer Staples", "weight": 0.1066},
        {"name": "Financials", "weight": 0.1107},
        {"name": "Energy", "weight": 0.0706},
        {"name": "Health Care", "weight": 0.0591},
        {"name": "Consumer Discretionary", "weight": 0.0478},
        {"name": "Industrials", "weight": 0.0202},
    ],
    "baskets": [{"name": "Tech", "weight": 0.3726, "return_1w": -0.0052, "return_1m": -0.0071}],
    "risk": {
        "sharpe_ratio": -3.04, "sortino_ratio": -2.41, "calmar_ratio": -1.12, "volatility": 0.2235,
        "max_drawdown": -0.194, "current_drawdown": -0.087, "beta": 0.87, "alpha": -0.1532,
        "var_95": -0.0231, "cvar_95": -0.0318, "observation_count": 63, "risk_free_rate": 0.043,
    },
    "benchmark": {"symbol": "SPY", "return_1d": -0.0012, "return_1w": 0.0042, "return_1m": -0.0125},
    "diversification": {"score": 58, "hhi": 0.1043},
}

EUR: dict[str, object] = {
    "base_currency": "EUR",
    "total_value": D("48215.90"),
    "day_change": D("215.30"),
    "day_change_percent": D("0.45"),
    "total_gain": D("5120.75"),
    "return_1w": 0.0162,
    "cash": {"amount": D("9801.20"), "weight": 0.2033},
    "positions": [
        {"symbol": "SAP", "quantity": 40, "price": D("231.15"), "market_value": D("9246.00"), "weight": 0.1918,
         "return_1w": 0.0212},
        {"symbol": "ASML", "quantity": 8, "price": D("712.40"), "market_value": D("5699.20"), "weight": 0.1182,
         "return_1w": -0.0455},
        {"symbol": "MC", "quantity": 6, "price": D("648.90"), "market_value": D("3893.40"), "weight": 0.0807,
         "return_1w": 0.0074},
        {"symbol": "SIE", "quantity": 30, "price": D("189.36"), "market_value": D("5680.80"), "weight": 0.1178,
         "return_1w": 0.0119},
        {"symbol": "ALV", "quantity": 20, "price": D("287.50"), "market_value": D("5750.00"), "weight": 0.1193,
         "return_1w": 0.0033},
        {"symbol": "TTE", "quantity": 70, "price": D("58.44"), "market_value": D("4090.80"), "weight": 0.0848,
         "return_1w": -0.0121},
        {"symbol": "AIR", "quantity": 25, "price": D("162.18"), "market_value": D("4054.50"), "weight": 0.0841,
         "return_1w": 0.0288},
    ],
    "risk": {"sharpe_ratio": 1.27, "max_drawdown": -0.081, "volatility": 0.1612, "beta": 1.05,
             "observation_count": 126},
    "benchmark": {"symbol": "SX5E", "return_1w": 0.0131},
}
