"""Merkle proof generation per RFC 9162 §2.1 over stored subtree hashes: the log's side.

Proof *generation* is written once, over a :data:`NodeReader` — a function returning the hash of a
full, aligned subtree ``(level, index)`` covering leaves ``[index * 2**level, (index + 1) *
2**level)``. Every hash in an RFC 9162 proof is the hash of such a subtree, or of the right-edge
partial subtree ``[k * 2**h, n)``, which :func:`subtree_hash` folds from full ones. A list of
leaf hashes gives a reader (:func:`leaf_node_reader`, used by the list functions below); the tile
store gives another (:mod:`liturgia.tlog.tiles`), so proofs are served from stored subtree hashes.

Hashing and proof *verification* (RFC 9162 §2.1.1, §2.1.3.2, §2.1.4.2) live once, below every
package that needs them, in :mod:`liturgia._internal.transparency.merkle`; they are re-exported
here (same objects) so the log's code reads ``merkle.leaf_hash`` as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from liturgia._internal.transparency.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

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

#: Returns the hash of the full subtree at ``(level, index)``; see the module docstring.
NodeReader = Callable[[int, int], bytes]


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
