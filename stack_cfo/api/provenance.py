"""Provenance on the wire: verification statuses, grounding results and receipts -> proto.

One translation for every servicer that returns AI-written text (chat, portfolio narrative,
notifications, receipts).
"""

from __future__ import annotations

from decimal import Decimal

from stack_cfo._proto.stack.cfo.v1 import common_pb2
from stack_cfo.api.validation import format_decimal, set_timestamp
from stack_cfo.core.ai import Verification
from stack_cfo.core.provenance import AiSurface, FigureRecord, GroundingRecord, GroundingState, Receipt

_NEURON = Decimal(10) ** -18

VERIFICATION = {
    Verification.VERIFIED.value: common_pb2.VERIFICATION_STATUS_VERIFIED,
    Verification.UNVERIFIED_SERVICE.value: common_pb2.VERIFICATION_STATUS_UNVERIFIED_SERVICE,
    Verification.FAILED.value: common_pb2.VERIFICATION_STATUS_FAILED,
    Verification.UNAVAILABLE.value: common_pb2.VERIFICATION_STATUS_UNAVAILABLE,
    Verification.NOT_APPLICABLE.value: common_pb2.VERIFICATION_STATUS_NOT_APPLICABLE,
}
_GROUNDING = {
    GroundingState.GROUNDED: common_pb2.GROUNDING_STATUS_GROUNDED,
    GroundingState.UNGROUNDED: common_pb2.GROUNDING_STATUS_UNGROUNDED,
    GroundingState.NO_FIGURES: common_pb2.GROUNDING_STATUS_NO_FIGURES,
    GroundingState.NOT_CHECKED: common_pb2.GROUNDING_STATUS_NOT_CHECKED,
}
_SURFACE = {
    AiSurface.CHAT_ANSWER: common_pb2.AI_SURFACE_CHAT_ANSWER,
    AiSurface.PORTFOLIO_NARRATIVE: common_pb2.AI_SURFACE_PORTFOLIO_NARRATIVE,
    AiSurface.DAILY_DIGEST: common_pb2.AI_SURFACE_DAILY_DIGEST,
    AiSurface.WEEKLY_SUMMARY: common_pb2.AI_SURFACE_WEEKLY_SUMMARY,
    AiSurface.NEWS_SUMMARY: common_pb2.AI_SURFACE_NEWS_SUMMARY,
}
_KIND = {
    "AMOUNT": common_pb2.FIGURE_KIND_AMOUNT,
    "PERCENT": common_pb2.FIGURE_KIND_PERCENT,
    "RATIO": common_pb2.FIGURE_KIND_RATIO,
    "COUNT": common_pb2.FIGURE_KIND_COUNT,
    "NUMBER": common_pb2.FIGURE_KIND_NUMBER,
}


def verification_to_proto(value: str) -> common_pb2.VerificationStatus:
    return VERIFICATION.get(value, common_pb2.VERIFICATION_STATUS_UNSPECIFIED)


def fee_in_0g(neuron: int | None, *, offline: bool) -> str:
    """Neuron -> 0G decimal string; "0" for offline text, "" when the provider reported none."""
    if offline:
        return "0"
    if neuron is None or neuron <= 0:
        return ""
    return format_decimal((Decimal(neuron) * _NEURON).normalize())


def figure_to_proto(f: FigureRecord, target: common_pb2.Figure) -> None:
    target.text = f.text
    target.start, target.end = f.start, f.end
    target.start_utf16, target.end_utf16 = f.start_utf16, f.end_utf16
    target.value = f.value
    target.kind = _KIND.get(f.kind, common_pb2.FIGURE_KIND_NUMBER)
    target.grounded = f.grounded
    target.fact, target.fact_value = f.fact, f.fact_value


def grounding_to_proto(g: GroundingRecord, target: common_pb2.Grounding) -> None:
    target.status = _GROUNDING[g.status]
    target.ungrounded_count = g.ungrounded_count
    for f in g.figures:
        figure_to_proto(f, target.figures.add())


def receipt_to_proto(r: Receipt, target: common_pb2.Receipt, *, with_snapshot: bool = False) -> None:
    target.name = r.name
    target.surface = _SURFACE.get(r.surface, common_pb2.AI_SURFACE_UNSPECIFIED)
    target.subject = r.subject
    target.provider = r.provider
    target.model = r.model
    target.response_id = r.response_id
    target.verification = verification_to_proto(r.verification)
    target.tee_signer_address = r.tee_signer
    target.signature = r.signature
    target.signed_text = r.signed_text
    target.prompt_sha256 = r.prompt_sha256
    target.data_sha256 = r.data_sha256
    if with_snapshot:
        target.data_snapshot = r.data_snapshot
    set_timestamp(target.data_as_of, r.data_as_of)
    target.text = r.text
    target.text_sha256 = r.text_sha256
    grounding_to_proto(r.grounding, target.grounding)
    target.usage.prompt_tokens = r.prompt_tokens
    target.usage.completion_tokens = r.completion_tokens
    target.fee = fee_in_0g(r.fee_neuron, offline=r.provider == "offline")
    target.degraded_reason = r.degraded_reason
    if r.router_tee_verified is not None:
        target.router_tee_verified = r.router_tee_verified
    set_timestamp(target.create_time, r.created_at)
