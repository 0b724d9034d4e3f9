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
from liturgia.tlog.storage._sql import SqlStorage
from liturgia.tlog.tiles import TileKey

__all__ = ["SCHEMA_VERSION", "SqliteStorage"]

#: Version of the table layout below, stored in ``PRAGMA user_version``. The ``settings`` table
#: came later within version 1: every statement below is idempotent and runs at each open, so a
#: file made before it gets the table the next time it is opened. Version 2 added
#: ``entries.seal`` (the SignedEntryTimestamp, made at write time): a version-1 file is
#: migrated forward when opened (:data:`_MIGRATIONS`); its old rows keep a NULL seal and are
#: signed when read. Code of version 1 refuses a version-2 file (never migrated back).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL UNIQUE,
    body BLOB NOT NULL,
    integrated_time INTEGER NOT NULL,
    seal BLOB
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
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT OR IGNORE INTO tree (id, size, root, checkpoint)
    VALUES (0, 0, x'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', x'');
"""

#: What moves a file of version ``key - 1`` to ``key``: (a column that shows it is done, the
#: statement). Run in order in the schema transaction; a step already done is skipped, so that
#: two processes opening an old file at once migrate it once. ``ADD COLUMN`` of a nullable
#: column rewrites no rows: the migration takes milliseconds at any log size.
_MIGRATIONS: dict[int, tuple[tuple[str, str], str]] = {
    2: (("entries", "seal"), "ALTER TABLE entries ADD COLUMN seal BLOB"),
}

#: Host parameters per statement; SQLite >= 3.32 allows 32766, stay well below.
_CHUNK = 500


class SqliteStorage(SqlStorage):
    """A :class:`~liturgia.tlog.storage.base.LogStorage` in one SQLite file.

    Args:
        path: the database file; created with its schema when missing.
        synchronous: ``"FULL"`` (default; see the module docstring) or ``"NORMAL"``.
        busy_timeout_ms: how long a statement waits for another process's lock.

    Raises:
        StorageError: the file cannot be opened, is not a log database, or has a newer schema.
    """

    #: A WAL reader never waits for the writer (see ``LogStorage.local_reads``).
    local_reads = True
    MARK = "?"
    ENTRIES = "entries"
    INDEX_KEYS = "index_keys"
    TILES = "tiles"
    TREE = "tree"
    SETTINGS = "settings"

    def __init__(
        self,
        path: Path,
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        busy_timeout_ms: int = 10_000,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise StorageError(f"{path}: synchronous must be FULL or NORMAL, not {synchronous!r}")
        self._init_sql(str(path), f"{path}: log storage is closed", sqlite3.Error)
        self.path = path
        self._synchronous = synchronous
        self._busy = busy_timeout_ms
        self.lead_path = path.with_name(path.name + ".lead")
        self._lead_fd: int | None = None
        self._lead_lock = threading.Lock()
        # Writers of all processes queue on an flock before BEGIN IMMEDIATE: the kernel hands
        # the lock over at once, where SQLite's busy handler sleeps 1, 2, 5... ms between
        # retries (with two `serve` workers: 2,220 against 2,520 writes/s).
        self.write_lock_path = path.with_name(path.name + ".write")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{path}: cannot create folder: {exc.strerror or exc}") from exc
        self._write_fd = -1
        self._writer = self._connect()
        try:
            self._write_fd = self._open_write_lock()
            self._create_schema()
        except BaseException:
            self.close()
            raise

    def _open_write_lock(self) -> int:
        """Open the write lock file, once the path is known to be a WAL database."""
        try:
            return os.open(self.write_lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StorageError(
                f"{self.write_lock_path}: cannot open the write lock file: {exc.strerror or exc}"
            ) from exc

    def _create_schema(self) -> None:
        path = self.path
        with self._errors("create schema"):
            version = self._writer.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{path}: log schema version {version} is newer than {SCHEMA_VERSION}"
                )
            if version == SCHEMA_VERSION and self._schema_complete():
                return  # nothing to write: a log on a full disk still opens and serves reads
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                # A version-1 file already has its tables: CREATE ... IF NOT EXISTS skips them.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                for _, ((table, column), statement) in sorted(_MIGRATIONS.items()):
                    if column not in self._columns(table):
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

    def _columns(self, table: str) -> set[str]:
        """The column names of ``table`` (a name of :data:`_SCHEMA`)."""
        return {str(row[1]) for row in self._writer.execute(f"PRAGMA table_info({table})")}

    def _schema_complete(self) -> bool:
        """Whether every table of :data:`_SCHEMA` and the tree row exist (read-only check)."""
        conn = self._writer
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not {self.ENTRIES, self.INDEX_KEYS, self.TILES, self.TREE, self.SETTINGS} <= tables:
            return False
        if any(column not in self._columns(table) for (table, column), _ in _MIGRATIONS.values()):
            return False
        return conn.execute("SELECT 1 FROM tree WHERE id = 0").fetchone() is not None

    # -- connections ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        with self._errors("open"):
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._configure(conn)
        except BaseException:
            conn.close()
            raise
        self._register(conn)
        return conn

    def _new_reader(self) -> sqlite3.Connection:
        return self._connect()

    def _configure(self, conn: sqlite3.Connection) -> None:
        with self._errors("configure"):
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        if str(mode).lower() != "wal":
            raise StorageError(f"{self.path}: cannot enable WAL (journal mode {mode})")

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction on the writer connection, rolled back on any error."""
        with self._write_lock:
            if self._closed:
                raise StorageError(self._closed_message)
            conn = self._writer
            fcntl.flock(self._write_fd, fcntl.LOCK_EX)
            try:
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
            finally:
                fcntl.flock(self._write_fd, fcntl.LOCK_UN)

    # -- backend statements --------------------------------------------------------------------

    def _existing(self, conn: sqlite3.Connection, hashes: Sequence[bytes]) -> dict[bytes, int]:
        existing: dict[bytes, int] = {}
        for start in range(0, len(hashes), _CHUNK):
            chunk = hashes[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT leaf_hash, idx FROM entries WHERE leaf_hash IN ({marks})"  # noqa: S608 - only '?' marks are interpolated
            existing.update(conn.execute(query, chunk).fetchall())
        return existing

    def _insert_entries(
        self, conn: sqlite3.Connection, rows: Sequence[tuple[int, bytes, bytes, int, bytes | None]]
    ) -> None:
        conn.executemany(
            "INSERT INTO entries (idx, leaf_hash, body, integrated_time, seal) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )

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
        self._close_all()
        self.release_lead()
        with self._write_lock:
            fd, self._write_fd = self._write_fd, -1
            if fd >= 0:
                os.close(fd)
