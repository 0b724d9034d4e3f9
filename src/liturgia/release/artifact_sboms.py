"""What each released file contains: its own SBOM, and its edges in the release's SBOM.

Each artifact is cataloged from what it really is, by its build's ecosystem:

- ``go``: an executable, from the build information the Go linker embedded (what
  ``go version -m`` prints; read by :mod:`liturgia.sbom.catalogers.gobinary`, never run);
- ``python``: a wheel or sdist, from its core metadata (``Requires-Dist``);
- ``npm``: a bundle, from the production part of the build's lockfile (dev packages left out);
- ``auto`` (the classic ``[build]``): an executable with Go build information, or an archive,
  as above; anything else contains nothing liturgia can name;
- ``generic``: nothing recorded.

The artifact's SBOM (``<artifact>.cdx.json``, CycloneDX 1.6) has the artifact itself, a ``file``
component with its SHA-256, as ``metadata.component``, what it contains as components, and an
edge from the artifact to the top of what it contains. The release SBOM gets the same
components and edges beside the project's own (merged by ``bom-ref``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packageurl import PackageURL

from liturgia import sbom
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Inventory
from liturgia.release.builds import Built
from liturgia.sbom.archives import is_archive
from liturgia.sbom.catalogers.gobinary import EXECUTABLE_MAGIC

__all__ = [
    "ArtifactContents",
    "artifact_contents",
    "release_inventory",
    "render_artifact_sbom",
    "versioned",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactContents:
    """One artifact and what it contains.

    Attributes:
        file: the artifact as a ``file`` component (name and SHA-256).
        contents: what it contains (its top component first when there is one); empty when
            nothing is known.
        dependencies: edges among ``contents``, and the artifact's edge to them.
    """

    file: Component
    contents: tuple[Component, ...]
    dependencies: tuple[Dependency, ...]


def artifact_contents(item: Built, *, version: str) -> ArtifactContents:
    """Catalog one artifact (``item.path``, in the release folder) from what it really is.

    Args:
        item: the artifact and its build.
        version: the release version, given to the top component when its source names none
            (a Go main module is ``(devel)``; its version is stamped by the build).

    Raises:
        InputError: the file is not what its build says (a ``go`` artifact without build
            information, an unreadable wheel, a missing lockfile), naming the file and why.
    """
    path = item.path
    file = sbom.artifact_component(path)
    inventory = _catalog(item)
    if inventory is None:
        return ArtifactContents(file=file, contents=(), dependencies=())
    top = inventory.root
    contents = tuple(inventory.components)
    if top is not None:
        stamped = versioned(top, version)
        renamed = {top.ref: stamped.ref}
        contents = (stamped, *contents)
        edges = tuple(
            Dependency(
                ref=renamed.get(dep.ref, dep.ref),
                depends_on=tuple(renamed.get(ref, ref) for ref in dep.depends_on),
            )
            for dep in inventory.dependencies
        )
        heads: tuple[str, ...] = (stamped.ref,)
    else:
        edges = inventory.dependencies
        heads = tuple(component.ref for component in contents)
    return ArtifactContents(
        file=file,
        contents=contents,
        dependencies=(Dependency(ref=file.ref, depends_on=heads), *edges),
    )


def _catalog(item: Built) -> Inventory | None:
    path = item.path
    kind = item.ecosystem
    if kind == "auto":
        if _is_executable(path):
            kind = "go"
        elif is_archive(path):
            kind = "python"
        else:
            return None
    if kind == "generic":
        return None
    if kind == "npm":
        if item.lockfile is None:
            raise InputError(
                f"builds[{item.build}].lockfile: an npm build names the lockfile its bundle "
                "is built from"
            )
        found = item.lockfile
        inventory = sbom.catalog([found], root=found.parent, exclude_dev=True, strict_named=True)
    else:
        inventory = sbom.catalog([path], root=path.parent, strict_named=True)
    if inventory.warnings:
        raise InputError(f"{path.name}: {inventory.warnings[0]}")
    return inventory


def _is_executable(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4).startswith(EXECUTABLE_MAGIC)


def versioned(component: Component, version: str) -> Component:
    """``component`` with ``version`` (in its purl and bom-ref too) when it is an application
    whose source states none (a project built for this release); others unchanged."""
    if component.version is not None or component.type is not ComponentType.APPLICATION:
        return component
    purl = component.purl
    if purl is not None:
        purl = PackageURL.from_string(purl)._replace(version=version).to_string()
    return replace(component, version=version, purl=purl, bom_ref=purl or component.bom_ref)


def render_artifact_sbom(contents: ArtifactContents) -> bytes:
    """The artifact's own SBOM: CycloneDX 1.6 JSON, the artifact as ``metadata.component``."""
    inventory = Inventory(
        root=contents.file,
        components=contents.contents,
        dependencies=contents.dependencies,
    )
    return sbom.to_cyclonedx_json(inventory)


def release_inventory(project: Inventory, artifacts: Sequence[ArtifactContents]) -> Inventory:
    """The project's inventory with every artifact's contents and edges merged in.

    Components are merged by ``bom-ref`` (the project's own entry wins); edges of one ref are
    united. The artifacts themselves are not in the result: the SBOM writer adds them as
    ``file`` components, and their edges here point from their refs.
    """
    components = {component.ref: component for component in project.components}
    edges: dict[str, dict[str, None]] = {
        dep.ref: dict.fromkeys(dep.depends_on) for dep in project.dependencies
    }
    for artifact in artifacts:
        for component in artifact.contents:
            components.setdefault(component.ref, component)
        for dep in artifact.dependencies:
            edges.setdefault(dep.ref, {}).update(dict.fromkeys(dep.depends_on))
    return replace(
        project,
        components=tuple(
            sorted(components.values(), key=lambda c: (c.purl or c.name, c.version or ""))
        ),
        dependencies=tuple(
            Dependency(ref=ref, depends_on=tuple(targets)) for ref, targets in sorted(edges.items())
        ),
    )
