"""The OCI target through the per-file interface ``liturgia publish`` drives (select, lookup,
upload, download), against Debian's ``docker-registry`` on loopback; and a registry that
accepts connections but never answers."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from liturgia.config import PublishTarget
from liturgia.errors import ConfigError, NetworkError
from liturgia.publish.oci import OciRole, OciTarget, from_settings, role_of
from liturgia.publish.target import ReleaseFile
from tests.integration.publish.test_oci_registry import INDEX, MANIFEST, Registry


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    started = Registry(tmp_path / "registry")
    yield started
    started.stop()


def _folder(root: Path) -> list[ReleaseFile]:
    folder = root / "vertice-0.3.0"
    contents = {
        "gate-report.json": json.dumps({"project": "vertice", "version": "0.3.0"}).encode(),
        "vertice-linux-amd64": b"\x7fELF" + b"\0" * 4000,
        "vertice-linux-amd64.sigstore.json": b'{"bundle":1}',
        "sbom.cdx.json": b'{"bomFormat":"CycloneDX"}',
        "vertice-0.3.0.intoto.jsonl": b'{"payloadType":"x"}',
    }
    files = []
    for name, data in sorted(contents.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files.append(
            ReleaseFile(
                name=name, path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
            )
        )
    return files


def test_the_per_file_interface_pushes_the_artifact_after_the_last_upload(
    registry: Registry, tmp_path: Path
) -> None:
    files = _folder(tmp_path)
    target = from_settings(
        "staging", PublishTarget(kind="oci", url=registry.url, repository="acme/vertice")
    )
    assert target.select([f.name for f in reversed(files)]) == tuple(f.name for f in files)

    # What liturgia's publisher does: look every file up, upload the missing, read back.
    assert [target.lookup(file) for file in files] == [None] * len(files)
    tags = f"{registry.url}/v2/acme/vertice/tags/list"
    for file in files[:-1]:
        assert target.upload(file, file.path.read_bytes())
        assert httpx.get(tags).status_code == 404, "no tag before the last file is sent"
    assert target.upload(files[-1], files[-1].path.read_bytes())
    for file in files:
        assert target.download(file) == file.path.read_bytes()

    manifest = httpx.get(
        f"{registry.url}/v2/acme/vertice/manifests/0.3.0", headers={"Accept": MANIFEST}
    )
    digest = manifest.headers["Docker-Content-Digest"]
    roles = {
        layer["annotations"]["org.opencontainers.image.title"]: layer["annotations"][
            "dev.liturgia.role"
        ]
        for layer in manifest.json()["layers"]
    }
    assert roles == {
        "gate-report.json": "file",
        "sbom.cdx.json": "sbom",
        "vertice-0.3.0.intoto.jsonl": "provenance",
        "vertice-linux-amd64": "binary",
        "vertice-linux-amd64.sigstore.json": "signature",
    }
    index = httpx.get(
        f"{registry.url}/v2/acme/vertice/manifests/sha256-{digest[7:]}", headers={"Accept": INDEX}
    )
    assert len(index.json()["manifests"]) == 3

    # A second run finds everything: the publisher uploads nothing.
    again = from_settings(
        "staging", PublishTarget(kind="oci", url=registry.url, repository="acme/vertice")
    )
    assert [again.lookup(file) for file in files] == [file.sha256 for file in files]


def test_an_oci_table_without_a_repository_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"\[publish.prod\]: an oci target needs repository"):
        from_settings("prod", PublishTarget(kind="oci", url="https://registry.example"))


def test_roles_come_from_liturgia_names_and_executable_headers(tmp_path: Path) -> None:
    samples = {
        "a.sigstore.json": (b"{}", OciRole.SIGNATURE),
        "b.spdx.json": (b"{}", OciRole.SBOM),
        "c.intoto.jsonl": (b"{}", OciRole.PROVENANCE),
        "provenance.intoto.sigstore.json": (b"{}", OciRole.PROVENANCE),
        "d.exe": (b"MZ\x90\x00", OciRole.BINARY),
        "e-darwin-arm64": (b"\xcf\xfa\xed\xfe", OciRole.BINARY),
        "SHA256SUMS": (b"abc  d\n", OciRole.FILE),
    }
    for name, (data, role) in samples.items():
        (tmp_path / name).write_bytes(data)
        assert role_of(name, tmp_path / name) is role, name


def test_a_registry_that_never_answers_times_out_as_a_network_error(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the backlog; nothing is ever read
        port = silent.getsockname()[1]
        target = OciTarget(
            name="staging",
            url=f"http://127.0.0.1:{port}",
            repository="acme/app",
            attempts=2,
            backoff=0.01,
            timeout=0.3,
        )
        with pytest.raises(NetworkError, match="failed after 2 attempt") as info:
            target.existing("1.0.0")
    assert info.value.exit_code == 3
