"""Renderings of notification content, kept so a notification is rendered once (``notification_contents``).

The first rendering of a key (kind, user, period, locale, occasion: what the rows sharing one
rendering have in common) is stored; every later render of that key in any process reads it back:
a retry carries the content, figures and receipts its first attempt carried under the same
``webhook-id``, and pays for no second AI text. The content is sealed under the user's data key and
bound to its key (a token copied to another key or user does not open). SQL lives in
``sql/notification_content.sql``.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb

from stack_cfo.core.notifications.blocks import ContentBlock, ContentFigure, ContentItem
from stack_cfo.core.notifications.content import EmailContent, PushContent, Rendered
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.ports import ValuePoint
from stack_cfo.crypto.fields import UserCipher
from stack_cfo.store.queries import load_queries
from stack_cfo.store.scheduler._base import Repo, user_uuid

log = logging.getLogger(__name__)

QC = load_queries("notification_content")

#: The sealed column (see :mod:`stack_cfo.crypto.fields`), bound to the rendering's key.
CONTENT = "notification_contents.content"

#: Version of the stored JSON form; a row of another version is not read (the content is rendered anew).
FORMAT = 1


def rendering_document(rendered: Rendered) -> dict[str, Any]:
    """Everything needed to rebuild ``rendered`` exactly, as JSON."""
    email, push = rendered.email, rendered.push
    return {
        "v": FORMAT,
        "kind": rendered.kind.value,
        "period": rendered.period,
        "email": {"subject": email.subject, "text": email.text, "html": email.html},
        "push": {
            "title": push.title,
            "body": push.body,
            "data": dict(push.data),
            "collapse_key": push.collapse_key,
            "apns_collapse_id": push.apns_collapse_id,
        },
        "meta": dict(rendered.meta),
        "degraded_reason": rendered.degraded_reason,
        "receipts": list(rendered.receipts),
        "blocks": [
            {
                "type": b.type,
                "text": b.text,
                "items": [{"text": i.text, "url": i.url, "detail": i.detail} for i in b.items],
                "points": [{"day": p.day.isoformat(), "value": str(p.value)} for p in b.points],
            }
            for b in rendered.blocks
        ],
        "figures": [{"name": f.name, "value": f.value, "unit": f.unit} for f in rendered.figures],
        "locale": rendered.locale,
        "locale_fallback_from": rendered.locale_fallback_from,
    }


def rendering_from_document(doc: dict[str, Any]) -> Rendered:
    """The rendering :func:`rendering_document` stored (raises on a malformed document)."""
    if doc.get("v") != FORMAT:
        raise ValueError(f"stored rendering of format {doc.get('v')!r}, not {FORMAT}")
    email, push = doc["email"], doc["push"]
    return Rendered(
        kind=NotificationKind(doc["kind"]),
        period=doc["period"],
        email=EmailContent(subject=email["subject"], text=email["text"], html=email["html"]),
        push=PushContent(
            title=push["title"],
            body=push["body"],
            data={str(k): str(v) for k, v in push["data"].items()},
            collapse_key=push["collapse_key"],
            apns_collapse_id=push["apns_collapse_id"],
        ),
        meta={str(k): str(v) for k, v in doc.get("meta", {}).items()},
        degraded_reason=doc.get("degraded_reason", ""),
        receipts=tuple(doc.get("receipts", ())),
        blocks=tuple(
            ContentBlock(
                type=b["type"],
                text=b["text"],
                items=tuple(ContentItem(i["text"], i["url"], i["detail"]) for i in b["items"]),
                points=tuple(ValuePoint(date.fromisoformat(p["day"]), Decimal(p["value"])) for p in b["points"]),
            )
            for b in doc.get("blocks", ())
        ),
        figures=tuple(ContentFigure(f["name"], f["value"], f["unit"]) for f in doc.get("figures", ())),
        locale=doc.get("locale", "en"),
        locale_fallback_from=doc.get("locale_fallback_from", ""),
    )


def _identity(kind: str, period: str, locale: str, occasion: str) -> str:
    """The row identity the sealed content is bound to (the owner is bound by the cipher)."""
    return f"{kind}|{period}|{locale}|{occasion}"


class ContentsQueries(Repo):
    """:class:`~stack_cfo.scheduler.content.RenderingStore` over ``notification_contents``."""

    def _open(self, cipher: UserCipher, identity: str, stored: Any) -> Rendered | None:
        try:
            doc = cipher.open_json(CONTENT, identity, stored)
            return rendering_from_document(doc)
        except (KeyError, TypeError, ValueError, AttributeError):  # not a key problem: a malformed row
            log.warning("a stored rendering does not read; rendering afresh", exc_info=True)
            return None

    async def get_rendering(
        self, user_id: str, kind: str, period: str, locale: str, occasion: str
    ) -> Rendered | None:
        """The stored rendering of this key, or None (never rendered, or unreadable)."""
        params = {"user_id": user_uuid(user_id), "kind": kind, "period": period, "locale": locale,
                  "occasion": occasion}
        async with self.db.connection() as conn:
            row = await (await conn.execute(QC.get_rendering, params)).fetchone()
        if row is None:
            return None
        cipher = await self.sealer.cipher(str(params["user_id"]))
        return self._open(cipher, _identity(kind, period, locale, occasion), row["content"])

    async def put_rendering(
        self, user_id: str, kind: str, period: str, locale: str, occasion: str, rendered: Rendered
    ) -> Rendered:
        """Keep ``rendered`` as the key's rendering unless one is there already; returns the one kept
        (the first stored wins, so renderers racing in several processes converge on one)."""
        uid = user_uuid(user_id)
        identity = _identity(kind, period, locale, occasion)
        cipher = await self.sealer.cipher(str(uid), create=True)
        sealed = cipher.seal_json(CONTENT, identity, rendering_document(rendered))
        params = {
            "user_id": uid, "kind": kind, "period": period, "locale": locale, "occasion": occasion,
            "content": Jsonb(sealed, dumps=lambda d: json.dumps(d, ensure_ascii=False)),
        }
        async with self.db.transaction() as conn:
            inserted = await (await conn.execute(QC.put_rendering, params)).fetchone()
            if inserted is not None:
                return rendered
            row = await (await conn.execute(QC.get_rendering, params)).fetchone()
        if row is None:  # removed in between (the user was erased): nothing to share
            return rendered
        winner = self._open(cipher, identity, row["content"])
        return winner if winner is not None else rendered

    async def alerts_given(
        self, user_id: str, day: str, *, period: str, occasion: str, since: datetime
    ) -> list[Rendered]:
        """The renderings of the performance alerts ``user_id`` was given on one market day (``day``: the
        prefix of its periods, ``XNYS-2026-12-07T``), oldest first: those with a row sent, on a feed or
        still being delivered; the rendering of (``period``, ``occasion``) itself is left out (the rows
        sharing it decide alike). ``since``: no row of the day was scheduled before it. An unreadable
        rendering is left out (logged)."""
        uid = user_uuid(user_id)
        params = {"user_id": uid, "day": day, "period": period, "occasion": occasion, "since": since}
        async with self.db.connection() as conn:
            rows = await (await conn.execute(QC.alerts_given, params)).fetchall()
        if not rows:
            return []
        cipher = await self.sealer.cipher(str(uid))
        out = []
        for r in rows:
            opened = self._open(cipher, _identity("alert", r["period"], r["locale"], r["occasion"]), r["content"])
            if opened is not None:
                out.append(opened)
        return out


__all__ = ["CONTENT", "ContentsQueries", "rendering_document", "rendering_from_document"]
