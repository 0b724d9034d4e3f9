"""SPDX 2.3 JSON: write an Inventory, validate a document with spdx-tools.

Mapping (SPDX 2.3 specification, clauses cited):

- Each component is a Package (§7): ``name``, ``versionInfo``, ``primaryPackagePurpose``
  (LIBRARY, APPLICATION, FILE), ``checksums`` (§7.10, algorithms spelled SHA256...), the purl as
  an ``externalRefs`` entry of category PACKAGE-MANAGER, type ``purl`` (Annex F), the licences
  as ``licenseDeclared`` (§7.15, one expression, ``AND``-joined; a name that is not an SPDX
  expression becomes a ``LicenseRef-`` with its text under ``hasExtractedLicensingInfos``,
  §10), ``downloadLocation``/``licenseConcluded``/``copyrightText`` NOASSERTION (we did not
  look), ``filesAnalyzed`` false, and the file it was found in as ``sourceInfo``.
  Release artifacts are Packages with purpose FILE: an SPDX File (§8) requires a SHA-1 checksum,
  which an artifact component does not carry.
- The document DESCRIBES the root (§11). An edge A -> B is ``A DEPENDS_ON B``, except when B is
  development-only (scope excluded): ``B DEV_DEPENDENCY_OF A``, or optional:
  ``B OPTIONAL_DEPENDENCY_OF A`` (§11.1 relationship types). A dev or optional component no edge
  reaches is related to the root the same way, so the policy is visible on every component.
- ``documentNamespace`` ends in a UUIDv5 of the content and ``created`` is
  :func:`liturgia._internal.clock.now`, so output is reproducible under ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from collections.abc import Sequence
from typing import Any

from liturgia import __version__
from liturgia._internal.clock import now
from liturgia._internal.jsonstream import Stream, write_json
from liturgia.errors import PolicyError
from liturgia.model import Component, ComponentType, Inventory, Scope
from liturgia.sbom._licence import is_spdx_expression
from liturgia.sbom.formats._json import versioned_json
from liturgia.sbom.formats._serial import content_digest

__all__ = ["CHECKSUM_ALGORITHMS", "to_spdx_json", "validate_spdx_json"]

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://liturgia.invalid/sbom/spdx")
#: CycloneDX hash algorithm name -> SPDX 2.3 checksum algorithm (§7.10).
CHECKSUM_ALGORITHMS = {
    "SHA-1": "SHA1",
    "SHA-256": "SHA256",
    "SHA-384": "SHA384",
    "SHA-512": "SHA512",
    "MD5": "MD5",
}
_PURPOSE = {
    ComponentType.APPLICATION: "APPLICATION",
    ComponentType.LIBRARY: "LIBRARY",
    ComponentType.FILE: "FILE",
}
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def _spdx_id(component: Component) -> str:
    """``SPDXRef-<name>-<version>-<8 hex of the ref>`` (§7.2: letters, digits, ``.`` and ``-``)."""
    label = _ID_UNSAFE.sub("-", f"{component.name}-{component.version or ''}").strip("-")
    digest = hashlib.sha256(component.ref.encode("utf-8")).hexdigest()[:8]
    return f"SPDXRef-Package-{label}-{digest}"


def _licence_ref(text: str) -> str:
    return "LicenseRef-" + (_ID_UNSAFE.sub("-", text).strip("-") or "unnamed")


def _declared(licences: Sequence[str], extracted: dict[str, str]) -> str:
    """One SPDX expression for a component's licences, registering non-SPDX names."""
    if not licences:
        return "NOASSERTION"
    parts = []
    for text in licences:
        if is_spdx_expression(text):
            parts.append(text if len(licences) == 1 else f"({text})")
        else:
            ref = _licence_ref(text)
            extracted[ref] = text
            parts.append(ref)
    return " AND ".join(parts)


def _package(component: Component, extracted: dict[str, str]) -> dict[str, Any]:
    package: dict[str, Any] = {
        "SPDXID": _spdx_id(component),
        "name": component.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": _declared(component.licenses, extracted),
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": _PURPOSE[component.type],
    }
    if component.version is not None:
        package["versionInfo"] = component.version
    checksums = [
        {"algorithm": CHECKSUM_ALGORITHMS[h.algorithm], "checksumValue": h.value}
        for h in component.hashes
        if h.algorithm in CHECKSUM_ALGORITHMS
    ]
    if checksums:
        package["checksums"] = checksums
    if component.purl:
        package["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": component.purl,
            }
        ]
    if component.found_in:
        package["sourceInfo"] = f"found in {component.found_in}"
    return package


