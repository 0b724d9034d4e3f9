"""Independent checks of a release folder's transparency, for the release tests.

An RFC 9162 inclusion-proof verifier written here from the RFC's text (§2.1.3.2), not
liturgia's Merkle code, and sigstore-js (``@sigstore/verify``, installed by
scripts/install-sigstore-js.sh) run on every bundle of a folder with the folder's exported
trusted root and a transparency-log threshold of 1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

__all__ = [
    "check_every_entry_independently",
    "rfc9162_root_from_inclusion",
    "sigstore_js_verifies_every_bundle",
]

_ATTESTATION = ".intoto.sigstore.json"


def _leaf(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def rfc9162_root_from_inclusion(
    index: int, size: int, leaf_hash: bytes, path: list[bytes]
) -> bytes:
    """RFC 9162 §2.1.3.2: the root a leaf and its inclusion path lead to (raises if malformed)."""
    if index >= size:
        raise ValueError("leaf index beyond the tree")
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            raise ValueError("path longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            r = _node(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("path shorter than the tree is deep")
    return r


def _checkpoint_root(envelope: str) -> tuple[int, bytes]:
    """Tree size and root hash stated by a C2SP checkpoint (lines 2 and 3 of the note)."""
    lines = envelope.split("\n")
    return int(lines[1]), base64.b64decode(lines[2])


def check_every_entry_independently(folder: Path) -> int:
    """Assert each bundle's one log entry: its inclusion proof leads to the checkpoint's root,
    its body is this bundle's signature, its log is the trusted root's. Returns the count."""
    root = json.loads((folder / "trusted-root.json").read_text())
    (tlog,) = root["tlogs"]
    bundles = sorted(folder.glob("*.sigstore.json"))
    indexes = set()
    for bundle_path in bundles:
        bundle = json.loads(bundle_path.read_text())
        (entry,) = bundle["verificationMaterial"]["tlogEntries"]
        assert entry["inclusionPromise"]["signedEntryTimestamp"], bundle_path.name
        log_id = base64.b64decode(entry["logId"]["keyId"])
        assert log_id == base64.b64decode(tlog["logId"]["keyId"]), bundle_path.name
        proof = entry["inclusionProof"]
        body = base64.b64decode(entry["canonicalizedBody"])
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        index, size = int(proof["logIndex"]), int(proof["treeSize"])
        computed = rfc9162_root_from_inclusion(index, size, _leaf(body), hashes)
        stated_size, stated = _checkpoint_root(proof["checkpoint"]["envelope"])
        assert computed == base64.b64decode(proof["rootHash"]) == stated, bundle_path.name
        assert stated_size == size
        # A wrong leaf does not lead to the root (the verifier can fail).
        assert rfc9162_root_from_inclusion(index, size, _leaf(body + b" "), hashes) != computed
        # The logged body is this bundle's signature: over this artifact, or over the
        # attestation's DSSE payload.
        logged = json.loads(body)
        if bundle_path.name.endswith(_ATTESTATION):
            assert logged["kind"] == "dsse"
            payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
            digest = hashlib.sha256(payload).hexdigest()
            assert logged["spec"]["payloadHash"]["value"] == digest
        else:
            assert logged["kind"] == "hashedrekord"
            subject = folder / bundle_path.name.removesuffix(".sigstore.json")
            digest = hashlib.sha256(subject.read_bytes()).hexdigest()
            assert logged["spec"]["data"]["hash"]["value"] == digest
        indexes.add(int(entry["logIndex"]))
    assert len(indexes) == len(bundles)  # one entry per bundle
    return len(bundles)


def sigstore_js_verifies_every_bundle(folder: Path, public_key: Path, sigstore_js: Path) -> int:
    """Run sigstore-js on each bundle with the folder's trusted root, ``--tlog 1``; the count."""
    root = folder / "trusted-root.json"
    bundles = sorted(folder.glob("*.sigstore.json"))
    for bundle in bundles:
        argv = [str(sigstore_js / "verify.js"), str(bundle), str(root), str(public_key)]
        if not bundle.name.endswith(_ATTESTATION):  # DSSE: the payload is inside
            argv.append(str(folder / bundle.name.removesuffix(".sigstore.json")))
        result = subprocess.run(
            ["node", *argv, "--tlog", "1"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, (bundle.name, result.stdout, result.stderr)
        assert result.stdout.startswith("OK tlog=1 ts=1"), (bundle.name, result.stdout)
    return len(bundles)
