"""Read an SBOM back into an Inventory: CycloneDX JSON and XML (1.2 to 1.6), SPDX 2.x JSON.

One reader for every command that takes an SBOM (``scan``, ``sbom diff``, ``sbom merge``,
``sbom validate``'s format detection, the release notes' previous SBOM). It is the inverse of the
writers of this package for everything an Inventory holds, and reads documents other tools wrote.

CycloneDX (1.6 §metadata.component, §components, §dependencies): ``metadata.component`` is the
root; every component, nested ones included (after their parent, document order), becomes one
Component: ``group/name``, ``version``, ``type`` (unknown types read as ``library``), ``purl``
(its type gives the OSV ecosystem), ``licenses`` (``license.id``, ``license.name`` or
``expression``), ``hashes``, ``scope`` (absent or unknown: ``required``),
``evidence.occurrences[0].location`` (where it was found) and ``bom-ref`` (else the purl, else
``name@version``). ``dependencies[].dependsOn`` are the edges. The XML form is read into the same
shapes (namespace ``http://cyclonedx.org/schema/bom/1.x``; documents with a DTD are refused).

SPDX 2.3 (§7 packages, §11 relationships): each package is a Component whose ``bom_ref`` is its
``SPDXID``: purl from the ``externalRefs`` of type ``purl`` (Annex F), ``versionInfo``,
``primaryPackagePurpose``, ``checksums`` (SHA256 -> SHA-256), ``licenseDeclared`` (liturgia's
``(A) AND (B)`` join of several licences split again; ``LicenseRef-`` ids read back as their
extracted text, §10), ``sourceInfo`` ``found in PATH``. ``A DEPENDS_ON B`` and ``B DEPENDENCY_OF
A`` are edges A -> B; ``B DEV_DEPENDENCY_OF A`` and ``B OPTIONAL_DEPENDENCY_OF A`` are edges too
and make B development-only (scope ``excluded``) or ``optional`` unless a plain dependency
relationship also reaches it. The single package the document DESCRIBES (§11; or
``documentDescribes``) is the root when the document lists other packages too.

Field values of the wrong type are ignored (other tools' documents vary); the structure is not:
a ``components``/``packages`` value that is not an array, or a component without a name, is an
:class:`~liturgia.errors.InputError` naming the field.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from enum import StrEnum
from typing import Any

from liturgia._internal.jsonshape import json_array as _array
from liturgia._internal.untrusted_xml import parse_xml
from liturgia.errors import InputError
from liturgia.model import (
    PURL_TYPE_TO_ECOSYSTEM,
    Component,
    ComponentType,
    Dependency,
    Hash,
    Inventory,
    Scope,
)
from liturgia.sbom.formats._serial import WARNING_PROPERTY
from liturgia.sbom.formats.spdx import CHECKSUM_ALGORITHMS

__all__ = ["SbomFormat", "detect_format", "read_sbom"]

_TYPES = {t.value: t for t in ComponentType}
_SCOPES = {s.value: s for s in Scope}
_PURPOSES = {"APPLICATION": ComponentType.APPLICATION, "FILE": ComponentType.FILE}
_SPDX_HASHES = {spdx: cdx for cdx, spdx in CHECKSUM_ALGORITHMS.items()}
_NO_LICENCE = {"NOASSERTION", "NONE"}
_FOUND_IN = "found in "


class SbomFormat(StrEnum):
    """The SBOM document formats liturgia writes and reads."""

    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX_JSON = "spdx-json"


def detect_format(data: bytes) -> SbomFormat:
    """Tell which SBOM format a document is, from its first byte / top-level keys.

    Raises:
        InputError: neither XML nor a JSON object with ``bomFormat`` or ``spdxVersion``.
    """
    if data.lstrip()[:1] == b"<":
        return SbomFormat.CYCLONEDX_XML
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"not JSON or XML: {exc}") from exc
    if isinstance(doc, dict) and "spdxVersion" in doc:
        return SbomFormat.SPDX_JSON
    if isinstance(doc, dict) and "bomFormat" in doc:
        return SbomFormat.CYCLONEDX_JSON
    raise InputError("a JSON document without bomFormat (CycloneDX) or spdxVersion (SPDX)")


def read_sbom(data: bytes, *, source: str) -> Inventory:
    """Read a CycloneDX (JSON or XML) or SPDX 2.x JSON document into an Inventory.

    Args:
        data: the document's bytes; XML when the first non-blank byte is ``<``.
        source: its name for messages (a file name).

    Returns:
        The root (or ``None``), every component (nested CycloneDX ones included, in document
        order) and the dependency edges; see the module docstring for the mapping.

    Raises:
        InputError: ``"<source>: ..."``: not JSON or XML, neither CycloneDX nor SPDX, or a
            structural field of the wrong type (the message names it).
    """
    try:
        return _read(data, source)
    except RecursionError as exc:  # components nested in components, as deep as XML allows
        raise InputError(f"{source}: not a usable SBOM: components nested too deeply") from exc


def _read(data: bytes, source: str) -> Inventory:
    if data.lstrip()[:1] == b"<":
        return _cyclonedx(_xml_document(data, source), source)
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not a JSON SBOM: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not JSON (nor XML): {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{source}: not a usable SBOM: JSON nested too deeply") from exc
    if not isinstance(document, dict):
        raise InputError(f"{source}: not a JSON SBOM: expected an object")
    if document.get("bomFormat") == "CycloneDX":
        return _cyclonedx(document, source)
    if str(document.get("spdxVersion", "")).startswith("SPDX-"):
        return _spdx(document, source)
    if "bomFormat" in document:
        found = document["bomFormat"]
        raise InputError(
            f"{source}: not a CycloneDX document (bomFormat is {found!r}, expected 'CycloneDX')"
        )
    raise InputError(f"{source}: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) SBOM")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ecosystem(purl: str | None) -> str | None:
    return PURL_TYPE_TO_ECOSYSTEM.get(purl[4:].split("/", 1)[0]) if purl else None


# --- CycloneDX ---------------------------------------------------------------------------------


def _licences(value: object) -> tuple[str, ...]:
    out: list[str] = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("expression"), str):
            out.append(item["expression"])
        licence = item.get("license")
        if isinstance(licence, dict):
            text = licence.get("id") or licence.get("name")
            if isinstance(text, str):
                out.append(text)
    return tuple(out)


def _component(item: object, where: str, source: str) -> Component:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise InputError(f"{source}: {where}: a component needs a 'name'")
    group = _text(item.get("group"))
    name = f"{group}/{item['name']}" if group else item["name"]
    version, purl = _text(item.get("version")), _text(item.get("purl"))
    hashes = tuple(
        Hash(algorithm=h["alg"], value=str(h["content"]).lower())
        for h in (item["hashes"] if isinstance(item.get("hashes"), list) else [])
        if isinstance(h, dict) and isinstance(h.get("alg"), str) and "content" in h
    )
    evidence = item.get("evidence")
    occurrences = evidence.get("occurrences") if isinstance(evidence, dict) else None
    first = occurrences[0] if isinstance(occurrences, list) and occurrences else None
    location = first.get("location") if isinstance(first, dict) else None
    return Component(
        name=name,
        version=version,
        type=_TYPES.get(str(item.get("type")), ComponentType.LIBRARY),
        purl=purl,
        ecosystem=_ecosystem(purl),
        licenses=_licences(item.get("licenses")),
        hashes=hashes,
        scope=_SCOPES.get(str(item.get("scope")), Scope.REQUIRED),
        found_in=_text(location),
        bom_ref=_text(item.get("bom-ref")) or purl or f"{name}@{version or ''}",
    )


def _components(items: list[Any], where: str, source: str) -> Iterator[Component]:
    """Each component of ``items`` then its nested ones, depth first (document order)."""
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        yield _component(item, here, source)
        nested = _array(item.get("components"), f"{here}.components", source)
        yield from _components(nested, f"{here}.components", source)


def _cyclonedx(document: dict[str, Any], source: str) -> Inventory:
    metadata = document.get("metadata")
    root = None
    if isinstance(metadata, dict) and "component" in metadata:
        root = _component(metadata["component"], "metadata.component", source)
    components = tuple(
        _components(_array(document.get("components"), "components", source), "components", source)
    )
    edges = _array(document.get("dependencies"), "dependencies", source)
    dependencies = tuple(
        Dependency(
            ref=d["ref"],
            depends_on=tuple(t for t in d["dependsOn"] if isinstance(t, str))
            if isinstance(d.get("dependsOn"), list)
            else (),
        )
        for d in edges
        if isinstance(d, dict) and isinstance(d.get("ref"), str)
    )
    # The writer's record of inputs it could not read: an SBOM that says it is incomplete
    # stays incomplete when read back (a scan of it is then incomplete too).
    properties = metadata.get("properties") if isinstance(metadata, dict) else None
    warnings = tuple(
        p["value"]
        for p in (properties if isinstance(properties, list) else ())
        if isinstance(p, dict)
        and p.get("name") == WARNING_PROPERTY
        and isinstance(p.get("value"), str)
    )
    return Inventory(root=root, components=components, dependencies=dependencies, warnings=warnings)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xml_text(element: ET.Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return None


def _xml_component(element: ET.Element) -> dict[str, Any]:
    """The JSON shape of one XML ``<component>`` (only the fields the reader maps)."""
    out: dict[str, Any] = {"type": element.get("type"), "bom-ref": element.get("bom-ref")}
    for child in element:
        match _local(child.tag):
            case "name" | "version" | "group" | "purl" | "scope" as field:
                out[field] = (child.text or "").strip()
            case "hashes":
                out["hashes"] = [
                    {"alg": h.get("alg"), "content": (h.text or "").strip()} for h in child
                ]
            case "licenses":
                out["licenses"] = [
                    {"license": {"id": _xml_text(e, "id"), "name": _xml_text(e, "name")}}
                    if _local(e.tag) == "license"
                    else {"expression": (e.text or "").strip()}
                    for e in child
                ]
            case "evidence":
                out["evidence"] = {
                    "occurrences": [
                        {"location": o.get("location") or _xml_text(o, "location")}
                        for e in child
                        if _local(e.tag) == "occurrences"
                        for o in e
                    ]
                }
            case "components":
                out["components"] = [_xml_component(c) for c in child]
            case _:
                pass
    return out


def _xml_document(data: bytes, source: str) -> dict[str, Any]:
    """Parse CycloneDX XML into the JSON document's shape (``bomFormat`` and what is read)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        # CycloneDX XML has no DTD; refusing one rules out entity expansion attacks.
        raise InputError(f"{source}: not a usable SBOM: XML with a DTD is not accepted")
    try:
        bom = parse_xml(data)  # no DTD (refused above), so no entities to expand
    except ET.ParseError as exc:
        raise InputError(f"{source}: not well-formed XML: {exc}") from exc
    if _local(bom.tag) != "bom" or not bom.tag.startswith("{http://cyclonedx.org/schema/bom/"):
        raise InputError(f"{source}: not a CycloneDX XML document (root element {bom.tag!r})")
    return _xml_bom(bom)


