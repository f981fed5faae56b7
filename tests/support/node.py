"""The Node.js test oracles (official 0G SDKs, ethers) in ``tests/node``, installed on first use."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


def ensure_node_modules() -> Path:
    """``npm ci`` in tests/node once; skips the calling test only when node/npm are absent."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm are not installed: the official 0G SDK oracles cannot run")
    modules = NODE_DIR / "node_modules"
    if not (modules / "@0gfoundation" / "0g-ts-sdk").is_dir() or not (modules / "ethers").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"npm ci failed in {NODE_DIR}:\n{done.stderr[-2000:]}"
    return modules
