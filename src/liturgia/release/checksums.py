"""``SHA256SUMS`` files in the GNU coreutils ``sha256sum`` format.

Each line is ``<64 hex digits><space><space or '*'><file name>`` (text or binary mode marker);
``sha256sum --check SHA256SUMS`` accepts what :func:`render_sha256sums` writes. File names with a
backslash or newline are refused rather than escaped (release file names never need them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from liturgia._internal.files import sha256_file
from liturgia.errors import DigestError, InputError

__all__ = [
    "EVIDENCE_FOLDER",
    "parse_sha256sums",
    "release_files",
    "render_sha256sums",
    "verify_sha256sums",
]

#: The one sub-folder of a release folder: the gate's evidence copied from outside it.
EVIDENCE_FOLDER = "evidence"

_LINE = re.compile(r"^(?P<digest>[0-9a-fA-F]{64}) (?P<mode>[ *])(?P<name>.+)$")


def release_files(folder: Path) -> tuple[str, ...]:
    """The files of a release folder as ``SHA256SUMS`` names them, sorted: its regular files,
    and those under its ``evidence/`` folder as ``evidence/<path>`` (POSIX separators).

    Links and anything else are left out (``liturgia verify`` names them).
    """
    names = [p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
    evidence = folder / EVIDENCE_FOLDER
    if evidence.is_dir() and not evidence.is_symlink():
        names += [
            p.relative_to(folder).as_posix()
            for p in evidence.rglob("*")
            if p.is_file() and not p.is_symlink()
        ]
    return tuple(sorted(names))


def render_sha256sums(folder: Path, names: Iterable[str]) -> str:
    """Return the ``SHA256SUMS`` text for ``names`` (files in ``folder``), sorted by name.

    Raises:
        InputError: a name contains a newline or backslash, or a file cannot be read.
    """
    lines = []
    for name in sorted(names):
        if "\n" in name or "\\" in name:
            raise InputError(f"{name!r}: file names with newlines or backslashes are not supported")
        lines.append(f"{sha256_file(folder / name)}  {name}\n")
    return "".join(lines)


def parse_sha256sums(text: str, *, source: str = "SHA256SUMS") -> dict[str, str]:
    """Parse a coreutils checksum file into ``{file name: lower-case hex digest}``.

    Raises:
        DigestError: a line is malformed or a name is listed twice (the file was tampered with
            or is not a checksum file); the message gives the line number.
    """
    result: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise DigestError(f"{source}: line {number} is not '<sha256>  <file>'")
        name = match["name"]
        if name in result:
            raise DigestError(f"{source}: line {number}: {name} is listed twice")
        result[name] = match["digest"].lower()
    return result


def verify_sha256sums(folder: Path, expected: Mapping[str, str]) -> None:
    """Check every listed file in ``folder`` against its digest.

    Raises:
        DigestError: a listed file is missing, unreadable, or its digest differs.
    """
    for name, digest in sorted(expected.items()):
        path = folder / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise DigestError(f"SHA256SUMS: {name}: path leaves the release folder")
        if not path.is_file():
            raise DigestError(f"{name}: listed in SHA256SUMS but missing")
        try:
            actual = sha256_file(path)
        except InputError as exc:
            raise DigestError(f"{name}: {exc}") from exc
        if actual != digest:
            raise DigestError(f"{name}: SHA-256 differs from SHA256SUMS ({actual} != {digest})")