def _xml_bom(bom: ET.Element) -> dict[str, Any]:
    document: dict[str, Any] = {"bomFormat": "CycloneDX"}
    for child in bom:
        match _local(child.tag):
            case "metadata":
                for item in child:
                    if _local(item.tag) == "component":
                        document["metadata"] = {"component": _xml_component(item)}
            case "components":
                document["components"] = [_xml_component(c) for c in child]
            case "dependencies":
                document["dependencies"] = [
                    {"ref": d.get("ref"), "dependsOn": [t.get("ref") for t in d]} for d in child
                ]
            case _:
                pass
    return document


# --- SPDX --------------------------------------------------------------------------------------

#: liturgia's join of several licences: ``(A) AND LicenseRef-B AND (C)``.
_LICENCE_PART = re.compile(r"\((?:[^()]|\([^()]*\))*\)|LicenseRef-[A-Za-z0-9.-]+")


def _split_licences(declared: str, extracted: dict[str, str]) -> tuple[str, ...]:
    """The licence strings of a ``licenseDeclared`` expression as liturgia's writer joins them."""
    if declared in _NO_LICENCE:
        return ()
    parts = declared.split(" AND ")
    if len(parts) > 1 and all(_LICENCE_PART.fullmatch(p) for p in parts):
        values = [p[1:-1] if p.startswith("(") else p for p in parts]
    else:
        values = [declared]
    return tuple(extracted.get(v, v) for v in values)


