"""SQLite backend specifics: pragmas, bad files, failures, and kill -9 during a burst."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia.errors import ProofError, StorageError
from liturgia.tlog import merkle
from liturgia.tlog.checkpoint import Ed25519NoteSigner, open_checkpoint
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
    newer = tmp_path / "newer.db"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}").connection.close()
    with pytest.raises(StorageError, match="schema version 2 is newer than 1"):
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


CHILD = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from liturgia.tlog.checkpoint import Ed25519NoteSigner
    from liturgia.tlog.sequencer import Sequencer
    from liturgia.tlog.storage.sqlite import SqliteStorage

    path, round_, seed = Path(sys.argv[1]), sys.argv[2], bytes.fromhex(sys.argv[3])
    signer = Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.from_private_bytes(seed))
    seq = Sequencer(SqliteStorage(path), signer, origin=sys.argv[4], max_batch=64)
    seq.start()
    lock = threading.Lock()
    print("ready", flush=True)

    def worker(k):
        for i in range(100000):
            body = f"{round_}-{k}-{i}".encode()
            a = seq.add(body)
            with lock:
                sys.stdout.write(f"ack {a.index} {body.hex()}\\n")
                sys.stdout.flush()

    for k in range(16):
        threading.Thread(target=worker, args=(k,), daemon=True).start()
    threading.Event().wait()
    """
)


def _crash_rounds(tmp_path: Path, rounds: int) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    db = tmp_path / "log.db"
    rng = random.Random(1234)  # noqa: S311 - kill timing, not cryptography
    acked: dict[int, bytes] = {}
    heads: list[tuple[int, bytes]] = []
    for round_ in range(rounds):
        child = subprocess.Popen(
            [sys.executable, str(script), str(db), str(round_), SEED.hex(), ORIGIN],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        want = rng.randint(1, 400)
        seen = 0
        deadline = time.monotonic() + 20
        lines = []
        while seen < want and time.monotonic() < deadline:
            line = child.stdout.readline()
            lines.append(line)
            seen += line.startswith("ack ")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        lines.extend(child.stdout.read().splitlines())
        child.stdout.close()
        fresh: list[int] = []
        for line in lines:
            if line.startswith("ack "):
                _, index, body = line.split()
                assert int(index) not in acked, "an index was handed out twice"
                acked[int(index)] = bytes.fromhex(body)
                fresh.append(int(index))
        # Restart: verify the stored tree (fully), integrate leftovers, check everything acked.
        storage = SqliteStorage(db)
        with Sequencer(storage, signer(), origin=ORIGIN, verify_full=True) as seq:
            state = seq.state()
            head = open_checkpoint(state.checkpoint, [signer().verifier()], origin=ORIGIN)
            assert state.size == storage.sequenced_size() >= len(acked)
            for index, body in acked.items():
                assert storage.read_entry(index) == body
            # Proofs for this round's entries and a sample of earlier ones.
            older = sorted(set(acked) - set(fresh))
            for index in fresh + rng.sample(older, min(50, len(older))):
                body = acked[index]
                merkle.verify_inclusion(
                    leaf_hash=merkle.leaf_hash(body),
                    index=index,
                    tree_size=state.size,
                    proof=seq.inclusion_proof(index),
                    root=head.root_hash,
                )
            for size, root in heads:
                if size:
                    merkle.verify_consistency(
                        size1=size,
                        size2=state.size,
                        proof=seq.consistency_proof(size),
                        root1=root,
                        root2=state.root,
                    )
            heads.append((state.size, state.root))
        leaf_hashes = storage.read_leaf_hashes(0, state.size)
        assert len(set(leaf_hashes)) == len(leaf_hashes) == state.size, "an entry is duplicated"
        storage.close()
    assert len(acked) >= rounds


def test_kill_9_during_burst_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    _crash_rounds(tmp_path, rounds=5)


@pytest.mark.slow
def test_kill_9_twenty_times(tmp_path: Path) -> None:
    _crash_rounds(tmp_path, rounds=20)
