"""The AI text port: what ``core`` needs from a compute client, and nothing more.

Implemented by :mod:`stack_cfo.zerog` (router, direct and offline modes). Features in
``core`` (chat, portfolio narrative, digests) always pass a deterministic ``fallback``
text computed from the same numbers, so the product never hangs on AI: when no
provider is configured, the breaker is open or every provider fails before answering,
the client streams that fallback and marks the result ``degraded``/``offline``
(:mod:`.offline`, the one offline writer, also a client that never calls AI).
:func:`degraded_reason` turns what a feature got back (a result, or the error it caught) into
the stable code the API reports as ``degraded_reason``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message sent to the model. Roles are never mixed: data goes in delimited blocks."""

    role: Role
    content: str


class Verification(StrEnum):
    """Outcome of checking the provider's TEE signature over an answer."""

    VERIFIED = "verified"  # signature recovered to the service's TEE signer
    UNVERIFIED_SERVICE = "unverified_service"  # service is not verifiable (no TEE signer / not acknowledged)
    FAILED = "failed"  # signature present but signer mismatch, or malformed
    UNAVAILABLE = "unavailable"  # could not fetch the signature (no chat id, 404, timeout)
    NOT_APPLICABLE = "not_applicable"  # offline writer or router without verification


@dataclass(frozen=True, slots=True)
class ReasonedFallback:
    """A fallback written for the reason AI is not answering.

    ``write`` is called with the :class:`DegradedReason` code (``COMPUTE_NOT_CONFIGURED``,
    ``COMPUTE_BREAKER_OPEN``...) only when the fallback is needed, so the text can say honestly
    why it is not AI's (and whether asking again helps).
    """

    write: Callable[[str], str]
    banner: str | None = None
    """The line above the text when the offline writer sends it (``None``: the English
    :data:`~stack_cfo.core.ai.offline.OFFLINE_BANNER`), e.g. in the user's language."""


@dataclass(frozen=True, slots=True)
class CompletionOptions:
    """Per-call knobs. ``None`` means the configured default."""

    max_tokens: int | None = None
    temperature: float | None = None
    #: Deterministic text used when AI is unavailable (offline mode, open breaker, outage
    #: before the first byte). A callable is evaluated only when needed; a
    #: :class:`ReasonedFallback` is also told why.
    fallback: str | Callable[[], str] | ReasonedFallback | None = None
    #: Absolute deadline as ``time.monotonic()`` seconds (from the gRPC caller's deadline).
    deadline: float | None = None
    #: Free-form operation label for metrics (bounded set: "chat", "summary", "digest", "narrative").
    operation: str = "chat"
    #: Seconds between the stream's deltas: after a delta the stream waits this long, then yields
    #: everything that arrived meanwhile as one (0: a delta for each piece as it arrives). The
    #: first delta is never held; a client that does not pace may ignore it.
    pace: float = 0.0


@dataclass(frozen=True, slots=True)
class CompletionResult:
    """The final outcome of one completion, streamed or not."""

    text: str
    model: str
    provider: str  # provider address, "router", or "offline"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fee_neuron: int = 0  # provider fee in neuron (1 0G = 1e18 neuron); 0 when unknown/offline
    chat_id: str = ""
    verification: Verification = Verification.NOT_APPLICABLE
    degraded: bool = False  # True when the text did not come from the requested AI path
    offline: bool = False  # True when the text is the deterministic writer's
    incomplete: bool = False  # True when the stream broke before [DONE]
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class CompletionStream(Protocol):
    """An async iterator of text deltas; ``result`` is set once iteration has ended.

    If the provider breaks mid-stream the iterator raises
    :class:`IncompleteCompletion` carrying the partial result.
    Closing the iterator early (``aclose``) cancels the provider request.
    """

    def __aiter__(self) -> AsyncIterator[str]: ...

    async def aclose(self) -> None: ...

    @property
    def result(self) -> CompletionResult | None: ...


class ComputeClient(Protocol):
    """What every feature uses to get AI text."""

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        options: CompletionOptions | None = None,
    ) -> CompletionStream: ...

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        options: CompletionOptions | None = None,
    ) -> CompletionResult: ...

    @property
    def default_model(self) -> str: ...

    @property
    def default_provider(self) -> str: ...


