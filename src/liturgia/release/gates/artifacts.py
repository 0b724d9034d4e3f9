"""Gate family "artifacts": every artifact carries the version being released.

A build that takes its version from elsewhere (a stale ``_version.py``, a tag of another
project) signs and ships files that say another version. Read from each artifact:

* a wheel (``*.whl``, PEP 427): ``*.dist-info/METADATA``'s ``Version`` (core metadata 2.x);
* an sdist (``*.tar.gz``, PEP 625): ``<name>-<version>/PKG-INFO``'s ``Version``;
* an npm tarball (``*.tgz`` / ``*.tar.gz`` holding ``package/package.json``): its ``version``;
* a Go binary (Go 1.18+ build information, ``go version -m``, read by the SBOM's Go binary
  cataloger): the main module's version (``mod`` line) or, when that is ``(devel)``, a
  ``-X ...version=V`` in its recorded ``-ldflags``, or (built with ``-trimpath``, which records
  no flags) the release version as a whole string of its data.

Python versions are compared after PEP 440 normalisation (``1.0.0-rc.1`` is ``1.0.0rc1``);
npm and Go versions as SemVer text (Go's leading ``v`` dropped). A mismatch names the file and
both versions. An artifact whose version cannot be read fails the check unless the policy
says ``unversioned = "allow"`` (never a silent pass): it is named in the evidence either way.
"""

from __future__ import annotations

import json
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Literal

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440

from liturgia.config import PolicyCheck
from liturgia.errors import InputError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, Status, evidence_file
from liturgia.release.gates._policy import KindOptions, parse_options, register_kind
from liturgia.release.gates._registry import Check
from liturgia.sbom.catalogers.gobinary import parse_build_info

__all__ = ["ArtifactVersionCheck", "artifact_version"]

_GO_MAGIC = b"\xff Go buildinf:"
#: Bytes of an archive member read at most (metadata files are small).
_MEMBER_LIMIT = 1 << 20


class _Unreadable(Exception):
    """The artifact's version cannot be read (internal; the message says why)."""


@dataclass(frozen=True, slots=True)
class _Found:
    version: str
    where: str  # the member or field it came from
    scheme: Literal["pep440", "semver"]


def _metadata_version(data: bytes, where: str) -> _Found:
    version = BytesHeaderParser().parsebytes(data).get("Version")
    if not version:
        raise _Unreadable(f"{where} has no Version field")
    return _Found(version=version.strip(), where=where, scheme="pep440")


def _wheel(path: Path) -> _Found:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            if len(names) != 1:
                raise _Unreadable("not a wheel: no single *.dist-info/METADATA")
            with archive.open(names[0]) as member:
                return _metadata_version(member.read(_MEMBER_LIMIT), names[0])
    except (zipfile.BadZipFile, OSError) as exc:
        raise _Unreadable(f"not a readable wheel (zip): {exc}") from exc


def _tarball(path: Path) -> _Found:
    try:
        with tarfile.open(path, "r:*") as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
            if "package/package.json" in members:
                data = _member(archive, members["package/package.json"])
                try:
                    version = json.loads(data)["version"]
                except (ValueError, KeyError, TypeError) as exc:
                    raise _Unreadable(f"package/package.json has no version: {exc}") from exc
                if not isinstance(version, str):
                    raise _Unreadable("package/package.json: version is not a string")
                return _Found(version=version, where="package/package.json", scheme="semver")
            pkg_info = [n for n in members if re.fullmatch(r"[^/]+/PKG-INFO", n)]
            if len(pkg_info) == 1:
                return _metadata_version(_member(archive, members[pkg_info[0]]), pkg_info[0])
            raise _Unreadable("neither an npm tarball (package/package.json) nor an sdist")
    except (tarfile.TarError, OSError) as exc:
        raise _Unreadable(f"not a readable tar archive: {exc}") from exc


def _member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    if handle is None:
        raise _Unreadable(f"{member.name}: not a regular file")
    with handle:
        return handle.read(_MEMBER_LIMIT)


