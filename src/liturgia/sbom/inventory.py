"""The scan: walk the inputs, run the catalogers, merge what they found into one Inventory.

Merging rules (one policy for every ecosystem):

- One component per ref (the purl when there is one). Duplicates merge: the strongest scope wins
  (required > optional > excluded), hashes and licences are united, the first file found is kept.
- A component without a version (a ranged or bare requirement, a declared dependency) is dropped
  when the scan also found a versioned component of the same ecosystem and name (the lockfile
  says which version that declaration resolved to); edges to it are re-pointed there, as are
  edges to a bare version-less purl (``Requires-Dist`` of installed distributions). An edge to
  anything the scan did not find is dropped.
- While walking, an executable file with an ELF/Mach-O/PE header is read for Go build
  information (a compiled Go program); others are skipped silently. A file named on the command
  line with such a header is read the same way, and not being a Go binary is a warning.
- A folder named ``node_modules`` given as a path is an installed JavaScript tree: npm's hidden
  lockfile ``node_modules/.package-lock.json`` when present, else every package's
  ``package.json`` (:mod:`liturgia.sbom.catalogers.node_modules`). Walking a project skips its
  ``node_modules`` (the project's lockfile describes it).
- A built artifact named on the command line (wheel, sdist, npm tarball, zip/tar archive) is read
  in place (:mod:`liturgia.sbom.archives`).
- A container image named on the command line (an OCI layout folder or tar, a ``docker save``
  tarball) has its layers applied to a temporary root file system, which is cataloged; each
  component's ``found_in`` names the layer it came from (:mod:`liturgia.sbom.images`).
- A folder holding ``pyvenv.cfg``, or a ``site-packages`` folder, is an installed Python
  environment: its distributions' core metadata is read (not the whole tree walked).
- The root is the project found nearest the scan root (pyproject.toml, then package.json via its
  lock, then go.mod, at the shallowest depth). Other projects found deeper (a polyglot tree's
  front end, its Go command) become ``application`` components the root depends on.
- Development-only components stay, with scope ``excluded``, unless ``exclude_dev`` drops them
  (and every edge to them).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from liturgia._internal.text import fs_text
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Inventory, Scope
from liturgia.sbom.archives import catalog_archive, is_archive
from liturgia.sbom.cataloger import Cataloger, CatalogResult
from liturgia.sbom.catalogers import (
    GoBinaryCataloger,
    InstalledPythonCataloger,
    NpmLockCataloger,
    RequirementsCataloger,
    default_catalogers,
)
from liturgia.sbom.catalogers.gobinary import EXECUTABLE_MAGIC
from liturgia.sbom.catalogers.node_modules import catalog_node_modules
from liturgia.sbom.environments import distribution_metadata, site_packages_of
from liturgia.sbom.images import catalog_image, is_image

__all__ = ["SKIPPED_DIRS", "catalog", "merge"]

_log = logging.getLogger(__name__)

#: Folders never descended into: VCS metadata, installed or built trees, caches.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "dist",
        "build",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "vendor",
        "target",
    }
)

_SCOPE_RANK = {Scope.REQUIRED: 0, Scope.OPTIONAL: 1, Scope.EXCLUDED: 2}


@dataclass(slots=True)
class _Found:
    results: list[tuple[int, CatalogResult]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _relative(path: Path, root: Path) -> str:
    """The path as recorded (``found_in``, messages): relative when it can be, always UTF-8."""
    try:
        return fs_text(path.relative_to(root).as_posix())
    except ValueError:
        return fs_text(path.as_posix())


def _walk(directory: Path, scan_root: Path, warnings: list[str]) -> Iterator[Path]:
    """Files under ``directory`` in sorted order, skipping :data:`SKIPPED_DIRS`; no symlinked
    folders are followed (so a symlink loop cannot trap the walk), and one that leads outside
    the scan root is reported."""
    inside = scan_root.resolve()
    for current, dirnames, filenames in os.walk(directory, followlinks=False):
        kept = []
        for name in sorted(dirnames):
            folder = Path(current) / name
            if name in SKIPPED_DIRS:
                continue
            if folder.is_symlink():
                # os.walk lists only symlinks to existing folders here (a broken or looping one
                # is not a directory), so the target resolves.
                target = folder.resolve()
                if not target.is_relative_to(inside):
                    warnings.append(
                        f"{_relative(folder, scan_root)}: symlink to {target}, outside the scan "
                        "root, not followed"
                    )
                continue
            kept.append(name)
        dirnames[:] = kept
        for filename in sorted(filenames):
            yield Path(current) / filename


def _claimant(path: Path, catalogers: Sequence[Cataloger]) -> Cataloger | None:
    return next((c for c in catalogers if c.claims(path)), None)


def _has_executable_magic(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return head.startswith(EXECUTABLE_MAGIC)


def _is_executable(path: Path) -> bool:
    """A regular file with an execute bit and an ELF/Mach-O/PE header (a compiled program)."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and bool(mode & 0o111) and _has_executable_magic(path)


