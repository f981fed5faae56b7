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
