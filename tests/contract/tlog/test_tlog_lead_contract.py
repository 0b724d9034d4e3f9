"""The lead (one integrator at a time) and change watching, on every backend.

Two storage objects on one log stand for two processes (one SQLite file, one PostgreSQL
schema); a real child process stands for a process killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia.errors import StorageError
from liturgia.tlog import merkle
from liturgia.tlog.checkpoint import Ed25519NoteSigner, open_checkpoint
from liturgia.tlog.sequencer import Sequencer
from liturgia.tlog.storage import LogStorage, open_storage

SEED = bytes(range(32))
ORIGIN = "log.example - 7"
T0 = 1_750_000_000


def signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.from_private_bytes(SEED))


def leaf(tag: str) -> tuple[bytes, bytes]:
    return merkle.leaf_hash(tag.encode()), tag.encode()


def _until(check: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return bool(check())


def test_one_leader_at_a_time(durable_backend: Any) -> None:
    first = durable_backend.open()
    second = durable_backend.open_again(first)
    try:
        assert first.try_lead() is True
        assert first.try_lead() is True  # asking again while leading: still leading
        assert second.try_lead() is False
        assert second.try_lead() is False  # and again: still not
        first.release_lead()
        first.release_lead()  # idempotent
        assert second.try_lead() is True
        assert first.try_lead() is False
        second.close()  # closing the leader frees the lead
        assert first.try_lead() is True
    finally:
        first.close()
        second.close()


def test_memory_storage_always_leads() -> None:
    from liturgia.tlog.storage import MemoryStorage  # noqa: PLC0415 - one test

    storage = MemoryStorage()
    assert storage.try_lead() and storage.try_lead()
    storage.release_lead()
    assert storage.try_lead()
    storage.close()


def test_closed_storage_refuses_the_lead(backend: Any) -> None:
    storage = backend.open()
    assert storage.try_lead()
    storage.close()
    storage.release_lead()  # a no-op once closed
    with pytest.raises(StorageError, match="closed"):
        storage.try_lead()
    with pytest.raises(StorageError, match="closed"):
        storage.wait_for_change(0)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from liturgia.tlog.storage import open_storage
    storage = open_storage(sys.argv[1])
    print("leading" if storage.try_lead() else "following", flush=True)
    time.sleep(60)
    """
)


def test_killed_leader_frees_the_lead(durable_backend: Any, tmp_path: Path) -> None:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    child = subprocess.Popen(
        [sys.executable, str(script), durable_backend.url], stdout=subprocess.PIPE, text=True
    )
    other = durable_backend.open()
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "leading"
        assert other.try_lead() is False
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        started = time.monotonic()
        # The kernel (flock) or PostgreSQL (session lock of a dropped connection) frees it.
        assert _until(other.try_lead, 10.0)
        assert time.monotonic() - started < 5.0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
        other.close()


def test_wait_for_change_sees_another_writer(backend: Any) -> None:
    watcher = backend.open()
    writer = backend.open_again(watcher)
    try:
        watcher.wait_for_change(0)  # the first call may report a change (nothing seen yet)
        assert watcher.wait_for_change(0.05) is False  # quiet log: the time runs out
        timer = threading.Timer(0.1, lambda: writer.sequence([leaf("a")], integrated_time=T0))
        timer.start()
        started = time.monotonic()
        assert watcher.wait_for_change(5.0) is True
        assert 0.05 < time.monotonic() - started < 2.0
        timer.join()
        watcher.wait_for_change(0)  # drain
        assert watcher.wait_for_change(0) is False
        writer.commit_tree(old_size=0, state=_state(writer), tiles=())
        assert watcher.wait_for_change(2.0) is True
    finally:
        if writer is not watcher:
            writer.close()
        watcher.close()


def _state(storage: LogStorage) -> Any:
    from liturgia.tlog.storage import TreeState  # noqa: PLC0415

    return TreeState(size=1, root=storage.read_leaf_hashes(0, 1)[0], checkpoint=b"x")


def test_only_the_leader_integrates_and_a_follower_takes_over(durable_backend: Any) -> None:
    first = durable_backend.open()
    second = durable_backend.open_again(first)
    leader = Sequencer(first, signer(), origin=ORIGIN)
    leader.start()
    follower = Sequencer(second, signer(), origin=ORIGIN)
    follower.start()
    try:
        assert (leader.leading, follower.leading) == (True, False)
        # An entry sequenced by the follower is integrated by the leader and seen by both.
        index = follower.add(b"via follower").index
        state = follower.wait_integrated(index, timeout=10)
        assert not follower.leading
        assert leader.wait_integrated(index, timeout=10).size >= index + 1
        head = open_checkpoint(state.checkpoint, [signer().verifier()], origin=ORIGIN)
        assert (head.size, head.root_hash) == (state.size, state.root)
        merkle.verify_inclusion(
            leaf_hash=merkle.leaf_hash(b"via follower"),
            index=index,
            tree_size=state.size,
            proof=follower.inclusion_proof(index, state.size),
            root=state.root,
        )
        # The leader stops: the follower takes the lead and integrates on its own.
        leader.close()
        assert _until(lambda: follower.leading, 5.0)
        later = follower.add(b"after the leader left").index
        final = follower.wait_integrated(later, timeout=10)
        assert final.size == later + 1 == 2
        merkle.verify_consistency(
            size1=state.size,
            size2=final.size,
            proof=follower.consistency_proof(state.size),
            root1=state.root,
            root2=final.root,
        )
    finally:
        follower.close()
        leader.close()
        second.close()
        first.close()


