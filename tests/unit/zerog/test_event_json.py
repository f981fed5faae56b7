"""The streamed answer's events decode exactly as ``json.loads`` decodes them."""

from __future__ import annotations

import json

import pytest

from stack_cfo.zerog.client import _event_json

CHUNK = ('{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",'
         '"choices":[{"index":0,"delta":{"content":" holdings"},"finish_reason":null}]}')


@pytest.mark.parametrize("data", [CHUNK, " " + CHUNK, CHUNK + "\n", "[1]", '"x"', "NaN", '{"a":"\\ud800"}'])
def test_same_value(data: str) -> None:
    assert repr(_event_json(data)) == repr(json.loads(data))


@pytest.mark.parametrize("data", ['{"a":1}x', "{bad", "", "   "])
def test_same_error(data: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(data)
    with pytest.raises(json.JSONDecodeError):
        _event_json(data)


def test_deep_nesting_is_a_value_error_not_a_crash() -> None:
    # An import (py_ecc) raises the recursion limit to 100 000: the C decoder would overflow the
    # C stack on this before raising RecursionError, killing the process.
    with pytest.raises(ValueError, match="nested too deeply"):
        _event_json("[" * 200_000)
    with pytest.raises(ValueError, match="nested too deeply"):
        _event_json('{"a":' * 65 + "1" + "}" * 65)


def test_brackets_inside_strings_and_wide_json_are_not_depth() -> None:
    wide = '{"choices":[' + ",".join(['{"delta":{"content":"[[{{"}}'] * 200) + "]}"
    assert _event_json(wide) == json.loads(wide)
    text = '{"content":"' + "[" * 1000 + '\\"{{{"}'
    assert _event_json(text) == json.loads(text)
    assert _event_json("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)
