"""PostgreSQL storage for the transparency log (psycopg 3), shared by several processes.

Needs the ``postgres`` extra (``psycopg``). The tables mirror the SQLite backend. What changes
is that several API processes, on several machines, may write to one log:

* :meth:`PostgresStorage.sequence` takes a transaction-scoped advisory lock before reading the
  next index, so concurrent sequencers hand out dense, distinct indexes, one batch at a time;
  duplicates are found under the same lock, so one leaf hash never gets two indexes.
* :meth:`PostgresStorage.commit_tree` locks the tree row (``FOR UPDATE``) and refuses an update
  computed from another size: two integrators cannot both move the tree.
* One process at a time integrates and signs: the holder of the **lead**, a session-level
  advisory lock (``pg_try_advisory_lock``, a key of its own per schema) held on a dedicated
  connection, so PostgreSQL frees it when the holder's connection drops (a crashed or killed
  process). The others keep sequencing and follow the tree.
* Both writes ``NOTIFY`` a channel of the schema in their transaction; a follower listens on
  it (:meth:`PostgresStorage.wait_for_change`), so it learns of a new tree at once, without
  polling; notifications of its own writes are skipped.

Connections: a storage object holds at most ``pool_size + 3`` sessions, whatever the number of
threads using it: the writer, the lease of the lead, **one** listener shared by every waiting
thread (one of them reads it, the others wait for what it saw), and a bounded pool of reader
connections (:class:`_ReaderPool`). A read that finds every reader busy waits up to
``pool_timeout`` seconds for one, then fails with a ``StorageError`` saying so (the API answers
503). Each session is named by ``fallback_application_name`` (``liturgia log writer``,
``... lead``, ``... listener``, ``... reader``) unless the DSN sets ``application_name``, so
``pg_stat_activity`` shows who holds what. Before this bound, every server thread opened a
reader of its own: two workers under 200 users exceeded ``max_connections`` (100 by default)
and 1.7 % of submissions got 503 "too many clients already" (issue 16).

Overload: every session gives up a statement that waits longer than ``lock_timeout`` for a
lock (another client's ``LOCK TABLE``, a long transaction) or runs longer than
``statement_timeout``, so that a request fails fast (the API answers 503 with ``Retry-After``)
instead of waiting as long as the lock is held; a broken connection is replaced at its next
use, so the log recovers without a restart once the database does.

Schema: versioned in ``tlog_schema`` (:data:`SCHEMA_VERSION`), migrated forward at open under
the sequencing lock, never back (a newer database is refused). Version 2 added
``tlog_entries.seal`` (the SignedEntryTimestamp, made at write time); a database of version 1
(before ``tlog_schema`` existed) gets the column, its old rows keep a NULL seal and are signed
when read.

Durability: a transaction is acknowledged after PostgreSQL's ``COMMIT`` returns, which with the
server defaults (``fsync = on``, ``synchronous_commit = on``) means its WAL record is flushed.
:meth:`PostgresStorage.__init__` refuses a session whose ``synchronous_commit`` is ``off``.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from liturgia._internal.extras import import_extra
from liturgia.errors import StorageError
from liturgia.tlog.storage._sql import ENTRY_ROW, SqlStorage, stored_rows
from liturgia.tlog.storage.base import StoredEntry
from liturgia.tlog.tiles import TileKey

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "ADVISORY_LOCK_KEY",
    "APPLICATION_NAME",
    "LEASE_CHECK_SECONDS",
    "LOCK_TIMEOUT_SECONDS",
    "POOL_SIZE",
    "POOL_TIMEOUT_SECONDS",
    "SCHEMA_VERSION",
    "STATEMENT_TIMEOUT_SECONDS",
    "PostgresStorage",
    "lead_lock_key",
]

#: Version of the table layout, stored in ``tlog_schema``; see the module docstring.
SCHEMA_VERSION = 2

#: The advisory lock key that serialises sequencing (an arbitrary, fixed int64).
ADVISORY_LOCK_KEY = 0x6C69747572676961  # "liturgia"


#: Seconds a held lead is trusted before :meth:`PostgresStorage.try_lead` checks its connection.
LEASE_CHECK_SECONDS = 0.05
#: Seconds a statement may wait for a lock before PostgreSQL cancels it (``lock_timeout``).
LOCK_TIMEOUT_SECONDS = 2.0
#: Seconds a statement may run before PostgreSQL cancels it (``statement_timeout``).
STATEMENT_TIMEOUT_SECONDS = 15.0
#: Reader connections of one storage object (one process) at most.
POOL_SIZE = 10
#: Seconds a read waits for a free reader connection before it fails (``StorageError``).
POOL_TIMEOUT_SECONDS = 5.0
#: The ``application_name`` prefix of the sessions (``liturgia log reader`` etc.).
APPLICATION_NAME = "liturgia log"


def lead_lock_key(schema: str) -> int:
    """The advisory lock key of the lead of the log in ``schema`` (a signed int64).

    Advisory locks are per database; keying the lead by schema lets logs in different schemas
    of one database each have their own leader.
    """
    digest = hashlib.sha256(b"liturgia lead\0" + schema.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _channel(schema: str) -> str:
    """The NOTIFY channel of the log in ``schema`` (a plain identifier)."""
    return "liturgia_" + hashlib.sha256(schema.encode()).hexdigest()[:16]


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tlog_entries (
        idx BIGINT PRIMARY KEY,
        leaf_hash BYTEA NOT NULL UNIQUE,
        body BYTEA NOT NULL,
        integrated_time BIGINT NOT NULL,
        seal BYTEA
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
    # Added after the first release: created here on the next start of an older database too.
    """CREATE TABLE IF NOT EXISTS tlog_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """INSERT INTO tlog_tree (id, size, root, checkpoint)
        VALUES (0, 0, decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
                              'hex'), '')
        ON CONFLICT (id) DO NOTHING""",
    """CREATE TABLE IF NOT EXISTS tlog_schema (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        version INTEGER NOT NULL
    )""",
)

