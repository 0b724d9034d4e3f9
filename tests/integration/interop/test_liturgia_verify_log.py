"""liturgia's own offline check of a bundle's log entry (``log_keys=``), on a served log's entries.

The same bundles sigstore-js checks: each tampered variant fails with its own error class and
named reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from liturgia import sign
from liturgia.errors import (
    BundleError,
    DigestError,
    InputError,
    ProofError,
    SignatureError,
    VerificationError,
)
from liturgia.sign.tlog_verify import log_keys_from_trusted_root, verify_tlog_entries

from . import _tamper
from .conftest import Material


def _keys(material: Material) -> tuple[sign.PublicKey, ...]:
    return (sign.load_public_key(material.log_pub),)


def test_logged_bundles_verify_with_log_key_or_trusted_root(material: Material) -> None:
    signer = sign.load_public_key(material.signer_pub)
    from_root = log_keys_from_trusted_root(material.root.read_bytes())
    assert [key.der for key in from_root] == [key.der for key in _keys(material)]
    for index, artifact in enumerate(material.artifacts):
        other_first = (sign.load_public_key(material.other_log_pub), *from_root)
        for keys in (_keys(material), from_root, other_first):
            sign.verify_file_bundle(artifact, material.bundle(index), signer, log_keys=keys)
        sign.verify_bytes_bundle(
            artifact.read_bytes(), material.bundle(index), signer, log_keys=from_root
        )
    envelope = sign.verify_dsse_bundle(material.dsse.read_bytes(), signer, log_keys=from_root)
    assert json.loads(envelope.payload)["predicateType"] == "https://slsa.dev/provenance/v1"
    (entry,) = verify_tlog_entries(sign.parse_bundle(material.bundle(0)), from_root)
    assert (entry.log_index, entry.tree_index, entry.tree_size) == (3, 3, 4)
    assert entry.origin.startswith("127.0.0.1 - ")


@pytest.mark.parametrize(
    ("tamper", "error", "reason"),
    [
        (_tamper.flip_signature, BundleError, "entry body does not match the bundle"),
        (_tamper.entry_of_other_upload, BundleError, "entry body does not match the bundle"),
        (_tamper.checkpoint_of_other_log, SignatureError, "checkpoint signature invalid"),
        (_tamper.flip_proof_hash, ProofError, "inclusion proof invalid"),
        (_tamper.flip_set, SignatureError, "signed entry timestamp invalid"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
@pytest.mark.parametrize("kind", ["file", "dsse"])
def test_tamper_table(
    material: Material,
    tamper: _tamper.Tamper,
    error: type[VerificationError],
    reason: str,
    kind: str,
) -> None:
    signer = sign.load_public_key(material.signer_pub)
    keys = _keys(material)
    if kind == "file":
        bundle = tamper(material, material.bundle(0))
        with pytest.raises(error, match=re.escape(reason)) as caught:
            sign.verify_file_bundle(material.artifacts[0], bundle, signer, log_keys=keys)
    else:
        bundle = tamper(material, material.dsse.read_bytes())
        with pytest.raises(error, match=re.escape(reason)) as caught:
            sign.verify_dsse_bundle(bundle, signer, log_keys=keys)
    assert type(caught.value) is error


def test_other_artifact_key_and_log(material: Material) -> None:
    signer = sign.load_public_key(material.signer_pub)
    keys = _keys(material)
    with pytest.raises(DigestError, match="digest mismatch"):
        sign.verify_file_bundle(material.artifacts[1], material.bundle(0), signer, log_keys=keys)
    with pytest.raises(SignatureError, match="wrong key: the bundle names key"):
        sign.verify_file_bundle(
            material.artifacts[0],
            material.bundle(0),
            sign.load_public_key(material.other_pub),
            log_keys=keys,
        )
    with pytest.raises(SignatureError, match="log entry from an untrusted log"):
        sign.verify_file_bundle(
            material.artifacts[0],
            material.bundle(0),
            signer,
            log_keys=log_keys_from_trusted_root(material.other_root.read_bytes()),
        )
    with pytest.raises(SignatureError, match="log entry from an untrusted log"):
        sign.verify_file_bundle(
            material.artifacts[0], material.other_log_bundle.read_bytes(), signer, log_keys=keys
        )


def _entry_edit(material: Material, change: str) -> bytes:
    document = json.loads(material.bundle(0))
    entry = document["verificationMaterial"]["tlogEntries"][0]
    proof = entry["inclusionProof"]
    if change == "no proof":
        del entry["inclusionProof"]
    elif change == "root":
        proof["rootHash"] = json.loads(material.bundle(1))["verificationMaterial"]["tlogEntries"][
            0
        ]["inclusionProof"]["rootHash"]
    elif change == "checkpoint text":
        proof["checkpoint"]["envelope"] = "not a note\n"
    elif change == "no entry":
        document["verificationMaterial"]["tlogEntries"] = []
    elif change == "kind":
        entry["kindVersion"]["version"] = "0.0.2"
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("change", "error", "reason"),
    [
        ("no proof", ProofError, "inclusion proof invalid: log entry 3 has no inclusion proof"),
        ("root", ProofError, "inclusion proof invalid: the checkpoint commits to tree"),
        ("checkpoint text", ProofError, "checkpoint malformed"),
        ("no entry", BundleError, "no transparency log entry (one is required)"),
        ("kind", BundleError, "tlogEntries[0]: kindVersion hashedrekord/0.0.2 does not match"),
    ],
)
def test_entry_field_failures(
    material: Material, change: str, error: type[VerificationError], reason: str
) -> None:
    signer = sign.load_public_key(material.signer_pub)
    with pytest.raises(error, match=re.escape(reason)):
        sign.verify_file_bundle(
            material.artifacts[0],
            _entry_edit(material, change),
            signer,
            log_keys=_keys(material),
        )
    # Without log keys only the body is checked: these pass (no entry required).
    if change in ("no proof", "no entry", "root", "checkpoint text"):
        sign.verify_file_bundle(material.artifacts[0], _entry_edit(material, change), signer)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "root.json: not JSON"),
        (b"[]", "root.json: no 'tlogs' list"),
        (b'{"tlogs": []}', "root.json: no 'tlogs' list"),
        (b'{"tlogs": [{"publicKey": {"rawBytes": "!!"}}]}', "tlogs[0].publicKey.rawBytes is not"),
        (b'{"tlogs": [{"publicKey": {"rawBytes": "AAAA"}}]}', "tlogs[0].publicKey"),
    ],
)
def test_trusted_root_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        log_keys_from_trusted_root(data, source="root.json")


def test_load_log_keys_from_files(material: Material, tmp_path: Path) -> None:
    assert sign.load_log_keys() is None
    keys = sign.load_log_keys([material.other_log_pub], material.root)
    assert keys is not None
    assert [key.der for key in keys] == [
        sign.load_public_key(material.other_log_pub).der,
        sign.load_public_key(material.log_pub).der,
    ]
    signer = sign.load_public_key(material.signer_pub)
    sign.verify_file_bundle(material.artifacts[0], material.bundle(0), signer, log_keys=keys)
    only_other = sign.load_log_keys([material.other_log_pub])
    with pytest.raises(SignatureError, match="untrusted log"):
        sign.verify_file_bundle(
            material.artifacts[0], material.bundle(0), signer, log_keys=only_other
        )
    with pytest.raises(InputError, match=r"missing\.json"):
        sign.load_log_keys(trusted_root=tmp_path / "missing.json")
