"""liturgia.sign.tlog_verify: a bundle's log entries made by the log's own code, and each malformed
field refused with its named reason.

Parsing and proof checking are the one shared implementation (liturgia._internal.transparency,
whose RFC 9162 and C2SP vectors run in tests/unit/tlog); here the log's code makes the entries
(Ed25519 and P-256 log keys, checkpoints as C2SP signed notes, RFC 9162 proofs) and the bundle
verifier must accept them and name what is wrong with a tampered one.
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
from liturgia._internal.transparency.rekor import check_entry_inclusion
from liturgia.errors import BundleError, ProofError, SignatureError, VerificationError
from liturgia.sign.backends.file import FileSigner
from liturgia.sign.tlog_verify import verify_tlog_entries
from liturgia.tlog import merkle, rekor
from liturgia.tlog.checkpoint import (
    Checkpoint,
    EcdsaNoteSigner,
    Ed25519NoteSigner,
    rekor_origin,
    sign_checkpoint,
)

HOST = "log.test"
SIG_BY_LOG = "note signature by log.test does not verify"  # after "checkpoint signature invalid"


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
    # A second, foreign signature line before ours is skipped (c2sp.org/signed-note); a line
    # that is not a signature line makes the note malformed, as Go's note.Open has it.
    note = entry["inclusionProof"]["checkpoint"]["envelope"]
    text, _, signatures = note.partition("\n\n")
    foreign = "\u2014 other.test AAAAAAAA\n"
    entry["inclusionProof"]["checkpoint"]["envelope"] = f"{text}\n\n{foreign}{signatures}"
    verify_tlog_entries(_bundle(entry), [log_key])
    garbled = f"{text}\n\n{foreign}\u2014 log.test !!!\n{signatures}"
    entry["inclusionProof"]["checkpoint"]["envelope"] = garbled
    with pytest.raises(ProofError, match="checkpoint malformed: signature line 2 is not valid"):
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
        ("canonicalizedBody", None, BundleError, "field 'canonicalizedBody' must be a string"),
        ("canonicalizedBody", "bm90IGpzb24=", BundleError, "body is not JSON"),
        ("logIndex", "-1", BundleError, "field 'logIndex' must be a non-negative integer"),
        ("logIndex", True, BundleError, "field 'logIndex' must be a non-negative integer"),
        # Found under faults (issue 16): int() raised ValueError over 4,300 digits.
        ("logIndex", "9" * 4301, BundleError, "field 'logIndex' must be a non-negative integer"),
        (
            "integratedTime",
            1 << 53,
            BundleError,
            "'integratedTime' must be a non-negative integer below 2**53",
        ),
        ("logId.keyId", "!!", BundleError, "field 'logId.keyId' is not valid base64"),
        ("logId.keyId", "AAAA", BundleError, "'logId.keyId' is 3 bytes, expected 32"),
        ("inclusionProof.hashes", "x", BundleError, "'inclusionProof.hashes' must be a list"),
        ("inclusionProof.treeSize", "7", ProofError, "inclusion proof invalid: the checkpoint"),
        ("inclusionProof.logIndex", "4", ProofError, "inclusion proof invalid: leaf 4"),
        ("inclusionProof.logIndex", "6", ProofError, "inclusion proof invalid: leaf 6"),
        ("note:size", None, ProofError, "checkpoint malformed"),
        ("note:root b64", None, ProofError, "checkpoint malformed"),
        ("note:root size", None, ProofError, "checkpoint malformed"),
        ("note:signature", None, SignatureError, SIG_BY_LOG),
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


def test_inclusion_checked_without_the_log_key() -> None:
    """What a signer without the log's key checks: the proof leads to the checkpoint's tree."""
    key = ed25519.Ed25519PrivateKey.generate()
    good = _entry(key)
    checkpoint = check_entry_inclusion(rekor.LogEntry.from_bundle_json(good))
    assert (checkpoint.size, checkpoint.origin) == (6, f"{HOST} - 7")
    for path, value, reason in [
        ("inclusionProof.logIndex", "4", "inclusion proof invalid: leaf 4"),
        ("inclusionProof.treeSize", "7", "inclusion proof invalid: the checkpoint commits"),
        ("logIndex", "3", "global log index 3 is below the tree-local index 5"),
        ("inclusionProof", None, "inclusion proof invalid: log entry 105 has no inclusion proof"),
    ]:
        entry = copy.deepcopy(good)
        _set(entry, path, value)
        with pytest.raises(ProofError, match=re.escape(reason)):
            check_entry_inclusion(rekor.LogEntry.from_bundle_json(entry))
    entry = copy.deepcopy(good)
    entry["inclusionProof"]["checkpoint"]["envelope"] = _note(entry, "size")
    with pytest.raises(ProofError, match="checkpoint malformed"):
        check_entry_inclusion(rekor.LogEntry.from_bundle_json(entry))
