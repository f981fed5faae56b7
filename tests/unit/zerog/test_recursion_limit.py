"""eth_account's py_ecc raised the recursion limit to 100,000 for the whole process: a deeply
nested JSON document then overflowed the C stack (the process died) instead of RecursionError."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import json, sys
before = sys.getrecursionlimit()
import stack_cfo.zerog.verify, stack_cfo.zerog.session_token, stack_cfo.zerog.storage.client
assert sys.getrecursionlimit() == before, sys.getrecursionlimit()
try:
    json.loads("[" * 200_000 + "]" * 200_000)
except RecursionError:
    print("recursion-error")
"""


def test_importing_the_0g_clients_keeps_the_recursion_limit_and_deep_json_is_an_error() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "recursion-error"
