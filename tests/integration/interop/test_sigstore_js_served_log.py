"""sigstore-js, offline with its DEFAULT thresholds, on bundles logged by a real ``liturgia serve``.

``liturgia sign --tlog-url`` (and ``liturgia attest`` + ``add_log_entry`` for DSSE) log in a
running server; ``liturgia trust-root export`` writes the trusted root naming its key and base
URL; sigstore-js's ``@sigstore/verify`` (verify.js, one log entry and one trusted time
required) accepts the bundles and refuses every tampered variant.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from liturgia import cli

from . import _tamper
from .conftest import Material

OK = "OK tlog=1 ts=1: verified, key type ec"


def _verify(
    peer: Path, folder: Path, bundle: bytes, *, root: Path, key: Path, artifact: Path | None
) -> tuple[int, str]:
    path = folder / "under-test.json"
    path.write_bytes(bundle)
    args = ["node", str(peer / "verify.js"), str(path), str(root), str(key)]
    if artifact is not None:
        args.append(str(artifact))
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    return result.returncode, result.stdout.strip()


def test_signed_file_passes_with_default_thresholds(sigstore_js: Path, material: Material) -> None:
    for index, artifact in enumerate(material.artifacts):
        assert _verify(
            sigstore_js,
            material.folder,
            material.bundle(index),
            root=material.root,
            key=material.signer_pub,
            artifact=artifact,
        ) == (0, OK)


def test_dsse_attestation_passes_with_default_thresholds(
    sigstore_js: Path, material: Material
) -> None:
    code, out = _verify(
        sigstore_js,
        material.folder,
        material.dsse.read_bytes(),
        root=material.root,
        key=material.signer_pub,
        artifact=None,
    )
    assert (code, out) == (0, OK)


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (_tamper.flip_signature, "TLOG_BODY_ERROR"),
        (_tamper.entry_of_other_upload, "TLOG_BODY_ERROR"),
        (_tamper.checkpoint_of_other_log, "TLOG_INCLUSION_PROOF_ERROR"),
        (_tamper.flip_proof_hash, "TLOG_INCLUSION_PROOF_ERROR"),
        (_tamper.flip_set, "TLOG_INCLUSION_PROMISE_ERROR"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
@pytest.mark.parametrize("kind", ["file", "dsse"])
def test_tampered_bundles_fail(
    sigstore_js: Path, material: Material, tamper: _tamper.Tamper, code: str, kind: str
) -> None:
    original = material.bundle(0) if kind == "file" else material.dsse.read_bytes()
    artifact = material.artifacts[0] if kind == "file" else None
    result, out = _verify(
        sigstore_js,
        material.folder,
        tamper(material, original),
        root=material.root,
        key=material.signer_pub,
        artifact=artifact,
    )
    assert result == 1 and out.startswith("FAIL tlog=1 ts=1:"), out
    assert f"[{code}]" in out, out


def test_other_artifact_other_key_other_log_fail(sigstore_js: Path, material: Material) -> None:
    bundle = material.bundle(0)
    other_artifact = _verify(
        sigstore_js,
        material.folder,
        bundle,
        root=material.root,
        key=material.signer_pub,
        artifact=material.artifacts[1],
    )
    other_key = _verify(
        sigstore_js,
        material.folder,
        bundle,
        root=material.root,
        key=material.other_pub,
        artifact=material.artifacts[0],
    )
    # The trusted root of another log: our entry is from a log it does not list.
    other_root = _verify(
        sigstore_js,
        material.folder,
        bundle,
        root=material.other_root,
        key=material.signer_pub,
        artifact=material.artifacts[0],
    )
    # The bundle logged in the other log, against our log's trusted root.
    other_log = _verify(
        sigstore_js,
        material.folder,
        material.other_log_bundle.read_bytes(),
        root=material.root,
        key=material.signer_pub,
        artifact=material.artifacts[0],
    )
    assert other_artifact == (
        1,
        "FAIL tlog=1 ts=1: VerificationError [SIGNATURE_ERROR] signature verification failed",
    )
    assert other_key == other_artifact
    promise = (
        "FAIL tlog=1 ts=1: VerificationError [TLOG_INCLUSION_PROMISE_ERROR] inclusion promise "
        "could not be verified"
    )
    assert other_root == (1, promise)
    assert other_log == (1, promise)


def test_trust_root_exported_after_the_entries_needs_valid_from(
    sigstore_js: Path, material: Material, capsys: pytest.CaptureFixture[str]
) -> None:
    late, early = material.folder / "late-root.json", material.folder / "early-root.json"
    common = ["trust-root", "export", "--tlog-key", str(material.log_pub)]
    common += ["--tlog-url", material.log_url]
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        assert cli.main([*common, "-o", str(late)]) == 0
        for value, start in (
            ("2026-01-01T00:00:00+01:00", "2025-12-31T23:00:00Z"),
            ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ):
            assert cli.main([*common, "--valid-from", value, "-o", str(early)]) == 0
            document = json.loads(early.read_bytes())
            assert document["tlogs"][0]["publicKey"]["validFor"]["start"] == start
    # Exported after signing with the default start (now): the SET predates the key's validity.
    for root, expected in ((late, 1), (early, 0)):
        code, out = _verify(
            sigstore_js,
            material.folder,
            material.bundle(0),
            root=root,
            key=material.signer_pub,
            artifact=material.artifacts[0],
        )
        assert code == expected, out
    for bad in ("2026-01-01", "2026-01-01T00:00:00", "yesterday"):
        with pytest.raises(SystemExit) as exited:
            cli.main([*common, "--valid-from", bad])
        assert exited.value.code == 2
        assert "is not an RFC 3339 time with an offset" in capsys.readouterr().err