def _run(
    cataloger: Cataloger,
    path: Path,
    scan_root: Path,
    found: _Found,
    *,
    quiet_not_go: bool = False,
    named: Path | None = None,
) -> None:
    """Run one cataloger; a file it refuses is a warning, or an error when ``named`` by the user."""
    found_in = _relative(path, scan_root)
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            found.warnings.append(f"{found_in}: broken or looping symlink: {exc}")
            return
        if not target.is_relative_to(scan_root.resolve()):
            found.warnings.append(f"{found_in}: symlink to {target}, outside the scan root")
            return
    try:
        result = cataloger.catalog(path, found_in=found_in)
    except InputError as exc:
        # While walking, a compiled program that is not a Go binary is simply not ours.
        if named is not None:
            raise _named_error(named, found_in, exc) from exc
        if not (quiet_not_go and "no Go build information" in str(exc)):
            found.warnings.append(str(exc))
        return
    found.warnings.extend(result.warnings)
    found.results.append((found_in.count("/"), result))


def _named_error(path: Path, found_in: str, exc: InputError) -> InputError:
    """The error for a file the user named that cannot be read: named as given, and why."""
    reason = str(exc).removeprefix(f"{found_in}: ")
    return InputError(f"{fs_text(path)}: {reason}")


def catalog(
    paths: Sequence[Path],
    *,
    root: Path | None = None,
    exclude_dev: bool = False,
    strict: bool = False,
    strict_named: bool = False,
    catalogers: Sequence[Cataloger] | None = None,
) -> Inventory:
    """Catalog directories and lockfiles into one :class:`Inventory`.

    Args:
        paths: directories (walked, skipping :data:`SKIPPED_DIRS`) or single files. A file no
            cataloger claims by name is read as a requirements file when it ends in ``.txt`` or
            ``.in``, else reported.
        root: the folder ``found_in`` paths are relative to (default: the common folder).
        exclude_dev: drop development-only components (scope ``excluded``) and their edges.
        strict: raise instead of returning warnings.
        strict_named: a file given in ``paths`` (not found by walking a folder) that cannot be
            read at all (no cataloger reads it, its cataloger refuses it, an archive that does
            not open) raises instead of becoming a warning: the user named that input, so
            leaving it out would answer about less than was asked.
        catalogers: the catalogers to use (default :func:`default_catalogers`).

    Returns:
        The merged inventory; see the module docstring for the merging rules. Unreadable,
        oversized or malformed inputs are ``warnings`` lines naming the file and the reason.

    Raises:
        InputError: ``strict`` is set and there is at least one warning (the first is named),
            or ``strict_named`` is set and a named file cannot be read (``"<path>: <why>"``).
    """
    chosen = tuple(catalogers) if catalogers is not None else default_catalogers()
    resolved = [Path(p) for p in paths]
    if root is not None:
        scan_root = Path(root)
    elif resolved:
        bases = [p if p.is_dir() else p.parent for p in resolved]
        scan_root = Path(os.path.commonpath([b.absolute() for b in bases]))
    else:
        scan_root = Path()
    found = _Found()
    for path in resolved:
        absolute = path if path.is_absolute() else path.absolute()
        base = scan_root.absolute()
        environment = site_packages_of(absolute) if absolute.is_dir() else None
        if environment is not None:
            installed = InstalledPythonCataloger()
            for folder in environment:
                for file in distribution_metadata(folder):
                    _run(installed, file, base, found)
        elif is_image(absolute):
            # An image folder given alone is the scan root: name it rather than ".".
            found_in = _relative(absolute, base)
            found_in = absolute.name if found_in in {".", ""} else found_in
            try:
                image = catalog_image(
                    absolute,
                    catalog_root=lambda rootfs: catalog([rootfs], root=rootfs),
                    found_in=found_in,
                )
            except InputError as exc:
                found.warnings.append(str(exc))
                continue
            found.warnings.extend(image.warnings)
            found.results.append(
                (
                    found_in.count("/"),
                    CatalogResult(
                        root=image.root,
                        components=image.components,
                        dependencies=image.dependencies,
                    ),
                )
            )
        elif absolute.is_dir() and absolute.name == "node_modules":
            hidden = absolute / ".package-lock.json"
            if hidden.is_file():
                _run(NpmLockCataloger(), hidden, base, found)
            else:
                result = catalog_node_modules(absolute, found_in_root=base)
                found.warnings.extend(result.warnings)
                found.results.append((_relative(absolute, base).count("/"), result))
        elif absolute.is_dir():
            for file in _walk(absolute, base, found.warnings):
                cataloger = _claimant(file, chosen)
                if cataloger is not None:
                    _run(cataloger, file, base, found)
                elif _is_executable(file):
                    _run(GoBinaryCataloger(), file, base, found, quiet_not_go=True)
        elif absolute.is_file() and is_archive(absolute):
            found_in = _relative(absolute, base)
            try:
                depth = found_in.count("/")
                for inner, result in catalog_archive(
                    absolute, found_in=found_in, catalogers=chosen
                ):
                    found.warnings.extend(result.warnings)
                    found.results.append((depth + inner, result))
            except InputError as exc:
                if strict_named:
                    raise _named_error(path, found_in, exc) from exc
                found.warnings.append(str(exc))
        elif absolute.exists() or absolute.is_symlink():
            cataloger = _claimant(absolute, chosen)
            if cataloger is None and absolute.suffix in {".txt", ".in"}:
                cataloger = RequirementsCataloger()
            if cataloger is None and _has_executable_magic(absolute):
                cataloger = GoBinaryCataloger()
            if cataloger is None:
                if strict_named:
                    raise InputError(
                        f"{fs_text(path)}: no cataloger reads this file (name a lockfile, a "
                        "manifest, an archive or a folder)"
                    )
                found.warnings.append(f"{_relative(absolute, base)}: no cataloger reads this file")
                continue
            _run(cataloger, absolute, base, found, named=path if strict_named else None)
        else:
            found.warnings.append(f"{path}: not found")
    if strict and found.warnings:
        more = len(found.warnings) - 1
        first = fs_text(found.warnings[0])
        raise InputError(first + (f" (and {more} more warnings)" if more else ""))
    # Messages may quote paths the file system gave (a cataloger's error naming its file).
    warnings = [fs_text(warning) for warning in found.warnings]
    return merge(found.results, warnings=warnings, exclude_dev=exclude_dev)


