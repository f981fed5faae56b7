"""``notifications``: the delivery channels of the scheduler (SMTP email, FCM and APNs push, webhooks),
what every e-mail carries (the unsubscribe link) and the notification feed of services.

(An older layout put ``smtp:`` and ``fcm:`` under ``scheduler:``; that is still read, see
:data:`~stack_cfo.config.sources.MOVED_KEYS`.)
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import field_validator, model_validator

from stack_cfo.config.compute import BreakerPolicy
from stack_cfo.config.fields import Duration, FieldError, HttpUrl, Seconds, Section, set_derived, setting
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.i18n import canonical_tag, is_supported
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


#: The placeholder of :attr:`EmailSettings.unsubscribe_url` that each e-mail's token replaces.
TOKEN_PLACEHOLDER = "{token}"
#: Bytes an unsubscribe secret has at least (the HMAC-SHA256 key; shorter keys are guessable offline).
MIN_UNSUBSCRIBE_SECRET_BYTES = 32
#: Characters a URL template has at most: with its 46-character token and the header's name and angle
#: brackets, the ``List-Unsubscribe`` line stays well under RFC 5322's 998 octets (a longer one is refused
#: by servers or broken by them).
MAX_UNSUBSCRIBE_URL_CHARS = 800
#: Hosts an ``http://`` template may name (local tests); anywhere else RFC 8058 requires ``https://``.
_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _unsubscribe_url(value: object) -> str:
    """An absolute https URL template (http only on a loopback host) with ``{token}`` once, in its path or
    query, no user information, at most :data:`MAX_UNSUBSCRIBE_URL_CHARS` characters ("" when unset)."""
    text = str(value or "").strip()
    if not text:
        return ""
    if len(text) > MAX_UNSUBSCRIBE_URL_CHARS:
        raise ValueError(f"must be at most {MAX_UNSUBSCRIBE_URL_CHARS} characters (the List-Unsubscribe header "
                         f"line must stay under 998), got {len(text)}")
    if text.count(TOKEN_PLACEHOLDER) != 1:
        raise ValueError(f"must contain {TOKEN_PLACEHOLDER} exactly once, got {text!r}")
    if any(not c.isascii() or not c.isprintable() or c.isspace() or c in '<>",\\' for c in text):
        # it goes into a header between angle brackets (RFC 2369: a comma separates URLs there); a
        # backslash is no URI character (RFC 3986), and browsers read it as "/", so that
        # https://app.example\@evil.example/ is one host to them and another to a URL parser
        raise ValueError(f"must be ASCII without blanks, quotes, commas, backslashes or angle brackets "
                         f"(percent-encode them), got {text!r}")
    try:
        parts = urlsplit(text)
        probe = urlsplit(text.replace(TOKEN_PLACEHOLDER, "t"))
        scheme = parts.scheme.lower()
        absolute = scheme in ("https", "http") and bool(probe.hostname) and probe.port != 0
    except ValueError:  # a malformed host or port
        absolute = False
    if not absolute:
        raise ValueError(f"must be an absolute http(s) URL, got {text!r}")
    if "@" in parts.netloc:
        # user information: a link whose visible start is not its host (https://app.example@evil.example/)
        raise ValueError(f"must not carry user information (user:password@ before the host), got {text!r}")
    if scheme == "http" and probe.hostname not in _LOOPBACK_HOSTS:
        # RFC 8058: the one-click URI is an HTTPS one (mailbox providers ignore others)
        raise ValueError(f"must be an https URL (http only for {', '.join(_LOOPBACK_HOSTS)}, in local tests), "
                         f"got {text!r}")
    if TOKEN_PLACEHOLDER in parts.netloc or TOKEN_PLACEHOLDER in parts.fragment:
        # a fragment never reaches the server: the one-click POST would arrive without its token
        raise ValueError(f"must have {TOKEN_PLACEHOLDER} in its path or query, got {text!r}")
    return text


class EmailSettings(Section):
    """What every e-mail carries besides its content, whichever server sends it."""

    unsubscribe_url: str = setting("", env="EMAIL_UNSUBSCRIBE_URL")
    """The app's unsubscribe endpoint, {token} once in its path or query (https://app.example/unsubscribe?t={token});
    https (RFC 8058; http only on 127.0.0.1, ::1 or localhost, for local tests), no user:password@, at most 800
    characters. Set: every e-mail has List-Unsubscribe (one-click, RFC 8058) and a footer link. Empty: neither."""
    unsubscribe_secret: Secret | None = setting(None, env="EMAIL_UNSUBSCRIBE_SECRET")
    """HMAC-SHA256 key of the unsubscribe tokens (at least 32 bytes); required with unsubscribe_url, and by the
    Unsubscribe RPC. Changing it breaks the links of e-mails already sent."""

    @field_validator("unsubscribe_url", mode="before")
    @classmethod
    def _url_template(cls, value: object) -> str:
        return _unsubscribe_url(value)

    @field_validator("unsubscribe_secret")
    @classmethod
    def _long_enough(cls, secret: Secret | None) -> Secret | None:
        if secret is None or not secret:
            return None
        if len(secret.get().encode("utf-8")) < MIN_UNSUBSCRIBE_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_UNSUBSCRIBE_SECRET_BYTES} bytes")
        return secret

    @model_validator(mode="after")
    def _secret_with_url(self) -> EmailSettings:
        if self.unsubscribe_url and self.unsubscribe_secret is None:
            raise FieldError(
                "unsubscribe_secret",
                "is required when unsubscribe_url is set (EMAIL_UNSUBSCRIBE_SECRET or EMAIL_UNSUBSCRIBE_SECRET_FILE)",
            )
        return self

    @property
    def unsubscribe_links(self) -> bool:
        """Whether e-mails carry an unsubscribe link."""
        return bool(self.unsubscribe_url) and self.unsubscribe_secret is not None


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


class ApnsSettings(Section):
    key_file: Path | None = setting(None, env="APNS_KEY_FILE")
    """The .p8 signing key (ES256) from the Apple developer account; unset: APNs is off (APNS devices are skipped)."""
    key_id: str = setting("", env="APNS_KEY_ID")
    """The key's 10-character id (the JWT kid)."""
    team_id: str = setting("", env="APNS_TEAM_ID")
    """The developer team id (the JWT iss)."""
    topic: str = setting("", env="APNS_TOPIC")
    """The app's bundle id (apns-topic)."""
    endpoint: HttpUrl = setting("https://api.push.apple.com", env="APNS_ENDPOINT")
    """APNs base URL: https://api.push.apple.com, or https://api.sandbox.push.apple.com for development builds."""
    ca_file: Path | None = setting(None, env="APNS_CA_FILE")
    """Extra CA bundle to trust for the APNs certificate (tests point it at a local stand-in's CA)."""
    timeout: Seconds = setting(10.0, env="APNS_TIMEOUT")
    """One APNs request, connect to answer."""
    token_refresh: Duration = setting(timedelta(minutes=50), ge=timedelta(minutes=20), le=timedelta(minutes=59))
    """Age at which the provider JWT is replaced (APNs refuses tokens older than 1h and renewals within 20m)."""

    @model_validator(mode="after")
    def _complete(self) -> ApnsSettings:
        if self.key_file is None:
            return self
        if not self.key_file.is_file():
            raise FieldError("key_file", f"file {str(self.key_file)!r} does not exist")
        for key in ("key_id", "team_id", "topic"):
            if not getattr(self, key):
                raise FieldError(key, f"is required with key_file (APNS_{key.upper()})")
        return self

    @property
    def configured(self) -> bool:
        return self.key_file is not None


