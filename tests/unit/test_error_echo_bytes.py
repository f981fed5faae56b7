"""What an error echoes is bounded in bytes on the wire: 512 characters of emoji in a message made a 6 KB
``grpc-message`` (every UTF-8 byte percent-encoded) and, with the details, trailers over gRPC's 8 KiB limit, which the
client dropped with the status (RESOURCE_EXHAUSTED "received metadata size exceeds soft limit", no ErrorInfo; a
security tester: docs/security.md "a 1 MB resource name cannot make the trailers unreadable"). And an address that
does not resolve is said so without a Python class name."""

from __future__ import annotations

import socket
import urllib.parse

import pytest

from stack_cfo.api.errors import MAX_ECHO_CHARS, MAX_MESSAGE_CHARS, clip, to_status
from stack_cfo.core.errors import FieldViolation, InvalidArgument, NotFound
from stack_cfo.core.notifications.webhooks import AddressBlocked, checked_addresses


def _wire_size(text: str) -> int:
    return len(urllib.parse.quote(text.encode("utf-8"), safe=" "))  # grpc-message's percent-encoding, at worst


@pytest.mark.parametrize("char", ["x", "é", "中", "😀"])
def test_a_long_echo_is_cut_in_bytes(char: str) -> None:
    name = "users/u/sessions/" + char * 5000
    exc = InvalidArgument(f"name: {name!r} is not a valid resource name", reason="INVALID_RESOURCE_NAME",
                          violations=[FieldViolation("name", f"expected users/{{user}}, not {name!r}")],
                          metadata={"field": "name", "value": name})
    st = to_status(exc)
    assert len(st.message.encode()) <= MAX_MESSAGE_CHARS and st.message.endswith("chars)")
    assert _wire_size(st.message) + len(st.SerializeToString()) * 4 // 3 < 4096  # far below 8 KiB
    missing = to_status(NotFound.resource("session", name))
    assert len(missing.SerializeToString()) < 2048


def test_clip_keeps_whole_characters_and_short_texts() -> None:
    assert clip("short") == "short"
    cut = clip("😀" * 300)
    assert len(cut.encode()) <= MAX_ECHO_CHARS and cut.startswith("😀") and "\ufffd" not in cut
    assert clip("a" * 256) == "a" * 256


async def test_an_address_that_does_not_resolve_names_no_exception_class() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(AddressBlocked) as ei:
        await checked_addresses("localhost.", 443, allow_private=False, resolve=resolve)
    assert str(ei.value) == "localhost. does not resolve"

