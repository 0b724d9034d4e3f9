"""Release records, stage events and project tokens, in the log's own database.

The cockpit's data lives beside the transparency log, in the database ``liturgia serve --db``
names (SQLite by default, PostgreSQL by URL), in tables of its own (``cockpit_*``) whose
layout is versioned: :data:`MIGRATIONS` lists each version's statements, and
:meth:`RecordStore.migrate` applies the ones a database lacks, in order, each in one
transaction, under a lock every server process takes (SQLite's ``BEGIN IMMEDIATE``, a
PostgreSQL advisory lock), and records it in ``cockpit_migrations``. A database newer than
this code (a version it does not know) is refused rather than misread.

Writes are idempotent: an event is named by ``(project, run, seq)`` and a record by
``(project, version)``; a repeat with the same content (SHA-256 of its canonical JSON) is
stored once and answered as a repeat, different content under the same name is a
:class:`RecordConflictError`. Each write is committed before it is acknowledged.

Tokens (``lit_<id>_<secret>``) are shown once when created; only the SHA-256 of the secret is
stored, and a presented token is compared with :func:`hmac.compare_digest` (constant time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from liturgia.errors import ConfigError, InputError, StorageError
from liturgia.release.record import PROJECT_PATTERN, ReleaseRecord, RollbackMark, StageEvent

__all__ = [
    "MIGRATIONS",
    "RecordConflictError",
    "RecordStore",
    "TokenInfo",
    "open_records",
]

#: Each schema version's statements, in order (never edit a published one: add a version).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE cockpit_tokens (id TEXT PRIMARY KEY, project TEXT NOT NULL, "
        "secret_sha256 TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)",
        "CREATE TABLE cockpit_releases (project TEXT NOT NULL, version TEXT NOT NULL, "
        "decision TEXT NOT NULL, dry_run INTEGER NOT NULL, received_at TEXT NOT NULL, "
        "run TEXT, digest TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (project, version))",
        "CREATE INDEX cockpit_releases_by_time ON cockpit_releases (project, received_at)",
        "CREATE INDEX cockpit_releases_by_run ON cockpit_releases (project, run)",
        "CREATE TABLE cockpit_events (project TEXT NOT NULL, run TEXT NOT NULL, "
        "seq INTEGER NOT NULL, received_at TEXT NOT NULL, digest TEXT NOT NULL, "
        "event TEXT NOT NULL, PRIMARY KEY (project, run, seq))",
    ),
    # 2: each record's failed gate checks, for /metrics without reading every record (records
    # stored before it have no rows here).
    (
        "CREATE TABLE cockpit_gate_failures (project TEXT NOT NULL, version TEXT NOT NULL, "
        "name TEXT NOT NULL, PRIMARY KEY (project, version, name))",
    ),
    # 3: each record's load and chaos figures (ReleaseRecord.resilience), for the quality page
    # (NULL when the record has none, and for the records stored before it).
    (
        "ALTER TABLE cockpit_releases ADD COLUMN load_p95_ms DOUBLE PRECISION",
        "ALTER TABLE cockpit_releases ADD COLUMN error_rate_percent DOUBLE PRECISION",
        "ALTER TABLE cockpit_releases ADD COLUMN chaos_availability_percent DOUBLE PRECISION",
    ),
    # 4: releases marked rolled back (liturgia rollback); the record itself is never changed.
    (
        "CREATE TABLE cockpit_rollbacks (project TEXT NOT NULL, version TEXT NOT NULL, "
        "rolled_back_at TEXT NOT NULL, reason TEXT NOT NULL, previous TEXT, "
        "received_at TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (project, version))",
    ),
)
#: The parts of a record the quality page reads: coverage, tests summary, findings by severity.
_QUALITY_SQLITE = ("$.tests.coverage", "$.tests.summary", "$.findings.by_severity")
_QUALITY_PG = ("'tests'->>'coverage'", "'tests'->>'summary'", "'findings'->>'by_severity'")
#: The figures of migration 3, as the quality rows name them.
_RESILIENCE = (
    ("load_p95_ms", "loadP95Ms"),
    ("error_rate_percent", "errorRatePercent"),
    ("chaos_availability_percent", "chaosAvailabilityPercent"),
)
_ADVISORY_KEY = 0x6C69747572676961  # "liturgia": the cockpit's migration lock (PostgreSQL)
_TOKEN_PREFIX = "lit_"  # noqa: S105 - the prefix that marks a token, not a secret
_PROJECT = re.compile(PROJECT_PATTERN)


class RecordConflictError(InputError):
    """A write names an event or a record already stored with other content (HTTP 409)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenInfo:
    """A stored token, without its secret."""

    id: str
    project: str
    created_at: str
    revoked_at: str | None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class RecordStore:
    """The cockpit's tables over one database connection (thread-safe: one lock).

    Use :func:`open_records`; the store migrates the schema when opened.

    Args:
        connection: an open ``sqlite3`` or ``psycopg`` connection (not in autocommit).
        mark: the driver's parameter mark (``?`` or ``%s``).
        errors: the driver's base error class (mapped to :class:`StorageError`).
        postgres: whether the database is PostgreSQL (how the migration lock is taken).
        clock: seconds since the epoch (injectable for tests).
    """

    def __init__(
        self,
        connection: Any,
        *,
        mark: str,
        errors: type[Exception],
        postgres: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conn = connection
        self._mark = mark
        self._errors = errors
        self._postgres = postgres
        self._clock = clock
        self._lock = threading.Lock()
        self.migrate()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self._mark)

    @contextmanager
    def _transaction(self, what: str, *, write: bool = True) -> Iterator[Any]:
        """One transaction, committed on success; driver errors become :class:`StorageError`.

        psycopg opens a transaction at the first statement; ``write`` matters to SQLite only.
        """
        del write
        with self._lock:
            try:
                try:
                    yield self._conn
                except BaseException:
                    self._conn.rollback()
                    raise
                self._conn.commit()
            except self._errors as exc:
                raise StorageError(f"cockpit records: {what} failed: {exc}") from exc

    def _rows(self, conn: Any, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(conn.execute(self._sql(statement), tuple(params)).fetchall())

    # -- schema ------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the migrations this database lacks; return its schema version.

        Raises:
            StorageError: the database's schema is newer than this code, or a statement failed.
        """
        with self._transaction("migrating the schema") as conn:
            if self._postgres:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_KEY,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS cockpit_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            found = self._rows(conn, "SELECT COALESCE(MAX(version), 0) FROM cockpit_migrations")
            current = int(found[0][0])
            if current > len(MIGRATIONS):
                raise StorageError(
                    f"cockpit records: the database's schema version {current} is newer than "
                    f"this liturgia's {len(MIGRATIONS)}: upgrade liturgia"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement)
                conn.execute(
                    self._sql("INSERT INTO cockpit_migrations (version, applied_at) VALUES (?, ?)"),
                    (version, _utc(self._clock())),
                )
        return len(MIGRATIONS)

    def schema_version(self) -> int:
        """The schema version the database has."""
        with self._transaction("reading the schema version", write=False) as conn:
            found = self._rows(conn, "SELECT COALESCE(MAX(version), 0) FROM cockpit_migrations")
        return int(found[0][0])

    # -- tokens ------------------------------------------------------------------------------

    def create_token(self, project: str) -> tuple[str, str]:
        """Create a write token for ``project``; return ``(token id, token)``.

        The token is returned once and never stored (only its secret's SHA-256).

        Raises:
            InputError: ``project`` is not a valid project name.
        """
        if not _PROJECT.fullmatch(project):
            raise InputError(
                f"project name {project!r} must be 1-100 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self._transaction("creating a token") as conn:
            conn.execute(
                self._sql(
                    "INSERT INTO cockpit_tokens (id, project, secret_sha256, created_at) "
                    "VALUES (?, ?, ?, ?)"
                ),
                (token_id, project, _digest(secret.encode()), _utc(self._clock())),
            )
        return token_id, f"{_TOKEN_PREFIX}{token_id}_{secret}"

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token by its id (or the whole token); return whether one was revoked."""
        if token_id.startswith(_TOKEN_PREFIX):
            token_id = token_id[len(_TOKEN_PREFIX) :].split("_", 1)[0]
        with self._transaction("revoking a token") as conn:
            cursor = conn.execute(
                self._sql(
                    "UPDATE cockpit_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
                ),
                (_utc(self._clock()), token_id),
            )
            return bool(cursor.rowcount)

    def tokens(self) -> list[TokenInfo]:
        """Every token, oldest first, without secrets."""
        with self._transaction("listing tokens", write=False) as conn:
            rows = self._rows(
                conn,
                "SELECT id, project, created_at, revoked_at FROM cockpit_tokens "
                "ORDER BY created_at, id",
            )
        return [TokenInfo(id=r[0], project=r[1], created_at=r[2], revoked_at=r[3]) for r in rows]

    def project_of(self, token: str) -> str | None:
        """The project a presented token may write to, or ``None`` (unknown, malformed, revoked).

        The secret's digest is compared in constant time, also when no token has that id.
        """
        token_id, _, secret = token.removeprefix(_TOKEN_PREFIX).partition("_")
        presented = _digest(secret.encode())
        with self._transaction("checking a token", write=False) as conn:
            rows = self._rows(
                conn,
                "SELECT project, secret_sha256, revoked_at FROM cockpit_tokens WHERE id = ?",
                (token_id,),
            )
        stored = rows[0][1] if rows else "0" * 64
        matches = hmac.compare_digest(presented.encode(), str(stored).encode())
        if not (rows and matches and token.startswith(_TOKEN_PREFIX)) or rows[0][2] is not None:
            return None
        return str(rows[0][0])

    # -- writes ------------------------------------------------------------------------------

    def add_event(self, project: str, run: str, event: StageEvent) -> bool:
        """Store a stage event; return ``True`` if new, ``False`` for a repeat of a stored one.

        Raises:
            RecordConflictError: another event is stored under this run and sequence number.
            StorageError: the database failed.
        """
        body = _canonical(event.model_dump(mode="json"))
        digest = _digest(body)
        with self._transaction("storing an event") as conn:
            found = self._rows(
                conn,
                "SELECT digest FROM cockpit_events WHERE project = ? AND run = ? AND seq = ?",
                (project, run, event.seq),
            )
            if found:
                if found[0][0] != digest:
                    raise RecordConflictError(
                        f"event {event.seq} of run {run} is already stored with other content"
                    )
                return False
            conn.execute(
                self._sql(
                    "INSERT INTO cockpit_events (project, run, seq, received_at, digest, event) "
                    "VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (project, run, event.seq, _utc(self._clock()), digest, body.decode()),
            )
        return True

    def put_record(self, record: ReleaseRecord) -> bool:
        """Store a release's final record; ``True`` if new, ``False`` for a repeat.

        Raises:
            RecordConflictError: another record is stored for this project and version.
            StorageError: the database failed.
        """
        body = record.canonical()
        digest = _digest(body)
        with self._transaction("storing a record") as conn:
            if self._held(
                conn,
                "cockpit_releases",
                (record.project, record.version),
                digest,
                f"a different record of {record.project} {record.version} is already stored "
                "(a release's record is never replaced)",
            ):
                return False
            figures = record.resilience
            conn.execute(
                self._sql(
                    "INSERT INTO cockpit_releases (project, version, decision, dry_run, "
                    "received_at, run, digest, record, load_p95_ms, error_rate_percent, "
                    "chaos_availability_percent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    record.project,
                    record.version,
                    record.decision,
                    int(record.dry_run),
                    _utc(self._clock()),
                    record.run,
                    digest,
                    body.decode(),
                    *(getattr(figures, column) if figures else None for column, _ in _RESILIENCE),
                ),
            )
            for name in sorted({gate.name for gate in record.gates if not gate.passed}):
                conn.execute(
                    self._sql(
                        "INSERT INTO cockpit_gate_failures (project, version, name) "
                        "VALUES (?, ?, ?)"
                    ),
                    (record.project, record.version, name),
                )
        return True

    def _held(
        self, conn: Any, table: str, key: tuple[str, str], digest: str, conflict: str
    ) -> bool:
        """Whether ``table`` holds ``digest`` under ``(project, version)`` already.

        Raises:
            RecordConflictError: it holds another digest there (``conflict`` is the message).
        """
        found = self._rows(
            conn,
            f"SELECT digest FROM {table} WHERE project = ? AND version = ?",  # noqa: S608
            key,
        )
        if found and found[0][0] != digest:
            raise RecordConflictError(conflict)
        return bool(found)

    def put_rollback(self, mark: RollbackMark) -> bool | None:
        """Mark a stored release rolled back; ``True`` if new, ``False`` for a repeat, ``None``
        when no record of that project and version is stored (nothing is written).

        Raises:
            RecordConflictError: the release is already marked, with another reason or time.
            StorageError: the database failed.
        """
        body = mark.canonical()
        digest = _digest(body)
        with self._transaction("marking a release rolled back") as conn:
            known = self._rows(
                conn,
                "SELECT 1 FROM cockpit_releases WHERE project = ? AND version = ?",
                (mark.project, mark.version),
            )
            if not known:
                return None
            if self._held(
                conn,
                "cockpit_rollbacks",
                (mark.project, mark.version),
                digest,
                f"{mark.project} {mark.version} is already marked rolled back, with another "
                "reason or time (the first mark is kept)",
            ):
                return False
            conn.execute(
                self._sql(
                    "INSERT INTO cockpit_rollbacks (project, version, rolled_back_at, reason, "
                    "previous, received_at, digest) VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    mark.project,
                    mark.version,
                    mark.rolled_back_at,
                    mark.reason,
                    mark.previous,
                    _utc(self._clock()),
                    digest,
                ),
            )
        return True

    def _rollbacks(
        self, conn: Any, project: str, version: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """A project's rollback marks (only ``version``'s when given) by version:
        ``{"rolledBackAt", "reason", "previous"}``."""
        columns = "SELECT version, rolled_back_at, reason, previous FROM cockpit_rollbacks "
        if version is None:
            rows = self._rows(conn, columns + "WHERE project = ?", (project,))
        else:
            rows = self._rows(
                conn, columns + "WHERE project = ? AND version = ?", (project, version)
            )
        return {
            version: {"rolledBackAt": at, "reason": reason, "previous": previous}
            for version, at, reason, previous in rows
        }

    # -- reads -------------------------------------------------------------------------------

    def projects(self) -> list[dict[str, Any]]:
        """Every project with a token or a release: name, release count, the latest release."""
        with self._transaction("listing projects", write=False) as conn:
            names = self._rows(
                conn,
                "SELECT project FROM cockpit_tokens UNION SELECT project FROM cockpit_releases",
            )
            counts = dict(
                self._rows(conn, "SELECT project, COUNT(*) FROM cockpit_releases GROUP BY project")
            )
            latest = {}
            for (name,) in names:
                found = self._rows(
                    conn,
                    "SELECT project, version, decision, received_at FROM cockpit_releases "
                    "WHERE project = ? ORDER BY received_at DESC LIMIT 1",
                    (name,),
                )
                if found:
                    latest[name] = found[0]
        result = []
        for (name,) in sorted(names):
            last = latest.get(name)
            result.append(
                {
                    "name": name,
                    "releases": int(counts.get(name, 0)),
                    "latest": None
                    if last is None
                    else {"version": last[1], "decision": last[2], "receivedAt": last[3]},
                }
            )
        return result

    def releases(self, project: str, limit: int = 100) -> list[dict[str, Any]]:
        """A project's releases, newest first (at most ``limit``): ``{"receivedAt", "record",
        "rollback"}`` each, ``rollback`` its mark (see :meth:`release`) or ``None``."""
        with self._transaction("listing releases", write=False) as conn:
            rows = self._rows(
                conn,
                "SELECT record, received_at, version FROM cockpit_releases WHERE project = ? "
                "ORDER BY received_at DESC, version DESC LIMIT ?",
                (project, limit),
            )
            marks = self._rollbacks(conn, project)
        return [
            {"receivedAt": row[1], "record": json.loads(row[0]), "rollback": marks.get(row[2])}
            for row in rows
        ]

    def quality(self, project: str, limit: int = 100) -> list[dict[str, Any]]:
        """A project's releases for the quality page, newest first (at most ``limit``).

        Only the parts of each record the page reads are taken out of it, by the database
        (SQLite's ``json_extract``, PostgreSQL's ``->``): a record's gates, artifacts and notes
        are never parsed here.

        Returns:
            ``{"receivedAt", "record", "loadP95Ms", "errorRatePercent",
            "chaosAvailabilityPercent"}`` per release: ``record`` holds the record's
            ``version``, ``decision``, ``tests.coverage``, ``tests.summary`` and
            ``findings.by_severity``; the figures are the stored load and chaos figures
            (milliseconds, percent; ``None`` where it has none).
        """
        if self._postgres:
            parts = [f"(record::json)->{path}" for path in _QUALITY_PG]
        else:
            parts = [f"json_extract(record, '{path}')" for path in _QUALITY_SQLITE]
        columns = ", ".join([*parts, *(column for column, _ in _RESILIENCE)])
        with self._transaction("reading the quality figures", write=False) as conn:
            rows = self._rows(
                conn,
                f"SELECT version, decision, received_at, {columns} "  # noqa: S608
                "FROM cockpit_releases WHERE project = ? "
                "ORDER BY received_at DESC, version DESC LIMIT ?",
                (project, limit),
            )
        result = []
        for version, decision, received, coverage, summary, counts, *figures in rows:
            record = {
                "version": version,
                "decision": decision,
                "tests": {"coverage": coverage or "", "summary": summary or ""},
                "findings": {"by_severity": json.loads(counts) if counts else {}},
            }
            result.append(
                {
                    "receivedAt": received,
                    "record": record,
                    **{
                        name: None if value is None else float(value)
                        for (_, name), value in zip(_RESILIENCE, figures, strict=True)
                    },
                }
            )
        return result

    def release(self, project: str, version: str) -> dict[str, Any] | None:
        """One release's record and the events of its run, or ``None``.

        Returns:
            ``{"receivedAt", "record", "events", "rollback"}``: ``rollback`` is ``None``, or
            ``{"rolledBackAt", "reason", "previous"}`` once ``liturgia rollback`` marked it.
        """
        with self._transaction("reading a release", write=False) as conn:
            rows = self._rows(
                conn,
                "SELECT record, received_at FROM cockpit_releases "
                "WHERE project = ? AND version = ?",
                (project, version),
            )
            if not rows:
                return None
            record = json.loads(rows[0][0])
            events = self._rows(
                conn,
                "SELECT event FROM cockpit_events WHERE project = ? AND run = ? ORDER BY seq",
                (project, record.get("run") or ""),
            )
            mark = self._rollbacks(conn, project, version).get(version)
        return {
            "receivedAt": rows[0][1],
            "record": record,
            "events": [json.loads(row[0]) for row in events],
            "rollback": mark,
        }

    def latest_run(self, project: str) -> dict[str, Any] | None:
        """The project's most recent run: ``{"run", "events", "version"}`` (``version``: its
        record's, ``None`` while the release is in progress), or ``None`` without events."""
        with self._transaction("reading the latest run", write=False) as conn:
            rows = self._rows(
                conn,
                "SELECT run FROM cockpit_events WHERE project = ? "
                "ORDER BY received_at DESC, seq DESC LIMIT 1",
                (project,),
            )
            if not rows:
                return None
            run = str(rows[0][0])
            events = self._rows(
                conn,
                "SELECT event FROM cockpit_events WHERE project = ? AND run = ? ORDER BY seq",
                (project, run),
            )
            versions = self._rows(
                conn,
                "SELECT version FROM cockpit_releases WHERE project = ? AND run = ?",
                (project, run),
            )
        return {
            "run": run,
            "events": [json.loads(row[0]) for row in events],
            "version": str(versions[0][0]) if versions else None,
        }

    def metrics_rows(self) -> list[dict[str, Any]]:
        """Per project and decision: ``{"project", "decision", "count", "failures"}``, where
        ``failures`` counts that project's failed gate checks by name (on the first row)."""
        with self._transaction("reading metrics", write=False) as conn:
            decisions = self._rows(
                conn,
                "SELECT project, decision, COUNT(*) FROM cockpit_releases "
                "GROUP BY project, decision ORDER BY project, decision",
            )
            failed = self._rows(
                conn,
                "SELECT project, name, COUNT(*) FROM cockpit_gate_failures "
                "GROUP BY project, name ORDER BY project, name",
            )
        by_project: dict[str, dict[str, int]] = {}
        for project, name, count in failed:
            by_project.setdefault(str(project), {})[str(name)] = int(count)
        rows: list[dict[str, Any]] = []
        for project, decision, count in decisions:
            first = not rows or rows[-1]["project"] != project
            rows.append(
                {
                    "project": str(project),
                    "decision": str(decision),
                    "count": int(count),
                    "failures": by_project.get(str(project), {}) if first else {},
                }
            )
        return rows

    def events(self, project: str, run: str, after: int = 0) -> list[dict[str, Any]]:
        """A run's events after sequence number ``after``, in order."""
        with self._transaction("reading events", write=False) as conn:
            rows = self._rows(
                conn,
                "SELECT event FROM cockpit_events WHERE project = ? AND run = ? AND seq > ? "
                "ORDER BY seq",
                (project, run, after),
            )
        return [json.loads(row[0]) for row in rows]


def open_records(db_url: str, *, clock: Callable[[], float] = time.time) -> RecordStore:
    """Open (and migrate) the cockpit's tables in the database ``db_url`` names.

    ``sqlite://PATH`` (WAL, ``synchronous=FULL``) or ``postgresql://...`` (needs the
    ``postgres`` extra): the same database as the log's (``liturgia serve --db``).

    Raises:
        ConfigError: an unsupported URL.
        StorageError: the database cannot be opened or migrated.
    """
    parts = urlsplit(db_url)
    if parts.scheme == "sqlite":
        path = Path(db_url[len("sqlite://") :].split("?", 1)[0])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                path, timeout=10.0, check_same_thread=False, isolation_level=None
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"{path}: cannot open the cockpit records: {exc}") from exc
        return _SqliteRecords(conn, mark="?", errors=sqlite3.Error, postgres=False, clock=clock)
    if parts.scheme in ("postgresql", "postgres"):
        from liturgia._internal.extras import import_extra  # noqa: PLC0415 - optional
        from liturgia.tlog.storage import postgres_options  # noqa: PLC0415 - PostgreSQL only

        psycopg = import_extra("psycopg", extra="postgres", feature="cockpit records")
        dsn, _ = postgres_options(db_url)  # the pool options are the log's
        try:
            pg_conn = psycopg.connect(dsn, autocommit=False, connect_timeout=10)
        except psycopg.Error as exc:
            raise StorageError(f"cannot open the cockpit records on PostgreSQL: {exc}") from exc
        return RecordStore(pg_conn, mark="%s", errors=psycopg.Error, postgres=True, clock=clock)
    raise ConfigError(f"unsupported database URL scheme {parts.scheme!r} for the cockpit records")


class _SqliteRecords(RecordStore):
    """SQLite in autocommit mode (``isolation_level=None``): transactions are explicit."""

    @contextmanager
    def _transaction(self, what: str, *, write: bool = True) -> Iterator[Any]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"cockpit records: {what} failed: {exc}") from exc
