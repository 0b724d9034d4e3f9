"""A stored log as c2sp.org/tlog-tiles resources: served by ``liturgia serve``, exported as files.

c2sp.org/tlog-tiles publishes a log as static resources under one prefix:

* ``checkpoint``: the signed checkpoint (c2sp.org/tlog-checkpoint), ``text/plain;
  charset=utf-8``, mutable (cached a few seconds at most);
* ``tile/<L>/<N>[.p/<W>]``: a Merkle tree tile, ``W`` (1..255 for a partial tile, 256 for a
  full one) consecutive 32-byte hashes of tree level ``8 * L``;
* ``tile/entries/<N>[.p/<W>]``: an entry bundle, the entries of level-0 tile ``N``, each
  prefixed by its length as a big-endian uint16.

A tile or bundle path names bytes that never change: a partial tile of width ``W`` is the first
``W`` hashes of a row that only grows, and a full one is final. :class:`TileReader` therefore
caches what it served (bounded in bytes) and reads the storage only for what it has not seen.
:func:`export` writes the same resources as files a plain web server can serve.

Every resource is read from the committed tree (the stored tile rows are written in the same
transaction as the checkpoint), and an entry bundle is only served when every entry in it
hashes to its leaf in the level-0 tile: a database changed behind the log's back is an error,
never served.
"""

from __future__ import annotations

import base64
import gzip
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.files import atomic_write_bytes
from liturgia._internal.lru import ByteLRU
from liturgia.errors import ProofError, StorageError
from liturgia.tlog import merkle, tiles
from liturgia.tlog.storage.base import LogStorage
from liturgia.tlog.tiles import TILE_HEIGHT, TILE_WIDTH, TileKey, parse_tile_path, tile_path

__all__ = [
    "CHECKPOINT_PATH",
    "DEFAULT_CACHE_BYTES",
    "MAX_ENTRY_BYTES",
    "ExportReport",
    "Resource",
    "TileReader",
    "decode_entry_bundle",
    "encode_entry_bundle",
    "export",
    "tile_paths",
]

#: The checkpoint's path under the log's prefix.
CHECKPOINT_PATH = "checkpoint"
#: Largest entry an entry bundle can hold (its length is a uint16).
MAX_ENTRY_BYTES = 0xFFFF
#: Default bytes of tiles and bundles a :class:`TileReader` keeps (about 32 MiB).
DEFAULT_CACHE_BYTES = 32 << 20
_H = merkle.HASH_SIZE
_FULL_BYTES = TILE_WIDTH * _H


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Encode entries as a c2sp.org/tlog-tiles entry bundle (big-endian uint16 length prefixes).

    Raises:
        ValueError: an entry is longer than :data:`MAX_ENTRY_BYTES`.
    """
    parts: list[bytes] = []
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise ValueError(
                f"entry [{position}] is {len(entry)} bytes; an entry bundle holds at most "
                f"{MAX_ENTRY_BYTES}"
            )
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_entry_bundle(data: bytes) -> tuple[bytes, ...]:
    """Split a c2sp.org/tlog-tiles entry bundle into its entries.

    Raises:
        ProofError: the bundle ends inside a length prefix or an entry.
    """
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ProofError(f"entry bundle ends inside the length of entry {len(entries)}")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise ProofError(
                f"entry bundle ends inside entry {len(entries)} ({length} bytes announced)"
            )
        entries.append(data[offset : offset + length])
        offset += length
    return tuple(entries)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A tile or entry bundle as served.

    Attributes:
        body: the resource's bytes (gzip-compressed when ``gzipped``).
        full: whether it is a full tile or bundle (final: cacheable for ever).
        gzipped: whether ``body`` is gzip (``Content-Encoding: gzip``).
    """

    body: bytes
    full: bool
    gzipped: bool = False


