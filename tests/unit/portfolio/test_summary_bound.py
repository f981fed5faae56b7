"""bounded_summary on summaries whose groups and insights alone nearly fill the bound (only a
portfolio stored before PORTFOLIO_TOO_LARGE, or a ledger of many symbols with long figures, gets
there): what is left out, in which order, and that the result always fits."""

from __future__ import annotations

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.servicers.portfolio_messages import ABRIDGED, bounded_summary


def _summary(groups: int, positions: int) -> portfolio_pb2.PortfolioSummary:
    out = portfolio_pb2.PortfolioSummary(portfolio="users/u/portfolio", total_value="100", base_currency="USD")
    symbols = [f"SYM{i:05d}" for i in range(positions)]
    for i, s in enumerate(symbols):
        out.positions.add(symbol=s, quantity="1", market_value=str(positions - i), sector=f"sector {i % groups}",
                          tags=["a tag", "another"])
    for g in range(groups):
        members = symbols[g::groups]
        out.sectors.add(key=f"sector {g}", position_count=len(members), symbols=members, market_value="1")
        out.diversification.sector_weights.add(sector=f"sector {g}", weight=0.1)
    out.insights.add(code="MISSING_COST_BASIS", symbols=symbols, numbers={"symbols": ",".join(symbols)})
    return out


def test_a_summary_that_fits_is_sent_as_it_is() -> None:
    full = _summary(10, 100)
    assert bounded_summary(full, full.ByteSize()) is full


def test_tags_go_first_then_the_smallest_positions() -> None:
    full = _summary(10, 1000)
    no_tags = portfolio_pb2.PortfolioSummary()
    no_tags.CopyFrom(full)
    for p in no_tags.positions:
        del p.tags[:]
    out = bounded_summary(full, no_tags.ByteSize() + 400)
    assert [p.symbol for p in out.positions] == [p.symbol for p in full.positions]
    assert out.insights[-1].numbers["left_out"] == "tags"
    out = bounded_summary(full, full.ByteSize() // 2)
    assert out.ByteSize() <= full.ByteSize() // 2
    kept = len(out.positions)
    assert 0 < kept < 1000 and [p.symbol for p in out.positions] == [p.symbol for p in full.positions[:kept]]
    note = out.insights[-1]
    assert (note.code, note.numbers["left_out"], note.numbers["positions_left_out"]) == (
        ABRIDGED, "tags,positions", str(1000 - kept))
    assert list(out.sectors) == list(full.sectors)


def test_groups_and_insights_that_alone_do_not_fit_are_cut_to_fit() -> None:
    full = _summary(3000, 6000)
    for limit in (120_000, 40_000, 2_000):
        out = bounded_summary(full, limit)
        assert out.ByteSize() <= limit
        note = out.insights[-1]
        assert note.code == ABRIDGED and note.numbers["positions_left_out"] == "6000" and not out.positions
        assert note.numbers["left_out"].startswith("tags,positions,group_symbols")
        assert all(not g.symbols for g in out.sectors)
        assert [g.key for g in out.sectors] == [g.key for g in full.sectors[: len(out.sectors)]]
