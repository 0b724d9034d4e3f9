"""Rekor v1 entries: proposed entries, bundle TransparencyLogEntry, body consistency checks."""

from __future__ import annotations

import base64
import hashlib
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from liturgia.errors import BundleError
from liturgia.sign import (
    INTOTO_PAYLOAD_TYPE,
    KeyAlgorithm,
    dsse_bundle,
    parse_bundle,
    proposed_entry,
    sign_dsse,
    sign_file,
    tlog_entry_from_rekor,
    verify_dsse_bundle,
    verify_file_bundle,
)
from liturgia.sign.backends.file import FileSigner
from liturgia.sign.rekor import check_entry_key

with warnings.catch_warnings():
    # sigstore-protobuf-specs 0.5.2 uses a pydantic validator form that pydantic 2.12 deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    from sigstore_protobuf_specs.dev.sigstore.rekor.v1 import TransparencyLogEntry

MakeSigner = Callable[..., FileSigner]


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _rekor_answer(body: bytes, *, other_leaf: bytes = b"other") -> dict[str, Any]:
    """A Rekor v1 LogEntry value for ``body`` as leaf 1 of a 2-leaf tree (RFC 6962 hashing)."""
    leaf0 = hashlib.sha256(b"\x00" + other_leaf).digest()
    leaf1 = hashlib.sha256(b"\x00" + body).digest()
    root = hashlib.sha256(b"\x01" + leaf0 + leaf1).digest()
    return {
        "body": base64.b64encode(body).decode(),
        "integratedTime": 1764424800,
        "logID": hashlib.sha256(b"log key").hexdigest(),
        "logIndex": 1001,
        "verification": {
            "inclusionProof": {
                "checkpoint": "log.test - 1\n2\n" + base64.b64encode(root).decode() + "\n\n— sig\n",
                "hashes": [leaf0.hex()],
                "logIndex": 1,
                "rootHash": root.hex(),
                "treeSize": 2,
            },
            "signedEntryTimestamp": base64.b64encode(b"set").decode(),
        },
    }


def _with_entries(bundle: bytes, entries: list[dict[str, Any]]) -> bytes:
    document = json.loads(bundle)
    document["verificationMaterial"]["tlogEntries"] = entries
    return json.dumps(document).encode()


def test_hashedrekord_proposed_entry_and_bundle_entry(
    tmp_path: Path, make_signer: MakeSigner
) -> None:
    signer = make_signer()
    artifact = tmp_path / "a.whl"
    artifact.write_bytes(b"wheel")
    bundle = sign_file(artifact, signer)
    parsed = parse_bundle(bundle)
    assert parsed.message_signature is not None
    proposed = proposed_entry(parsed, signer.public_key)
    assert proposed == {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {
                "hash": {"algorithm": "sha256", "value": hashlib.sha256(b"wheel").hexdigest()}
            },
            "signature": {
                "content": base64.b64encode(parsed.message_signature.signature).decode(),
                "publicKey": {"content": base64.b64encode(signer.public_key.pem).decode()},
            },
        },
    }
    answer = _rekor_answer(_canonical(proposed))
    entry = tlog_entry_from_rekor(answer)
    assert entry["logIndex"] == "1001"
    assert entry["inclusionProof"]["logIndex"] == "1"
    assert entry["kindVersion"] == {"kind": "hashedrekord", "version": "0.0.1"}
    # protobuf-specs reads every field and writes the same document back.
    pb = TransparencyLogEntry.from_dict(entry)
    assert pb.log_index == 1001
    assert pb.inclusion_proof.tree_size == 2
    assert pb.inclusion_proof.hashes[0] == bytes.fromhex(
        answer["verification"]["inclusionProof"]["hashes"][0]
    )
    assert pb.log_id.key_id == hashlib.sha256(b"log key").digest()
    assert json.loads(pb.to_json()) == entry
    with_entry = _with_entries(bundle, [entry])
    verify_file_bundle(artifact, with_entry, signer.public_key)
    assert parse_bundle(with_entry).tlog_entries == (entry,)


