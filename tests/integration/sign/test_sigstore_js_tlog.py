"""sigstore-js with its default policy (one log entry, one trusted time) on bundles with entries.

The log side is emulated here the way Rekor v1 computes it (the real ``liturgia serve`` is
driven in ``tests/integration/interop/test_sigstore_js_served_log.py``): the entry body is our
:func:`proposed_entry` in canonical JSON, the inclusion proof is RFC 6962 hashing over a
two-leaf tree, the checkpoint is a C2SP signed note with Rekor's ``<host> - <tree id>`` origin
(liturgia.tlog.checkpoint), and the SignedEntryTimestamp is an ECDSA signature over the RFC 8785
JSON of body, integratedTime, logID and logIndex. What this checks is our side:
:func:`tlog_entry_from_rekor`, the bundle layout and :func:`trusted_root_json`, against an
independent verifier.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.provenance import attest, statement_for_files
from liturgia.sign import (
    PublicKey,
    TransparencyLog,
    parse_bundle,
    proposed_entry,
    sign_file,
    tlog_entry_from_rekor,
    trusted_root_json,
)
from liturgia.sign.backends.file import FileSigner
from liturgia.tlog.checkpoint import Checkpoint, EcdsaNoteSigner, rekor_origin, sign_checkpoint

HOST = "log.liturgia.test"
GLOBAL_INDEX = 1001  # Rekor's global index; the proof's tree-local index is 1


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _dsse_body(bundle: bytes, public: PublicKey) -> dict[str, Any]:
    envelope = parse_bundle(bundle).envelope
    assert envelope is not None
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(envelope.to_json()).hexdigest(),
            },
            "payloadHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(envelope.payload).hexdigest(),
            },
            "signatures": [
                {
                    "signature": base64.b64encode(envelope.signatures[0].sig).decode(),
                    "verifier": base64.b64encode(public.pem).decode(),
                }
            ],
        },
    }


class FakeRekor:
    """Computes what a Rekor v1 log would answer for one entry (leaf 1 of 2)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.public = PublicKey.from_key(self.key.public_key())
        self.log_id = hashlib.sha256(self.public.der).hexdigest()

    def answer(self, body: bytes, *, integrated_time: int) -> dict[str, Any]:
        leaf0 = hashlib.sha256(b"\x00" + b"an earlier entry").digest()
        leaf1 = hashlib.sha256(b"\x00" + body).digest()
        root = hashlib.sha256(b"\x01" + leaf0 + leaf1).digest()
        checkpoint = sign_checkpoint(
            Checkpoint(origin=rekor_origin(HOST, 1), size=2, root_hash=root),
            [EcdsaNoteSigner(HOST, self.key)],
        )
        b64_body = base64.b64encode(body).decode()
        payload = _canonical(
            {
                "body": b64_body,
                "integratedTime": integrated_time,
                "logID": self.log_id,
                "logIndex": GLOBAL_INDEX,
            }
        )
        set_sig = self.key.sign(payload, ec.ECDSA(hashes.SHA256()))
        return {
            "body": b64_body,
            "integratedTime": integrated_time,
            "logID": self.log_id,
            "logIndex": GLOBAL_INDEX,
            "verification": {
                "inclusionProof": {
                    "checkpoint": checkpoint.decode(),
                    "hashes": [leaf0.hex()],
                    "logIndex": 1,
                    "rootHash": root.hex(),
                    "treeSize": 2,
                },
                "signedEntryTimestamp": base64.b64encode(set_sig).decode(),
            },
        }


def _embed(bundle: bytes, entry: dict[str, Any]) -> bytes:
    document = json.loads(bundle)
    document["verificationMaterial"]["tlogEntries"] = [entry]
    return json.dumps(document).encode()


def _run(
    peer: Path, workdir: Path, bundle: bytes, root: bytes, key: bytes, artifact: Path | None
) -> tuple[int, str]:
    (workdir / "b.json").write_bytes(bundle)
    (workdir / "root.json").write_bytes(root)
    (workdir / "k.pub").write_bytes(key)
    args = [
        "node",
        str(peer / "verify.js"),
        str(workdir / "b.json"),
        str(workdir / "root.json"),
        str(workdir / "k.pub"),
    ]
    if artifact is not None:
        args.append(str(artifact))
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    return result.returncode, result.stdout.strip()


def _root_for(log: FakeRekor) -> bytes:
    """A trusted root listing ``log`` alone, valid since 2020."""
    return trusted_root_json(
        [
            TransparencyLog(
                base_url=f"https://{HOST}",
                public_key=log.public,
                valid_from=datetime(2020, 1, 1, tzinfo=UTC),
            )
        ]
    )


