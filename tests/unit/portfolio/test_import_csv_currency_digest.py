"""The digest id of a CSV row without an ``id``: an empty currency is the base currency (a SPLIT's is
its symbol's, so it stays empty), and the ids the previous release gave a row are offered for it to be
found under (:func:`as_recorded`)."""

from __future__ import annotations

from stack_cfo.core.portfolio.importers import as_recorded, digest_ids, parse_csv

HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"


def ids(text: str, base: str = "USD") -> list[str]:
    return [r.transaction.client_id for r in parse_csv(text, base_currency=base)]


def test_an_empty_currency_digests_as_the_base_currency() -> None:
    rows = "2025-03-03,BUY,NVDA,10,120,,{c},,,,\n2025-03-04,DEPOSIT,,,,100,{c},,,,\n"
    assert ids(HEADER + rows.format(c="")) == ids(HEADER + rows.format(c="USD")) == ids(HEADER + rows.format(c="usd"))
    assert ids(HEADER + rows.format(c="EUR"), "EUR") == ids(HEADER + rows.format(c=""), "EUR")
    assert ids(HEADER + rows.format(c="EUR")) != ids(HEADER + rows.format(c=""))  # EUR is not the base
    # a SPLIT without a currency takes its symbol's, not the base currency
    split = "2025-03-05,SPLIT,NVDA,,,,{c},,2,,\n"
    assert ids(HEADER + split.format(c="")) != ids(HEADER + split.format(c="USD"))


def test_a_row_emptied_and_a_row_filled_in_are_two_identical_rows() -> None:
    text = HEADER + "2025-03-03,BUY,NVDA,10,120,,,,,,\n2025-03-03,BUY,NVDA,10,120,,USD,,,,\n"
    first, second = ids(text)
    assert second == f"{first}#2"


def test_the_previous_release_ids_are_offered_first_and_picked_when_recorded() -> None:
    text = (HEADER + "2025-03-03,BUY,NVDA,10,120,,,,,,\n2025-03-04,BUY,AAPL,1,200,,USD,,,,\n"
            "2025-03-05,BUY,X,1,1,,EUR,,,x,\n")
    old = ids(text, "")  # the previous release: the currency as written
    emptied = ids(text.replace(",USD,", ",,"), "")
    rows = parse_csv(text, base_currency="USD")
    own = [r.transaction.client_id for r in rows]
    assert rows[0].known_as == (old[0], own[0])  # written empty: the previous release's id, its own
    assert rows[1].known_as == (own[1], emptied[1])  # written USD: its own (as before), as if left empty
    assert rows[2].known_as == () and own[2] == "x"  # the file's id
    # none recorded: their own ids; recorded by the previous release: those
    assert [r.transaction.client_id for r in as_recorded(rows, set())] == own
    picked = as_recorded(rows, {old[0], emptied[1]})
    assert [r.transaction.client_id for r in picked] == [old[0], emptied[1], "x"]
    # digesting again (the importer does, once it knows the portfolio's base currency) is the same
    assert digest_ids(rows, "USD") == rows


def test_two_rows_are_never_put_under_one_recorded_id() -> None:
    text = HEADER + "2025-03-03,BUY,NVDA,10,120,,,,,,\n2025-03-03,BUY,NVDA,10,120,,USD,,,,\n"
    rows = parse_csv(text, base_currency="USD")
    old = ids(text, "")  # the previous release: two distinct ids
    picked = [r.transaction.client_id for r in as_recorded(rows, set(old))]
    assert picked == old
    only_one = [r.transaction.client_id for r in as_recorded(rows, {old[1]})]
    assert len(set(only_one)) == 2 and only_one[0] == old[1]
