"""Transparency log: RFC 9162 Merkle tree, tiles, C2SP checkpoints, storage, sequencer.

Layers, bottom up: :mod:`.merkle` (pure hashing, proofs, verification), :mod:`.tiles` (stored
subtree hashes and proofs served from them), :mod:`.checkpoint` (C2SP checkpoints in signed
notes), :mod:`.storage` (the backend contract, memory and SQLite backends), :mod:`.sequencer`
(durable batched writes, integration, signing, startup verification), :mod:`.rekor` (Rekor v1
entry IDs, signed entry timestamps, REST and bundle shapes, offline entry verification),
:mod:`.entries` (accepting proposed entries: validation, signature check, canonical body),
:mod:`.log` (:class:`RekorLog`: the Rekor v1 log behind ``liturgia serve``, without HTTP),
:mod:`.monitor` (:class:`Monitor`: checkpoint history and consistency, as a witness keeps),
:mod:`.instance` (a log's files and verified start-up, for ``serve`` and the embedded log).
"""

from __future__ import annotations

from liturgia.tlog.checkpoint import (
    Checkpoint,
    EcdsaNoteSigner,
    EcdsaNoteVerifier,
    Ed25519NoteSigner,
    Ed25519NoteVerifier,
    NoteSigner,
    NoteVerifier,
    SignedNote,
    open_checkpoint,
    open_note,
    rekor_origin,
    sign_checkpoint,
    sign_note,
    signer_for,
    verifier_for,
)
from liturgia.tlog.entries import AcceptedEntry, accept_entry
from liturgia.tlog.log import RekorLog
from liturgia.tlog.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from liturgia.tlog.monitor import Monitor
from liturgia.tlog.rekor import InclusionProof, LogEntry, verify_log_entry
from liturgia.tlog.sequencer import Sequencer, StoredTree, verify_stored_tree
from liturgia.tlog.storage import Assigned, LogStorage, MemoryStorage, TreeState
from liturgia.tlog.tiles import TileKey, TileTree

__all__ = [
    "EMPTY_ROOT",
    "AcceptedEntry",
    "Assigned",
    "Checkpoint",
    "CompactRange",
    "EcdsaNoteSigner",
    "EcdsaNoteVerifier",
    "Ed25519NoteSigner",
    "Ed25519NoteVerifier",
    "InclusionProof",
    "LogEntry",
    "LogStorage",
    "MemoryStorage",
    "Monitor",
    "NoteSigner",
    "NoteVerifier",
    "RekorLog",
    "Sequencer",
    "SignedNote",
    "StoredTree",
    "TileKey",
    "TileTree",
    "TreeState",
    "accept_entry",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "rekor_origin",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "signer_for",
    "verifier_for",
    "verify_consistency",
    "verify_inclusion",
    "verify_log_entry",
    "verify_stored_tree",
]
