"""Every log line of the test run (in-process records and subprocess output) goes to one file,
which the last test scans for the secrets in :mod:`tests.support.secrets`."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

from stack_cfo.telemetry.logging import JsonFormatter

LOG_PATH = Path(
    os.environ.get("STACK_CFO_TEST_LOG")
    or os.path.join(tempfile.gettempdir(), f"stack-cfo-test-run-{os.getpid()}.jsonl")
)
_lock = threading.Lock()


def install() -> None:
    LOG_PATH.write_text("")
    os.environ["STACK_CFO_TEST_LOG"] = str(LOG_PATH)
    handler = logging.FileHandler(LOG_PATH, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def record_output(label: str, text: str | bytes) -> None:
    """Append a subprocess's output so the secret scan sees it too."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    with _lock, LOG_PATH.open("a", encoding="utf-8") as f:
        f.write(f"# output of {label}\n{text}\n")
