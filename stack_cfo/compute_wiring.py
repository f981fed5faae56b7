"""The one shared 0G compute client of a process, built from ``zerog.compute`` config.

Every feature (chat, portfolio narrative, digests) gets it through
``container.service("compute", compute_client)`` so there is one client, one set of
breakers and one connection pool per process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stack_cfo.core.ai import ComputeClient

if TYPE_CHECKING:
    from stack_cfo.app import Container


def compute_client(container: Container) -> ComputeClient:
    from stack_cfo.zerog import build_compute_client

    # The container's clock drives token timestamps and breaker timing (tests move it).
    return build_compute_client(container.config.zerog.compute, clock=container.clock)


def shared_compute(container: Container) -> ComputeClient:
    """The process-wide compute client (built on first use, closed at shutdown)."""
    client: ComputeClient = container.service("compute", compute_client)
    return client
