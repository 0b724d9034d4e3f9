"""Rekor v1 entries: a real rekor.sigstore.dev entry, our own log's entries, tampering."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from liturgia.errors import BundleError, ProofError, SignatureError
from liturgia.tlog import merkle, rekor
from liturgia.tlog.checkpoint import Checkpoint, sign_checkpoint, signer_for
from liturgia.tlog.tiles import TileTree

DATA = json.loads((Path(__file__).parent / "data" / "rekor-v1-entry.json").read_text())
REAL = DATA["tlogEntry"]
REKOR_KEY = serialization.load_pem_public_key(DATA["rekorPublicKey"].encode())
REKOR_ORIGIN = "rekor.sigstore.dev - 1193050959916656506"


def verify_real(entry: rekor.LogEntry, **kwargs: Any) -> Checkpoint | None:
    assert isinstance(REKOR_KEY, ec.EllipticCurvePublicKey)
    return rekor.verify_log_entry(
        entry, REKOR_KEY, key_name="rekor.sigstore.dev", origin=REKOR_ORIGIN, **kwargs
    )


def test_real_rekor_entry_verifies_with_global_and_local_index() -> None:
    entry = rekor.LogEntry.from_bundle_json(REAL)
    assert entry.log_index == 1004096275
    assert entry.inclusion_proof is not None and entry.inclusion_proof.log_index == 882192013
    assert entry.log_id == rekor.log_id(REKOR_KEY)  # type: ignore[arg-type]
    assert entry.kind_version() == ("hashedrekord", "0.0.1")
    checkpoint = verify_real(entry)
    assert checkpoint is not None and checkpoint.size == 882192014
    # Writing it back gives the bundle JSON we read, field for field.
    assert entry.to_bundle_json() == REAL
    # The REST shape round-trips, keyed by the entry ID (tree ID prefix + leaf hash).
    api = entry.to_api_json(tree_id=1193050959916656506)
    ((key, value),) = api.items()
    assert key == f"{1193050959916656506:016x}{entry.uuid}" and len(key) == 80
    assert value["logID"] == "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
    assert value["verification"]["inclusionProof"]["logIndex"] == 882192013
    assert rekor.LogEntry.from_api_json(api) == entry
    assert rekor.LogEntry.from_api_json(entry.to_api_json()) == entry


def _with(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(REAL)
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(bytes(raw)).decode()


OTHER_BODY = base64.b64encode(
    base64.b64decode(REAL["canonicalizedBody"]).replace(b"efb4f911", b"efb4f912")
).decode()


@pytest.mark.parametrize(
    ("path", "value", "error", "message"),
    [
        ("canonicalizedBody", OTHER_BODY, SignatureError, "signed entry timestamp"),
        (
            "inclusionPromise.signedEntryTimestamp",
            _flip(REAL["inclusionPromise"]["signedEntryTimestamp"]),
            SignatureError,
            "signed entry timestamp",
        ),
        ("integratedTime", "1772216384", SignatureError, "signed entry timestamp"),
        ("logIndex", "1004096276", SignatureError, "signed entry timestamp"),
        (
            "logId.keyId",
            base64.b64encode(b"\x01" * 32).decode(),
            SignatureError,
            "is not the log key's",
        ),
        (
            "inclusionProof.hashes.3",
            _flip(REAL["inclusionProof"]["hashes"][3]),
            ProofError,
            "yields root",
        ),
        ("inclusionProof.logIndex", "882192012", ProofError, "yields root"),
        (
            "inclusionProof.rootHash",
            _flip(REAL["inclusionProof"]["rootHash"]),
            ProofError,
            "is not the proof's tree",
        ),
        ("inclusionProof.treeSize", "882192015", ProofError, "is not the proof's tree"),
        (
            "inclusionProof.checkpoint.envelope",
            REAL["inclusionProof"]["checkpoint"]["envelope"].replace("882192014", "882192015"),
            SignatureError,
            "does not verify",
        ),
    ],
)
def test_tampered_real_entry_fails(
    path: str, value: Any, error: type[Exception], message: str
) -> None:
    entry = rekor.LogEntry.from_bundle_json(_with(path, value))
    with pytest.raises(error, match=message):
        verify_real(entry)


def test_promise_only_entry() -> None:
    doc = copy.deepcopy(REAL)
    del doc["inclusionProof"]
    entry = rekor.LogEntry.from_bundle_json(doc)
    with pytest.raises(ProofError, match="log entry 1004096275 has no inclusion proof"):
        verify_real(entry)
    assert verify_real(entry, require_proof=False) is None
    assert "inclusionProof" not in entry.to_bundle_json()
    assert "inclusionProof" not in entry.to_api_json()[entry.uuid]["verification"]
    assert rekor.LogEntry.from_api_json(entry.to_api_json()) == entry


@pytest.mark.parametrize("kind", ["ecdsa", "ed25519"])
def test_our_log_entries_with_shard_offset(kind: str) -> None:
    """A log whose global index is ahead of the tree-local one (a rotated shard) verifies."""
    key = (
        ec.generate_private_key(ec.SECP256R1())
        if kind == "ecdsa"
        else ed25519.Ed25519PrivateKey.generate()
    )
    bodies = [
        json.dumps({"apiVersion": "0.0.1", "kind": "hashedrekord", "n": i}).encode()
        for i in range(9)
    ]
    tree = TileTree()
    tree.append([merkle.leaf_hash(b) for b in bodies])
    origin = "log.example - 99"
    note = sign_checkpoint(
        Checkpoint(origin=origin, size=9, root_hash=tree.root), [signer_for("log.example", key)]
    )
    offset = 1000  # entries of an earlier, frozen shard
    ident = rekor.log_id(key.public_key())
    payload = rekor.set_payload(
        body=bodies[4], integrated_time=1_700_000_000, log_id=ident, log_index=offset + 4
    )
    entry = rekor.LogEntry(
        body=bodies[4],
        integrated_time=1_700_000_000,
        log_id=ident,
        log_index=offset + 4,
        signed_entry_timestamp=rekor.sign_entry_timestamp(key, payload),
        inclusion_proof=rekor.InclusionProof(
            log_index=4,
            tree_size=9,
            root_hash=tree.root,
            hashes=tree.inclusion_proof(4),
            checkpoint=note,
        ),
    )
    assert (
        rekor.verify_log_entry(entry, key.public_key(), key_name="log.example", origin=origin)
        is not None
    )
    assert rekor.LogEntry.from_bundle_json(entry.to_bundle_json()) == entry
    # The SET payload is RFC 8785 canonical JSON: sorted keys, no spaces.
    assert payload.startswith(b'{"body":"') and b'"integratedTime":1700000000,"logID":"' in payload
    assert payload.endswith(b'"logIndex":1004}')
    swapped = rekor.LogEntry(
        body=entry.body,
        integrated_time=entry.integrated_time,
        log_id=ident,
        log_index=3,
        signed_entry_timestamp=rekor.sign_entry_timestamp(
            key,
            rekor.set_payload(
                body=entry.body, integrated_time=entry.integrated_time, log_id=ident, log_index=3
            ),
        ),
        inclusion_proof=entry.inclusion_proof,
    )
    with pytest.raises(ProofError, match="global log index 3 is below the tree-local index 4"):
        rekor.verify_log_entry(swapped, key.public_key(), key_name="log.example")


def test_set_payload_bounds() -> None:
    with pytest.raises(ValueError, match="logIndex -1 is outside"):
        rekor.set_payload(body=b"", integrated_time=0, log_id=b"", log_index=-1)
    with pytest.raises(ValueError, match="integratedTime"):
        rekor.set_payload(body=b"", integrated_time=1 << 53, log_id=b"", log_index=0)
    assert rekor.entry_id(b"x") == merkle.leaf_hash(b"x").hex()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("logIndex", "-1", "'logIndex' must be a non-negative integer"),
        ("logIndex", True, "'logIndex' must be a non-negative integer"),
        ("integratedTime", None, "'integratedTime' must be a non-negative integer"),
        ("canonicalizedBody", "not base64!", "'canonicalizedBody' is not valid base64"),
        ("canonicalizedBody", 5, "'canonicalizedBody' must be a string"),
        ("canonicalizedBody", base64.b64encode(b"[1]").decode(), "no string 'kind'"),
        ("canonicalizedBody", base64.b64encode(b"\xff").decode(), "body is not JSON"),
        ("logId", "x", "'logId' must be an object"),
        (
            "logId.keyId",
            base64.b64encode(b"short").decode(),
            "'logId.keyId' is 5 bytes, expected 32",
        ),
        (
            "kindVersion.kind",
            "dsse",
            "kindVersion dsse/0.0.1 does not match the body's hashedrekord/0.0.1",
        ),
        ("inclusionProof.hashes", "x", "'inclusionProof.hashes' must be a list"),
        ("inclusionProof.hashes.0", "AA==", r"'inclusionProof.hashes\[0\]' is 1 bytes"),
        ("inclusionProof.checkpoint", "text", "'inclusionProof.checkpoint' must be an object"),
        ("inclusionPromise", None, "'inclusionPromise' must be an object"),
    ],
)
def test_malformed_bundle_entries(path: str, value: Any, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        rekor.LogEntry.from_bundle_json(_with(path, value))


def test_malformed_api_entries() -> None:
    entry = rekor.LogEntry.from_bundle_json(REAL)
    api = entry.to_api_json()
    good = api[entry.uuid]
    with pytest.raises(BundleError, match="exactly one entry"):
        rekor.LogEntry.from_api_json({})
    with pytest.raises(BundleError, match="is not the body's leaf hash"):
        rekor.LogEntry.from_api_json({"0" * 64: good})
    bad = copy.deepcopy(good)
    proof = bad["verification"]["inclusionProof"]
    proof["rootHash"] = proof["rootHash"].upper()
    with pytest.raises(BundleError, match=r"'inclusionProof\.rootHash' must be 64 lower-case"):
        rekor.LogEntry.from_api_json({entry.uuid: bad})
    with pytest.raises(BundleError, match="'entry' must be an object"):
        rekor.LogEntry.from_api_json({entry.uuid: []})


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=2048),
    integrated_time=st.integers(0, 1 << 53),
    log_index=st.integers(0, 1 << 53),
    tree_id=st.none() | st.integers(0, (1 << 63) - 1),
    timestamp=st.binary(min_size=0, max_size=80),
    proof=st.none()
    | st.builds(
        lambda hashes, index, size, checkpoint: rekor.InclusionProof(
            log_index=index,
            tree_size=size,
            root_hash=hashes[0] if hashes else b"\0" * 32,
            hashes=tuple(hashes),
            checkpoint=checkpoint.encode("utf-8"),
        ),
        st.lists(st.binary(min_size=32, max_size=32), max_size=40),
        st.integers(0, 1 << 53),
        st.integers(0, 1 << 53),
        st.text(max_size=300),  # quotes, backslashes, controls, non-ASCII
    ),
)
def test_api_json_bytes_are_the_json_of_the_api_json(
    body: bytes,
    integrated_time: int,
    log_index: int,
    tree_id: int | None,
    timestamp: bytes,
    proof: rekor.InclusionProof | None,
) -> None:
    """The log's hot read writes an entry's answer directly: the same bytes as json.dumps."""
    entry = rekor.LogEntry(
        body=body,
        integrated_time=integrated_time,
        log_id=bytes(range(32)),
        log_index=log_index,
        signed_entry_timestamp=timestamp,
        inclusion_proof=proof,
    )
    expected = json.dumps(
        entry.to_api_json(tree_id=tree_id), ensure_ascii=False, separators=(",", ":")
    )
    written = rekor.api_json_bytes(
        uuid=rekor.entry_id(body, tree_id),
        body=body,
        integrated_time=integrated_time,
        log_id=entry.log_id,
        log_index=log_index,
        signed_entry_timestamp=timestamp,
        proof=None
        if proof is None
        else (proof.log_index, proof.tree_size, proof.root_hash, proof.hashes, proof.checkpoint),
    )
    assert written == expected.encode("utf-8")
