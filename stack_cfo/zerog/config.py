"""Configuration of the 0G compute client: the typed ``zerog.compute`` section.

The keys (types, defaults, bounds, environment names) are declared once, in
:mod:`stack_cfo.config.compute`; this module re-exports them under the names the client
uses, plus the 0G <-> neuron conversions.
"""

from __future__ import annotations

from decimal import Decimal

from stack_cfo.config.compute import (
    BreakerPolicy,
    ComputeConfig,
    ComputeMode,
    FundingPolicy,
    RetryPolicy,
    Timeouts,
)
from stack_cfo.config.networks import NETWORKS, Network

NEURON_PER_0G = 10**18

__all__ = [
    "NETWORKS",
    "NEURON_PER_0G",
    "BreakerPolicy",
    "ComputeConfig",
    "ComputeMode",
    "FundingPolicy",
    "Network",
    "RetryPolicy",
    "Timeouts",
    "to_0g",
    "to_neuron",
]


def to_neuron(amount_0g: Decimal) -> int:
    """0G (decimal) -> neuron (int), exact for up to 18 decimal places."""
    return int((amount_0g * NEURON_PER_0G).to_integral_exact())


def to_0g(neuron: int) -> Decimal:
    """neuron (int) -> 0G (Decimal), exact."""
    d = Decimal(neuron).scaleb(-18)
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
