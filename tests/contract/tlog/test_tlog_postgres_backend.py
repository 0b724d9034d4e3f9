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
        assert storage._listener is not None
        _terminate(pg_database, storage._listener.info.backend_pid)
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


def _sessions(dsn: str, where: str, *args: object) -> int:
    """How many sessions of ``pg_stat_activity`` match ``where``."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        row = admin.execute(
            f"SELECT count(*) FROM pg_stat_activity WHERE {where}",  # noqa: S608 - test-made
            args,
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_waiting_threads_share_one_listener_connection(pg_database: str) -> None:
    """Found under load (issue 16): sessions per thread exceeded max_connections (503s)."""
    storage, other = PostgresStorage(pg_database), PostgresStorage(pg_database)
    threads, results, ready = 8, [], threading.Barrier(9)
    listening = "application_name = 'liturgia log listener' AND query = %s"
    channel = "LISTEN " + storage._channel

    def wait() -> None:
        assert storage.wait_for_change(0) is True  # this thread's first call
        ready.wait(5)
        results.append(storage.wait_for_change(10.0))

    waiters = [threading.Thread(target=wait) for _ in range(threads)]
    try:
        for waiter in waiters:
            waiter.start()
        ready.wait(5)
        time.sleep(0.2)  # every thread is inside wait_for_change(10)
        assert _sessions(pg_database, listening, channel) == 1
        assert len(results) == 0  # all still waiting: nothing happened yet
        other.sequence([(b"\x03" * 32, b"other")], integrated_time=1)
        for waiter in waiters:
            waiter.join(5)
        # Every thread learnt of the other session's write, long before its 10 s ran out.
        assert results == [True] * threads
        assert _sessions(pg_database, listening, channel) == 1
        assert storage.wait_for_change(0) is True  # the main thread's first call
        assert storage.wait_for_change(0.05) is False
    finally:
        other.close()
        storage.close()
    assert _sessions(pg_database, listening, channel) == 0


def test_reader_connections_are_bounded_and_an_exhausted_pool_fails_after_its_timeout(
    pg_database: str,
) -> None:
    name = f"bounded_{time.monotonic_ns()}"  # this storage's sessions, and only them
    mine = "application_name = %s"
    storage = PostgresStorage(
        f"{pg_database} application_name={name}", pool_size=3, pool_timeout=0.3
    )
    held, release = threading.Barrier(4), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with storage._read("hold") as conn:
                conn.execute("SELECT 1")
                held.wait(5)
                release.wait(5)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    holders = [threading.Thread(target=hold) for _ in range(3)]
    try:
        for holder in holders:
            holder.start()
        held.wait(5)
        assert _sessions(pg_database, mine, name) == 1 + 3  # the writer and three readers
        started = time.monotonic()
        with pytest.raises(StorageError, match="cannot read entry: all 3 reader connections busy"):
            storage.read_entry(0)
        assert time.monotonic() - started >= 0.3
        release.set()
        for holder in holders:
            holder.join(5)
        assert errors == []
        # Many threads reading at once share the three connections.
        failures: list[BaseException] = []

        def read() -> None:
            try:
                for _ in range(20):
                    storage.read_state()
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                failures.append(exc)

        readers = [threading.Thread(target=read) for _ in range(12)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(10)
        assert failures == []
        assert _sessions(pg_database, mine, name) == 1 + 3
    finally:
        release.set()
        storage.close()


def test_a_reader_session_the_server_ended_is_dropped_from_the_pool(pg_database: str) -> None:
    storage = PostgresStorage(pg_database, pool_size=1)
    try:
        with storage._read("find the reader") as conn:
            pid = conn.info.backend_pid
        _terminate(pg_database, pid)
        with pytest.raises(StorageError, match="cannot read entry"):
            storage.read_entry(0)  # the dead session's first use fails
        assert storage.read_entry(0) is None  # a new session took its place
        with storage._read("find the reader") as conn:
            assert conn.info.backend_pid != pid
    finally:
        storage.close()
