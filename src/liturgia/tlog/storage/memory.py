"""An in-memory :class:`~liturgia.tlog.storage.base.LogStorage`, for tests and tools.

Nothing survives the process; "durable" means "stored in this object". It is the reference the
contract suite holds the real backends to. Every holder leads (nothing is shared with another
process); two sequencers on one object both integrate, and ``commit_tree``'s compare-and-swap
keeps the tree linear.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence

from liturgia.errors import StorageError
from liturgia.tlog.storage.base import (
    Assigned,
    Seal,
    StoredEntry,
    TreeState,
    check_index_keys,
)
from liturgia.tlog.tiles import TileKey

__all__ = ["MemoryStorage"]


class MemoryStorage:
    """A :class:`~liturgia.tlog.storage.base.LogStorage` held in dicts under one lock."""

    #: Reads take the lock for a dictionary lookup (see ``LogStorage.local_reads``).
    local_reads = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._moved = threading.Condition(self._lock)
        self._version = 0
        self._seen = threading.local()
        self._hashes: list[bytes] = []
        self._entries: list[StoredEntry] = []
        self._by_hash: dict[bytes, int] = {}
        self._keys: dict[str, set[int]] = {}
        self._tiles: dict[TileKey, bytes] = {}
        self._state = TreeState()
        self._settings: dict[str, str] = {}
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("memory log storage is closed")

    def sequence(
        self,
        leaves: Sequence[tuple[bytes, bytes]],
        *,
        integrated_time: int,
        index_keys: Sequence[Sequence[str]] = (),
        seal: Seal | None = None,
    ) -> tuple[Assigned, ...]:
        """See :meth:`LogStorage.sequence <liturgia.tlog.storage.base.LogStorage.sequence>`."""
        keys_per_leaf = check_index_keys(leaves, index_keys)
        with self._lock:
            self._check_open()
            out: list[Assigned] = []
            # All or nothing, as a transaction: seals are made before anything is stored.
            new: dict[bytes, StoredEntry] = {}
            for leaf_hash, entry in leaves:
                found = self._by_hash.get(leaf_hash)
                if found is None and leaf_hash not in new:
                    index = len(self._hashes) + len(new)
                    made = seal(index, entry, integrated_time) if seal else b""
                    new[leaf_hash] = StoredEntry(
                        index=index, body=entry, integrated_time=integrated_time, seal=made
                    )
            for (leaf_hash, _), keys in zip(leaves, keys_per_leaf, strict=True):
                found = self._by_hash.get(leaf_hash)
                if found is not None:
                    out.append(Assigned(index=found, duplicate=True))
                    continue
                stored = new[leaf_hash]
                self._hashes.append(leaf_hash)
                self._entries.append(stored)
                self._by_hash[leaf_hash] = stored.index
                for key in keys:
                    self._keys.setdefault(key, set()).add(stored.index)
                out.append(Assigned(index=stored.index, duplicate=False))
            self._bump()
            return tuple(out)

    def sequenced_size(self) -> int:
        """Return the number of entries stored."""
        with self._lock:
            self._check_open()
            return len(self._hashes)

    def read_state(self) -> TreeState:
        """Return the integrated tree state."""
        with self._lock:
            self._check_open()
            return self._state

    def read_leaf_hashes(self, start: int, end: int) -> tuple[bytes, ...]:
        """Return leaf hashes ``[start, end)``."""
        with self._lock:
            self._check_open()
            return tuple(self._hashes[max(start, 0) : max(end, 0)])

    def read_entry(self, index: int) -> StoredEntry | None:
        """Return entry ``index`` or ``None``."""
        with self._lock:
            self._check_open()
            if not 0 <= index < len(self._entries):
                return None
            return self._entries[index]

    def read_entries(self, indexes: Collection[int]) -> Mapping[int, StoredEntry]:
        """Return the entries among ``indexes`` that exist, keyed by index."""
        with self._lock:
            self._check_open()
            return {
                index: self._entries[index] for index in indexes if 0 <= index < len(self._entries)
            }

    def find_by_key(self, key: str) -> tuple[int, ...]:
        """Return the indexes stored with search ``key``."""
        with self._lock:
            self._check_open()
            return tuple(sorted(self._keys.get(key, ())))

    def find_entry(self, leaf_hash: bytes) -> StoredEntry | None:
        """Return the entry with ``leaf_hash`` or ``None``."""
        index = self.find_index(leaf_hash)
        return None if index is None else self.read_entry(index)

    def find_entries(self, leaf_hashes: Collection[bytes]) -> Mapping[bytes, StoredEntry]:
        """Return the stored entries among ``leaf_hashes``, keyed by leaf hash."""
        with self._lock:
            self._check_open()
            return {
                leaf: self._entries[self._by_hash[leaf]]
                for leaf in leaf_hashes
                if leaf in self._by_hash
            }

    def find_index(self, leaf_hash: bytes) -> int | None:
        """Return the index of ``leaf_hash`` or ``None``."""
        with self._lock:
            self._check_open()
            return self._by_hash.get(leaf_hash)

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        """Return the stored tiles among ``keys``."""
        with self._lock:
            self._check_open()
            return {key: self._tiles[key] for key in keys if key in self._tiles}

    def commit_tree(
        self, *, old_size: int, state: TreeState, tiles: Sequence[tuple[TileKey, bytes]]
    ) -> None:
        """Store tiles and the new state if the tree is still at ``old_size``."""
        with self._lock:
            self._check_open()
            if self._state.size != old_size:
                raise StorageError(
                    f"tree moved: stored size is {self._state.size}, update was for {old_size}"
                )
            if state.size > len(self._hashes):
                raise StorageError(
                    f"tree size {state.size} exceeds the {len(self._hashes)} sequenced entries"
                )
            self._tiles.update(tiles)
            self._state = state
            self._bump()

    def claim_setting(self, name: str, value: str) -> str:
        """Store ``value`` under ``name`` unless one is stored; return the stored value."""
        with self._lock:
            self._check_open()
            return self._settings.setdefault(name, value)

    def read_setting(self, name: str) -> str | None:
        """Return the value stored under ``name``, or ``None``."""
        with self._lock:
            self._check_open()
            return self._settings.get(name)

    def _bump(self) -> None:
        """Count a change and wake :meth:`wait_for_change` (the lock is held)."""
        self._version += 1
        self._moved.notify_all()

    def try_lead(self) -> bool:
        """Lead: a memory log is not shared with another process."""
        with self._lock:
            self._check_open()
            return True

    def release_lead(self) -> None:
        """Nothing to release."""

    def wait_for_change(self, timeout: float, *, poll: float = 0.002) -> bool:
        """Wait until something was stored since this thread's previous call (``poll`` unused)."""
        seen: int | None = getattr(self._seen, "version", None)
        with self._moved:
            self._check_open()
            if seen == self._version:
                self._moved.wait_for(lambda: self._version != seen or self._closed, timeout)
            self._check_open()
            self._seen.version = self._version
            return self._version != seen

    def close(self) -> None:
        """Mark the storage closed."""
        with self._lock:
            self._closed = True
            self._moved.notify_all()
