"""RekorLog: submit, answer and prove entries as Rekor v1 does, over real SQLite storage."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from tests.rekor_requests import hashedrekord

from liturgia.errors import InputError, SignatureError
from liturgia.tlog import merkle, rekor
from liturgia.tlog.checkpoint import open_checkpoint, verifier_for
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage

HOST = "log.example"
TREE_ID = 4242
OFFSET = 1000


@pytest.fixture(params=["ecdsa", "ed25519"])
def log_key(request: pytest.FixtureRequest) -> Any:
    if request.param == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def test_submit_answer_and_prove(tmp_path: Path, log_key: Any) -> None:
    signer = ec.generate_private_key(ec.SECP256R1())
    storage = SqliteStorage(tmp_path / "log.db")
    with RekorLog(storage, log_key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET) as log:
        assert log.origin == "log.example - 4242"
        request_one = hashedrekord(signer, b"one")  # ECDSA is randomised: keep the request
        first, created = log.submit(request_one)
        assert created and first.log_index == OFFSET
        assert first.inclusion_proof is not None and first.inclusion_proof.log_index == 0
        checkpoint = rekor.verify_log_entry(
            first, log_key.public_key(), key_name=HOST, origin=log.origin
        )
        assert checkpoint is not None and checkpoint.size == 1
        head_one = log.info()
        for artifact in (b"two", b"three"):
            log.submit(hashedrekord(signer, artifact))
        # A resubmission is the existing entry (Rekor's 409), wherever the tree is now.
        again, created = log.submit(request_one)
        assert not created and again.log_index == OFFSET and again.body == first.body
        rekor.verify_log_entry(again, log_key.public_key(), key_name=HOST, origin=log.origin)
        third = log.entry(OFFSET + 2)
        assert third is not None and third.inclusion_proof is not None
        assert third.inclusion_proof.tree_size == 3
        # Bundle JSON round trip, then offline verification as a client does.
        parsed = rekor.LogEntry.from_bundle_json(third.to_bundle_json())
        rekor.verify_log_entry(parsed, log_key.public_key(), key_name=HOST, origin=log.origin)
        # Lookups by UUID and by entry ID (tree ID prefix), and what is not there.
        assert log.entry_by_id(third.uuid) is not None
        assert log.entry_by_id(f"{TREE_ID:016x}{third.uuid}").log_index == OFFSET + 2  # type: ignore[union-attr]
        assert log.entry_by_id("0" * 64) is None
        assert log.entry(OFFSET - 1) is None and log.entry(OFFSET + 3) is None
        # Log info and consistency proofs, as GET /api/v1/log and /api/v1/log/proof answer.
        info = log.info()
        assert info["treeSize"] == 3 and info["treeID"] == str(TREE_ID)
        head = open_checkpoint(
            info["signedTreeHead"].encode(),
            [verifier_for(HOST, log_key.public_key())],
            origin=log.origin,
        )
        assert head.root_hash.hex() == info["rootHash"]
        proof = log.consistency(1)
        merkle.verify_consistency(
            size1=1,
            size2=3,
            proof=[bytes.fromhex(h) for h in proof["hashes"]],
            root1=bytes.fromhex(head_one["rootHash"]),
            root2=bytes.fromhex(proof["rootHash"]),
        )
        partial = log.consistency(1, 2)
        assert (
            partial["rootHash"]
            == merkle.root_hash(
                [merkle.leaf_hash(log.entry(OFFSET + i).body) for i in range(2)]  # type: ignore[union-attr]
            ).hex()
        )
    storage.close()
    # Restart: the stored tree is verified and the same entries are served.
    storage = SqliteStorage(tmp_path / "log.db")
    with RekorLog(storage, log_key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET) as log:
        again = log.entry(OFFSET + 1)
        assert again is not None
        rekor.verify_log_entry(again, log_key.public_key(), key_name=HOST, origin=log.origin)
    storage.close()


def test_bad_submissions_store_nothing(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "log.db")
    key = ec.generate_private_key(ec.SECP256R1())
    with RekorLog(storage, key, host=HOST, tree_id=TREE_ID) as log:
        request = hashedrekord(key, b"a")
        request["spec"]["data"]["hash"]["value"] = hashlib.sha256(b"b").hexdigest()
        with pytest.raises(SignatureError):
            log.submit(request)
        with pytest.raises(InputError, match=r"entry kind intoto 0\.0\.2 is not supported"):
            log.submit({"kind": "intoto", "apiVersion": "0.0.2", "spec": {}})
        with pytest.raises(InputError, match="'entry' must be an object"):
            log.submit(json.loads("[1, 2]"))
        assert storage.sequenced_size() == 0 and log.info()["treeSize"] == 0
        for first, last in ((0, None), (2, 1), (1, 5)):
            with pytest.raises(InputError, match="no consistency proof"):
                log.consistency(first, last)
        with pytest.raises(InputError, match="is not 64 or 80 lower-case hex digits"):
            log.entry_by_id("XYZ")
        with pytest.raises(InputError, match="is not of tree 4242"):
            log.entry_by_id("0" * 80)
    storage.close()


def test_constructor_checks(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "log.db")
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InputError, match="tree ID 0 is not a positive int64"):
        RekorLog(storage, key, host=HOST, tree_id=0)
    with pytest.raises(InputError, match=r"index offset -1 is not in 0\.\.2\*\*52"):
        RekorLog(storage, key, host=HOST, tree_id=1, index_offset=-1)
    # Found by a tester: an offset past 2**53 was taken, then every submission hung.
    with pytest.raises(InputError, match=r"index offset 4503599627370496 is not in 0\.\.2\*\*52"):
        RekorLog(storage, key, host=HOST, tree_id=1, index_offset=1 << 52)
    storage.close()


def test_search_by_artifact_hash_and_key(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "log.db")
    alice = ec.generate_private_key(ec.SECP256R1())
    bob = ec.generate_private_key(ec.SECP256R1())
    alice_pem = alice.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with RekorLog(storage, ec.generate_private_key(ec.SECP256R1()), host=HOST, tree_id=7) as log:
        a1, _ = log.submit(hashedrekord(alice, b"shared"))
        b1, _ = log.submit(hashedrekord(bob, b"shared"))
        a2, _ = log.submit(hashedrekord(alice, b"own"))
        shared = "sha256:" + hashlib.sha256(b"shared").hexdigest()
        ids = {e.log_index: f"{7:016x}{e.uuid}" for e in (a1, b1, a2)}
        assert log.search(artifact_hash=shared) == (ids[0], ids[1])
        assert log.search(artifact_hash=shared.removeprefix("sha256:").upper()) == (ids[0], ids[1])
        assert log.search(public_key=alice_pem) == (ids[0], ids[2])
        assert log.search(artifact_hash=shared, public_key=alice_pem) == (ids[0],)
        assert log.search(artifact_hash=shared, public_key=alice_pem, operator="or") == (
            ids[0],
            ids[1],
            ids[2],
        )
        assert log.search(artifact_hash="sha512:" + "0" * 128) == ()
        with pytest.raises(InputError, match="needs an artifact hash or a public key"):
            log.search()
        with pytest.raises(InputError, match=re.escape("is not '<sha256|sha384|sha512>:<hex>'")):
            log.search(artifact_hash="md5:abc")
        with pytest.raises(InputError, match="operator must be 'and' or 'or'"):
            log.search(artifact_hash=shared, operator="xor")
        with pytest.raises(InputError, match="is not a PEM public key or certificate"):
            log.search(public_key=b"nope")
    storage.close()


def test_commit_answers_a_batch_at_one_tree_size(tmp_path: Path, log_key: Any) -> None:
    """commit stores a batch, repeats and all, and answers each entry with a valid proof."""
    from liturgia.tlog.entries import accept_entry  # noqa: PLC0415

    signer = ec.generate_private_key(ec.SECP256R1())
    storage = SqliteStorage(tmp_path / "log.db")
    with RekorLog(storage, log_key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET) as log:
        earlier_request = hashedrekord(signer, b"earlier")  # ECDSA is randomised: keep it
        earlier, _ = log.submit(earlier_request)
        proposed = [hashedrekord(signer, b"artifact %d" % n) for n in range(20)]
        accepted = [accept_entry(p) for p in proposed]
        answers = log.commit([*accepted, accepted[3]])
        assert log.commit([]) == []
        assert [created for _, created in answers] == [True] * 20 + [False]
        assert answers[-1][0].log_index == answers[3][0].log_index
        indexes = [entry.log_index for entry, _ in answers[:20]]
        assert sorted(indexes) == list(range(OFFSET + 1, OFFSET + 21))
        sizes = {entry.inclusion_proof.tree_size for entry, _ in answers if entry.inclusion_proof}
        assert len(sizes) == 1 and sizes.pop() >= 21
        for entry, _ in answers:
            assert entry.body == accepted[entry.log_index - OFFSET - 1].body
            rekor.verify_log_entry(entry, log_key.public_key(), key_name=HOST, origin=log.origin)
        again = log.commit([accept_entry(earlier_request)])
        assert again[0][0].log_index == earlier.log_index and not again[0][1]


def test_a_body_changed_in_the_database_is_never_signed(tmp_path: Path) -> None:
    """Found by a tester: an entry body edited with sqlite3 was served with a fresh, valid SET."""
    import sqlite3  # noqa: PLC0415

    from liturgia.errors import StorageError  # noqa: PLC0415
    from liturgia.tlog.entries import accept_entry  # noqa: PLC0415

    signer = ec.generate_private_key(ec.SECP256R1())
    log_key = ec.generate_private_key(ec.SECP256R1())
    requests = [hashedrekord(signer, b"t%d" % n) for n in range(3)]
    storage = SqliteStorage(tmp_path / "log.db")
    with RekorLog(storage, log_key, host=HOST, tree_id=TREE_ID) as log:
        for request in requests:
            log.submit(request)
        with sqlite3.connect(tmp_path / "log.db") as raw:
            raw.execute("UPDATE entries SET body = ? WHERE idx = 1", (b'{"forged":"yes"}',))
        assert log.entry(0) is not None and log.entry(2) is not None  # the others are served
        with pytest.raises(StorageError, match="stored entry 1 is not the entry the tree holds"):
            log.entry(1)
        with pytest.raises(StorageError, match="stored entry 1 is not the entry the tree holds"):
            log.commit([accept_entry(requests[1])])  # a resubmission answers the stored one
    storage.close()


def test_a_body_changed_in_a_full_tile_is_never_signed(tmp_path: Path) -> None:
    """An entry of a full leaf tile is checked against the leaf hash of its proven tile."""
    import sqlite3  # noqa: PLC0415

    from liturgia.errors import StorageError  # noqa: PLC0415
    from liturgia.tlog.entries import accept_entry  # noqa: PLC0415

    signer = ec.generate_private_key(ec.SECP256R1())
    log_key = ec.generate_private_key(ec.SECP256R1())
    storage = SqliteStorage(tmp_path / "log.db")
    with RekorLog(storage, log_key, host=HOST, tree_id=TREE_ID) as log:
        log.commit([accept_entry(hashedrekord(signer, b"f%d" % n)) for n in range(300)])
        first = log.entry(7)
        assert first is not None and first.inclusion_proof is not None
        assert len(log._sequencer._tile_proofs) == 1  # tile 0 proven: the short way was taken
        rekor.verify_log_entry(first, log_key.public_key(), key_name=HOST, origin=log.origin)
        # The REST answer written directly is the JSON of the entry, in a full tile or not.
        for index in (0, 7, 255, 256, 299):
            entry = log.entry(index)
            assert entry is not None
            expected = json.dumps(
                entry.to_api_json(tree_id=TREE_ID), ensure_ascii=False, separators=(",", ":")
            ).encode("utf-8")
            assert log.entry_json(index) == expected
            assert log.entry_json_by_id(rekor.entry_id(entry.body)) == expected
            assert log.entry_json_by_id(rekor.entry_id(entry.body, TREE_ID)) == expected
        assert log.entry_json(300) is None and log.entry_json(-1) is None
        assert log.entry_json_by_id("ab" * 32) is None
        uuid = rekor.entry_id(log.entry(9).body)  # type: ignore[union-attr]
        with sqlite3.connect(tmp_path / "log.db") as raw:
            raw.execute("UPDATE entries SET body = ? WHERE idx = 9", (b'{"forged":"yes"}',))
        with pytest.raises(StorageError, match="stored entry 9 is not the entry the tree holds"):
            log.entry(9)
        with pytest.raises(StorageError, match="stored entry 9 is not the entry the tree holds"):
            log.entry_by_id(uuid)
        for read in (lambda: log.entry_json(9), lambda: log.entry_json_by_id(uuid)):
            with pytest.raises(StorageError, match="stored entry 9 is not the entry the tree hol"):
                read()
        assert log.entry(8) is not None and log.entry(299) is not None
    storage.close()


def test_another_process_answers_what_one_acknowledged(tmp_path: Path) -> None:
    """Found by a tester: with --workers N a read right after a 201 could be a 404 elsewhere,
    and GET /api/v1/log could report a smaller tree than the last answer."""
    signer = ec.generate_private_key(ec.SECP256R1())
    log_key = ec.generate_private_key(ec.SECP256R1())
    first_storage = SqliteStorage(tmp_path / "log.db")
    second_storage = SqliteStorage(tmp_path / "log.db")  # as a second worker opens it
    with (
        RekorLog(first_storage, log_key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET) as one,
        RekorLog(second_storage, log_key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET) as two,
    ):
        for n in range(30):
            entry, created = one.submit(hashedrekord(signer, b"w%d" % n))
            assert created
            proof = entry.inclusion_proof
            assert proof is not None
            # At once, with no waiting for the other process to notice:
            seen = two.entry(entry.log_index)
            assert seen is not None and seen.body == entry.body
            assert two.entry_by_id(entry.uuid) is not None
            assert two.info()["treeSize"] >= proof.tree_size
            assert two.consistency(1, proof.tree_size)["rootHash"] == proof.root_hash.hex()
            assert two.search(artifact_hash=json.loads(entry.body)["spec"]["data"]["hash"]["value"])
    first_storage.close()
    second_storage.close()
