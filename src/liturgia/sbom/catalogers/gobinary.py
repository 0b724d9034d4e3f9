"""Compiled Go binaries: the build information the Go linker embeds (read, never run).

Since Go 1.18 every binary carries a ``.go.buildinfo`` blob (in ELF, Mach-O and PE alike): a
16-byte-aligned header ``"\\xff Go buildinf:"``, the pointer size, a flags byte whose bit 1 says
the strings follow inline, then two varint-length-prefixed strings: the Go version
(``go1.19.8``) and the module information ``runtime/debug.ReadBuildInfo`` returns, framed by 16
sentinel bytes at each end. Its lines are ``path``, ``mod`` (main module), ``dep`` (each module
linked in, with its ``h1:`` go.sum hash) and ``=>`` (a replacement of the preceding ``dep``).
This reader looks the header up with ``mmap`` (constant memory, any size) and parses that
format; binaries of Go 1.17 and older (pointer-based, no inline strings) are reported as
unsupported rather than guessed.

Components: the main module is the root (no version when Go wrote ``(devel)``: it is not one),
each dependency a ``pkg:golang`` module with its ``h1`` hash (as SHA-256 hex), and the Go
toolchain as ``stdlib`` (``pkg:golang/stdlib@1.19.8``, the version OSV's Go ecosystem uses).
"""

from __future__ import annotations

import base64
import binascii
import mmap
from pathlib import Path
from typing import ClassVar

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Hash
from liturgia.sbom.cataloger import Cataloger, CatalogResult, direct_result
from liturgia.sbom.catalogers.gomod import ECOSYSTEM, go_component, go_release

__all__ = ["EXECUTABLE_MAGIC", "GoBinaryCataloger", "parse_build_info"]

#: First bytes of ELF, Mach-O (32/64, both byte orders, universal) and PE files.
EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"MZ",
)
_MAGIC = b"\xff Go buildinf:"
_FLAG_INLINE = 0x2
_SENTINEL = 16


def _uvarint(data: bytes | mmap.mmap, offset: int) -> tuple[int, int]:
    value = shift = 0
    for index in range(offset, min(offset + 10, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, index + 1
    raise ValueError("truncated varint")


def _inline_strings(data: bytes | mmap.mmap, start: int) -> tuple[str, str] | None:
    """The (Go version, module info) strings after a header at ``start``, or None."""
    try:
        offset = start + 32
        length, offset = _uvarint(data, offset)
        version = bytes(data[offset : offset + length]).decode("utf-8")
        offset += length
        length, offset = _uvarint(data, offset)
        raw = bytes(data[offset : offset + length])
        if not version.startswith("go") or len(raw) != length:
            return None
        # The module info is framed by 16 sentinel bytes (not UTF-8) at each end.
        framed = len(raw) >= 2 * _SENTINEL + 1 and raw[-_SENTINEL - 1 : -_SENTINEL] == b"\n"
        modinfo = raw[_SENTINEL:-_SENTINEL].decode("utf-8") if framed else ""
    except (ValueError, UnicodeDecodeError):
        return None
    return version, modinfo


def parse_build_info(data: bytes | mmap.mmap, found_in: str) -> tuple[str, str]:
    """Find and decode the build information: (Go version, module info text).

    Raises:
        InputError: no Go build information, or the pre-1.18 pointer format.
    """
    position = data.find(_MAGIC)
    old_format = False
    while position >= 0:
        if position % 16 == 0 and position + 32 <= len(data):
            pointer_size, flags = data[position + 14], data[position + 15]
            if pointer_size in {4, 8}:
                if flags & _FLAG_INLINE:
                    decoded = _inline_strings(data, position)
                    if decoded is not None:
                        return decoded
                else:
                    old_format = True
        position = data.find(_MAGIC, position + 1)
    if old_format:
        raise InputError(f"{found_in}: Go binary built before Go 1.18 (build info not inline)")
    raise InputError(f"{found_in}: no Go build information (not a Go binary, or stripped)")


def _h1(value: str) -> tuple[Hash, ...]:
    if not value.startswith("h1:"):
        return ()
    try:
        digest = base64.b64decode(value[3:], validate=True)
    except (binascii.Error, ValueError):
        return ()
    return (Hash(algorithm="SHA-256", value=digest.hex()),) if len(digest) == 32 else ()


class GoBinaryCataloger(Cataloger):
    """Executables built by Go 1.18 or later (claimed by content, not name)."""

    name: ClassVar[str] = "go-binary"
    ecosystem: ClassVar[str] = ECOSYSTEM

    def claims(self, path: Path) -> bool:
        """Never by name: binaries have any name; the scan sniffs executables instead."""
        return False

    def catalog(self, path: Path, *, found_in: str) -> CatalogResult:
        """Map the file (no size limit, constant memory) and read its build information.

        Raises:
            InputError: unreadable, not a Go binary, or a pre-1.18 one.
        """
        try:
            with path.open("rb") as handle:
                if path.stat().st_size == 0:
                    raise InputError(f"{found_in}: empty file")
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    version, modinfo = parse_build_info(mapped, found_in)
        except (OSError, ValueError) as exc:
            raise InputError(f"{found_in}: cannot read: {exc}") from exc
        return self.from_build_info(version, modinfo, found_in=found_in)

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Read the build information from the whole file's bytes."""
        version, modinfo = parse_build_info(data, found_in)
        return self.from_build_info(version, modinfo, found_in=found_in)

    @staticmethod
    def from_build_info(go_version: str, modinfo: str, *, found_in: str) -> CatalogResult:
        """Components and edges from the Go version and the module information text."""
        root: Component | None = None
        deps: list[Component] = []
        path_line: str | None = None
        for line in modinfo.splitlines():
            fields = line.split("\t")
            if fields[0] == "path" and len(fields) >= 2:
                path_line = fields[1]
            elif fields[0] == "mod" and len(fields) >= 3:
                version = None if fields[2] in {"(devel)", ""} else fields[2]
                root = go_component(
                    fields[1], version, found_in=found_in, type_=ComponentType.APPLICATION
                )
            elif fields[0] == "dep" and len(fields) >= 3:
                hashes = _h1(fields[3]) if len(fields) >= 4 else ()
                deps.append(go_component(fields[1], fields[2], found_in=found_in, hashes=hashes))
            elif fields[0] == "=>" and len(fields) >= 3 and deps:
                hashes = _h1(fields[3]) if len(fields) >= 4 else ()
                if fields[1].startswith((".", "/")):  # a local folder: the module, unversioned
                    deps[-1] = go_component(deps[-1].name, None, found_in=found_in)
                else:
                    deps[-1] = go_component(
                        fields[1], fields[2] or None, found_in=found_in, hashes=hashes
                    )
        if root is None and path_line is not None:  # e.g. `go build file.go`: no module
            root = go_component(path_line, None, found_in=found_in, type_=ComponentType.APPLICATION)
        written = go_version.split(" ", 1)[0]
        stdlib_version = go_release(written) or written.removeprefix("go")
        stdlib = go_component("stdlib", stdlib_version, found_in=found_in)
        components = (*deps, stdlib)
        return direct_result(root, components)
