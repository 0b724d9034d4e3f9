"""Debian (dpkg) and Alpine (apk) version orders against the tools' own test data (data/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from liturgia.vuln.ecosystems import package_from_purl
from liturgia.vuln.orderings.apk import apk_key, is_valid
from liturgia.vuln.orderings.dpkg import dpkg_key
from liturgia.vuln.versions import ordering_for

DATA = Path(__file__).parent / "data"


def _lines(name: str) -> list[str]:
    lines = []
    for raw in (DATA / name).read_text(encoding="utf-8").splitlines():
        # A comment is a whole line or follows a blank ("!0:0#-0" is a version).
        line = re.split(r"\s#", raw, maxsplit=1)[0].strip() if not raw.startswith("#") else ""
        if line:
            lines.append(line)
    return lines


DPKG = _lines("dpkg_versions.data")
APK = _lines("apk_version.data")


def _sign(left: object, right: object) -> int:
    return int(left > right) - int(left < right)  # type: ignore[operator]


@pytest.mark.parametrize("line", [line for line in DPKG if not line.startswith("!")])
def test_dpkg_comparisons(line: str) -> None:
    left, right, expected = line.split()
    assert _sign(dpkg_key(left), dpkg_key(right)) == int(expected)
    assert _sign(dpkg_key(right), dpkg_key(left)) == -int(expected)


@pytest.mark.parametrize("line", [line for line in DPKG if line.startswith("!")])
def test_dpkg_rejects(line: str) -> None:
    with pytest.raises(ValueError, match="is not a Debian version"):
        dpkg_key(line[1:])


def test_dpkg_rejects_blank_and_spaces() -> None:
    for bad in ("", "   ", "0:0 0-1"):
        with pytest.raises(ValueError, match="is not a Debian version"):
            dpkg_key(bad)
    # Surrounding blanks are ignored, as dpkg does.
    assert dpkg_key("  \t0:0-1  ") == dpkg_key("0-1")


_OPS = {"<": {-1}, ">": {1}, "=": {0}, "<=": {-1, 0}, ">=": {0, 1}}


# "~" (fuzzy, prefix) matching is a dependency operator, not part of the order.
@pytest.mark.parametrize(
    "line", [line for line in APK if len(line.split()) == 3 and "~" not in line.split()[1]]
)
def test_apk_comparisons(line: str) -> None:
    left, op, right = line.split()
    negate = op.startswith("!")
    result = _sign(apk_key(left, strict=False), apk_key(right, strict=False))
    assert (result in _OPS[op.lstrip("!")]) != negate


@pytest.mark.parametrize("line", [line for line in APK if len(line.split()) == 1])
def test_apk_validity(line: str) -> None:
    valid = not line.startswith("!")
    version = line.lstrip("!")
    assert is_valid(version) is valid
    if valid:
        apk_key(version)
    else:
        with pytest.raises(ValueError, match="is not an Alpine version"):
            apk_key(version)


def test_os_orderings_by_ecosystem() -> None:
    debian = ordering_for("Debian:12")
    assert debian.name == "dpkg"
    assert debian.key("3.0.11-1~deb12u1") < debian.key("3.0.11-1~deb12u2") < debian.key("3.0.11-1")
    assert debian.canonical("1.0") == debian.canonical("0:1.0-0")
    alpine = ordering_for("Alpine:v3.18")
    assert alpine.name == "apk"
    assert (
        alpine.key("3.1.4-r0")
        < alpine.key("3.1.4-r1")
        < alpine.key("3.1.5_rc1")
        < alpine.key("3.1.5")
    )
    assert ordering_for("Ubuntu:22.04:LTS").name == "dpkg"


@pytest.mark.parametrize(
    ("purl", "ecosystem", "name", "version"),
    [
        (
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
            "Debian:12", "openssl", "3.0.11-1~deb12u2",
        ),
        ("pkg:deb/debian/libc6@2.36-9?distro=bookworm&upstream=glibc%402.36-8", "Debian:12",
         "glibc", "2.36-8"),
        ("pkg:deb/debian/bash@5.1-2?distro=debian-11.7", "Debian:11", "bash", "5.1-2"),
        ("pkg:apk/alpine/libcrypto3@3.1.4-r0?arch=x86_64&distro=alpine-3.18.4&upstream=openssl",
         "Alpine:v3.18", "openssl", "3.1.4-r0"),
    ],
)  # fmt: skip
def test_distribution_purls(purl: str, ecosystem: str, name: str, version: str) -> None:
    key, found = package_from_purl(purl)
    assert (key.ecosystem, key.name, found) == (ecosystem, name, version)


@pytest.mark.parametrize(
    ("purl", "message"),
    [
        ("pkg:deb/debian/bash@5.1-2", "needs the distro qualifier"),
        ("pkg:apk/alpine/musl@1.2.4-r2", "distro=alpine-3.18"),
        ("pkg:deb/debian/bash@5.1-2?distro=sid", "names no Debian release"),
        ("pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-edge", "names no Alpine release"),
    ],
)
def test_distribution_purls_without_release(purl: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        package_from_purl(purl)
