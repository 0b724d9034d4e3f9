"""``liturgia publish --to NAME`` with a ``kind = "oci"`` target: the example's real signed
release, verified, pushed to Debian's ``docker-registry`` on loopback, read back; the peer
check reads the registry's HTTP API (manifest, blobs, the referrers tag schema's index)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from liturgia import sign
from liturgia.config import load_config
from liturgia.errors import NetworkError
from liturgia.publish import PublishEvent, configured_target, publish_release, record_path
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


def test_a_registry_killed_mid_publish_is_completed_by_the_next_run_sending_no_blob_twice(
    tmp_path: Path, vertice_release: Release, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = Registry(tmp_path / "registry", log_level="info")
    table = f'[publish.staging]\nkind = "oci"\nurl = "{registry.url}"\nrepository = "acme/app"\n'
    try:
        project = make_project(tmp_path / "project", vertice_release, table)
        target = configured_target(load_config(project.root), "staging")
        uploads: list[str] = []

        def kill_at_fifth_upload(event: PublishEvent) -> None:
            if event.step == "upload":
                uploads.append(event.file)
                if len(uploads) == 5:
                    registry.kill()

        with pytest.raises(NetworkError, match="run again to complete") as info:
            publish_release(
                project.release,
                target,
                public_key=sign.load_public_key(project.public_key),
                progress=kill_at_fifth_upload,
            )
        assert info.value.exit_code == 3
        record = json.loads(record_path(project.release).read_text())["targets"]["staging"]
        assert record["complete"] is False
        assert len(record["files"]) == 4

        registry.start()  # same port, same storage
        tagged = httpx.head(
            f"{registry.url}/v2/acme/app/manifests/0.2.0", headers={"Accept": MANIFEST}
        )
        assert tagged.status_code == 404, "no tag before every file is in"
        code, out, err = publish(project, capsys)
        assert code == 0, err
        sums = parse_sha256sums((project.release / "SHA256SUMS").read_text())
        assert len(json.loads(out)["files"]) == len(sums)
        record = json.loads(record_path(project.release).read_text())["targets"]["staging"]
        assert record["complete"] is True

        # The registry's own request log, over both runs: each blob was PUT at most once.
        log = (registry.home / "registry.log").read_text()
        sent = re.findall(
            r'http\.request\.method=PUT .*?uri="[^"]*digest=sha256%3A([0-9a-f]{64})', log
        )
        assert sent, "the registry logged no blob upload"
        assert len(sent) == len(set(sent))
        assert set(sent) >= set(sums.values()) - {hashlib.sha256(b"").hexdigest()}
    finally:
        registry.stop()
