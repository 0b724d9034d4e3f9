"""Components to scan, read from an SBOM file: CycloneDX JSON (1.2-1.6) or SPDX 2.x JSON.

Every component of the document is returned, nested ones included; none is dropped for lacking a
purl or version (the scanner lists those as unchecked). SPDX packages take their purl from
``externalRefs`` of type ``purl`` (SPDX 2.3 §7.21) and their version from ``versionInfo``.
"""

from __future__ import annotations

import json
from typing import Any

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType

__all__ = ["components_from_sbom"]

_TYPES = {t.value: t for t in ComponentType}


def _cyclonedx(document: dict[str, Any], source: str) -> tuple[Component, ...]:
    found: list[Component] = []
    stack: list[tuple[str, Any]] = [
        (f"components[{i}]", c) for i, c in enumerate(document.get("components") or [])
    ]
    while stack:
        where, item = stack.pop()
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InputError(f"{source}: {where}: a component needs a 'name'")
        version = item.get("version")
        purl = item.get("purl")
        ref = item.get("bom-ref")
        found.append(
            Component(
                name=item["name"] if not item.get("group") else f"{item['group']}/{item['name']}",
                version=version if isinstance(version, str) and version else None,
                type=_TYPES.get(str(item.get("type")), ComponentType.LIBRARY),
                purl=purl if isinstance(purl, str) and purl else None,
                bom_ref=ref if isinstance(ref, str) else "",
            )
        )
        stack.extend(
            (f"{where}.components[{i}]", c) for i, c in enumerate(item.get("components") or [])
        )
    return tuple(found)


def _spdx(document: dict[str, Any], source: str) -> tuple[Component, ...]:
    found: list[Component] = []
    for index, package in enumerate(document.get("packages") or []):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise InputError(f"{source}: packages[{index}]: a package needs a 'name'")
        purl = next(
            (
                ref.get("referenceLocator")
                for ref in package.get("externalRefs") or []
                if isinstance(ref, dict) and ref.get("referenceType") == "purl"
            ),
            None,
        )
        version = package.get("versionInfo")
        ident = package.get("SPDXID")
        found.append(
            Component(
                name=package["name"],
                version=version if isinstance(version, str) and version else None,
                purl=purl if isinstance(purl, str) else None,
                bom_ref=ident if isinstance(ident, str) else "",
            )
        )
    return tuple(found)


def components_from_sbom(data: bytes, *, source: str) -> tuple[Component, ...]:
    """Read the components of a CycloneDX or SPDX JSON document.

    Args:
        data: the document's bytes.
        source: its name for messages.

    Returns:
        The components in document order (nested CycloneDX components after their parents).

    Raises:
        InputError: not JSON, or neither CycloneDX (``bomFormat``) nor SPDX (``spdxVersion``).
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not a JSON SBOM: {exc}") from exc
    if not isinstance(document, dict):
        raise InputError(f"{source}: not a JSON SBOM: expected an object")
    if document.get("bomFormat") == "CycloneDX":
        return _cyclonedx(document, source)
    if str(document.get("spdxVersion", "")).startswith("SPDX-"):
        return _spdx(document, source)
    raise InputError(f"{source}: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) SBOM")