#: What moves a database of version ``key - 1`` to ``key`` (idempotent; run under the lock).
#: ``ADD COLUMN`` of a nullable column without default changes only the catalogue.
_MIGRATIONS = {
    2: ("ALTER TABLE tlog_entries ADD COLUMN IF NOT EXISTS seal BYTEA",),
}


def _psycopg() -> Any:
    return import_extra("psycopg", extra="postgres", feature="PostgreSQL log storage")


class _ReaderPool:
    """At most ``size`` reader connections, lent to one thread at a time.

    A thread takes a connection (an idle one, else a new one while fewer than ``size`` exist),
    waiting up to ``timeout`` seconds when all are lent; a connection given back broken (its
    session ended) is closed, so the next taker opens a fresh one. Opening a connection fails
    at once with the database's own error (e.g. "too many clients already"), not after the
    timeout: overload answers fast. (psycopg_pool opens connections in background workers
    with a backoff of seconds and turns such errors into a ``PoolTimeout`` after the wait.)
    """

    def __init__(
        self,
        size: int,
        timeout: float,
        connect: Callable[[], psycopg.Connection[Any]],
        forget: Callable[[psycopg.Connection[Any]], None],
    ) -> None:
        self.size = size
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._connect = connect
        self._forget = forget

    def take(self, label: str, what: str) -> psycopg.Connection[Any]:
        """Lend a connection; ``StorageError`` naming ``what`` if none frees up in time."""
        if not self._slots.acquire(timeout=self.timeout):
            raise StorageError(
                f"{label}: cannot {what}: all {self.size} reader connections busy for "
                f"{self.timeout:g} s (the database is slow or overloaded; retry later)"
            )
        try:
            while True:
                with self._lock:
                    conn = self._idle.pop() if self._idle else None
                if conn is None:
                    return self._connect()
                if not (conn.broken or conn.closed):
                    return conn
                self._forget(conn)
        except BaseException:
            self._slots.release()
            raise

    def give_back(self, conn: psycopg.Connection[Any]) -> None:
        """Return a lent connection (closed instead if its session ended)."""
        try:
            if conn.broken or conn.closed:
                self._forget(conn)
            else:
                with self._lock:
                    self._idle.append(conn)
        finally:
            self._slots.release()


