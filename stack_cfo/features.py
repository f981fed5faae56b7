"""Feature services built into the container (one function per feature, called from ``app``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stack_cfo.app import Container


def install_features(container: Container) -> None:
    """Build every feature's domain service over the shared pool, clock and clients."""
