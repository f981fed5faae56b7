"""The README's five-minute tour, pasted into bash as a newcomer would, against a real
``stack-cfo serve`` with e-mail going to a local SMTP server: every step succeeds and shows what
the README says it shows (the digest arrives by e-mail)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.standins.smtp import SmtpSink
from tests.support.proc import cli_env, finish, free_port, start_cli, wait_ready

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def tour() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- tour:begin -->\n```sh\n(.*?)```\n<!-- tour:end -->", text, re.S)
    assert block, "the README has no tour block"
    return block.group(1)


async def test_the_readme_tour_runs_as_written(db_dsn: str, tmp_path: Path) -> None:
    smtp = await SmtpSink().start()
    port, metrics = free_port(), free_port()
    env = cli_env({
        "DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path), "STACK_CFO_DRAIN_DELAY": "0.1s",
        "STACK_CFO_LISTEN": f"127.0.0.1:{port}", "STACK_CFO_METRICS_LISTEN": f"127.0.0.1:{metrics}",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false",
    })  # fmt: skip
    serve = start_cli(["serve"], env)
    try:
        await wait_ready(f"127.0.0.1:{port}")
        script = tour().replace("127.0.0.1:50051", f"127.0.0.1:{port}")
        script = script.replace("127.0.0.1:9464", f"127.0.0.1:{metrics}")
        shell_env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"}
        run = await asyncio.to_thread(
            subprocess.run, ["bash", "-e", "-o", "pipefail", "-c", script], cwd=ROOT, env=shell_env,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    finally:
        serve.send_signal(signal.SIGTERM)
        finish(serve, "stack-cfo serve (README tour)")
        await smtp.stop()
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert '"status": "SERVING"' in out and "stack.cfo.v1.ChatService" in out
    assert '"inserted_count": 21' in out and '"total_value": "5124"' in out
    assert '"narrative_completed"' in out and '"completed"' in out and "COMPUTE_NOT_CONFIGURED" in out
    assert '"reason":"MISSING_FIELD"' in out and '"field":"session.title"' in out
    assert "RUN_JOB_STAGE_DONE" in out and '"sent": 1' in out
    assert "grpc_server_handled_total{" in out and "chat_manager_messages_sent_total 1.0" in out
    (mail,) = smtp.received()
    assert list(mail.rcpt_tos) == ["me@example.com"] and mail.subject.startswith("Your portfolio on")
