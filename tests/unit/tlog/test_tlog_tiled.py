"""The tlog-tiles resources of a stored tree: entry bundle encoding, paths, the reader's cache."""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.errors import ProofError, StorageError
from liturgia.tlog import merkle
from liturgia.tlog.storage import SqliteStorage
from liturgia.tlog.storage.base import TreeState
from liturgia.tlog.tiled import (
    MAX_ENTRY_BYTES,
    TileReader,
    decode_entry_bundle,
    encode_entry_bundle,
    export,
    tile_paths,
)
from liturgia.tlog.tiles import TileKey, TileTree, tile_path


def test_entry_bundle_round_trip_and_limits() -> None:
    entries = [b"", b"a", b"x" * 300, b"y" * MAX_ENTRY_BYTES]
    data = encode_entry_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert data[5:7] == (300).to_bytes(2, "big")
    assert decode_entry_bundle(data) == tuple(entries)
    with pytest.raises(ValueError, match=r"entry \[1\] is 65536 bytes"):
        encode_entry_bundle([b"", b"z" * (MAX_ENTRY_BYTES + 1)])
    with pytest.raises(ProofError, match="inside the length of entry 1"):
        decode_entry_bundle(b"\x00\x01a\x00")
    with pytest.raises(ProofError, match=r"inside entry 0 \(5 bytes"):
        decode_entry_bundle(b"\x00\x05abc")


def test_tile_paths_of_the_spec_example() -> None:
    # c2sp.org/tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0
    # tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial level 1
    # tile of width 17, and one partial level 2 tile of width 1."
    found = list(tile_paths(70_000))
    kinds = Counter((key.level, width, entries) for key, width, entries in found)
    assert kinds == {
        (0, None, False): 273,
        (0, 112, False): 1,
        (0, None, True): 273,
        (0, 112, True): 1,
        (1, None, False): 1,
        (1, 17, False): 1,
        (2, 1, False): 1,
    }
    assert tile_path(TileKey(level=0, index=273), 70_000) == "tile/0/273.p/112"
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
    # tile of width 1"
    assert [(k.level, w, e) for k, w, e in tile_paths(256)] == [
        (0, None, False),
        (0, None, True),
        (1, 1, False),
    ]
    assert list(tile_paths(0)) == []


def _stored(path: Path, count: int) -> SqliteStorage:
    storage = SqliteStorage(path)
    bodies = [b"entry %d" % n for n in range(count)]
    storage.sequence([(merkle.leaf_hash(b), b) for b in bodies], integrated_time=1)
    tree = TileTree()
    result = tree.append([merkle.leaf_hash(b) for b in bodies])
    storage.commit_tree(
        old_size=0,
        state=TreeState(
            size=result.size,
            root=result.root,
            checkpoint=b"note\n%d\n%s\n\n" % (count, base64.b64encode(result.root)),
        ),
        tiles=result.tiles,
    )
    return storage


def test_reader_cache_is_bounded_and_bundles_checked(tmp_path: Path) -> None:
    storage = _stored(tmp_path / "log.db", 600)
    try:
        reader = TileReader(storage, cache_bytes=10_000)
        full = reader.tile(TileKey(level=0, index=0))
        assert full is not None and len(full) == 8192
        assert reader.cached_bytes == 8192
        assert reader.tile(TileKey(level=0, index=1)) is not None
        assert reader.cached_bytes == 8192  # the older one was evicted
        assert reader.tile(TileKey(level=0, index=2)) is None  # 88 wide only
        assert reader.tile(TileKey(level=0, index=2), 88) is not None
        bundle = reader.entry_bundle(2, 88)
        assert bundle is not None and decode_entry_bundle(bundle)[0] == b"entry 512"
        assert reader.entry_bundle(2, 89) is None
        with pytest.raises(ValueError, match="cache size must not be negative"):
            TileReader(storage, cache_bytes=-1)
        # An entry changed behind the log's back is never served.
        with storage._write("tamper") as conn:  # the test reaches into the database
            conn.execute("UPDATE entries SET body = ? WHERE idx = 5", (b"forged",))
        with pytest.raises(StorageError, match="stored entry 5 is not the entry the tree holds"):
            TileReader(storage).entry_bundle(0)
    finally:
        storage.close()


def test_export_refuses_an_unsigned_or_changed_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = SqliteStorage(tmp_path / "log.db")
    try:
        with pytest.raises(StorageError, match="no signed checkpoint yet"):
            export(storage, tmp_path / "out")
    finally:
        storage.close()
    storage = _stored(tmp_path / "other.db", 300)
    storage.close()
    out = tmp_path / "out"
    db = f"sqlite://{tmp_path / 'other.db'}"
    assert main(["log", "export", str(out), "--db", db]) == 0
    assert capsys.readouterr().out == "exported tree size 300: 6 files written, 0 kept\n"
    assert (out / "tile/entries/001.p/44").is_file()
    storage = SqliteStorage(tmp_path / "other.db")
    try:  # a tile changed behind the log's back: nothing is exported
        with storage._write("tamper") as conn:
            conn.execute("UPDATE tiles SET hashes = ? WHERE level = 1", (b"\x00" * 32,))
    finally:
        storage.close()
    assert main(["log", "export", str(tmp_path / "out2"), "--db", db]) == 3
    assert "the stored tiles do not give the checkpoint's root" in capsys.readouterr().err
    assert not (tmp_path / "out2").exists()
