"""Runs last: every log line of this test run (in-process and subprocess output) is scanned
for the secrets the tests configured. None may appear."""

from __future__ import annotations

import logging
import os

from stack_cfo.config import load_config
from stack_cfo.wiring.startup import register_config_secrets
from tests.support.logcapture import LOG_PATH
from tests.support.secrets import ALL


def test_no_configured_secret_appears_in_any_log_line() -> None:
    # Make sure this run produced log lines that *could* have carried a secret: load a config
    # holding every test secret and log the config object and its sections.
    cfg = load_config(
        env={
            "STACK_CFO_JWT_SECRET": ALL[0],
            "STACK_CFO_JWT_ISSUER": "https://issuer.example",
            "STACK_CFO_JWT_AUDIENCE": "stack-cfo",
            "ZEROG_COMPUTE_PRIVATE_KEY": ALL[1],
            "ZEROG_COMPUTE_API_KEY": ALL[3],
            "SMTP_PASSWORD": ALL[4],
        }
    )
    register_config_secrets(cfg)
    log = logging.getLogger("stack_cfo.test")
    log.info("config loaded", extra={"config": repr(cfg), "auth": repr(cfg.auth), "db": repr(cfg.database)})
    for h in logging.getLogger().handlers:
        h.flush()
    text = LOG_PATH.read_text("utf-8")
    assert os.path.getsize(LOG_PATH) > 0 and "config loaded" in text
    leaked = [s for s in ALL if s in text]
    assert not leaked, f"{len(leaked)} secret value(s) found in {LOG_PATH}"
