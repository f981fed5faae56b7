"""The contract's decimal strings (common.proto): what a money amount or a quantity looks like on the
wire and in our own files, checked the same way by the API and by the importers."""

from __future__ import annotations

import re
from decimal import Context

#: Digits after the point a decimal string may have.
MAX_FRACTION_DIGITS = 18

#: ``-?[0-9]+(\.[0-9]+)?`` with at most 30 integer and 18 fractional digits, to be fullmatched:
#: ASCII digits only (``\d`` would take "１２" or "٣", which Decimal reads), no exponent, no
#: separators, no spaces or line breaks.
DECIMAL_STRING = re.compile(rf"-?[0-9]{{1,30}}(?:\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?")

#: The context to quantize in: 30 integer digits at 18 places, and the sums and products made from
#: them, need more than the default 28 digits (quantizing 10^20 to 8 places already does). Rounds
#: half-even, as the default context does.
WIDE = Context(prec=80)
