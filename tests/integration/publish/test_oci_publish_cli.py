"""``liturgia publish --to NAME`` with a ``kind = "oci"`` target: the example's real signed
release, verified, pushed to Debian's ``docker-registry`` on loopback, read back; the peer
check reads the registry's HTTP API (manifest, blobs, the referrers tag schema's index)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from liturgia.publish import record_path
from liturgia.release.checksums import parse_sha256sums
from tests.integration.publish.conftest import Project, Release, make_project
from tests.integration.publish.test_oci_registry import INDEX, MANIFEST, Registry
from tests.integration.publish.test_publish_pypi import publish


@pytest.fixture
def oci_project(tmp_path: Path, vertice_release: Release) -> Iterator[tuple[Project, Registry]]:
    registry = Registry(tmp_path / "registry")
    table = (
        f'[publish.staging]\nkind = "oci"\nurl = "{registry.url}"\nrepository = "acme/vertice"\n'
    )
    try:
        yield make_project(tmp_path / "project", vertice_release, table), registry
    finally:
        registry.stop()


def test_publish_to_an_oci_registry_then_a_second_run_is_a_no_op(
    oci_project: tuple[Project, Registry], capsys: pytest.CaptureFixture[str]
) -> None:
    project, registry = oci_project
    sums = parse_sha256sums((project.release / "SHA256SUMS").read_text())

    code, out, err = publish(project, capsys)

    assert code == 0, err
    result = json.loads(out)
    assert result["kind"] == "oci"
    assert result["uploaded"] == len(sums)
    assert record_path(project.release).exists()
    base = f"{registry.url}/v2/acme/vertice"
    manifest = httpx.get(f"{base}/manifests/0.2.0", headers={"Accept": MANIFEST})
    assert manifest.status_code == 200
    layers = {
        layer["annotations"]["org.opencontainers.image.title"]: layer["digest"]
        for layer in manifest.json()["layers"]
    }
    assert layers == {name: f"sha256:{digest}" for name, digest in sums.items()}
    for name, digest in layers.items():
        blob = httpx.get(f"{base}/blobs/{digest}").content
        assert hashlib.sha256(blob).hexdigest() == sums[name], name
    subject = manifest.headers["Docker-Content-Digest"]
    index = httpx.get(f"{base}/manifests/sha256-{subject[7:]}", headers={"Accept": INDEX}).json()
    listed = {
        entry["annotations"]["org.opencontainers.image.title"]: (
            entry["annotations"]["dev.liturgia.role"],
            entry["artifactType"],
        )
        for entry in index["manifests"]
    }
    bundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert listed["provenance.intoto.sigstore.json"] == ("provenance", bundle)
    assert listed["sbom.cdx.json"] == ("sbom", "application/vnd.cyclonedx+json")
    assert listed["vertice_backend-0.2.0.tar.gz.sigstore.json"] == ("signature", bundle)
    # Every SBOM, attestation and signature bundle of the release is a referrer.
    evidence = {name for name in sums if name.endswith((".sigstore.json", ".cdx.json"))}
    assert set(listed) == evidence

    code, out, err = publish(project, capsys)
    assert code == 0, err
    again = json.loads(out)
    assert (again["uploaded"], again["present"]) == (0, len(sums))
    after = httpx.get(f"{base}/manifests/0.2.0", headers={"Accept": MANIFEST})
    assert after.headers["Docker-Content-Digest"] == subject
