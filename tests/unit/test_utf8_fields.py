"""The wire walk that names the strings of an undecodable body that are not UTF-8 (api/decoding.py)."""

from __future__ import annotations

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.decoding import UNDECODABLE, BadText, invalid_utf8_fields, safe_deserializer

DESCRIPTOR = portfolio_pb2.SyncPortfolioRequest.DESCRIPTOR


def test_nested_repeated_strings_are_named_with_their_index() -> None:
    request = portfolio_pb2.SyncPortfolioRequest(
        portfolio="users/u/portfolio",
        positions=[portfolio_pb2.Holding(symbol="AAAA"), portfolio_pb2.Holding(symbol="BBBB", basket="KKKK")])
    body = request.SerializeToString().replace(b"BBBB", b"\xff\xfe\xfd\xfc").replace(b"KKKK", b"\xc3\x28ab")
    assert invalid_utf8_fields(DESCRIPTOR, body) == ["positions[1].symbol", "positions[1].basket"]
    decoded = safe_deserializer(portfolio_pb2.SyncPortfolioRequest.FromString)(body)  # type: ignore[misc]
    assert type(decoded) is BadText and decoded.fields == ["positions[1].symbol", "positions[1].basket"]


def test_a_body_that_is_no_encoding_names_nothing() -> None:
    decode = safe_deserializer(portfolio_pb2.SyncPortfolioRequest.FromString)
    assert decode(b"\x0a\x05ab") is UNDECODABLE  # type: ignore[misc]
    assert decode(b"\xff" * 11) is UNDECODABLE  # type: ignore[misc]
    assert invalid_utf8_fields(DESCRIPTOR, b"\x0b\x0c") == []  # a group: not walked


def test_the_walk_of_a_body_of_millions_of_fields_is_bounded() -> None:
    body = b"\x08\x01" * 2_000_000 + b"\x0a\x02\xc3\x28"  # 2 million unknown varints, then a bad portfolio name
    assert invalid_utf8_fields(DESCRIPTOR, body) == []  # past MAX_WIRE_FIELDS: given up before the bad name
    assert invalid_utf8_fields(DESCRIPTOR, body[-100:]) == ["portfolio"]  # within it: named
