"""Configuration of the 0G Storage archive backend: the typed ``zerog.storage`` section.

The keys are declared once, in :mod:`stack_cfo.config.storage`; this module re-exports them
under the names the storage client uses.
"""

from __future__ import annotations

from stack_cfo.config.networks import INDEXERS
from stack_cfo.config.storage import DEFAULT_NAMESPACES, StorageConfig

__all__ = ["DEFAULT_NAMESPACES", "INDEXERS", "StorageConfig"]
