"""Built artifacts as scan inputs: wheels, sdists, npm tarballs, zip and tar archives.

Archives are read in place (``zipfile``/``tarfile``, nothing extracted, each member read with the
scan's size limit, links and devices ignored). What each kind yields:

- a wheel (``.whl``): its ``*.dist-info/METADATA`` names the root (the distribution, type
  application); each ``Requires-Dist`` is a component (version-less unless pinned with ``==``;
  optional when only an extra needs it) the root depends on;
- an sdist (``.tar.gz``/``.zip`` whose top folder holds ``PKG-INFO``): the same from ``PKG-INFO``;
- an npm tarball (``package/package.json``): the package is the root; ``dependencies`` are
  required, ``optionalDependencies`` and ``peerDependencies`` optional (ranges, so version-less);
- any archive, also: every member a cataloger claims by name (lockfiles shipped inside), with
  ``found_in`` ``<archive>!/<member>``.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement

from liturgia._internal.text import fs_text
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Scope
from liturgia.sbom.cataloger import MAX_FILE_BYTES, Cataloger, CatalogResult, first_line
from liturgia.sbom.catalogers._python import pypi_component, requirement_component
from liturgia.sbom.catalogers.installed import licences_from_metadata, parse_metadata
from liturgia.sbom.catalogers.npm import npm_component, npm_licenses
from liturgia.sbom.catalogers.requirements import RequirementsCataloger

__all__ = ["ARCHIVE_SUFFIXES", "catalog_archive", "is_archive"]

#: Members kept for requirements files' includes (``-r base.in``, ``-c constraints.txt``).
_INCLUDE_SUFFIXES = (".txt", ".in")

ARCHIVE_SUFFIXES = (".whl", ".zip", ".jar", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")


def is_archive(path: Path) -> bool:
    """Whether the file name says it is an archive liturgia reads."""
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of the regular members of a zip or tar archive, size-limited."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir() and info.file_size <= MAX_FILE_BYTES:
                    yield info.filename, archive.read(info)
        return
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile() and member.size <= MAX_FILE_BYTES:
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()


def _python_metadata(data: bytes, found_in: str) -> CatalogResult:
    message = parse_metadata(data)
    name, version = message.get("Name"), message.get("Version")
    if not name or not version:
        raise InputError(f"{found_in}: core metadata without Name or Version")
    root = pypi_component(
        name.strip(),
        version.strip(),
        found_in=found_in,
        licenses=licences_from_metadata(message),
        type_=ComponentType.APPLICATION,
    )
    components: list[Component] = []
    warnings: list[str] = []
    for line in message.get_all("Requires-Dist") or []:
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            warnings.append(f"{found_in}: invalid Requires-Dist {line!r}: {first_line(exc)}")
            continue
        optional = req.marker is not None and "extra" in str(req.marker)
        scope = Scope.OPTIONAL if optional else Scope.REQUIRED
        components.append(requirement_component(req, found_in=found_in, scope=scope))
    edge = Dependency(ref=root.ref, depends_on=tuple(sorted({c.ref for c in components})))
    return CatalogResult(
        root=root, components=tuple(components), dependencies=(edge,), warnings=tuple(warnings)
    )


def _npm_package(data: bytes, found_in: str) -> CatalogResult:
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{found_in}: not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("name"), str):
        raise InputError(f"{found_in}: package.json without a name")
    version = manifest.get("version") if isinstance(manifest.get("version"), str) else None
    root = npm_component(
        manifest["name"],
        version,
        found_in=found_in,
        licenses=npm_licenses(manifest),
        type_=ComponentType.APPLICATION,
    )
    components = []
    for field, scope in (
        ("dependencies", Scope.REQUIRED),
        ("optionalDependencies", Scope.OPTIONAL),
        ("peerDependencies", Scope.OPTIONAL),
    ):
        deps = manifest.get(field)
        for dep in sorted(deps) if isinstance(deps, dict) else []:
            components.append(npm_component(dep, None, found_in=found_in, scope=scope))
    edge = Dependency(ref=root.ref, depends_on=tuple(sorted({c.ref for c in components})))
    return CatalogResult(root=root, components=tuple(components), dependencies=(edge,))


def catalog_archive(
    path: Path, *, found_in: str, catalogers: Sequence[Cataloger]
) -> list[tuple[int, CatalogResult]]:
    """Everything an archive yields (see the module docstring), as ``(depth, result)`` pairs.

    ``depth`` ranks the result for the choice of the root (the shallowest wins): 0 for the
    archive's own core metadata (a wheel's ``METADATA``, an sdist's ``PKG-INFO``, an npm
    tarball's ``package/package.json``), else the number of folders above the member, so a
    project shipped inside an sdist (an example, a test fixture) never names the archive.

    Raises:
        InputError: the archive cannot be opened or read (corrupt, truncated, not an archive).
    """
    results: list[tuple[int, CatalogResult]] = []
    # Requirements files are read once every member is known: their ``-r``/``-c`` includes
    # are members of the same archive (read from there, never from the file system).
    texts: dict[str, bytes] = {}
    deferred: list[tuple[int, str, bytes, str]] = []
    try:
        for name, data in _members(path):
            if name.endswith(_INCLUDE_SUFFIXES):
                texts[posixpath.normpath(name)] = data
            member = PurePosixPath(name)
            where = fs_text(f"{found_in}!/{name}")  # tar member names are file-system bytes
            parts = member.parts
            depth = len(parts) - 1
            try:
                if (
                    member.name == "METADATA"
                    and len(parts) == 2
                    and parts[0].endswith(".dist-info")
                ) or (member.name == "PKG-INFO" and len(parts) == 2):
                    results.append((0, _python_metadata(data, where)))
                elif parts == ("package", "package.json"):
                    results.append((0, _npm_package(data, where)))
                else:
                    claimant = next((c for c in catalogers if c.claims(Path(name))), None)
                    if isinstance(claimant, RequirementsCataloger):
                        deferred.append((len(results), name, data, where))
                        results.append((depth, CatalogResult()))
                    elif claimant is not None and "node_modules" not in parts:
                        parsed = claimant.parse(data, path=path / name, found_in=where)
                        results.append((depth, parsed))
            except InputError as exc:
                results.append((depth, CatalogResult(warnings=(str(exc),))))
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                warning = f"{where}: malformed: {exc!r}"
                results.append((depth, CatalogResult(warnings=(warning,))))
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise InputError(f"{found_in}: cannot read archive: {exc}") from exc
    base = path.resolve()

    def read_member(target: Path) -> bytes:
        try:
            name = posixpath.normpath(target.relative_to(base).as_posix())
        except ValueError:
            name = ""
        if name not in texts:
            raise FileNotFoundError(f"no member {name or target.name!r} in {found_in}")
        return texts[name]

    for at, name, data, where in deferred:
        requirements = next(c for c in catalogers if isinstance(c, RequirementsCataloger))
        depth = results[at][0]
        try:
            parsed = requirements.parse(
                data, path=base / name, found_in=where, read_include=read_member
            )
        except InputError as exc:
            parsed = CatalogResult(warnings=(str(exc),))
        results[at] = (depth, parsed)
    return results
