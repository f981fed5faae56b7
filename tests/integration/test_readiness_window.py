"""Readiness follows the database within its documented window, in both directions, with the
production defaults (``server.db_health_interval`` 1 s, ``db_health_timeout`` 1 s,
``db_failures_before_unready`` 3): NOT_SERVING at most ``3 x 1 + 1 = 4`` s after the database stops
answering, SERVING at most ``1 + 1 = 2`` s after it answers again (README, "Health").

Before, each failed check waited for a pooled connection for 2 s and then slept 2 s, three times:
NOT_SERVING 10.4-12.1 s after the cut, and up to 6.7 s of NOT_SERVING after the database was back.
Two kinds of outage: connections refused and reset (the server is down), and a partition where
connections stay open and nothing arrives (only time-outs notice it).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stack_cfo.config import ServerConfig
from tests.support.server import running_server
from tests.support.tcp_proxy import PgProxy

pytestmark = pytest.mark.slow

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
DEFAULTS = ServerConfig()
SLACK = 0.5
"""Scheduling on a busy 2-core machine; the bounds themselves are the documented ones."""
PRODUCTION_HEALTH = {
    "server": {
        "db_health_interval": DEFAULTS.db_health_interval.total_seconds(),
        "db_health_timeout": DEFAULTS.db_health_timeout.total_seconds(),
        "db_failures_before_unready": DEFAULTS.db_failures_before_unready,
    }
}


class ReadinessWatch:
    """Health/Watch on ``readiness``: each status with the time it arrived."""

    def __init__(self, channel: object) -> None:
        self.call = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service="readiness"))

    async def next_status(self, timeout: float) -> tuple[int, float]:
        update = await asyncio.wait_for(self.call.read(), timeout)
        return update.status, time.monotonic()


@pytest.mark.parametrize("outage", ["refused", "partition"])
async def test_readiness_flips_within_the_documented_window(db_dsn: str, data_dir: Path, outage: str) -> None:
    assert DEFAULTS.unready_within == 4.0 and DEFAULTS.ready_within == 2.0  # as the README documents
    proxy = PgProxy(db_dsn)
    await proxy.start()
    try:
        async with running_server(proxy.dsn(), data_dir, PRODUCTION_HEALTH) as srv:
            watch = ReadinessWatch(srv.channel)
            assert (await watch.next_status(5))[0] == SERVING
            await asyncio.sleep(1.5)  # a few healthy checks on the kept connection

            cut = time.monotonic()
            proxy.cut() if outage == "refused" else proxy.silence()
            status, at = await watch.next_status(DEFAULTS.unready_within + 5)
            down = at - cut
            assert status == NOT_SERVING
            await asyncio.sleep(2.0)

            back = time.monotonic()
            proxy.restore()
            status, at = await watch.next_status(DEFAULTS.ready_within + 5)
            up = at - back
            assert status == SERVING
            watch.call.cancel()
            print(f"\n{outage}: NOT_SERVING {down:.2f} s after the outage began (bound "
                  f"{DEFAULTS.unready_within:.0f} s), SERVING {up:.2f} s after it ended (bound "
                  f"{DEFAULTS.ready_within:.0f} s)")
            assert down >= (DEFAULTS.db_failures_before_unready - 1) * DEFAULTS.db_health_interval.total_seconds()
            assert down <= DEFAULTS.unready_within + SLACK
            assert up <= DEFAULTS.ready_within + SLACK
            # The pool came back too: a request right away is answered.
            assert await srv.health("readiness") == SERVING
            await srv.container.db.ping(timeout=1.0)
    finally:
        await proxy.close()
