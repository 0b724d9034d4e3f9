"""The CycloneDX 1.6 document through cyclonedx-python-lib's model: used for the XML form.

Imported only when XML is asked for: the library's model costs ~0.1 s to import and several
times the direct JSON writer's time to serialize.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentScope
from cyclonedx.model.component import ComponentType as CdxComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.dependency import Dependency as CdxDependency
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output.xml import XmlV1Dot6
from packageurl import PackageURL

from liturgia import __version__
from liturgia._internal.clock import now
from liturgia.model import Component, Inventory
from liturgia.sbom.formats._serial import WARNING_PROPERTY, serial_number

__all__ = ["render_xml"]

_LICENSES = LicenseFactory()


def _licenses(values: Sequence[str]) -> list[LicenseExpression | DisjunctiveLicense]:
    """CycloneDX allows several ``license`` objects or exactly one ``expression``."""
    made = [_LICENSES.make_from_string(v) for v in values]
    if all(isinstance(m, DisjunctiveLicense) for m in made):
        return [m for m in made if isinstance(m, DisjunctiveLicense)]
    if len(made) == 1 and isinstance(made[0], LicenseExpression):
        return [made[0]]
    return [LicenseExpression(" AND ".join(f"({v})" for v in values))]


def _component(component: Component, ref: BomRef) -> CdxComponent:
    hashes = [HashType(alg=HashAlgorithm(h.algorithm), content=h.value) for h in component.hashes]
    evidence = (
        ComponentEvidence(occurrences=[Occurrence(location=component.found_in)])
        if component.found_in
        else None
    )
    return CdxComponent(
        name=component.name,
        version=component.version,
        type=CdxComponentType(component.type.value),
        bom_ref=ref,
        purl=PackageURL.from_string(component.purl) if component.purl else None,
        scope=ComponentScope(component.scope.value),
        hashes=hashes,
        licenses=_licenses(component.licenses),
        evidence=evidence,
    )


def _bom(inventory: Inventory, artifacts: Sequence[Component]) -> Bom:
    refs: dict[str, BomRef] = {}
    components = []
    for component in (*inventory.components, *artifacts):
        refs[component.ref] = BomRef(component.ref)
        components.append(_component(component, refs[component.ref]))
    timestamp = now()
    metadata = BomMetaData(timestamp=timestamp)
    metadata.tools.components.add(
        CdxComponent(type=CdxComponentType.APPLICATION, name="liturgia", version=__version__)
    )
    for warning in inventory.warnings:
        metadata.properties.add(Property(name=WARNING_PROPERTY, value=warning))
    if inventory.root is not None:
        refs[inventory.root.ref] = BomRef(inventory.root.ref)
        metadata.component = _component(inventory.root, refs[inventory.root.ref])
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    dependencies = [
        CdxDependency(
            ref=bom_ref,
            dependencies=[CdxDependency(ref=refs[t]) for t in edges.get(ref, ()) if t in refs],
        )
        for ref, bom_ref in refs.items()
    ]
    return Bom(
        components=components,
        metadata=metadata,
        dependencies=dependencies,
        serial_number=serial_number(inventory, artifacts, timestamp),
    )


def render_xml(inventory: Inventory, artifacts: Sequence[Component]) -> str:
    """The CycloneDX 1.6 XML document (see :func:`liturgia.sbom.formats.to_cyclonedx_xml`)."""
    with warnings.catch_warnings():
        # The library warns about graph shapes (e.g. no root component) that are legitimate here.
        warnings.simplefilter("ignore", UserWarning)
        return XmlV1Dot6(_bom(inventory, artifacts)).output_as_string(indent=2)
