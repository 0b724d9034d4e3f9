"""Built artifacts as inputs: wheel, sdist, npm tarball, and lockfiles inside archives."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

from liturgia.model import ComponentType, Scope
from liturgia.sbom import catalog

METADATA = b"""Metadata-Version: 2.4
Name: Demo
Version: 1.0
License-Expression: MIT
Requires-Dist: requests>=2
Requires-Dist: six==1.16.0
Requires-Dist: pyyaml; extra == "yaml"
Requires-Dist: broken (((
"""


def add_tar(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def test_wheel(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "")
        archive.writestr("demo-1.0.dist-info/METADATA", METADATA)
        archive.writestr("demo-1.0.dist-info/RECORD", "")
    inventory = catalog([wheel])
    assert inventory.root is not None and inventory.root.purl == "pkg:pypi/demo@1.0"
    assert inventory.root.type is ComponentType.APPLICATION
    assert inventory.root.licenses == ("MIT",)
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:pypi/requests": Scope.REQUIRED,
        "pkg:pypi/six@1.16.0": Scope.REQUIRED,
        "pkg:pypi/pyyaml": Scope.OPTIONAL,
    }
    assert inventory.components[0].found_in == (
        "demo-1.0-py3-none-any.whl!/demo-1.0.dist-info/METADATA"
    )
    assert "invalid Requires-Dist 'broken (((" in inventory.warnings[0]


def test_sdist_with_lockfile_inside(tmp_path: Path) -> None:
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        add_tar(archive, "demo-1.0/PKG-INFO", METADATA)
        add_tar(archive, "demo-1.0/requirements.txt", b"six==1.16.0\nattrs==23.2.0\n")
        add_tar(archive, "demo-1.0/go.mod", b"module example.com/x\nrequire example.com/y v1.0.0\n")
        add_tar(archive, "demo-1.0/node_modules/z/package-lock.json", b"{}")
        add_tar(archive, "demo-1.0/uv.lock", b"version = 9\n")
    inventory = catalog([sdist])
    purls = {c.purl for c in inventory.components}
    assert {
        "pkg:pypi/attrs@23.2.0",
        "pkg:pypi/six@1.16.0",
        "pkg:golang/example.com/y@v1.0.0",
    } <= purls
    assert inventory.root is not None and inventory.root.purl == "pkg:pypi/demo@1.0"
    assert any("demo-1.0.tar.gz!/demo-1.0/uv.lock: unsupported" in w for w in inventory.warnings)


def test_npm_tarball(tmp_path: Path) -> None:
    tgz = tmp_path / "pkg-2.0.0.tgz"
    manifest = {
        "name": "@s/pkg",
        "version": "2.0.0",
        "license": "ISC",
        "dependencies": {"a": "^1"},
        "optionalDependencies": {"b": "^2"},
        "peerDependencies": {"react": ">=18"},
        "devDependencies": {"jest": "^29"},
    }
    with tarfile.open(tgz, "w:gz") as archive:
        add_tar(archive, "package/package.json", json.dumps(manifest).encode())
        add_tar(archive, "package/index.js", b"")
    inventory = catalog([tgz])
    assert inventory.root is not None and inventory.root.purl == "pkg:npm/%40s/pkg@2.0.0"
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:npm/a": Scope.REQUIRED,
        "pkg:npm/b": Scope.OPTIONAL,
        "pkg:npm/react": Scope.OPTIONAL,
    }


def test_broken_archives(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    tgz = tmp_path / "bad.tgz"
    with tarfile.open(tgz, "w:gz") as archive:
        add_tar(archive, "package/package.json", b"{")
    nameless = tmp_path / "nameless.whl"
    with zipfile.ZipFile(nameless, "w") as archive:
        archive.writestr("x-1.dist-info/METADATA", b"Metadata-Version: 2.1\n")
        archive.writestr("package/package.json", b"[1]")
        archive.writestr("Pipfile.lock", b'{"default": {"a": {"hashes": 5}}}')
    inventory = catalog([bad, tgz, nameless])
    text = "\n".join(inventory.warnings)
    assert "bad.zip: cannot read archive" in text
    assert "bad.tgz!/package/package.json: not valid JSON" in text
    assert "nameless.whl!/x-1.dist-info/METADATA: core metadata without Name" in text
    assert "nameless.whl!/package/package.json: package.json without a name" in text
    assert "nameless.whl!/Pipfile.lock: malformed" in text
    assert inventory.components == ()


def test_requirements_includes_are_read_from_the_archive(tmp_path: Path) -> None:
    # Found by liturgia's own release: its sdist ships a requirements file that includes
    # another (``-r requirements.txt``); the include was looked for on the file system, under
    # the archive's path, and the release stopped on "Not a directory".
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        add_tar(archive, "demo-1.0/PKG-INFO", METADATA)
        add_tar(archive, "demo-1.0/req/requirements-hand.txt", b"-r requirements.txt\n-c ../c.in\n")
        add_tar(archive, "demo-1.0/req/requirements.txt", b"attrs==23.2.0\nidna\n")
        add_tar(archive, "demo-1.0/c.in", b"idna==3.7\n")
        add_tar(
            archive, "demo-1.0/lonely/requirements-dev.txt", b"-r missing.txt\ncolorama==0.4.6\n"
        )
    (tmp_path / "demo-1.0").mkdir()  # a same-named folder on disk is never read
    (tmp_path / "demo-1.0" / "c.in").write_text("idna==1.0\n")
    inventory = catalog([sdist])
    found = {(c.purl, c.found_in) for c in inventory.components}
    assert ("pkg:pypi/attrs@23.2.0", "demo-1.0.tar.gz!/demo-1.0/req/requirements.txt") in found
    assert ("pkg:pypi/idna@3.7", "demo-1.0.tar.gz!/demo-1.0/req/requirements.txt") in found
    assert (
        "pkg:pypi/colorama@0.4.6",
        "demo-1.0.tar.gz!/demo-1.0/lonely/requirements-dev.txt",
    ) in found
    assert [w for w in inventory.warnings if "included" in w] == [
        "demo-1.0.tar.gz!/demo-1.0/lonely/requirements-dev.txt: cannot read included "
        "missing.txt: no member 'demo-1.0/lonely/missing.txt' in demo-1.0.tar.gz",
    ]


def test_an_sdist_is_its_own_root_whatever_the_member_order(tmp_path: Path) -> None:
    """Hatchling writes PKG-INFO last: an example project inside the sdist (liturgia's own
    carries examples/vertice) came first and was chosen as the root."""
    sdist = tmp_path / "demo-1.0.tar.gz"
    example = b'[project]\nname = "example-backend"\nversion = "0.1.0"\ndependencies = []\n'
    with tarfile.open(sdist, "w:gz") as archive:
        add_tar(archive, "demo-1.0/examples/app/backend/pyproject.toml", example)
        add_tar(archive, "demo-1.0/pyproject.toml", b'[project]\nname = "demo"\nversion = "1.0"\n')
        add_tar(archive, "demo-1.0/PKG-INFO", METADATA)
    inventory = catalog([sdist])
    assert inventory.root is not None and inventory.root.purl == "pkg:pypi/demo@1.0"
    # The example is a component the root depends on, found where it is.
    example_component = next(c for c in inventory.components if c.name == "example-backend")
    assert example_component.found_in == (
        "demo-1.0.tar.gz!/demo-1.0/examples/app/backend/pyproject.toml"
    )
