"""An in-process SMTP server (aiosmtpd) on 127.0.0.1 that records what it accepts.

It speaks real SMTP over a real socket: EHLO, optional STARTTLS with a self-signed
certificate, optional AUTH PLAIN/LOGIN, and DATA. Tests can make it answer the next
messages with a 4xx or 5xx reply, slow each message down, or stop listening (``stop``)
and come back on the same port (``start``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import functools
import ipaddress
import logging
import re
import ssl
import threading
from collections import Counter, deque
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message. Parsed lazily: parsing on the server's hot path would make the
    sink, not the code under test, the bottleneck."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @functools.cached_property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg

    @property
    def message_id(self) -> str:
        head = self.raw.split(b"\r\n\r\n", 1)[0]
        m = re.search(rb"^Message-ID:\s*(<[^>]*>)", head, re.IGNORECASE | re.MULTILINE)
        return m.group(1).decode() if m else ""

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        for p in self.message.walk():
            if p.get_content_type() == f"text/{subtype}":
                return str(p.get_content())
        return ""


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        sink = self.sink
        if sink.delay:
            await asyncio.sleep(sink.delay)
        with sink.lock:
            reply = sink.replies.popleft() if sink.replies else None
        if reply is not None:
            with sink.lock:
                sink.rejected += 1
            return reply
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        mail = ReceivedMail(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw)
        with sink.lock:
            sink.messages.append(mail)
        return "250 2.0.0 OK queued"


class SmtpSink:
    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        cert: tuple[Path, Path] | None = None,
        require_starttls: bool = False,
        delay: float = 0.0,
    ) -> None:
        self.username = username
        self.password = password
        self.cert = cert
        self.require_starttls = require_starttls
        self.delay = delay
        self.messages: list[ReceivedMail] = []
        self.replies: deque[str] = deque()
        self.rejected = 0
        self.auth_attempts = 0
        self.lock = threading.Lock()
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    # -- control -------------------------------------------------------------------------

    def fail_next(self, reply: str, times: int = 1) -> None:
        """Answer the next ``times`` DATA commands with ``reply`` (e.g. ``"451 4.3.0 busy"``)."""
        with self.lock:
            self.replies.extend([reply] * times)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.auth_attempts += 1
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok)

    def _factory(self) -> SMTP:
        tls: ssl.SSLContext | None = None
        if self.cert is not None:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(str(self.cert[0]), str(self.cert[1]))
        return SMTP(
            _Handler(self),
            hostname="smtp.test",
            tls_context=tls,
            require_starttls=self.require_starttls,
            auth_required=self.username is not None,
            auth_require_tls=self.cert is not None,
            authenticator=self._authenticate if self.username is not None else None,
        )

    async def start(self) -> SmtpSink:
        """Listen on 127.0.0.1 (a free port the first time, the same port after ``stop``)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._factory, host="127.0.0.1", port=self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # -- inspection --------------------------------------------------------------------------

    def received(self) -> list[ReceivedMail]:
        with self.lock:
            return list(self.messages)

    def message_ids(self) -> Counter[str]:
        return Counter(m.message_id for m in self.received())

    async def wait_for(self, count: int, timeout: float = 20.0) -> list[ReceivedMail]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.messages) < count:
            if loop.time() > end:
                raise TimeoutError(f"got {len(self.messages)} of {count} messages")
            await asyncio.sleep(0.02)
        return self.received()
