"""Stored subtree hashes as tiles, and proofs served from them (C2SP tlog-tiles layout).

A tile ``(level, index)`` holds up to :data:`TILE_WIDTH` consecutive hashes of tree level
``level * TILE_HEIGHT``: tile ``(L, k)`` holds the nodes ``k * 256 .. k * 256 + 255`` of tree
level ``8 * L``, concatenated (32 bytes each), as c2sp.org/tlog-tiles lays them out. A tile is
*partial* while the tree's right edge runs through it and is rewritten as it grows; once it holds
256 hashes it never changes again, and its root is appended to the tile row one level up.

Every full aligned subtree of the tree is then either a hash stored in a tile or the root of at
most 128 consecutive hashes of one tile, so any proof or root is computed from a handful of
stored tiles (three for a million entries), never from the leaves (RFC 9162 §2.1 via
:func:`liturgia.tlog.merkle.subtree_hash`).

:class:`TileTree` is the pure in-memory structure; :func:`integrate` is the write path that a
storage backend runs in one transaction.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from liturgia.errors import ProofError, StorageError
from liturgia.tlog import merkle

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Integration",
    "NodeCache",
    "TileKey",
    "TileLevels",
    "TileNodes",
    "TileProofs",
    "TileSource",
    "TileTree",
    "consistency_proof",
    "inclusion_proof",
    "integrate",
    "needed_tiles",
    "parse_tile_path",
    "root",
    "tile_path",
    "tile_width",
]

#: Tree levels per tile (c2sp.org/tlog-tiles).
TILE_HEIGHT = 8
#: Hashes in a full tile, ``2 ** TILE_HEIGHT``.
TILE_WIDTH = 1 << TILE_HEIGHT
_H = merkle.HASH_SIZE


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class TileKey:
    """Names a tile.

    Attributes:
        level: tile level; the tile holds hashes of tree level ``level * TILE_HEIGHT``.
        index: position of the tile in its row (tile ``index`` holds hashes
            ``index * 256 .. index * 256 + 255``).
    """

    level: int
    index: int


class TileSource(Protocol):
    """Reads stored tiles; the one thing proof serving needs from storage."""

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        """Return the stored bytes of each requested tile; tiles never written are absent.

        Raises:
            StorageError: the storage cannot be read.
        """
        ...  # pragma: no cover - protocol


def tile_width(key: TileKey, tree_size: int) -> int:
    """Return how many hashes tile ``key`` holds in a tree of ``tree_size`` leaves (0 to 256)."""
    nodes = tree_size >> (TILE_HEIGHT * key.level)
    return max(0, min(TILE_WIDTH, nodes - key.index * TILE_WIDTH))


def _encode_index(index: int) -> str:
    """c2sp.org/tlog-tiles ``<N>``: 3-digit groups, all but the last prefixed by ``x``."""
    groups = []
    while True:
        index, group = divmod(index, 1000)
        groups.append(f"{group:03d}")
        if not index:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def tile_path(key: TileKey, tree_size: int, *, entries: bool = False) -> str:
    """Return the c2sp.org/tlog-tiles path of a tile as it is at ``tree_size``.

    ``tile/<L>/<N>`` for a full tile, ``tile/<L>/<N>.p/<W>`` for a partial one of width W;
    with ``entries``, the entry bundle path ``tile/entries/<N>[.p/<W>]`` (level 0 only). A
    tile's bytes at width W are the first ``32 * W`` bytes of the stored row, which only grows.

    Raises:
        ValueError: the tile is empty at ``tree_size``, its level is not 0..63, or an entry
            bundle is asked for another level.
    """
    if not 0 <= key.level <= 63:
        raise ValueError(f"tile level {key.level} is not in 0..63")
    if entries and key.level:
        raise ValueError("entry bundles exist only at level 0")
    width = tile_width(key, tree_size)
    if not width:
        raise ValueError(f"tile {key.level}/{key.index} is empty at tree size {tree_size}")
    level = "entries" if entries else str(key.level)
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{_encode_index(key.index)}{suffix}"


#: Tile indexes stay below 2**63 (the storage's integer): a tree of 2**64 leaves needs no more.
_MAX_TILE_INDEX = 1 << 63
_PATH = re.compile(
    # At most 7 groups (21 digits): a tile index beyond an int64 is no tile of any log.
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<n>(?:x[0-9]{3}/){0,6}[0-9]{3})"
    r"(?:\.p/(?P<w>[1-9][0-9]{0,2}))?\Z"
)


def parse_tile_path(path: str) -> tuple[TileKey, int | None, bool]:
    """Parse a c2sp.org/tlog-tiles path; the inverse of :func:`tile_path`.

    Returns:
        ``(key, width, entries)``: width is ``None`` for a full tile; ``entries`` is whether it
        names an entry bundle (then ``key.level`` is 0).

    Raises:
        ValueError: not a tile path as the spec writes them (level 0..63 without leading
            zeros, 3-digit groups, partial width 1..255).
    """
    match = _PATH.match(path)
    width = None if match is None or match["w"] is None else int(match["w"])
    if match is None or (width is not None and width >= TILE_WIDTH):
        raise ValueError(f"not a tlog-tiles path: {path!r}")
    entries = match["level"] == "entries"
    level = 0 if entries else int(match["level"])
    if level > 63:
        raise ValueError(f"not a tlog-tiles path: {path!r}")
    index = int(match["n"].replace("x", "").replace("/", ""))
    if index >= _MAX_TILE_INDEX:
        raise ValueError(f"not a tlog-tiles path: {path!r}")
    return TileKey(level=level, index=index), width, entries


def _perfect_root(row: bytes) -> bytes:
    """Root of a perfect subtree from its 2**d consecutive hashes, concatenated."""
    hashes = [row[i : i + _H] for i in range(0, len(row), _H)]
    while len(hashes) > 1:
        hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def _locate(level: int, index: int) -> tuple[TileKey, int, int]:
    """Map tree node ``(level, index)`` to its tile, first hash offset and hash count."""
    tile_level, depth = divmod(level, TILE_HEIGHT)
    first = index << depth
    return TileKey(level=tile_level, index=first >> TILE_HEIGHT), first % TILE_WIDTH, 1 << depth


class NodeCache:
    """A bounded LRU of full-subtree hashes, shared by the proofs a log serves.

    Caching is sound because a full subtree of an append-only tree never changes: once
    ``(level, index)`` covers only integrated leaves its hash is final. The top of the tree is in
    every proof, so hot nodes are served without reading or hashing tiles. The same holds for
    the hash of a right-edge partial range ``[start, end)`` (:meth:`get_range`): the leaves
    below ``end`` never change, and every proof at one tree size folds the same few.

    Args:
        max_nodes: most hashes kept, nodes and ranges together (about 120 bytes each with
            their keys).
    """

    def __init__(self, max_nodes: int = 1 << 17) -> None:
        self._max = max_nodes
        # Keys: (level, index) for a full node, (start, end, 0) for a partial range.
        self._data: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """The number of hashes held."""
        return len(self._data)

    def get(self, level: int, index: int) -> bytes | None:
        """Return the cached hash of node ``(level, index)``, or ``None``."""
        value = self._data.get((level, index))  # one C call: atomic under the GIL
        if value is not None:
            with contextlib.suppress(KeyError):  # evicted meanwhile: still a correct answer
                self._data.move_to_end((level, index))
        return value

    def put(self, level: int, index: int, value: bytes) -> None:
        """Remember the hash of full node ``(level, index)``, evicting the least recent."""
        self._put((level, index), value)

    def get_range(self, start: int, end: int) -> bytes | None:
        """Return the cached MTH(D[start:end]) of a range of integrated leaves, or ``None``."""
        value = self._data.get((start, end, 0))
        if value is not None:
            with contextlib.suppress(KeyError):
                self._data.move_to_end((start, end, 0))
        return value

    def put_range(self, start: int, end: int, value: bytes) -> None:
        """Remember MTH(D[start:end]) (``end`` within the integrated tree), as :meth:`put` does."""
        self._put((start, end, 0), value)

    def _put(self, key: tuple[int, ...], value: bytes) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)


class TileLevels:
    """A bounded LRU of full tiles' inner nodes: every hash of the 8 tree levels a tile spans.

    A full tile never changes, so the 255 hashes folded from its 256 are computed once and any
    node inside it (the audit path of a leaf within its tile, 8 of a proof's hashes) is then a
    slice. About 16 KiB per tile.

    Args:
        max_bytes: most bytes held (0: nothing cached).
    """

    def __init__(self, max_bytes: int = 16 << 20) -> None:
        self._max = max_bytes
        self._size = 0
        self._data: OrderedDict[tuple[int, int], tuple[bytes, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes held."""
        return self._size

    def get(self, key: tuple[int, int]) -> tuple[bytes, ...] | None:
        """Return the levels of full tile ``(level, index)`` (depth ``d``: ``256 >> d`` hashes)."""
        value = self._data.get(key)
        if value is not None:
            with contextlib.suppress(KeyError):
                self._data.move_to_end(key)
        return value

    def add(self, key: tuple[int, int], row: bytes) -> tuple[bytes, ...]:
        """Fold full tile ``(level, index)``'s 256 hashes into its levels; remember, return them."""
        levels = [row]
        while len(levels[-1]) > _H:
            below = levels[-1]
            levels.append(
                b"".join(
                    merkle.node_hash(below[i : i + _H], below[i + _H : i + 2 * _H])
                    for i in range(0, len(below), 2 * _H)
                )
            )
        value = tuple(levels)
        cost = 2 * len(row)
        if cost <= self._max:
            with self._lock:
                if key not in self._data:
                    self._data[key] = value
                    self._size += cost
                while self._size > self._max:
                    _, dropped = self._data.popitem(last=False)
                    self._size -= 2 * len(dropped[0])
        return value


class TileProofs:
    """Audit paths of leaves in full leaf tiles, each tile proven into the tree's root once.

    Every leaf of full leaf tile ``k`` shares the part of its audit path above the tile (the
    path of node ``(8, k)``, RFC 9162 §2.1.3.1); the 8 hashes below it are slices of the
    tile's folded levels (:class:`TileLevels`). This keeps, per tile and for one tree size,
    that upper part after checking once that the tile's root and it give the tree's root
    (RFC 9162 §2.1.3.2 from level 8). Then a leaf's proof costs no hashing at all, and the leaf
    hash the proven tile holds is returned with it: an entry body is in the tree if its leaf
    hash equals that one (one hash instead of re-walking the path).

    Args:
        max_tiles: most tiles kept (a few hundred bytes each); 0 keeps none.
    """

    def __init__(self, max_tiles: int = 1024) -> None:
        self._max = max_tiles
        # tile index -> (tree size, root of that tree, the tile's root, the upper path)
        self._data: OrderedDict[int, tuple[int, bytes, bytes, tuple[bytes, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """The number of tiles held."""
        return len(self._data)

    def proof(
        self,
        source: TileSource,
        index: int,
        tree_size: int,
        root: bytes,
        *,
        cache: NodeCache | None,
        levels: TileLevels,
    ) -> tuple[tuple[bytes, ...], bytes] | None:
        """Return leaf ``index``'s audit path at ``tree_size`` and the leaf hash the tree holds.

        ``root`` is the tree's root at ``tree_size``. Returns ``None`` when the leaf is not in
        a full tile, the tile's levels are not cached, or the stored tile does not prove into
        ``root`` (the caller then computes and checks the proof the long way, which names
        the fault).

        Raises:
            StorageError: the storage failed or lost a tile.
        """
        tile, offset = divmod(index, TILE_WIDTH)
        if self._max <= 0 or index < 0 or (tile + 1) * TILE_WIDTH > tree_size:
            return None
        held = self._data.get(tile)
        folded = levels.get((0, tile))
        if held is None or held[0] != tree_size or held[1] != root:
            full = inclusion_proof(source, tile * TILE_WIDTH, tree_size, cache=cache, levels=levels)
            folded = levels.get((0, tile))
            if folded is None:
                return None
            upper = full[TILE_HEIGHT:]
            try:
                merkle.verify_inclusion(
                    leaf_hash=folded[TILE_HEIGHT],
                    index=tile,
                    tree_size=((tree_size - 1) >> TILE_HEIGHT) + 1,
                    proof=upper,
                    root=root,
                )
            except ProofError:
                return None
            held = (tree_size, root, folded[TILE_HEIGHT], upper)
            with self._lock:
                self._data[tile] = held
                self._data.move_to_end(tile)
                while len(self._data) > self._max:
                    self._data.popitem(last=False)
        elif folded is None or folded[TILE_HEIGHT] != held[2]:
            return None  # evicted (or folded again from changed storage): the long way
        siblings = [((offset >> depth) ^ 1) * _H for depth in range(TILE_HEIGHT)]
        path = [folded[depth][at : at + _H] for depth, at in enumerate(siblings)]
        return (*path, *held[3]), folded[0][offset * _H : (offset + 1) * _H]


class TileNodes:
    """A :data:`~liturgia.tlog.merkle.NodeReader` over a set of tiles, memoising what it computes.

    Args:
        tiles: the tiles to read from, keyed by :class:`TileKey`.

    Calling it with a node outside those tiles raises :class:`~liturgia.errors.StorageError`
    (the storage lost a tile, or the caller asked for a node beyond the tree).
    """

    __slots__ = ("_cache", "_levels", "_shared", "_tiles")

    def __init__(
        self,
        tiles: Mapping[TileKey, bytes],
        cache: NodeCache | None = None,
        levels: TileLevels | None = None,
    ) -> None:
        self._tiles = tiles
        self._cache: dict[tuple[int, int], bytes] = {}
        self._shared = cache
        self._levels = levels

    def __call__(self, level: int, index: int) -> bytes:
        """Return the hash of the full subtree at tree ``level``, position ``index``."""
        cached = self._cache.get((level, index))
        if cached is None and self._shared is not None:
            cached = self._shared.get(level, index)
        if cached is not None:
            return cached
        key, offset, count = _locate(level, index)
        if self._levels is not None:
            folded = self._levels.get((key.level, key.index))
            row = self._tiles.get(key, b"")
            if folded is None and len(row) == TILE_WIDTH * _H:
                folded = self._levels.add((key.level, key.index), row)
            if folded is not None:
                depth = level % TILE_HEIGHT
                start = (offset >> depth) * _H
                return folded[depth][start : start + _H]
        row = self._tiles.get(key, b"")
        part = row[offset * _H : (offset + count) * _H]
        if len(part) != count * _H:
            raise StorageError(
                f"tile {key.level}/{key.index} holds {len(row) // _H} hashes; node "
                f"{level}/{index} needs hashes {offset}..{offset + count - 1}"
            )
        value = part if count == 1 else _perfect_root(part)
        self._cache[(level, index)] = value
        if self._shared is not None:
            self._shared.put(level, index, value)
        return value


def _collect(ranges: Iterable[tuple[int, int]]) -> frozenset[TileKey]:
    keys: set[TileKey] = set()

    def record(level: int, index: int) -> bytes:
        keys.add(_locate(level, index)[0])
        return merkle.EMPTY_ROOT

    for start, end in ranges:
        merkle.subtree_hash(start, end, record)
    return frozenset(keys)


def needed_tiles(ranges: Iterable[tuple[int, int]]) -> frozenset[TileKey]:
    """Return the tiles holding the full subtrees that the hashes of ``ranges`` fold from.

    Args:
        ranges: leaf ranges as given by :func:`merkle.inclusion_proof_ranges` and friends.
    """
    return _collect(ranges)


def _nodes_for(
    source: TileSource,
    ranges: Sequence[tuple[int, int]],
    cache: NodeCache | None = None,
    levels: TileLevels | None = None,
) -> TileNodes:
    """Read, in one batch, the tiles holding the nodes of ``ranges`` not already cached."""
    keys: set[TileKey] = set()
    known: dict[tuple[int, int], bytes] = {}

    def record(level: int, index: int) -> bytes:
        hit = None if cache is None else cache.get(level, index)
        if hit is None:
            key = _locate(level, index)[0]
            if levels is None or levels.get((key.level, key.index)) is None:
                keys.add(key)
        else:
            known[(level, index)] = hit  # kept here: the LRU may evict it before use
        return merkle.EMPTY_ROOT

    for start, end in ranges:
        merkle.subtree_hash(start, end, record)
    nodes = TileNodes(dict(source.read_tiles(keys)) if keys else {}, cache, levels)
    nodes._cache.update(known)  # same module: seed with the hits taken above
    return nodes


def _cached_nodes(
    wanted: Collection[tuple[int, int]], cache: NodeCache | None, levels: TileLevels | None
) -> tuple[dict[tuple[int, int], bytes], list[tuple[int, int]]]:
    """Split full nodes ``(level, index)`` into those the caches answer and those they do not.

    A node in a cached full tile is sliced from the tile's folded levels.
    """
    found: dict[tuple[int, int], bytes] = {}
    missing: list[tuple[int, int]] = []
    for level, index in wanted:
        tile_level, depth = divmod(level, TILE_HEIGHT)
        tile_index, offset = divmod(index << depth, TILE_WIDTH)
        folded = None if levels is None else levels.get((tile_level, tile_index))
        if folded is not None:
            start = (offset >> depth) * _H
            found[(level, index)] = folded[depth][start : start + _H]
            continue
        hit = None if cache is None else cache.get(level, index)
        if hit is None:
            missing.append((level, index))
        else:
            found[(level, index)] = hit
    return found, missing


def _cached_range_hashes(
    ranges: Sequence[tuple[int, int]], cache: NodeCache, levels: TileLevels | None
) -> tuple[bytes, ...] | None:
    """MTH of each leaf range of a proof when the caches hold them all, else ``None``.

    The common case of a log read over and over: a proof's hashes are slices of its leaf
    tile's folded levels, cached nodes above it and cached right-edge ranges; nothing is read
    or hashed, and each tile's levels are looked up once.
    """
    hashes: list[bytes] = []
    tile: tuple[int, int] | None = None
    folded: tuple[bytes, ...] | None = None
    for start, end in ranges:
        count = end - start
        if count & (count - 1):
            value = cache.get_range(start, end)
        else:
            level = count.bit_length() - 1
            tile_level, depth = divmod(level, TILE_HEIGHT)
            first = start >> (tile_level * TILE_HEIGHT)  # the node's first hash in its tile level
            key = (tile_level, first >> TILE_HEIGHT)
            if key != tile:
                tile, folded = key, None if levels is None else levels.get(key)
            if folded is not None:
                at = ((first & (TILE_WIDTH - 1)) >> depth) * _H
                value = folded[depth][at : at + _H]
            else:
                value = cache.get(level, start >> level)
        if value is None:
            return None
        hashes.append(value)
    return tuple(hashes)


def _range_hashes(
    source: TileSource,
    ranges: Sequence[tuple[int, int]],
    cache: NodeCache | None,
    levels: TileLevels | None,
) -> tuple[bytes, ...]:
    """Return MTH of each leaf range of a proof, reading the tiles the caches lack in one batch.

    A full aligned range is one node (cached, or sliced from its tile's folded levels); a
    right-edge partial range is folded from its full pieces (RFC 9162 §2.1.1) and cached.
    """
    if cache is not None:
        cached = _cached_range_hashes(ranges, cache, levels)
        if cached is not None:
            return cached
    full: dict[tuple[int, int], tuple[int, int]] = {}
    partial: list[tuple[int, int]] = []
    folded_ranges: dict[tuple[int, int], bytes] = {}
    for start, end in ranges:
        count = end - start
        if count & (count - 1) == 0:
            level = count.bit_length() - 1
            full[(start, end)] = (level, start >> level)
        else:
            hit = None if cache is None else cache.get_range(start, end)
            if hit is None:
                partial.append((start, end))
            else:
                folded_ranges[(start, end)] = hit
    nodes, missing = _cached_nodes(set(full.values()), cache, levels)
    keys = {_locate(level, index)[0] for level, index in missing}
    known: dict[tuple[int, int], bytes] = {}
    if partial:

        def record(level: int, index: int) -> bytes:
            node = (level, index)
            hit, absent = _cached_nodes((node,), cache, levels)
            if absent:
                keys.add(_locate(level, index)[0])
            else:
                known[node] = hit[node]  # kept here: an LRU may evict it before use
            return merkle.EMPTY_ROOT

        for start, end in partial:
            merkle.subtree_hash(start, end, record)
    reader = TileNodes(dict(source.read_tiles(keys)) if keys else {}, cache, levels)
    reader._cache.update(known)  # same module: seed with the hits taken above
    for level, index in missing:
        nodes[(level, index)] = reader(level, index)
    for start, end in partial:
        folded_ranges[(start, end)] = value = merkle.subtree_hash(start, end, reader)
        if cache is not None:
            cache.put_range(start, end, value)
    return tuple(nodes[full[span]] if span in full else folded_ranges[span] for span in ranges)


def root(source: TileSource, tree_size: int) -> bytes:
    """Return the root hash of the stored tree at ``tree_size`` (RFC 9162 §2.1.1).

    Raises:
        StorageError: a needed tile is missing or short.
    """
    if tree_size == 0:
        return merkle.EMPTY_ROOT
    return merkle.root_from(tree_size, _nodes_for(source, ((0, tree_size),)))


def inclusion_proof(
    source: TileSource,
    index: int,
    tree_size: int,
    *,
    cache: NodeCache | None = None,
    levels: TileLevels | None = None,
) -> tuple[bytes, ...]:
    """Return the inclusion proof of leaf ``index`` at ``tree_size`` from stored tiles.

    Implements RFC 9162 §2.1.3.1 with one batched tile read; with a ``cache``, nodes it holds
    are neither read nor hashed again, and with ``levels`` the part of the path inside a full
    tile is sliced from that tile's folded levels.

    Raises:
        ValueError: ``index`` is not in ``[0, tree_size)``.
        StorageError: a needed tile is missing or short.
    """
    return _range_hashes(source, merkle.inclusion_proof_ranges(index, tree_size), cache, levels)


def inclusion_proofs(
    source: TileSource,
    indexes: Sequence[int],
    tree_size: int,
    *,
    cache: NodeCache | None = None,
    levels: TileLevels | None = None,
) -> tuple[tuple[bytes, ...], ...]:
    """Return the inclusion proofs of several leaves at one ``tree_size``, sharing the work.

    The batch form of :func:`inclusion_proof` (RFC 9162 §2.1.3.1) for a log answering a batch
    of new entries: the tiles of every proof are read in one batch and each distinct subtree
    range (the right-edge ones are in nearly every proof) is hashed once.

    Args:
        source: the stored tiles.
        indexes: leaf indexes, each in ``[0, tree_size)``.
        tree_size: the tree size the proofs are for.
        cache: full-subtree hashes shared across calls.
        levels: full tiles' folded levels shared across calls.

    Returns:
        One audit path per index, in input order.

    Raises:
        ValueError: an index is not in ``[0, tree_size)``.
        StorageError: a needed tile is missing or short.
    """
    per_index = [merkle.inclusion_proof_ranges(index, tree_size) for index in indexes]
    distinct = sorted({span for ranges in per_index for span in ranges})
    nodes = _nodes_for(source, distinct, cache, levels)
    hashes = {span: merkle.subtree_hash(span[0], span[1], nodes) for span in distinct}
    return tuple(tuple(hashes[span] for span in ranges) for ranges in per_index)


def consistency_proof(
    source: TileSource,
    size1: int,
    size2: int,
    *,
    cache: NodeCache | None = None,
    levels: TileLevels | None = None,
) -> tuple[bytes, ...]:
    """Return the consistency proof from ``size1`` to ``size2`` from stored tiles.

    Implements RFC 9162 §2.1.4.1 with one batched tile read (``cache`` and ``levels`` as for
    inclusion).

    Raises:
        ValueError: not ``0 < size1 <= size2``.
        StorageError: a needed tile is missing or short.
    """
    return _range_hashes(source, merkle.consistency_proof_ranges(size1, size2), cache, levels)


@dataclass(frozen=True, slots=True, kw_only=True)
class Integration:
    """The result of appending leaves: what a backend writes in one transaction.

    Attributes:
        size: the new tree size.
        root: the new 32-byte root hash.
        tiles: every tile that changed, as ``(key, bytes)`` sorted by key.
    """

    size: int
    root: bytes
    tiles: tuple[tuple[TileKey, bytes], ...]


def integrate(
    source: TileSource,
    tree_size: int,
    leaf_hashes: Sequence[bytes],
    *,
    cache: NodeCache | None = None,
) -> Integration:
    """Append ``leaf_hashes`` to the stored tree of ``tree_size`` leaves.

    Reads only the partial tiles on the tree's right edge (one per tile level), appends the new
    hashes, and carries each tile that fills up to the next tile level as its subtree root.

    Args:
        source: the stored tiles at ``tree_size``.
        tree_size: the current (integrated) tree size.
        leaf_hashes: the new leaves' hashes, in index order.
        cache: full-subtree hashes shared with earlier calls (the new root folds the same
            large subtrees each time).

    Returns:
        The new size, root, and the changed tiles to store.

    Raises:
        StorageError: a partial right-edge tile is missing or shorter than the tree says.
    """
    for position, value in enumerate(leaf_hashes):
        if len(value) != _H:
            raise ValueError(f"leaf hash [{position}] is {len(value)} bytes, expected {_H}")
    edge: list[TileKey] = []
    level = 0
    while tree_size >> (TILE_HEIGHT * level):
        nodes = tree_size >> (TILE_HEIGHT * level)
        if nodes % TILE_WIDTH:
            edge.append(TileKey(level=level, index=nodes // TILE_WIDTH))
        level += 1
    stored = dict(source.read_tiles(edge)) if edge else {}
    changed: dict[TileKey, bytes] = {}
    carry = list(leaf_hashes)
    level = 0
    while carry:
        nodes = tree_size >> (TILE_HEIGHT * level)
        index, offset = divmod(nodes, TILE_WIDTH)
        parts: list[bytes] = []
        if offset:
            key = TileKey(level=level, index=index)
            row = stored.get(key, b"")
            if len(row) < offset * _H:
                raise StorageError(
                    f"tile {level}/{index} holds {len(row) // _H} hashes, tree size "
                    f"{tree_size} needs {offset}"
                )
            parts.append(row[: offset * _H])
        filled = offset
        up: list[bytes] = []
        for value in carry:
            parts.append(value)
            filled += 1
            if filled == TILE_WIDTH:
                row = b"".join(parts)
                changed[TileKey(level=level, index=index)] = row
                up.append(_perfect_root(row))
                parts, filled, index = [], 0, index + 1
        if parts:
            changed[TileKey(level=level, index=index)] = b"".join(parts)
        carry = up
        level += 1
    new_size = tree_size + len(leaf_hashes)
    ranges = ((0, new_size),)
    wanted = [key for key in needed_tiles(ranges) if key not in changed] if new_size else []
    view = dict(source.read_tiles(wanted)) if wanted else {}
    view.update(changed)
    new_root = merkle.root_from(new_size, TileNodes(view, cache))
    return Integration(size=new_size, root=new_root, tiles=tuple(sorted(changed.items())))


class TileTree:
    """An in-memory, thread-safe Merkle tree stored as tiles; a :class:`TileSource` itself.

    Meant for tests, tools and as the model the storage backends are checked against.
    """

    def __init__(self) -> None:
        self._tiles: dict[TileKey, bytes] = {}
        self._size = 0
        self._root = merkle.EMPTY_ROOT
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """The number of leaves."""
        return self._size

    @property
    def root(self) -> bytes:
        """The current root hash."""
        return self._root

    def tile_keys(self) -> tuple[TileKey, ...]:
        """Return the keys of every tile held, sorted."""
        with self._lock:
            return tuple(sorted(self._tiles))

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        """Return the requested tiles that exist (see :class:`TileSource`)."""
        return {key: self._tiles[key] for key in keys if key in self._tiles}

    def append(self, leaf_hashes: Sequence[bytes]) -> Integration:
        """Append leaf hashes and return what changed (see :func:`integrate`)."""
        with self._lock:
            result = integrate(self, self._size, leaf_hashes)
            self._tiles.update(result.tiles)
            self._size, self._root = result.size, result.root
            return result

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> tuple[bytes, ...]:
        """Return the inclusion proof of ``index`` at ``tree_size`` (default: current size).

        Raises:
            ValueError: ``tree_size`` exceeds the tree, or ``index`` is not below it.
        """
        size = self._checked(tree_size)
        return inclusion_proof(self, index, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> tuple[bytes, ...]:
        """Return the consistency proof from ``size1`` to ``size2`` (default: current size).

        Raises:
            ValueError: ``size2`` exceeds the tree, or not ``0 < size1 <= size2``.
        """
        return consistency_proof(self, size1, self._checked(size2))

    def _checked(self, tree_size: int | None) -> int:
        size = self._size
        if tree_size is None:
            return size
        if tree_size > size:
            raise ValueError(f"tree size {tree_size} is beyond the tree ({size} leaves)")
        return tree_size
