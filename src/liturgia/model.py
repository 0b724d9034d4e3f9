"""Values shared by every subsystem: components, hashes and inventories.

These are frozen, slotted dataclasses (plain values, no I/O). CycloneDX and SPDX objects exist
only inside ``liturgia.sbom.formats``; everything else talks in these terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "PURL_TYPE_TO_ECOSYSTEM",
    "Component",
    "ComponentType",
    "Dependency",
    "Hash",
    "Inventory",
    "Scope",
]

#: Package URL ``type`` -> OSV ecosystem name (purl-spec PURL-TYPES, OSV schema ecosystems).
#: Shared by the SBOM engine (what a component's ecosystem is) and the scanner (which
#: advisories apply to it).
PURL_TYPE_TO_ECOSYSTEM: dict[str, str] = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "composer": "Packagist",
    "maven": "Maven",
    "nuget": "NuGet",
    "hex": "Hex",
    "pub": "Pub",
    "hackage": "Hackage",
    "cran": "CRAN",
    "swift": "SwiftURL",
    "deb": "Debian",
    "apk": "Alpine",
}


class ComponentType(StrEnum):
    """Kinds of component, named as CycloneDX 1.6 ``component.type`` names them."""

    APPLICATION = "application"
    LIBRARY = "library"
    FILE = "file"


class Scope(StrEnum):
    """How a component is needed, per CycloneDX 1.6 ``component.scope``.

    ``EXCLUDED`` marks development-only dependencies (SPDX ``DEV_DEPENDENCY_OF``).
    """

    REQUIRED = "required"
    OPTIONAL = "optional"
    EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True, kw_only=True)
class Hash:
    """A digest a source recorded for a component.

    Attributes:
        algorithm: CycloneDX hash algorithm name, e.g. ``"SHA-256"``, ``"SHA-512"``.
        value: lower-case hexadecimal digest.
    """

    algorithm: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    """One software component found by a cataloger, or one release artifact.

    Attributes:
        name: the package name as the ecosystem spells it (PyPI names PEP 503-normalized).
        version: the exact version, or ``None`` when the source does not pin one.
        type: CycloneDX component type.
        purl: Package URL per the purl specification, or ``None`` (artifacts, unpinned lines).
        ecosystem: OSV ecosystem name (``"PyPI"``, ``"npm"``, ``"Go"``...), or ``None``.
        licenses: SPDX license expressions, in source order.
        hashes: digests recorded by the source (lockfile hashes, artifact SHA-256).
        scope: required, optional, or excluded (dev-only).
        found_in: the path (relative to the scanned root) of the file it was found in.
        bom_ref: a stable identifier unique within an inventory (the purl when there is one).
    """

    name: str
    version: str | None
    type: ComponentType = ComponentType.LIBRARY
    purl: str | None = None
    ecosystem: str | None = None
    licenses: tuple[str, ...] = ()
    hashes: tuple[Hash, ...] = ()
    scope: Scope = Scope.REQUIRED
    found_in: str | None = None
    bom_ref: str = ""

    @property
    def ref(self) -> str:
        """The identifier used in dependency edges: ``bom_ref``, else purl, else name@version."""
        return self.bom_ref or self.purl or f"{self.name}@{self.version or ''}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """A "depends on" edge set: ``ref`` depends directly on each of ``depends_on`` (refs)."""

    ref: str
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """What a scan found: components, dependency edges and warnings.

    Attributes:
        root: the component the inventory describes (the project), or ``None``.
        components: unique by ``ref``, sorted by (purl or name, version).
        dependencies: edges, sorted by ``ref``.
        warnings: one line per input that could not be read fully (file and reason).
    """

    root: Component | None = None
    components: tuple[Component, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    warnings: tuple[str, ...] = field(default=())
