"""Monitor: growth is accepted, rollbacks, forks and bad proofs are refused with evidence kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia.errors import ProofError, SignatureError, StorageError
from liturgia.tlog import merkle
from liturgia.tlog.checkpoint import Checkpoint, Ed25519NoteSigner, sign_checkpoint
from liturgia.tlog.monitor import Monitor

ORIGIN = "log.example - 1"
LEAVES = [merkle.leaf_hash(b"%d" % i) for i in range(20)]
FORGED = [merkle.leaf_hash(b"forged"), *LEAVES[1:]]
SIGNER = Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())


def note(size: int, leaves: list[bytes] = LEAVES, signer: Ed25519NoteSigner = SIGNER) -> bytes:
    body = Checkpoint(origin=ORIGIN, size=size, root_hash=merkle.root_hash(leaves[:size]))
    return sign_checkpoint(body, [signer])


def honest(old: int, new: int) -> list[bytes]:
    return list(merkle.consistency_proof(LEAVES[:new], old))


def test_growth_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monitor = Monitor(tmp_path / "state", [SIGNER.verifier()], origin=ORIGIN)
    assert monitor.last() is None
    calls: list[tuple[int, int]] = []

    def fetch(a: int, b: int) -> list[bytes]:
        calls.append((a, b))
        return honest(a, b)

    for size in (0, 3, 3, 10, 20):
        assert monitor.observe(note(size), fetch).size == size
    assert calls == [(3, 10), (10, 20)]  # none from the empty tree, none for the same size
    assert monitor.last() == Checkpoint(origin=ORIGIN, size=20, root_hash=merkle.root_hash(LEAVES))
    history = (tmp_path / "state" / "history").read_text().splitlines()
    assert [line.split()[:2] for line in history] == [
        ["1700000000", "0"],
        ["1700000000", "3"],
        ["1700000000", "3"],
        ["1700000000", "10"],
        ["1700000000", "20"],
    ]


@pytest.mark.parametrize(
    ("second", "proof", "error", "message"),
    [
        (note(5), None, ProofError, "shrank from 10 to 5 entries"),
        (note(10, FORGED), None, ProofError, "roots differ"),
        (note(15, FORGED), honest, ProofError, "yields root"),
        (note(15), lambda a, b: honest(a, b)[:-1], ProofError, "expected"),
        (
            note(15, signer=Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())),
            honest,
            SignatureError,
            "known key",
        ),
    ],
)
def test_inconsistencies_are_refused_and_state_kept(
    tmp_path: Path, second: bytes, proof: object, error: type[Exception], message: str
) -> None:
    monitor = Monitor(tmp_path, [SIGNER.verifier()], origin=ORIGIN)
    first = note(10)
    monitor.observe(first, honest)
    with pytest.raises(error, match=message):
        monitor.observe(second, proof or honest)  # type: ignore[arg-type]
    assert (tmp_path / "checkpoint").read_bytes() == first


def test_other_origin_and_unreadable_state(tmp_path: Path) -> None:
    monitor = Monitor(tmp_path / "m", [SIGNER.verifier()], origin="other - 2")
    with pytest.raises(ProofError, match="expected 'other - 2'"):
        monitor.observe(note(3), honest)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "checkpoint").mkdir()
    with pytest.raises(StorageError, match="cannot read"):
        monitor.last()
    blocked = Monitor(tmp_path / "file" / "sub", [SIGNER.verifier()], origin=ORIGIN)
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot read: Not a directory"):
        blocked.observe(note(3), honest)
    (tmp_path / "h" / "history").mkdir(parents=True)
    no_history = Monitor(tmp_path / "h", [SIGNER.verifier()], origin=ORIGIN)
    with pytest.raises(StorageError, match="cannot record history"):
        no_history.observe(note(3), honest)
