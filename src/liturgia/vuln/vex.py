"""VEX input: OpenVEX and CycloneDX VEX statements that suppress findings.

* OpenVEX (v0.2.0 spec, also the v0.0.1 string form of ``vulnerability``): each statement names
  a vulnerability, ``products`` and optional ``subcomponents``; status ``not_affected`` (with a
  ``justification`` or ``impact_statement``) and ``fixed`` suppress. When several statements
  speak of the same vulnerability and product, the latest ``timestamp`` wins (OpenVEX spec
  "Statement ordering"), so a later ``affected`` revokes an earlier ``not_affected``.
* CycloneDX VEX (1.4-1.6 ``vulnerabilities[]``): ``analysis.state`` ``not_affected``,
  ``false_positive``, ``resolved`` and ``resolved_with_pedigree`` suppress; each ``affects[].ref``
  names a component by ``bom-ref`` (mapped to its purl through the document's components when
  present) or by purl, or a BOM-Link ``urn:cdx:...#ref``.

The justification travels into the finding's ``suppression_reason``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from liturgia._internal.jsonshape import json_array as _array
from liturgia.errors import InputError
from liturgia.vuln.limits import MAX_DOCUMENT_BYTES, read_limited
from liturgia.vuln.scanner import Suppression

__all__ = ["load_vex", "parse_vex"]

_OPENVEX_SUPPRESS = frozenset({"not_affected", "fixed"})
_CDX_SUPPRESS = frozenset({"not_affected", "false_positive", "resolved", "resolved_with_pedigree"})


def _ids(value: object) -> list[str]:
    """Product/subcomponent identifiers: strings or ``{"@id": ...}`` objects."""
    items = value if isinstance(value, list) else []
    found: list[str] = []
    for item in items:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            ident = item.get("@id")
            if isinstance(ident, str):
                found.append(ident)
            identifiers = item.get("identifiers")
            if isinstance(identifiers, dict) and isinstance(identifiers.get("purl"), str):
                found.append(identifiers["purl"])
    return found


def _openvex(document: dict[str, Any], source: str) -> tuple[Suppression, ...]:
    statements = document.get("statements")
    if not isinstance(statements, list):
        raise InputError(f"{source}: OpenVEX document without a 'statements' list")
    default_time = str(document.get("timestamp", ""))
    latest: dict[tuple[str, str], tuple[str, int, dict[str, Any]]] = {}
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            raise InputError(f"{source}: statements[{index}]: expected an object")
        vulnerability = statement.get("vulnerability")
        name = vulnerability.get("name") if isinstance(vulnerability, dict) else vulnerability
        status = statement.get("status")
        if not isinstance(name, str) or not isinstance(status, str):
            raise InputError(f"{source}: statements[{index}]: needs 'vulnerability' and 'status'")
        targets = _ids(statement.get("subcomponents")) or _ids(statement.get("products"))
        if not targets:
            raise InputError(f"{source}: statements[{index}]: names no product")
        stamp = str(statement.get("timestamp", default_time))
        for target in targets:
            key = (name, target)
            previous = latest.get(key)
            if previous is None or (stamp, index) >= previous[:2]:
                latest[key] = (stamp, index, statement)
    found: list[Suppression] = []
    for (name, target), (_stamp, _index, statement) in sorted(latest.items()):
        status = statement["status"]
        if status not in _OPENVEX_SUPPRESS:
            continue
        detail = [
            str(statement[field])
            for field in ("justification", "impact_statement", "status_notes")
            if statement.get(field)
        ]
        found.append(
            Suppression(
                id=name,
                component=target if target.startswith("pkg:") else None,
                reason=": ".join([status, *detail]),
                source=source,
            )
        )
    return tuple(found)


def _cyclonedx(document: dict[str, Any], source: str) -> tuple[Suppression, ...]:
    vulnerabilities = document.get("vulnerabilities")
    if not isinstance(vulnerabilities, list):
        raise InputError(f"{source}: CycloneDX document without 'vulnerabilities' (not a VEX)")
    purls: dict[str, str] = {}
    stack = list(_array(document.get("components"), "components", source))
    while stack:
        component = stack.pop()
        if isinstance(component, dict):
            ref, purl = component.get("bom-ref"), component.get("purl")
            if isinstance(ref, str) and isinstance(purl, str):
                purls[ref] = purl
            stack.extend(_array(component.get("components"), "components[].components", source))
    found: list[Suppression] = []
    for index, vulnerability in enumerate(vulnerabilities):
        if not isinstance(vulnerability, dict) or not isinstance(vulnerability.get("id"), str):
            raise InputError(f"{source}: vulnerabilities[{index}]: needs an 'id'")
        analysis = vulnerability.get("analysis") or {}
        state = analysis.get("state") if isinstance(analysis, dict) else None
        if not isinstance(state, str) or state not in _CDX_SUPPRESS:  # a list is not hashable
            continue
        detail = [str(analysis[f]) for f in ("justification", "detail") if analysis.get(f)]
        affects = _array(vulnerability.get("affects"), f"vulnerabilities[{index}].affects", source)
        for affect in affects:
            ref = affect.get("ref") if isinstance(affect, dict) else None
            if not isinstance(ref, str):
                raise InputError(f"{source}: vulnerabilities[{index}].affects: needs a 'ref'")
            if ref.startswith("urn:cdx:") and "#" in ref:
                ref = ref.split("#", 1)[1]
            found.append(
                Suppression(
                    id=vulnerability["id"],
                    component=purls.get(ref, ref),
                    reason=": ".join([str(state), *detail]),
                    source=source,
                )
            )
    return tuple(found)


def parse_vex(data: bytes, *, source: str) -> tuple[Suppression, ...]:
    """Parse an OpenVEX or CycloneDX VEX JSON document into suppressions.

    Args:
        data: the document's bytes.
        source: its name, used in messages and in each suppression's ``source``.

    Returns:
        Suppressions for the statements that say "not affected" or "fixed".

    Raises:
        InputError: not JSON, neither OpenVEX nor CycloneDX, or a malformed statement.
    """
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise InputError(f"{source}: not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{source}: not a usable VEX document: JSON nested too deeply") from exc
    if not isinstance(document, dict):
        raise InputError(f"{source}: expected a JSON object")
    context = str(document.get("@context", ""))
    if "openvex" in context:
        return _openvex(document, source)
    if document.get("bomFormat") == "CycloneDX":
        return _cyclonedx(document, source)
    raise InputError(f"{source}: neither OpenVEX (@context) nor CycloneDX (bomFormat) VEX")


def load_vex(path: Path) -> tuple[Suppression, ...]:
    """Read a VEX file; see :func:`parse_vex`.

    Raises:
        InputError: the file is missing, unreadable or not a VEX document.
    """
    data = read_limited(path, limit=MAX_DOCUMENT_BYTES, what="VEX document")
    return parse_vex(data, source=str(path))
