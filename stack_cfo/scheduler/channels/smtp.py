"""Email over SMTP with aiosmtplib: multipart text + HTML, ``Message-ID`` from the idempotency key.

With ``notifications.email.unsubscribe_url`` set, every message carries ``List-Unsubscribe`` (RFC 2369)
and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), and its footer the same link;
the link is added here, at send time, so the stored content (which webhooks and feeds also carry)
never holds a user's unsubscribe token.

One connection per message keeps failure handling simple (no half-dead pooled sessions);
on a local relay that costs a few milliseconds, far below the AI and network budgets.
Replies: 4xx retryable, 5xx permanent. Authentication failures and unreachable servers are
retried: they are our problem, not the message's.
"""

from __future__ import annotations

import logging
import ssl
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib

from stack_cfo.core.i18n import localizer
from stack_cfo.core.notifications.keys import message_id
from stack_cfo.core.notifications.kinds import Channel, Reason
from stack_cfo.core.notifications.unsubscribe import UnsubscribeLinks, with_footer
from stack_cfo.scheduler.channels import Delivery, Permanent, Retry, SendOutcome, Sent
from stack_cfo.scheduler.config import EmailSettings, SmtpSettings

log = logging.getLogger(__name__)

_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


def unsubscribe_links(email: EmailSettings) -> UnsubscribeLinks | None:
    """The links e-mails carry, or None when ``notifications.email.unsubscribe_url`` is unset."""
    if not email.unsubscribe_url or email.unsubscribe_secret is None:
        return None
    return UnsubscribeLinks(email.unsubscribe_url, email.unsubscribe_secret)


def build_message(
    delivery: Delivery,
    settings: SmtpSettings,
    *,
    date_header: str | None = None,
    unsubscribe: UnsubscribeLinks | None = None,
) -> Message:
    """multipart/alternative (text, then HTML with the inline SVG chart), UTF-8, quoted-printable;
    with ``unsubscribe``, the one-click unsubscribe headers and footer link of the user and kind.

    Built with the compat32 MIME classes: the header registry of ``EmailMessage`` costs about
    a millisecond per message, a visible share of a replica's CPU at hundreds of sends a second.
    """
    email = delivery.rendered.email
    unsubscribe_url = unsubscribe.url(delivery.user_id, delivery.rendered.kind) if unsubscribe is not None else ""
    if unsubscribe_url:
        email = with_footer(email, unsubscribe_url, localizer(delivery.rendered.locale))
    msg = MIMEMultipart("alternative")
    name, addr = parseaddr(settings.sender)
    msg["From"] = formataddr((str(Header(name, "utf-8")), addr)) if name else addr
    msg["To"] = delivery.email_to
    # A Header object (not its pre-folded text): the generator folds it knowing the field name, so the
    # first encoded word stays on the Subject line (a pre-folded value started on a continuation line,
    # which some readers decode with a leading space).
    subject: str | Header = email.subject if email.subject.isascii() else Header(
        email.subject, "utf-8", header_name="Subject")
    msg["Subject"] = subject  # type: ignore[assignment]  # compat32 takes Header objects
    msg["Message-ID"] = message_id(delivery.key, settings.message_id_domain)
    msg["Date"] = date_header or format_datetime(datetime.now(UTC))
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Stack-Notification"] = delivery.rendered.kind.value
    msg["Content-Language"] = delivery.rendered.locale  # RFC 3282: the locale the text is written in
    if delivery.rendered.receipts:
        # The receipts of the AI texts it carries (ReceiptService.GetReceipt), as webhook bodies and
        # Notification.receipts name them: a reader of the e-mail can check what the AI wrote.
        # Folded as any long header (a reader unfolds it: the names, comma-separated).
        msg["X-Stack-Receipts"] = ", ".join(delivery.rendered.receipts)
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.attach(_text_part(email.text, "plain"))
    msg.attach(_text_part(email.html, "html"))
    return msg


def _text_part(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, charset=_UTF8_QP)
    return part


class SmtpChannel:
    channel = Channel.EMAIL

    def __init__(self, settings: SmtpSettings, *, unsubscribe: UnsubscribeLinks | None = None) -> None:
        self.settings = settings
        self.unsubscribe = unsubscribe
        self._tls: ssl.SSLContext | None = None
        if settings.ca_file is not None:
            self._tls = ssl.create_default_context(cafile=str(settings.ca_file))

    async def send(self, delivery: Delivery) -> SendOutcome:
        s = self.settings
        msg = build_message(delivery, s, unsubscribe=self.unsubscribe)
        try:
            errors, response = await aiosmtplib.send(
                msg,
                hostname=s.host,
                port=s.port,
                username=s.username or None,
                password=s.password.get() if s.password is not None else None,
                use_tls=s.implicit_tls,
                start_tls=s.starttls if not s.implicit_tls else False,
                tls_context=self._tls,
                timeout=s.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            if codes and all(500 <= c < 600 for c in codes):
                return Permanent(Reason.SMTP_5XX, f"recipient refused: {detail}")
            return Retry(Reason.SMTP_4XX, f"recipient refused: {detail}")
        except aiosmtplib.SMTPAuthenticationError as exc:
            return Retry(Reason.SMTP_UNAVAILABLE, f"authentication failed: {exc.code}")
        except aiosmtplib.SMTPResponseException as exc:
            text = f"{exc.code} {exc.message}"
            if 500 <= exc.code < 600:
                return Permanent(Reason.SMTP_5XX, text)
            return Retry(Reason.SMTP_4XX if 400 <= exc.code < 500 else Reason.SMTP_UNAVAILABLE, text)
        except aiosmtplib.SMTPNotSupported as exc:
            # The server lacks what this message needs (SMTPUTF8 for a non-ASCII address, accepted
            # before addresses were checked for ASCII): the same on every try, not an outage.
            return Permanent(Reason.SMTP_5XX, f"{type(exc).__name__}: {exc}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return Retry(Reason.SMTP_UNAVAILABLE, f"{type(exc).__name__}: {exc}")
        if errors:
            detail = "; ".join(f"{k}: {v.code} {v.message}" for k, v in errors.items())
            if all(500 <= v.code < 600 for v in errors.values()):
                return Permanent(Reason.SMTP_5XX, detail)
            return Retry(Reason.SMTP_4XX, detail)
        return Sent(provider_id=str(msg["Message-ID"]) + " " + response[:200])

    async def aclose(self) -> None:
        return None
