"""The Node.js smoke client (gen/ts/examples/smoke.ts), compiled with the pinned TypeScript under
NodeNext against the generated code (gen/ts/src) and run with plain Node (its own ESM resolution) and
Connect's gRPC transport (@connectrpc/connect-node) against a real ``stack-cfo serve``: a price recorded
by a service principal (a oneof), SyncPortfolio, GetPortfolioSummary, a SendMessage stream to its
``completed`` event, and an INVALID_ARGUMENT error's google.rpc details (ErrorInfo, BadRequest)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from stack_cfo.api.auth import mint_token
from stack_cfo.secret import Secret
from tests.support.proc import run_client_against_server
from tests.support.secrets import JWT_SECRET, production_auth

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "gen" / "ts"


def build_smoke(workdir: Path) -> Path:
    """``tsc`` into ``workdir`` (the work tree stays clean); its node_modules is gen/ts's."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm are not installed: the Node client cannot run")
    if not (TS / "node_modules" / "@connectrpc" / "connect-node").is_dir():  # .ci/run has done `npm ci`
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TS,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, f"npm ci failed in {TS}:\n{done.stderr[-2000:]}"
    out = workdir / "smoke"
    built = subprocess.run(
        [str(TS / "node_modules" / ".bin" / "tsc"), "-p", str(TS), "--outDir", str(out), "--declaration", "false",
         "--sourceMap", "false"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (out / "package.json").write_text(json.dumps({"type": "module"}))
    (out / "node_modules").symlink_to(TS / "node_modules")
    return out / "examples" / "smoke.js"


async def test_the_node_smoke_client_runs_against_a_real_server(db_dsn: str, tmp_path: Path) -> None:
    script = await asyncio.to_thread(build_smoke, tmp_path)
    user = str(uuid.uuid4())
    token = mint_token(Secret(JWT_SECRET), user_id=user, cfg=production_auth())
    service_token = mint_token(Secret(JWT_SECRET), service="node-smoke", cfg=production_auth())
    run = await run_client_against_server(
        db_dsn, str(tmp_path / "data"), "stack-cfo serve (Node smoke client)",
        ["node", str(script), "--addr", "{addr}", "--user", user, "--token", token, "--service-token", service_token])
    print("\n" + run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "prices: inserted=1 " in out
    assert f"sync: users/{user}/portfolio positions=1" in out
    assert "summary: total_value=" in out and " USD cash=1000" in out and "positions=AAPL" in out
    assert f"session: users/{user}/sessions/" in out and "accepted: message " in out
    assert "completed: " in out and "offline=true" in out and "provider offline" in out  # no compute configured
    assert "error: InvalidArgument: session.title: is required" in out
    assert "ErrorInfo: reason=MISSING_FIELD domain=stack-cfo" in out
    assert "BadRequest: session.title: is required" in out
