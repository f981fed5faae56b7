"""A delta goes out as bytes built without protobuf objects: they must be the message's encoding."""

from __future__ import annotations

import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from stack_cfo.api.servicers.chat import delta_bytes

TEXTS = [
    "", "a", " holdings", "é" * 70, "x" * 127, "x" * 128, "€" * 50, "😀" * 3000, "y" * 20000,
    "\n\t\"\\", "\x00", "Your portfolio rose 2.4% to $12,345.67.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_bytes_as_the_message(text: str) -> None:
    expected = chat_pb2.SendMessageResponse(delta=chat_pb2.MessageDelta(text=text)).SerializeToString()
    assert delta_bytes(text) == expected
    decoded = chat_pb2.SendMessageResponse.FromString(delta_bytes(text))
    assert decoded.WhichOneof("event") == "delta"
    assert decoded.delta.text == text


def test_text_protobuf_cannot_encode_fails_the_same_way() -> None:
    with pytest.raises(UnicodeEncodeError):
        chat_pb2.MessageDelta(text="\ud800").SerializeToString()
    with pytest.raises(UnicodeEncodeError):
        delta_bytes("\ud800")
