"""The records of provenance: a grounding result as it is stored and sent, and the receipt.

Both serialise to plain JSON (``to_json``/``from_json``) for the ``ai_receipts`` table and the
``grounding`` columns; unknown or missing keys read as "not checked", so rows written before a
field existed stay readable.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from stack_cfo.core.grounding import Facts, GroundingResult


class AiSurface(StrEnum):
    """Which kind of AI-written text a receipt covers (the contract's ``AiSurface``)."""

    CHAT_ANSWER = "CHAT_ANSWER"
    PORTFOLIO_NARRATIVE = "PORTFOLIO_NARRATIVE"
    DAILY_DIGEST = "DAILY_DIGEST"
    WEEKLY_SUMMARY = "WEEKLY_SUMMARY"
    NEWS_SUMMARY = "NEWS_SUMMARY"
    CHAT_SUMMARY = "CHAT_SUMMARY"
    """A compression summary (the session's memory): checked, never sent, no receipt."""


class GroundingState(StrEnum):
    """The contract's ``GroundingStatus`` (``NOT_CHECKED`` for texts stored before the check)."""

    GROUNDED = "GROUNDED"
    UNGROUNDED = "UNGROUNDED"
    NO_FIGURES = "NO_FIGURES"
    NOT_CHECKED = "NOT_CHECKED"


@dataclass(frozen=True, slots=True)
class FigureRecord:
    """One figure of a text as stored and sent: where it is, what it reads as, what it is tied to."""

    text: str
    start: int
    end: int
    start_utf16: int
    end_utf16: int
    value: str
    """Decimal string, signed and scaled (``"-3"`` for "fell 3%"; percents in percent)."""
    kind: str
    """``AMOUNT``, ``PERCENT``, ``RATIO``, ``COUNT`` or ``NUMBER``."""
    grounded: bool
    fact: str = ""
    fact_value: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "start_utf16": self.start_utf16,
            "end_utf16": self.end_utf16,
            "value": self.value,
            "kind": self.kind,
            "grounded": self.grounded,
            "fact": self.fact,
            "fact_value": self.fact_value,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FigureRecord:
        return cls(
            text=str(raw.get("text", "")),
            start=int(raw.get("start", 0)),
            end=int(raw.get("end", 0)),
            start_utf16=int(raw.get("start_utf16", 0)),
            end_utf16=int(raw.get("end_utf16", 0)),
            value=str(raw.get("value", "")),
            kind=str(raw.get("kind", "NUMBER")),
            grounded=bool(raw.get("grounded", False)),
            fact=str(raw.get("fact", "")),
            fact_value=str(raw.get("fact_value", "")),
        )


@dataclass(frozen=True, slots=True)
class GroundingRecord:
    """The outcome of the grounding check of one text (offsets index that text)."""

    status: GroundingState
    figures: tuple[FigureRecord, ...] = ()

    @property
    def ungrounded_count(self) -> int:
        return sum(1 for f in self.figures if not f.grounded)

    @property
    def ungrounded(self) -> tuple[FigureRecord, ...]:
        return tuple(f for f in self.figures if not f.grounded)

    @classmethod
    def not_checked(cls) -> GroundingRecord:
        return cls(GroundingState.NOT_CHECKED)

    @classmethod
    def of(cls, result: GroundingResult, facts: Facts) -> GroundingRecord:
        figures = []
        for c in result.checks:
            f = c.figure
            fact = facts.get(c.fact_path) if c.fact_path else None
            figures.append(
                FigureRecord(
                    text=f.raw,
                    start=f.start,
                    end=f.end,
                    start_utf16=f.start_utf16,
                    end_utf16=f.end_utf16,
                    # "fell 3%": the direction word signs the value (-3), as Figure.value documents
                    value=_decimal_text(-f.value if f.direction == -1 and f.value > 0 else f.value),
                    kind=f.kind.value,
                    grounded=c.grounded,
                    fact=c.fact_path or "",
                    fact_value=_decimal_text(fact.value) if fact is not None else "",
                )
            )
        return cls(GroundingState(result.status.value), tuple(figures))

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status.value, "figures": [f.to_json() for f in self.figures]}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> GroundingRecord:
        if not raw:
            return cls.not_checked()
        try:
            status = GroundingState(str(raw.get("status")))
        except ValueError:
            return cls.not_checked()
        figures = tuple(FigureRecord.from_json(f) for f in raw.get("figures") or () if isinstance(f, Mapping))
        return cls(status, figures)


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything needed to check an AI-written text after the fact (see ``common.proto`` Receipt)."""

    id: str
    surface: AiSurface
    subject: str
    """What the text belongs to, as a resource name (``users/{u}/sessions/{s}/messages/{m}``...)."""
    user_id: str | None
    """The owner; ``None`` for shared texts (news summaries)."""
    provider: str
    model: str
    response_id: str
    verification: str
    tee_signer: str
    signature: str
    signed_text: str
    prompt_sha256: str
    data_sha256: str
    data_snapshot: str
    """Canonical JSON of the data the model was given."""
    data_as_of: datetime | None
    text: str
    """The AI's text exactly as produced (what the signature and ``grounding`` cover)."""
    text_sha256: str
    grounding: GroundingRecord
    prompt_tokens: int
    completion_tokens: int
    fee_neuron: int | None
    degraded_reason: str
    created_at: datetime
    router_tee_verified: bool | None = None
    extra_facts: dict[str, dict[str, str]] = field(default_factory=dict)
    """Facts that are not in the data snapshot (numbers the user wrote, the source article):
    ``path -> {"value", "kind", "currency", "unit"}``. Kept for replay; never sent."""
    signed_request: bytes = b""
    """The exact request body whose SHA-256 is the first half of ``signed_text`` (empty when the
    receipt carries no signature over it). Read whole only (like ``data_snapshot``)."""
    signed_response: bytes = b""
    """The exact response bytes (SSE stream or JSON body) whose SHA-256 is the second half."""

    @property
    def name(self) -> str:
        return f"users/{self.user_id}/receipts/{self.id}" if self.user_id else f"receipts/{self.id}"

    def with_subject(self, subject: str) -> Receipt:
        return replace(self, subject=subject)

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())


def _decimal_text(value: Decimal) -> str:
    """A decimal string without exponent (``1E+3`` -> ``1000``)."""
    text = format(value, "f")
    return text
