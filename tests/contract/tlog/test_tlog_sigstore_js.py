"""sigstore-js, offline with its default thresholds, verifies entries from this log.

The bundle's log entry comes from a real :class:`RekorLog` on SQLite whose global index is
ahead of the tree-local one (a rotated shard); the trusted root lists the log's key with the
checkpoint's host in its base URL. Tampered bundles fail, including a log entry about other
content than the bundle's signature (the class of CVE-2022-36056).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tests.peers import install_sigstore_js
from tests.rekor_requests import hashedrekord, hashedrekord_request, public_pem, sign_sha256

from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage


@pytest.fixture(scope="module")
def sigstore_js() -> Path:
    """The sigstore-js verifier (npm registry), installed by scripts/install-sigstore-js.sh."""
    return install_sigstore_js() / "verify.js"


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("interop")
    signer = ec.generate_private_key(ec.SECP256R1())
    log_key = ec.generate_private_key(ec.SECP256R1())
    signer_pem = public_pem(signer)
    (folder / "signer.pub").write_bytes(signer_pem)
    artifact = b"liturgia release artifact\n"
    (folder / "artifact.txt").write_bytes(artifact)
    digest, signature = sign_sha256(signer, artifact)
    other_digest, other_signature = sign_sha256(signer, b"another artifact\n")
    storage = SqliteStorage(folder / "log.db")
    with RekorLog(storage, log_key, host="log.example", tree_id=4242, index_offset=1000) as log:
        for i in range(6):
            log.submit(hashedrekord(signer, b"filler %d" % i))
        entry, _ = log.submit(hashedrekord_request(signer_pem, digest, signature))
        other, _ = log.submit(hashedrekord_request(signer_pem, other_digest, other_signature))
    storage.close()
    der = log_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    root = {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [
            {
                "baseUrl": "https://log.example",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64.b64encode(der).decode(),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"},
                },
                "logId": {"keyId": base64.b64encode(hashlib.sha256(der).digest()).decode()},
            }
        ],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": [],
    }
    (folder / "root.json").write_text(json.dumps(root))
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": "signer"},
            "tlogEntries": [entry.to_bundle_json()],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(digest).decode()},
            "signature": base64.b64encode(signature).decode(),
        },
    }
    assert entry.log_index == 1006 and entry.inclusion_proof is not None
    assert entry.inclusion_proof.log_index == 6
    return {"folder": folder, "bundle": bundle, "other": other.to_bundle_json()}


def _verify(verify_js: Path, material: dict[str, Any], bundle: dict[str, Any]) -> str:
    folder = material["folder"]
    path = folder / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = subprocess.run(
        [
            "node",
            str(verify_js),
            str(path),
            str(folder / "root.json"),
            str(folder / "signer.pub"),
            str(folder / "artifact.txt"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def test_sigstore_js_verifies_our_entry(sigstore_js: Path, material: dict[str, Any]) -> None:
    assert _verify(sigstore_js, material, material["bundle"]).startswith("OK tlog=1 ts=1")


def _tampered(material: dict[str, Any], what: str) -> dict[str, Any]:
    bundle = copy.deepcopy(material["bundle"])
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    if what == "other-entry":
        # A genuine entry of this log, but about another artifact's signature.
        bundle["verificationMaterial"]["tlogEntries"][0] = material["other"]
    elif what == "proof-hash":
        hashes_ = entry["inclusionProof"]["hashes"]
        raw = bytearray(base64.b64decode(hashes_[0]))
        raw[0] ^= 1
        hashes_[0] = base64.b64encode(bytes(raw)).decode()
    elif what == "set":
        entry["integratedTime"] = str(int(entry["integratedTime"]) + 1)
    return bundle


@pytest.mark.parametrize(
    ("what", "code"),
    [
        ("other-entry", "[TLOG_BODY_ERROR]"),
        ("proof-hash", "[TLOG_INCLUSION_PROOF_ERROR]"),
        ("set", "[TLOG_INCLUSION_PROMISE_ERROR]"),
    ],
)
def test_sigstore_js_refuses_tampered_bundles(
    sigstore_js: Path, material: dict[str, Any], what: str, code: str
) -> None:
    out = _verify(sigstore_js, material, _tampered(material, what))
    assert out.startswith("FAIL") and code in out, out
