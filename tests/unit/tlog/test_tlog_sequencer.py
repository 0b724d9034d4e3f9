"""Sequencer batching and lifecycle, with a storage that can hold a commit back."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia.errors import StorageError
from liturgia.tlog.checkpoint import Ed25519NoteSigner
from liturgia.tlog.sequencer import Sequencer
from liturgia.tlog.storage import Assigned, MemoryStorage


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
    ) -> tuple[Assigned, ...]:
        self.entered.set()
        self.gate.wait(10)
        self.batches.append(len(leaves))
        return super().sequence(leaves, integrated_time=integrated_time, index_keys=index_keys)


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
