"""The LogStorage contract, run against every backend."""

from __future__ import annotations

import pytest

from liturgia.errors import StorageError
from liturgia.tlog import merkle, tiles
from liturgia.tlog.storage import Assigned, LogStorage, StoredEntry, TreeState
from liturgia.tlog.tiles import TileKey

T0 = 1_750_000_000


def leaf(i: int) -> tuple[bytes, bytes]:
    body = f"entry-{i}".encode()
    return merkle.leaf_hash(body), body


def test_empty_storage(storage: LogStorage) -> None:
    assert storage.sequenced_size() == 0
    assert storage.read_state() == TreeState(size=0, root=merkle.EMPTY_ROOT, checkpoint=b"")
    assert storage.read_entry(0) is None
    assert storage.read_entries([0, 1]) == {}
    assert storage.read_leaf_hashes(0, 10) == ()
    assert storage.find_index(leaf(0)[0]) is None
    assert storage.find_entry(leaf(0)[0]) is None
    assert storage.find_entries([leaf(0)[0]]) == {}
    assert storage.find_entries([]) == {}
    assert storage.read_tiles([TileKey(level=0, index=0)]) == {}
    assert storage.sequence([], integrated_time=T0) == ()


def test_sequence_assigns_dense_indexes_and_deduplicates(storage: LogStorage) -> None:
    first = storage.sequence([leaf(0), leaf(1), leaf(0), leaf(2)], integrated_time=T0)
    assert first == (
        Assigned(index=0, duplicate=False),
        Assigned(index=1, duplicate=False),
        Assigned(index=0, duplicate=True),
        Assigned(index=2, duplicate=False),
    )
    second = storage.sequence([leaf(2), leaf(3)], integrated_time=T0 + 5)
    assert second == (Assigned(index=2, duplicate=True), Assigned(index=3, duplicate=False))
    assert storage.sequenced_size() == 4
    assert storage.read_entry(3) == StoredEntry(index=3, body=b"entry-3", integrated_time=T0 + 5)
    # A duplicate keeps the time it was first stored with.
    assert storage.read_entry(2) == StoredEntry(index=2, body=b"entry-2", integrated_time=T0)
    assert storage.read_entry(4) is None
    assert storage.read_entry(-1) is None
    # The batch read answers what exists, each index once, the same as read_entry.
    assert storage.read_entries([3, 2, 4, -1, 3]) == {
        3: StoredEntry(index=3, body=b"entry-3", integrated_time=T0 + 5),
        2: StoredEntry(index=2, body=b"entry-2", integrated_time=T0),
    }
    assert storage.find_index(leaf(1)[0]) == 1
    assert storage.find_entry(leaf(3)[0]) == storage.read_entry(3)
    assert storage.find_entry(merkle.leaf_hash(b"never stored")) is None
    # The batch search by leaf hash answers what exists, each once, as find_entry does.
    never = merkle.leaf_hash(b"never stored")
    assert storage.find_entries([leaf(3)[0], never, leaf(1)[0], leaf(3)[0]]) == {
        leaf(3)[0]: storage.read_entry(3),
        leaf(1)[0]: storage.read_entry(1),
    }
    assert storage.read_leaf_hashes(1, 3) == (leaf(1)[0], leaf(2)[0])
    assert storage.read_leaf_hashes(2, 100) == (leaf(2)[0], leaf(3)[0])


def test_large_batch_over_statement_limits(storage: LogStorage) -> None:
    leaves = [leaf(i) for i in range(1200)]
    assigned = storage.sequence(leaves + leaves[:700], integrated_time=T0)
    assert [a.index for a in assigned[:1200]] == list(range(1200))
    assert all(a.duplicate for a in assigned[1200:])
    assert storage.sequenced_size() == 1200


def test_commit_tree_and_proofs_from_stored_tiles(storage: LogStorage) -> None:
    leaves = [leaf(i) for i in range(700)]
    storage.sequence(leaves, integrated_time=T0)
    hashes = [h for h, _ in leaves]
    first = tiles.integrate(storage, 0, hashes[:300])
    storage.commit_tree(
        old_size=0, state=TreeState(size=300, root=first.root, checkpoint=b"cp1"), tiles=first.tiles
    )
    second = tiles.integrate(storage, 300, hashes[300:])
    storage.commit_tree(
        old_size=300,
        state=TreeState(size=700, root=second.root, checkpoint=b"cp2"),
        tiles=second.tiles,
    )
    assert storage.read_state() == TreeState(
        size=700, root=merkle.root_hash(hashes), checkpoint=b"cp2"
    )
    # Partial tile 0/1 was rewritten longer; tile 0/2 is the new right edge.
    row = storage.read_tiles([TileKey(level=0, index=1)])[TileKey(level=0, index=1)]
    assert row == b"".join(hashes[256:512])
    assert tiles.root(storage, 300) == merkle.root_hash(hashes[:300])
    for index, size in ((0, 700), (299, 300), (511, 700), (699, 700)):
        assert tiles.inclusion_proof(storage, index, size) == merkle.inclusion_proof(
            hashes[:size], index
        )
    assert tiles.consistency_proof(storage, 300, 700) == merkle.consistency_proof(hashes, 300)


