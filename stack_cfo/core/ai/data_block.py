"""Data in prompts: one way to put computed data (which may carry user- or feed-supplied labels)
into a prompt so it reads as data and can never close its block or pose as an instruction.

The block is JSON between fixed markers; ``<``, ``>`` and ``&`` are escaped (``\\u003c``...), so no
string inside can spell a marker or a tag.
"""

from __future__ import annotations

import json
from typing import Any

DATA_BEGIN = "<<<PORTFOLIO_DATA"
DATA_END = "PORTFOLIO_DATA>>>"


def encode_data(doc: Any) -> str:
    """JSON with ``<``/``>``/``&`` escaped, so data can never close (or open) a marker."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def data_block(doc: Any) -> str:
    """``doc`` between the markers, ready to be the body (or part) of a prompt message."""
    return f"{DATA_BEGIN}\n{encode_data(doc)}\n{DATA_END}"
