"""Backends of the log storage contract: memory, SQLite, and PostgreSQL on a throwaway cluster.

The PostgreSQL cluster is started by the tests themselves (Debian's packages, installed if
missing), on a free loopback port, once per session; each test gets its own database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.contract.tlog.pgcluster import new_schema, pg_url, throwaway_cluster

from liturgia.tlog.storage import LogStorage, MemoryStorage
from liturgia.tlog.storage.postgres import PostgresStorage
from liturgia.tlog.storage.sqlite import SqliteStorage


@dataclass
class Backend:
    """Opens a log storage and reopens it as a restarted process would."""

    name: str
    open: Callable[[], LogStorage]
    reopen: Callable[[LogStorage], LogStorage]
    #: A second handle on the same log, as another process would open it.
    open_again: Callable[[LogStorage], LogStorage]
    #: The ``--db`` URL of a durable backend (for another process), else ``None``.
    url: str | None = None


def _memory(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    # Nothing outlives the object: a "restart" keeps the same object, unclosed.
    return Backend(
        name="memory",
        open=MemoryStorage,
        reopen=lambda storage: storage,
        open_again=lambda storage: storage,
    )


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    path = tmp_path / "log.db"

    def reopen(storage: LogStorage) -> LogStorage:
        storage.close()
        return SqliteStorage(path)

    return Backend(
        name="sqlite",
        open=lambda: SqliteStorage(path),
        reopen=reopen,
        open_again=lambda _: SqliteStorage(path),
        url=f"sqlite://{path}",
    )


def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    dsn = request.getfixturevalue("pg_database")

    def reopen(storage: LogStorage) -> LogStorage:
        storage.close()
        return PostgresStorage(dsn)

    return Backend(
        name="postgres",
        open=lambda: PostgresStorage(dsn),
        reopen=reopen,
        open_again=lambda _: PostgresStorage(dsn),
        url=pg_url(dsn),
    )


BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], Backend]] = {
    "memory": _memory,
    "postgres": _postgres,
    "sqlite": _sqlite,
}
PARAMS = [
    pytest.param(name, marks=[pytest.mark.postgres] if name == "postgres" else [])
    for name in sorted(BACKENDS)
]


@pytest.fixture(params=PARAMS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each storage backend in turn."""
    return BACKENDS[request.param](request, tmp_path)


DURABLE = [p for p in PARAMS if p.values[0] != "memory"]


@pytest.fixture(params=DURABLE)
def durable_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each backend that survives a process: SQLite and PostgreSQL."""
    return BACKENDS[request.param](request, tmp_path)


@pytest.fixture
def storage(backend: Backend) -> Iterator[LogStorage]:
    """A fresh, empty storage of each backend, closed afterwards."""
    opened = backend.open()
    yield opened
    opened.close()


# -- a throwaway PostgreSQL cluster ---------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    """Start a PostgreSQL cluster on a free loopback port; yield a DSN to its admin database."""
    with throwaway_cluster() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def pg_shared_database(pg_cluster: str) -> str:
    """One database for the session's PostgreSQL tests (each test gets its own schema)."""
    import psycopg  # noqa: PLC0415 - only PostgreSQL tests need it

    with psycopg.connect(pg_cluster, autocommit=True) as conn:
        conn.execute("CREATE DATABASE tlog_tests")
    return pg_cluster.replace("dbname=postgres", "dbname=tlog_tests")


@pytest.fixture
def pg_database(pg_shared_database: str) -> str:
    """A new, empty schema in the session's database; returns a DSN whose search_path is it.

    (A schema is created in milliseconds; a database is a copy of its template on disk.)
    """
    return new_schema(pg_shared_database)
