"""What an answer event's fields may hold: text of the right shape, believable usage, valid Unicode."""

from __future__ import annotations

from typing import Any

import pytest

from stack_cfo.zerog.sse import MAX_TOKENS, event_text, usage_counts, valid_text


@pytest.mark.parametrize(
    ("obj", "text"),
    [
        ({"choices": [{"delta": {"content": "Hi"}}]}, "Hi"),
        ({"choices": [{"message": {"content": "Hi"}}]}, "Hi"),  # a JSON body
        ({"choices": [{"delta": {"role": "assistant", "content": ""}}]}, None),
        ({"choices": [{"delta": {"content": None}}]}, None),
        ({"choices": [{"delta": {}, "finish_reason": "stop"}]}, None),
        ({"choices": []}, None),
        ({"choices": None}, None),
        ({"usage": {"prompt_tokens": 1}}, None),
        ({"choices": [{"delta": {"content": "\ud800x"}}]}, "\ufffdx"),
    ],
)
def test_event_text(obj: dict[str, Any], text: str | None) -> None:
    assert event_text(obj) == text


@pytest.mark.parametrize(
    "obj",
    [{"choices": 5}, {"choices": "abc"}, {"choices": {"0": {}}}, {"choices": [7]}, {"choices": [{"delta": "zzz"}]},
     {"choices": [{"delta": ["x"]}]}, {"choices": [{"delta": {"content": 42}}]},
     {"choices": [{"delta": {"content": ["a"]}}]}, {"choices": [{"message": {"content": {"t": "x"}}}]}],
)
def test_event_text_of_the_wrong_shape_is_a_value_error(obj: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        event_text(obj)


def test_usage_counts() -> None:
    assert usage_counts({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}) == {
        "prompt_tokens": 3, "completion_tokens": 2}
    assert usage_counts({"completion_tokens": 2}) == {"prompt_tokens": 0, "completion_tokens": 2}
    assert usage_counts({"prompt_tokens": MAX_TOKENS, "completion_tokens": None}) == {
        "prompt_tokens": MAX_TOKENS, "completion_tokens": 0}
    for bad in ("lots", 5, [1], {"prompt_tokens": "3"}, {"prompt_tokens": -1}, {"completion_tokens": MAX_TOKENS + 1},
                {"prompt_tokens": 10**30}, {"prompt_tokens": True}, {"prompt_tokens": 2.0}):
        assert usage_counts(bad) is None, bad


def test_valid_text() -> None:
    assert valid_text("plain") == "plain"
    assert valid_text("é \U0001f600") == "é \U0001f600"
    assert valid_text("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    valid_text("\udc80").encode("utf-8")