def _package(package: object, index: int, extracted: dict[str, str], source: str) -> Component:
    where = f"packages[{index}]"
    if not isinstance(package, dict) or not isinstance(package.get("name"), str):
        raise InputError(f"{source}: {where}: a package needs a 'name'")
    refs = _array(package.get("externalRefs"), f"{where}.externalRefs", source)
    purl = _text(
        next(
            (
                ref.get("referenceLocator")
                for ref in refs
                if isinstance(ref, dict) and ref.get("referenceType") == "purl"
            ),
            None,
        )
    )
    checksums = package.get("checksums")
    hashes = tuple(
        Hash(algorithm=_SPDX_HASHES[c["algorithm"]], value=str(c["checksumValue"]).lower())
        for c in (checksums if isinstance(checksums, list) else [])
        if isinstance(c, dict)
        and isinstance(c.get("algorithm"), str)  # an array is not hashable, nor an algorithm
        and c["algorithm"] in _SPDX_HASHES
        and "checksumValue" in c
    )
    declared = _text(package.get("licenseDeclared"))
    source_info = _text(package.get("sourceInfo"))
    version = _text(package.get("versionInfo"))
    return Component(
        name=package["name"],
        version=version,
        type=_PURPOSES.get(str(package.get("primaryPackagePurpose")), ComponentType.LIBRARY),
        purl=purl,
        ecosystem=_ecosystem(purl),
        licenses=_split_licences(declared, extracted) if declared else (),
        hashes=hashes,
        found_in=source_info.removeprefix(_FOUND_IN)
        if source_info and source_info.startswith(_FOUND_IN)
        else None,
        bom_ref=_text(package.get("SPDXID")) or purl or f"{package['name']}@{version or ''}",
    )


