"""Our 0G Merkle roots, submission nodes and segment proofs equal the official storage SDK's.

The oracle is ``@0gfoundation/0g-ts-sdk`` (pinned in ``tests/node/package.json``) run with
Node on the same files. ``npm ci`` runs once when ``tests/node/node_modules`` is missing.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from stack_cfo.zerog.storage.merkle import EmptyDataError, merkle_tree
from tests.support.node import ensure_node_modules

NODE_DIR = Path(__file__).resolve().parents[2] / "node"
KIB, MIB = 1024, 1024 * 1024
SIZES = [
    1,
    255,
    256,
    257,
    256 * KIB - 1,
    256 * KIB,
    256 * KIB + 1,
    600_000,  # 3 padded segments: a non-power-of-two file tree
    3 * MIB + 17,  # 13 segments
    4 * MIB + 256 * KIB + 5,  # data ends inside a segment, flow padding adds a whole one
]


def _sdk_ready() -> None:
    ensure_node_modules()


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[bytes, dict[str, object]]]:
    """size -> (the file's bytes, what the SDK says about it)."""
    _sdk_ready()
    folder = tmp_path_factory.mktemp("zerog-files")
    rng = random.Random(20260105)
    files: dict[int, bytes] = {0: b""}
    files.update({size: rng.randbytes(size) for size in SIZES})
    paths = []
    for size, data in files.items():
        path = folder / f"f{size}.bin"
        path.write_bytes(data)
        paths.append(str(path))
    done = subprocess.run(
        ["node", str(NODE_DIR / "roots.js"), *paths, "--proofs"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=NODE_DIR,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    return {a["size"]: (files[a["size"]], a) for a in answers}


@pytest.mark.parametrize("size", SIZES)
def test_root_nodes_and_proofs_match_the_official_sdk(oracle: dict, size: int) -> None:
    data, sdk = oracle[size]
    tree = merkle_tree(data)

    assert "0x" + tree.root.hex() == sdk["root"]
    assert tree.num_segments == sdk["numSegments"]
    assert [{"root": "0x" + n.root.hex(), "height": n.height} for n in tree.submission_nodes] == sdk["nodes"]
    assert [tree.proof(i).to_json() for i in range(tree.num_segments)] == sdk["proofs"]


def test_empty_file_has_no_root_in_the_sdk_nor_here(oracle: dict) -> None:
    _, sdk = oracle[0]
    # The SDK builds no tree for 0 bytes (merkleTree() yields null); the Go client refuses it.
    assert sdk["root"] is None and sdk["numSegments"] == 0
    with pytest.raises(EmptyDataError):
        merkle_tree(b"")