def _go_binary(data: bytes, release: str, name: str) -> _Found | None:
    if _GO_MAGIC not in data:
        return None
    try:
        _, modinfo = parse_build_info(data, name)
    except InputError as exc:
        raise _Unreadable(str(exc).removeprefix(f"{name}: ")) from exc
    lines = [line.split("\t") for line in modinfo.splitlines()]
    module = next((fields for fields in lines if fields[0] == "mod" and len(fields) >= 3), None)
    if module is not None and module[2] != "(devel)":
        version = module[2].removeprefix("v")
        return _Found(version=version, where=f"mod {module[1]}", scheme="semver")
    for fields in lines:
        if fields[0] == "build" and len(fields) >= 2 and fields[1].startswith("-ldflags="):
            match = re.search(r"-X[ =]\S*?[Vv]ersion=v?([0-9][^\s\"']*)", fields[1])
            if match:
                return _Found(version=match[1], where="build -ldflags -X", scheme="semver")
    # Built with -trimpath, Go records no -ldflags: the version set with -X is then only a
    # string of the binary's data. Look for the release's, bounded as a whole version.
    token = re.compile(
        rb"(?<![0-9A-Za-z.+-])v?" + re.escape(release.encode()) + rb"(?![0-9A-Za-z.+-])"
    )
    if token.search(data):
        return _Found(version=release, where="a version string in its data", scheme="semver")
    raise _Unreadable(
        f"a Go binary that does not embed {release}: its module version is (devel), no "
        "-ldflags '-X main.version=...' is recorded and the text is nowhere in it"
    )


def artifact_version(path: Path, release: str) -> tuple[str, str, str] | None:
    """``(version, where it was read, scheme)`` of one artifact, or ``None`` when it is of no
    kind read here. ``release`` is looked for in a Go binary that records no version.

    Raises:
        _Unreadable: the artifact is of a kind read here but its version cannot be read.
    """
    name = path.name
    if name.endswith(".whl"):
        found = _wheel(path)
    elif name.endswith((".tar.gz", ".tgz")):
        found = _tarball(path)
    else:
        with path.open("rb") as handle:
            head = handle.read(4)
        if head not in {b"\x7fELF", b"MZ\x90\x00", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf"}:
            return None
        go = _go_binary(path.read_bytes(), release, path.name)
        if go is None:
            return None
        found = go
    return found.version, found.where, found.scheme


def _same(found: str, scheme: str, release: str) -> bool:
    if scheme == "pep440":
        try:
            return Pep440(found) == Pep440(release)
        except InvalidVersion:
            return found == release
    return found == release


@dataclass(frozen=True, slots=True)
class ArtifactVersionCheck:
    """Every artifact carries the release version (wheel, sdist, npm tarball, Go binary)."""

    name: str = "artifact-version"
    reads: tuple[str, ...] = ("build.artifacts",)
    rank: int = 80
    allow_unversioned: bool = False

    def evaluate(self, context: GateContext) -> CheckResult:
        """Read each artifact's version and compare it with the release's."""
        release = str(context.version)
        rows = list(self._rows(context, release))
        bad = [line for ok, line in rows if ok is False]
        unread = [line for ok, line in rows if ok is None]
        failing = bad + ([] if self.allow_unversioned else unread)
        files = tuple(
            file
            for name in context.artifacts
            if (file := evidence_file(context.release / name)) is not None
        )
        checked = len(rows) - len(unread)
        if not context.artifacts:
            summary = "no artifact to check"
        elif failing:
            summary = (
                f"{len(failing)} of {len(rows)} artifacts do not carry {release}: " + (failing[0])
            )
        else:
            summary = f"{checked} artifacts carry {release}" + (
                f" ({len(unread)} carry no readable version, allowed)" if unread else ""
            )
        return CheckResult(
            name=self.name,
            status=Status.FAIL if failing or not context.artifacts else Status.PASS,
            summary=summary,
            evidence=tuple(line for _, line in rows),
            files=files,
            figure=f"{checked - len(bad)} of {len(rows)} artifacts carry {release}",
            threshold=f"every artifact's embedded version is {release}"
            + ("; unversioned artifacts allowed" if self.allow_unversioned else ""),
        )

    def _rows(self, context: GateContext, release: str) -> Iterator[tuple[bool | None, str]]:
        for name in context.artifacts:
            try:
                found = artifact_version(context.release / name, release)
            except _Unreadable as exc:
                yield None, f"{name}: version unreadable: {exc}"
                continue
            except OSError as exc:
                yield None, f"{name}: cannot read: {exc.strerror or exc}"
                continue
            if found is None:
                yield (
                    None,
                    (
                        f"{name}: carries no version liturgia reads (not a wheel, sdist, "
                        "npm tarball or Go binary)"
                    ),
                )
                continue
            version, where, scheme = found
            if _same(version, scheme, release):
                yield True, f"{name}: {where} says {version}"
            else:
                yield False, f"{name}: {where} says {version}, the release is {release}"


class _Options(KindOptions):
    unversioned: Literal["fail", "allow"] = "fail"


def _make(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _Options)
    return ArtifactVersionCheck(name=entry.row, allow_unversioned=options.unversioned == "allow")


register_kind("artifact-version", _make)
