"""Merkle tree hashing, proofs and proof verification per RFC 9162 §2.1 (RFC 6962 hashing).

Everything here is a pure function over hashes. Hashes are 32-byte SHA-256 digests; tree sizes
and leaf indexes are non-negative ints (the RFC's uint64).

Proof *generation* is written once, over a :data:`NodeReader` — a function returning the hash of a
full, aligned subtree ``(level, index)`` covering leaves ``[index * 2**level, (index + 1) *
2**level)``. Every hash in an RFC 9162 proof is the hash of such a subtree, or of the right-edge
partial subtree ``[k * 2**h, n)``, which :func:`subtree_hash` folds from full ones. A list of
leaf hashes gives a reader (:func:`leaf_node_reader`, used by the list functions below); the tile
store gives another (:mod:`liturgia.tlog.tiles`), so proofs are served from stored subtree hashes.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and returns ``None`` or raises
:class:`~liturgia.errors.ProofError` naming the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from liturgia.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "NodeReader",
    "consistency_proof",
    "consistency_proof_from",
    "consistency_proof_ranges",
    "inclusion_proof",
    "inclusion_proof_from",
    "inclusion_proof_ranges",
    "leaf_hash",
    "leaf_node_reader",
    "node_hash",
    "root_from",
    "root_hash",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

#: Size of every hash in the tree, in bytes (SHA-256).
HASH_SIZE = 32

#: MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: Returns the hash of the full subtree at ``(level, index)``; see the module docstring.
NodeReader = Callable[[int, int], bytes]

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


def _split(n: int) -> int:
    """Return k, the largest power of two smaller than ``n`` (``n >= 2``), per RFC 9162 §2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, read_node: NodeReader) -> bytes:
    """Return MTH(D[start:end]) for a range that is a subtree of some tree (RFC 9162 §2.1.1).

    The range must start at a multiple of the largest power of two not smaller than its length,
    as every range in a proof does. A full range is one node; a right-edge partial range is
    folded right to left from its full aligned pieces, largest first, as MTH splits it.

    Args:
        start: first leaf index, inclusive.
        end: last leaf index, exclusive; ``end > start``.
        read_node: returns the hash of a full aligned subtree.

    Returns:
        The 32-byte subtree hash.

    Raises:
        ValueError: the range is empty or not aligned (a bug in the caller).
    """
    size = end - start
    if size <= 0:
        raise ValueError(f"empty subtree range [{start}, {end})")
    width = 1 << (size - 1).bit_length()
    if start % width:
        raise ValueError(f"subtree range [{start}, {end}) is not aligned")
    pieces: list[bytes] = []
    offset = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            pieces.append(read_node(level, offset >> level))
            offset += 1 << level
    acc = pieces[-1]
    for piece in reversed(pieces[:-1]):
        acc = node_hash(piece, acc)
    return acc


def root_from(size: int, read_node: NodeReader) -> bytes:
    """Return the root MTH(D[0:size]) from full subtree hashes; :data:`EMPTY_ROOT` for 0."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    if size == 0:
        return EMPTY_ROOT
    return subtree_hash(0, size, read_node)


def inclusion_proof_ranges(index: int, size: int) -> tuple[tuple[int, int], ...]:
    """Return the leaf ranges whose hashes form PATH(index, D[0:size]), leaf side first.

    Implements the recursion of RFC 9162 §2.1.3.1 over ranges instead of hashes.

    Raises:
        ValueError: ``index`` is not in ``[0, size)``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return tuple(ranges)


