"""Incremental Server-Sent Events decoder (the ``data:`` part of the WHATWG rules).

Bytes arrive in arbitrary pieces; :meth:`SSEDecoder.feed` returns the ``data`` of every event
completed by the piece. Handled: ``\\n``, ``\\r\\n`` and ``\\r`` line ends (also split across
pieces), comment lines (``: keep-alive``), fields other than ``data`` (ignored), ``data`` with
or without the single leading space, multi-line data (joined with ``\\n``), a UTF-8 BOM at the
start, and an event still pending at end of stream (:meth:`flush`).

Then what an event's JSON may hold: :func:`event_text` (the text, or ValueError for a choice of
the wrong shape), :func:`usage_counts` (believable token counts or unknown), :func:`valid_text`
(no lone surrogates) and :func:`too_deep` (nesting the JSON decoder must not be given).
"""

from __future__ import annotations

import re
from typing import Any

#: A UTF-16 surrogate code point: JSON's ``\\ud800`` escapes decode to one when it is not half of
#: a pair, and such a string cannot be encoded as UTF-8 (hashes, the database, gRPC).
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so it is valid Unicode text (what the
    SSE decoder already does to invalid UTF-8 bytes). Cheap for the usual ASCII text."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


#: The deepest nesting decoded in an event (answers nest about 5 levels). JSON is decoded by C
#: recursion bounded only by the recursion limit, which an import raises (py_ecc sets 100 000):
#: a deep enough event would overflow the C stack and kill the process instead of raising.
MAX_EVENT_DEPTH = 64
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[{\]}]', re.DOTALL)


def too_deep(data: str) -> bool:
    """Do brackets outside strings nest deeper than :data:`MAX_EVENT_DEPTH`? (Counting the brackets
    first: a usual event has a few; then one linear pass.)"""
    if data.count("[") + data.count("{") <= MAX_EVENT_DEPTH:
        return False
    depth = 0
    for m in _JSON_TOKEN.finditer(data):
        c = data[m.start()]
        if c == "[" or c == "{":
            depth += 1
            if depth > MAX_EVENT_DEPTH:
                return True
        elif c != '"':
            depth -= 1
    return False


#: The largest token count believed from a provider's ``usage`` (contexts are far smaller); the
#: store keeps counts, and a turn's sum, as 32-bit integers.
MAX_TOKENS = 10**9


def event_text(obj: dict[str, Any]) -> str | None:
    """The text of an event's first choice (``delta`` streamed, ``message`` in a JSON body), lone
    surrogates replaced; ValueError when ``choices``, the choice, its delta or content has the
    wrong type. Empty or null values carry nothing, as in the protocol."""
    choices = obj.get("choices")
    if not choices:
        return None
    if not isinstance(choices, list) or not isinstance(c0 := choices[0], dict):
        raise ValueError("choices is not a list of objects")
    delta = c0.get("delta") or c0.get("message")
    if not delta:
        return None
    if not isinstance(delta, dict):
        raise ValueError("delta is not an object")
    text = delta.get("content")
    if not text:
        return None
    if not isinstance(text, str):
        raise ValueError("content is not a string")
    return valid_text(text)


def usage_counts(u: Any) -> dict[str, int] | None:
    """The token counts of a ``usage`` object, or None (unknown, as when a provider sends no usage)
    unless each count is absent or a whole number from 0 to :data:`MAX_TOKENS`."""
    if not isinstance(u, dict):
        return None
    out: dict[str, int] = {}
    for key in ("prompt_tokens", "completion_tokens"):
        n = u.get(key)
        if n is None:
            n = 0
        if type(n) is not int or not 0 <= n <= MAX_TOKENS:
            return None
        out[key] = n
    return out


class SSEDecoder:
    __slots__ = ("_buf", "_data", "_started", "_trailing_cr")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] = []
        self._started = False
        self._trailing_cr = False

    def feed(self, chunk: bytes) -> list[str]:
        """Consume bytes; return the data of each event they complete."""
        if not chunk:
            return []
        if not self._started:
            self._started = True
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        if self._trailing_cr:
            # a "\r" ended the previous piece: a following "\n" belongs to the same line end
            self._trailing_cr = False
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                self._trailing_cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buf = self._buf + chunk if self._buf else chunk
        lines = buf.split(b"\n")
        self._buf = lines.pop()
        events: list[str] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    events.append((data[0] if len(data) == 1 else b"\n".join(data)).decode("utf-8", "replace"))
                    data.clear()
                continue
            if line.startswith(b"data:"):
                value = line[5:]
                if value.startswith(b" "):
                    value = value[1:]
                data.append(value)
            # comments (":...") and other fields (event, id, retry) carry nothing we use
        return events

    def flush(self) -> list[str]:
        """End of stream: an unterminated last event is still delivered (as browsers do not,
        but a provider that forgets the final blank line still sent its data)."""
        events: list[str] = []
        if self._buf:
            events.extend(self.feed(b"\n"))
        if self._data:
            events.append(b"\n".join(self._data).decode("utf-8", "replace"))
            self._data.clear()
        return events
