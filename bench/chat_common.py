"""Shared set-up of the chat benchmarks (not a benchmark itself).

* PostgreSQL: ``DATABASE_URL`` (a server we may create databases on) or an embedded server in
  a temporary directory; a fresh, migrated database per run.
* The 0G chain and provider stand-ins from ``tests/standins`` in the benchmark process, on
  127.0.0.1, the provider registered and funded for the server's wallet.
* The real server as a separate process (``python -m stack_cfo.cli serve``) configured through a
  YAML file to talk to the stand-ins in direct mode, so its peak RSS is its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from server_common import bearer, bench_database, server_config  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo.zerog.session_token import sign_session_token  # noqa: E402
from tests.standins.chain_rpc import ChainStandIn  # noqa: E402
from tests.standins.zerog_provider import ProviderStandIn  # noqa: E402
from tests.support.proc import wait_ready  # noqa: E402

# A throwaway wallet (never funded anywhere real).
__all__ = ["bench_database"]  # re-exported for the chat benches

WALLET_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ONE_0G = 10**18


@contextlib.asynccontextmanager
async def standins() -> AsyncIterator[tuple[ChainStandIn, ProviderStandIn]]:
    wallet = Account.from_key(WALLET_KEY).address
    async with ChainStandIn() as chain:
        provider = ProviderStandIn(chain=chain)
        await provider.start()
        chain.set_ledger(wallet, 1_000_000 * ONE_0G)
        chain.add_service(provider.service_entry())
        chain.set_account(wallet, provider.address, balance=1_000_000 * ONE_0G)
        try:
            yield chain, provider
        finally:
            await provider.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: asyncio.subprocess.Process
    target: str

    def token(self, user: str | None = None, service: str | None = None) -> tuple[tuple[str, str], ...]:
        return bearer(user, service)

    def status(self, key: str) -> int:
        """A ``/proc/<pid>/status`` figure in kB (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def chat_server(
    dsn: str, tmp: str, chain: ChainStandIn, provider: ProviderStandIn, *, chat: dict[str, Any] | None = None,
    database: dict[str, Any] | None = None, archive: dict[str, Any] | None = None, source: Path = ROOT,
) -> AsyncIterator[Server]:
    """The server of the code in ``source`` (this checkout; or an earlier commit's files, whose
    ``stack_cfo`` then comes first on the server's path as its working directory)."""
    port = free_port()
    config = {
        "server": {"listen": f"127.0.0.1:{port}", "metrics_listen": "off", "drain_delay": "0s",
                   "shutdown_grace": "2s", "max_concurrent_rpcs": 5000, "health_listen": f"127.0.0.1:{free_port()}"},
        # Limits on (their cost is part of every call) but far above what the benches send.
        "rate_limits": {k: {c: "1000000/second" for c in ("reads", "writes", "paid_ai", "streams")}
                        | {"concurrent_streams": 100_000, "calls_in_flight": 100_000} for k in ("user", "service")},
        "database": {"url": dsn, "data_dir": tmp, **(database or {})},
        "auth": server_config()["auth"],
        "archive": {**server_config()["archive"], **(archive or {})},  # type: ignore[dict-item]
        "logging": {"level": "WARNING"},
        "zerog": {"compute": {
            "mode": "direct",
            "private_key": WALLET_KEY,
            "provider_id": provider.address,
            "chain_rpc_url": chain.url,
            "retry": {"max_attempts": 2, "base_delay": "10ms", "max_delay": "50ms"},
            "breaker": {"min_requests": 100000},
        }},
        "chat": {"daily_token_budget": 0, **(chat or {})},
    }
    path = Path(tmp) / f"config-{port}.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["STACK_CFO_CONFIG"] = str(path)
    prof = ["-m", "cProfile", "-o", os.environ["CHAT_BENCH_PROFILE"]] if os.environ.get("CHAT_BENCH_PROFILE") else []
    proc = await asyncio.create_subprocess_exec(sys.executable, *prof, "-m", "stack_cfo.cli", "serve", cwd=source,
                                                env=env)
    server = Server(proc, f"127.0.0.1:{port}")
    try:
        await wait_ready(server.target)
        yield server
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()




def provider_authorization(provider: ProviderStandIn) -> str:
    """A valid ``Authorization`` header for raw requests to the provider stand-in."""
    return sign_session_token(
        Account.from_key(WALLET_KEY), provider.address, timestamp_ms=int(time.time() * 1000)
    ).authorization


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
