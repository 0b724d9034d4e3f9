"""Sequencer batching and lifecycle, with a storage that can hold a commit back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia.errors import StorageError
from liturgia.tlog.checkpoint import Checkpoint, Ed25519NoteSigner, sign_checkpoint
from liturgia.tlog.sequencer import Sequencer
from liturgia.tlog.storage import Assigned, MemoryStorage, TreeState
from liturgia.tlog.storage.base import Seal


class GatedStorage(MemoryStorage):
    """A memory storage whose ``sequence`` waits for a gate and records batch sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.batches: list[int] = []

    def sequence(
        self,
        leaves: Sequence[tuple[bytes, bytes]],
        *,
        integrated_time: int,
        index_keys: Sequence[Sequence[str]] = (),
        seal: Seal | None = None,
    ) -> tuple[Assigned, ...]:
        self.entered.set()
        self.gate.wait(10)
        self.batches.append(len(leaves))
        return super().sequence(
            leaves, integrated_time=integrated_time, index_keys=index_keys, seal=seal
        )


def make() -> tuple[GatedStorage, Sequencer]:
    storage = GatedStorage()
    signer = Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())
    return storage, Sequencer(
        storage, signer, origin="log.example", max_batch=2, clock=lambda: 1_234_567_890
    )


def test_queued_entries_are_stored_in_batches_of_at_most_max_batch() -> None:
    storage, seq = make()
    seq.start()
    first = seq.submit(b"0")
    assert storage.entered.wait(5)  # the first batch is inside sequence(), held by the gate
    rest = [seq.submit(b"%d" % i) for i in range(1, 6)]
    storage.gate.set()
    assert [f.result(5).index for f in [first, *rest]] == [0, 1, 2, 3, 4, 5]
    assert storage.batches == [1, 2, 2, 1]
    stored = storage.read_entry(5)
    assert stored is not None and stored.integrated_time == 1_234_567_890
    assert seq.wait_integrated(5, timeout=5).size == 6
    seq.close()
    seq.close()  # closing twice is harmless


def test_add_times_out_while_storage_is_stuck() -> None:
    storage, seq = make()
    seq.start()
    with pytest.raises(StorageError, match=r"entry not stored within 0\.05 s"):
        seq.add(b"slow", timeout=0.05)
    storage.gate.set()
    seq.close()
    # Closing drained the queue: the entry that timed out for its caller is stored anyway.
    stored = storage.read_entry(0)
    assert stored is not None and stored.body == b"slow"


def test_close_before_start_and_submit_when_stopped() -> None:
    _, seq = make()
    seq.close()
    with pytest.raises(StorageError, match="not running"):
        seq.submit(b"x")


def test_default_clock_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    storage = MemoryStorage()
    signer = Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())
    with Sequencer(storage, signer, origin="log.example") as seq:
        seq.add(b"x")
    stored = storage.read_entry(0)
    assert stored is not None and stored.integrated_time == 1_700_000_000


class SwitchedLeadStorage(MemoryStorage):
    """A memory storage whose lead can be withheld, as when another process holds it."""

    def __init__(self) -> None:
        super().__init__()
        self.lead = True
        self.watch_error = False

    def try_lead(self) -> bool:
        super().try_lead()
        return self.lead

    def wait_for_change(self, timeout: float, *, poll: float = 0.002) -> bool:
        if self.watch_error:
            raise StorageError("watch failed")
        return super().wait_for_change(timeout, poll=poll)


def _until(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.005)
    return check()


def _signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())


def test_a_leader_that_loses_the_lead_follows_and_takes_it_back() -> None:
    storage = SwitchedLeadStorage()
    with Sequencer(storage, _signer(), origin="log.example") as seq:
        assert seq.leading and seq.wait_integrated(seq.add(b"a").index, timeout=5).size == 1
        storage.lead = False
        index = seq.add(b"b").index  # the lead is found lost when integrating this entry
        assert _until(lambda: not seq.leading)
        with pytest.raises(StorageError, match="not integrated within"):
            seq.wait_integrated(index, timeout=0.1)
        storage.lead = True  # the other "process" went away: taken back within 250 ms
        assert seq.wait_integrated(index, timeout=5).size == 2
        assert seq.leading


def test_follower_refuses_a_stored_tree_that_does_not_verify() -> None:
    storage = SwitchedLeadStorage()
    signer = _signer()
    with Sequencer(storage, signer, origin="log.example") as seq:
        seq.wait_integrated(seq.add(b"a").index, timeout=5)
        storage.lead = False
        assert _until(lambda: seq.add(b"b") is not None and not seq.leading)
        # A "leader" stores a tree whose checkpoint is for another root.
        state = storage.read_state()
        note = sign_checkpoint(
            Checkpoint(origin="log.example", size=2, root_hash=b"\x07" * 32), [signer]
        )
        storage.commit_tree(
            old_size=1, state=TreeState(size=2, root=b"\x08" * 32, checkpoint=note), tiles=()
        )
        with pytest.raises(StorageError, match="integration failed: stored tree"):
            seq.wait_integrated(1, timeout=5)
        assert seq.state() == state  # not adopted
        # Taking the lead again checks the stored tree first, and refuses it.
        storage.lead = True
        time.sleep(0.6)
        assert not seq.leading
        with pytest.raises(StorageError, match="does not match its checkpoint"):
            seq.wait_integrated(1, timeout=1)
        storage.commit_tree(old_size=2, state=state, tiles=())  # repaired
        assert _until(lambda: seq.leading)
        assert _until(lambda: seq.state().size == 2)
        assert seq.wait_integrated(1, timeout=5).size == 2


def test_watch_failures_fall_back_to_polling() -> None:
    storage = SwitchedLeadStorage()
    storage.watch_error = True
    with Sequencer(storage, _signer(), origin="log.example") as seq:
        assert seq.wait_integrated(seq.add(b"a").index, timeout=5).size == 1
