"""The storage contract of the transparency log, kept small (tessera's lesson).

A backend stores four things:

* **entries**: the leaf bytes under a dense, never reused index, unique by leaf hash;
* **tiles**: the stored subtree hashes of the integrated tree (:mod:`liturgia.tlog.tiles`);
* **the tree state**: the integrated size, its root and the latest signed checkpoint;
* **settings**: what the log was created with (its tree ID, its index offset), each stored once
  by :meth:`LogStorage.claim_setting` and never changed, so that a restart cannot contradict
  what the log already signed.

Writes come in two kinds, each one atomic transaction: :meth:`LogStorage.sequence` (new entries
get indexes, durable on return: this is what the log acknowledges) and
:meth:`LogStorage.commit_tree` (tiles and the new checkpoint, moving the integrated size forward).
Entries at ``[tree size, sequenced size)`` are durable but not yet in the tree; the sequencer
integrates them, also after a crash.

Several processes may share one log (PostgreSQL, or one SQLite file). Each sequences its own
submissions, but only one at a time integrates and signs: the holder of the **lead**, a lease
taken with :meth:`LogStorage.try_lead` that the database or the kernel frees when its holder
dies. The others follow the stored tree, woken by :meth:`LogStorage.wait_for_change`.

Every backend passes the same contract suite (``tests/contract/tlog``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from liturgia.tlog import merkle
from liturgia.tlog.tiles import TileKey

__all__ = ["Assigned", "LogStorage", "Seal", "StoredEntry", "TreeState", "check_index_keys"]

#: Computes what is stored beside a new entry at write time, once: called with the entry's
#: leaf index, its bytes and its integrated time (seconds since the epoch), inside the
#: transaction that stores it; returns opaque bytes (the log stores its SignedEntryTimestamp,
#: so that a read signs nothing). An exception aborts the transaction.
Seal = Callable[[int, bytes, int], bytes]


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeState:
    """The integrated tree as last committed.

    Attributes:
        size: number of leaves in the tree (``<=`` the sequenced size).
        root: 32-byte root hash at ``size``.
        checkpoint: the signed checkpoint note for ``size`` (C2SP signed note bytes), or ``b""``
            for a log that has never signed one.
    """

    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    checkpoint: bytes = b""


@dataclass(frozen=True, slots=True, kw_only=True)
class Assigned:
    """The index an entry got from :meth:`LogStorage.sequence`.

    Attributes:
        index: the entry's leaf index.
        duplicate: ``True`` when an entry with the same leaf hash was already stored (the index
            is the existing one's, as Rekor answers 409 with the existing entry).
    """

    index: int
    duplicate: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEntry:
    """An entry as stored.

    Attributes:
        index: its leaf index.
        body: the exact leaf bytes.
        integrated_time: seconds since the epoch when it was made durable; what Rekor reports
            as ``integratedTime`` (and signs in the SignedEntryTimestamp), fixed once stored.
        seal: the bytes the ``seal`` of :meth:`LogStorage.sequence` returned for it, stored
            with it; ``b""`` when none was given (or the entry was written before the storage
            kept seals: SQLite schema version 1, PostgreSQL before ``tlog_schema``).
    """

    index: int
    body: bytes
    integrated_time: int
    seal: bytes = b""


class LogStorage(Protocol):
    """What the sequencer and the proof server need from a backend.

    Thread safety: every method may be called from any thread. Errors of the disk or the
    database are raised as :class:`~liturgia.errors.StorageError`.

    Attributes:
        local_reads: ``True`` when a read is answered from this process's memory or a local
            file without waiting for another process or the network (SQLite in WAL mode:
            readers never wait for the writer), so that a server may answer it on its event
            loop rather than hand it to a thread; ``False`` for a database over the network.
    """

    local_reads: bool

    def sequence(
        self,
        leaves: Sequence[tuple[bytes, bytes]],
        *,
        integrated_time: int,
        index_keys: Sequence[Sequence[str]] = (),
        seal: Seal | None = None,
    ) -> tuple[Assigned, ...]:
        """Durably assign the next indexes to new entries, in order, in one transaction.

        Args:
            leaves: ``(leaf_hash, entry_bytes)`` pairs. An entry whose leaf hash is already
                stored, or appears earlier in ``leaves``, is not stored again.
            integrated_time: the time recorded with the new entries, seconds since the epoch.
            index_keys: search keys per leaf (empty: none), e.g. ``"sha256:<hex>"`` of the
                artifact; stored with new entries only, in the same transaction.
            seal: called once per new entry (never for a duplicate) with its index, bytes and
                ``integrated_time``; the result is stored with it (:attr:`StoredEntry.seal`).
                Its exceptions propagate and nothing of the batch is stored.

        Returns:
            One :class:`Assigned` per input, in input order. When this returns, every new
            entry survives a crash or power loss.
        """
        ...  # pragma: no cover - protocol

    def sequenced_size(self) -> int:
        """Return the number of entries stored (the next index to assign)."""
        ...  # pragma: no cover - protocol

    def read_state(self) -> TreeState:
        """Return the integrated tree state."""
        ...  # pragma: no cover - protocol

    def read_leaf_hashes(self, start: int, end: int) -> tuple[bytes, ...]:
        """Return the leaf hashes of entries ``[start, end)``; fewer if the log is shorter."""
        ...  # pragma: no cover - protocol

    def read_entry(self, index: int) -> StoredEntry | None:
        """Return entry ``index``, or ``None`` when there is no such entry."""
        ...  # pragma: no cover - protocol

    def read_entries(self, indexes: Collection[int]) -> Mapping[int, StoredEntry]:
        """Return the entries among ``indexes`` that exist, keyed by index (one batch read)."""
        ...  # pragma: no cover - protocol

    def find_by_key(self, key: str) -> tuple[int, ...]:
        """Return the indexes of entries stored with search ``key``, ascending."""
        ...  # pragma: no cover - protocol

    def find_index(self, leaf_hash: bytes) -> int | None:
        """Return the index of the entry with ``leaf_hash``, or ``None``."""
        ...  # pragma: no cover - protocol

    def find_entry(self, leaf_hash: bytes) -> StoredEntry | None:
        """Return the entry with ``leaf_hash`` (one indexed read), or ``None``."""
        ...  # pragma: no cover - protocol

    def find_entries(self, leaf_hashes: Collection[bytes]) -> Mapping[bytes, StoredEntry]:
        """Return the entries among ``leaf_hashes`` that exist, keyed by leaf hash (one batch
        read: what :meth:`find_entry` answers for each)."""
        ...  # pragma: no cover - protocol

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        """Return the stored tiles among ``keys`` (see :class:`liturgia.tlog.tiles.TileSource`)."""
        ...  # pragma: no cover - protocol

    def commit_tree(
        self, *, old_size: int, state: TreeState, tiles: Sequence[tuple[TileKey, bytes]]
    ) -> None:
        """Atomically store changed tiles and the new tree state.

        Args:
            old_size: the tree size the update was computed from; a compare-and-swap guard.
            state: the new state (size, root, signed checkpoint).
            tiles: the tiles to write (replacing partial tiles of the same key).

        Raises:
            StorageError: the stored tree size is not ``old_size`` (another sequencer moved it),
                ``state.size`` exceeds the sequenced size, or the write failed.
        """
        ...  # pragma: no cover - protocol

    def try_lead(self) -> bool:
        """Take the lead (the right to integrate and sign) or confirm it is still held.

        At most one storage object per log holds the lead at a time, across threads and
        processes; it is freed by :meth:`release_lead`, :meth:`close`, or the death of the
        holding process (so that another can take over). Calling it again while holding the lead
        is cheap and returns ``True`` unless the lease was lost (e.g. a dropped connection).

        Returns:
            Whether this storage object holds the lead now.

        Raises:
            StorageError: the lease cannot be asked for (database or file error, closed storage).
        """
        ...  # pragma: no cover - protocol

    def release_lead(self) -> None:
        """Give up the lead if held (idempotent; a no-op on a closed storage)."""
        ...  # pragma: no cover - protocol

    def wait_for_change(self, timeout: float, *, poll: float = 0.002) -> bool:
        """Wait until the log may have changed since this thread's previous call.

        A change is an entry sequenced or a tree committed through another storage object
        (another process). Spurious ``True`` answers are allowed (e.g. this process's own
        commits, or the first call of a thread); a change made elsewhere is reported within
        ``timeout`` (plus ``poll`` for backends that poll).

        Args:
            timeout: seconds to wait at most; ``0`` checks once without waiting.
            poll: seconds between checks for backends without a push notification.

        Returns:
            ``True`` when the log may have changed, ``False`` when the time ran out first.

        Raises:
            StorageError: the database cannot be read (closed storage included).
        """
        ...  # pragma: no cover - protocol

    def claim_setting(self, name: str, value: str) -> str:
        """Store ``value`` under ``name`` unless a value is stored already; return the stored one.

        One atomic step: of several processes claiming one name at once, exactly one stores its
        value and every one gets that value back. A stored setting is never changed.

        Args:
            name: the setting's name, e.g. ``"index_offset"``.
            value: the value to store if ``name`` has none.

        Returns:
            The value stored under ``name`` after the call: ``value``, or the earlier one.

        Raises:
            StorageError: the database cannot be written (closed storage included).
        """
        ...  # pragma: no cover - protocol

    def read_setting(self, name: str) -> str | None:
        """Return the value stored under ``name``, or ``None`` when none was claimed.

        Raises:
            StorageError: the database cannot be read (closed storage included).
        """
        ...  # pragma: no cover - protocol

    def close(self) -> None:
        """Release connections, files and the lead; further calls are errors."""
        ...  # pragma: no cover - protocol


def check_index_keys(
    leaves: Sequence[tuple[bytes, bytes]], index_keys: Sequence[Sequence[str]]
) -> Sequence[Sequence[str]]:
    """Return ``index_keys`` padded to one (possibly empty) key list per leaf.

    Raises:
        ValueError: there are key lists but not one per leaf.
    """
    if not index_keys:
        return [()] * len(leaves)
    if len(index_keys) != len(leaves):
        raise ValueError(f"{len(index_keys)} index key lists for {len(leaves)} leaves")
    return index_keys
