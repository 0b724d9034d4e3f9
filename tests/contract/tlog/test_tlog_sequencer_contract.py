"""The sequencer over every storage backend: durable indexes, batches, startup verification."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia.errors import ProofError, SignatureError, StorageError
from liturgia.tlog import merkle, tiles
from liturgia.tlog.checkpoint import (
    Checkpoint,
    EcdsaNoteSigner,
    Ed25519NoteSigner,
    NoteSigner,
    open_checkpoint,
    rekor_origin,
    sign_checkpoint,
)
from liturgia.tlog.sequencer import Sequencer, verify_stored_tree
from liturgia.tlog.storage import LogStorage, TreeState

ORIGIN = rekor_origin("log.example", 42)


@pytest.fixture(params=["ecdsa", "ed25519"])
def signer(request: pytest.FixtureRequest) -> NoteSigner:
    if request.param == "ecdsa":
        return EcdsaNoteSigner("log.example", ec.generate_private_key(ec.SECP256R1()))
    return Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())


def body(i: int) -> bytes:
    return f'{{"entry":{i}}}'.encode()


def test_concurrent_adds_are_durable_dense_and_provable(
    storage: LogStorage, signer: NoteSigner
) -> None:
    results: dict[int, int] = {}
    lock = threading.Lock()
    checkpoints: list[bytes] = []

    with Sequencer(storage, signer, origin=ORIGIN, max_batch=50) as seq:
        assert open_checkpoint(seq.state().checkpoint, [signer.verifier()], origin=ORIGIN).size == 0

        def worker(k: int) -> None:
            for i in range(k * 40, k * 40 + 40):
                assigned = seq.add(body(i))
                assert not assigned.duplicate
                with lock:
                    results[i] = assigned.index
                    checkpoints.append(seq.state().checkpoint)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values()) == list(range(320))
        # A resubmission is a duplicate with the original index (Rekor's 409).
        assert seq.add(body(5)).index == results[5]
        assert seq.add(body(5)).duplicate
        state = seq.wait_integrated(319, timeout=10)
        head = open_checkpoint(state.checkpoint, [signer.verifier()], origin=ORIGIN)
        assert (head.size, head.root_hash) == (state.size, state.root) == (320, state.root)
        for i in (0, 77, 319):
            index = results[i]
            stored = storage.read_entry(index)
            assert stored is not None and stored.body == body(i) and stored.integrated_time > 0
            merkle.verify_inclusion(
                leaf_hash=merkle.leaf_hash(body(i)),
                index=index,
                tree_size=state.size,
                proof=seq.inclusion_proof(index),
                root=state.root,
            )
        # Every checkpoint signed along the way is consistent with the final one.
        for note in checkpoints:
            old = open_checkpoint(note, [signer.verifier()])
            if old.size:
                merkle.verify_consistency(
                    size1=old.size,
                    size2=state.size,
                    proof=seq.consistency_proof(old.size),
                    root1=old.root_hash,
                    root2=state.root,
                )
    with pytest.raises(StorageError, match="not running"):
        seq.add(b"late")


def test_restart_integrates_leftovers_and_keeps_the_tree(backend: Any, signer: NoteSigner) -> None:
    storage = backend.open()
    with Sequencer(storage, signer, origin=ORIGIN) as seq:
        for i in range(10):
            seq.add(body(i))
        first = seq.wait_integrated(9)
    # Entries sequenced by a process that died before integrating them.
    storage.sequence(
        [(merkle.leaf_hash(body(i)), body(i)) for i in range(10, 15)], integrated_time=1
    )
    storage = backend.reopen(storage)
    seq = Sequencer(storage, signer, origin=ORIGIN, verify_full=True)
    stored = seq.start()
    try:
        assert (stored.state.size, stored.sequenced) == (10, 15)
        assert stored.checkpoint is not None and stored.checkpoint.root_hash == first.root
        state = seq.state()
        assert state.size == 15
        assert state.root == merkle.root_hash([merkle.leaf_hash(body(i)) for i in range(15)])
        merkle.verify_consistency(
            size1=10,
            size2=15,
            proof=seq.consistency_proof(10, 15),
            root1=first.root,
            root2=state.root,
        )
        assert seq.add(body(15)).index == 15
        with pytest.raises(StorageError, match="already started"):
            seq.start()
    finally:
        seq.close()
        storage.close()


def _signed_state(signer: NoteSigner, size: int, root: bytes, origin: str = ORIGIN) -> TreeState:
    note = sign_checkpoint(Checkpoint(origin=origin, size=size, root_hash=root), [signer])
    return TreeState(size=size, root=root, checkpoint=note)


def _grown(storage: LogStorage, signer: NoteSigner, n: int) -> TreeState:
    with Sequencer(storage, signer, origin=ORIGIN) as seq:
        futures = [seq.submit(body(i)) for i in range(n)]  # queued together: few batches
        assert [f.result(10).index for f in futures] == list(range(n))
        return seq.wait_integrated(n - 1)


def test_refuses_tree_not_matching_checkpoint(storage: LogStorage, signer: NoteSigner) -> None:
    state = _grown(storage, signer, 20)
    bad = TreeState(size=20, root=merkle.leaf_hash(b"other"), checkpoint=state.checkpoint)
    storage.commit_tree(old_size=20, state=bad, tiles=())
    with pytest.raises(ProofError, match="does not match its checkpoint"):
        Sequencer(storage, signer, origin=ORIGIN).start()


def test_refuses_checkpoint_of_another_key(storage: LogStorage, signer: NoteSigner) -> None:
    state = _grown(storage, signer, 3)
    other = Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())
    storage.commit_tree(old_size=3, state=_signed_state(other, 3, state.root), tiles=())
    with pytest.raises(SignatureError, match="no signature by a known key"):
        Sequencer(storage, signer, origin=ORIGIN).start()
    # Key rotation: the old key is accepted when listed.
    with Sequencer(storage, signer, origin=ORIGIN, verifiers=[other.verifier()]) as seq:
        assert seq.state().size == 3


def test_refuses_other_origin(storage: LogStorage, signer: NoteSigner) -> None:
    _grown(storage, signer, 3)
    with pytest.raises(ProofError, match=r"expected 'other\.example - 1'"):
        Sequencer(storage, signer, origin="other.example - 1").start()


@pytest.mark.parametrize(
    ("key", "full", "message"),
    [
        # Tile 1/0 holds MTH(D[0:256]), on the root's path: the quick check sees it.
        (tiles.TileKey(level=1, index=0), False, "root recomputed from stored tiles"),
        # Tile 0/0 only feeds proofs of leaves 0..255: the full check sees it.
        (tiles.TileKey(level=0, index=0), True, "stored tile 0/0 does not match the leaves"),
    ],
)
def test_refuses_tampered_tiles(
    storage: LogStorage, signer: NoteSigner, key: tiles.TileKey, full: bool, message: str
) -> None:
    state = _grown(storage, signer, 300)
    width = tiles.tile_width(key, 300)
    storage.commit_tree(old_size=300, state=state, tiles=[(key, merkle.leaf_hash(b"evil") * width)])
    with pytest.raises(ProofError, match=message):
        Sequencer(storage, signer, origin=ORIGIN, verify_full=full).start()


@pytest.mark.parametrize(
    ("size", "message"), [(20, "leaf tile 0/0 does not hold"), (256, "from 256 stored leaves")]
)
def test_refuses_tree_of_other_leaves(
    storage: LogStorage, signer: NoteSigner, size: int, message: str
) -> None:
    """Tiles and checkpoint agree but were computed from other leaves than the stored entries."""
    storage.sequence([(merkle.leaf_hash(body(i)), body(i)) for i in range(size)], integrated_time=1)
    fake = [merkle.leaf_hash(b"fake-%d" % i) for i in range(size)]
    result = tiles.integrate(storage, 0, fake)
    storage.commit_tree(
        old_size=0, state=_signed_state(signer, size, result.root), tiles=result.tiles
    )
    with pytest.raises(ProofError, match=message):
        verify_stored_tree(storage, [signer.verifier()], origin=ORIGIN, full=True)


def test_refuses_unsigned_nonempty_tree(storage: LogStorage, signer: NoteSigner) -> None:
    storage.sequence([(merkle.leaf_hash(body(0)), body(0))], integrated_time=1)
    storage.commit_tree(
        old_size=0, state=TreeState(size=1, root=merkle.leaf_hash(body(0))), tiles=()
    )
    with pytest.raises(ProofError, match="size 1 but no signed checkpoint"):
        Sequencer(storage, signer, origin=ORIGIN).start()


def test_proof_argument_errors(storage: LogStorage, signer: NoteSigner) -> None:
    with Sequencer(storage, signer, origin=ORIGIN) as seq:
        seq.add(body(0))
        seq.wait_integrated(0)
        with pytest.raises(ValueError, match="beyond the tree"):
            seq.inclusion_proof(0, 2)
        with pytest.raises(ValueError, match="not in a tree of size 1"):
            seq.inclusion_proof(1)
        with pytest.raises(StorageError, match=r"leaf 5 not integrated within 0\.05 s"):
            seq.wait_integrated(5, timeout=0.05)


def test_two_sequencers_share_one_log(backend: Any, signer: NoteSigner) -> None:
    """Two processes' sequencers on one log: dense distinct indexes, one index per entry."""
    first = backend.open()
    second = backend.open_again(first)
    sequencers = [Sequencer(first, signer, origin=ORIGIN), Sequencer(second, signer, origin=ORIGIN)]
    for seq in sequencers:
        seq.start()
    got: dict[tuple[int, int], int] = {}
    lock = threading.Lock()

    def worker(k: int) -> None:
        seq = sequencers[k % 2]
        for i in range(k // 2 * 25, k // 2 * 25 + 25):
            index = seq.add(body(i)).index
            with lock:
                got[(k % 2, i)] = index

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        # Each body was added through both sequencers and got one index; indexes are dense.
        assert all(got[(0, i)] == got[(1, i)] for i in range(100))
        assert sorted(got[(0, i)] for i in range(100)) == list(range(100))
        states = [seq.wait_integrated(99, timeout=10) for seq in sequencers]
        final = first.read_state()
        assert final.size == 100
        head = open_checkpoint(final.checkpoint, [signer.verifier()], origin=ORIGIN)
        assert head.root_hash == merkle.root_hash(
            [merkle.leaf_hash(first.read_entry(n).body) for n in range(100)]  # type: ignore[union-attr]
        )
        for state in states:
            assert state.size >= 100
        for i in (0, 50, 99):
            merkle.verify_inclusion(
                leaf_hash=merkle.leaf_hash(body(i)),
                index=got[(0, i)],
                tree_size=100,
                proof=sequencers[1].inclusion_proof(got[(0, i)], 100),
                root=head.root_hash,
            )
    finally:
        for seq in sequencers:
            seq.close()
        second.close()
        first.close()
