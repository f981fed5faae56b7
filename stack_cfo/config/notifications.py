"""``notifications``: the delivery channels of the scheduler (SMTP email, FCM push).

(An older layout put ``smtp:`` and ``fcm:`` under ``scheduler:``; that is still read, see
:data:`~stack_cfo.config.sources.MOVED_KEYS`.)
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import model_validator

from stack_cfo.config.fields import FieldError, HttpUrl, Seconds, Section, set_derived, setting
from stack_cfo.secret import Secret


class SmtpSettings(Section):
    host: str = setting("", env="SMTP_HOST")
    """SMTP server; empty disables email."""
    port: int = setting(587, env="SMTP_PORT", ge=1, le=65535)
    """SMTP port (587 submission with STARTTLS, 465 implicit TLS)."""
    starttls: bool = setting(True, env="SMTP_STARTTLS")
    """Upgrade with STARTTLS before authenticating."""
    implicit_tls: bool = setting(False, alias="tls", env="SMTP_TLS")
    """TLS from the first byte (usually port 465); needs starttls false."""
    username: str = setting("", env="SMTP_USERNAME")
    """Empty means no AUTH."""
    password: Secret | None = setting(None, env="SMTP_PASSWORD")
    """SMTP AUTH password; never logged."""
    sender: str = setting("STACK <notifications@localhost>", alias="from", env="SMTP_FROM")
    """From: header and envelope sender."""
    ca_file: Path | None = setting(None, env="SMTP_CA_FILE")
    """Extra CA bundle to trust for the server certificate."""
    timeout: Seconds = setting(30.0, env="SMTP_TIMEOUT")
    """Connect and each SMTP command."""
    message_id_domain: str = setting("stack-cfo", env="SMTP_MESSAGE_ID_DOMAIN")
    """Right-hand side of Message-ID (<key@domain>)."""

    @model_validator(mode="after")
    def _one_tls_mode(self) -> SmtpSettings:
        if self.starttls and self.implicit_tls:
            raise FieldError("tls", "choose STARTTLS or implicit TLS, not both (set SMTP_STARTTLS=false with SMTP_TLS)")
        return self

    @property
    def configured(self) -> bool:
        return bool(self.host)


class FcmSettings(Section):
    project_id: str = setting("", env="FCM_PROJECT_ID")
    """Firebase project; empty: the service account's project (no service account: push is off)."""
    service_account_file: Path | None = setting(
        None, env="FCM_SERVICE_ACCOUNT_FILE", fallback_env="GOOGLE_APPLICATION_CREDENTIALS"
    )
    """Service-account JSON (also read from GOOGLE_APPLICATION_CREDENTIALS when neither this nor the file sets it)."""
    endpoint: HttpUrl = setting("https://fcm.googleapis.com", env="FCM_ENDPOINT")
    """FCM base URL (tests point it at a local stand-in)."""
    timeout: Seconds = setting(10.0, env="FCM_TIMEOUT")
    """One FCM or OAuth token request."""

    @model_validator(mode="after")
    def _service_account(self) -> FcmSettings:
        path = self.service_account_file
        if path is None:
            if self.project_id:
                raise FieldError(
                    "service_account_file", "is required when project_id is set (FCM_SERVICE_ACCOUNT_FILE)"
                )
            return self
        if not path.is_file():
            raise FieldError("service_account_file", f"file {str(path)!r} does not exist")
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            raise FieldError("service_account_file", "is not a JSON file") from None
        missing = [k for k in ("client_email", "private_key", "token_uri") if not data.get(k)]
        if missing:
            raise FieldError("service_account_file", f"service-account JSON lacks {', '.join(missing)}")
        if not self.project_id:
            if not data.get("project_id"):
                raise FieldError("project_id", "is required (the service-account JSON has no project_id)")
            set_derived(self, project_id=str(data["project_id"]))
        return self

    @property
    def configured(self) -> bool:
        return bool(self.project_id and self.service_account_file)


class NotificationsConfig(Section):
    smtp: SmtpSettings = setting(default_factory=SmtpSettings)
    fcm: FcmSettings = setting(default_factory=FcmSettings)
