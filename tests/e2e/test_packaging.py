"""The image's build path, without a Docker daemon: the Dockerfile builds the package from
``pyproject.toml``, ``README.md`` and ``stack_cfo/`` alone, and the runtime stage runs it from the
installed package with ``migrations/`` beside it (``STACK_CFO_MIGRATIONS_DIR``), not from a checkout.
Here the same files are staged, built into a wheel, installed into a directory of their own, and
served (and the scheduler, the image's other entrypoint, run) from a directory holding only what the
runtime stage copies: a file the package needs at run time that the wheel leaves out fails this test,
as it would fail the image."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

import grpc

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.api.auth import mint_token
from stack_cfo.secret import Secret
from tests.support.proc import cli_env, free_port, stop, wait_ready
from tests.support.secrets import JWT_SECRET, production_auth

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _copied(stage: str) -> list[str]:
    """Sources of the ``COPY`` lines of a Dockerfile stage (``--from`` copies left out)."""
    text = DOCKERFILE.read_text()
    body = re.split(r"^FROM .* AS ", text, flags=re.M)
    section = next(b for b in body if b.startswith(stage))
    sources: list[str] = []
    for line in section.splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not any(p.startswith("--from") for p in parts):
            sources.extend(parts[1:-1])
    return sources


def _tracked(prefix: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", prefix], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_the_package_built_as_the_image_builds_it_serves_outside_the_checkout(
    tmp_path: Path, empty_db_dsn: str
) -> None:
    build_sources = _copied("build")
    assert build_sources == ["pyproject.toml", "README.md", "stack_cfo"], build_sources
    assert _copied("runtime") == ["migrations", "config.example.yaml"]

    # The build stage: exactly the files it copies (as committed: no caches, no build output).
    src = tmp_path / "src"
    src.mkdir()
    for name in build_sources:
        for path in _tracked(name):
            target = src / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, target)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(src)], check=True, capture_output=True)
    (wheel,) = wheels.glob("stack_cfo-*.whl")

    # Every file the package carries besides its Python modules is in the wheel.
    inside = set(zipfile.ZipFile(wheel).namelist())
    data = [p for p in _tracked("stack_cfo") if not p.endswith(".py")]
    assert data and not [p for p in data if p not in inside], [p for p in data if p not in inside]

    # The runtime stage: the installed package, and only migrations/ and the example config beside it.
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    app = tmp_path / "app"
    app.mkdir()
    shutil.copytree(ROOT / "migrations", app / "migrations")
    shutil.copy2(ROOT / "config.example.yaml", app / "config.example.yaml")

    port, health = free_port(), free_port()
    env = cli_env({
        "DATABASE_URL": empty_db_dsn,  # no schema: serve migrates it from STACK_CFO_MIGRATIONS_DIR
        "STACK_CFO_MIGRATIONS_DIR": str(app / "migrations"),
        "STACK_CFO_DATA_DIR": str(tmp_path / "data"),
        "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
        "STACK_CFO_HEALTH_LISTEN": f"127.0.0.1:{health}",
        "STACK_CFO_METRICS_LISTEN": "off",
        "STACK_CFO_DRAIN_DELAY": "0s",
        "PYTHONPATH": str(site),  # ahead of the checkout's editable install
        "PYTHONSAFEPATH": "1",  # and never the working directory
    })
    proc = subprocess.Popen([sys.executable, "-c", _WHERE_AND_SERVE], cwd=app, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        asyncio.run(_one_call(f"127.0.0.1:{health}", f"127.0.0.1:{port}"))
    finally:
        code, out, err = stop(proc, "stack-cfo serve (installed wheel)")
    assert code == 0, err
    assert out.splitlines()[0] == str(site / "stack_cfo" / "__init__.py"), out[:300]
    assert '"migration applied"' in err and '"migration": "locales"' in err

    # The image's other entrypoint, on the schema serve just built.
    metrics = free_port()
    sched = subprocess.Popen([sys.executable, "-c", _WHERE_AND_RUN.format(command="scheduler")], cwd=app,
                             env={**env, "SCHEDULER_METRICS_LISTEN": f"127.0.0.1:{metrics}"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _until_ready(f"http://127.0.0.1:{metrics}/readyz") == "ready"
    finally:
        code, out, err = stop(sched, "stack-cfo scheduler (installed wheel)")
    assert code == 0, err
    assert out.splitlines()[0] == str(site / "stack_cfo" / "__init__.py"), out[:300]


#: Prints where stack_cfo was imported from, then runs the console script's entry point.
_WHERE_AND_RUN = (
    "import sys, stack_cfo; print(stack_cfo.__file__, flush=True); "
    "from stack_cfo.cli import main; sys.exit(main(['{command}']))"
)
_WHERE_AND_SERVE = _WHERE_AND_RUN.format(command="serve")


def _until_ready(url: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return str(resp.read().decode().strip())
        except OSError:  # not listening yet, or 503 (HTTPError) while it starts
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


async def _one_call(health: str, target: str) -> None:
    await wait_ready(health, timeout=60)
    user = str(uuid.uuid4())
    md = (("authorization", "Bearer " + mint_token(Secret(JWT_SECRET), user_id=user, ttl_seconds=600,
                                                    cfg=production_auth())),)
    async with grpc.aio.insecure_channel(target) as ch:
        stub = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
        name = f"users/{user}/portfolio"
        await stub.SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name, cash_balance="100", base_currency="USD", request_id=str(uuid.uuid4())),
            metadata=md, timeout=20)
        got = await stub.GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name),
                                             metadata=md, timeout=20)
        assert got.total_value == "100"
