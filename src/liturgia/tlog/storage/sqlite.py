"""SQLite storage for the transparency log: one file, WAL, durable before acknowledged.

Durability: the database runs in WAL mode with ``synchronous=FULL``. In WAL mode ``NORMAL``
only syncs the WAL at checkpoints, so a committed transaction survives an application crash
but may vanish on power loss or an OS crash (sqlite.org/pragma.html#pragma_synchronous). The
log acknowledges an entry (Rekor's 201) only after :meth:`SqliteStorage.sequence` commits, and an
acknowledgement is a promise the entry exists, so every commit must reach the disk: ``FULL``
fsyncs the WAL on every commit. The cost is one fsync per *batch*, not per entry, because the
sequencer commits many submissions per transaction (group commit). ``NORMAL`` stays available
for throwaway logs.

Concurrency: one writer connection behind a lock; each reading thread gets its own connection,
so proofs are served while a batch commits (WAL readers never block the writer). Several
processes may open one file: SQLite's write lock serialises their transactions, the **lead**
(the right to integrate) is an exclusive ``flock`` on ``<database>.lead`` that the kernel frees
when the holder dies, even by SIGKILL, and ``PRAGMA data_version`` tells a follower cheaply
whether another connection committed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from liturgia.errors import StorageError
from liturgia.tlog.storage.base import Assigned, StoredEntry, TreeState, check_index_keys
from liturgia.tlog.tiles import TileKey

__all__ = ["SCHEMA_VERSION", "SqliteStorage"]

#: Version of the table layout below, stored in ``PRAGMA user_version``.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL UNIQUE,
    body BLOB NOT NULL,
    integrated_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS index_keys (
    key TEXT NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (key, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tiles (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tree (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    checkpoint BLOB NOT NULL
);
INSERT OR IGNORE INTO tree (id, size, root, checkpoint)
    VALUES (0, 0, x'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', x'');
"""

#: Host parameters per statement; SQLite >= 3.32 allows 32766, stay well below.
_CHUNK = 500


