"""bounded_summary leaves out ledger positions too: a ledger-based summary whose ``ledger_positions``
alone pass the limit (a ledger of tens of thousands of symbols, stored before TOO_MANY_SYMBOLS, or a
ledger near the limit with long figures) still fits. A kept position keeps its symbol's ledger figures;
the other ledger positions (closed ones) fill what room is left, the largest figures first, in their
order; SUMMARY_ABRIDGED counts what was left out."""

from __future__ import annotations

from decimal import Decimal

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.servicers.portfolio_messages import ABRIDGED, bounded_summary
from stack_cfo.core.portfolio.inputs import MAX_SUMMARY_MESSAGE_BYTES

LONG = "X" * 22


def _symbol(i: int) -> str:
    return f"S{i:09d}{LONG}"


def _summary(ledger: int, open_positions: int) -> portfolio_pb2.PortfolioSummary:
    """``ledger`` symbols ever traded, the first ``open_positions`` of them still held (market value
    falling with the index); realised P&L growing with the index (the tester's figures)."""
    s = portfolio_pb2.PortfolioSummary(portfolio="users/x/portfolio", total_value="1", base_currency="USD",
                                       source=portfolio_pb2.PORTFOLIO_SOURCE_LEDGER)
    for i in range(open_positions):
        s.positions.add(symbol=_symbol(i), quantity="1", market_value=str(open_positions - i))
    for i in range(ledger):
        s.ledger_positions.add(symbol=_symbol(i), quantity="123456789.123456789",
                               realized_pnl_amount=f"-{i}.90", income_amount="1234.56", currency="USD")
    return s


def test_the_testers_summary_of_60000_ledger_positions_fits_4_mib() -> None:
    full = _summary(60_000, 1000)
    assert full.ByteSize() > MAX_SUMMARY_MESSAGE_BYTES
    out = bounded_summary(full)
    assert out.ByteSize() <= MAX_SUMMARY_MESSAGE_BYTES
    assert len(out.positions) == 1000  # the positions fit: only closed ledger positions go
    note = out.insights[-1]
    assert note.code == ABRIDGED and note.numbers["left_out"] == "ledger_positions"
    kept = len(out.ledger_positions)
    assert 0 < kept < 60_000
    assert note.numbers["ledger_position_count"] == "60000"
    assert note.numbers["ledger_positions_left_out"] == str(60_000 - kept)
    assert note.numbers["positions_left_out"] == "0"
    assert f"{60_000 - kept} of its 60000 ledger positions" in note.message
    # every open position keeps its figures; the closed ones with the largest P&L fill the rest, in order
    symbols = [x.symbol for x in out.ledger_positions]
    assert symbols == sorted(symbols)
    held = set(symbols[:1000])
    assert held == {_symbol(i) for i in range(1000)}
    closed = symbols[1000:]
    assert closed == [_symbol(i) for i in range(60_000 - len(closed), 60_000)]
    # the figures are kept whole
    assert out.ledger_positions[5] == full.ledger_positions[5]
    assert out.ledger_positions[-1] == full.ledger_positions[-1]


def test_whatever_the_ledger_the_result_fits() -> None:
    for ledger, held, limit in ((40_000, 40_000, MAX_SUMMARY_MESSAGE_BYTES), (5000, 100, 200_000),
                                (5000, 5000, 50_000), (300, 10, 2000)):
        full = _summary(ledger, held)
        out = bounded_summary(full, limit)
        assert out.ByteSize() <= limit, (ledger, held, limit)
        note = out.insights[-1]
        assert note.code == ABRIDGED
        assert int(note.numbers["ledger_positions_left_out"]) == ledger - len(out.ledger_positions)
        kept_positions = {p.symbol for p in out.positions}
        kept_ledger = {x.symbol for x in out.ledger_positions}
        assert kept_positions <= kept_ledger  # a kept position's ledger figures are kept with it


def test_positions_go_with_their_ledger_figures_largest_first() -> None:
    full = _summary(4000, 4000)
    out = bounded_summary(full, full.ByteSize() // 3)
    kept = len(out.positions)
    assert 0 < kept < 4000
    assert [p.symbol for p in out.positions] == [p.symbol for p in full.positions[:kept]]
    assert [x.symbol for x in out.ledger_positions][:kept] == [p.symbol for p in out.positions]
    note = out.insights[-1]
    assert note.numbers["left_out"] == "positions,ledger_positions"
    assert note.numbers["positions_left_out"] == str(4000 - kept)
    realized = [Decimal(x.realized_pnl_amount) for x in out.ledger_positions]
    assert all(r == Decimal(f"-{i}.90") for i, r in enumerate(realized[:kept]))


def test_a_snapshot_summary_is_bounded_as_before() -> None:
    full = _summary(0, 3000)
    out = bounded_summary(full, full.ByteSize() // 2)
    note = out.insights[-1]
    assert note.numbers["left_out"] == "positions"
    assert "ledger_position_count" not in note.numbers
