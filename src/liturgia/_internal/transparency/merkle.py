"""RFC 9162 §2.1 Merkle tree hashing and proof verification (RFC 6962 hashing), once.

The pure functions every party of a transparency log needs: the leaf and node hashes, and the
checks of an inclusion proof (§2.1.3.2) and of a consistency proof (§2.1.4.2). The log
(:mod:`liturgia.tlog`) builds its tree and proofs on them, a bundle's verifier
(:mod:`liturgia.sign`) and a release's verifier (:mod:`liturgia.release`) check proofs with
them: one implementation, so two answers to one question cannot drift apart. Proof *generation*
is the log's job and lives in :mod:`liturgia.tlog.merkle`.

Hashes are 32-byte SHA-256 digests; tree sizes and leaf indexes are non-negative ints (the RFC's
uint64). Verification returns ``None`` or raises :class:`~liturgia.errors.ProofError` naming
the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from liturgia.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "leaf_hash",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]

#: Size of every hash in the tree, in bytes (SHA-256).
HASH_SIZE = 32

#: MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Return MTH({d(0)}) = SHA-256(0x00 || data) (RFC 9162 §2.1.1).

    Args:
        data: the leaf's bytes (for a log, the canonical entry body).

    Returns:
        The 32-byte leaf hash.
    """
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), an interior node hash (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, expected {HASH_SIZE}")


def _check_path(proof: Sequence[bytes], expected: int, what: str) -> None:
    if len(proof) != expected:
        raise ProofError(f"{what} has {len(proof)} hashes, expected {expected}")
    for position, item in enumerate(proof):
        _check_hash(item, f"{what} hash [{position}]")


def verify_inclusion(
    *, leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Verify that ``leaf_hash`` is leaf ``index`` of the tree with ``root`` (RFC 9162 §2.1.3.2).

    The proof length is checked against the one the RFC's PATH yields for this index and size,
    so a too short or too long proof is named as such rather than as a root mismatch.

    Args:
        leaf_hash: the 32-byte leaf hash (:func:`leaf_hash` of the entry).
        index: the leaf's index in the tree.
        tree_size: the size of the tree whose root is ``root``.
        proof: the audit path, leaf side first.
        root: the expected 32-byte root hash.

    Raises:
        ProofError: out-of-range index, malformed hash, wrong proof length, or root mismatch.
    """
    if tree_size <= 0 or not 0 <= index < tree_size:
        raise ProofError(f"leaf index {index} is not in a tree of size {tree_size}")
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root hash")
    inner = (index ^ (tree_size - 1)).bit_length()
    border = (index >> inner).bit_count()
    _check_path(proof, inner + border, "inclusion proof")
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if r != root:
        raise ProofError(
            f"inclusion proof for leaf {index} in tree of size {tree_size} yields root "
            f"{r.hex()}, expected {root.hex()}"
        )


def verify_consistency(
    *, size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Verify that tree ``(size1, root1)`` is a prefix of ``(size2, root2)`` (RFC 9162 §2.1.4.2).

    The RFC defines the check for ``0 < size1 < size2``; equal sizes need an empty proof and
    equal roots. A size-0 tree is refused, as the published test vectors require: every tree
    extends it, so "verifying" it would prove nothing.

    Args:
        size1: size of the older tree.
        size2: size of the newer tree.
        proof: the consistency proof from :func:`consistency_proof`.
        root1: root hash of the older tree.
        root2: root hash of the newer tree.

    Raises:
        ProofError: the sizes are impossible, a hash is malformed, the proof has the wrong length,
            or a recomputed root does not match.
    """
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}")
    if size1 <= 0:
        raise ProofError(f"consistency with a tree of size {size1} proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError(f"sizes are equal ({size1}) but the proof has {len(proof)} hashes")
        if root1 != root2:
            raise ProofError(f"sizes are equal ({size1}) but the roots differ")
        return
    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    # Expected length: the path of leaf size1-1 in tree size2, minus the levels shared by the
    # perfect subtree of size 2**shift that ends at size1, plus that subtree's hash unless
    # size1 is exactly 2**shift (RFC 9162 §2.1.4.2 step 2 then prepends root1 instead).
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length()
    border = ((size1 - 1) >> inner).bit_count()
    shift = (size1 & -size1).bit_length() - 1
    seeded = size1 != 1 << shift
    _check_path(proof, int(seeded) + inner - shift + border, "consistency proof")
    path = list(proof) if seeded else [root1, *proof]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if fr != root1:
        raise ProofError(f"consistency proof yields root1 {fr.hex()}, expected {root1.hex()}")
    if sr != root2:
        raise ProofError(f"consistency proof yields root2 {sr.hex()}, expected {root2.hex()}")
