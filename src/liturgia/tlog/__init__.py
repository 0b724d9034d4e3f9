"""Transparency log: RFC 9162 Merkle tree, tiles, C2SP checkpoints, storage, sequencer."""