class IncompleteCompletion(Exception):
    """The provider stream ended without ``[DONE]``; ``partial`` keeps what arrived."""

    def __init__(self, partial: CompletionResult, cause: BaseException | None = None) -> None:
        super().__init__(f"completion stream broke after {len(partial.text)} characters")
        self.partial = partial
        self.cause = cause


class DegradedReason(StrEnum):
    """Why an AI answer is degraded, offline or incomplete: the codes of the contract's
    ``degraded_reason`` fields (stable; clients switch on them)."""

    #: The 0G compute account cannot pay (provider 400 "insufficient balance", router 402, no
    #: sub-account yet, or a ledger too small for a top-up): someone must top it up.
    BALANCE_INSUFFICIENT = "COMPUTE_BALANCE_INSUFFICIENT"
    #: No provider is configured: offline by configuration.
    NOT_CONFIGURED = "COMPUTE_NOT_CONFIGURED"
    #: Recent failures opened the breaker; AI is tried again after the open period.
    BREAKER_OPEN = "COMPUTE_BREAKER_OPEN"
    #: Provider or network failure, rate limit, timeout, or a refused request, before any text.
    UNAVAILABLE = "COMPUTE_UNAVAILABLE"
    #: The answer was cut mid-stream (or cancelled); ``incomplete`` is set.
    STREAM_BROKEN = "COMPUTE_STREAM_BROKEN"
    #: Another model or provider than the requested one answered (failover).
    MODEL_SUBSTITUTED = "MODEL_SUBSTITUTED"
    #: The AI's text stated figures that match nothing the server computed: the deterministic
    #: writer's text was sent (or stored) instead.
    UNGROUNDED = "AI_UNGROUNDED"
    #: The user's daily AI token budget is spent: the deterministic writer's text, until 00:00 UTC.
    TOKEN_BUDGET_EXHAUSTED = "TOKEN_BUDGET_EXHAUSTED"


#: Compute-client reasons (``StackCfoError.reason`` or ``extra["fallback_reason"]``) that are not
#: :attr:`DegradedReason.UNAVAILABLE`. Strings, because ``core`` does not import ``zerog``.
_REASONS: dict[str, DegradedReason] = {
    "ZEROG_INSUFFICIENT_BALANCE": DegradedReason.BALANCE_INSUFFICIENT,
    "ZEROG_LEDGER_INSUFFICIENT": DegradedReason.BALANCE_INSUFFICIENT,
    "ZEROG_NO_SUB_ACCOUNT": DegradedReason.BALANCE_INSUFFICIENT,
    "ZEROG_NOT_CONFIGURED": DegradedReason.NOT_CONFIGURED,
    "ZEROG_BREAKER_OPEN": DegradedReason.BREAKER_OPEN,
    "TOKEN_BUDGET_EXHAUSTED": DegradedReason.TOKEN_BUDGET_EXHAUSTED,
}


def fallback_reason_code(client_reason: str) -> str:
    """The :class:`DegradedReason` code of a compute client's fallback reason (``ZEROG_*``)."""
    return _REASONS.get(client_reason, DegradedReason.UNAVAILABLE).value


def degraded_reason(
    result: CompletionResult | None,
    error: BaseException | None = None,
    *,
    substituted: bool = False,
) -> str:
    """The ``degraded_reason`` of an answer; ``""`` when it came from the requested AI path.

    ``result`` is what the answer was built from (the client's result, a partial one, or the
    caller's own offline fallback); ``error`` the exception the caller caught from the client
    instead of a result (``InsufficientFunds`` is raised, not a fallback); ``substituted`` that
    the caller saw another model/provider answer than it asked for. A cut answer wins over
    everything (its text is partial), then the caught error, then the client's fallback reason.
    """
    if isinstance(error, IncompleteCompletion) or (result is not None and result.incomplete):
        return DegradedReason.STREAM_BROKEN.value
    if error is not None:
        return fallback_reason_code(str(getattr(error, "reason", "")))
    if result is None:
        return DegradedReason.UNAVAILABLE.value
    if result.offline or result.degraded:
        fallback = result.extra.get("fallback_reason")
        if fallback:
            return fallback_reason_code(fallback)
        if result.offline:  # an offline-only client: nothing is configured
            return DegradedReason.NOT_CONFIGURED.value
        return DegradedReason.MODEL_SUBSTITUTED.value
    if substituted or result.extra.get("failed_over_from"):
        return DegradedReason.MODEL_SUBSTITUTED.value
    return ""
