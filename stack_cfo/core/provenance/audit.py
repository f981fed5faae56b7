"""Checking a finished AI text and writing its receipt.

Every surface that sends or stores an AI-written text calls :meth:`Audit.check` once the text is
complete (never before the first streamed byte) and :meth:`Audit.receipt` with what the compute
client reported. The check is deterministic and cheap (linear in the text); its outcome is
counted by surface and status, and an ungrounded text is logged with its subject.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from prometheus_client import Counter

from stack_cfo.core.ai import CompletionResult, Message, Verification
from stack_cfo.core.clock import Clock
from stack_cfo.core.grounding import Fact, FactKind, Facts, check, facts_from_text
from stack_cfo.core.provenance.model import AiSurface, GroundingRecord, GroundingState, Receipt
from stack_cfo.core.provenance.snapshot import Snapshot, prompt_sha256, sha256_hex

log = logging.getLogger(__name__)

GROUNDING_TOTAL = Counter(
    "ai_grounding_total",
    "AI-written texts checked against the facts they were given, by surface and outcome.",
    ["surface", "status"],
)
UNGROUNDED_FIGURES = Counter(
    "ai_ungrounded_figures_total",
    "Figures in AI-written texts that match no fact the model was given.",
    ["surface"],
)


@dataclass(frozen=True, slots=True)
class AuditedText:
    """A text ready to send or store, with its grounding and its receipt."""

    text: str
    grounding: GroundingRecord
    receipt: Receipt | None
    degraded_reason: str


def text_facts(prefix: str, texts: Sequence[str]) -> Facts:
    """The figures of texts the answer may repeat (the user's messages, a source article), each
    text under ``{prefix}[i]``."""
    out = Facts()
    for i, text in enumerate(texts):
        if text:
            out = out | facts_from_text(f"{prefix}[{i}]", text)
    return out


def facts_json(facts: Mapping[str, Fact]) -> dict[str, dict[str, str]]:
    """Facts as plain JSON (for a receipt's ``extra_facts``)."""
    return {
        path: {
            "value": format(f.value, "f"),
            "kind": f.kind.value,
            **({"currency": f.currency} if f.currency else {}),
            **({"unit": format(f.unit, "f")} if f.unit is not None else {}),
        }
        for path, f in facts.items()
    }


def facts_from_json(raw: Mapping[str, Mapping[str, str]]) -> Facts:
    out: dict[str, Fact] = {}
    for path, f in raw.items():
        try:
            unit = Decimal(f["unit"]) if f.get("unit") else None
            out[path] = Fact(Decimal(f["value"]), FactKind(f["kind"]), f.get("currency") or None, unit)
        except (KeyError, ValueError, ArithmeticError):
            continue  # a fact we cannot read back only makes a replay stricter
    return Facts(out)


class Audit:
    """Grounding checks and receipts for every AI surface of a process."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def check(
        self, surface: AiSurface, text: str, facts: Facts, *, subject: str = "", count: bool = True
    ) -> GroundingRecord:
        """Check the figures of a finished ``text`` against ``facts``; count and log the outcome
        (``count=False`` for the server's own replacement texts, which are not AI outcomes)."""
        result = check(text, facts)
        record = GroundingRecord.of(result, facts)
        if not count:
            return record
        GROUNDING_TOTAL.labels(surface.value, record.status.value).inc()
        if record.status is GroundingState.UNGROUNDED:
            UNGROUNDED_FIGURES.labels(surface.value).inc(record.ungrounded_count)
            log.warning(
                "AI text states figures that match no fact",
                extra={
                    "surface": surface.value,
                    "subject": subject,
                    "ungrounded": [f.text for f in record.ungrounded][:20],
                },
            )
        return record

    def receipt(
        self,
        *,
        surface: AiSurface,
        subject: str,
        user_id: str | None,
        result: CompletionResult | None,
        text: str,
        prompt: Sequence[Message],
        snapshot: Snapshot,
        grounding: GroundingRecord,
        degraded_reason: str = "",
        extra_facts: Facts | None = None,
        receipt_id: str | None = None,
    ) -> Receipt:
        """The receipt of ``text`` as the compute client reported it (``result``; None = the
        deterministic writer's text, written without a model)."""
        extra = result.extra if result is not None else {}
        offline = result is None or result.offline
        verification = result.verification.value if result is not None else Verification.NOT_APPLICABLE.value
        router_claim = extra.get("router_tee_verified")
        return Receipt(
            id=receipt_id or Receipt.new_id(),
            surface=surface,
            subject=subject,
            user_id=user_id,
            provider="offline" if offline else (result.provider if result is not None else "offline"),
            model="offline" if offline else (result.model if result is not None else "offline"),
            response_id="" if offline or result is None else result.chat_id,
            verification=verification,
            tee_signer=extra.get("tee_signer", ""),
            signature=extra.get("tee_signature", ""),
            signed_text=extra.get("tee_signed_text", ""),
            prompt_sha256=prompt_sha256(prompt) if prompt else "",
            data_sha256=snapshot.sha256,
            data_snapshot=snapshot.text,
            data_as_of=snapshot.as_of,
            text=text,
            text_sha256=sha256_hex(text),
            grounding=grounding,
            prompt_tokens=max(0, result.prompt_tokens) if result is not None else 0,
            completion_tokens=max(0, result.completion_tokens) if result is not None else 0,
            fee_neuron=(0 if offline else (result.fee_neuron or None)) if result is not None else 0,
            degraded_reason=degraded_reason,
            created_at=self._clock.now(),
            router_tee_verified=None if router_claim is None else router_claim == "true",
            extra_facts=facts_json(extra_facts) if extra_facts else {},
            signed_request=_signed_bytes(extra, "tee_signed_request", offline),
            signed_response=_signed_bytes(extra, "tee_signed_response", offline),
        )


def _signed_bytes(extra: Mapping[str, str], key: str, offline: bool) -> bytes:
    """A body the provider signed, as the compute client reported it (its bytes as a latin-1
    string), only next to the signature it belongs to."""
    value = extra.get(key, "")
    if offline or not value or not extra.get("tee_signature") or not extra.get("tee_signed_text"):
        return b""
    return value.encode("latin-1")
