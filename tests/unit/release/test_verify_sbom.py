"""``liturgia verify DIR``: the release SBOM's artifacts, read with the one SBOM reader.

A real release folder in a temporary directory: real artifacts, a schema-valid CycloneDX 1.6
SBOM written by liturgia's writer (or edited from it), real signatures under a real P-256 key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia import sbom, sign
from liturgia.model import Inventory
from liturgia.release.verify import check_release_dir
from liturgia.sign.backends.file import FileSigner

SBOM = "sbom.cdx.json"


@pytest.fixture
def signer() -> FileSigner:
    return FileSigner(ec.generate_private_key(ec.SECP256R1()))


def _sign(folder: Path, name: str, signer: FileSigner) -> None:
    (folder / f"{name}{sign.BUNDLE_SUFFIX}").write_bytes(sign.sign_file(folder / name, signer))


def _release(tmp_path: Path, signer: FileSigner) -> tuple[Path, dict[str, Any]]:
    """A folder with a.whl (signed), b.tar.gz (unsigned) and a signed SBOM listing both."""
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "a.whl").write_bytes(b"wheel bytes")
    (folder / "b.tar.gz").write_bytes(b"sdist bytes")
    _sign(folder, "a.whl", signer)
    (folder / "gate-report.json").write_text("{}")  # its own checks are not these tests'
    artifacts = [sbom.artifact_component(folder / n) for n in ("a.whl", "b.tar.gz")]
    document = json.loads(sbom.to_cyclonedx_json(Inventory(), artifacts=artifacts))
    return folder, document


def _sbom_problems(folder: Path, document: dict[str, Any], signer: FileSigner) -> list[str]:
    data = json.dumps(document).encode()
    sbom.validate_cyclonedx_json(data, source=SBOM)  # every case here is schema-valid
    (folder / SBOM).write_bytes(data)
    _sign(folder, SBOM, signer)
    problems = check_release_dir(folder, signer.public_key)
    # Only the SBOM's own problems: the folder has no SHA256SUMS, gate report or attestations.
    others = ("SHA256SUMS", "gate-report", "provenance.", "sbom.intoto.", "vulnerabilities.")
    return [str(p) for p in problems if not p.file.startswith(others)]


def test_artifacts_are_checked_against_the_sbom(tmp_path: Path, signer: FileSigner) -> None:
    folder, document = _release(tmp_path, signer)
    assert _sbom_problems(folder, document, signer) == ["b.tar.gz: artifact is not signed"]


def test_a_changed_or_missing_artifact_is_named(tmp_path: Path, signer: FileSigner) -> None:
    folder, document = _release(tmp_path, signer)
    (folder / "a.whl").write_bytes(b"other wheel bytes")
    _sign(folder, "a.whl", signer)
    (folder / "b.tar.gz").unlink()
    problems = _sbom_problems(folder, document, signer)
    assert "a.whl: SHA-256 differs from sbom.cdx.json" in problems
    assert "b.tar.gz: listed in the SBOM but missing" in problems


def test_a_nested_file_component_is_an_artifact_too(tmp_path: Path, signer: FileSigner) -> None:
    folder, document = _release(tmp_path, signer)
    wheel, sdist = document["components"]
    document["components"] = [{**wheel, "components": [sdist]}]
    (folder / "b.tar.gz").unlink()
    assert "b.tar.gz: listed in the SBOM but missing" in _sbom_problems(folder, document, signer)


def test_one_name_with_two_digests_is_rejected(tmp_path: Path, signer: FileSigner) -> None:
    folder, document = _release(tmp_path, signer)
    wheel = document["components"][0]
    twin = {**wheel, "bom-ref": "file:a.whl#2", "hashes": [{"alg": "SHA-256", "content": "0" * 64}]}
    document["components"].append(twin)
    problems = _sbom_problems(folder, document, signer)
    assert problems[-1] == ("sbom.cdx.json: lists file a.whl twice with different SHA-256 digests")
    assert not any(p.startswith("a.whl: SHA-256") for p in problems)
