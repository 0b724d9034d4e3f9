"""SLSA provenance and attestations of a release, and `liturgia verify DIR` rejecting tampering.

Issue 12, items 4 and 5: a dry-run release of a copy of examples/vertice in a real git
repository carries one SLSA provenance v1 statement (every artifact and SBOM a subject) and
in-toto statements for its SBOM and scan, each a DSSE bundle logged in the embedded log.
`verify` checks them in named lines; the tamper table changes one thing each (an artifact's
byte, a provenance subject re-signed with the release key, a log entry from another log, a
checkpoint re-signed by another key, an SBOM from another release, a missing SBOM) and expects
exit 1 and a line naming the file and the reason, in text and in JSON.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia import provenance, sign
from liturgia.cli import main
from liturgia.release.transparency import open_release_log
from liturgia.release.verify import CHECK_NAMES
from liturgia.tlog.checkpoint import Checkpoint, EcdsaNoteSigner, sign_checkpoint
from tests.integration.release.conftest import git, vertice_repo

EPOCH = "1764400000"
PROVENANCE = "provenance.intoto.sigstore.json"
WHEEL = "vertice_backend-0.2.0-py3-none-any.whl"
SDIST = "vertice_backend-0.2.0.tar.gz"


@dataclass(frozen=True)
class Released:
    folder: Path  # vertice 0.2.0, dry run
    other: Path  # vertice 0.2.1 of the same repository: another release
    repo: Path
    key: Path
    public: Path
    log_dir: Path  # the embedded log's folder
    log_pub: Path


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Released]:
    base = tmp_path_factory.mktemp("provenance")
    key = base / "keys" / "release.key"
    with pytest.MonkeyPatch.context() as env:
        for kind in ("CONFIG", "CACHE", "STATE", "DATA"):
            env.setenv(f"XDG_{kind}_HOME", str(base / kind.lower()))
        env.setenv("LITURGIA_PYTHON", sys.executable)
        env.setenv("LITURGIA_KEY", str(key))
        env.setenv("LITURGIA_PASSWORD", "correct horse")
        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
        env.delenv("LITURGIA_TLOG_URL", raising=False)
        repo = vertice_repo(base / "vertice")
        argv = ["release", "--dry-run", "--project", str(repo)]
        assert main(argv) == 0
        assert main([*argv, "--version", "0.2.1", "--out", str(base / "other")]) == 0
    log_dir = base / "state" / "liturgia" / "tlog"
    yield Released(
        folder=repo / "dist" / "vertice-0.2.0",
        other=base / "other" / "vertice-0.2.1",
        repo=repo,
        key=key,
        public=key.with_suffix(".pub"),
        log_dir=log_dir,
        log_pub=log_dir / "log.pub",
    )


def _statement(folder: Path, name: str) -> dict[str, Any]:
    bundle = json.loads((folder / name).read_bytes())
    document: dict[str, Any] = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    return document


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_provenance_names_every_artifact_and_sbom_and_how_they_were_built(
    released: Released,
) -> None:
    statement = _statement(released.folder, PROVENANCE)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    # Each artifact, the release SBOM and each artifact's own SBOM.
    sboms = {"sbom.cdx.json", f"{WHEEL}.cdx.json", f"{SDIST}.cdx.json"}
    assert set(subjects) == {WHEEL, SDIST, *sboms}
    for name, digest in subjects.items():
        assert digest == _sha256(released.folder / name)
    definition = statement["predicate"]["buildDefinition"]
    assert definition["buildType"] == "urn:liturgia:buildtype:release:v1"
    assert definition["externalParameters"]["commands"] == [
        "python -m build --no-isolation --outdir {build_dir} backend"
    ]
    assert definition["externalParameters"]["version"] == "0.2.0"
    assert definition["externalParameters"]["source"]["ref"] == "refs/tags/v0.2.0"
    head = git(released.repo, "rev-parse", "HEAD").strip()
    assert definition["resolvedDependencies"] == [
        {"uri": "urn:liturgia:source:vertice@refs/tags/v0.2.0", "digest": {"gitCommit": head}}
    ]
    assert definition["internalParameters"]["SOURCE_DATE_EPOCH"] == EPOCH
    assert definition["internalParameters"]["dryRun"] is True
    run = statement["predicate"]["runDetails"]
    assert run["builder"]["id"] == "urn:liturgia:builder:local"
    versions = run["builder"]["version"]
    assert versions["liturgia"] and versions["python"].startswith("Python 3.")
    assert versions["git"].startswith("git version")
    assert run["metadata"]["startedOn"] == run["metadata"]["finishedOn"] == "2025-11-29T07:06:40Z"
    assert run["metadata"]["invocationId"].startswith("urn:uuid:")
    # No path of the build machine in what is published.
    assert str(released.repo) not in json.dumps(statement)
    # The SBOM's and the scan's statements, beside it.
    sbom_statement = _statement(released.folder, "sbom.intoto.sigstore.json")
    assert sbom_statement["predicateType"] == "https://cyclonedx.org/bom"
    assert sbom_statement["predicate"] == json.loads(
        (released.folder / "sbom.cdx.json").read_text()
    )
    scan = _statement(released.folder, "vulnerabilities.intoto.sigstore.json")
    assert scan["predicateType"] == "https://in-toto.io/attestation/vulns/v0.2"
    assert scan["predicate"]["scanner"]["result"] == []
    for document in (sbom_statement, scan):
        assert {s["name"] for s in document["subject"]} == {WHEEL, SDIST}


def _verify(folder: Path, released: Released, *extra: str) -> list[str]:
    return ["verify", str(folder), "--key", str(released.public), *extra]


def test_verify_names_each_check_and_checks_the_source(
    released: Released, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_key = ("--log-key", str(released.log_pub))
    argv = _verify(released.folder, released, *log_key, "--source", str(released.repo))
    assert main(argv) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line[:2] in {"✓ ", "- "}]
    names = [line[2:].split(":")[0] for line in lines]
    assert names == list(CHECK_NAMES)  # one line per check, in order, none left out
    assert {"checksums", "signatures", "log entries", "provenance", "source"} <= set(names)
    bundles = len(list(released.folder.glob("*.sigstore.json")))
    assert bundles == 9  # 2 artifacts, 3 SBOMs, 3 attestations, SHA256SUMS
    assert f"✓ log entries: {bundles} entries of {bundles} bundles verified offline" in err
    assert "- log consistency: not checked" in err
    assert "tag v0.2.0 not made (dry run)" in err
    assert main([*argv, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in document["checks"]] == [line[2:].split(":")[0] for line in lines]
    assert all(c["passed"] for c in document["checks"] if not c["skipped"])
    # The log key shipped in the folder proves nothing: refused (exit 2), never trusted.
    shipped = ("--trusted-root", str(released.folder / "trusted-root.json"))
    assert main(_verify(released.folder, released, *shipped)) == 2
    assert "a log key taken from the release folder proves nothing" in capsys.readouterr().err
    # A tag v0.2.0 on another commit: the provenance's commit is not what the tag names.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(released.repo), str(clone)], check=True)
    git(clone, "tag", "v0.2.0", "HEAD~1")
    assert main(_verify(released.folder, released, "--source", str(clone))) == 1
    err = capsys.readouterr().err
    head = git(released.repo, "rev-parse", "HEAD").strip()
    assert f"✗ source: {PROVENANCE}: tag v0.2.0 in {clone} names commit " in err
    assert f"not {head}" in err
    # The same tag on the right commit, read through the repository's URL (git ls-remote).
    git(clone, "tag", "-f", "v0.2.0", head)
    assert main(_verify(released.folder, released, "--source", f"file://{clone}")) == 0
    assert f"is tag v0.2.0 of file://{clone}" in capsys.readouterr().err


# -- the tamper table -------------------------------------------------------------------------


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _sbom_artifacts(folder: Path) -> list[str]:
    document = json.loads((folder / "sbom.cdx.json").read_text())
    return sorted(c["name"] for c in document["components"] if c.get("type") == "file")


def _resign_provenance(folder: Path, released: Released, tmp: Path) -> None:
    """The release key signs a provenance whose sdist subject has another digest; logged."""
    statement = _statement(folder, PROVENANCE)
    for subject in statement["subject"]:
        if subject["name"] == SDIST:
            subject["digest"]["sha256"] = "0" * 64
    changed = provenance.parse_statement(json.dumps(statement).encode())
    signer = sign.load_signer(str(released.key), password=b"correct horse")
    with open_release_log(None, embedded_dir=released.log_dir) as log:
        bundle = log.record(provenance.attest(changed, signer), signer.public_key)
    (folder / PROVENANCE).write_bytes(bundle)


def _entry_from_another_log(folder: Path, released: Released, tmp: Path) -> None:
    target = folder / f"{WHEEL}.sigstore.json"
    document = json.loads(target.read_bytes())
    document["verificationMaterial"]["tlogEntries"] = []
    signer = sign.load_signer(str(released.key), password=b"correct horse")
    with open_release_log(None, embedded_dir=tmp / "another-log") as log:
        target.write_bytes(log.record(json.dumps(document).encode(), signer.public_key))


def _checkpoint_resigned(folder: Path, released: Released, tmp: Path) -> None:
    target = folder / "sbom.cdx.json.sigstore.json"
    document = json.loads(target.read_bytes())
    proof = document["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    lines = proof["checkpoint"]["envelope"].split("\n")
    checkpoint = Checkpoint(
        origin=lines[0], size=int(lines[1]), root_hash=base64.b64decode(lines[2])
    )
    host = lines[0].split(" ")[0]
    other = EcdsaNoteSigner(host, ec.generate_private_key(ec.SECP256R1()))
    proof["checkpoint"]["envelope"] = sign_checkpoint(checkpoint, [other]).decode()
    target.write_text(json.dumps(document))


def _sbom_of_another_release(folder: Path, released: Released, tmp: Path) -> None:
    for name in ("sbom.cdx.json", "sbom.cdx.json.sigstore.json"):
        shutil.copyfile(released.other / name, folder / name)


def _missing_sbom(folder: Path, released: Released, tmp: Path) -> None:
    (folder / "sbom.cdx.json").unlink()


def _missing_artifact_sbom(folder: Path, released: Released, tmp: Path) -> None:
    (folder / f"{WHEEL}.cdx.json").unlink()


Tamper = Callable[[Path, Released, Path], None]

TAMPERS: list[tuple[str, Tamper, list[str]]] = [
    (
        "provenance subject changed",
        _resign_provenance,
        [f"✗ provenance: {SDIST}: SHA-256 differs from its subject in {PROVENANCE}"],
    ),
    (
        "log entry from another log",
        _entry_from_another_log,
        [
            f"✗ log entries: {WHEEL}: {WHEEL}.sigstore.json: tlogEntries[0]: log entry from an "
            "untrusted log"
        ],
    ),
    (
        "checkpoint re-signed by another key",
        _checkpoint_resigned,
        ["✗ log entries: sbom.cdx.json: sbom.cdx.json.sigstore.json: tlogEntries[0]: checkpoint"],
    ),
    (
        "SBOM from another release",
        _sbom_of_another_release,
        [
            "✗ checksums: sbom.cdx.json: SHA-256 differs from SHA256SUMS",
            "✗ sbom: vertice_backend-0.2.1-py3-none-any.whl: listed in the SBOM but missing",
            f"✗ provenance: sbom.cdx.json: SHA-256 differs from its subject in {PROVENANCE}",
            "✗ provenance: sbom.intoto.sigstore.json: its predicate is not sbom.cdx.json",
        ],
    ),
    (
        "missing SBOM",
        _missing_sbom,
        [
            "✗ sbom: sbom.cdx.json: missing",
            f"✗ provenance: {PROVENANCE}: subject sbom.cdx.json is not in the release folder",
        ],
    ),
    (
        "missing per-artifact SBOM",
        _missing_artifact_sbom,
        [
            f"✗ provenance: {PROVENANCE}: subject {WHEEL}.cdx.json is not in the release folder",
        ],
    ),
]


def _rejected(
    folder: Path, released: Released, capsys: pytest.CaptureFixture[str]
) -> tuple[str, dict[str, Any]]:
    argv = _verify(folder, released, "--log-key", str(released.log_pub))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert main([*argv, "--format", "json"]) == 1
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert document["verified"] is False
    return err, document


def _failed_json(document: dict[str, Any]) -> set[str]:
    return {
        f"✗ {check['name']}: {problem['file']}: {problem['reason']}"
        for check in document["checks"]
        for problem in check["problems"]
    }


@pytest.mark.parametrize(("what", "tamper", "expected"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_verify_rejects_tampering_naming_the_file_and_the_reason(
    released: Released,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    what: str,
    tamper: Tamper,
    expected: list[str],
) -> None:
    folder = tmp_path / "release"
    shutil.copytree(released.folder, folder)
    tamper(folder, released, tmp_path)
    err, document = _rejected(folder, released, capsys)
    lines = err.splitlines()
    in_json = _failed_json(document)
    for line in expected:
        assert any(found.startswith(line) for found in lines), (what, line, err)
        assert any(found.startswith(line) for found in in_json), (what, line, in_json)


def test_verify_rejects_a_flipped_byte_in_any_artifact(
    released: Released, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = _sbom_artifacts(released.folder)
    assert artifacts == [WHEEL, SDIST]
    for name in artifacts:
        folder = tmp_path / name
        shutil.copytree(released.folder, folder)
        _flip(folder / name)
        err, document = _rejected(folder, released, capsys)
        for line in (
            f"✗ checksums: {name}: SHA-256 differs from SHA256SUMS",
            f"✗ signatures: {name}: {name}.sigstore.json: digest mismatch",
            f"✗ sbom: {name}: SHA-256 differs from sbom.cdx.json",
            f"✗ provenance: {name}: SHA-256 differs from its subject in {PROVENANCE}",
        ):
            assert any(found.startswith(line) for found in err.splitlines()), (line, err)
            assert any(found.startswith(line) for found in _failed_json(document)), line
