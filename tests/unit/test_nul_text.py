"""U+0000 in any string of a request is INVALID_ARGUMENT ``INVALID_TEXT`` naming the field: PostgreSQL
cannot store it, and an article title holding one used to end as INTERNAL."""

from __future__ import annotations

from google.protobuf import struct_pb2

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, portfolio_pb2
from stack_cfo.api.decoding import UNDECODABLE, TextWithNul, nul_error, nul_fields, safe_deserializer


def _decode(message: object, refuse_nul: bool = True) -> object:
    decode = safe_deserializer(type(message).FromString, refuse_nul=refuse_nul)  # type: ignore[attr-defined]
    assert decode is not None
    return decode(message.SerializeToString())  # type: ignore[attr-defined]


def test_nested_repeated_and_scalar_strings_are_named() -> None:
    req = portfolio_pb2.IngestNewsRequest(articles=[
        portfolio_pb2.NewsArticle(id="a1", source="R", title="fine"),
        portfolio_pb2.NewsArticle(id="a\x002", source="R", title="t\x00", symbols=["AAPL", "MS\x00FT"]),
    ])
    bad = _decode(req)
    assert isinstance(bad, TextWithNul)
    assert bad.fields == ["articles[1].id", "articles[1].title", "articles[1].symbols[1]"]
    err = nul_error(bad)
    assert err.reason == "INVALID_TEXT"
    assert [v.field for v in err.violations] == bad.fields
    assert err.metadata["field"] == "articles[1].id" and err.metadata["violation_count"] == "3"


def test_a_clean_request_decodes_as_itself_even_with_zero_bytes_on_the_wire() -> None:
    req = chat_pb2.SendMessageRequest(name="users/u/sessions/s", content="how much?")
    assert _decode(req) == req
    # A zero byte in the body (here the timestamp's zero seconds) is not a NUL in a string.
    article = portfolio_pb2.NewsArticle(id="a", source="R", title="t")
    article.publish_time.FromSeconds(0)
    wire = article.SerializeToString()
    assert b"\x00" in wire
    assert _decode(article) == article


def test_map_keys_and_values() -> None:
    s = struct_pb2.Struct()
    s.fields["ok"].string_value = "x"
    s.fields["k\x00"].string_value = "y"
    s.fields["v"].string_value = "z\x00"
    found = nul_fields(s)
    assert sorted(found) == sorted(["fields['k\\x00']", "fields['v'].string_value"])


def test_without_refuse_nul_the_message_passes_and_undecodable_stays_undecodable() -> None:
    req = portfolio_pb2.NewsArticle(id="a\x00")
    assert _decode(req, refuse_nul=False) == req
    decode = safe_deserializer(portfolio_pb2.NewsArticle.FromString, refuse_nul=True)
    assert decode is not None and decode(b"\xff\xff\xff") is UNDECODABLE