def _merge_pair(old: Component, new: Component) -> Component:
    scope = min(old.scope, new.scope, key=_SCOPE_RANK.__getitem__)
    hashes = tuple(dict.fromkeys((*old.hashes, *new.hashes)))
    licenses = tuple(dict.fromkeys((*old.licenses, *new.licenses)))
    kind = old.type if old.type is new.type else ComponentType.APPLICATION
    return replace(old, scope=scope, hashes=hashes, licenses=licenses, type=kind)


def merge(
    results: Sequence[tuple[int, CatalogResult]],
    *,
    warnings: Sequence[str] = (),
    exclude_dev: bool = False,
) -> Inventory:
    """Merge catalog results (each with the depth of its file) into one inventory.

    See the module docstring for the rules.
    """
    roots = sorted(
        ((depth, order, r.root) for order, (depth, r) in enumerate(results) if r.root is not None),
        key=lambda t: (t[0], t[1]),
    )
    root = roots[0][2] if roots else None
    by_ref: dict[str, Component] = {}
    for _, result in results:
        extra_roots = () if result.root is None else (result.root,)
        for component in (*result.components, *extra_roots):
            if root is not None and component.ref == root.ref:
                root = _merge_pair(root, replace(component, type=ComponentType.APPLICATION))
                continue
            existing = by_ref.get(component.ref)
            by_ref[component.ref] = (
                component if existing is None else _merge_pair(existing, component)
            )

    # Version-less declarations resolved by a versioned component of the same package.
    versioned: dict[tuple[str | None, str], list[str]] = {}
    if root is not None and root.version is not None:
        versioned[(root.ecosystem, root.name)] = [root.ref]
    for ref, component in by_ref.items():
        if component.version is not None:
            versioned.setdefault((component.ecosystem, component.name), []).append(ref)
    remap: dict[str, list[str]] = {}
    for ref, component in list(by_ref.items()):
        if component.version is None and component.purl and "?" not in component.purl:
            resolved_to = versioned.get((component.ecosystem, component.name))
            if resolved_to:
                remap[ref] = resolved_to
                del by_ref[ref]

    if exclude_dev:
        for ref in [r for r, c in by_ref.items() if c.scope is Scope.EXCLUDED]:
            remap[ref] = []
            del by_ref[ref]

    known = set(by_ref) | ({root.ref} if root else set())
    # Edges may name a package by its version-less purl (Requires-Dist, declared dependencies):
    # they point at every versioned component of that purl.
    by_base: dict[str, list[str]] = {}
    for ref, component in by_ref.items():
        if component.purl and component.version is not None:
            by_base.setdefault(component.purl.split("@", 1)[0], []).append(ref)

    def resolve(ref: str) -> list[str]:
        if ref in remap:
            return remap[ref]
        if ref not in known and "@" not in ref and "?" not in ref:
            return by_base.get(ref, [])
        return [ref]

    edges: dict[str, set[str]] = {}
    for _, result in results:
        for dep in result.dependencies:
            sources = remap.get(dep.ref, [dep.ref])
            targets = {t for d in dep.depends_on for t in resolve(d)}
            for source in sources:
                if source in known:
                    # (targets & known) first: "targets & known - {source}" would copy the whole
                    # known set for every edge (quadratic: 419 s for 100,000 packages).
                    found = targets & known
                    found.discard(source)
                    edges.setdefault(source, set()).update(found)
    if root is not None:
        secondary = {r.ref for (_, _, r) in roots[1:] if r.ref in by_ref}
        edges.setdefault(root.ref, set()).update(secondary)
    components = tuple(
        sorted(by_ref.values(), key=lambda c: (c.purl or c.name, c.version or "", c.ref))
    )
    dependencies = tuple(
        Dependency(ref=ref, depends_on=tuple(sorted(targets)))
        for ref, targets in sorted(edges.items())
    )
    _log.debug("inventory: %d components, %d edge sets", len(components), len(dependencies))
    return Inventory(
        root=root,
        components=components,
        dependencies=dependencies,
        warnings=tuple(warnings),
    )
