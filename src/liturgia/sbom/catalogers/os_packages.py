"""Operating-system packages of a root file system: dpkg's status database and apk's.

* **Debian and derivatives** — ``var/lib/dpkg/status`` (deb822 paragraphs, dpkg(1) "FILES") and
  distroless images' ``var/lib/dpkg/status.d/<name>`` files (one paragraph each). A paragraph
  whose ``Status`` ends in ``installed`` is one component: ``Package``, ``Version``,
  ``Architecture``; ``Source: name [(version)]`` names the source package OSV records use.
* **Alpine** — ``lib/apk/db/installed`` (apk's "installed database": ``K:value`` lines,
  paragraphs separated by blank lines): ``P`` name, ``V`` version, ``A`` architecture, ``o``
  origin (source package), ``L`` licence, ``D`` dependencies.

The release comes from the root's ``etc/os-release`` (else ``usr/lib/os-release``): each
component gets the purl ``pkg:deb/<ID>/<name>@<version>?arch=..&distro=<ID>-<VERSION_ID>``
(``pkg:apk/alpine/...`` for Alpine, purl-spec PURL-TYPES), with ``upstream=<source>[@<version>]``
when the source package differs (as Syft writes it), and the OSV ecosystem of that release
(``Debian:12``, ``Alpine:v3.18``). ``Depends``/``D`` become edges to installed packages (the
first installed alternative; a virtual package through ``Provides``/``p``).

Language packages of the same root (Python ``dist-info`` folders, Go binaries, lockfiles) are
found by the other catalogers as the walk reaches them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from packageurl import PackageURL

from liturgia._internal.distributions import parse_os_release, release_ecosystem
from liturgia.errors import InputError
from liturgia.model import Component, Dependency
from liturgia.sbom.cataloger import Cataloger, CatalogResult, decode_text

__all__ = ["ApkInstalledCataloger", "DpkgStatusCataloger", "os_release_of"]

_DPKG_STATUS = ("var", "lib", "dpkg", "status")
_DPKG_STATUS_D = ("var", "lib", "dpkg", "status.d")
_APK_INSTALLED = ("lib", "apk", "db", "installed")
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")
_RELATION = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9+.-]*)")


def os_release_of(root: Path) -> dict[str, str]:
    """The ``os-release`` assignments of a root file system (empty when it has none)."""
    for relative in ("etc/os-release", "usr/lib/os-release"):
        candidate = root / relative
        try:
            if candidate.is_file():
                return parse_os_release(candidate.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return {}


def _root_of(path: Path, depth: int) -> Path:
    return path.parents[depth - 1]


def _paragraphs(text: str) -> list[dict[str, str]]:
    """deb822 paragraphs (Debian Policy §5.1): ``Field: value``, continuation lines indented."""
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    field = ""
    for line in text.splitlines():
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, field = {}, ""
        elif line[0] in " \t" and field:
            current[field] += "\n" + line.strip()
        elif ":" in line:
            field, _colon, value = line.partition(":")
            current[field] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def _purl(kind: str, vendor: str, name: str, version: str, **qualifiers: str) -> str:
    return PackageURL(
        type=kind,
        namespace=vendor,
        name=name,
        version=version,
        qualifiers={k: v for k, v in qualifiers.items() if v},
    ).to_string()


def _edges(
    depends: dict[str, list[list[str]]], refs: dict[str, str], provides: dict[str, str]
) -> tuple[Dependency, ...]:
    """Edges from each package to the first installed alternative of each of its relations."""
    edges: list[Dependency] = []
    for name, relations in sorted(depends.items()):
        targets: dict[str, None] = {}
        for alternatives in relations:
            for wanted in alternatives:
                target = wanted if wanted in refs else provides.get(wanted)
                if target is not None:
                    targets[refs[target]] = None
                    break
        targets.pop(refs[name], None)
        if targets:
            edges.append(Dependency(ref=refs[name], depends_on=tuple(sorted(targets))))
    return tuple(edges)


def _dpkg_relations(field: str) -> list[list[str]]:
    """``a (>= 1) | b, c:any`` -> ``[["a", "b"], ["c"]]`` (Debian Policy §7.1)."""
    relations: list[list[str]] = []
    for item in field.split(","):
        names = [m.group(1) for m in map(_RELATION.match, item.split("|")) if m is not None]
        if names:
            relations.append(names)
    return relations


def _apk_name(token: str) -> str:
    """An apk dependency or provide without its version constraint (``so:libc.so=1`` -> name)."""
    return re.split(r"[=<>~]", token, maxsplit=1)[0]


class DpkgStatusCataloger(Cataloger):
    """``var/lib/dpkg/status`` and ``var/lib/dpkg/status.d/*`` of a root file system."""

    name: ClassVar[str] = "dpkg status"
    ecosystem: ClassVar[str] = "Debian"

    def claims(self, path: Path) -> bool:
        """Claim the status file and distroless ``status.d`` entries (not their md5sums)."""
        parts = path.parts
        if parts[-4:] == _DPKG_STATUS:
            return True
        return parts[-5:-1] == _DPKG_STATUS_D and not path.name.endswith(".md5sums")

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Read installed packages; the release from the root's ``os-release``.

        Raises:
            InputError: the file is not UTF-8 text.
        """
        text = decode_text(data, found_in)
        depth = 4 if path.parts[-4:] == _DPKG_STATUS else 5
        release = os_release_of(_root_of(path, depth))
        vendor = release.get("ID", "debian").lower() or "debian"
        version_id = release.get("VERSION_ID", "")
        distro = f"{vendor}-{version_id}" if version_id else ""
        ecosystem = release_ecosystem("Debian", distro) if vendor == "debian" else None
        warnings: list[str] = []
        if ecosystem is None:
            warnings.append(
                f"{found_in}: no Debian release in os-release (ID={vendor!r}, VERSION_ID="
                f"{version_id!r}): packages get no OSV ecosystem and cannot be scanned"
            )
        components: dict[str, Component] = {}
        depends: dict[str, list[list[str]]] = {}
        provides: dict[str, str] = {}
        for paragraph in _paragraphs(text):
            name, version = paragraph.get("Package"), paragraph.get("Version")
            status = paragraph.get("Status", "install ok installed").split()
            if not name or status[-1:] != ["installed"]:
                continue
            if not version:
                warnings.append(f"{found_in}: package {name} has no Version; skipped")
                continue
            source = _SOURCE.match(paragraph.get("Source", ""))
            upstream = ""
            if source is not None and (source.group(1) != name or source.group(2)):
                upstream = source.group(1)
                if source.group(2) and source.group(2) != version:
                    upstream += f"@{source.group(2)}"
            arch = paragraph.get("Architecture", "")
            components[name] = Component(
                name=name,
                version=version,
                purl=_purl(
                    "deb", vendor, name, version, arch=arch, distro=distro, upstream=upstream
                ),
                ecosystem=ecosystem,
                found_in=found_in,
            )
            depends[name] = _dpkg_relations(
                paragraph.get("Pre-Depends", "") + "," + paragraph.get("Depends", "")
            )
            for provided in _dpkg_relations(paragraph.get("Provides", "")):
                provides.setdefault(provided[0], name)
        refs = {name: component.ref for name, component in components.items()}
        return CatalogResult(
            components=tuple(components.values()),
            dependencies=_edges(depends, refs, provides),
            warnings=tuple(warnings),
        )


class ApkInstalledCataloger(Cataloger):
    """``lib/apk/db/installed`` of an Alpine root file system."""

    name: ClassVar[str] = "apk installed database"
    ecosystem: ClassVar[str] = "Alpine"

    def claims(self, path: Path) -> bool:
        """Claim ``lib/apk/db/installed``."""
        return path.parts[-4:] == _APK_INSTALLED

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Read installed packages; the release from the root's ``os-release``.

        Raises:
            InputError: the file is not UTF-8 text, or a package has no name or version.
        """
        text = decode_text(data, found_in)
        release = os_release_of(_root_of(path, 4))
        version_id = release.get("VERSION_ID", "")
        distro = f"alpine-{version_id}" if version_id else ""
        ecosystem = release_ecosystem("Alpine", distro)
        warnings: list[str] = []
        if ecosystem is None:
            warnings.append(
                f"{found_in}: no Alpine release in os-release (VERSION_ID={version_id!r}): "
                "packages get no OSV ecosystem and cannot be scanned"
            )
        components: dict[str, Component] = {}
        depends: dict[str, list[list[str]]] = {}
        provides: dict[str, str] = {}
        for block in re.split(r"\n\s*\n", text):
            fields: dict[str, list[str]] = {}
            for line in block.splitlines():
                if len(line) >= 2 and line[1] == ":":
                    fields.setdefault(line[0], []).append(line[2:])
            if not fields:
                continue
            name, version = (fields.get(k, [""])[0] for k in ("P", "V"))
            if not name or not version:
                raise InputError(f"{found_in}: a package entry has no P: name or V: version")
            origin = fields.get("o", [""])[0]
            licence = fields.get("L", [""])[0]
            components[name] = Component(
                name=name,
                version=version,
                purl=_purl(
                    "apk",
                    "alpine",
                    name,
                    version,
                    arch=fields.get("A", [""])[0],
                    distro=distro,
                    upstream=origin if origin != name else "",
                ),
                ecosystem=ecosystem,
                licenses=(licence,) if licence else (),
                found_in=found_in,
            )
            # "!name" is a conflict, not a dependency.
            depends[name] = [
                [_apk_name(d)] for d in " ".join(fields.get("D", [])).split() if d[:1] != "!"
            ]
            for provided in " ".join(fields.get("p", [])).split():
                provides.setdefault(_apk_name(provided), name)
        refs = {name: component.ref for name, component in components.items()}
        return CatalogResult(
            components=tuple(components.values()),
            dependencies=_edges(depends, refs, provides),
            warnings=tuple(warnings),
        )
