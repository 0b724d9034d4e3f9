"""Container images (OCI layout folder, docker save tarball): layers applied in order, whiteouts
honoured, OS and language packages with the layer each came from (issue 17 item 6)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from tests.images.oci import OPAQUE, WHITEOUT, Link, debian_rootfs_layers, docker_save, oci_layout

from liturgia.cli import main
from liturgia.sbom.images import is_image
from liturgia.sbom.inventory import catalog
from liturgia.vuln import MemoryAdvisoryDatabase, scan
from liturgia.vuln.advisory import parse_osv_record

OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'


def _status(*paragraphs: tuple[str, str, str]) -> bytes:
    return "\n".join(
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nSource: {source}\n"
        f"Version: {version}\n"
        for name, source, version in paragraphs
    ).encode()


def _metadata(name: str, version: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()


SITE = "usr/lib/python3/dist-packages"
LAYERS = [
    {
        "usr/lib/os-release": OS_RELEASE,
        "etc/os-release": Link("../usr/lib/os-release"),
        "bin/sh": Link("/bin/dash"),  # absolute: resolved inside the image, never on the host
        "var/lib/dpkg/status": _status(
            ("libc6", "glibc", "2.36-9+deb12u4"), ("libssl3", "openssl", "3.0.11-1~deb12u1")
        ),
        f"{SITE}/requests-2.0.0.dist-info/METADATA": _metadata("requests", "2.0.0"),
        "usr/share/doc/old/README": b"old",
        "../escape.txt": b"stays inside",
    },
    {
        "var/lib/dpkg/status": _status(
            ("libc6", "glibc", "2.36-9+deb12u4"),
            ("libssl3", "openssl", "3.0.11-1~deb12u2"),
            ("zlib1g", "zlib", "1:1.2.13.dfsg-1"),
        ),
        f"{SITE}/requests-2.0.0.dist-info": WHITEOUT,
        f"{SITE}/urllib3-1.26.12.dist-info/METADATA": _metadata("urllib3", "1.26.12"),
    },
    {
        "usr/share/doc": OPAQUE,
        "usr/share/doc/new/README": b"new",
        f"{SITE}/urllib3-1.26.12.dist-info/RECORD": b"",
    },
]


def _where(inventory_components: object, name: str) -> str:
    found = {c.name: c for c in inventory_components}  # type: ignore[attr-defined]
    return str(found[name].found_in)


@pytest.mark.parametrize("kind", ["oci", "docker"])
def test_layers_whiteouts_and_attribution(tmp_path: Path, kind: str) -> None:
    if kind == "oci":
        image = tmp_path / "image"
        digests = oci_layout(image, LAYERS)
    else:
        image = tmp_path / "image.tar"
        digests = docker_save(image, LAYERS)
    assert is_image(image)
    inventory = catalog([image])
    names = sorted((c.name, c.version) for c in inventory.components)
    assert names == [
        ("libc6", "2.36-9+deb12u4"),
        ("libssl3", "3.0.11-1~deb12u2"),
        ("urllib3", "1.26.12"),
        ("zlib1g", "1:1.2.13.dfsg-1"),
    ]  # requests was deleted by a whiteout in the second layer
    components = inventory.components
    label = image.name
    assert _where(components, "libc6") == f"{label}!/{digests[0]}/var/lib/dpkg/status"
    # Upgraded in the second layer: that version first appears there.
    assert _where(components, "libssl3") == f"{label}!/{digests[1]}/var/lib/dpkg/status"
    assert _where(components, "zlib1g") == f"{label}!/{digests[1]}/var/lib/dpkg/status"
    urllib3 = f"{SITE}/urllib3-1.26.12.dist-info/METADATA"
    assert _where(components, "urllib3") == f"{label}!/{digests[1]}/{urllib3}"
    ssl = next(c for c in components if c.name == "libssl3")
    assert ssl.ecosystem == "Debian:12"  # os-release read through the image's own symlink
    assert not (tmp_path / "escape.txt").exists()


def test_image_scan_finds_os_and_language_vulnerabilities(tmp_path: Path) -> None:
    image = tmp_path / "image"
    oci_layout(image, LAYERS)
    records = [
        {"id": "DSA-1", "modified": "2024-01-01T00:00:00Z", "affected": [
            {"package": {"ecosystem": "Debian:12", "name": "zlib"},
             "ranges": [{"type": "ECOSYSTEM",
                         "events": [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-2"}]}]}]},
        {"id": "DSA-2", "modified": "2024-01-01T00:00:00Z", "affected": [
            {"package": {"ecosystem": "Debian:12", "name": "openssl"},
             "ranges": [{"type": "ECOSYSTEM",
                         "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}]}]},
    ]  # fmt: skip
    database = MemoryAdvisoryDatabase(
        [parse_osv_record(r, source=f"{r['id']}.json") for r in records], source="test"
    )
    report = scan(catalog([image]).components, database)
    assert [(f.id, f.name) for f in report.findings] == [("DSA-1", "zlib1g")]


def test_malformed_images_are_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "broken"
    oci_layout(image, LAYERS[:1])
    (image / "index.json").write_text('{"manifests": []}')
    inventory = catalog([image])
    assert inventory.components == ()
    assert inventory.warnings == ("broken: index.json lists no image manifest",)
    assert main(["sbom", str(image), "-o", f"cyclonedx-json={tmp_path / 'x.json'}"]) == 0
    assert "index.json lists no image manifest" in capsys.readouterr().err
    assert not is_image(tmp_path / "x.json")


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs Debian's dpkg-deb")
def test_image_built_from_debian_packages(tmp_path: Path) -> None:
    # A root file system assembled from real Debian packages (apt-get download, dpkg-deb -x),
    # one layer per package, packed as an OCI layout here: no registry involved.
    downloads = tmp_path / "debs"
    downloads.mkdir()
    subprocess.run(
        ["apt-get", "download", "-q", "base-files", "zlib1g"],
        cwd=downloads,
        check=True,
        capture_output=True,
    )
    debs = sorted(downloads.glob("*.deb"))  # base-files first, then zlib1g
    digests = oci_layout(tmp_path / "image", debian_rootfs_layers(debs, tmp_path / "work"))
    inventory = catalog([tmp_path / "image"])
    found = {c.name: c for c in inventory.components}
    assert set(found) == {"base-files", "zlib1g"}
    assert found["base-files"].found_in == f"image!/{digests[0]}/var/lib/dpkg/status"
    assert found["zlib1g"].found_in == f"image!/{digests[1]}/var/lib/dpkg/status"
    # base-files ships os-release: the image says which Debian release it is.
    assert found["zlib1g"].ecosystem == "Debian:12"
    assert found["zlib1g"].purl is not None
    assert "distro=debian-12" in found["zlib1g"].purl


def test_nested_index_and_bad_layers(tmp_path: Path) -> None:
    image = tmp_path / "multi"
    digests = oci_layout(image, LAYERS[:1])
    # A multi-platform index pointing to the manifest through a nested index.
    top = json.loads((image / "index.json").read_text())
    nested = json.dumps({"schemaVersion": 2, "manifests": top["manifests"]}).encode()
    digest = hashlib.sha256(nested).hexdigest()
    (image / "blobs" / "sha256" / digest).write_bytes(nested)
    top["manifests"] = [{"digest": f"sha256:{digest}", "size": len(nested)}]
    (image / "index.json").write_text(json.dumps(top))
    assert {c.name for c in catalog([image]).components} == {"libc6", "libssl3", "requests"}

    (image / "blobs" / "sha256" / digests[0].split(":")[1]).write_bytes(b"not a tar at all")
    inventory = catalog([image])
    assert inventory.components == ()
    assert "not a (compressed) tar" in inventory.warnings[0]


def test_docker_manifest_without_layers_and_plain_tars(tmp_path: Path) -> None:
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        data = b"hello"
        info = tarfile.TarInfo("README")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert not is_image(plain)
    broken = tmp_path / "broken.tar"
    with tarfile.open(broken, "w") as tar:
        data = b'[{"Config": "c.json"}]'
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert is_image(broken)
    inventory = catalog([broken])
    assert inventory.warnings == ("broken.tar: manifest.json lists no image with Layers",)
