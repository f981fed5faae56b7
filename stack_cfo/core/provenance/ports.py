"""Where receipts are kept."""

from __future__ import annotations

from typing import Protocol

from stack_cfo.core.provenance.model import Receipt


class ReceiptStore(Protocol):
    async def save_receipt(self, receipt: Receipt) -> None:
        """Store a receipt (idempotent by id)."""
        ...

    async def get_receipt(self, receipt_id: str) -> Receipt | None:
        """The receipt with its data snapshot, or None."""
        ...