class WebhookBreakerPolicy(BreakerPolicy):
    """Circuit breaker per webhook endpoint (the seed's rule); one trial request while half-open."""

    half_open_trials: int = setting(1, ge=1)
    """Trial requests admitted while half-open (a hanging endpoint holds a sending slot per trial)."""


class WebhookSettings(Section):
    allow_private_networks: bool = setting(False, env="WEBHOOK_ALLOW_PRIVATE_NETWORKS")
    """Local mode: allow http:// and loopback/private/link-local endpoint addresses (tests). Off in production."""
    timeout: Seconds = setting(10.0, env="WEBHOOK_TIMEOUT", gt=0)
    """One webhook POST, connect to answer; a slower endpoint is a timeout (retried)."""
    max_response_bytes: int = setting(4096, ge=0, le=1_048_576)
    """Bytes of an endpoint's answer read at most (kept for the error message); the rest is never read."""
    ca_file: Path | None = setting(None, env="WEBHOOK_CA_FILE")
    """Extra CA bundle to trust for endpoint certificates (private CAs, tests); system roots are always trusted."""
    secret_rotation_grace: Duration = setting(timedelta(hours=24), ge=timedelta(0))
    """After a secret rotation the previous secret also signs deliveries this long."""
    max_endpoints_per_owner: int = setting(10, ge=1, le=1000)
    """Webhook endpoints one user or service may register."""
    breaker: WebhookBreakerPolicy = setting(default_factory=WebhookBreakerPolicy)
    """Per-endpoint circuit breaker: while open, that endpoint's notifications wait (no attempt spent)."""


class FeedSettings(Section):
    ack_grace: Duration = setting(timedelta(hours=24), env="NOTIFICATION_FEED_ACK_GRACE", ge=timedelta(minutes=1))
    """A notification on a service's feed expires when unacknowledged this long after it was published."""
    poll_interval: Duration = setting(timedelta(seconds=5), ge=timedelta(milliseconds=50))
    """WatchNotifications looks for new notifications this often when no database NOTIFY wakes it."""


class NotificationsConfig(Section):
    smtp: SmtpSettings = setting(default_factory=SmtpSettings)
    email: EmailSettings = setting(default_factory=EmailSettings)
    fcm: FcmSettings = setting(default_factory=FcmSettings)
    apns: ApnsSettings = setting(default_factory=ApnsSettings)
    webhook: WebhookSettings = setting(default_factory=WebhookSettings)
    feed: FeedSettings = setting(default_factory=FeedSettings)
    max_devices_per_user: int = setting(20, ge=1, le=1000)
    """Push devices one user may keep. Registering a new token beyond it first removes the user's deactivated
    devices; with none to remove it is RESOURCE_EXHAUSTED (TOO_MANY_DEVICES). Each device gets its own push."""
    default_locale: str = setting("en", env="NOTIFICATIONS_DEFAULT_LOCALE")
    """BCP 47 locale of users who set none (en, es, de, fr, zh-Hans, or a regional form such as de-CH)."""

    @model_validator(mode="after")
    def _supported_default_locale(self) -> NotificationsConfig:
        try:
            tag = canonical_tag(self.default_locale.strip())
        except InvalidArgument as exc:
            raise FieldError("default_locale", str(exc)) from None
        if not tag or not is_supported(tag):
            raise FieldError("default_locale", f"must be a supported locale (en, es, de, fr, zh-Hans), got {tag!r}")
        set_derived(self, default_locale=tag)
        return self
