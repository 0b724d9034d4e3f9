"""PostgreSQL backend specifics: connection failures, durability setting, missing extra."""

from __future__ import annotations

import socket
import sys
import threading

import psycopg
import pytest

from liturgia.errors import ConfigError, StorageError
from liturgia.tlog.storage.postgres import PostgresStorage

pytestmark = pytest.mark.postgres


def test_unreachable_server_is_a_storage_error() -> None:
    # A loopback port that is bound but not listening: the connection is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(StorageError, match="PostgreSQL log storage: cannot connect"):
            PostgresStorage(f"host=127.0.0.1 port={port} user=postgres connect_timeout=2")


def test_refuses_non_durable_commits(pg_database: str) -> None:
    with pytest.raises(StorageError, match="synchronous_commit is off"):
        PostgresStorage(pg_database + " options='-c synchronous_commit=off'")


def test_repr_hides_the_connection_string(pg_database: str) -> None:
    storage = PostgresStorage(pg_database + " password=secret")
    try:
        assert "secret" not in repr(storage)
    finally:
        storage.close()


def test_missing_tree_row_is_a_storage_error(pg_database: str) -> None:
    storage = PostgresStorage(pg_database)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DELETE FROM tlog_tree")
    try:
        with pytest.raises(StorageError, match="the tree row is missing"):
            storage.read_state()
    finally:
        storage.close()


def test_close_waits_for_a_running_read(pg_database: str) -> None:
    storage = PostgresStorage(pg_database)
    started, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_read() -> None:
        try:
            with storage._read("sleep") as conn:
                started.set()
                release.wait(5)
                conn.execute("SELECT 1")
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    reader = threading.Thread(target=slow_read)
    reader.start()
    assert started.wait(5)
    closer = threading.Thread(target=storage.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # close() waits for the read in progress
    release.set()
    reader.join(5)
    closer.join(5)
    assert not closer.is_alive() and errors == []
    with pytest.raises(StorageError, match="closed"):
        storage.read_entry(0)


def test_missing_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` sees when absent
    with pytest.raises(ConfigError, match=r"install liturgia\[postgres\]"):
        PostgresStorage("host=127.0.0.1")
