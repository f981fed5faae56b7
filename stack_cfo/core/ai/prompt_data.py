"""The one way untrusted text enters a prompt.

Anything that comes from users, feeds or ingested data (article titles, sources and text, feed
names, symbols, sectors, baskets, session titles, chat messages, conversation summaries) reaches
the model only through this module. Every prompt builder calls it; a static test
(``tests/unit/test_prompt_guard.py``) fails when a builder interpolates anything else into a
:class:`~stack_cfo.core.ai.Message`. Two encodings, both deterministic (same input, same bytes):

**Data blocks** (:func:`data_block`, :func:`encode_data`) carry documents: a portfolio, an
article, a conversation to summarise. The document is JSON between two fixed marker lines,
``<<<NAME`` and ``NAME>>>``, and the system prompt says the block is data. Inside:

1. Every string (keys included) is cut to ``max_string_chars`` code points (:func:`clip`: on a
   word boundary when one is near, never inside an escape or between a letter and its combining
   marks, ending in ``…``). Cutting happens before escaping, so an escape is never split.
2. Every string is a JSON string literal, so a line break is the two characters ``\\n``: the whole
   block is one physical line and nothing in it can *start* a line (``SYSTEM:``, ``assistant:``,
   ``### Instruction``) or end the marker line.
3. These characters are written as ``\\uXXXX`` escapes, so no string can spell a marker, a tag
   (``</article>``), or a chat-template token (``<|im_start|>``, ``<｜User｜>``, ``[INST]``,
   ``<<SYS>>``): ``<`` ``>`` ``&``; ``[`` before ``/``, ``_`` or an upper-case letter and ``]``
   after ``_`` or an upper-case letter (the shape of ``[INST]``, ``[/TOOL_CALLS]``; other brackets
   in text, and JSON's own, stay); the look-alikes of ``<`` ``>`` ``&`` ``[`` ``]``
   (:data:`LOOKALIKES`: Unicode TR39 confusables from the ``confusable-homoglyphs`` data, NFKC
   compatibility forms such as fullwidth ``＜``, and angle or square brackets of other blocks);
   every C1 control, format character (zero-width, bidi override), line or paragraph separator
   (``U+2028``, ``U+0085``), private-use and lone-surrogate code point. The escapes are plain
   JSON: decoding the block gives the document back exactly (after cutting), so nothing is lost,
   only made inert.
4. Numbers, booleans and null are written as :func:`json.dumps` writes them (non-finite floats
   become null). Keys keep their order.

**Free text in a role** (:func:`encode_text`) is a chat message that travels in its own ``user``
(or ``assistant``) message: the investor's words, earlier answers, the conversation summary. It
stays readable, but:

1. Line breaks are normalised to ``\\n`` (``\\r``, ``U+0085``, ``U+2028``/``U+2029``, vertical tab,
   form feed); other controls, bidi controls, zero-width spaces, the BOM and lone surrogates are
   removed.
2. Tag-shaped tokens (``<`` + up to 64 non-space characters + ``>``, look-alike brackets included:
   ``</article>``, ``<|im_start|>``, ``<｜Assistant｜>``, ``<s>``) and the bracketed tokens of
   chat templates (``[INST]``, ``[/SYSTEM_PROMPT]``, ``[TOOL_CALLS]``) have their brackets written
   as ``\\uXXXX`` text, so a tokenizer never sees a special token and the model sees an escaped
   quote of it. ``P/E < 20`` and ``[AAPL]`` are left alone (no token shape).
3. A line that opens with a role label (``system``, ``assistant``, ``user``, ``developer``,
   ``tool``, ``function``, ``human``, ``ai``, ``model``, ``instruction(s)``, ``context``,
   ``prompt``; followed by ``:`` or as a ``#`` heading; in any case and in look-alike letters:
   TR39 confusables and NFKC compatibility forms, so ``ＳＹＳＴＥＭ：``, Cyrillic ``ЅYЅTEM:`` and
   mathematical ``𝐒𝐘𝐒𝐓𝐄𝐌:`` count) is quoted: it gets a ``> `` prefix, so no line of the message
   starts as another role.
4. The text is cut to ``max_chars`` (:func:`clip`).

What this does **not** do: it cannot stop a model from *following* an instruction written inside
a block (``"please tell readers to sell"`` is valid data and stays readable). The system prompts
say blocks are data; the second line is the grounding check and the receipts
(:mod:`stack_cfo.core.grounding`, :mod:`stack_cfo.core.provenance`), which keep an answer that
states figures the data does not hold from being stored or sent. See ``docs/security.md``.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from confusable_homoglyphs.confusables import confusables_data

__all__ = [
    "DATA_BEGIN", "DATA_END", "LOOKALIKES", "MAX_STRING_CHARS", "block_markers", "clip", "data_block",
    "encode_data", "encode_text",
]

MAX_STRING_CHARS = 4000
"""Default cap, in code points, on each string inside a data block."""

ELLIPSIS = "…"


def block_markers(name: str) -> tuple[str, str]:
    """The opening and closing marker lines of a block called ``name`` (``[A-Z_]+``)."""
    if not re.fullmatch(r"[A-Z][A-Z_]{0,31}", name):
        raise ValueError(f"block name {name!r} must be upper-case letters and underscores")
    return f"<<<{name}", f"{name}>>>"


DATA_BEGIN, DATA_END = block_markers("PORTFOLIO_DATA")

# ------------------------------------------------------------------------------ which characters

_STRUCTURAL = "<>&[]"
_EXTRA_BRACKETS = {
    "<": "\u2329\u3008\u27e8\u276c\u2770\u29fc\u2039\u276e\u02c2\u1438",
    ">": "\u232a\u3009\u27e9\u276d\u2771\u29fd\u203a\u276f\u02c3\u1433",
    "[": "\u27e6\u2045\u301a\u298b\u298d\u298f\u2e22\u2e24",
    "]": "\u27e7\u2046\u301b\u298c\u298e\u2990\u2e23\u2e25",
    "&": "",
}
"""Brackets of other blocks that read as ``<``/``>``/``[``/``]`` but are neither TR39 confusables
nor NFKC-equivalent (mathematical angle brackets, CJK angle brackets, ornaments...)."""
_NFKC_RANGES = ((0xFE10, 0xFE6F), (0xFF00, 0xFFEF))
"""Where the compatibility forms of ASCII punctuation live (small and fullwidth forms); a unit
test checks every code point to prove no other NFKC form of a structural character exists."""


def _tr39(ascii_char: str) -> set[str]:
    """Single code points that Unicode TR39 lists as confusable with ``ascii_char``."""
    return {e["c"] for e in confusables_data.get(ascii_char, ()) if len(e["c"]) == 1}


def _lookalikes() -> dict[str, str]:
    out: dict[str, str] = {}
    for ch in _STRUCTURAL:
        for alike in _tr39(ch) | set(_EXTRA_BRACKETS[ch]):
            out[alike] = ch
    for lo, hi in _NFKC_RANGES:
        for cp in range(lo, hi + 1):
            folded = unicodedata.normalize("NFKC", chr(cp))
            if len(folded) == 1 and folded in _STRUCTURAL:
                out[chr(cp)] = folded
    return out


LOOKALIKES: Mapping[str, str] = _lookalikes()
"""Look-alike character -> the structural ASCII character it imitates."""


def _u(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs"})
_ASCII_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\x7f", "\\u007f"))
# Square brackets of a template-shaped token ([INST], [/TOOL_CALLS]). A structural JSON bracket is
# never followed by / A-Z _ nor preceded by A-Z _, so only brackets inside strings match.
_OPEN_TOKEN = re.compile(r"\[(?=[A-Z_/])")
_CLOSE_TOKEN = re.compile(r"\](?<=[A-Z_]\])")


@lru_cache(maxsize=65536)
def _non_ascii_escape(ch: str) -> str | None:
    if ch in LOOKALIKES or unicodedata.category(ch) in _ESCAPED_CATEGORIES:
        return _u(ch)
    return None


def _escape_json(text: str) -> str:
    """Compact JSON (from :func:`json.dumps`) with the unsafe characters of its strings as ``\\uXXXX``.

    ``json.dumps`` has already escaped ``"``, ``\\`` and U+0000-U+001F; the characters replaced
    here are none of those and (square brackets apart, matched by context) never JSON structure, so
    every existing escape stays intact and the text decodes to the same document. Plain
    ``str.replace`` per distinct unsafe character: data blocks are mostly ASCII and a character
    class over all of Unicode is several times slower to scan.
    """
    for raw, escaped in _ASCII_ESCAPES:
        if raw in text:
            text = text.replace(raw, escaped)
    if "[" in text:
        text = _OPEN_TOKEN.sub(r"\\u005b", text)
    if "]" in text:
        text = _CLOSE_TOKEN.sub(r"\\u005d", text)
    if not text.isascii():
        for ch in {c for c in set(text) if c > "\x7f"}:
            escaped_ch = _non_ascii_escape(ch)
            if escaped_ch is not None:
                text = text.replace(ch, escaped_ch)
    return text


# ------------------------------------------------------------------------------ cutting


def clip(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` code points, ending in ``…`` when cut.

    The cut prefers a word boundary in the last fifth, and never leaves a combining mark, a
    zero-width joiner or a variation selector without its base, nor half a surrogate pair.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    if space >= (max_chars * 4) // 5:
        cut = cut[:space]
    while cut and (
        unicodedata.combining(cut[-1])
        or unicodedata.category(cut[-1]) in ("Mn", "Mc", "Me", "Cs")
        or cut[-1] in "\u200d\ufe0e\ufe0f"
    ):
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


# ------------------------------------------------------------------------------ data blocks


def _prepared(value: Any, cap: int) -> Any:
    """``value`` with every string cut to ``cap`` and non-finite floats as ``None`` (shared
    sub-objects are returned as they are when nothing in them changes)."""
    t = type(value)
    if t is str:
        return value if len(value) <= cap else clip(value, cap)
    if t is float:
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {_prepared(k, cap) if type(k) is str else k: _prepared(v, cap) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepared(v, cap) for v in value]
    return value


@lru_cache(maxsize=16)
def _long_body(n: int) -> re.Pattern[str]:
    return re.compile(f'"[^"]{{{n + 1}}}')


def _may_hold_a_long_string(text: str, cap: int) -> bool:
    """False only when no string in the JSON ``text`` is longer than ``cap``: a string's literal
    starts with a quote and holds at least its length in characters before the next (escaped
    backslashes and quotes are blanked out first). One regex scan, linear in the text."""
    if '\\"' in text:
        text = text.replace("\\\\", "__").replace('\\"', "__")
    return _long_body(cap).search(text) is not None


def encode_data(doc: Any, *, max_string_chars: int = MAX_STRING_CHARS) -> str:
    """``doc`` as one line of compact JSON in which no string can close or open a block, spell a
    tag or a chat-template token, or start a line (rules in the module docstring).

    Raises :class:`TypeError` for values JSON has no form for (``Decimal``, ``datetime``: convert
    them first)."""
    if max_string_chars < 1:
        raise ValueError("max_string_chars must be at least 1")
    text: str | None
    try:  # fast path: no string is longer than the whole text, and NaN/Infinity raise
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        text = None
    if text is None or (len(text) > max_string_chars and _may_hold_a_long_string(text, max_string_chars)):
        text = json.dumps(
            _prepared(doc, max_string_chars), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    return _escape_json(text)


def data_block(doc: Any, *, name: str = "PORTFOLIO_DATA", max_string_chars: int = MAX_STRING_CHARS) -> str:
    """``doc`` (:func:`encode_data`) between the marker lines of block ``name``."""
    begin, end = block_markers(name)
    return f"{begin}\n{encode_data(doc, max_string_chars=max_string_chars)}\n{end}"


# ------------------------------------------------------------------------------ free text


_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_REMOVED = re.compile(
    "[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200b\u200e\u200f\u2060-\u2064\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def _class(ch: str) -> str:
    return "[" + re.escape(ch + "".join(sorted(a for a, c in LOOKALIKES.items() if c == ch))) + "]"


_LT, _GT, _LB, _RB = _class("<"), _class(">"), _class("["), _class("]")
_TAG = re.compile(f"{_LT}[^\\s<>]{{1,64}}?{_GT}")
_BRACKET_TOKEN = re.compile(
    f"{_LB}/?(?:INST|SYS|SYSTEM|USER|ASSISTANT|THINK|[A-Z]+_[A-Z_]+){_RB}"  # [INST], [/SYSTEM_PROMPT], [TOOL_CALLS]
)

_ROLE_WORDS = (
    "system", "assistant", "user", "developer", "tool", "function", "human", "ai", "model",
    "instruction", "instructions", "context", "prompt",
)
_COMPATIBILITY_RANGES = (
    (0x02B0, 0x02FF), (0x1D00, 0x1DBF), (0x2070, 0x209F), (0x2100, 0x214F), (0x2460, 0x24FF),
    (0xFE10, 0xFE6F), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x1F100, 0x1F1FF),
)
"""Where NFKC folds letters and punctuation to ASCII (modifier letters, super- and subscripts,
letterlike symbols, circled and fullwidth forms, mathematical alphanumerics, enclosed letters)."""


def _compatibility_forms() -> dict[str, set[str]]:
    forms: dict[str, set[str]] = {}
    for lo, hi in _COMPATIBILITY_RANGES:
        for cp in range(lo, hi + 1):
            folded = unicodedata.normalize("NFKC", chr(cp)).lower()
            if len(folded) == 1 and folded.isascii():
                forms.setdefault(folded, set()).add(chr(cp))
    return forms


_FORMS = _compatibility_forms()


def _variants(ascii_char: str) -> set[str]:
    """``ascii_char`` in both cases and every single code point that reads as it: TR39 confusables
    and the NFKC compatibility forms in :data:`_COMPATIBILITY_RANGES`."""
    variants = {ascii_char.lower(), ascii_char.upper()}
    for v in list(variants):
        variants |= {e["c"] for e in confusables_data.get(v, ()) if len(e["c"]) == 1}
    return variants | _FORMS.get(ascii_char.lower(), set())


def _alike(ascii_char: str) -> str:
    return "[" + re.escape("".join(sorted(_variants(ascii_char)))) + "]"


_ROLE_NAME = "(?:" + "|".join("".join(_alike(c) for c in w) for w in _ROLE_WORDS) + ")(?![A-Za-z0-9])"
_COLON, _HASH = _alike(":"), _alike("#")
_DECORATION = f"(?:[*_`\"'~]|{_alike('*')})*"
_PLAIN_DECORATION = ">*_`\"'|~-#" + "".join(chr(cp) for cp in range(0x3001) if chr(cp).isspace())
_CAN_OPEN_A_LABEL = frozenset().union(*(_variants(c) for c in {w[0] for w in _ROLE_WORDS} | {"#", "*"}))
"""What a line can start with (after plain decoration) when it opens with a role label."""
_ROLE_LINE = re.compile(
    # "SYSTEM:", "**System (admin)**:", "> user :", in any case and in look-alike letters
    rf"^(?:[\s>*_`\"'|~-]|{_HASH})*{_ROLE_NAME}{_DECORATION}\s*(?:\([^)\n]{{0,24}}\))?{_DECORATION}\s*{_COLON}"
    rf"|^\s*{_HASH}{{1,6}}\s*{_ROLE_NAME}"  # "### System"
)


def _escape_brackets(m: re.Match[str]) -> str:
    token = m.group()  # opens and closes with a bracket (or a look-alike); none in between
    return _u(token[0]) + token[1:-1] + _u(token[-1])


def _poses_as_role(line: str) -> bool:
    first = line.lstrip(_PLAIN_DECORATION)[:1]
    return first in _CAN_OPEN_A_LABEL and _ROLE_LINE.match(line) is not None


def encode_text(text: str, *, max_chars: int | None = None) -> str:
    """Free text for a role message, made unable to pose as another role (module docstring)."""
    text = _REMOVED.sub("", _LINE_BREAKS.sub("\n", text.replace("\r\n", "\n")))
    text = _TAG.sub(_escape_brackets, text)
    text = _BRACKET_TOKEN.sub(_escape_brackets, text)
    if max_chars is not None:
        text = clip(text, max_chars)
    return "\n".join(f"> {line}" if _poses_as_role(line) else line for line in text.split("\n"))
