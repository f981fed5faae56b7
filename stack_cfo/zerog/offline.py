"""The offline writer: deterministic text when AI is unavailable, clearly marked as such.

Callers in ``core`` pass ``CompletionOptions.fallback``: plain sentences computed from the
same numbers the AI would have seen. The writer streams it in word-sized chunks (so streaming
UIs behave the same), preceded by the line :data:`OFFLINE_BANNER`. The result is
``offline=True, degraded=True, provider="offline", model="offline"``, with
``extra["ai_generated"] = "false"``, ``extra["generated_by"] = "offline-writer"`` and
``extra["fallback_reason"]`` (``ZEROG_NOT_CONFIGURED``, ``ZEROG_BREAKER_OPEN``,
``ZEROG_PROVIDER_UNAVAILABLE``, ...). Clients can key on either the banner or the flags.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from stack_cfo.core.ai import CompletionResult, Verification

OFFLINE_PROVIDER = "offline"
OFFLINE_BANNER = "[Automated summary — AI unavailable]"
GENERIC_FALLBACK = (
    "AI commentary is temporarily unavailable. The figures shown are current; "
    "please ask again in a few minutes for a written analysis."
)
_CHUNKS = re.compile(r"\S+\s*|\s+")


def offline_text(fallback: str | Callable[[], str] | None) -> str:
    body = fallback() if callable(fallback) else fallback
    body = (body or "").strip() or GENERIC_FALLBACK
    return f"{OFFLINE_BANNER}\n{body}"


def chunks(text: str) -> Iterator[str]:
    """Word-sized pieces whose concatenation is exactly ``text``."""
    for m in _CHUNKS.finditer(text):
        yield m.group(0)


def offline_result(text: str, *, requested_model: str, reason: str) -> CompletionResult:
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