def test_read_many_tiles(storage: LogStorage) -> None:
    """More tiles than one statement's parameters, over two levels, some never written."""
    written = [(TileKey(level=0, index=i), merkle.leaf_hash(b"%d" % i) * 3) for i in range(700)]
    written += [(TileKey(level=1, index=i), merkle.leaf_hash(b"up%d" % i)) for i in range(3)]
    storage.commit_tree(old_size=0, state=TreeState(), tiles=written)
    keys = [TileKey(level=0, index=i) for i in range(705)] + [
        TileKey(level=1, index=i) for i in range(5)
    ]
    found = storage.read_tiles(keys)
    assert found == dict(written)
    assert storage.read_tiles([]) == {}


def test_commit_tree_guards(storage: LogStorage) -> None:
    storage.sequence([leaf(0), leaf(1)], integrated_time=T0)
    with pytest.raises(StorageError, match="tree moved: stored size is 0, update was for 1"):
        storage.commit_tree(old_size=1, state=TreeState(size=2), tiles=())
    with pytest.raises(StorageError, match="tree size 3 exceeds the 2 sequenced entries"):
        storage.commit_tree(old_size=0, state=TreeState(size=3), tiles=())
    assert storage.read_state() == TreeState()


def test_closed_storage_refuses(backend: object, storage: LogStorage) -> None:
    storage.close()
    with pytest.raises(StorageError, match="closed"):
        storage.sequence([leaf(0)], integrated_time=T0)
    with pytest.raises(StorageError, match="closed"):
        storage.read_state()


def test_index_keys_are_stored_with_new_entries_only(storage: LogStorage) -> None:
    assert storage.find_by_key("sha256:aa") == ()
    storage.sequence(
        [leaf(0), leaf(1), leaf(0)],
        integrated_time=T0,
        index_keys=[("sha256:aa", "key:k"), ("sha256:bb", "key:k", "key:k"), ("sha256:cc",)],
    )
    assert storage.find_by_key("key:k") == (0, 1)
    assert storage.find_by_key("sha256:bb") == (1,)
    # The in-batch duplicate of entry 0 did not add its keys.
    assert storage.find_by_key("sha256:cc") == ()
    storage.sequence([leaf(1), leaf(2)], integrated_time=T0, index_keys=[("x",), ("key:k",)])
    assert storage.find_by_key("x") == ()
    assert storage.find_by_key("key:k") == (0, 1, 2)
    with pytest.raises(ValueError, match="1 index key lists for 2 leaves"):
        storage.sequence([leaf(3), leaf(4)], integrated_time=T0, index_keys=[("y",)])
    assert storage.sequenced_size() == 3


def test_batch_read_of_many_entries(storage: LogStorage) -> None:
    """More indexes than one query takes (500) are read in several, all answered."""
    storage.sequence([leaf(i) for i in range(1200)], integrated_time=T0)
    found = storage.read_entries(range(1250))
    assert sorted(found) == list(range(1200))
    assert all(found[i] == storage.read_entry(i) for i in (0, 499, 500, 1000, 1199))
    by_hash = storage.find_entries([leaf(i)[0] for i in range(1250)])
    assert sorted(entry.index for entry in by_hash.values()) == list(range(1200))
    assert all(by_hash[leaf(i)[0]] == found[i] for i in (0, 499, 500, 1199))


def test_seal_is_made_once_per_new_entry_and_stored(storage: LogStorage) -> None:
    """A seal is made inside the batch for each new entry only, and read back with it."""
    calls: list[tuple[int, bytes, int]] = []

    def seal(index: int, body: bytes, when: int) -> bytes:
        calls.append((index, body, when))
        return b"seal of %d" % index

    storage.sequence([leaf(0)], integrated_time=T0)  # stored without a seal
    assigned = storage.sequence(
        [leaf(1), leaf(0), leaf(1), leaf(2)], integrated_time=T0 + 1, seal=seal
    )
    assert [a.index for a in assigned] == [1, 0, 1, 2]
    assert calls == [(1, b"entry-1", T0 + 1), (2, b"entry-2", T0 + 1)]  # not for duplicates
    assert storage.read_entry(0) == StoredEntry(index=0, body=b"entry-0", integrated_time=T0)
    assert storage.read_entry(1) == StoredEntry(
        index=1, body=b"entry-1", integrated_time=T0 + 1, seal=b"seal of 1"
    )
    assert storage.read_entries([2])[2].seal == b"seal of 2"
    assert storage.find_entry(leaf(2)[0]) == storage.read_entry(2)
    assert storage.find_entries([leaf(2)[0]])[leaf(2)[0]].seal == b"seal of 2"


def test_a_failing_seal_stores_nothing_of_the_batch(storage: LogStorage) -> None:
    def seal(index: int, body: bytes, when: int) -> bytes:
        if index == 2:
            raise ValueError("cannot seal")
        return b"ok"

    storage.sequence([leaf(0)], integrated_time=T0)
    with pytest.raises(ValueError, match="cannot seal"):
        storage.sequence([leaf(1), leaf(2), leaf(3)], integrated_time=T0, seal=seal)
    assert storage.sequenced_size() == 1
    assert storage.find_index(leaf(1)[0]) is None
    assert storage.sequence([leaf(1)], integrated_time=T0, seal=seal) == (
        Assigned(index=1, duplicate=False),
    )
