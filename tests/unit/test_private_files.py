"""Secrets generated into the data directory (the local JWT secret, the local archive master
key): processes starting together agree on one value, and none ever reads a partial file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stack_cfo.secret import read_or_create_private_file

_RACER = """
import json, sys, time, secrets
from pathlib import Path
from stack_cfo.secret import read_or_create_private_file
start = float(sys.argv[2])
while time.time() < start:
    pass
text, created = read_or_create_private_file(Path(sys.argv[1]), lambda: secrets.token_urlsafe(48))
print(json.dumps([text, created]))
"""


def test_processes_racing_to_create_it_all_read_the_one_value_linked_first(tmp_path: Path) -> None:
    """Seen as a client: ``serve --workers 2`` on a new data directory; one worker lost the
    race to create the JWT secret and died with FileExistsError (and, between the other's create
    and write, could have read an empty secret)."""
    path = tmp_path / "data" / "jwt-secret"
    start = time.time() + 1.5  # after every interpreter has started
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(path), str(start)], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[2]) for _ in range(8)]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    values = {text for text, _ in results}
    assert len(values) == 1 and len(next(iter(values))) >= 48
    assert sum(created for _, created in results) == 1
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["jwt-secret"]  # no temporary file left


def test_an_existing_file_is_read_and_an_empty_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive-master-key"
    text, created = read_or_create_private_file(path, lambda: "local1:" + "ab" * 32)
    assert (text, created) == ("local1:" + "ab" * 32, True)
    assert read_or_create_private_file(path, lambda: "other") == (text, False)
    path.write_text("\n")
    with pytest.raises(ValueError, match="empty"):
        read_or_create_private_file(path, lambda: "other")
