"""Checks on a prompt as the model would read it, written independently of the encoder.

A prompt passes when no line of any message poses as a role, no chat-template token appears,
every data block is one line of JSON between its marker lines, and the hostile text a test planted
appears only inside a block (decoded intact) or, in free text, on quoted lines.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from confusable_homoglyphs.confusables import confusables_data

ROLE_WORDS = ("system", "assistant", "user", "developer", "tool", "function", "human", "model")
_NAME = "(" + "|".join(ROLE_WORDS) + ")(?![a-z0-9])"
_ROLE = re.compile(rf"^[\s#*_`\"'~-]*{_NAME}[*_`\"'~]*\s*(\([^)]*\))?[*_`\"'~]*\s*:", re.IGNORECASE)
_HEADING = re.compile(rf"^\s*#{{1,6}}\s*{_NAME}", re.IGNORECASE)
TEMPLATE_TOKEN = re.compile(
    r"<\|[^|\n]{1,40}\|>|<｜[^｜\n]{1,40}｜>|\[/?INST\]|\[/?SYSTEM_PROMPT\]|<</?SYS>>|</?s>|<(start|end)_of_turn>"
    r"|</?(article|system|assistant|user|data)>",
    re.IGNORECASE,
)
_FOLD = {
    ord(e["c"]): letter
    for letter in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:"
    for e in confusables_data.get(letter, ())
    if len(e["c"]) == 1 and not e["c"].isascii()
}
_BLOCK = re.compile(r"^<<<([A-Z_]+)\n(.*)\n\1>>>$", re.MULTILINE)
_MARKER_LINE = re.compile(r"^(<<<[A-Z_]+|[A-Z_]+>>>)$")


def lines(text: str) -> list[str]:
    """Lines as any reader may split them (``str.splitlines`` breaks on U+2028, U+0085, \\v...)."""
    return text.splitlines()


def poses_as_role(line: str) -> bool:
    folded = unicodedata.normalize("NFKC", line).translate(_FOLD)
    return bool(_ROLE.match(folded) or _HEADING.match(folded))


def role_lines(text: str) -> list[str]:
    return [line for line in lines(text) if poses_as_role(line)]


def blocks(text: str) -> list[tuple[str, Any]]:
    """Every data block in ``text``: (name, decoded JSON). Fails when a block is not one JSON line."""
    out = []
    for m in _BLOCK.finditer(text):
        assert "\n" not in m.group(2)
        out.append((m.group(1), json.loads(m.group(2))))
    return out


def outside_blocks(text: str) -> str:
    return _BLOCK.sub("", text)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def check_prompt(messages: Sequence[dict[str, Any]], *, words: Sequence[str] = ()) -> list[str]:
    """Assert the prompt is clean (module docstring) and return every string decoded from its data
    blocks. ``words``: distinctive words of planted hostile text, which a message that carries a data
    block may hold only inside the block."""
    assert messages, "empty prompt"
    decoded: list[str] = []
    for m in messages:
        assert m["role"] in ("system", "user", "assistant"), m["role"]
        content = m["content"]
        assert not role_lines(content), (m["role"], role_lines(content))
        assert not TEMPLATE_TOKEN.search(content), (m["role"], TEMPLATE_TOKEN.search(content))
        found = blocks(content)
        markers = [line for line in lines(content) if _MARKER_LINE.match(line)]
        assert len(markers) == 2 * len(found), markers  # no stray or forged marker line
        if found:
            rest = outside_blocks(content)
            for word in words:
                assert word not in rest, (word, rest)
        decoded.extend(s for _, v in found for s in strings(v))
    return decoded