def test_follower_on_a_new_log_waits_for_the_first_checkpoint(durable_backend: Any) -> None:
    first = durable_backend.open()
    second = durable_backend.open_again(first)
    assert first.try_lead()  # a leader that has not signed yet
    follower = Sequencer(second, signer(), origin=ORIGIN)
    starter = threading.Thread(target=follower.start)
    starter.start()
    time.sleep(0.1)
    assert starter.is_alive()  # no checkpoint to serve yet
    first.release_lead()  # the leader went away before signing: the follower leads and signs
    starter.join(10)
    try:
        assert not starter.is_alive() and follower.leading
        assert open_checkpoint(follower.state().checkpoint, [signer().verifier()]).size == 0
    finally:
        follower.close()
        second.close()
        first.close()


CHILD = textwrap.dedent(
    """
    import sys, threading
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from liturgia.tlog.checkpoint import Ed25519NoteSigner
    from liturgia.tlog.sequencer import Sequencer
    from liturgia.tlog.storage import open_storage

    url, seed, origin = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3]
    signer = Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.from_private_bytes(seed))
    seq = Sequencer(open_storage(url), signer, origin=origin, max_batch=32)
    seq.start()
    print("leading" if seq.leading else "following", flush=True)
    lock = threading.Lock()

    def worker(k):
        for i in range(100000):
            body = f"child-{k}-{i}".encode()
            a = seq.add(body)
            with lock:
                sys.stdout.write(f"ack {a.index} {body.hex()}\\n")
                sys.stdout.flush()

    for k in range(8):
        threading.Thread(target=worker, args=(k,), daemon=True).start()
    threading.Event().wait()
    """
)


def test_killed_leader_process_is_replaced_and_nothing_acked_is_lost(
    durable_backend: Any, tmp_path: Path
) -> None:
    """A leader process killed mid-burst: the follower takes over and integrates every ack."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), durable_backend.url, SEED.hex(), ORIGIN],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "leading"
    storage = durable_backend.open()
    follower = Sequencer(storage, signer(), origin=ORIGIN, max_batch=32)
    follower.start()
    ours: dict[int, bytes] = {}
    stop = threading.Event()
    lock = threading.Lock()

    def worker(k: int) -> None:
        for i in range(100_000):
            if stop.is_set():
                return
            body = f"parent-{k}-{i}".encode()
            index = follower.add(body).index
            with lock:
                ours[index] = body

    workers = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    try:
        assert not follower.leading
        for thread in workers:
            thread.start()
        acked: dict[int, bytes] = {}
        while len(acked) < 300:
            line = child.stdout.readline()
            assert line, "the child stopped"
            if line.startswith("ack "):
                _, index, body = line.split()
                acked[int(index)] = bytes.fromhex(body)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        for line in child.stdout.read().splitlines():
            if line.startswith("ack "):
                _, index, body = line.split()
                acked[int(index)] = bytes.fromhex(body)
        assert _until(lambda: follower.leading, 5.0)
        time.sleep(0.2)  # the new leader integrates while our clients keep adding
        stop.set()
        for thread in workers:
            thread.join(10)
        acked.update(ours)
        last = max(acked)
        state = follower.wait_integrated(last, timeout=10)
        head = open_checkpoint(state.checkpoint, [signer().verifier()], origin=ORIGIN)
        assert head.size == state.size >= len(acked)
        leaves = storage.read_leaf_hashes(0, state.size)
        assert len(set(leaves)) == len(leaves), "an entry is stored twice"
        for index, body in acked.items():
            assert leaves[index] == merkle.leaf_hash(body), f"ack {index} lost or moved"
        for index in sorted(acked)[:: max(1, len(acked) // 40)]:
            merkle.verify_inclusion(
                leaf_hash=merkle.leaf_hash(acked[index]),
                index=index,
                tree_size=state.size,
                proof=follower.inclusion_proof(index, state.size),
                root=head.root_hash,
            )
        assert any(index in ours for index in acked) and len(ours) < len(acked)
    finally:
        stop.set()
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()
        follower.close()
        storage.close()


def test_open_storage_again_reads_the_same_log(durable_backend: Any) -> None:
    """The URL another process would use names the same log (the lead tests rely on it)."""
    storage = durable_backend.open()
    storage.sequence([leaf("shared")], integrated_time=T0)
    other = open_storage(durable_backend.url)
    try:
        assert other.find_index(leaf("shared")[0]) == 0
    finally:
        other.close()
        storage.close()
