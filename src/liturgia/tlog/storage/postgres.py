"""PostgreSQL storage for the transparency log (psycopg 3), shared by several processes.

Needs the ``postgres`` extra (``psycopg``). The tables mirror the SQLite backend. What changes
is that several API processes, on several machines, may write to one log:

* :meth:`PostgresStorage.sequence` takes a transaction-scoped advisory lock before reading the
  next index, so concurrent sequencers hand out dense, distinct indexes, one batch at a time;
  duplicates are found under the same lock, so one leaf hash never gets two indexes.
* :meth:`PostgresStorage.commit_tree` locks the tree row (``FOR UPDATE``) and refuses an update
  computed from another size: two integrators cannot both move the tree.

Durability: a transaction is acknowledged after PostgreSQL's ``COMMIT`` returns, which with the
server defaults (``fsync = on``, ``synchronous_commit = on``) means its WAL record is flushed.
:meth:`PostgresStorage.__init__` refuses a session whose ``synchronous_commit`` is ``off``.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from liturgia.errors import ConfigError, StorageError
from liturgia.tlog.storage.base import Assigned, StoredEntry, TreeState, check_index_keys
from liturgia.tlog.tiles import TileKey

if TYPE_CHECKING:
    import psycopg

__all__ = ["ADVISORY_LOCK_KEY", "PostgresStorage"]

#: The advisory lock key that serialises sequencing (an arbitrary, fixed int64).
ADVISORY_LOCK_KEY = 0x6C69747572676961  # "liturgia"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tlog_entries (
        idx BIGINT PRIMARY KEY,
        leaf_hash BYTEA NOT NULL UNIQUE,
        body BYTEA NOT NULL,
        integrated_time BIGINT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS tlog_index_keys (
        key TEXT NOT NULL,
        idx BIGINT NOT NULL,
        PRIMARY KEY (key, idx)
    )""",
    """CREATE TABLE IF NOT EXISTS tlog_tiles (
        level INTEGER NOT NULL,
        idx BIGINT NOT NULL,
        hashes BYTEA NOT NULL,
        PRIMARY KEY (level, idx)
    )""",
    """CREATE TABLE IF NOT EXISTS tlog_tree (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        size BIGINT NOT NULL,
        root BYTEA NOT NULL,
        checkpoint BYTEA NOT NULL
    )""",
    """INSERT INTO tlog_tree (id, size, root, checkpoint)
        VALUES (0, 0, decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
                              'hex'), '')
        ON CONFLICT (id) DO NOTHING""",
)


def _psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415 - optional dependency, imported when used
    except ImportError as exc:
        raise ConfigError(
            "PostgreSQL log storage needs psycopg: install liturgia[postgres]"
        ) from exc
    return psycopg