def test_entry_about_other_content_is_refused(tmp_path: Path, make_signer: MakeSigner) -> None:
    signer = make_signer()
    artifact, other = tmp_path / "a", tmp_path / "b"
    artifact.write_bytes(b"a")
    other.write_bytes(b"b")
    bundle = sign_file(artifact, signer)
    other_bundle = sign_file(other, signer)
    other_entry = tlog_entry_from_rekor(
        _rekor_answer(_canonical(proposed_entry(parse_bundle(other_bundle), signer.public_key)))
    )
    with pytest.raises(
        BundleError, match=r"tlogEntries\[0\]: the log entry records another signature"
    ):
        verify_file_bundle(artifact, _with_entries(bundle, [other_entry]), signer.public_key)
    # Same signature but another digest in the body (CVE-2022-36056 class).
    mine = proposed_entry(parse_bundle(bundle), signer.public_key)
    mine["spec"]["data"]["hash"]["value"] = hashlib.sha256(b"b").hexdigest()
    forged = tlog_entry_from_rekor(_rekor_answer(_canonical(mine)))
    with pytest.raises(BundleError, match="records another digest"):
        verify_file_bundle(artifact, _with_entries(bundle, [forged]), signer.public_key)
    dsse_entry = tlog_entry_from_rekor(
        _rekor_answer(_canonical({"kind": "dsse", "apiVersion": "0.0.1", "spec": {}}))
    )
    with pytest.raises(BundleError, match="is a 'dsse' entry, not hashedrekord"):
        verify_file_bundle(artifact, _with_entries(bundle, [dsse_entry]), signer.public_key)
    broken = dict(other_entry, canonicalizedBody="@@@")
    with pytest.raises(BundleError, match="canonicalizedBody is malformed"):
        verify_file_bundle(artifact, _with_entries(bundle, [broken]), signer.public_key)
    no_spec = dict(other_entry, canonicalizedBody=base64.b64encode(b"[]").decode())
    with pytest.raises(BundleError, match="has no spec"):
        verify_file_bundle(artifact, _with_entries(bundle, [no_spec]), signer.public_key)


def _dsse_body(envelope_sig: bytes, payload: bytes, public_pem: bytes) -> dict[str, Any]:
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": "00" * 32},
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [
                {
                    "signature": base64.b64encode(envelope_sig).decode(),
                    "verifier": base64.b64encode(public_pem).decode(),
                }
            ],
        },
    }


def test_dsse_entries(make_signer: MakeSigner) -> None:
    signer = make_signer()
    envelope = sign_dsse(b'{"a":1}', INTOTO_PAYLOAD_TYPE, signer)
    bundle = dsse_bundle(envelope, signer.public_key)
    proposed = proposed_entry(parse_bundle(bundle), signer.public_key)
    assert proposed["kind"] == "dsse"
    content = proposed["spec"]["proposedContent"]
    assert json.loads(content["envelope"]) == json.loads(envelope.to_json())
    assert content["verifiers"] == [base64.b64encode(signer.public_key.pem).decode()]
    good = _dsse_body(envelope.signatures[0].sig, envelope.payload, signer.public_key.pem)
    entry = tlog_entry_from_rekor(_rekor_answer(_canonical(good)))
    verify_dsse_bundle(_with_entries(bundle, [entry]), signer.public_key)
    other_payload = _dsse_body(envelope.signatures[0].sig, b"{}", signer.public_key.pem)
    with pytest.raises(BundleError, match="records another payload hash"):
        verify_dsse_bundle(
            _with_entries(
                bundle, [tlog_entry_from_rekor(_rekor_answer(_canonical(other_payload)))]
            ),
            signer.public_key,
        )
    other_sig = _dsse_body(b"\x30\x00", envelope.payload, signer.public_key.pem)
    with pytest.raises(BundleError, match="records another signature"):
        verify_dsse_bundle(
            _with_entries(bundle, [tlog_entry_from_rekor(_rekor_answer(_canonical(other_sig)))]),
            signer.public_key,
        )
    hashed = tlog_entry_from_rekor(
        _rekor_answer(_canonical({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {}}))
    )
    with pytest.raises(BundleError, match="not dsse"):
        verify_dsse_bundle(_with_entries(bundle, [hashed]), signer.public_key)


