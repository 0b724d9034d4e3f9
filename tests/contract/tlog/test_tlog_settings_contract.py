"""The settings part of the LogStorage contract (claim once, read back), over every backend."""

from __future__ import annotations

import sqlite3
import threading
from urllib.parse import urlsplit

import pytest
from tests.contract.tlog.conftest import Backend

from liturgia.errors import StorageError
from liturgia.tlog.storage import LogStorage
from liturgia.tlog.storage.sqlite import SCHEMA_VERSION


def test_first_claim_wins_and_is_never_replaced(storage: LogStorage) -> None:
    assert storage.read_setting("index_offset") is None
    assert storage.claim_setting("index_offset", "1000") == "1000"
    assert storage.read_setting("index_offset") == "1000"
    # A later claim, with another value or the same, answers the stored one and changes nothing.
    assert storage.claim_setting("index_offset", "0") == "1000"
    assert storage.claim_setting("index_offset", "1000") == "1000"
    assert storage.read_setting("index_offset") == "1000"
    # Names are independent, and values are kept exactly (text, not numbers).
    assert storage.read_setting("tree_id") is None
    assert storage.claim_setting("tree_id", "0042") == "0042"
    assert storage.claim_setting("note", "ünïcode, 'quotes'; -- and more") == (
        "ünïcode, 'quotes'; -- and more"
    )
    assert storage.claim_setting("empty", "") == ""
    assert storage.claim_setting("empty", "later") == ""
    assert storage.read_setting("tree_id") == "0042"
    assert storage.read_setting("Index_Offset") is None  # names are case-sensitive


def test_settings_survive_a_restart_and_are_shared(backend: Backend) -> None:
    storage = backend.open()
    other: LogStorage | None = None
    try:
        assert storage.claim_setting("tree_id", "77") == "77"
        storage = backend.reopen(storage)
        assert storage.read_setting("tree_id") == "77"
        assert storage.claim_setting("tree_id", "78") == "77"
        other = backend.open_again(storage)
        assert other.read_setting("tree_id") == "77"
        assert other.claim_setting("index_offset", "5") == "5"
        assert storage.read_setting("index_offset") == "5"
        assert storage.claim_setting("index_offset", "6") == "5"
    finally:
        if other is not None and other is not storage:
            other.close()
        storage.close()


def test_concurrent_claims_agree_on_one_value(backend: Backend) -> None:
    """Handles claiming one name at the same instant (separate connections): one value wins."""
    first = backend.open()
    handles = [first] + [backend.open_again(first) for _ in range(3)]
    rounds = 8
    barrier = threading.Barrier(len(handles))
    answers: dict[int, list[str]] = {n: [] for n in range(rounds)}
    failures: list[BaseException] = []
    answers_lock = threading.Lock()

    def claim(who: int, storage: LogStorage) -> None:
        try:
            for n in range(rounds):
                barrier.wait(timeout=30)
                got = storage.claim_setting(f"race-{n}", f"from-{who}")
                with answers_lock:
                    answers[n].append(got)
        except Exception as exc:  # noqa: BLE001 - reported below, in the test's thread
            failures.append(exc)
            barrier.abort()

    threads = [
        threading.Thread(target=claim, args=(who, storage)) for who, storage in enumerate(handles)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not failures, failures
        for n in range(rounds):
            winners = set(answers[n])
            assert len(answers[n]) == len(handles) and len(winners) == 1
            (winner,) = winners
            assert winner in {f"from-{who}" for who in range(len(handles))}
            assert first.read_setting(f"race-{n}") == winner
    finally:
        for storage in {id(h): h for h in handles}.values():
            storage.close()


def test_closed_storage_refuses_settings(storage: LogStorage) -> None:
    storage.claim_setting("tree_id", "1")
    storage.close()
    with pytest.raises(StorageError, match="closed"):
        storage.claim_setting("tree_id", "2")
    with pytest.raises(StorageError, match="closed"):
        storage.read_setting("tree_id")


def _drop_settings_table(backend: Backend) -> None:
    """Make the stored log look like one created before settings existed."""
    assert backend.url is not None
    if backend.name == "sqlite":
        conn = sqlite3.connect(urlsplit(backend.url).path)
        try:
            conn.execute("DROP TABLE settings")
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg  # noqa: PLC0415 - only the PostgreSQL case needs it

    with psycopg.connect(backend.url, autocommit=True) as pg:
        pg.execute("DROP TABLE tlog_settings")


def test_an_older_database_gets_the_settings_table(durable_backend: Backend) -> None:
    """A log stored before the settings table existed opens, keeps its entries, gains it."""
    storage = durable_backend.open()
    storage.sequence([(b"\x01" * 32, b"old entry")], integrated_time=1_750_000_000)
    storage.close()
    _drop_settings_table(durable_backend)
    storage = durable_backend.open()
    try:
        assert storage.sequenced_size() == 1
        assert storage.read_setting("index_offset") is None
        assert storage.claim_setting("index_offset", "1000") == "1000"
        if durable_backend.name == "sqlite":
            path = urlsplit(durable_backend.url or "").path
            conn = sqlite3.connect(path)
            try:
                assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            finally:
                conn.close()
        storage = durable_backend.reopen(storage)
        assert storage.read_setting("index_offset") == "1000"
    finally:
        storage.close()