class PostgresStorage:
    """A :class:`~liturgia.tlog.storage.base.LogStorage` in a PostgreSQL database.

    Args:
        dsn: a libpq connection string or ``postgresql://`` URL.
        connect_timeout: seconds to wait for a connection.

    Raises:
        ConfigError: psycopg is not installed.
        StorageError: the database cannot be reached or prepared, or commits are not durable.
    """

    def __init__(self, dsn: str, *, connect_timeout: int = 10) -> None:
        self._pg = _psycopg()
        self._dsn = dsn
        self._timeout = connect_timeout
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        self._connections_lock = threading.Lock()
        self._idle = threading.Condition()
        self._active = 0
        self._closed = False
        self._writer = self._connect(autocommit=False)
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        """Name the backend without the connection string (it may hold a password)."""
        return "PostgresStorage(...)"

    # -- connections ---------------------------------------------------------------------------

    def _connect(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        with self._errors("connect"):
            conn: psycopg.Connection[Any] = self._pg.connect(
                self._dsn, autocommit=autocommit, connect_timeout=self._timeout
            )
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def _prepare(self) -> None:
        with self._write("prepare tables") as conn:
            setting = conn.execute("SHOW synchronous_commit").fetchone()
            if setting is None or str(setting[0]).lower() == "off":
                raise StorageError("PostgreSQL synchronous_commit is off: commits are not durable")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            for statement in _SCHEMA:
                conn.execute(statement)

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except self._pg.Error as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StorageError(f"PostgreSQL log storage: cannot {what}: {message}") from exc

    @contextmanager
    def _write(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on the writer connection, rolled back on any error."""
        with self._write_lock:
            if self._closed:
                raise StorageError("PostgreSQL log storage is closed")
            conn = self._writer
            with self._errors(what), conn.transaction():
                yield conn

    @contextmanager
    def _read(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        """This thread's autocommit reader connection, counted so :meth:`close` waits for it."""
        with self._idle:
            if self._closed:
                raise StorageError("PostgreSQL log storage is closed")
            self._active += 1
        try:
            conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._connect(autocommit=True)
                self._local.conn = conn
            with self._errors(what):
                yield conn
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

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
            # One sequencer at a time across every process sharing the database.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            hashes = list({leaf_hash: None for leaf_hash, _ in leaves})
            rows = conn.execute(
                "SELECT leaf_hash, idx FROM tlog_entries WHERE leaf_hash = ANY(%s)", (hashes,)
            ).fetchall()
            existing: dict[bytes, int] = {bytes(h): int(i) for h, i in rows}
            found = conn.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM tlog_entries").fetchone()
            next_index = int(found[0]) if found else 0
            new_rows: list[tuple[int, bytes, bytes, int]] = []
            out: list[Assigned] = []
            key_rows: list[tuple[str, int]] = []
            for (leaf_hash, body), keys in zip(leaves, keys_per_leaf, strict=True):
                index = existing.get(leaf_hash)
                if index is not None:
                    out.append(Assigned(index=index, duplicate=True))
                    continue
                existing[leaf_hash] = next_index
                new_rows.append((next_index, leaf_hash, body, integrated_time))
                key_rows.extend((key, next_index) for key in set(keys))
                out.append(Assigned(index=next_index, duplicate=False))
                next_index += 1
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY tlog_entries (idx, leaf_hash, body, integrated_time) FROM STDIN"
                ) as copy,
            ):
                for row in new_rows:
                    copy.write_row(row)
            if key_rows:
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO tlog_index_keys (key, idx) VALUES (%s, %s)", key_rows
                    )
        return tuple(out)

    def commit_tree(
        self, *, old_size: int, state: TreeState, tiles: Sequence[tuple[TileKey, bytes]]
    ) -> None:
        """Store tiles and the new state atomically if the tree is still at ``old_size``."""
        with self._write("store tree") as conn:
            row = conn.execute("SELECT size FROM tlog_tree WHERE id = 0 FOR UPDATE").fetchone()
            size = int(row[0]) if row else 0
            if size != old_size:
                raise StorageError(f"tree moved: stored size is {size}, update was for {old_size}")
            found = conn.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM tlog_entries").fetchone()
            sequenced = int(found[0]) if found else 0
            if state.size > sequenced:
                raise StorageError(
                    f"tree size {state.size} exceeds the {sequenced} sequenced entries"
                )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO tlog_tiles (level, idx, hashes) VALUES (%s, %s, %s) "
                    "ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes",
                    [(key.level, key.index, data) for key, data in tiles],
                )
            conn.execute(
                "UPDATE tlog_tree SET size = %s, root = %s, checkpoint = %s WHERE id = 0",
                (state.size, state.root, state.checkpoint),
            )

    # -- reads ---------------------------------------------------------------------------------

    def sequenced_size(self) -> int:
        """Return the number of entries stored."""
        with self._read("read entries") as conn:
            row = conn.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM tlog_entries").fetchone()
        return int(row[0]) if row else 0

    def read_state(self) -> TreeState:
        """Return the integrated tree state."""
        with self._read("read tree state") as conn:
            row = conn.execute(
                "SELECT size, root, checkpoint FROM tlog_tree WHERE id = 0"
            ).fetchone()
        if row is None:
            raise StorageError("PostgreSQL log storage: the tree row is missing")
        return TreeState(size=int(row[0]), root=bytes(row[1]), checkpoint=bytes(row[2]))

    def read_leaf_hashes(self, start: int, end: int) -> tuple[bytes, ...]:
        """Return the leaf hashes of entries ``[start, end)``."""
        with self._read("read entries") as conn:
            rows = conn.execute(
                "SELECT leaf_hash FROM tlog_entries WHERE idx >= %s AND idx < %s ORDER BY idx",
                (start, end),
            ).fetchall()
        return tuple(bytes(row[0]) for row in rows)

    def read_entry(self, index: int) -> StoredEntry | None:
        """Return entry ``index`` or ``None``."""
        with self._read("read entry") as conn:
            row = conn.execute(
                "SELECT body, integrated_time FROM tlog_entries WHERE idx = %s", (index,)
            ).fetchone()
        if row is None:
            return None
        return StoredEntry(index=index, body=bytes(row[0]), integrated_time=int(row[1]))

    def find_by_key(self, key: str) -> tuple[int, ...]:
        """Return the indexes stored with search ``key``."""
        with self._read("search entries") as conn:
            rows = conn.execute(
                "SELECT idx FROM tlog_index_keys WHERE key = %s ORDER BY idx", (key,)
            ).fetchall()
        return tuple(int(row[0]) for row in rows)

    def find_index(self, leaf_hash: bytes) -> int | None:
        """Return the index of ``leaf_hash`` or ``None``."""
        with self._read("read entry") as conn:
            row = conn.execute(
                "SELECT idx FROM tlog_entries WHERE leaf_hash = %s", (leaf_hash,)
            ).fetchone()
        return None if row is None else int(row[0])

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        """Return the stored tiles among ``keys`` in one round trip (primary-key lookups)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        with self._read("read tiles") as conn:
            rows = conn.execute(
                "SELECT t.level, t.idx, t.hashes FROM tlog_tiles AS t "
                "JOIN unnest(%s::integer[], %s::bigint[]) AS k(level, idx) "
                "ON t.level = k.level AND t.idx = k.idx",
                ([key.level for key in wanted], [key.index for key in wanted]),
            ).fetchall()
        return {TileKey(level=int(lv), index=int(ix)): bytes(data) for lv, ix, data in rows}

    def close(self) -> None:
        """Wait for running reads, then close every connection (idempotent)."""
        with self._write_lock, self._idle:
            self._closed = True
            while self._active:
                self._idle.wait()
            with self._connections_lock:
                for conn in self._connections:
                    conn.close()
                self._connections.clear()
