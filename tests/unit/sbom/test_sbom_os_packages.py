"""Root file systems: dpkg's and apk's package databases, language packages beside them, scanned
against Debian and Alpine OSV records (issue 17 item 5: Debian and Alpine were unknown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from liturgia._internal.distributions import parse_os_release, release_ecosystem
from liturgia.model import Component
from liturgia.sbom.inventory import catalog
from liturgia.vuln import MemoryAdvisoryDatabase, scan
from liturgia.vuln.advisory import parse_osv_record

# Paragraphs in the form dpkg writes them (Debian 12), trimmed to the fields read.
DPKG_STATUS = """\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u1
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation.

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
Provides: libc6-amd64
Description: GNU C Library: Shared libraries

Package: bash
Essential: yes
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Source: bash (5.2.15-2)
Pre-Depends: libc6 (>= 2.36), libtinfo6 (>= 6) | libc6-amd64
Description: GNU Bourne Again SHell

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
"""

APK_INSTALLED = """\
C:Q1iZ1Yp6n3IOLOr9KmBbDGSnf1m+c=
P:musl
V:1.2.4-r2
A:x86_64
L:MIT
o:musl
D:

C:Q1Vn8JOe1wOQPz6cGL1N7l1S3e2Ec=
P:libcrypto3
V:3.1.4-r0
A:x86_64
L:Apache-2.0
o:openssl
D:so:libc.musl-x86_64.so.1 !libcrypto1.1
p:so:libcrypto.so.3=3
"""


def _rootfs(tmp_path: Path, os_release: str, files: dict[str, str]) -> Path:
    root = tmp_path / "rootfs"
    for relative, text in {"etc/os-release": os_release, **files}.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def debian_root(tmp_path: Path) -> Path:
    return _rootfs(
        tmp_path,
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
        {
            "var/lib/dpkg/status": DPKG_STATUS,
            # A language package in the same root: found by the Python cataloger.
            "usr/lib/python3/dist-packages/urllib3-1.26.12.dist-info/METADATA": (
                "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.12\n"
            ),
        },
    )


def test_dpkg_status_components_purls_and_edges(debian_root: Path) -> None:
    inventory = catalog([debian_root])
    by_name = {c.name: c for c in inventory.components}
    assert set(by_name) == {"libssl3", "libc6", "bash", "urllib3"}
    ssl = by_name["libssl3"]
    assert ssl.purl == (
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl"
    )
    assert (ssl.ecosystem, ssl.found_in) == ("Debian:12", "var/lib/dpkg/status")
    assert by_name["bash"].purl == (
        "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2"
    )
    assert by_name["urllib3"].purl == "pkg:pypi/urllib3@1.26.12"
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert edges[ssl.ref] == (by_name["libc6"].ref,)
    assert edges[by_name["bash"].ref] == (by_name["libc6"].ref,)


def test_apk_installed_components(tmp_path: Path) -> None:
    root = _rootfs(
        tmp_path,
        'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n',
        {"lib/apk/db/installed": APK_INSTALLED},
    )
    inventory = catalog([root])
    by_name = {c.name: c for c in inventory.components}
    crypto = by_name["libcrypto3"]
    assert crypto.purl == (
        "pkg:apk/alpine/libcrypto3@3.1.4-r0?arch=x86_64&distro=alpine-3.18.4&upstream=openssl"
    )
    assert (crypto.ecosystem, crypto.licenses) == ("Alpine:v3.18", ("Apache-2.0",))
    assert by_name["musl"].purl == "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4"
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert crypto.ref not in edges  # so:libc... is provided by nothing listed here


def test_distroless_status_d_and_missing_release(tmp_path: Path) -> None:
    root = _rootfs(
        tmp_path,
        "ID=distroless\n",
        {
            "var/lib/dpkg/status.d/base": "Package: base-files\nVersion: 12.4+deb12u5\n",
            "var/lib/dpkg/status.d/base.md5sums": "ignored",
        },
    )
    inventory = catalog([root])
    assert [c.name for c in inventory.components] == ["base-files"]
    assert inventory.components[0].ecosystem is None
    assert any("no Debian release in os-release" in w for w in inventory.warnings)


def test_apk_entry_without_version_is_an_input_warning(tmp_path: Path) -> None:
    root = _rootfs(tmp_path, "ID=alpine\n", {"lib/apk/db/installed": "P:musl\nA:x86_64\n"})
    inventory = catalog([root])
    assert inventory.components == ()
    assert inventory.warnings == (
        "lib/apk/db/installed: a package entry has no P: name or V: version",
    )
    (root / "lib/apk/db/installed").write_text("P:musl\nV:1.2.4-r2\n", encoding="utf-8")
    inventory = catalog([root])
    assert [c.purl for c in inventory.components] == ["pkg:apk/alpine/musl@1.2.4-r2"]
    assert any("no Alpine release in os-release" in w for w in inventory.warnings)


def _osv(ident: str, ecosystem: str, name: str, fixed: str) -> dict[str, object]:
    return {
        "id": ident,
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


def test_rootfs_scan_matches_debian_records_by_source_package(debian_root: Path) -> None:
    records = [
        # Fixed in a later ~deb12u security update: the installed ~deb12u1 is affected.
        _osv("DSA-5532-1", "Debian:12", "openssl", "3.0.11-1~deb12u2"),
        # Fixed in an earlier revision than installed: not affected.
        _osv("DLA-0000-1", "Debian:12", "glibc", "2.36-9+deb12u3"),
        # Another release's record: not this system's.
        _osv("DSA-0000-1", "Debian:11", "openssl", "9.9"),
        _osv("GHSA-v845-jxx5-vc9f", "PyPI", "urllib3", "1.26.17"),
    ]
    database = MemoryAdvisoryDatabase(
        [parse_osv_record(r, source=f"{r['id']}.json") for r in records], source="test"
    )
    report = scan(catalog([debian_root]).components, database)
    assert sorted((f.id, f.name) for f in report.findings) == [
        ("DSA-5532-1", "libssl3"),
        ("GHSA-v845-jxx5-vc9f", "urllib3"),
    ]
    assert report.findings[0].fixed_versions == ("3.0.11-1~deb12u2",)


def test_sbom_plain_debian_ecosystem_uses_the_purl_release() -> None:
    # An SBOM read back gives ecosystem "Debian" from the purl type; the purl says which release.
    database = MemoryAdvisoryDatabase(
        [parse_osv_record(_osv("DSA-5532-1", "Debian:12", "openssl", "3.0.11-1~deb12u2"),
                          source="DSA.json")],
        source="test",
    )  # fmt: skip
    component = Component(
        name="libssl3",
        version="3.0.11-1~deb12u1",
        ecosystem="Debian",
        purl="pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12&upstream=openssl",
    )
    assert [f.id for f in scan([component], database).findings] == ["DSA-5532-1"]


def test_os_release_and_release_ecosystems() -> None:
    parsed = parse_os_release(
        '# comment\nID="debian"\nVERSION_ID=\'12\'\nNAME="A \\"B\\""\nnoise\n'
    )
    assert parsed == {"ID": "debian", "VERSION_ID": "12", "NAME": 'A "B"'}
    assert release_ecosystem("Debian", "debian-12.5") == "Debian:12"
    assert release_ecosystem("Debian", "buster") == "Debian:10"
    assert release_ecosystem("Alpine", "3.19.1") == "Alpine:v3.19"
    assert release_ecosystem("Alpine", "edge") is None
    assert release_ecosystem("Ubuntu", "22.04") is None
