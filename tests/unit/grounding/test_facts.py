"""Facts from nested plain data: paths, kinds, currencies, counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.grounding import Fact, FactKind, Facts, facts_from_data, kind_for_key

D = Decimal


def test_paths_kinds_and_currencies() -> None:
    f = facts_from_data({
        "base_currency": "USD",
        "total_value": D("31041.20"),
        "cash": {"amount": "1871.40", "weight": 0.0603},
        "positions": [
            {"symbol": "AAPL", "weight": 0.1711, "market_value": D("5310.00"), "quantity": 25},
            {"symbol": "SAP", "currency": "EUR", "price": D("231.15")},
        ],
        "baskets": [{"name": "Tech", "return_1w": -0.0052}],
        "sectors": {"Technology": {"weight": 0.3726}, "Energy": {"weight": 0.0706}},
        "risk": {"sharpe_ratio": -3.04, "max_drawdown": -0.194, "observation_count": 63, "beta": 0.87},
        "day_change_percent": "-1.31",
        "flags": {"stale": True, "note": "n/a", "missing": None, "nan": float("nan")},
    })
    assert dict(f) == {
        "total_value": Fact(D("31041.20"), FactKind.AMOUNT, "USD"),
        "cash.amount": Fact(D("1871.40"), FactKind.AMOUNT, "USD"),
        "cash.weight": Fact(D("0.0603"), FactKind.FRACTION),
        "positions.count": Fact(D(2), FactKind.COUNT),
        "positions[AAPL].weight": Fact(D("0.1711"), FactKind.FRACTION),
        "positions[AAPL].market_value": Fact(D("5310.00"), FactKind.AMOUNT, "USD"),
        "positions[AAPL].quantity": Fact(D(25), FactKind.NUMBER),
        "positions[SAP].price": Fact(D("231.15"), FactKind.AMOUNT, "EUR"),
        "baskets.count": Fact(D(1), FactKind.COUNT),
        "baskets[Tech].return_1w": Fact(D("-0.0052"), FactKind.FRACTION),
        "sectors[Technology].weight": Fact(D("0.3726"), FactKind.FRACTION),
        "sectors[Energy].weight": Fact(D("0.0706"), FactKind.FRACTION),
        "sectors.count": Fact(D(2), FactKind.COUNT),
        "risk.sharpe_ratio": Fact(D("-3.04"), FactKind.RATIO),
        "risk.max_drawdown": Fact(D("-0.194"), FactKind.FRACTION),
        "risk.observation_count": Fact(D(63), FactKind.COUNT),
        "risk.beta": Fact(D("0.87"), FactKind.RATIO),
        "day_change_percent": Fact(D("-1.31"), FactKind.PERCENT),
    }


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("weight", FactKind.FRACTION), ("return_1w", FactKind.FRACTION), ("volatility", FactKind.FRACTION),
        ("var_95", FactKind.FRACTION), ("risk_free_rate", FactKind.FRACTION), ("total_return", FactKind.FRACTION),
        ("total_return_amount", FactKind.AMOUNT), ("unrealized_pnl", FactKind.AMOUNT), ("day_change", FactKind.AMOUNT),
        ("day_change_percent", FactKind.PERCENT), ("unrealized_pnl_pct", FactKind.PERCENT),
        ("sortino_ratio", FactKind.RATIO), ("beta", FactKind.RATIO), ("positions_count", FactKind.COUNT),
        ("quantity", FactKind.NUMBER), ("score", FactKind.NUMBER),
    ],
)
def test_kind_for_key(key: str, kind: FactKind) -> None:
    assert kind_for_key(key) is kind


def test_overrides_and_passthrough() -> None:
    f = facts_from_data(
        {"score": 58, "given": Fact(D("1.5"), FactKind.RATIO), "rows": [1, 2]},
        prefix="snap",
        kinds={"score": FactKind.PERCENT},
    )
    assert f["snap.score"] == Fact(D(58), FactKind.PERCENT)
    assert f["snap.given"] == Fact(D("1.5"), FactKind.RATIO)
    assert f["snap.rows[0]"].value == 1 and f["snap.rows.count"].value == 2


def test_duplicate_names_fall_back_to_indexes() -> None:
    f = facts_from_data({"lots": [{"symbol": "AAPL", "quantity": 5}, {"symbol": "AAPL", "quantity": 7}]})
    assert f["lots[0].quantity"].value == 5 and f["lots[1].quantity"].value == 7
    assert sorted(f) == ["lots.count", "lots[0].quantity", "lots[1].quantity"]  # no [AAPL]: it names two items


def test_facts_are_immutable_and_merge() -> None:
    a = Facts({"x": Fact(D(1), FactKind.NUMBER)})
    b = a | {"y": Fact(D(2), FactKind.NUMBER)}
    assert list(a) == ["x"] and list(b) == ["x", "y"] and len(b) == 2
    with pytest.raises(ValueError):
        Facts({"bad": Fact(D("NaN"), FactKind.NUMBER)})


def test_deep_and_odd_data_does_not_raise() -> None:
    deep: dict[str, object] = {"v": 1}
    for _ in range(200):
        deep = {"n": deep}
    odd = {"a": [object(), b"bytes", 1e308, -1e-308, "1e5", "x" * 1000, 10**400, D("1E+999999")], 3: {"k": 1},
           "deep": deep}
    f = facts_from_data(odd)
    assert f["a[4]"].value == D("1E+5") and f["[3].k"].value == 1
    assert "a[2]" not in f and "a[6]" not in f and "a[7]" not in f  # too large to be a portfolio figure
    with pytest.raises(ValueError):
        Facts({"huge": Fact(D("1E+999999"), FactKind.FRACTION)})