def _world() -> tuple[FileSigner, FakeRekor, int, bytes]:
    """A new signer, an emulated log, the time now and a trusted root listing that log."""
    rekor = FakeRekor()
    signer = FileSigner(ec.generate_private_key(ec.SECP256R1()))
    return signer, rekor, int(datetime.now(tz=UTC).timestamp()), _root_for(rekor)


def test_default_policy_with_log_entries(sigstore_js: Path, tmp_path: Path) -> None:
    signer, rekor, now, root = _world()
    artifact = tmp_path / "vertice-0.1.0.tar.gz"
    artifact.write_bytes(b"sdist")
    bundle = sign_file(artifact, signer)
    body = _canonical(proposed_entry(parse_bundle(bundle), signer.public_key))
    with_entry = _embed(bundle, tlog_entry_from_rekor(rekor.answer(body, integrated_time=now)))
    pem = signer.public_key.pem

    assert _run(sigstore_js, tmp_path, with_entry, root, pem, artifact) == (
        0,
        "OK tlog=1 ts=1: verified, key type ec",
    )

    # An entry whose body is about another digest (the CVE-2022-36056 class) fails.
    other = proposed_entry(parse_bundle(bundle), signer.public_key)
    other["spec"]["data"]["hash"]["value"] = hashlib.sha256(b"other").hexdigest()
    forged = _embed(
        bundle, tlog_entry_from_rekor(rekor.answer(_canonical(other), integrated_time=now))
    )
    code, out = _run(sigstore_js, tmp_path, forged, root, pem, artifact)
    assert code == 1 and "TLOG_BODY_ERROR" in out, out

    # A trusted root listing another log's key (e.g. only the public instance's) fails.
    other_root = _root_for(FakeRekor())
    code, out = _run(sigstore_js, tmp_path, with_entry, other_root, pem, artifact)
    assert code == 1 and "TLOG_INCLUSION_PROMISE_ERROR" in out, out

    # A flipped byte in the SignedEntryTimestamp fails.
    document = json.loads(with_entry)
    set_bytes = bytearray(
        base64.b64decode(
            document["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"][
                "signedEntryTimestamp"
            ]
        )
    )
    set_bytes[12] ^= 1
    document["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"][
        "signedEntryTimestamp"
    ] = base64.b64encode(bytes(set_bytes)).decode()
    code, out = _run(sigstore_js, tmp_path, json.dumps(document).encode(), root, pem, artifact)
    assert code == 1 and "TLOG_INCLUSION_PROMISE_ERROR" in out, out


def test_inclusion_proof_and_checkpoint_tampering(sigstore_js: Path, tmp_path: Path) -> None:
    signer, rekor, now, root = _world()
    artifact = tmp_path / "a.tar.gz"
    artifact.write_bytes(b"a")
    bundle = sign_file(artifact, signer)
    body = _canonical(proposed_entry(parse_bundle(bundle), signer.public_key))
    answer = rekor.answer(body, integrated_time=now)

    wrong_hash = json.loads(json.dumps(answer))
    wrong_hash["verification"]["inclusionProof"]["hashes"] = ["00" * 32]
    code, out = _run(
        sigstore_js,
        tmp_path,
        _embed(bundle, tlog_entry_from_rekor(wrong_hash)),
        root,
        signer.public_key.pem,
        artifact,
    )
    assert code == 1 and "TLOG_INCLUSION_PROOF_ERROR" in out, out

    other_log = ec.generate_private_key(ec.SECP256R1())
    proof = answer["verification"]["inclusionProof"]
    resigned = json.loads(json.dumps(answer))
    resigned["verification"]["inclusionProof"]["checkpoint"] = sign_checkpoint(
        Checkpoint(
            origin=rekor_origin(HOST, 1), size=2, root_hash=bytes.fromhex(proof["rootHash"])
        ),
        [EcdsaNoteSigner(HOST, other_log)],
    ).decode()
    code, out = _run(
        sigstore_js,
        tmp_path,
        _embed(bundle, tlog_entry_from_rekor(resigned)),
        root,
        signer.public_key.pem,
        artifact,
    )
    assert code == 1 and "TLOG_INCLUSION_PROOF_ERROR" in out, out


def test_default_policy_with_dsse_log_entry(sigstore_js: Path, tmp_path: Path) -> None:
    signer, rekor, now, root = _world()
    artifact = tmp_path / "app.whl"
    artifact.write_bytes(b"wheel")
    bundle = attest(
        statement_for_files(
            [artifact], predicate_type="https://slsa.dev/provenance/v1", predicate={}
        ),
        signer,
    )
    body = _canonical(_dsse_body(bundle, signer.public_key))
    with_entry = _embed(bundle, tlog_entry_from_rekor(rekor.answer(body, integrated_time=now)))
    assert _run(sigstore_js, tmp_path, with_entry, root, signer.public_key.pem, None) == (
        0,
        "OK tlog=1 ts=1: verified, key type ec",
    )
