"""The offline writer: the one place that answers without AI, clearly marked as such.

Features pass ``CompletionOptions.fallback``: plain sentences computed from the same numbers the
AI would have seen (a :class:`~stack_cfo.core.ai.ReasonedFallback` is told why AI is not answering,
so it can say so honestly: :func:`not_ai_notice` and :func:`next_step` word it for every reason).
:func:`write_offline` turns it into an :class:`OfflineAnswer`: the text
(preceded by the line :data:`OFFLINE_BANNER`), the pieces it is streamed in (word-sized, so
streaming UIs behave the same) and a result marked ``offline=True, degraded=True,
provider="offline", model="offline"``, with ``extra["ai_generated"] = "false"``,
``extra["generated_by"] = "offline-writer"``, ``extra["fallback_reason"]`` (``ZEROG_NOT_CONFIGURED``,
``ZEROG_BREAKER_OPEN``, ``ZEROG_PROVIDER_UNAVAILABLE``, ...) and ``extra["requested_model"]``.
Clients can key on either the banner or the flags.

Its users:

* the 0G compute client (:mod:`stack_cfo.zerog`), when no provider is configured or none answered
  before the first byte;
* :class:`OfflineComputeClient`, the :class:`~stack_cfo.core.ai.ComputeClient` that never calls AI,
  for a service built without a compute client;
* a feature that caught an error instead of a result (``InsufficientFunds`` is raised, not answered
  offline) and answers with its own fallback: ``banner=False`` (that text carries its own notice),
  and its own chunking (:func:`sentence_chunks` for the portfolio narrative).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from stack_cfo.core.ai import (
    CompletionOptions,
    CompletionResult,
    DegradedReason,
    Message,
    ReasonedFallback,
    Verification,
    fallback_reason_code,
)
from stack_cfo.core.i18n import N_, Localizer, english

OFFLINE_PROVIDER = "offline"
OFFLINE_BANNER = N_("[Automated summary — AI unavailable]")
#: The fallback reason of a client with no provider at all (``DegradedReason.NOT_CONFIGURED``).
NOT_CONFIGURED = "ZEROG_NOT_CONFIGURED"

# Why AI is not answering, per DegradedReason code, and what happens next: honest about whether
# asking again can help (it cannot while nothing is configured or the account is unfunded).
_WHY = {
    DegradedReason.NOT_CONFIGURED: N_("no AI provider is configured for this service"),
    DegradedReason.BALANCE_INSUFFICIENT: N_("the service's AI compute account has run out of funds"),
    DegradedReason.BREAKER_OPEN: N_("the AI service failed several times in a row and is paused for a short while"),
    DegradedReason.UNAVAILABLE: N_("the AI service did not respond"),
    DegradedReason.STREAM_BROKEN: N_("the AI service did not respond"),
    DegradedReason.UNGROUNDED: N_("the AI's answer quoted figures that do not match your portfolio data"),
}
_NEXT = {
    DegradedReason.NOT_CONFIGURED: N_("AI answers start once an operator configures an AI provider."),
    DegradedReason.BALANCE_INSUFFICIENT: N_("AI answers resume once an operator tops the account up."),
    DegradedReason.BREAKER_OPEN: N_("AI is tried again automatically after the pause."),
    DegradedReason.UNAVAILABLE: N_("Asking again in a moment may get an AI answer."),
    DegradedReason.STREAM_BROKEN: N_("Asking again in a moment may get an AI answer."),
    DegradedReason.UNGROUNDED: N_("Asking again may get an AI answer whose figures check out."),
}


def why_not_ai(reason: str, l10n: Localizer | None = None) -> str:
    """Why AI is not answering, as a clause, for a ``DegradedReason`` code (unknown: not responding)."""
    text = _WHY.get(reason, _WHY[DegradedReason.UNAVAILABLE])  # type: ignore[call-overload]
    return l10n._(text) if l10n is not None else text


def not_ai_notice(reason: str, l10n: Localizer | None = None) -> str:
    """The opening line of a deterministic answer: what it is and why (in ``l10n``'s language)."""
    lc = l10n or english()
    why = why_not_ai(reason, lc)
    if reason == DegradedReason.UNGROUNDED:
        text = lc._("This is an automatic summary of your figures, not AI analysis: {why}, so it was replaced.")
        return text.format(why=why)
    return lc._("This is an automatic summary of your figures, not AI analysis: {why}.").format(why=why)


def next_step(reason: str, l10n: Localizer | None = None) -> str:
    """What happens next, honestly (never "ask again" when that cannot help)."""
    text = _NEXT.get(reason, _NEXT[DegradedReason.UNAVAILABLE])  # type: ignore[call-overload]
    return l10n._(text) if l10n is not None else text


def generic_fallback(reason: str) -> str:
    """The text of a call that brought no fallback of its own, for a ``DegradedReason`` code."""
    why = why_not_ai(reason)
    return f"AI commentary is unavailable because {why}. The figures shown are current. {next_step(reason)}"

_WORDS = re.compile(r"\S+\s*|\s+")
_SENTENCES = re.compile(r".+?(?:[.!?](?:\s+|$)|$)", re.DOTALL)


def word_chunks(text: str) -> tuple[str, ...]:
    """Word-sized pieces whose concatenation is exactly ``text``."""
    return tuple(m.group(0) for m in _WORDS.finditer(text))


def sentence_chunks(text: str) -> tuple[str, ...]:
    """Sentence-sized pieces whose concatenation is exactly ``text``."""
    return tuple(m.group(0) for m in _SENTENCES.finditer(text) if m.group(0))


def offline_text(
    fallback: str | Callable[[], str] | ReasonedFallback | None, *, banner: bool = True, reason: str = ""
) -> str:
    """The caller's fallback (evaluated now if callable), or a generic sentence, under the banner.

    ``reason`` is the compute client's fallback reason (``ZEROG_*``); a :class:`ReasonedFallback`
    and the generic sentence get its ``DegradedReason`` code.
    """
    code = fallback_reason_code(reason)
    body: str | None
    line = OFFLINE_BANNER
    if isinstance(fallback, ReasonedFallback):
        body = fallback.write(code)
        line = fallback.banner or OFFLINE_BANNER
    else:
        body = fallback() if callable(fallback) else fallback
    body = (body or "").strip() or generic_fallback(code)
    return f"{line}\n{body}" if banner else body


def offline_result(text: str, *, reason: str, requested_model: str = "") -> CompletionResult:
    """``text`` marked as the offline writer's; ``reason`` is why AI did not answer."""
    return CompletionResult(
        text=text,
        model=OFFLINE_PROVIDER,
        provider=OFFLINE_PROVIDER,
        verification=Verification.NOT_APPLICABLE,
        degraded=True,
        offline=True,
        extra={
            "ai_generated": "false",
            "generated_by": "offline-writer",
            "fallback_reason": reason,
            "requested_model": requested_model,
        },
    )


@dataclass(frozen=True, slots=True)
class OfflineAnswer:
    """What the offline writer answers: the deltas to stream and the result they add up to."""

    chunks: tuple[str, ...]
    result: CompletionResult


def write_offline(
    fallback: str | Callable[[], str] | ReasonedFallback | None,
    *,
    reason: str,
    requested_model: str = "",
    banner: bool = True,
    chunks: Callable[[str], tuple[str, ...]] = word_chunks,
) -> OfflineAnswer:
    """The offline answer to a call with ``fallback`` (see the module docstring)."""
    text = offline_text(fallback, banner=banner, reason=reason)
    return OfflineAnswer(chunks(text), offline_result(text, reason=reason, requested_model=requested_model))


class OfflineStream:
    """A :class:`~stack_cfo.core.ai.CompletionStream` over an :class:`OfflineAnswer`."""

    def __init__(self, answer: OfflineAnswer) -> None:
        self._answer = answer
        self._result: CompletionResult | None = None
        self._closed = False

    def __aiter__(self) -> AsyncIterator[str]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str]:
        for chunk in self._answer.chunks:
            if self._closed:
                return
            await asyncio.sleep(0)
            yield chunk
        self._result = self._answer.result

    async def aclose(self) -> None:
        self._closed = True

    @property
    def result(self) -> CompletionResult | None:
        return self._result

    @property
    def settled(self) -> CompletionResult:
        """The whole answer, known before the first delta (what a cancelled call stores)."""
        return self._answer.result


class OfflineComputeClient:
    """A :class:`~stack_cfo.core.ai.ComputeClient` that never calls AI: every call is answered by
    the offline writer with ``reason`` (by default: no provider is configured)."""

    def __init__(self, *, reason: str = NOT_CONFIGURED) -> None:
        self._reason = reason

    def stream(
        self, messages: Sequence[Message], *, model: str | None = None, options: CompletionOptions | None = None
    ) -> OfflineStream:
        return OfflineStream(self._answer(model, options))

    async def complete(
        self, messages: Sequence[Message], *, model: str | None = None, options: CompletionOptions | None = None
    ) -> CompletionResult:
        return self._answer(model, options).result

    def _answer(self, model: str | None, options: CompletionOptions | None) -> OfflineAnswer:
        fallback = options.fallback if options is not None else None
        return write_offline(fallback, reason=self._reason, requested_model=model or OFFLINE_PROVIDER)

    @property
    def default_model(self) -> str:
        return OFFLINE_PROVIDER

    @property
    def default_provider(self) -> str:
        return OFFLINE_PROVIDER