def _spdx(document: dict[str, Any], source: str) -> Inventory:
    extracted = {
        item["licenseId"]: item.get("name") or item.get("extractedText") or item["licenseId"]
        for item in _array(
            document.get("hasExtractedLicensingInfos"), "hasExtractedLicensingInfos", source
        )
        if isinstance(item, dict) and isinstance(item.get("licenseId"), str)
    }
    packages = [
        _package(p, i, extracted, source)
        for i, p in enumerate(_array(document.get("packages"), "packages", source))
    ]
    ids = {p.bom_ref for p in packages}
    # SPDX ids are strings (§3.2, §11.1); an id of another type names nothing and is ignored,
    # like any field value of the wrong type.
    described = [
        d
        for d in _array(document.get("documentDescribes"), "documentDescribes", source)
        if isinstance(d, str)
    ]
    edges: dict[str, list[str]] = {}
    kinds: dict[str, set[Scope]] = {}
    relationships = _array(document.get("relationships"), "relationships", source)
    for item in relationships:
        if not isinstance(item, dict):
            continue
        a, kind, b = (
            item.get(k) for k in ("spdxElementId", "relationshipType", "relatedSpdxElement")
        )
        if not isinstance(a, str) or not isinstance(b, str):
            continue
        if kind == "DESCRIBES" and a == "SPDXRef-DOCUMENT":
            described.append(b)
            continue
        if a not in ids or b not in ids:
            continue
        match kind:
            case "DEPENDS_ON":
                parent, child, scope = a, b, Scope.REQUIRED
            case "DEPENDENCY_OF":
                parent, child, scope = b, a, Scope.REQUIRED
            case "DEV_DEPENDENCY_OF":
                parent, child, scope = b, a, Scope.EXCLUDED
            case "OPTIONAL_DEPENDENCY_OF":
                parent, child, scope = b, a, Scope.OPTIONAL
            case _:
                continue
        edges.setdefault(parent, []).append(child)
        kinds.setdefault(child, set()).add(scope)
    root_ids = {d for d in described if d in ids}
    root_id = next(iter(root_ids)) if len(root_ids) == 1 and len(packages) > 1 else None
    root = None
    components: list[Component] = []
    for package in packages:
        if package.bom_ref == root_id:
            root = package
            continue
        scopes = kinds.get(package.bom_ref, {Scope.REQUIRED})
        scope = min(scopes, key=list(Scope).index)  # the strongest: required, optional, excluded
        components.append(_replace_scope(package, scope))
    dependencies = tuple(
        Dependency(ref=ref, depends_on=tuple(dict.fromkeys(targets)))
        for ref, targets in edges.items()
    )
    return Inventory(root=root, components=tuple(components), dependencies=dependencies)


def _replace_scope(component: Component, scope: Scope) -> Component:
    return component if component.scope is scope else replace(component, scope=scope)
