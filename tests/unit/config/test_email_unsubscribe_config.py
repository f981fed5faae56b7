"""``notifications.email``: the unsubscribe URL template and its secret are checked at start-up, with
errors that name the key (and never print the secret)."""

from __future__ import annotations

import pytest

from stack_cfo.config import ConfigError, build_config

SECRET = "config-unsubscribe-secret-" + "5b" * 16


def _email(**email: object) -> dict[str, object]:
    return {"notifications": {"email": email}}


def test_unset_means_no_links() -> None:
    email = build_config({}).notifications.email
    assert (email.unsubscribe_url, email.unsubscribe_secret, email.unsubscribe_links) == ("", None, False)


def test_a_url_with_its_secret_and_a_secret_alone_are_accepted() -> None:
    email = build_config({}, {"EMAIL_UNSUBSCRIBE_URL": "https://app.example/u/{token}",
                              "EMAIL_UNSUBSCRIBE_SECRET": SECRET}).notifications.email
    assert email.unsubscribe_url == "https://app.example/u/{token}" and email.unsubscribe_links
    assert email.unsubscribe_secret is not None and email.unsubscribe_secret.get() == SECRET
    # the secret alone: no links in new e-mails, but the links already sent keep working
    alone = build_config(_email(unsubscribe_secret=SECRET)).notifications.email
    assert not alone.unsubscribe_links and alone.unsubscribe_secret is not None


def test_the_url_needs_the_secret() -> None:
    with pytest.raises(ConfigError) as ei:
        build_config(_email(unsubscribe_url="https://app.example/u/{token}"))
    assert "notifications.email.unsubscribe_secret" in str(ei.value)
    assert "required when unsubscribe_url is set" in str(ei.value)


def test_a_short_secret_is_refused_without_being_printed() -> None:
    short = "s3cr3t-but-only-31-bytes-long!!"
    assert len(short) == 31
    with pytest.raises(ConfigError) as ei:
        build_config({}, {"EMAIL_UNSUBSCRIBE_URL": "https://app.example/u/{token}", "EMAIL_UNSUBSCRIBE_SECRET": short})
    text = str(ei.value)
    assert "EMAIL_UNSUBSCRIBE_SECRET" in text and "at least 32 bytes" in text and short not in text


def test_the_secret_is_redacted() -> None:
    config = build_config(_email(unsubscribe_url="https://app.example/u/{token}", unsubscribe_secret=SECRET))
    assert SECRET not in repr(config) and SECRET not in config.model_dump_json()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://app.example/unsubscribe", "exactly once"),
        ("https://app.example/u/{token}/{token}", "exactly once"),
        ("/unsubscribe/{token}", "absolute http(s) URL"),
        ("app.example/u/{token}", "absolute http(s) URL"),
        ("mailto:unsubscribe@app.example?subject={token}", "absolute http(s) URL"),
        ("https://app.example:99999/u/{token}", "absolute http(s) URL"),
        ("https://{token}.app.example/", "path or query"),
        ("https://app.example/u#{token}", "path or query"),
        ("https://app.example/u/{token}, https://other.example/", "ASCII without blanks"),
        ("https://app.example/u/{token}>", "angle brackets"),
    ],
)
def test_bad_url_templates_are_refused_naming_the_key(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as ei:
        build_config(_email(unsubscribe_url=url, unsubscribe_secret=SECRET))
    assert "notifications.email.unsubscribe_url" in str(ei.value) and problem in str(ei.value)