class SqliteStorage:
    """A :class:`~liturgia.tlog.storage.base.LogStorage` in one SQLite file.

    Args:
        path: the database file; created with its schema when missing.
        synchronous: ``"FULL"`` (default; see the module docstring) or ``"NORMAL"``.
        busy_timeout_ms: how long a statement waits for another process's lock.

    Raises:
        StorageError: the file cannot be opened, is not a log database, or has a newer schema.
    """

    def __init__(
        self,
        path: Path,
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        busy_timeout_ms: int = 10_000,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise StorageError(f"{path}: synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.path = path
        self._synchronous = synchronous
        self._busy = busy_timeout_ms
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self._active = 0
        self._idle = threading.Condition()
        self.lead_path = path.with_name(path.name + ".lead")
        self._lead_fd: int | None = None
        self._lead_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{path}: cannot create folder: {exc.strerror or exc}") from exc
        self._writer = self._connect()
        try:
            self._create_schema()
        except BaseException:
            self.close()
            raise

    def _create_schema(self) -> None:
        path = self.path
        with self._errors("create schema"):
            version = self._writer.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{path}: log schema version {version} is newer than {SCHEMA_VERSION}"
                )
            self._writer.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
            self._writer.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- connections ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        with self._errors("open"):
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._configure(conn)
        except BaseException:
            conn.close()
            raise
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def _configure(self, conn: sqlite3.Connection) -> None:
        with self._errors("configure"):
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        if str(mode).lower() != "wal":
            raise StorageError(f"{self.path}: cannot enable WAL (journal mode {mode})")

    @contextmanager
    def _read(self, what: str) -> Iterator[sqlite3.Connection]:
        """This thread's reader connection, counted so that :meth:`close` waits for it.

        Closing a connection while another thread runs a statement on it crashes the
        interpreter (sqlite3 with ``check_same_thread=False``), hence the count.
        """
        with self._idle:
            if self._closed:
                raise StorageError(f"{self.path}: log storage is closed")
            self._active += 1
        try:
            conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._connect()
                self._local.conn = conn
            with self._errors(what):
                yield conn
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot {what}: {exc}") from exc

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction on the writer connection, rolled back on any error."""
        with self._write_lock:
            if self._closed:
                raise StorageError(f"{self.path}: log storage is closed")
            conn = self._writer
            with self._errors(what):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    # A failed COMMIT may already have rolled back; keep the first error.
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise

    # -- writes --------------------------------------------------------------------------------

    def sequence(
        self,
        leaves: Sequence[tuple[bytes, bytes]],
        *,
        integrated_time: int,
        index_keys: Sequence[Sequence[str]] = (),
    ) -> tuple[Assigned, ...]:
        """Durably store new entries with the next indexes; see ``LogStorage.sequence``."""
        keys_per_leaf = check_index_keys(leaves, index_keys)
        if not leaves:
            return ()
        with self._write("store entries") as conn:
            existing: dict[bytes, int] = {}
            hashes = list({leaf_hash: None for leaf_hash, _ in leaves})
            for start in range(0, len(hashes), _CHUNK):
                chunk = hashes[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT leaf_hash, idx FROM entries WHERE leaf_hash IN ({marks})"  # noqa: S608 - only '?' marks are interpolated
                existing.update(conn.execute(query, chunk).fetchall())
            next_index = conn.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM entries").fetchone()[
                0
            ]
            rows: list[tuple[int, bytes, bytes, int]] = []
            out: list[Assigned] = []
            key_rows: list[tuple[str, int]] = []
            for (leaf_hash, body), keys in zip(leaves, keys_per_leaf, strict=True):
                found = existing.get(leaf_hash)
                if found is not None:
                    out.append(Assigned(index=found, duplicate=True))
                    continue
                existing[leaf_hash] = next_index
                rows.append((next_index, leaf_hash, body, integrated_time))
                key_rows.extend((key, next_index) for key in set(keys))
                out.append(Assigned(index=next_index, duplicate=False))
                next_index += 1
            conn.executemany(
                "INSERT INTO entries (idx, leaf_hash, body, integrated_time) VALUES (?, ?, ?, ?)",
                rows,
            )
            conn.executemany("INSERT INTO index_keys (key, idx) VALUES (?, ?)", key_rows)
        return tuple(out)

    def commit_tree(
        self, *, old_size: int, state: TreeState, tiles: Sequence[tuple[TileKey, bytes]]
    ) -> None:
        """Store tiles and the new state atomically if the tree is still at ``old_size``."""
        with self._write("store tree") as conn:
            size = conn.execute("SELECT size FROM tree WHERE id = 0").fetchone()[0]
            if size != old_size:
                raise StorageError(
                    f"{self.path}: tree moved: stored size is {size}, update was for {old_size}"
                )
            sequenced = conn.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM entries").fetchone()[0]
            if state.size > sequenced:
                raise StorageError(
                    f"{self.path}: tree size {state.size} exceeds the {sequenced} sequenced entries"
                )
            conn.executemany(
                "INSERT OR REPLACE INTO tiles (level, idx, hashes) VALUES (?, ?, ?)",
                [(key.level, key.index, data) for key, data in tiles],
            )
            conn.execute(
                "UPDATE tree SET size = ?, root = ?, checkpoint = ? WHERE id = 0",
                (state.size, state.root, state.checkpoint),
            )

    # -- reads ---------------------------------------------------------------------------------

    def sequenced_size(self) -> int:
        """Return the number of entries stored."""
        with self._read("read entries") as conn:
            row = conn.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM entries")
            return int(row.fetchone()[0])

    def read_state(self) -> TreeState:
        """Return the integrated tree state."""
        with self._read("read tree state") as conn:
            size, root, checkpoint = conn.execute(
                "SELECT size, root, checkpoint FROM tree WHERE id = 0"
            ).fetchone()
        return TreeState(size=size, root=bytes(root), checkpoint=bytes(checkpoint))

    def read_leaf_hashes(self, start: int, end: int) -> tuple[bytes, ...]:
        """Return the leaf hashes of entries ``[start, end)``."""
        with self._read("read entries") as conn:
            rows = conn.execute(
                "SELECT leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
                (start, end),
            )
            return tuple(bytes(row[0]) for row in rows)

    def read_entry(self, index: int) -> StoredEntry | None:
        """Return entry ``index`` or ``None``."""
        with self._read("read entry") as conn:
            row = conn.execute(
                "SELECT body, integrated_time FROM entries WHERE idx = ?", (index,)
            ).fetchone()
        if row is None:
            return None
        return StoredEntry(index=index, body=bytes(row[0]), integrated_time=int(row[1]))

    def find_by_key(self, key: str) -> tuple[int, ...]:
        """Return the indexes stored with search ``key``."""
        with self._read("search entries") as conn:
            rows = conn.execute(
                "SELECT idx FROM index_keys WHERE key = ? ORDER BY idx", (key,)
            ).fetchall()
        return tuple(int(row[0]) for row in rows)

    def find_index(self, leaf_hash: bytes) -> int | None:
        """Return the index of ``leaf_hash`` or ``None``."""
        with self._read("read entry") as conn:
            row = conn.execute("SELECT idx FROM entries WHERE leaf_hash = ?", (leaf_hash,))
            found = row.fetchone()
        return None if found is None else int(found[0])

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        """Return the stored tiles among ``keys``: one primary-key lookup per tile level.

        (A row-value ``(level, idx) IN (VALUES ...)`` would scan the whole table.)
        """
        by_level: dict[int, list[int]] = {}
        for key in keys:
            by_level.setdefault(key.level, []).append(key.index)
        out: dict[TileKey, bytes] = {}
        with self._read("read tiles") as conn:
            for level, indexes in sorted(by_level.items()):
                wanted = sorted(set(indexes))
                for start in range(0, len(wanted), _CHUNK):
                    chunk = wanted[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    query = f"SELECT idx, hashes FROM tiles WHERE level = ? AND idx IN ({marks})"  # noqa: S608 - only '?' marks are interpolated
                    for index, data in conn.execute(query, [level, *chunk]):
                        out[TileKey(level=level, index=index)] = bytes(data)
        return out

    # -- the lead ------------------------------------------------------------------------------

    def try_lead(self) -> bool:
        """Hold an exclusive ``flock`` on :attr:`lead_path`; see ``LogStorage.try_lead``.

        ``flock`` locks belong to an open file description, so two storage objects of one
        process exclude each other as two processes do; the kernel drops the lock with the
        descriptor when the process dies.
        """
        with self._lead_lock:
            if self._closed:
                raise StorageError(f"{self.path}: log storage is closed")
            if self._lead_fd is not None:
                return True
            try:
                fd = os.open(self.lead_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                raise StorageError(
                    f"{self.lead_path}: cannot open the lead lock file: {exc.strerror or exc}"
                ) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            except OSError as exc:
                os.close(fd)
                raise StorageError(f"{self.lead_path}: cannot lock: {exc.strerror or exc}") from exc
            self._lead_fd = fd
            return True

    def release_lead(self) -> None:
        """Unlock and close the lead file if held."""
        with self._lead_lock:
            fd, self._lead_fd = self._lead_fd, None
            if fd is not None:
                os.close(fd)  # closing the only descriptor releases the flock

    def wait_for_change(self, timeout: float, *, poll: float = 0.002) -> bool:
        """Poll ``PRAGMA data_version`` on this thread's connection; see ``LogStorage``.

        The value changes when another connection (of this or another process) commits, and
        reading it touches no table: a few microseconds per check.
        """
        deadline = time.monotonic() + timeout
        seen: int | None = getattr(self._local, "data_version", None)
        while True:
            with self._read("watch the database") as conn:
                version = int(conn.execute("PRAGMA data_version").fetchone()[0])
            self._local.data_version = version
            if version != seen:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(poll, remaining))

    def close(self) -> None:
        """Wait for running reads, then close every connection and give up the lead."""
        with self._write_lock, self._idle:
            self._closed = True
            while self._active:
                self._idle.wait()
            with self._connections_lock:
                for conn in self._connections:
                    conn.close()
                self._connections.clear()
        self.release_lead()
