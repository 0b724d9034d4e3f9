"""liturgia.sign.tlog_verify against the log's own code (liturgia.tlog), field by field.

The bundle-side verifier is independent of liturgia.tlog (the package layering forbids the
import); here the log's code makes the entries (Ed25519 and P-256 log keys, checkpoints as
C2SP signed notes, RFC 9162 proofs) and the verifier must agree with it, and refuse each
malformed field naming it.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia import sign
from liturgia.errors import BundleError, ProofError, SignatureError, VerificationError
from liturgia.sign.backends.file import FileSigner
from liturgia.sign.tlog_verify import _root_from_proof, verify_tlog_entries
from liturgia.tlog import merkle, rekor
from liturgia.tlog.checkpoint import (
    Checkpoint,
    EcdsaNoteSigner,
    Ed25519NoteSigner,
    rekor_origin,
    sign_checkpoint,
)

HOST = "log.test"


@pytest.mark.parametrize("size", range(1, 18))
def test_inclusion_agrees_with_the_log(size: int) -> None:
    leaves = [merkle.leaf_hash(b"leaf %d" % i) for i in range(size)]
    root = merkle.root_hash(leaves)
    for index in range(size):
        path = merkle.inclusion_proof(leaves, index)
        assert _root_from_proof(leaves[index], index, size, path) == root
        assert _root_from_proof(leaves[index], index, size, [*path, root]) != root
        if path:
            assert _root_from_proof(leaves[index], index, size, path[:-1]) != root
    assert _root_from_proof(leaves[0], size, size, []) is None


def _entry(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    body = json.dumps({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {}}).encode()
    leaves = [merkle.leaf_hash(b"earlier %d" % i) for i in range(5)] + [merkle.leaf_hash(body)]
    root = merkle.root_hash(leaves)
    public = key.public_key()
    signer = (
        Ed25519NoteSigner(HOST, key)
        if isinstance(key, ed25519.Ed25519PrivateKey)
        else EcdsaNoteSigner(HOST, key)
    )
    checkpoint = sign_checkpoint(
        Checkpoint(origin=rekor_origin(HOST, 7), size=6, root_hash=root), [signer]
    )
    log_id = rekor.log_id(public)
    payload = rekor.set_payload(body=body, integrated_time=1700000000, log_id=log_id, log_index=105)
    entry = rekor.LogEntry(
        body=body,
        integrated_time=1700000000,
        log_id=log_id,
        log_index=105,
        signed_entry_timestamp=rekor.sign_entry_timestamp(key, payload),
        inclusion_proof=rekor.InclusionProof(
            log_index=5,
            tree_size=6,
            root_hash=root,
            hashes=merkle.inclusion_proof(leaves, 5),
            checkpoint=checkpoint,
        ),
    )
    return entry.to_bundle_json()


def _bundle(entry: dict[str, Any]) -> sign.Bundle:
    signer = FileSigner(ec.generate_private_key(ec.SECP256R1()))
    document = json.loads(sign.sign_bytes(b"artifact", signer))
    document["verificationMaterial"]["tlogEntries"] = [entry]
    return sign.parse_bundle(json.dumps(document).encode())


@pytest.mark.parametrize("curve", ["ed25519", "p256"])
def test_entries_made_by_the_log_verify(curve: str) -> None:
    key = (
        ed25519.Ed25519PrivateKey.generate()
        if curve == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    log_key = sign.PublicKey.from_key(key.public_key())
    entry = _entry(key)
    (verified,) = verify_tlog_entries(_bundle(entry), [log_key])
    assert (verified.log_index, verified.tree_index, verified.tree_size) == (105, 5, 6)
    assert verified.integrated_time == 1700000000 and verified.origin == f"{HOST} - 7"
    # A second, foreign signature line (and one not base64) before ours is skipped.
    note = entry["inclusionProof"]["checkpoint"]["envelope"]
    text, _, signatures = note.partition("\n\n")
    extra = "\u2014 other.test AAAAAAAA\n\u2014 log.test !!!\n"
    entry["inclusionProof"]["checkpoint"]["envelope"] = f"{text}\n\n{extra}{signatures}"
    verify_tlog_entries(_bundle(entry), [log_key])


def _set(entry: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = entry
    for part in parents:
        target = target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value


def _note(entry: dict[str, Any], change: str) -> str:
    note: str = entry["inclusionProof"]["checkpoint"]["envelope"]
    lines = note.split("\n")
    if change == "size":
        lines[1] = "six"
    elif change == "root b64":
        lines[2] = "!!"
    elif change == "root size":
        lines[2] = "AAAA"
    elif change == "signature":
        name, blob = lines[-2].rsplit(" ", 1)
        raw = bytearray(base64.b64decode(blob))
        raw[-1] ^= 1
        lines[-2] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("path", "value", "error", "reason"),
    [
        ("canonicalizedBody", None, BundleError, "field 'canonicalizedBody' is missing"),
        ("canonicalizedBody", "bm90IGpzb24=", BundleError, "has no kind and apiVersion"),
        ("logIndex", "-1", BundleError, "field 'logIndex' is not an integer"),
        ("logIndex", True, BundleError, "field 'logIndex' is not an integer"),
        ("integratedTime", 1 << 53, BundleError, "'integratedTime' is not an integer"),
        ("logId.keyId", "!!", BundleError, "field 'logId.keyId' is not base64"),
        ("logId.keyId", "AAAA", BundleError, "'logId.keyId' is 3 bytes, expected 32"),
        ("inclusionProof.hashes", "x", BundleError, "'inclusionProof.hashes' is not a list"),
        ("inclusionProof.treeSize", "7", ProofError, "inclusion proof invalid: the checkpoint"),
        ("inclusionProof.logIndex", "4", ProofError, "inclusion proof invalid: leaf 4"),
        ("inclusionProof.logIndex", "6", ProofError, "inclusion proof invalid: leaf 6"),
        ("note:size", None, ProofError, "checkpoint malformed"),
        ("note:root b64", None, ProofError, "checkpoint malformed"),
        ("note:root size", None, ProofError, "checkpoint malformed"),
        ("note:signature", None, SignatureError, "checkpoint signature invalid: log.test's"),
    ],
)
@pytest.mark.parametrize("curve", ["ed25519", "p256"])
def test_malformed_fields_are_named(
    curve: str, path: str, value: Any, error: type[VerificationError], reason: str
) -> None:
    key = (
        ed25519.Ed25519PrivateKey.generate()
        if curve == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    entry = copy.deepcopy(_entry(key))
    if path.startswith("note:"):
        entry["inclusionProof"]["checkpoint"]["envelope"] = _note(entry, path[5:])
    else:
        _set(entry, path, value)
    with pytest.raises(error, match=re.escape(reason)):
        verify_tlog_entries(_bundle(entry), [sign.PublicKey.from_key(key.public_key())])
