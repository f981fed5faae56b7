"""The JSON document of one notification: the body of a webhook POST and what a feed streams.

Shape (``schema`` 1; documented with an example in docs/api.md)::

    {"type": "notification.daily_digest",           # "notification." + the job type
     "timestamp": "2026-03-09T08:00:02.123456Z",    # when the document was made (RFC 3339, UTC)
     "data": {
        "notification": "users/{user}/notifications/{id}",
        "idempotency_key": "digest:{user}:2026-03-09:webhook:7",   # = the webhook-id header
        "kind": "daily_digest" | "weekly_summary" | "performance_alert",
        "user": "users/{user}",
        "period": "2026-03-09" | "2026-W11" | "2026-03-09T10",
        "manual": false,
        "schema": 1,
        "content": {"title", "body", "subject", "text", "html", "deep_link",
                    "data": {str: str},
                    "blocks": [{"type", "text", "items": [{"text", "url", "detail"}],
                                "points": [{"date": "2026-03-08", "value": "107250.00"}]}],
                    "figures": [{"name", "value", "unit"}],
                    "receipts": ["users/{user}/receipts/{receipt}", ...]}}}

Money and values are decimal strings; ratios are fractions. ``receipts`` lists the receipt resource
names of the AI-written texts the content carries (the rendering's ``receipts``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from stack_cfo.core.notifications.blocks import ContentBlock
from stack_cfo.core.notifications.content import Rendered
from stack_cfo.core.notifications.keys import display_period

SCHEMA = 1


def receipts_of(rendered: Rendered) -> list[str]:
    return list(rendered.receipts)


def _block(b: ContentBlock) -> dict[str, Any]:
    return {
        "type": b.type,
        "text": b.text,
        "items": [{"text": i.text, "url": i.url, "detail": i.detail} for i in b.items],
        "points": [{"date": p.day.isoformat(), "value": str(p.value)} for p in b.points],
    }


def content_of(rendered: Rendered) -> dict[str, Any]:
    push, email = rendered.push, rendered.email
    return {
        "title": push.title,
        "body": push.body,
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "deep_link": push.data.get("deep_link", ""),
        "data": dict(push.data),
        "blocks": [_block(b) for b in rendered.blocks],
        "figures": [{"name": f.name, "value": f.value, "unit": f.unit} for f in rendered.figures],
        "receipts": receipts_of(rendered),
        "locale": rendered.locale,
        "locale_fallback_from": rendered.locale_fallback_from,
    }


def notification_document(
    rendered: Rendered,
    *,
    user_id: str,
    notification: str,
    key: str,
    manual: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    kind = rendered.kind
    at = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "type": f"notification.{kind.job_type}",
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "data": {
            "notification": notification,
            "idempotency_key": key,
            "kind": kind.job_type,
            "user": f"users/{user_id}",
            "period": display_period(rendered.period),
            "manual": manual,
            "schema": SCHEMA,
            "content": content_of(rendered),
        },
    }


def encode(document: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are signed and sent."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
