"""Merkle batches: the blockcerts-merkletools construction, in three modules.

- :mod:`registry.merkle.paths`: what the verifier needs and a reviewer must check. Reading a
  path, walking it to the root, deriving the leaf's position from the path and the leaf count
  anchored on chain. Small and plain, with the construction explained in its docstring.
- :mod:`registry.merkle.tree`: the fast builder the anchoring job uses. ``build_tree`` hashes a
  batch of up to a million leaves, and ``MerkleTree.proofs_json`` renders every leaf's path as
  JSON text. Tested against :mod:`~registry.merkle.paths` and blockcerts-merkletools.
- :mod:`registry.merkle._forked`: private to the builder. A large tree's lower levels hashed in
  a forked second process, through shared memory, when a CPU is idle.

Nothing is imported here, so importing :mod:`registry.merkle.paths` (as the verifier does) does
not bring in the builder and its fork, mmap and pipes.
"""