def _relationships(
    inventory: Inventory, ids: dict[str, str], scopes: dict[str, Scope], root_id: str | None
) -> list[dict[str, str]]:
    out: list[tuple[str, str, str]] = []
    reached: set[str] = set()
    for dep in inventory.dependencies:
        if dep.ref not in ids:
            continue
        for target in dep.depends_on:
            if target not in ids:
                continue
            reached.add(target)
            scope = scopes.get(target, Scope.REQUIRED)
            if scope is Scope.EXCLUDED:
                out.append((ids[target], "DEV_DEPENDENCY_OF", ids[dep.ref]))
            elif scope is Scope.OPTIONAL:
                out.append((ids[target], "OPTIONAL_DEPENDENCY_OF", ids[dep.ref]))
            else:
                out.append((ids[dep.ref], "DEPENDS_ON", ids[target]))
    if root_id is not None:
        for ref, scope in scopes.items():
            if ref in reached or ref not in ids:
                continue
            if scope is Scope.EXCLUDED:
                out.append((ids[ref], "DEV_DEPENDENCY_OF", root_id))
            elif scope is Scope.OPTIONAL:
                out.append((ids[ref], "OPTIONAL_DEPENDENCY_OF", root_id))
    # §11: a document with several packages must say which it describes; with no project root,
    # it describes every package it lists.
    targets = [root_id] if root_id else sorted(ids.values())
    described = [("SPDXRef-DOCUMENT", "DESCRIBES", t) for t in targets]
    return [
        {"spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b}
        for a, kind, b in described + sorted(set(out))
    ]


def to_spdx_json(inventory: Inventory, *, artifacts: Sequence[Component] = ()) -> bytes:
    """Render an inventory (and release artifacts) as an SPDX 2.3 JSON document.

    See the module docstring for the mapping. Without a root, the document DESCRIBES every
    package.

    Returns:
        UTF-8 JSON bytes (sorted keys, one package and one relationship per line, final
        newline); the same for the same
        inventory and ``SOURCE_DATE_EPOCH``.
    """
    extracted: dict[str, str] = {}
    members = [*inventory.components, *artifacts]
    ids = {c.ref: _spdx_id(c) for c in members}
    packages = [_package(c, extracted) for c in members]
    root_id = None
    if inventory.root is not None:
        root_id = _spdx_id(inventory.root)
        ids[inventory.root.ref] = root_id
        packages.insert(0, _package(inventory.root, extracted))
    scopes = {c.ref: c.scope for c in inventory.components}
    created = now().strftime("%Y-%m-%dT%H:%M:%SZ")
    name = inventory.root.name if inventory.root else "sbom"
    if inventory.root and inventory.root.version:
        name = f"{name}-{inventory.root.version}"
    serial = uuid.uuid5(_NAMESPACE, content_digest(inventory, artifacts, created))
    doc: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": f"https://liturgia.invalid/spdx/{_ID_UNSAFE.sub('-', name)}-{serial}",
        "creationInfo": {"created": created, "creators": [f"Tool: liturgia-{__version__}"]},
        **_warnings_comment(inventory),
        "packages": Stream(packages),
        "relationships": Stream(_relationships(inventory, ids, scopes, root_id)),
    }
    if extracted:
        doc["hasExtractedLicensingInfos"] = [
            {"licenseId": ref, "extractedText": text, "name": text}
            for ref, text in sorted(extracted.items())
        ]
    buffer = io.BytesIO()
    write_json(buffer, doc)
    return buffer.getvalue()


def _warnings_comment(inventory: Inventory) -> dict[str, str]:
    """SPDX 2.3 §6.10 document ``comment``: every cataloging warning, one per line."""
    if not inventory.warnings:
        return {}
    lines = [f"liturgia: {len(inventory.warnings)} inputs could not be (fully) read:"]
    return {"comment": "\n".join([*lines, *inventory.warnings])}


def validate_spdx_json(data: bytes, *, source: str) -> None:
    """Validate an SPDX 2.3 JSON document with spdx-tools (parse, then full validation).

    Raises:
        PolicyError: ``"<source>: not a valid SPDX 2.3 document: <first problem>"``, also for
            non-JSON bytes; or spdx-tools is not installed (the message names it).
    """
    prefix = f"{source}: not a valid SPDX 2.3 document"
    try:
        from spdx_tools.spdx.parser.error import SPDXParsingError  # noqa: PLC0415 - heavy
        from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import (  # noqa: PLC0415
            JsonLikeDictParser,
        )
        from spdx_tools.spdx.validation.document_validator import (  # noqa: PLC0415
            validate_full_spdx_document,
        )
    except ImportError as exc:  # pragma: no cover - spdx-tools is a test/runtime dependency
        raise PolicyError(f"{source}: SPDX validation needs the spdx-tools package") from exc
    _, doc = versioned_json(data, prefix=prefix, key="spdxVersion", expected="SPDX-2.3")
    try:
        document = JsonLikeDictParser().parse(doc)  # type: ignore[no-untyped-call]
    except SPDXParsingError as exc:
        messages = exc.get_messages()  # type: ignore[no-untyped-call]
        raise PolicyError(f"{prefix}: {messages[0] if messages else exc}") from exc
    problems = validate_full_spdx_document(document, "SPDX-2.3")
    if problems:
        raise PolicyError(f"{prefix}: {problems[0].validation_message}")
