"""Java: Maven ``pom.xml`` (declared dependencies) and Gradle ``gradle.lockfile``.

pom.xml (POM 4.0.0): the project (``groupId`` inherited from ``parent`` when absent) is the
root; each ``dependencies/dependency`` a component ``pkg:maven/<groupId>/<artifactId>@<version>``
with ``${property}`` references resolved from ``properties`` (and ``project.version``); a
version that stays unresolved, or a dependency whose version is managed elsewhere, is kept
without one. ``<scope>test</scope>`` is excluded, ``<optional>true</optional>`` optional. A POM
declares direct dependencies only: the transitive graph needs Maven's resolver.

gradle.lockfile: lines ``group:artifact:version=configuration,...``; a dependency locked only
for test configurations (``test...``) is excluded. Neither file records edges between
dependencies; the POM's root depends on its declared ones.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar

from packageurl import PackageURL

from liturgia._internal.untrusted_xml import parse_xml
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Scope
from liturgia.sbom.cataloger import Cataloger, CatalogResult, decode_text, direct_result

__all__ = ["GradleLockCataloger", "MavenPomCataloger", "maven_component"]

ECOSYSTEM = "Maven"
_PROPERTY = re.compile(r"\$\{([^}]+)\}")


def maven_component(
    group: str,
    artifact: str,
    version: str | None,
    *,
    found_in: str,
    scope: Scope = Scope.REQUIRED,
    type_: ComponentType = ComponentType.LIBRARY,
) -> Component:
    """A Maven component (``pkg:maven/group/artifact@version``), named ``group:artifact``."""
    purl = str(PackageURL(type="maven", namespace=group, name=artifact, version=version))
    return Component(
        name=f"{group}:{artifact}",
        version=version,
        type=type_,
        purl=purl,
        ecosystem=ECOSYSTEM,
        scope=scope,
        found_in=found_in,
        bom_ref=purl,
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ET.Element | None, name: str) -> str | None:
    child = _child(element, name) if element is not None else None
    return child.text.strip() if child is not None and child.text and child.text.strip() else None


class MavenPomCataloger(Cataloger):
    """``pom.xml`` files (declared dependencies)."""

    name: ClassVar[str] = "java-maven-pom"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"pom.xml"})

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the project and its declared dependencies."""
        try:
            # The standard parser: expat in Python >= 3.7.1 refuses entity-expansion bombs, and
            # no external entities or DTDs are fetched.
            project = parse_xml(data)
        except ET.ParseError as exc:
            raise InputError(f"{found_in}: not well-formed XML: {exc}") from exc
        if _local(project.tag) != "project":
            raise InputError(f"{found_in}: root element is not <project>")
        parent = _child(project, "parent")
        group = _text(project, "groupId") or _text(parent, "groupId")
        artifact = _text(project, "artifactId")
        version = _text(project, "version") or _text(parent, "version")
        properties = {
            _local(p.tag): (p.text or "").strip() for p in (_child(project, "properties") or [])
        }
        if version:
            properties.setdefault("project.version", version)

        def resolve(text: str | None) -> str | None:
            if text is None:
                return None
            value = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), text)
            return None if "${" in value else value

        components: list[Component] = []
        warnings: list[str] = []
        for dependency in _child(project, "dependencies") or []:
            if _local(dependency.tag) != "dependency":
                continue
            dep_group = resolve(_text(dependency, "groupId"))
            dep_artifact = resolve(_text(dependency, "artifactId"))
            if not dep_group or not dep_artifact:
                warnings.append(f"{found_in}: a dependency without groupId or artifactId")
                continue
            scope = Scope.REQUIRED
            if _text(dependency, "scope") == "test":
                scope = Scope.EXCLUDED
            elif _text(dependency, "optional") == "true":
                scope = Scope.OPTIONAL
            components.append(
                maven_component(
                    dep_group,
                    dep_artifact,
                    resolve(_text(dependency, "version")),
                    found_in=found_in,
                    scope=scope,
                )
            )
        root = None
        if group and artifact:
            root = maven_component(
                group,
                artifact,
                resolve(version),
                found_in=found_in,
                type_=ComponentType.APPLICATION,
            )
        return direct_result(root, components, warnings)


class GradleLockCataloger(Cataloger):
    """``gradle.lockfile`` (and per-configuration ``*.lockfile`` in ``gradle/dependency-locks``)."""

    name: ClassVar[str] = "java-gradle-lockfile"
    ecosystem: ClassVar[str] = ECOSYSTEM

    def claims(self, path: Path) -> bool:
        """Claim ``gradle.lockfile`` and ``*.lockfile`` under ``dependency-locks``."""
        return path.name == "gradle.lockfile" or (
            path.suffix == ".lockfile" and path.parent.name == "dependency-locks"
        )

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """One component per locked ``group:artifact:version``."""
        components: list[Component] = []
        warnings: list[str] = []
        for number, raw in enumerate(decode_text(data, found_in).splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#") or line.startswith("empty="):
                continue
            coordinates, _, configurations = line.partition("=")
            parts = coordinates.split(":")
            if len(parts) != 3 or not all(parts):
                warnings.append(f"{found_in}:{number}: not group:artifact:version")
                continue
            names = [c for c in configurations.split(",") if c]
            test_only = bool(names) and all(c.lower().startswith("test") for c in names)
            components.append(
                maven_component(
                    parts[0],
                    parts[1],
                    parts[2],
                    found_in=found_in,
                    scope=Scope.EXCLUDED if test_only else Scope.REQUIRED,
                )
            )
        return CatalogResult(components=tuple(components), warnings=tuple(warnings))
