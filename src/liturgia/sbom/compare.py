"""Merge SBOMs; diff two SBOMs (read with :func:`liturgia.sbom.formats.read_sbom`).

:func:`merge_inventories` applies the scan's merging rules
(:mod:`liturgia.sbom.inventory`) across SBOMs. :func:`diff_inventories` says what changed between
two releases, for release notes: a package is identified by its purl without version and
qualifiers (else its type and name); when exactly one version of a package went and one came,
that is an upgrade or a downgrade, anything else added and removed versions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from liturgia.model import (
    PURL_TYPE_TO_ECOSYSTEM,
    Component,
    ComponentType,
    Inventory,
)
from liturgia.sbom.cataloger import CatalogResult
from liturgia.sbom.inventory import merge

__all__ = [
    "PURL_ECOSYSTEMS",
    "LicenceChange",
    "SbomDiff",
    "VersionChange",
    "diff_inventories",
    "merge_inventories",
]

#: purl type -> OSV ecosystem name (the ``ecosystem`` an Inventory records).
PURL_ECOSYSTEMS = PURL_TYPE_TO_ECOSYSTEM


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionChange:
    """One package whose single version changed: ``old`` -> ``new``."""

    name: str
    purl: str | None
    old: str
    new: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenceChange:
    """A package version present on both sides whose declared licences differ."""

    name: str
    version: str | None
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SbomDiff:
    """What changed from one SBOM to the next; every tuple sorted by name then version."""

    added: tuple[Component, ...] = ()
    removed: tuple[Component, ...] = ()
    upgraded: tuple[VersionChange, ...] = ()
    downgraded: tuple[VersionChange, ...] = ()
    licence_changes: tuple[LicenceChange, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether nothing changed."""
        return not (
            self.added or self.removed or self.upgraded or self.downgraded or self.licence_changes
        )


def merge_inventories(inventories: Sequence[Inventory]) -> Inventory:
    """One inventory from several: the first root is the root, the others its components.

    Duplicates merge as in a scan (strongest scope, united hashes and licences).
    """
    return merge(
        [
            (0, CatalogResult(root=i.root, components=i.components, dependencies=i.dependencies))
            for i in inventories
        ],
        warnings=tuple(w for i in inventories for w in i.warnings),
    )


def _identity(component: Component) -> tuple[str, str]:
    if component.purl:
        return ("purl", re.split(r"[@?#]", component.purl.removeprefix("pkg:"), maxsplit=1)[0])
    return (component.type.value, component.name)


def _order(version: str) -> tuple[Any, ...]:
    """Sort key: PEP 440 when the version parses (most ecosystems' dotted numbers do), else the
    digit runs compared as numbers."""
    try:
        return (0, Version(version.removeprefix("v")))
    except InvalidVersion:
        return (1, tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", version)))


def _less(a: str, b: str) -> bool:
    left, right = _order(a), _order(b)
    if left[0] != right[0]:
        return a < b
    return bool(left < right)


def _by_name(component: Component) -> tuple[str, str]:
    return (component.name, component.version or "")


def diff_inventories(old: Inventory, new: Inventory) -> SbomDiff:
    """Compare two inventories (see the module docstring for identity and ordering)."""
    before: dict[tuple[str, str], dict[str | None, Component]] = {}
    after: dict[tuple[str, str], dict[str | None, Component]] = {}
    for side, inventory in ((before, old), (after, new)):
        for component in inventory.components:
            if component.type is not ComponentType.FILE:
                side.setdefault(_identity(component), {})[component.version] = component
    added: list[Component] = []
    removed: list[Component] = []
    upgraded: list[VersionChange] = []
    downgraded: list[VersionChange] = []
    licences: list[LicenceChange] = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key, {}), after.get(key, {})
        for version in sorted(was.keys() & now.keys(), key=lambda v: v or ""):
            if set(was[version].licenses) != set(now[version].licenses):
                licences.append(
                    LicenceChange(
                        name=now[version].name,
                        version=version,
                        old=was[version].licenses,
                        new=now[version].licenses,
                    )
                )
        gone = [was[v] for v in was if v not in now]
        came = [now[v] for v in now if v not in was]
        if len(gone) == 1 and len(came) == 1 and gone[0].version and came[0].version:
            change = VersionChange(
                name=came[0].name, purl=came[0].purl, old=gone[0].version, new=came[0].version
            )
            (downgraded if _less(came[0].version, gone[0].version) else upgraded).append(change)
        else:
            removed.extend(gone)
            added.extend(came)

    return SbomDiff(
        added=tuple(sorted(added, key=_by_name)),
        removed=tuple(sorted(removed, key=_by_name)),
        upgraded=tuple(sorted(upgraded, key=lambda c: c.name)),
        downgraded=tuple(sorted(downgraded, key=lambda c: c.name)),
        licence_changes=tuple(licences),
    )
