"""Sizes of protobuf fields as serialized, for the code that keeps a response within a message limit
while it builds it (a chat session's context, a transcript page, a portfolio summary): a varint, a
string's UTF-8 bytes, a length-delimited field."""

from __future__ import annotations

#: What a gRPC client receives by default (grpc's max_receive_message_length): every response of the
#: service fits it, though the server may send up to ``server.max_message_bytes``.
CLIENT_RECEIVE_LIMIT = 4 * 1024 * 1024
#: The largest part a response is built around (a session's context, a portfolio summary, a batch's
#: transactions): 16 KiB less than the client's limit, left for the fields around it.
LARGEST_PART = CLIENT_RECEIVE_LIMIT - 16 * 1024


def varint_size(n: int) -> int:
    """Bytes of the varint ``n`` (``n`` >= 0)."""
    return max(1, (n.bit_length() + 6) // 7)


def utf8_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (lone surrogates as the encoder passes them)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def field_size(n: int, key: int = 1) -> int:
    """A length-delimited field (a string, bytes, a message, one item of a repeated one) of ``n``
    bytes: its key of ``key`` bytes, its length, its bytes."""
    return key + varint_size(n) + n