def consistency_proof_ranges(size1: int, size2: int) -> tuple[tuple[int, int], ...]:
    """Return the leaf ranges whose hashes form PROOF(size1, D[0:size2]) (RFC 9162 §2.1.4.1).

    Implements SUBPROOF(m, D[n], b) over ranges. Sizes must satisfy ``0 < size1 <= size2``; the
    proof for equal sizes is empty.

    Raises:
        ValueError: the sizes are out of range.
    """
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size2, size1, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                ranges.append((lo, hi))
            break
        k = _split(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    ranges.reverse()
    return tuple(ranges)


def inclusion_proof_from(index: int, size: int, read_node: NodeReader) -> tuple[bytes, ...]:
    """Return the inclusion proof of leaf ``index`` in the tree of ``size`` (RFC 9162 §2.1.3.1).

    Args:
        index: leaf index, ``0 <= index < size``.
        size: tree size.
        read_node: returns full subtree hashes (from leaves or from stored tiles).

    Returns:
        The audit path, leaf side first, as 32-byte hashes.

    Raises:
        ValueError: ``index`` is out of range.
    """
    return tuple(subtree_hash(a, b, read_node) for a, b in inclusion_proof_ranges(index, size))


def consistency_proof_from(size1: int, size2: int, read_node: NodeReader) -> tuple[bytes, ...]:
    """Return the consistency proof from ``size1`` to ``size2`` (RFC 9162 §2.1.4.1).

    Raises:
        ValueError: not ``0 < size1 <= size2``.
    """
    return tuple(subtree_hash(a, b, read_node) for a, b in consistency_proof_ranges(size1, size2))


def leaf_node_reader(leaf_hashes: Sequence[bytes]) -> NodeReader:
    """Return a :data:`NodeReader` over a list of leaf hashes, memoising computed nodes.

    Meant for small trees and tests; a log serves proofs from its tile store instead.
    """
    cache: dict[tuple[int, int], bytes] = {}

    def read(level: int, index: int) -> bytes:
        if level == 0:
            return leaf_hashes[index]
        key = (level, index)
        found = cache.get(key)
        if found is None:
            found = node_hash(read(level - 1, 2 * index), read(level - 1, 2 * index + 1))
            cache[key] = found
        return found

    return read


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH(D[n]) of a list of leaf hashes (RFC 9162 §2.1.1); :data:`EMPTY_ROOT` for [].

    Args:
        leaf_hashes: the n leaf hashes in order, each from :func:`leaf_hash`.
    """
    return root_from(len(leaf_hashes), leaf_node_reader(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> tuple[bytes, ...]:
    """Return PATH(index, D[n]) for a list of leaf hashes (RFC 9162 §2.1.3.1).

    Raises:
        ValueError: ``index`` is not in ``[0, len(leaf_hashes))``.
    """
    return inclusion_proof_from(index, len(leaf_hashes), leaf_node_reader(leaf_hashes))


def consistency_proof(leaf_hashes: Sequence[bytes], size1: int) -> tuple[bytes, ...]:
    """Return PROOF(size1, D[n]) for a list of ``n`` leaf hashes (RFC 9162 §2.1.4.1).

    Raises:
        ValueError: not ``0 < size1 <= len(leaf_hashes)``.
    """
    size2 = len(leaf_hashes)
    return consistency_proof_from(size1, size2, leaf_node_reader(leaf_hashes))


class CompactRange:
    """The right edge of a growing tree: one hash per set bit of its size (a "compact range").

    Appending a leaf merges equal-sized perfect subtrees, so memory stays O(log n) whatever
    the size; :meth:`root` folds them as MTH does (RFC 9162 §2.1.1). Used to recompute a root
    from a stream of leaf hashes (e.g. a full check of stored leaves at startup).
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """The number of leaves appended."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Append one 32-byte leaf hash."""
        self._stack.append(leaf_hash)
        self._size += 1
        carry = self._size
        while not carry & 1:
            right = self._stack.pop()
            self._stack[-1] = node_hash(self._stack[-1], right)
            carry >>= 1

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append leaf hashes in order."""
        for value in leaf_hashes:
            self.append(value)

    def root(self) -> bytes:
        """Return MTH of the leaves appended so far; :data:`EMPTY_ROOT` when there are none."""
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1]
        for piece in reversed(self._stack[:-1]):
            acc = node_hash(piece, acc)
        return acc


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
