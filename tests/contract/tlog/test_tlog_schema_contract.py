"""Schema versions: a log stored by the previous layout (version 1) opens, migrates, serves.

Version 2 stores each entry's SignedEntryTimestamp with it (``seal``). The version-1 log is made
here, not kept as a file: a log is written, then its entries table is replaced by the version-1
table (its statement as version 1 created it, rows copied without seals) and the version marker
is set back, which is what a log written by the previous code holds.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from tests.contract.tlog.conftest import Backend
from tests.rekor_requests import hashedrekord

from liturgia.errors import StorageError
from liturgia.tlog import rekor
from liturgia.tlog.checkpoint import verifier_for
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import LogStorage
from liturgia.tlog.storage.postgres import SCHEMA_VERSION as PG_SCHEMA_VERSION
from liturgia.tlog.storage.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION

HOST = "log.example"
TREE_ID = 4242
OFFSET = 1000

#: The entries table exactly as schema version 1 created it.
_V1_ENTRIES = {
    "sqlite": """CREATE TABLE entries (
        idx INTEGER PRIMARY KEY,
        leaf_hash BLOB NOT NULL UNIQUE,
        body BLOB NOT NULL,
        integrated_time INTEGER NOT NULL
    )""",
    "postgres": """CREATE TABLE tlog_entries (
        idx BIGINT PRIMARY KEY,
        leaf_hash BYTEA NOT NULL UNIQUE,
        body BYTEA NOT NULL,
        integrated_time BIGINT NOT NULL
    )""",
}


def _sql(backend: Backend, *statements: str) -> list[Any]:
    """Run ``statements`` in one transaction outside liturgia; return the last one's rows."""
    assert backend.url is not None
    rows: list[Any] = []
    if backend.name == "sqlite":
        conn = sqlite3.connect(urlsplit(backend.url).path, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in statements:
                rows = conn.execute(statement).fetchall()
            conn.execute("COMMIT")
        finally:
            conn.close()
        return rows
    import psycopg  # noqa: PLC0415 - only the PostgreSQL case needs it

    with psycopg.connect(backend.url) as pg:
        for statement in statements:
            cursor = pg.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
    return rows


def _make_version_1(backend: Backend) -> None:
    """Turn the stored log into what version 1 stored: no seal column, no seals, version 1."""
    table = "entries" if backend.name == "sqlite" else "tlog_entries"
    moved = [
        f"ALTER TABLE {table} RENAME TO entries_v2",
        _V1_ENTRIES[backend.name],
        f"INSERT INTO {table} (idx, leaf_hash, body, integrated_time) "  # noqa: S608 - fixed names
        "SELECT idx, leaf_hash, body, integrated_time FROM entries_v2",
        "DROP TABLE entries_v2",
    ]
    if backend.name == "sqlite":
        _sql(backend, *moved, "PRAGMA user_version = 1")
    else:
        _sql(backend, *moved, "DROP TABLE tlog_schema")  # version 1 had no version table


def _columns(backend: Backend) -> set[str]:
    if backend.name == "sqlite":
        return {row[1] for row in _sql(backend, "PRAGMA table_info(entries)")}
    return {
        row[0]
        for row in _sql(
            backend,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'tlog_entries'",
        )
    }


def _version(backend: Backend) -> int:
    if backend.name == "sqlite":
        return int(_sql(backend, "PRAGMA user_version")[0][0])
    return int(_sql(backend, "SELECT version FROM tlog_schema WHERE id = 0")[0][0])


def _verify(entry: rekor.LogEntry | None, key: ec.EllipticCurvePrivateKey) -> rekor.LogEntry:
    assert entry is not None
    rekor.verify_log_entry(entry, key.public_key(), key_name=HOST, origin=f"{HOST} - {TREE_ID}")
    return entry


def _open_log(storage: LogStorage, key: ec.EllipticCurvePrivateKey) -> RekorLog:
    return RekorLog(storage, key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET)


def test_a_version_1_log_is_migrated_and_serves_its_entries(durable_backend: Backend) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = ec.generate_private_key(ec.SECP256R1())
    storage = durable_backend.open()
    with _open_log(storage, key) as log:
        old = [log.submit(hashedrekord(signer, b"old %d" % n))[0] for n in range(3)]
    storage.close()
    assert "seal" in _columns(durable_backend)
    _make_version_1(durable_backend)
    assert _columns(durable_backend) == {"idx", "leaf_hash", "body", "integrated_time"}

    storage = durable_backend.open()  # migrates
    try:
        schema = SQLITE_SCHEMA_VERSION if durable_backend.name == "sqlite" else PG_SCHEMA_VERSION
        assert schema == 2
        assert _version(durable_backend) == schema
        assert "seal" in _columns(durable_backend)
        first = storage.read_entry(0)
        assert first is not None and first.seal == b""
        with _open_log(storage, key) as log:
            # Old rows have no stored SET: it is signed when read, and verifies.
            for before in old:
                served = _verify(log.entry(before.log_index), key)
                assert (served.body, served.integrated_time) == (
                    before.body,
                    before.integrated_time,
                )
                by_id = _verify(log.entry_by_id(rekor.entry_id(before.body)), key)
                assert by_id.log_index == before.log_index
            # A new entry gets its SET at write time: the answer's SET is the stored one.
            new, created = log.submit(hashedrekord(signer, b"new"))
            assert created and new.log_index == OFFSET + 3
            stored = storage.read_entry(3)
            assert stored is not None
            assert stored.seal == rekor.log_id(key.public_key())[:8] + new.signed_entry_timestamp
            assert _verify(log.entry(OFFSET + 3), key).signed_entry_timestamp == (
                new.signed_entry_timestamp
            )
    finally:
        storage.close()

    # Opening a migrated log again changes nothing; the stored SET is served, byte for byte.
    storage = durable_backend.open()
    try:
        assert _version(durable_backend) == 2
        with _open_log(storage, key) as log:
            again = _verify(log.entry(OFFSET + 3), key)
            assert again.signed_entry_timestamp == new.signed_entry_timestamp
    finally:
        storage.close()


def test_a_rotated_key_signs_again_what_the_old_key_sealed(durable_backend: Backend) -> None:
    """A stored SET of another log key is not served: the entry is signed with the new one."""
    old_key = ec.generate_private_key(ec.SECP256R1())
    new_key = ec.generate_private_key(ec.SECP256R1())
    signer = ec.generate_private_key(ec.SECP256R1())
    storage = durable_backend.open()
    with _open_log(storage, old_key) as log:
        entry, _ = log.submit(hashedrekord(signer, b"sealed by the old key"))
    storage.close()
    storage = durable_backend.open()
    try:
        verifiers = [verifier_for(HOST, old_key.public_key())]
        with RekorLog(
            storage,
            new_key,
            host=HOST,
            tree_id=TREE_ID,
            index_offset=OFFSET,
            verifiers=verifiers,
        ) as log:
            served = log.entry(entry.log_index)
            assert served is not None
            assert served.log_id == rekor.log_id(new_key.public_key())
            rekor.verify_entry_timestamp(
                new_key.public_key(), served.signed_entry_timestamp, served.set_payload()
            )
    finally:
        storage.close()


def test_a_newer_schema_is_refused(durable_backend: Backend) -> None:
    durable_backend.open().close()
    if durable_backend.name == "sqlite":
        _sql(durable_backend, "PRAGMA user_version = 3")
    else:
        _sql(durable_backend, "UPDATE tlog_schema SET version = 3 WHERE id = 0")
    with pytest.raises(StorageError, match="schema version 3 is newer than 2"):
        durable_backend.open()
