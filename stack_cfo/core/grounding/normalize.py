"""Character-level normalisation that keeps offsets: one code point in, one code point out.

:func:`normalize` rewrites digits of any script (Arabic-Indic, Devanagari, full-width...) to ASCII
digits, minus-like dashes (U+2212 minus, en dash, figure dash, non-breaking hyphen, small and
full-width hyphen-minus) to ``-``, full-width ASCII forms to ASCII, the Arabic decimal, thousands
and percent signs to ``.``, ``,`` and ``%``, and the multiplication sign to ``x``. Because every
character maps to exactly one character, an index into the normalised text is an index into the
original, and the raw figure is sliced from the original.

:class:`Utf16Offsets` converts code-point offsets to UTF-16 code units: astral characters (emoji,
some CJK) take two UTF-16 units, so every one before an offset shifts it by one.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

_FIXED = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash, often a minus in generated text
    "\u2012": "-",  # figure dash
    "\u2011": "-",  # non-breaking hyphen
    "\u2010": "-",  # hyphen
    "\ufe63": "-",  # small hyphen-minus
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
    "\u066a": "%",  # Arabic percent sign
    "\u00d7": "x",  # multiplication sign: "1.5×"
    "\u2019": "'",  # right single quote as apostrophe: "'24", "1'234"
    "\u3000": " ",  # ideographic space
}
_cache: dict[str, str] = {}


def _map(ch: str) -> str:
    out = _cache.get(ch)
    if out is None:
        out = _FIXED.get(ch, ch)
        if out is ch:
            code = ord(ch)
            if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII
                out = chr(code - 0xFEE0)
            elif unicodedata.category(ch) == "Nd":  # a decimal digit of any script
                out = str(unicodedata.decimal(ch))
        if len(_cache) < 4096:  # bounded: hostile text cannot grow it without limit
            _cache[ch] = out
    return out


def normalize(text: str) -> str:
    """Return ``text`` with the mappings above; always the same length as ``text``."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: _map(m.group()), text)


class Utf16Offsets:
    """Code-point offset -> UTF-16 code-unit offset for one text, in O(log astral characters)."""

    __slots__ = ("_astral",)

    def __init__(self, text: str) -> None:
        self._astral: list[int] = [] if text.isascii() else [m.start() for m in _ASTRAL.finditer(text)]

    def __call__(self, offset: int) -> int:
        if not self._astral:
            return offset
        return offset + bisect_left(self._astral, offset)
