"""JSON log lines: one object per line with trace/span ids (also from non-recording spans, the
default when no exporter is configured), bound context, and redacted secrets."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from stack_cfo.telemetry.logging import JsonFormatter, bind, register_secrets


def _logger() -> tuple[logging.Logger, io.StringIO]:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("stack_cfo.test.json")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    return log, buf


def test_lines_carry_trace_ids_even_when_spans_are_not_recorded() -> None:
    log, buf = _logger()
    tracer = TracerProvider(sampler=ALWAYS_OFF).get_tracer("t")
    with tracer.start_as_current_span("rpc") as span, bind(user_id="u-1"):
        assert not span.is_recording()
        log.info("hello %s", "world", extra={"session_id": "s-1"})
    line = json.loads(buf.getvalue())
    assert line["msg"] == "hello world" and line["level"] == "info"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert len(line["span_id"]) == 16
    assert line["user_id"] == "u-1" and line["session_id"] == "s-1"


def test_registered_secrets_are_redacted() -> None:
    log, buf = _logger()
    register_secrets(["sup3r-s3cret-value"])
    log.info("connecting with sup3r-s3cret-value", extra={"dsn": "postgres://u:sup3r-s3cret-value@h/db"})
    text = buf.getvalue()
    assert "sup3r-s3cret-value" not in text and "***" in text


def test_python_warnings_are_json_lines_too() -> None:
    """PyJWT warns about a short HMAC key with warnings.warn: it came out as raw two-line text
    between the JSON lines (an SRE's test)."""
    import subprocess
    import sys

    code = ("from stack_cfo.telemetry.logging import configure_logging; configure_logging(); "
            "import warnings; warnings.warn('the key is short', UserWarning)")
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = json.loads(lines[0])
    assert line["logger"] == "py.warnings" and "the key is short" in line["msg"]
