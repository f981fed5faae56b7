"""What the client needs from one upstream (a direct provider or the router)."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context

from stack_cfo.core.ai import Verification
from stack_cfo.zerog._recursion import json_loads
from stack_cfo.zerog.errors import ProviderRateLimited, ProviderRejected, ProviderUnavailable, clip
from stack_cfo.zerog.status import ProviderStatus
from stack_cfo.zerog.transport import PreparedRequest, parse_retry_after


@dataclass(slots=True)
class Answer:
    """What the stream engine collected from a finished answer."""

    chat_id: str | None
    """``ZG-Res-Key`` response header."""
    body_id: str | None
    """``id`` of the first chunk (fallback chat id)."""
    model: str | None
    usage: Mapping[str, Any] | None
    trace: Mapping[str, Any] | None
    """Router ``x_0g_trace`` extension, if any."""
    request_body: bytes
    response_sha256: str | None
    """sha256 of the exact response bytes received (soft check against the signed text)."""
    response_body: bytes | None = None
    """The exact response bytes received (what ``response_sha256`` hashes); None when not kept
    (router mode, verification off)."""


def error_message(text: str) -> str:
    """The human message inside a provider (``{"error": "..."}``) or router
    (``{"error": {"message": ...}}``) error body, else the text itself."""
    try:
        data = json_loads(text)
    except ValueError:
        return clip(text)
    if isinstance(data, dict):
        err = data.get("error", data.get("message"))
        if isinstance(err, dict):
            err = err.get("message") or err.get("code") or err
        if isinstance(err, str | int | float):  # a nested value: the body's own text (its repr may recurse)
            return clip(str(err))
    return clip(text)


def error_code(text: str) -> str | None:
    try:
        data = json_loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        code = data["error"].get("code") or data["error"].get("type")
        return str(code) if code and isinstance(code, str | int) else None
    return None


def classify_common(provider: str, status: int, text: str, headers: Mapping[str, str]) -> Exception:
    """Status rules shared by every upstream: 429 and 5xx (and 408) are retryable."""
    msg = error_message(text)
    if status == 429:
        return ProviderRateLimited(
            f"{provider} is rate limiting: {msg}",
            provider=provider,
            status=status,
            retryable=True,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    if status >= 500 or status == 408:
        return ProviderUnavailable(
            f"{provider} answered HTTP {status}: {msg}",
            provider=provider,
            status=status,
            retryable=True,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    return ProviderRejected(f"{provider} refused the request (HTTP {status}): {msg}", provider=provider, status=status)


class Upstream(abc.ABC):
    """A place that answers chat completions."""

    #: Provider address or ``router``; also the breaker and metrics label.
    name: str
    #: ``direct`` or ``router``.
    kind: str

    @abc.abstractmethod
    async def prepare(self, payload: dict[str, Any], model: str | None) -> PreparedRequest:
        """Build URL, headers and body (``payload`` lacks ``model``)."""

    @abc.abstractmethod
    def classify(self, status: int, text: str, headers: Mapping[str, str]) -> Exception:
        """Map a non-200 answer to a typed error."""

    async def on_session_rejected(self) -> None:
        """The provider refused our credentials; prepare fresh ones for one more attempt."""
        return None

    async def ensure_funds(self, exc: Exception, *, timeout: float | None) -> bool:
        """Try to fix an insufficient balance; True when a retry is worthwhile."""
        return False

    def background_checks(self) -> None:
        """Start periodic, non-blocking upkeep (funding) if due."""
        return None

    @abc.abstractmethod
    async def verify(
        self, answer: Answer, prepared: PreparedRequest, *, parent: Context | None
    ) -> tuple[Verification, dict[str, str]]:
        """Check the answer's provenance."""

    @abc.abstractmethod
    def fee(self, prepared: PreparedRequest, answer: Answer) -> int:
        """Fee in neuron (0 when unknown)."""

    @abc.abstractmethod
    async def status(self, breaker_state: str) -> ProviderStatus:
        """Operator view (never raises: errors go into ``ProviderStatus.error``)."""

    async def close(self) -> None:
        """Release background work."""
        return None
