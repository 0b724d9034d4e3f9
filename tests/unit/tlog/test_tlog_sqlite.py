"""SQLite backend specifics: pragmas, bad files, failures reaching callers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia.errors import ProofError, StorageError, StoredEntryError
from liturgia.tlog import sequencer as sequencer_module
from liturgia.tlog.checkpoint import Ed25519NoteSigner
from liturgia.tlog.sequencer import Sequencer
from liturgia.tlog.storage.sqlite import SCHEMA_VERSION, SqliteStorage

SEED = bytes(range(32))
ORIGIN = "log.example - 7"


def signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.from_private_bytes(SEED))


@pytest.mark.parametrize(("mode", "level"), [("FULL", 2), ("NORMAL", 1)])
def test_wal_and_synchronous_on_every_connection(tmp_path: Path, mode: str, level: int) -> None:
    storage = SqliteStorage(tmp_path / "log.db", synchronous=mode)  # type: ignore[arg-type]
    try:
        with storage._read("check") as reader:
            for conn in (storage._writer, reader):
                assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                assert conn.execute("PRAGMA synchronous").fetchone()[0] == level
        assert storage._writer.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        storage.close()


def test_bad_files_and_settings(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="synchronous must be FULL or NORMAL, not 'OFF'"):
        SqliteStorage(tmp_path / "a.db", synchronous="OFF")  # type: ignore[arg-type]
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match=r"junk\.db: cannot configure: file is not a database"):
        SqliteStorage(junk)
    with pytest.raises(StorageError, match="cannot enable WAL"):
        SqliteStorage(Path(":memory:"))
    assert not Path(":memory:.write").exists()  # nothing written beside a refused database
    newer = tmp_path / "newer.db"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}").connection.close()
    with pytest.raises(StorageError, match="schema version 3 is newer than 2"):
        SqliteStorage(newer)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot create folder"):
        SqliteStorage(blocker / "sub" / "log.db")


def test_entries_lost_behind_the_tree_are_refused(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "log.db")
    with Sequencer(storage, signer(), origin=ORIGIN) as seq:
        for i in range(5):
            seq.add(b"%d" % i)
        seq.wait_integrated(4)
    storage.close()
    conn = sqlite3.connect(tmp_path / "log.db")
    conn.execute("DELETE FROM entries WHERE idx >= 3")
    conn.commit()
    conn.close()
    storage = SqliteStorage(tmp_path / "log.db")
    with pytest.raises(ProofError, match="size 5 but only 3 entries"):
        Sequencer(storage, signer(), origin=ORIGIN).start()
    storage.close()


def test_storage_failure_reaches_submitters_and_waiters(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "log.db")
    seq = Sequencer(storage, signer(), origin=ORIGIN)
    seq.start()
    seq.add(b"first")
    seq.wait_integrated(0)
    storage.close()
    with pytest.raises(StorageError, match="log storage is closed"):
        seq.add(b"second")
    with pytest.raises(StorageError, match="log storage is closed"):
        storage.find_index(b"x" * 32)
    seq.close()


def test_integration_failure_is_reported_to_waiters(tmp_path: Path) -> None:
    """A tree commit that keeps failing: the entry stays durable, waiters hear why."""

    class FailingTree(SqliteStorage):
        fail = False

        def commit_tree(self, **kwargs: object) -> None:  # type: ignore[override]
            if self.fail:
                raise StorageError("disk full")
            super().commit_tree(**kwargs)  # type: ignore[arg-type]

    storage = FailingTree(tmp_path / "log.db")
    seq = Sequencer(storage, signer(), origin=ORIGIN)
    seq.start()
    storage.fail = True
    assigned = seq.add(b"kept")
    with pytest.raises(StorageError, match="integration failed: disk full"):
        seq.wait_integrated(assigned.index, timeout=5)
    seq.close()
    storage.fail = False
    with Sequencer(storage, signer(), origin=ORIGIN) as again:
        assert again.state().size == 1
    storage.close()


def test_follower_of_a_never_signed_log_gives_up_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sequencer_module, "_FIRST_CHECKPOINT_WAIT", 0.1)
    holder = SqliteStorage(tmp_path / "log.db")
    storage = SqliteStorage(tmp_path / "log.db")
    try:
        assert holder.try_lead()  # a leader that never signs
        with pytest.raises(StorageError, match=r"no leader signed .* within 0\.1 s"):
            Sequencer(storage, signer(), origin=ORIGIN).start()
    finally:
        storage.close()
        holder.close()


def test_lead_file_that_cannot_be_opened(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "log.db")
    try:
        storage.lead_path.mkdir()  # a folder where the lock file should be
        with pytest.raises(StorageError, match=r"log\.db\.lead: cannot open the lead lock file"):
            storage.try_lead()
    finally:
        storage.close()


def test_lead_is_a_flock_freed_with_the_descriptor(tmp_path: Path) -> None:
    import fcntl  # noqa: PLC0415 - one test
    import os  # noqa: PLC0415

    storage = SqliteStorage(tmp_path / "log.db")
    try:
        assert storage.try_lead()
        fd = os.open(storage.lead_path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):  # held: another opener cannot lock it
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            storage.release_lead()
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released: it can
            assert not storage.try_lead()
            fcntl.flock(fd, fcntl.LOCK_UN)
            assert storage.try_lead()
        finally:
            os.close(fd)
    finally:
        storage.close()


def test_writers_queue_on_the_write_lock_file(tmp_path: Path) -> None:
    """A write waits while another holder (any process) has the write flock, then proceeds."""
    import fcntl  # noqa: PLC0415 - one test
    import os  # noqa: PLC0415
    import threading  # noqa: PLC0415

    storage = SqliteStorage(tmp_path / "log.db")
    try:
        fd = os.open(storage.write_lock_path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            done = threading.Event()

            def write() -> None:
                storage.sequence([(b"\x01" * 32, b"entry")], integrated_time=1)
                done.set()

            writer = threading.Thread(target=write)
            writer.start()
            assert not done.wait(0.3)  # queued behind the holder
            assert storage.sequenced_size() == 0
            fcntl.flock(fd, fcntl.LOCK_UN)
            assert done.wait(10)
            writer.join()
            assert storage.sequenced_size() == 1
        finally:
            os.close(fd)
    finally:
        storage.close()
    storage.close()  # closing twice is harmless


def test_write_lock_file_that_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "log.db.write").mkdir()
    with pytest.raises(StorageError, match=r"log\.db\.write: cannot open the write lock file"):
        SqliteStorage(tmp_path / "log.db")


def _alter_body(db: Path, index: int, body: bytes) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE entries SET body = ? WHERE idx = ?", (body, index))
    conn.commit()
    conn.close()


def test_altered_bodies_are_refused_and_checked_chunks_remembered(tmp_path: Path) -> None:
    """The tree (leaf hashes, tiles, checkpoint) is intact, a body beside it is not."""
    db = tmp_path / "log.db"
    storage = SqliteStorage(db)
    with Sequencer(storage, signer(), origin=ORIGIN) as seq:
        for i in range(7):
            seq.add(b"entry %d" % i)
        seq.wait_integrated(6)
    # Chunks of 3: [0, 3) and [3, 6) are checked and remembered, [6, 7) is checked each time.
    assert sequencer_module.verify_stored_bodies(storage, 7, chunk=3) == 7
    assert storage.read_setting("bodies_verified_3_1") == "ok"
    assert storage.read_setting("bodies_verified_3_2") is None
    assert sequencer_module.verify_stored_bodies(storage, 7, chunk=3) == 1
    storage.close()
    _alter_body(db, 6, b"entry 6, altered")
    storage = SqliteStorage(db)
    with pytest.raises(StoredEntryError, match=r"^entry 6: the stored body does not hash") as err:
        sequencer_module.verify_stored_bodies(storage, 7, chunk=3)
    assert err.value.index == 6
    # Start-up checks every body (no chunk of the default size is full yet): nothing served.
    with pytest.raises(StoredEntryError, match="entry 6"):
        Sequencer(storage, signer(), origin=ORIGIN).start()
    storage.close()
    _alter_body(db, 6, b"entry 6")
    _alter_body(db, 2, b"entry 2, altered")
    storage = SqliteStorage(db)
    with pytest.raises(StoredEntryError, match="entry 2"):
        Sequencer(storage, signer(), origin=ORIGIN).start()
    # A remembered chunk is not read again: the incremental check trusts its own marks.
    assert sequencer_module.verify_stored_bodies(storage, 7, chunk=3) == 1
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM entries WHERE idx = 6")
    conn.commit()
    conn.close()
    with pytest.raises(StoredEntryError, match="entry 6 is in the tree but its body is not"):
        sequencer_module.verify_stored_bodies(storage, 7, chunk=3)
    storage.close()
