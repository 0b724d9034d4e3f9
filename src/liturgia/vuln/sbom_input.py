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


def _array(value: object, where: str, source: str) -> list[Any]:
    """``value`` when it is a JSON array, ``[]`` when absent; else an error naming the field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{source}: {where}: expected an array, found {type(value).__name__}")
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _cyclonedx(document: dict[str, Any], source: str) -> tuple[Component, ...]:
    found: list[Component] = []
    stack: list[tuple[str, Any]] = [
        (f"components[{i}]", c)
        for i, c in enumerate(_array(document.get("components"), "components", source))
    ]
    while stack:
        where, item = stack.pop()
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InputError(f"{source}: {where}: a component needs a 'name'")
        group = _text(item.get("group"))
        found.append(
            Component(
                name=f"{group}/{item['name']}" if group else item["name"],
                version=_text(item.get("version")),
                type=_TYPES.get(str(item.get("type")), ComponentType.LIBRARY),
                purl=_text(item.get("purl")),
                bom_ref=_text(item.get("bom-ref")) or "",
            )
        )
        children = _array(item.get("components"), f"{where}.components", source)
        stack.extend((f"{where}.components[{i}]", c) for i, c in enumerate(children))
    return tuple(found)


def _spdx(document: dict[str, Any], source: str) -> tuple[Component, ...]:
    found: list[Component] = []
    for index, package in enumerate(_array(document.get("packages"), "packages", source)):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise InputError(f"{source}: packages[{index}]: a package needs a 'name'")
        refs = _array(package.get("externalRefs"), f"packages[{index}].externalRefs", source)
        purl = next(
            (
                ref.get("referenceLocator")
                for ref in refs
                if isinstance(ref, dict) and ref.get("referenceType") == "purl"
            ),
            None,
        )
        found.append(
            Component(
                name=package["name"],
                version=_text(package.get("versionInfo")),
                purl=_text(purl),
                bom_ref=_text(package.get("SPDXID")) or "",
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
        InputError: not JSON (or nested too deeply), neither CycloneDX (``bomFormat``) nor SPDX
            (``spdxVersion``), or a field of the wrong type (the message names it).
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not a JSON SBOM: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{source}: not a usable SBOM: JSON nested too deeply") from exc
    if not isinstance(document, dict):
        raise InputError(f"{source}: not a JSON SBOM: expected an object")
    if document.get("bomFormat") == "CycloneDX":
        return _cyclonedx(document, source)
    if str(document.get("spdxVersion", "")).startswith("SPDX-"):
        return _spdx(document, source)
    raise InputError(f"{source}: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) SBOM")
