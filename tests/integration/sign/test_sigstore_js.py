"""Interoperability: sigstore-js (@sigstore/verify 3.1.1, pinned) verifies our bundles offline.

Runs scripts/install-sigstore-js.sh once (into ``.peers/``, git-ignored, or
``$LITURGIA_PEERS_DIR``; node_modules is never committed), then our
``verify.js`` on bundles we make: a message-signature bundle and a DSSE bundle without a log
entry pass with ``--tlog 0 --ts 0``; every tampered variant fails. Needs node and npm (Debian
``nodejs``/``npm``) and the npm registry for the first install.

Findings (sigstore-js 3.1.1): it verifies DSSE signatures with SHA-256 whatever the curve, so a
P-384 DSSE bundle (SHA-384, as protobuf-specs' PKIX_ECDSA_P384_SHA_384 says) fails there; and it
passes a digest name to Node for Ed25519 message signatures, which Node refuses. P-256, our
default, passes everywhere.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia.provenance import PredicateType, attest, statement_for_files
from liturgia.sign import sign_file, trusted_root_json
from liturgia.sign.backends.file import FileSigner


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "root.json").write_bytes(trusted_root_json([]))
    return tmp_path


def _verify(
    peer: Path,
    workdir: Path,
    bundle: dict[str, Any] | bytes,
    key_pem: bytes,
    artifact: Path | None,
    *extra: str,
) -> tuple[int, str]:
    bundle_path = workdir / "bundle.json"
    bundle_path.write_bytes(bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode())
    key_path = workdir / "key.pub"
    key_path.write_bytes(key_pem)
    args = [
        "node",
        str(peer / "verify.js"),
        str(bundle_path),
        str(workdir / "root.json"),
        str(key_path),
    ]
    if artifact is not None:
        args.append(str(artifact))
    result = subprocess.run(
        [*args, *extra], capture_output=True, text=True, timeout=60, check=False
    )
    return result.returncode, result.stdout.strip()


NO_LOG = ("--tlog", "0", "--ts", "0")


def _p256() -> FileSigner:
    return FileSigner(ec.generate_private_key(ec.SECP256R1()))


def test_message_signature_bundles(sigstore_js: Path, workdir: Path) -> None:
    signer, other = _p256(), _p256()
    artifact = workdir / "vertice-0.1.0.tar.gz"
    artifact.write_bytes(b"sdist bytes\n" * 100)
    bundle = json.loads(sign_file(artifact, signer))
    pem = signer.public_key.pem

    code, out = _verify(sigstore_js, workdir, bundle, pem, artifact, *NO_LOG)
    assert (code, out) == (0, "OK tlog=0 ts=0: verified, key type ec")

    flipped = json.loads(json.dumps(bundle))
    sig = bytearray(base64.b64decode(flipped["messageSignature"]["signature"]))
    sig[20] ^= 1
    flipped["messageSignature"]["signature"] = base64.b64encode(bytes(sig)).decode()
    other_artifact = workdir / "other.tar.gz"
    other_artifact.write_bytes(b"not the signed bytes")
    failures = {
        "flipped signature byte": (flipped, pem, artifact),
        "other artifact": (bundle, pem, other_artifact),
        "other key": (bundle, other.public_key.pem, artifact),
    }
    for name, (doc, key, path) in failures.items():
        code, out = _verify(sigstore_js, workdir, doc, key, path, *NO_LOG)
        assert code == 1, name
        assert out.startswith("FAIL tlog=0 ts=0: VerificationError [SIGNATURE_ERROR]"), (name, out)
    # Without a log entry the default policy (one tlog entry, one trusted time) refuses it.
    code, out = _verify(sigstore_js, workdir, bundle, pem, artifact)
    assert code == 1 and out.startswith("FAIL tlog=1 ts=1"), out


def test_dsse_bundles(sigstore_js: Path, workdir: Path) -> None:
    signer, other = _p256(), _p256()
    artifact = workdir / "vertice-0.1.0-py3-none-any.whl"
    artifact.write_bytes(b"wheel")
    statement = statement_for_files(
        [artifact], predicate_type=PredicateType.SLSA_PROVENANCE_V1.value, predicate={"a": 1}
    )
    bundle = json.loads(attest(statement, signer))
    pem = signer.public_key.pem
    code, out = _verify(sigstore_js, workdir, bundle, pem, None, *NO_LOG)
    assert (code, out) == (0, "OK tlog=0 ts=0: verified, key type ec")

    def tampered(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        copy = json.loads(json.dumps(bundle))
        change(copy["dsseEnvelope"])
        return copy

    def flip(env: dict[str, Any]) -> None:
        sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
        sig[-5] ^= 1
        env["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()

    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"]).replace(b'"a":1', b'"a":2')
    failures = {
        "payload changed": (
            tampered(lambda e: e.update(payload=base64.b64encode(payload).decode())),
            pem,
        ),
        "payload type changed": (tampered(lambda e: e.update(payloadType="application/json")), pem),
        "flipped signature byte": (tampered(flip), pem),
        "other key": (bundle, other.public_key.pem),
    }
    for name, (doc, key) in failures.items():
        code, out = _verify(sigstore_js, workdir, doc, key, None, *NO_LOG)
        assert code == 1, name
        assert out.startswith("FAIL tlog=0 ts=0: VerificationError [SIGNATURE_ERROR]"), (name, out)


def test_known_sigstore_js_limits(sigstore_js: Path, workdir: Path) -> None:
    """Pin the two differences found, so a sigstore-js upgrade that fixes them is noticed."""
    artifact = workdir / "a.bin"
    artifact.write_bytes(b"a")
    ed = FileSigner(ed25519.Ed25519PrivateKey.generate())
    code, _ = _verify(
        sigstore_js, workdir, sign_file(artifact, ed), ed.public_key.pem, artifact, *NO_LOG
    )
    assert code == 1
    statement = statement_for_files(
        [artifact], predicate_type="https://example.org/p", predicate={}
    )
    ed_dsse = attest(statement, ed)
    code, out = _verify(sigstore_js, workdir, ed_dsse, ed.public_key.pem, None, *NO_LOG)
    assert (code, out) == (0, "OK tlog=0 ts=0: verified, key type ed25519")
    p384 = FileSigner(ec.generate_private_key(ec.SECP384R1()))
    code, _ = _verify(
        sigstore_js, workdir, sign_file(artifact, p384), p384.public_key.pem, artifact, *NO_LOG
    )
    assert code == 0
    code, _ = _verify(
        sigstore_js, workdir, attest(statement, p384), p384.public_key.pem, None, *NO_LOG
    )
    assert code == 1
