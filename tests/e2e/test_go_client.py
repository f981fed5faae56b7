"""The Go example client (examples/go), built offline with Debian's Go toolchain and gRPC against
the generated module (gen/go), run against a real ``stack-cfo serve``: health check, a session,
a SendMessage stream to its end, and an error's details decoded with status.FromError."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from stack_cfo.api.auth import mint_token
from stack_cfo.secret import Secret
from tests.support.proc import run_client_against_server
from tests.support.secrets import JWT_SECRET, production_auth
from tests.support.tools import go_toolchain

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def build_example(workdir: Path) -> Path:
    """``go build`` in GOPATH mode: the repository is linked where its import path says."""
    go = go_toolchain()
    gopath = workdir / "gopath"
    (gopath / "src" / "github.com" / "stack-cfo").mkdir(parents=True)
    (gopath / "src" / "github.com" / "stack-cfo" / "stack-cfo").symlink_to(ROOT)
    binary = workdir / "example"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": f"{gopath}:/usr/share/gocode", "GOPROXY": "off",
           "GOFLAGS": "", "GOCACHE": os.environ.get("GOCACHE", str(ROOT / ".cache" / "go-build"))}
    built = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=gopath / "src" / "github.com" / "stack-cfo" / "stack-cfo" / "examples" / "go",
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    return binary


async def test_the_go_example_client_runs_against_a_real_server(db_dsn: str, tmp_path: Path) -> None:
    binary = await asyncio.to_thread(build_example, tmp_path)
    user = str(uuid.uuid4())
    token = mint_token(Secret(JWT_SECRET), user_id=user, cfg=production_auth())
    run = await run_client_against_server(db_dsn, str(tmp_path / "data"), "stack-cfo serve (Go example)",
                                          [str(binary), "-addr", "{addr}", "-user", user, "-token", token])
    print("\n" + run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "health: readiness SERVING" in out
    assert f"session: users/{user}/sessions/" in out and "accepted: message " in out
    assert "completed: " in out and "provider offline" in out  # no compute configured: the offline writer
    assert "error: InvalidArgument: session.title: is required" in out
    assert "ErrorInfo: reason=MISSING_FIELD domain=stack-cfo" in out
    assert "BadRequest: session.title: is required" in out
