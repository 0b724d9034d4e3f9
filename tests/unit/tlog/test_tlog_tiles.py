"""Tile store: proofs and roots served from stored subtree hashes match the leaf-list functions."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liturgia.errors import StorageError
from liturgia.tlog import merkle, tiles
from liturgia.tlog.tiles import TileKey, TileTree

LEAVES = tuple(merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(70_000))


class CountingSource:
    """A TileSource recording which tiles were read: proves proofs do not touch the leaves."""

    def __init__(self, tree: TileTree) -> None:
        self.tree = tree
        self.reads: list[frozenset[TileKey]] = []

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        self.reads.append(frozenset(keys))
        return self.tree.read_tiles(keys)


@pytest.fixture(scope="module")
def big_tree() -> TileTree:
    tree = TileTree()
    # Uneven batches so that tiles fill across batch boundaries.
    start = 0
    for step in (1, 2, 255, 1000, 3, 65_536 - 1261, 2500, 1964):
        tree.append(LEAVES[start : start + step])
        start += step
    assert tree.size == start == 70_000
    return tree


def test_tile_layout_matches_tlog_tiles(big_tree: TileTree) -> None:
    stored = big_tree.read_tiles(
        [TileKey(level=0, index=0), TileKey(level=1, index=0), TileKey(level=2, index=0)]
    )
    assert stored[TileKey(level=0, index=0)] == b"".join(LEAVES[:256])
    level8 = stored[TileKey(level=1, index=0)]
    assert len(level8) == 256 * 32  # 70_000 >> 8 = 273 full level-8 nodes: the first tile is full
    assert level8[:32] == merkle.root_hash(LEAVES[:256])
    assert level8[32:64] == merkle.root_hash(LEAVES[256:512])
    assert len(stored[TileKey(level=2, index=0)]) == 32  # 70_000 >> 16 = 1 full level-16 node
    assert stored[TileKey(level=2, index=0)] == merkle.root_hash(LEAVES[:65_536])
    partial = big_tree.read_tiles([TileKey(level=0, index=273)])[TileKey(level=0, index=273)]
    assert len(partial) == (70_000 % 256) * 32
    assert tiles.tile_width(TileKey(level=0, index=273), 70_000) == 70_000 % 256
    assert tiles.tile_width(TileKey(level=1, index=1), 70_000) == 273 - 256
    assert tiles.tile_width(TileKey(level=0, index=400), 70_000) == 0


def test_root_matches_merkle(big_tree: TileTree) -> None:
    assert big_tree.root == merkle.root_hash(LEAVES[:70_000])
    for size in (1, 255, 256, 257, 65_536, 65_537, 69_999):
        assert tiles.root(big_tree, size) == merkle.root_hash(LEAVES[:size])
    assert tiles.root(big_tree, 0) == merkle.EMPTY_ROOT


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_proofs_match_leaf_functions(big_tree: TileTree, data: st.DataObject) -> None:
    reader = merkle.leaf_node_reader(LEAVES)
    size = data.draw(st.integers(1, 70_000))
    index = data.draw(st.integers(0, size - 1))
    proof = big_tree.inclusion_proof(index, size)
    assert proof == merkle.inclusion_proof_from(index, size, reader)
    root = tiles.root(big_tree, size)
    merkle.verify_inclusion(
        leaf_hash=LEAVES[index], index=index, tree_size=size, proof=proof, root=root
    )
    size1 = data.draw(st.integers(1, size))
    cons = big_tree.consistency_proof(size1, size)
    assert cons == merkle.consistency_proof_from(size1, size, reader)
    merkle.verify_consistency(
        size1=size1, size2=size, proof=cons, root1=tiles.root(big_tree, size1), root2=root
    )


def test_every_small_size_and_batching() -> None:
    """Appending one leaf at a time and in batches gives the same tiles and roots."""
    one, batch = TileTree(), TileTree()
    for i in range(600):
        one.append(LEAVES[i : i + 1])
        assert one.root == merkle.root_hash(LEAVES[: i + 1])
    batch.append(LEAVES[:300])
    batch.append(LEAVES[300:600])
    keys = [TileKey(level=0, index=i) for i in range(3)] + [TileKey(level=1, index=0)]
    assert one.read_tiles(keys) == batch.read_tiles(keys)
    assert one.consistency_proof(1) == merkle.consistency_proof(LEAVES[:600], 1)
    assert batch.append(()).size == 600


def test_proof_reads_one_batch_of_few_tiles(big_tree: TileTree) -> None:
    source = CountingSource(big_tree)
    tiles.inclusion_proof(source, 12_345, 70_000)
    assert len(source.reads) == 1
    assert len(source.reads[0]) <= 6
    assert all(key.level <= 2 for key in source.reads[0])


def test_missing_tile_is_a_storage_error() -> None:
    tree = TileTree()
    tree.append(LEAVES[:10])
    nodes = tiles.TileNodes(tree.read_tiles([TileKey(level=0, index=0)]))
    assert nodes(1, 2) == nodes(1, 2) == merkle.node_hash(LEAVES[4], LEAVES[5])  # memoised
    with pytest.raises(
        StorageError, match=r"tile 0/0 holds 10 hashes; node 0/11 needs hashes 11\.\.11"
    ):
        nodes(0, 11)

    class Empty:
        def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
            return {}

    with pytest.raises(StorageError, match="tile 0/0 holds 0 hashes, tree size 10 needs 10"):
        tiles.integrate(Empty(), 10, LEAVES[10:11])


def test_argument_errors() -> None:
    tree = TileTree()
    tree.append(LEAVES[:5])
    with pytest.raises(ValueError, match="beyond the tree"):
        tree.inclusion_proof(0, 6)
    with pytest.raises(ValueError, match="not in a tree of size 5"):
        tree.inclusion_proof(5)
    with pytest.raises(ValueError, match="no consistency proof"):
        tree.consistency_proof(0)
    with pytest.raises(ValueError, match=r"leaf hash \[1\] is 3 bytes"):
        tree.append([LEAVES[0], b"abc"])


def test_node_cache_serves_hot_nodes_without_reads(big_tree: TileTree) -> None:
    cache = tiles.NodeCache(max_nodes=64)
    source = CountingSource(big_tree)
    first = tiles.inclusion_proof(source, 12_345, 70_000, cache=cache)
    assert first == big_tree.inclusion_proof(12_345, 70_000)
    assert 0 < len(cache) <= 64
    source.reads.clear()
    # The same proof again: every node is cached, nothing is read.
    assert tiles.inclusion_proof(source, 12_345, 70_000, cache=cache) == first
    assert source.reads == []
    # A neighbour shares the upper path; a small cache evicts but answers stay right.
    for index in range(0, 70_000, 997):
        assert tiles.inclusion_proof(source, index, 70_000, cache=cache) == (
            big_tree.inclusion_proof(index, 70_000)
        )
        assert tiles.consistency_proof(source, index + 1, 70_000, cache=cache) == (
            big_tree.consistency_proof(index + 1, 70_000)
        )
    assert len(cache) == 64


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_proofs_from_shared_caches_at_many_sizes(big_tree: TileTree, data: st.DataObject) -> None:
    """Nodes and right-edge ranges cached at one tree size serve proofs at every other size.

    A proof answered from the caches alone reads nothing; each answer equals the leaf-list
    proof, however small the caches (evictions) and whatever the order of sizes.
    """
    cache = tiles.NodeCache(max_nodes=data.draw(st.sampled_from([8, 64, 4096])))
    levels = tiles.TileLevels(max_bytes=data.draw(st.sampled_from([0, 40_000, 1 << 20])))
    source = CountingSource(big_tree)
    for _ in range(12):
        size = data.draw(st.integers(1, 70_000))
        index = data.draw(st.integers(0, size - 1))
        expected = big_tree.inclusion_proof(index, size)
        assert tiles.inclusion_proof(source, index, size, cache=cache, levels=levels) == expected
        first = data.draw(st.integers(1, size))
        assert tiles.consistency_proof(source, first, size, cache=cache, levels=levels) == (
            big_tree.consistency_proof(first, size)
        )
    source.reads.clear()
    again = tiles.inclusion_proof(
        source, index, size, cache=tiles.NodeCache(1 << 12), levels=levels
    )
    assert again == expected
    # With room for the tile's levels, a proof asked again is answered without any read.
    large, roomy = tiles.NodeCache(1 << 12), tiles.TileLevels(1 << 20)
    tiles.inclusion_proof(source, index, size, cache=large, levels=roomy)
    source.reads.clear()
    assert tiles.inclusion_proof(source, index, size, cache=large, levels=roomy) == expected
    assert source.reads == []


def test_tile_paths_follow_tlog_tiles_example() -> None:
    """c2sp.org/tlog-tiles: a tree of 70,000 has 273 full level-0 tiles, a partial one of width
    112, a full level-1 tile, a partial one of width 17 and a partial level-2 tile of width 1."""
    size = 70_000
    assert tiles.tile_path(TileKey(level=0, index=272), size) == "tile/0/272"
    assert tiles.tile_path(TileKey(level=0, index=273), size) == "tile/0/273.p/112"
    assert tiles.tile_path(TileKey(level=1, index=0), size) == "tile/1/000"
    assert tiles.tile_path(TileKey(level=1, index=1), size) == "tile/1/001.p/17"
    assert tiles.tile_path(TileKey(level=2, index=0), size) == "tile/2/000.p/1"
    assert tiles.tile_path(TileKey(level=0, index=273), size, entries=True) == (
        "tile/entries/273.p/112"
    )
    # The spec's index example, and a tree of 256: one full leaf tile, level 1 of width 1.
    assert tiles.tile_path(TileKey(level=0, index=1_234_067), 1 << 40) == "tile/0/x001/x234/067"
    assert tiles.tile_path(TileKey(level=1, index=0), 256) == "tile/1/000.p/1"
    for path in ("tile/0/x001/x234/067", "tile/1/001.p/17", "tile/entries/273.p/112"):
        key, width, entries = tiles.parse_tile_path(path)
        assert tiles.tile_path(key, 1 << 40 if width is None else size, entries=entries) in (
            path,
            path.split(".p/")[0],
        )
    assert tiles.parse_tile_path("tile/1/001.p/17") == (TileKey(level=1, index=1), 17, False)
    assert tiles.parse_tile_path("tile/63/000") == (TileKey(level=63, index=0), None, False)


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/00/000",
        "tile/64/000",
        "tile/0/001/002",
        "tile/0/x001",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/012",
        "tile/e/000",
        "/tile/0/000",
    ],
)
def test_bad_tile_paths(path: str) -> None:
    with pytest.raises(ValueError, match="not a tlog-tiles path"):
        tiles.parse_tile_path(path)


def test_tile_path_errors() -> None:
    with pytest.raises(ValueError, match="empty at tree size 255"):
        tiles.tile_path(TileKey(level=1, index=0), 255)
    with pytest.raises(ValueError, match=r"not in 0\.\.63"):
        tiles.tile_path(TileKey(level=64, index=0), 1)
    with pytest.raises(ValueError, match="only at level 0"):
        tiles.tile_path(TileKey(level=1, index=0), 1 << 20, entries=True)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_batch_proofs_equal_single_proofs(big_tree: TileTree, data: st.DataObject) -> None:
    """inclusion_proofs answers a batch as inclusion_proof answers each leaf, in one read."""
    size = data.draw(st.integers(1, 70_000))
    indexes = data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=40))
    source = CountingSource(big_tree)
    proofs = tiles.inclusion_proofs(source, indexes, size)
    assert proofs == tuple(big_tree.inclusion_proof(index, size) for index in indexes)
    assert len(source.reads) == (1 if size > 1 else 0)  # a one-leaf tree's proofs are empty
    with pytest.raises(ValueError):
        tiles.inclusion_proofs(big_tree, [size], size)


def test_integrate_with_a_shared_cache_gives_the_same_tree() -> None:
    plain, cached = TileTree(), TileTree()
    cache = tiles.NodeCache()
    plain.append(LEAVES[:1000])
    cached.append(LEAVES[:1000])
    for start in range(1000, 3000, 333):
        batch = LEAVES[start : start + 333]
        expected = tiles.integrate(plain, plain.size, batch)
        got = tiles.integrate(cached, cached.size, batch, cache=cache)
        assert got == expected and got.root == merkle.root_hash(LEAVES[: start + len(batch)])
        plain.append(batch)
        cached.append(batch)
    assert len(cache) > 0


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_tile_proofs_equal_leaf_proofs_at_many_sizes(
    big_tree: TileTree, data: st.DataObject
) -> None:
    """A leaf in a full tile gets the leaf-list proof and its own leaf hash, at any tree size.

    Each tile's upper path is kept for one tree size: asked at another size it is proven
    again; small caches evict and are refilled; a leaf outside a full tile, or a tile whose
    levels are not cached, is left to the caller (``None``).
    """
    proofs = tiles.TileProofs(max_tiles=data.draw(st.sampled_from([1, 4, 1024])))
    levels_bytes = data.draw(st.sampled_from([40_000, 1 << 20]))
    levels = tiles.TileLevels(max_bytes=levels_bytes)
    cache = tiles.NodeCache(max_nodes=data.draw(st.sampled_from([8, 4096])))
    source = CountingSource(big_tree)
    for _ in range(12):
        size = data.draw(st.integers(1, 70_000))
        root = tiles.root(big_tree, size)
        index = data.draw(st.integers(0, size - 1))
        answer = proofs.proof(source, index, size, root, cache=cache, levels=levels)
        if (index // 256 + 1) * 256 > size:
            assert answer is None  # the right-edge partial tile: the long way
            continue
        if answer is None:  # the tile's levels were evicted at once by the proof's other tiles
            assert levels_bytes < 3 * 16384
            continue
        assert answer == (big_tree.inclusion_proof(index, size), LEAVES[index])
        merkle.verify_inclusion(
            leaf_hash=answer[1], index=index, tree_size=size, proof=answer[0], root=root
        )
        # Its neighbours in the tile share the upper path: answered without any read.
        source.reads.clear()
        neighbour = index ^ 1
        again = proofs.proof(source, neighbour, size, root, cache=cache, levels=levels)
        assert again == (big_tree.inclusion_proof(neighbour, size), LEAVES[neighbour])
        assert source.reads == []
    assert len(proofs) <= proofs._max


def test_tile_proofs_refuse_what_does_not_prove_into_the_root(big_tree: TileTree) -> None:
    """A wrong root, no room for folded tiles, or a changed tile: ``None``, never a proof."""
    size = 70_000
    root = tiles.root(big_tree, size)
    levels = tiles.TileLevels(1 << 20)
    assert (
        tiles.TileProofs().proof(big_tree, 300, size, b"\0" * 32, cache=None, levels=levels) is None
    )
    assert tiles.TileProofs(0).proof(big_tree, 300, size, root, cache=None, levels=levels) is None
    assert (
        tiles.TileProofs().proof(big_tree, 300, size, root, cache=None, levels=tiles.TileLevels(0))
        is None
    )
    assert tiles.TileProofs().proof(big_tree, -1, size, root, cache=None, levels=levels) is None

    class Forged:
        """Serves leaf tile 1 with one leaf hash replaced."""

        def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
            found = dict(big_tree.read_tiles(keys))
            key = TileKey(level=0, index=1)
            if key in found:
                found[key] = b"\1" * 32 + found[key][32:]
            return found

    proofs = tiles.TileProofs()
    assert (
        proofs.proof(Forged(), 300, size, root, cache=None, levels=tiles.TileLevels(1 << 20))
        is None
    )
    # A proven tile whose folded levels were evicted and folded again from changed storage.
    held = tiles.TileLevels(1 << 20)
    assert proofs.proof(big_tree, 300, size, root, cache=None, levels=held) is not None
    changed = tiles.TileLevels(1 << 20)
    changed.add(
        (0, 1),
        b"\1" * 32
        + big_tree.read_tiles([TileKey(level=0, index=1)])[TileKey(level=0, index=1)][32:],
    )
    assert proofs.proof(big_tree, 300, size, root, cache=None, levels=changed) is None
    assert (
        proofs.proof(big_tree, 300, size, root, cache=None, levels=tiles.TileLevels(1 << 20))
        is None
    )
