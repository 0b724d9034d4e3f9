"""End to end: the polyglot release of examples/vertice (wheel, sdist, four Go binaries built
with Debian's golang-go from Debian's Go source packages, the front end's tarball from `npm ci`
and its TypeScript build), each with its bundle and its own SBOM, then `liturgia verify`.

Needs golang-go, golang-github-spf13-pflag-dev, golang-gopkg-yaml.v2-dev and npm (installed
by scripts/test.sh) and the npm registry (reachable from these machines).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from liturgia import sbom, sign
from liturgia.cli import main
from tests.integration.release.conftest import vertice_repo
from tests.integration.release.transparency_proofs import (
    check_every_entry_independently,
    sigstore_js_verifies_every_bundle,
)
from tests.integration.sign.conftest import sigstore_js

__all__ = ["sigstore_js"]

VERSION = "0.2.0"
BINARIES = {
    f"vcli-{VERSION}-linux-amd64": ("ELF", "linux", "amd64"),
    f"vcli-{VERSION}-linux-arm64": ("ELF", "linux", "arm64"),
    f"vcli-{VERSION}-darwin-arm64": ("Mach-O", "darwin", "arm64"),
    f"vcli-{VERSION}-windows-amd64.exe": ("PE", "windows", "amd64"),
}
ARTIFACTS = {
    *BINARIES,
    f"vertice-frontend-{VERSION}.tgz",
    f"vertice_backend-{VERSION}-py3-none-any.whl",
    f"vertice_backend-{VERSION}.tar.gz",
}
_MAGIC = {"ELF": b"\x7fELF", "Mach-O": b"\xcf\xfa\xed\xfe", "PE": b"MZ"}


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One GO dry-run release of the whole example, built once for this module's tests."""
    assert shutil.which("go"), "golang-go is not installed: run scripts/test.sh"
    assert shutil.which("npm"), "npm is not installed: run scripts/test.sh"
    base = tmp_path_factory.mktemp("polyglot")
    repo = vertice_repo(base / "vertice", polyglot=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LITURGIA_PYTHON", sys.executable)
        patch.setenv("LITURGIA_KEY", str(base / "keys" / "release.key"))
        patch.setenv("LITURGIA_PASSWORD", "correct horse")
        patch.setenv("SOURCE_DATE_EPOCH", "1764400000")
        # The embedded transparency log every bundle is recorded in: this module's own.
        patch.setenv("XDG_STATE_HOME", str(base / "state"))
        code = main(["release", "--dry-run", "--project", str(repo)])
    assert code == 0  # GO
    return repo / "dist" / f"vertice-{VERSION}"


def test_every_artifact_has_its_bundle_and_sbom(released: Path) -> None:
    names = {path.name for path in released.iterdir()}
    for artifact in ARTIFACTS:
        assert artifact in names
        assert f"{artifact}.sigstore.json" in names
        assert f"{artifact}.cdx.json" in names
        assert f"{artifact}.cdx.json.sigstore.json" in names
    for artifact in ARTIFACTS:
        own = (released / f"{artifact}.cdx.json").read_bytes()
        sbom.validate_cyclonedx_json(own, source=f"{artifact}.cdx.json")
        component = json.loads(own)["metadata"]["component"]
        digest = hashlib.sha256((released / artifact).read_bytes()).hexdigest()
        assert (component["name"], component["hashes"][0]["content"]) == (artifact, digest)
    public = sign.load_public_key(released / "release-key.pub")
    for artifact in ARTIFACTS:
        for name in (artifact, f"{artifact}.cdx.json"):
            bundle = (released / f"{name}.sigstore.json").read_bytes()
            sign.verify_file_bundle(released / name, bundle, public)
    code = main(["verify", str(released), "--key", str(released / "release-key.pub")])
    assert code == 0


def test_binaries_are_for_their_platforms_and_stamped(released: Path) -> None:
    for name, (kind, os_name, arch) in BINARIES.items():
        data = (released / name).read_bytes()
        assert data.startswith(_MAGIC[kind]), name
        info = _go_version_m(released / name)
        assert f"build\tGOOS={os_name}" in info
        assert f"build\tGOARCH={arch}" in info
        assert "build\tCGO_ENABLED=0" in info
        assert "build\t-trimpath=true" in info
    # The version is stamped through -ldflags -X (which -trimpath keeps out of the build info).
    run = subprocess.run(
        [released / f"vcli-{VERSION}-linux-amd64", "--from", "a", "--to", "b"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"client: {VERSION}" in run.stdout


def _go_version_m(path: Path) -> str:
    return subprocess.run(
        ["go", "version", "-m", str(path)], capture_output=True, text=True, check=True
    ).stdout


def test_go_version_m_lists_exactly_the_sbom_modules(released: Path) -> None:
    for name in BINARIES:
        modules = {
            line.split("\t")[2]
            for line in _go_version_m(released / name).splitlines()
            if line.startswith("\tdep\t")
        }
        assert modules == {"github.com/spf13/pflag", "gopkg.in/yaml.v2"}
        document = json.loads((released / f"{name}.cdx.json").read_text())
        assert document["metadata"]["component"]["name"] == name
        listed = {c["name"] for c in document["components"]}
        # The main module and the Go standard library are in the binary too; go version -m
        # prints them on its `mod` line and its first line.
        assert listed - {"example.com/vertice/cli", "stdlib"} == modules
        stdlib = next(c for c in document["components"] if c["name"] == "stdlib")
        go_version = _go_version_m(released / name).split(": go", 1)[1].split()[0]
        assert stdlib["version"] == go_version


def test_frontend_tarball_is_the_built_files_reproducibly_packed(released: Path) -> None:
    with tarfile.open(released / f"vertice-frontend-{VERSION}.tgz") as archive:
        members = archive.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert names == [f"vertice-frontend-{VERSION}", f"vertice-frontend-{VERSION}/main.js"]
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {
        (0, 0, "", "", 1764400000)
    }
    document = json.loads((released / f"vertice-frontend-{VERSION}.tgz.cdx.json").read_text())
    names_in_sbom = {c["name"] for c in document["components"]}
    # The production part of the lockfile: react and express, never typescript nor eslint.
    assert {"react", "react-dom", "express", "axios"} <= names_in_sbom
    assert not {"typescript", "eslint", "@types/react"} & names_in_sbom


def test_release_sbom_has_every_artifact_with_hash_and_contents(released: Path) -> None:
    document = json.loads((released / "sbom.cdx.json").read_text())
    files = {c["name"]: c for c in document["components"] if c["type"] == "file"}
    assert set(files) == ARTIFACTS
    edges = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    refs = {c["bom-ref"] for c in document["components"]}
    for name, component in files.items():
        digest = component["hashes"][0]["content"]
        assert hashlib.sha256((released / name).read_bytes()).hexdigest() == digest
        contained = edges[component["bom-ref"]]
        assert contained, name
        assert set(contained) <= refs
    binary = files[f"vcli-{VERSION}-linux-amd64"]["bom-ref"]
    assert edges[binary] == [f"pkg:golang/example.com/vertice/cli@{VERSION}"]
    assert "pkg:golang/stdlib@" in " ".join(edges[f"pkg:golang/example.com/vertice/cli@{VERSION}"])


def test_every_bundle_is_logged_and_verifies_independently(
    released: Path, sigstore_js: Path
) -> None:
    """Issue 12's proof on all seven artifacts: each bundle (artifacts, their SBOMs, the release
    SBOM, the attestations, SHA256SUMS) carries a log entry whose inclusion proof verifies with
    an RFC 9162 verifier written in the tests, and sigstore-js verifies each with the exported
    trusted root and a log-entry threshold of 1."""
    bundles = 2 * len(ARTIFACTS) + 5  # each artifact and its SBOM, release SBOM, 3 attestations,
    assert check_every_entry_independently(released) == bundles  # and SHA256SUMS
    public = released / "release-key.pub"
    assert sigstore_js_verifies_every_bundle(released, public, sigstore_js) == bundles
