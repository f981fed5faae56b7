"""0G Storage: the archive backend (content-addressed, on-chain submitted, indexer-served).

* :mod:`.merkle` — the file Merkle tree exactly as 0G computes it (root, segment proofs,
  Flow submission nodes).
* :mod:`.client` — :class:`ZeroGStorageStore`, the :class:`~stack_cfo.core.archive.ArchiveStore`
  over the Flow contract, a storage node and the indexer gateway.
"""