class TileReader:
    """Serves a stored log's tiles and entry bundles (c2sp.org/tlog-tiles), caching them.

    Args:
        storage: the log storage (read only).
        cache_bytes: most bytes of tiles and bundles kept in memory (0: none).

    Thread safe.

    Raises:
        ValueError: ``cache_bytes`` is negative.
    """

    def __init__(self, storage: LogStorage, *, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._storage = storage
        self._cache = ByteLRU(cache_bytes)

    @property
    def cached_bytes(self) -> int:
        """Bytes of tiles and bundles held in the cache now."""
        return self._cache.size

    def resource(self, path: str, *, gzip_ok: bool = False) -> Resource | None:
        """Return the tile or entry bundle at ``path`` (relative to the prefix), or ``None``.

        Args:
            path: ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``.
            gzip_ok: the client accepts gzip; entry bundles are then sent compressed (the
                spec's "SHOULD be compressed at the HTTP layer").

        Returns:
            ``None`` when the tree committed so far does not have that tile at that width
            (a full tile not yet full, a partial width beyond the tree).

        Raises:
            ValueError: ``path`` is not a tlog-tiles path.
            StorageError: the storage failed, or an entry does not match its leaf hash.
        """
        key, width, entries = parse_tile_path(path)
        if entries:
            body = self.entry_bundle(key.index, width, gzipped=gzip_ok)
        else:
            body, gzip_ok = self.tile(key, width), False
        return None if body is None else Resource(body=body, full=width is None, gzipped=gzip_ok)

    def tile(self, key: TileKey, width: int | None = None) -> bytes | None:
        """Return tile ``key`` at ``width`` hashes (``None``: full), or ``None`` if not there yet.

        Raises:
            StorageError: the storage failed.
        """
        wanted = TILE_WIDTH if width is None else width
        cache_key = ("tile", key.level, key.index, wanted)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        row = self._storage.read_tiles([key]).get(key, b"")
        if len(row) < wanted * _H:
            return None
        body = row[: wanted * _H]
        self._cache.put(cache_key, body)
        return body

    def entry_bundle(
        self, index: int, width: int | None = None, *, gzipped: bool = False
    ) -> bytes | None:
        """Return the entry bundle of level-0 tile ``index`` at ``width`` entries, or ``None``.

        The entries are checked against the leaf hashes of the committed level-0 tile.

        Raises:
            StorageError: the storage failed, an entry is missing, does not hash to its leaf,
                or is too long for a bundle.
        """
        wanted = TILE_WIDTH if width is None else width
        cache_key = ("entries", index, wanted, gzipped)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        if gzipped:
            plain = self.entry_bundle(index, width)
            if plain is None:
                return None
            body = gzip.compress(plain, compresslevel=6, mtime=0)
            self._cache.put(cache_key, body)
            return body
        leaves = self.tile(TileKey(level=0, index=index), width)
        if leaves is None:
            return None
        first = index * TILE_WIDTH
        stored = self._storage.read_entries(range(first, first + wanted))
        bodies = []
        for offset in range(wanted):
            entry = stored.get(first + offset)
            if entry is None:
                raise StorageError(f"entry {first + offset} is in the tree but not stored")
            if merkle.leaf_hash(entry.body) != leaves[offset * _H : (offset + 1) * _H]:
                raise StorageError(
                    f"stored entry {first + offset} is not the entry the tree holds: the "
                    "database was changed outside the log"
                )
            bodies.append(entry.body)
        try:
            body = encode_entry_bundle(bodies)
        except ValueError as exc:
            raise StorageError(f"entry bundle {index}: {exc}") from exc
        self._cache.put(cache_key, body)
        return body


def tile_paths(tree_size: int) -> Iterator[tuple[TileKey, int | None, bool]]:
    """Yield every tile and entry bundle of a tree of ``tree_size`` leaves.

    Yields:
        ``(key, width, entries)``: ``width`` ``None`` for a full one; for each level, full
        tiles in index order, then the partial one if any; entry bundles follow level 0.
    """
    level = 0
    while tree_size >> (TILE_HEIGHT * level):
        nodes = tree_size >> (TILE_HEIGHT * level)
        full, rest = divmod(nodes, TILE_WIDTH)
        for entries in (False, True) if level == 0 else (False,):
            for index in range(full):
                yield TileKey(level=level, index=index), None, entries
            if rest:
                yield TileKey(level=level, index=full), rest, entries
        level += 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportReport:
    """What :func:`export` did.

    Attributes:
        tree_size: the size of the exported checkpoint.
        written: files written (tiles, bundles, and the checkpoint when it changed).
        kept: files already there and left alone (full ones are never rewritten).
    """

    tree_size: int
    written: int
    kept: int


def export(storage: LogStorage, directory: Path, *, cache_bytes: int = 8 << 20) -> ExportReport:
    """Write the log's committed tree as c2sp.org/tlog-tiles files under ``directory``.

    Incremental: a file already there is kept (a tile's bytes at a path never change), so a
    second run writes only the tiles that are new since the first, and full tiles are never
    rewritten. Every file is written atomically (temporary file, fsync, rename) and the
    checkpoint last, so a reader of the folder never sees a checkpoint whose tiles are missing.
    Partial tiles of earlier exports are kept for clients still on those checkpoints.

    Args:
        storage: the log storage (read only).
        directory: the export folder (created if missing); serve it as the log's prefix.
        cache_bytes: memory for tiles read while exporting.

    Returns:
        The counts of files written and kept.

    Raises:
        StorageError: the storage failed, does not match its checkpoint, or the folder cannot
            be written.
    """
    state = storage.read_state()
    if not state.checkpoint:
        raise StorageError("the log has no signed checkpoint yet: nothing to export")
    lines = state.checkpoint.split(b"\n", 3)
    if len(lines) < 4 or lines[1:3] != [b"%d" % state.size, base64.b64encode(state.root)]:
        raise StorageError(
            f"the stored checkpoint does not name the stored tree (size {state.size}): "
            "the database was changed outside the log; nothing exported"
        )
    if tiles.root(storage, state.size) != state.root:
        raise StorageError(
            f"the stored tiles do not give the checkpoint's root at size {state.size}: "
            "the database was changed outside the log; nothing exported"
        )
    reader = TileReader(storage, cache_bytes=cache_bytes)
    written = kept = 0
    for key, width, entries in tile_paths(state.size):
        relative = tile_path(key, state.size, entries=entries)
        target = directory / relative
        if target.is_file():
            kept += 1
            continue
        body = reader.entry_bundle(key.index, width) if entries else reader.tile(key, width)
        if body is None:
            raise StorageError(f"{relative}: not in the stored tree of size {state.size}")
        atomic_write_bytes(target, body)
        written += 1
    checkpoint = directory / CHECKPOINT_PATH
    try:
        unchanged = checkpoint.read_bytes() == state.checkpoint
    except OSError:
        unchanged = False
    if unchanged:
        kept += 1
    else:
        atomic_write_bytes(checkpoint, state.checkpoint)
        written += 1
    _sync_folder(directory)
    return ExportReport(tree_size=state.size, written=written, kept=kept)


def _sync_folder(directory: Path) -> None:
    """Flush the folder's entries (the renames) to disk where the platform allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
