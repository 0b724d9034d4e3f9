"""CycloneDX 1.6 JSON: write an Inventory, validate a document, read artifact digests back.

Written with cyclonedx-python-lib and validated with its ``JsonStrictValidator`` (the official
CycloneDX 1.6 JSON schema, ``additionalProperties: false`` throughout). Reproducible: the
timestamp comes from :func:`liturgia._internal.clock.now` (``SOURCE_DATE_EPOCH``), and the
``serialNumber`` (CycloneDX 1.6 §serialNumber, an RFC 4122 URN) is a UUIDv5 of the SHA-256 of the
document's content (components, edges, artifacts, timestamp, liturgia version), so the same
inventory gives the same bytes and a different one a different serial.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentScope
from cyclonedx.model.component import ComponentType as CdxComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.dependency import Dependency as CdxDependency
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.output.xml import XmlV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from packageurl import PackageURL

from liturgia import __version__
from liturgia._internal.clock import now
from liturgia.errors import PolicyError
from liturgia.model import Component, Inventory

__all__ = [
    "artifact_digests",
    "to_cyclonedx_json",
    "to_cyclonedx_xml",
    "validate_cyclonedx_json",
    "validate_cyclonedx_xml",
]

#: Namespace of the content-derived serial numbers (a UUIDv5 of a fixed URL).
SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://liturgia.invalid/sbom/serial")

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


def _serial(inventory: Inventory, artifacts: Sequence[Component], timestamp: datetime) -> uuid.UUID:
    """UUIDv5 of a digest of everything the document says (the reprs of frozen values)."""
    content = repr(
        (
            inventory.root,
            inventory.components,
            inventory.dependencies,
            tuple(artifacts),
            timestamp.isoformat(),
            __version__,
        )
    )
    return uuid.uuid5(SERIAL_NAMESPACE, hashlib.sha256(content.encode("utf-8")).hexdigest())


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
        serial_number=_serial(inventory, artifacts, timestamp),
    )


def _render(bom: Bom, output: type[JsonV1Dot6 | XmlV1Dot6]) -> str:
    with warnings.catch_warnings():
        # The library warns about graph shapes (e.g. no root component) that are legitimate here.
        warnings.simplefilter("ignore", UserWarning)
        return output(bom).output_as_string(indent=2)


def to_cyclonedx_json(inventory: Inventory, *, artifacts: Sequence[Component] = ()) -> bytes:
    """Render an inventory (and release artifacts) as a CycloneDX 1.6 JSON document.

    Args:
        inventory: what :func:`liturgia.sbom.catalog` found; ``root`` becomes
            ``metadata.component``, ``dependencies`` the ``dependencies`` graph.
        artifacts: ``file`` components (see :func:`liturgia.sbom.artifact_component`), added to
            ``components``.

    Returns:
        UTF-8 JSON bytes ending in a newline; identical for identical inputs and
        ``SOURCE_DATE_EPOCH``. The document validates against the CycloneDX 1.6 schema (the
        tests check every corpus input); validating costs as much as rendering, so callers that
        gate on it (the release gate) call :func:`validate_cyclonedx_json` themselves.
    """
    return (_render(_bom(inventory, artifacts), JsonV1Dot6) + "\n").encode("utf-8")


def to_cyclonedx_xml(inventory: Inventory, *, artifacts: Sequence[Component] = ()) -> bytes:
    """Render the same document as :func:`to_cyclonedx_json` in CycloneDX 1.6 XML.

    Returns:
        UTF-8 XML bytes (namespace ``http://cyclonedx.org/schema/bom/1.6``), reproducible like the
        JSON form; valid against the official XSD (:func:`validate_cyclonedx_xml`).
    """
    return (_render(_bom(inventory, artifacts), XmlV1Dot6) + "\n").encode("utf-8")


def validate_cyclonedx_xml(data: bytes, *, source: str) -> None:
    """Validate bytes against the official CycloneDX 1.6 XML schema (XSD).

    Raises:
        PolicyError: ``"<source>: not a valid CycloneDX 1.6 document: <first error>"``, also
            for bytes that are not well-formed XML.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{source}: not a valid CycloneDX 1.6 document: {exc}") from exc
    try:
        error = XmlValidator(SchemaVersion.V1_6).validate_str(text)
    except SyntaxError as exc:  # lxml's XMLSyntaxError: not well-formed
        raise PolicyError(f"{source}: not a valid CycloneDX 1.6 document: {exc}") from exc
    if error is not None:
        message = str(getattr(error, "data", error)).strip().splitlines()[0]
        raise PolicyError(f"{source}: not a valid CycloneDX 1.6 document: {message}")


def validate_cyclonedx_json(data: bytes, *, source: str) -> None:
    """Validate bytes against the official CycloneDX 1.6 JSON schema.

    Args:
        data: the document.
        source: how to name it in the error (a file name).

    Raises:
        PolicyError: ``"<source>: not a valid CycloneDX 1.6 document: <first error>"``, also for
            bytes that are not UTF-8 JSON or declare another ``specVersion``.
    """
    prefix = f"{source}: not a valid CycloneDX 1.6 document"
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyError(f"{prefix}: not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("specVersion") != "1.6":
        found = doc.get("specVersion") if isinstance(doc, dict) else type(doc).__name__
        raise PolicyError(f"{prefix}: specVersion is {found!r}, expected '1.6'")
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        message = str(getattr(error, "data", error)).splitlines()[0]
        raise PolicyError(f"{prefix}: {message}")


def artifact_digests(data: bytes) -> dict[str, str]:
    """Map each ``file`` component's name to its SHA-256 (hex) in a CycloneDX JSON document.

    Only top-level ``components`` of type ``file`` that carry a ``SHA-256`` hash count.

    Raises:
        PolicyError: not JSON, not an object with a ``components`` array, or a file component
            without a name or with a malformed SHA-256.
    """
    try:
        doc: Any = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyError(f"SBOM is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("components", []), list):
        raise PolicyError("SBOM has no components array")
    digests: dict[str, str] = {}
    for index, item in enumerate(doc.get("components", [])):
        if not isinstance(item, dict) or item.get("type") != "file":
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise PolicyError(f"SBOM components[{index}]: file component without a name")
        hashes = item.get("hashes", [])
        sha = [
            h.get("content")
            for h in (hashes if isinstance(hashes, list) else [])
            if isinstance(h, dict) and h.get("alg") == "SHA-256"
        ]
        if not sha:
            continue
        value = sha[0]
        if not isinstance(value, str) or len(value) != 64 or not _is_hex(value):
            raise PolicyError(f"SBOM components[{index}] ({name}): malformed SHA-256 {value!r}")
        if name in digests and digests[name] != value.lower():
            raise PolicyError(f"SBOM lists file {name} twice with different SHA-256 digests")
        digests[name] = value.lower()
    return digests


def _is_hex(value: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in value)
