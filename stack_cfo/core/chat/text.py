"""Cleaning text that enters a prompt: user messages and the labels inside the data block."""

from __future__ import annotations

import math
import re

# Cc controls except \t and \n, plus the bidi embedding/override/isolate controls ("Trojan
# source") and the byte-order mark.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


def sanitize_content(text: str) -> str:
    """Normalise newlines, strip control characters, trim surrounding whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def clean_label(text: str, limit: int = 64) -> str:
    """Data strings are short labels: controls removed, newlines flattened, length capped."""
    return sanitize_content(text).replace("\n", " ")[:limit]


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: about four UTF-8 bytes per token, plus per-message overhead."""
    return math.ceil(len(text.encode("utf-8")) / 4) + 4
