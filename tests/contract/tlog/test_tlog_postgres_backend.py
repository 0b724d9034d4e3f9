"""PostgreSQL backend specifics: connection failures, durability setting, missing extra."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time

import psycopg
import pytest
from tests.contract.tlog.pgcluster import new_schema

from liturgia.errors import ConfigError, StorageError
from liturgia.tlog.storage.postgres import (
    ADVISORY_LOCK_KEY,
    LEASE_CHECK_SECONDS,
    PostgresStorage,
    lead_lock_key,
)

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


def _terminate(pg_database: str, pid: int) -> None:
    """End one server session, as a network failure or an administrator would."""
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(200):  # its locks go when the backend has exited
            if not admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone():
                return
            time.sleep(0.01)


def test_lead_is_keyed_by_schema(pg_database: str) -> None:
    assert lead_lock_key("a") != lead_lock_key("b")
    assert lead_lock_key("a") != ADVISORY_LOCK_KEY
    first = PostgresStorage(pg_database)
    second = PostgresStorage(new_schema(pg_database.split(" options=", maxsplit=1)[0]))
    try:  # two logs in two schemas of one database: each has its own leader
        assert first.try_lead() and second.try_lead()
    finally:
        second.close()
        first.close()


def test_a_lost_lease_connection_loses_the_lead(pg_database: str) -> None:
    leader, other = PostgresStorage(pg_database), PostgresStorage(pg_database)
    try:
        assert leader.try_lead() and not other.try_lead()
        assert leader._lease is not None
        _terminate(pg_database, leader._lease.info.backend_pid)
        assert other.try_lead()  # PostgreSQL freed the dead session's lock
        time.sleep(LEASE_CHECK_SECONDS * 2)
        assert leader.try_lead() is False  # noticed on its next check, asked again, refused
        # A lease connection that breaks while following: the attempt fails, the next one works.
        assert leader._lease is not None
        _terminate(pg_database, leader._lease.info.backend_pid)
        with pytest.raises(StorageError, match="cannot take the lead"):
            leader.try_lead()
        assert leader.try_lead() is False
        other.release_lead()
        assert leader.try_lead() is True
        # Releasing over a dead connection drops it (the lock went with it).
        _terminate(pg_database, leader._lease.info.backend_pid)
        leader.release_lead()
        assert leader._lease is None and other.try_lead()
    finally:
        other.close()
        leader.close()


def test_own_notifications_are_skipped_and_a_broken_listener_listens_again(
    pg_database: str,
) -> None:
    storage, other = PostgresStorage(pg_database), PostgresStorage(pg_database)
    try:
        assert storage.wait_for_change(0) is True  # the first call starts listening
        storage.sequence([(b"\x01" * 32, b"own")], integrated_time=1)
        assert storage.wait_for_change(0.1) is False  # its own write is not news
        other.sequence([(b"\x02" * 32, b"other")], integrated_time=1)
        assert storage.wait_for_change(2.0) is True
        _terminate(pg_database, storage._local.listener.info.backend_pid)
        with pytest.raises(StorageError, match="cannot wait for notifications"):
            storage.wait_for_change(0.5)
        assert storage.wait_for_change(0) is True  # listening again (changes may be missed)
        assert storage.wait_for_change(0.05) is False
    finally:
        other.close()
        storage.close()


def test_a_statement_waiting_for_a_lock_fails_fast(pg_database: str) -> None:
    """Found under faults (issue 16): a table lock held elsewhere made every request wait."""
    storage = PostgresStorage(pg_database, lock_timeout=0.2)
    try:
        with psycopg.connect(pg_database) as locker:
            locker.execute("LOCK TABLE tlog_entries IN ACCESS EXCLUSIVE MODE")
            # Both calls return while the lock is still held: they gave up waiting for it.
            with pytest.raises(StorageError, match="canceling statement due to lock timeout"):
                storage.sequence([(b"\x01" * 32, b"body")], integrated_time=1)
            with pytest.raises(StorageError, match="lock timeout"):
                storage.read_entry(0)
        assert [
            a.index for a in storage.sequence([(b"\x01" * 32, b"body")], integrated_time=1)
        ] == [0]
    finally:
        storage.close()


def test_sessions_the_server_ended_are_replaced(pg_database: str) -> None:
    """Found under faults (issue 16): a terminated session broke the log until a restart."""
    storage = PostgresStorage(pg_database)
    try:
        assert storage.read_entry(0) is None  # a reader session exists
        with psycopg.connect(pg_database, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
                "pg_backend_pid() AND datname = current_database()"
            )
        time.sleep(0.2)
        # The first use of a dead session fails (503 for a request); the next one reconnects.
        for _ in range(2):
            try:
                storage.sequence([(b"\x02" * 32, b"body")], integrated_time=1)
                break
            except StorageError:
                continue
        with contextlib.suppress(StorageError):
            storage.read_entry(0)
        assert storage.read_entry(0) is not None
        assert storage.find_index(b"\x02" * 32) == 0
    finally:
        storage.close()
