"""Incremental Server-Sent Events decoder (the ``data:`` part of the WHATWG rules).

Bytes arrive in arbitrary pieces; :meth:`SSEDecoder.feed` returns the ``data`` of every event
completed by the piece. Handled: ``\\n``, ``\\r\\n`` and ``\\r`` line ends (also split across
pieces), comment lines (``: keep-alive``), fields other than ``data`` (ignored), ``data`` with
or without the single leading space, multi-line data (joined with ``\\n``), a UTF-8 BOM at the
start, and an event still pending at end of stream (:meth:`flush`).
"""

from __future__ import annotations


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