class PostgresStorage(SqlStorage):
    """A :class:`~liturgia.tlog.storage.base.LogStorage` in a PostgreSQL database.

    Args:
        dsn: a libpq connection string or ``postgresql://`` URL.
        connect_timeout: seconds to wait for a connection.
        pool_size: reader connections at most (shared by every reading thread).
        pool_timeout: seconds a read waits for a free reader connection before it fails
            (``StorageError``).
        lock_timeout: seconds a statement waits for a lock before it fails (``StorageError``).
        statement_timeout: seconds a statement may run before it fails (``StorageError``).

    Raises:
        ConfigError: psycopg is not installed.
        StorageError: the database cannot be reached or prepared, or commits are not durable.
        ValueError: ``pool_size`` below 1 or ``pool_timeout`` negative.
    """

    #: A read is a round trip to the server and may wait for a pooled connection or a lock
    #: (see ``LogStorage.local_reads``).
    local_reads = False
    MARK = "%s"
    ENTRIES = "tlog_entries"
    INDEX_KEYS = "tlog_index_keys"
    TILES = "tlog_tiles"
    TREE = "tlog_tree"
    SETTINGS = "tlog_settings"
    LOCK_ROW = " FOR UPDATE"

    def __init__(
        self,
        dsn: str,
        *,
        connect_timeout: int = 10,
        pool_size: int = POOL_SIZE,
        pool_timeout: float = POOL_TIMEOUT_SECONDS,
        lock_timeout: float = LOCK_TIMEOUT_SECONDS,
        statement_timeout: float = STATEMENT_TIMEOUT_SECONDS,
    ) -> None:
        if pool_size < 1:
            raise ValueError(f"pool_size must be at least 1, not {pool_size}")
        if not pool_timeout >= 0:
            raise ValueError(f"pool_timeout must not be negative, not {pool_timeout}")
        self._pg = _psycopg()
        self._session_timeouts = (
            f"{max(1, round(lock_timeout * 1000))}ms",
            f"{max(1, round(statement_timeout * 1000))}ms",
        )
        self._init_sql("PostgreSQL log storage", "PostgreSQL log storage is closed", self._pg.Error)
        self._dsn = dsn
        self._timeout = connect_timeout
        self._lead_lock = threading.Lock()
        self._lease: psycopg.Connection[Any] | None = None
        self._leading = False
        self._confirmed = 0.0
        self._lead_key = 0
        self._channel = ""
        self._readers = _ReaderPool(
            pool_size, pool_timeout, lambda: self._connect(autocommit=True), self._forget
        )
        # The listener shared by every waiting thread; ``_notes`` guards it and the count.
        self._notes = threading.Condition()
        self._listener: psycopg.Connection[Any] | None = None
        self._listening = False  # a thread is reading the listener (outside ``_notes``)
        self._changes = 0  # notifications of other sessions seen, plus one per new listener
        self._writer = self._connect(autocommit=False, role="writer")
        self._writer_pid = self._writer.info.backend_pid
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        """Name the backend without the connection string (it may hold a password)."""
        return "PostgresStorage(...)"

    # -- connections ---------------------------------------------------------------------------

    def _connect(self, *, autocommit: bool, role: str = "reader") -> psycopg.Connection[Any]:
        with self._errors("connect"):
            conn: psycopg.Connection[Any] = self._pg.connect(
                self._dsn,
                autocommit=autocommit,
                connect_timeout=self._timeout,
                fallback_application_name=f"{APPLICATION_NAME} {role}",
            )
        try:
            with self._errors("configure the session"):
                # Session settings, not options in the DSN: the user's DSN may carry options.
                conn.execute(
                    "SELECT set_config('lock_timeout', %s, false), "
                    "set_config('statement_timeout', %s, false)",
                    self._session_timeouts,
                )
                if not autocommit:
                    conn.commit()
        except BaseException:
            conn.close()
            raise
        self._register(conn)
        return conn

    def _new_reader(self) -> psycopg.Connection[Any]:
        return self._connect(autocommit=True)

    @contextmanager
    def _read(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        """A reader connection from the pool for one read, counted so that :meth:`close`
        waits for it; ``StorageError`` if none is free within ``pool_timeout``."""
        with self._counted():
            conn = self._readers.take(self._label, what)
            try:
                with self._errors(what):
                    yield conn
            finally:
                self._readers.give_back(conn)

    def _broken(self, conn: psycopg.Connection[Any]) -> bool:
        return bool(conn.broken or conn.closed)

    def _prepare(self) -> None:
        with self._write("prepare tables") as conn:
            setting = conn.execute("SHOW synchronous_commit").fetchone()
            if setting is None or str(setting[0]).lower() == "off":
                raise StorageError("PostgreSQL synchronous_commit is off: commits are not durable")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            version = self._schema_version(conn)
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"PostgreSQL log schema version {version} is newer than {SCHEMA_VERSION}"
                )
            for statement in _SCHEMA:
                conn.execute(statement)
            if version < SCHEMA_VERSION:
                for step in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[step]:
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO tlog_schema (id, version) VALUES (0, %s) "
                    "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                    (SCHEMA_VERSION,),
                )
            found = conn.execute("SELECT current_schema()").fetchone()
            schema = str(found[0]) if found and found[0] else "public"
        self._lead_key = lead_lock_key(schema)
        self._channel = _channel(schema)

    @staticmethod
    def _schema_version(conn: psycopg.Connection[Any]) -> int:
        """The stored schema version: 0 for an empty database, 1 for one made before
        ``tlog_schema`` existed."""
        found = conn.execute(
            "SELECT to_regclass('tlog_schema') IS NOT NULL, to_regclass('tlog_entries') IS NOT NULL"
        ).fetchone()
        has_schema, has_entries = bool(found and found[0]), bool(found and found[1])
        if has_schema:
            row = conn.execute("SELECT version FROM tlog_schema WHERE id = 0").fetchone()
            if row is not None:
                return int(row[0])
        return 1 if has_entries else 0

    @contextmanager
    def _write(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on the writer connection, rolled back on any error."""
        with self._write_lock:
            if self._closed:
                raise StorageError(self._closed_message)
            conn = self._writer
            if self._broken(conn):  # ended by the server: a new session (or StorageError)
                self._forget(conn)
                conn = self._writer = self._connect(autocommit=False, role="writer")
                self._writer_pid = conn.info.backend_pid
            with self._errors(what), conn.transaction():
                yield conn

    # -- backend statements --------------------------------------------------------------------

    def _locked(self, conn: psycopg.Connection[Any]) -> None:
        """One sequencer at a time across every process sharing the database."""
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))

    def _written(self, conn: psycopg.Connection[Any], kind: str) -> None:
        """Notify the followers (delivered at commit)."""
        conn.execute("SELECT pg_notify(%s, %s)", (self._channel, kind))

    def _existing(self, conn: psycopg.Connection[Any], hashes: Sequence[bytes]) -> dict[bytes, int]:
        rows = conn.execute(
            "SELECT leaf_hash, idx FROM tlog_entries WHERE leaf_hash = ANY(%s)", (list(hashes),)
        ).fetchall()
        return {bytes(h): int(i) for h, i in rows}

    def _insert_entries(
        self,
        conn: psycopg.Connection[Any],
        rows: Sequence[tuple[int, bytes, bytes, int, bytes | None]],
    ) -> None:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY tlog_entries (idx, leaf_hash, body, integrated_time, seal) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)

    # -- reads ---------------------------------------------------------------------------------

    def _select_entries(
        self, column: str, keys: Sequence[Any], what: str
    ) -> list[tuple[bytes, StoredEntry]]:
        """One ``= ANY(array)`` query whatever the number of keys: one statement text, which
        psycopg prepares once per connection (an ``IN`` list is a new text per length). Its
        rows come in the binary format: a body arrives as its bytes, not as hex text to decode
        (a quarter less client CPU a row)."""
        if not keys:
            return []
        with self._read(what) as conn, conn.cursor(binary=True) as cursor:
            rows = cursor.execute(
                f"SELECT {ENTRY_ROW} FROM tlog_entries WHERE {column} = ANY(%s)",  # noqa: S608 - fixed column names only
                (list(keys),),
            ).fetchall()
        return list(stored_rows(rows))

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

    # -- the lead ------------------------------------------------------------------------------

    def try_lead(self) -> bool:
        """Hold the session advisory lock of the lead; see ``LogStorage.try_lead``.

        The lock lives on a connection of its own (not the writer's, whose transactions come
        and go), kept open between attempts. While leading, the connection is checked with one
        round trip at most every :data:`LEASE_CHECK_SECONDS`; a broken lease connection means
        the lock is lost: it is reopened and the lock asked for again.
        """
        with self._lead_lock:
            if self._closed:
                raise StorageError("PostgreSQL log storage is closed")
            lease = self._lease
            if lease is not None and self._leading:
                if time.monotonic() - self._confirmed < LEASE_CHECK_SECONDS:
                    return True
                try:  # a live session keeps its locks: one round trip confirms the lead
                    with self._errors("check the lead"):
                        lease.execute("SELECT 1")
                except StorageError:
                    self._drop_lease()  # lost with its connection: ask again below
                    lease = None
                else:
                    self._confirmed = time.monotonic()
                    return True
            if lease is not None and (lease.broken or lease.closed):
                self._drop_lease()
                lease = None
            if lease is None:
                lease = self._lease = self._connect(autocommit=True, role="lead")
            try:
                with self._errors("take the lead"):
                    row = lease.execute(
                        "SELECT pg_try_advisory_lock(%s)", (self._lead_key,)
                    ).fetchone()
            except StorageError:
                self._drop_lease()
                raise
            self._leading = bool(row and row[0])
            self._confirmed = time.monotonic()
            return self._leading

    def _drop_lease(self) -> None:
        """Close the lease connection (PostgreSQL frees its locks); the lock is held."""
        lease, self._lease, self._leading = self._lease, None, False
        if lease is not None:
            self._forget(lease)

    def release_lead(self) -> None:
        """Unlock the lead if held (closing the lease connection if the unlock fails)."""
        with self._lead_lock:
            if not self._leading or self._lease is None:
                return
            try:
                with self._errors("release the lead"):
                    self._lease.execute("SELECT pg_advisory_unlock(%s)", (self._lead_key,))
                self._leading = False
            except StorageError:
                self._drop_lease()

    def wait_for_change(self, timeout: float, *, poll: float = 0.002) -> bool:
        """Wait for a notification of another session's write; see ``LogStorage``.

        Every thread shares one listening connection: the first waiting thread reads it, the
        others wait on a condition for what it sees; each thread remembers the count of changes
        it last saw. ``poll`` is unused (notifications are pushed). A broken listening
        connection is dropped and raises, which the caller treats as "may have changed"; the
        next call listens anew and answers ``True`` in every thread (changes may be missed).
        """
        deadline = time.monotonic() + timeout
        with self._counted():
            seen: int | None = getattr(self._local, "changes", None)
            while True:
                with self._notes:
                    listener = self._listener or self._listen()
                    if self._changes != seen:
                        self._local.changes = self._changes
                        return True
                    remaining = deadline - time.monotonic()
                    if self._listening:  # another thread reads: wait for what it sees
                        if remaining <= 0:
                            return False
                        self._notes.wait(remaining)
                        continue
                    self._listening = True
                changed = False
                try:
                    with self._errors("wait for notifications"):
                        changed = self._notified(listener, max(0.0, remaining))
                except StorageError:
                    with self._notes:
                        if self._listener is listener:
                            self._listener = None
                            self._forget(listener)
                    raise
                finally:
                    with self._notes:
                        self._listening = False
                        self._changes += changed
                        self._notes.notify_all()
                if not changed and remaining <= 0:
                    return False

    def _listen(self) -> psycopg.Connection[Any]:
        """Open the shared listener (``_notes`` is held); count it as a change."""
        listener = self._connect(autocommit=True, role="listener")
        try:
            with self._errors("listen"):
                listener.execute(f"LISTEN {self._channel}")
        except StorageError:
            self._forget(listener)
            raise
        self._listener = listener
        self._changes += 1  # changes before listening were not seen
        return listener

    def _notified(self, listener: psycopg.Connection[Any], timeout: float) -> bool:
        """Whether a notification from another session arrives within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        changed = False
        while True:
            # Once a change is seen, only drain what is queued (the next read starts afresh).
            wait = 0.0 if changed else max(0.0, deadline - time.monotonic())
            notes = list(listener.notifies(timeout=wait, stop_after=1))
            if not notes:
                return changed
            changed = changed or any(note.pid != self._writer_pid for note in notes)

    def close(self) -> None:
        """Give up the lead, wait for running reads, then close every connection (idempotent).

        The lead is unlocked explicitly first: PostgreSQL frees a closed session's locks only
        once its backend has exited, a moment after the client hung up.
        """
        with self._lead_lock:
            self._closed = True  # no new lease, reads or writes from here on
            if self._leading and self._lease is not None:
                with contextlib.suppress(self._pg.Error):
                    self._lease.execute("SELECT pg_advisory_unlock(%s)", (self._lead_key,))
            self._leading = False
        self._close_all()
        with self._lead_lock:
            self._lease, self._leading = None, False
