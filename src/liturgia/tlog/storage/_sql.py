"""What the SQLite and PostgreSQL backends share: one table layout, the queries, reader upkeep.

The two backends store the same five tables (entries with their seals, index keys, tiles, the
tree row, the settings) and ask the same questions of them; they differ in the driver
(``sqlite3`` with ``?`` marks, psycopg with ``%s``), in table names, in how a write transaction
starts, and in a few statements where each database has a faster form (bulk inserts, duplicate
lookups, tile reads).
This base holds the shared part; a backend sets the class attributes and implements the hooks.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar

from liturgia.errors import StorageError, StorageFullError
from liturgia.tlog.storage.base import (
    Assigned,
    Seal,
    StoredEntry,
    TreeState,
    check_index_keys,
)
from liturgia.tlog.tiles import TileKey

__all__ = ["ENTRY_ROW", "SqlStorage", "stored_rows"]

#: The shared statements; ``{m}`` is the driver's parameter mark, ``{entries}`` etc. the tables.
_QUERIES = {
    "next_index": "SELECT COALESCE(MAX(idx), -1) + 1 FROM {entries}",
    "state": "SELECT size, root, checkpoint FROM {tree} WHERE id = 0",
    "tree_size": "SELECT size FROM {tree} WHERE id = 0{lock_row}",
    "set_state": "UPDATE {tree} SET size = {m}, root = {m}, checkpoint = {m} WHERE id = 0",
    "leaf_hashes": "SELECT leaf_hash FROM {entries} WHERE idx >= {m} AND idx < {m} ORDER BY idx",
    "entry": "SELECT body, integrated_time, seal FROM {entries} WHERE idx = {m}",
    "by_key": "SELECT idx FROM {index_keys} WHERE key = {m} ORDER BY idx",
    "by_hash": "SELECT idx FROM {entries} WHERE leaf_hash = {m}",
    "entry_by_hash": (
        "SELECT idx, body, integrated_time, seal FROM {entries} WHERE leaf_hash = {m}"
    ),
    "insert_keys": "INSERT INTO {index_keys} (key, idx) VALUES ({m}, {m})",
    # SQLite has UPSERT since 3.24 (2018), in PostgreSQL's syntax.
    "upsert_tile": (
        "INSERT INTO {tiles} (level, idx, hashes) VALUES ({m}, {m}, {m}) "
        "ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes"
    ),
    # First writer wins: a stored setting is never replaced (read back in the same transaction).
    "claim_setting": (
        "INSERT INTO {settings} (name, value) VALUES ({m}, {m}) ON CONFLICT (name) DO NOTHING"
    ),
    "setting": "SELECT value FROM {settings} WHERE name = {m}",
}


#: SQLite's primary result code SQLITE_FULL (sqlite.org/rescode.html#full): the disk is full.
_SQLITE_FULL = 13
#: PostgreSQL's SQLSTATE ``disk_full`` (postgresql.org/docs/current/errcodes-appendix.html).
_PG_DISK_FULL = "53100"


def _out_of_space(exc: BaseException) -> bool:
    """Whether a driver error says the disk (or the database's quota) is full."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF == _SQLITE_FULL:  # extended codes keep the low byte
        return True
    return getattr(exc, "sqlstate", None) == _PG_DISK_FULL


#: The columns of an entry as :func:`stored_rows` takes them, for a ``SELECT``.
ENTRY_ROW = "idx, leaf_hash, body, integrated_time, seal"


def stored_rows(rows: Sequence[Any]) -> Iterator[tuple[bytes, StoredEntry]]:
    """``(leaf hash, entry)`` of rows of the :data:`ENTRY_ROW` columns."""
    for index, leaf, body, when, seal in rows:
        yield (
            bytes(leaf),
            StoredEntry(
                index=int(index),
                body=bytes(body),
                integrated_time=int(when),
                seal=bytes(seal or b""),
            ),
        )


class _Reading:
    """One counted use of a thread's reader connection (what :meth:`SqlStorage._read` gives)."""

    __slots__ = ("_storage", "_what")

    def __init__(self, storage: SqlStorage, what: str) -> None:
        self._storage = storage
        self._what = what

    def __enter__(self) -> Any:
        storage = self._storage
        storage._enter_use()
        try:
            conn = getattr(storage._local, "conn", None)
            if conn is not None and storage._broken(conn):
                storage._local.conn = None
                storage._forget(conn)
                conn = None
            if conn is None:
                conn = storage._local.conn = storage._new_reader()
        except BaseException:
            storage._leave_use()
            raise
        return conn

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        storage = self._storage
        storage._leave_use()
        if isinstance(exc, storage._driver_error):
            raise storage._storage_error(exc, self._what) from exc


class SqlStorage(ABC):
    """The shared half of a SQL :class:`~liturgia.tlog.storage.base.LogStorage`.

    A subclass sets :attr:`MARK` and the table names, calls :meth:`_init_sql` first in its
    constructor, and implements :meth:`_write` (one transaction on its writer connection),
    :meth:`_new_reader`, :meth:`_existing` and :meth:`_insert_entries`; :meth:`_locked` and
    :meth:`_written` are optional hooks.
    """

    #: The driver's parameter mark: ``?`` (sqlite3) or ``%s`` (psycopg).
    MARK: ClassVar[str]
    ENTRIES: ClassVar[str]
    INDEX_KEYS: ClassVar[str]
    TILES: ClassVar[str]
    TREE: ClassVar[str]
    SETTINGS: ClassVar[str]
    #: Appended to the tree-size read of :meth:`commit_tree` (PostgreSQL: ``FOR UPDATE``).
    LOCK_ROW: ClassVar[str] = ""
    #: The statements of :data:`_QUERIES` for this backend (filled in per subclass).
    SQL: ClassVar[dict[str, str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Write this backend's statements once."""
        super().__init_subclass__(**kwargs)
        names = {
            "m": cls.MARK,
            "entries": cls.ENTRIES,
            "index_keys": cls.INDEX_KEYS,
            "tiles": cls.TILES,
            "tree": cls.TREE,
            "settings": cls.SETTINGS,
            "lock_row": cls.LOCK_ROW,
        }
        cls.SQL = {name: query.format(**names) for name, query in _QUERIES.items()}

    def _init_sql(self, label: str, closed_message: str, driver_error: type[Exception]) -> None:
        """Set up the bookkeeping (call first in the constructor).

        Args:
            label: what error messages start with (the file, or the database kind).
            closed_message: the message of a call after :meth:`close`.
            driver_error: the driver's base exception, turned into ``StorageError``.
        """
        self._label = label
        self._closed_message = closed_message
        self._driver_error = driver_error
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[Any] = []
        self._connections_lock = threading.Lock()
        self._idle = threading.Condition()
        self._active = 0
        self._closed = False

    # -- hooks ---------------------------------------------------------------------------------

    @abstractmethod
    def _write(self, what: str) -> AbstractContextManager[Any]:
        """One transaction on the writer connection (under the write lock), rolled back on error."""

    @abstractmethod
    def _new_reader(self) -> Any:
        """Open a connection for one reading thread (registered in ``_connections``)."""

    @abstractmethod
    def _existing(self, conn: Any, hashes: Sequence[bytes]) -> dict[bytes, int]:
        """Return ``{leaf_hash: index}`` of the stored entries among ``hashes``."""

    @abstractmethod
    def _insert_entries(
        self, conn: Any, rows: Sequence[tuple[int, bytes, bytes, int, bytes | None]]
    ) -> None:
        """Insert ``(idx, leaf_hash, body, integrated_time, seal)`` rows."""

    def _broken(self, conn: Any) -> bool:
        """Whether ``conn`` can no longer be used (its server ended it): replaced at next use."""
        del conn
        return False

    def _locked(self, conn: Any) -> None:  # noqa: B027 - an optional hook
        """Serialise sequencing across processes if the database needs more than its write lock."""

    def _written(self, conn: Any, kind: str) -> None:  # noqa: B027 - an optional hook
        """Called inside a write transaction that stored ``kind`` (``sequenced`` or ``tree``)."""

    # -- connections ---------------------------------------------------------------------------

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn the driver's errors into ``StorageError`` naming ``what`` failed
        (``StorageFullError`` when the disk is full)."""
        try:
            yield
        except self._driver_error as exc:
            raise self._storage_error(exc, what) from exc

    def _storage_error(self, exc: Exception, what: str) -> StorageError:
        """The ``StorageError`` (``StorageFullError``) a driver error ``exc`` in ``what`` is."""
        text = str(exc).strip()
        message = text.splitlines()[0] if text else type(exc).__name__
        kind = StorageFullError if _out_of_space(exc) else StorageError
        return kind(f"{self._label}: cannot {what}: {message}")

    def _register(self, conn: Any) -> Any:
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def _forget(self, conn: Any) -> None:
        """Close ``conn`` and drop it from the connections :meth:`_close_all` closes."""
        with self._connections_lock:
            if conn in self._connections:
                self._connections.remove(conn)
        conn.close()

    @contextmanager
    def _counted(self) -> Iterator[None]:
        """Count a running use of a connection, so that :meth:`_close_all` waits for it.

        Closing a connection while another thread runs a statement on it crashes sqlite3 (with
        ``check_same_thread=False``) and breaks psycopg, hence the count.
        """
        self._enter_use()
        try:
            yield
        finally:
            self._leave_use()

    def _enter_use(self) -> None:
        with self._idle:
            if self._closed:
                raise StorageError(self._closed_message)
            self._active += 1

    def _leave_use(self) -> None:
        with self._idle:
            self._active -= 1
            if self._closed:  # only :meth:`_close_all` waits, and only once closed
                self._idle.notify_all()

    def _read(self, what: str) -> AbstractContextManager[Any]:
        """This thread's reader connection, counted so that :meth:`close` waits for it.

        A context manager: ``with self._read("read entry") as conn``; the driver's errors in
        it become ``StorageError`` naming ``what``. A class rather than a generator: the
        log's hot reads go through it once each (a third of a read's own cost was the
        generator machinery).
        """
        return _Reading(self, what)

    def _close_all(self) -> None:
        """Refuse new calls, wait for running ones, close every connection (idempotent)."""
        with self._write_lock, self._idle:
            self._closed = True
            while self._active:
                self._idle.wait()
            with self._connections_lock:
                for conn in self._connections:
                    conn.close()
                self._connections.clear()

    # -- writes --------------------------------------------------------------------------------

    def sequence(
        self,
        leaves: Sequence[tuple[bytes, bytes]],
        *,
        integrated_time: int,
        index_keys: Sequence[Sequence[str]] = (),
        seal: Seal | None = None,
    ) -> tuple[Assigned, ...]:
        """Durably store new entries with the next indexes; see ``LogStorage.sequence``.

        Seals are made inside the transaction (the index is known only there): for the log's
        SignedEntryTimestamp, about 50 us per entry, paid once instead of at each read.
        """
        keys_per_leaf = check_index_keys(leaves, index_keys)
        if not leaves:
            return ()
        with self._write("store entries") as conn:
            self._locked(conn)
            existing = self._existing(conn, list({leaf_hash: None for leaf_hash, _ in leaves}))
            next_index = int(conn.execute(self.SQL["next_index"]).fetchone()[0])
            rows: list[tuple[int, bytes, bytes, int, bytes | None]] = []
            out: list[Assigned] = []
            key_rows: list[tuple[str, int]] = []
            for (leaf_hash, body), keys in zip(leaves, keys_per_leaf, strict=True):
                found = existing.get(leaf_hash)
                if found is not None:
                    out.append(Assigned(index=found, duplicate=True))
                    continue
                existing[leaf_hash] = next_index
                made = seal(next_index, body, integrated_time) if seal else None
                rows.append((next_index, leaf_hash, body, integrated_time, made))
                key_rows.extend((key, next_index) for key in set(keys))
                out.append(Assigned(index=next_index, duplicate=False))
                next_index += 1
            if rows:
                self._insert_entries(conn, rows)
                self._executemany(conn, self.SQL["insert_keys"], key_rows)
                self._written(conn, "sequenced")
        return tuple(out)

    def commit_tree(
        self, *, old_size: int, state: TreeState, tiles: Sequence[tuple[TileKey, bytes]]
    ) -> None:
        """Store tiles and the new state atomically if the tree is still at ``old_size``."""
        with self._write("store tree") as conn:
            size = self._tree_row(conn.execute(self.SQL["tree_size"]).fetchone())[0]
            if size != old_size:
                raise StorageError(
                    f"{self._label}: tree moved: stored size is {size}, update was for {old_size}"
                )
            sequenced = int(conn.execute(self.SQL["next_index"]).fetchone()[0])
            if state.size > sequenced:
                raise StorageError(
                    f"{self._label}: tree size {state.size} exceeds the {sequenced} sequenced "
                    "entries"
                )
            self._executemany(
                conn,
                self.SQL["upsert_tile"],
                [(key.level, key.index, data) for key, data in tiles],
            )
            conn.execute(self.SQL["set_state"], (state.size, state.root, state.checkpoint))
            self._written(conn, "tree")

    def claim_setting(self, name: str, value: str) -> str:
        """Store ``value`` under ``name`` if none is stored; see ``LogStorage.claim_setting``.

        ``INSERT ... ON CONFLICT DO NOTHING`` then ``SELECT`` in one write transaction. On
        PostgreSQL (read committed) an insert that meets another session's uncommitted row of
        the same name waits for it, then does nothing, and the ``SELECT`` (a new snapshot) sees
        the committed winner; on SQLite the transaction holds the database's write lock.
        """
        with self._write(f"store setting {name}") as conn:
            conn.execute(self.SQL["claim_setting"], (name, value))
            row = conn.execute(self.SQL["setting"], (name,)).fetchone()
        if row is None:  # pragma: no cover - the row was just inserted or found
            raise StorageError(f"{self._label}: setting {name} vanished while claimed")
        return str(row[0])

    @staticmethod
    def _executemany(conn: Any, query: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cursor = conn.cursor()
        try:
            cursor.executemany(query, rows)
        finally:
            cursor.close()

    def _tree_row(self, row: Any) -> Any:
        if row is None:
            raise StorageError(f"{self._label}: the tree row is missing")
        return row

    # -- reads ---------------------------------------------------------------------------------

    def sequenced_size(self) -> int:
        """Return the number of entries stored."""
        with self._read("read entries") as conn:
            return int(conn.execute(self.SQL["next_index"]).fetchone()[0])

    def read_state(self) -> TreeState:
        """Return the integrated tree state."""
        with self._read("read tree state") as conn:
            size, root, checkpoint = self._tree_row(conn.execute(self.SQL["state"]).fetchone())
        return TreeState(size=int(size), root=bytes(root), checkpoint=bytes(checkpoint))

    def read_leaf_hashes(self, start: int, end: int) -> tuple[bytes, ...]:
        """Return the leaf hashes of entries ``[start, end)``."""
        with self._read("read entries") as conn:
            rows = conn.execute(self.SQL["leaf_hashes"], (start, end)).fetchall()
        return tuple(bytes(row[0]) for row in rows)

    def read_entry(self, index: int) -> StoredEntry | None:
        """Return entry ``index`` or ``None``."""
        with self._read("read entry") as conn:
            row = conn.execute(self.SQL["entry"], (index,)).fetchone()
        if row is None:
            return None
        return StoredEntry(
            index=index, body=bytes(row[0]), integrated_time=int(row[1]), seal=bytes(row[2] or b"")
        )

    def read_entries(self, indexes: Collection[int]) -> Mapping[int, StoredEntry]:
        """Return the stored entries among ``indexes``, keyed by index (one query per 500)."""
        rows = self._select_entries("idx", sorted(set(indexes)), "read entries")
        return {entry.index: entry for _, entry in rows}

    def find_entries(self, leaf_hashes: Collection[bytes]) -> Mapping[bytes, StoredEntry]:
        """Return the stored entries among ``leaf_hashes``, keyed by leaf hash (one query per
        500, on the unique leaf-hash index)."""
        return dict(self._select_entries("leaf_hash", sorted(set(leaf_hashes)), "read entries"))

    def _select_entries(
        self, column: str, keys: Sequence[Any], what: str
    ) -> list[tuple[bytes, StoredEntry]]:
        """``(leaf hash, entry)`` of the stored entries whose ``column`` is among ``keys``.

        One query per 500 keys (SQLite's default limit of bound parameters was 999 before
        3.32); PostgreSQL overrides it with one ``= ANY`` query.
        """
        found: list[tuple[bytes, StoredEntry]] = []
        if not keys:
            return found
        with self._read(what) as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ", ".join([self.MARK] * len(chunk))
                query = (
                    f"SELECT {ENTRY_ROW} FROM {self.ENTRIES} "  # noqa: S608 - only marks, fixed columns and the fixed table name are interpolated
                    f"WHERE {column} IN ({marks})"
                )
                found.extend(stored_rows(conn.execute(query, chunk).fetchall()))
        return found

    def find_by_key(self, key: str) -> tuple[int, ...]:
        """Return the indexes stored with search ``key``."""
        with self._read("search entries") as conn:
            rows = conn.execute(self.SQL["by_key"], (key,)).fetchall()
        return tuple(int(row[0]) for row in rows)

    def read_setting(self, name: str) -> str | None:
        """Return the value stored under ``name``, or ``None``."""
        with self._read("read settings") as conn:
            row = conn.execute(self.SQL["setting"], (name,)).fetchone()
        return None if row is None else str(row[0])

    def find_entry(self, leaf_hash: bytes) -> StoredEntry | None:
        """Return the entry with ``leaf_hash`` or ``None`` (one indexed read)."""
        with self._read("read entry") as conn:
            row = conn.execute(self.SQL["entry_by_hash"], (leaf_hash,)).fetchone()
        if row is None:
            return None
        return StoredEntry(
            index=int(row[0]),
            body=bytes(row[1]),
            integrated_time=int(row[2]),
            seal=bytes(row[3] or b""),
        )

    def find_index(self, leaf_hash: bytes) -> int | None:
        """Return the index of ``leaf_hash`` or ``None``."""
        with self._read("read entry") as conn:
            row = conn.execute(self.SQL["by_hash"], (leaf_hash,)).fetchone()
        return None if row is None else int(row[0])