def test_sha384_bundles_have_no_hashedrekord_entry(tmp_path: Path, make_signer: MakeSigner) -> None:
    signer = make_signer(KeyAlgorithm.ECDSA_P384)
    artifact = tmp_path / "a"
    artifact.write_bytes(b"a")
    with pytest.raises(BundleError, match="need a SHA2_256 digest"):
        proposed_entry(parse_bundle(sign_file(artifact, signer)), signer.public_key)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e.pop("body"), "'body' must be a string"),
        (lambda e: e.update(body="bm90IGpzb24="), "body is not JSON"),
        (lambda e: e.pop("verification"), "'verification' must be an object"),
        (lambda e: e.update(logIndex=-1), "'logIndex' must be a non-negative integer"),
        (lambda e: e.update(logIndex=True), "'logIndex' must be a non-negative integer"),
        (lambda e: e.update(logID="zz"), "'logID' must be 64 lower-case hex digits"),
        (lambda e: e.update(logID=5), "'logID' must be a string"),
        (
            lambda e: e["verification"]["inclusionProof"].update(hashes="x"),
            "hashes' must be a list",
        ),
        (
            lambda e: e["verification"]["inclusionProof"].pop("checkpoint"),
            "'inclusionProof.checkpoint' must be a string",
        ),
    ],
)
def test_malformed_rekor_answers(change: Callable[[dict[str, Any]], None], reason: str) -> None:
    answer = _rekor_answer(_canonical({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {}}))
    change(answer)
    with pytest.raises(BundleError, match=reason):
        tlog_entry_from_rekor(answer)


def test_answer_without_proof_or_set() -> None:
    """A promise-only answer converts (the signer then refuses it); one without a SET does not."""
    answer = _rekor_answer(_canonical({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {}}))
    del answer["verification"]["inclusionProof"]
    entry = tlog_entry_from_rekor(answer)
    assert "inclusionProof" not in entry and "inclusionPromise" in entry
    answer["verification"] = {}
    with pytest.raises(BundleError, match=r"'verification\.signedEntryTimestamp' must be a string"):
        tlog_entry_from_rekor(answer)


def test_the_logged_key_must_be_the_signers(make_signer: MakeSigner) -> None:
    signer, other = make_signer(), make_signer()
    pem = base64.b64encode(signer.public_key.pem).decode()
    hashed = {"kind": "hashedrekord", "spec": {"signature": {"publicKey": {"content": pem}}}}
    check_entry_key(json.dumps(hashed).encode(), signer.public_key)
    with pytest.raises(BundleError, match="records another public key than the signer's"):
        check_entry_key(json.dumps(hashed).encode(), other.public_key)
    dsse = {"kind": "dsse", "spec": {"signatures": [{"signature": "x", "verifier": pem}]}}
    check_entry_key(json.dumps(dsse).encode(), signer.public_key)
    dsse["spec"]["signatures"].append({"verifier": "bm90IGEga2V5"})  # type: ignore[attr-defined]
    with pytest.raises(BundleError, match="records no readable public key"):
        check_entry_key(json.dumps(dsse).encode(), signer.public_key)
    for body, reason in [
        (b"{", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"kind": "dsse", "spec": {}}', "no readable public key"),
        (b'{"kind": "hashedrekord"}', "no readable public key"),
    ]:
        with pytest.raises(BundleError, match=reason):
            check_entry_key(body, signer.public_key)
