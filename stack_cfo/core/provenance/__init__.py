"""Answers users can check: every AI-written text is grounded against the facts it was given and
carries a receipt anyone can re-verify.

- :mod:`.model`     the records: :class:`Receipt`, :class:`GroundingRecord` (what goes on the wire)
- :mod:`.snapshot`  canonical JSON of a data snapshot and the hashes of snapshot and prompt
- :mod:`.audit`     :class:`Audit`: check a finished text, count it, write its receipt
- :mod:`.ports`     where receipts are kept (:class:`ReceiptStore`)
- :mod:`.writer`    one-way AI texts: written whole, checked, regenerated once, else deterministic
- :mod:`.replay`    recompute a receipt's facts as of its time and list what differs

The check itself (figures in text, facts in data, matching) is :mod:`stack_cfo.core.grounding`.
"""

from stack_cfo.core.provenance.audit import Audit, AuditedText
from stack_cfo.core.provenance.model import (
    AiSurface,
    FigureRecord,
    GroundingRecord,
    GroundingState,
    Receipt,
)
from stack_cfo.core.provenance.ports import ReceiptStore
from stack_cfo.core.provenance.snapshot import Snapshot
from stack_cfo.core.provenance.writer import GroundedWriter, Written

__all__ = [
    "AiSurface",
    "Audit",
    "AuditedText",
    "FigureRecord",
    "GroundedWriter",
    "GroundingRecord",
    "GroundingState",
    "Receipt",
    "ReceiptStore",
    "Snapshot",
    "Written",
]
