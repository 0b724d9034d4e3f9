"""CycloneDX 1.6 JSON and XML: write an Inventory, validate a document.

The JSON document is written directly (plain dicts, streamed with sorted keys, one component per
line, by :mod:`liturgia._internal.jsonstream`): the
cyclonedx-python-lib model takes ten times as long to build and serialize a 500-component
document, which would make ``liturgia sbom`` slower than the tools it replaces. Its shape is the
one the library writes, and every corpus input's document is validated in the tests by the
library's ``JsonStrictValidator`` (the official CycloneDX 1.6 JSON schema,
``additionalProperties: false``). The XML form goes through the library's model and its XSD
validator. Reproducible: the timestamp comes from :func:`liturgia._internal.clock.now`
(``SOURCE_DATE_EPOCH``), and the ``serialNumber`` (CycloneDX 1.6 §serialNumber, an RFC 4122
URN) is a UUIDv5 of the SHA-256 of the document's content (components, edges, artifacts,
timestamp, liturgia version), so the same inventory gives the same bytes and a different one a
different serial.

Licences (CycloneDX allows several ``license`` objects or exactly one ``expression``): a value
that is an SPDX licence identifier of the schema's list becomes ``{"license": {"id": ...}}``, a
valid SPDX expression ``{"expression": ...}``, anything else ``{"license": {"name": ...}}``;
several values of which one is an expression are joined into one ``(A) AND (B)`` expression.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import IO, Any

from liturgia import __version__
from liturgia._internal.clock import now
from liturgia._internal.jsonstream import Stream, write_json
from liturgia.errors import PolicyError
from liturgia.model import Component, Inventory
from liturgia.sbom._licence import is_spdx_expression
from liturgia.sbom.formats._json import versioned_json
from liturgia.sbom.formats._serial import WARNING_PROPERTY, serial_number

__all__ = [
    "serial_number",
    "to_cyclonedx_json",
    "to_cyclonedx_xml",
    "validate_cyclonedx_json",
    "validate_cyclonedx_xml",
    "write_cyclonedx_json",
]

SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"


def _spdx_id(value: str) -> str | None:
    """The canonical spelling of an SPDX licence id of the CycloneDX schema's enum, or None."""
    from cyclonedx.spdx import fixup_id  # noqa: PLC0415 - only documents with licences need it

    return fixup_id(value)


def _licence_entry(value: str) -> dict[str, Any]:
    spdx_id = _spdx_id(value)
    if spdx_id is not None:
        return {"license": {"id": spdx_id}}
    if is_spdx_expression(value):
        return {"expression": value}
    return {"license": {"name": value}}


def licence_entries(values: Sequence[str]) -> list[dict[str, Any]]:
    """CycloneDX ``licenses`` for a component's licence strings (see the module docstring)."""
    entries = [_licence_entry(v) for v in values]
    if all("license" in e for e in entries) or len(entries) == 1:
        return entries
    return [{"expression": " AND ".join(f"({v})" for v in values)}]


def _component(component: Component) -> dict[str, Any]:
    out: dict[str, Any] = {
        "bom-ref": component.ref,
        "name": component.name,
        "type": component.type.value,
        "scope": component.scope.value,
    }
    if component.version is not None:
        out["version"] = component.version
    if component.purl:
        out["purl"] = component.purl
    if component.hashes:
        out["hashes"] = [{"alg": h.algorithm, "content": h.value} for h in component.hashes]
    if component.licenses:
        out["licenses"] = licence_entries(component.licenses)
    if component.found_in:
        out["evidence"] = {"occurrences": [{"location": component.found_in}]}
    return out


def _document(inventory: Inventory, artifacts: Sequence[Component]) -> dict[str, Any]:
    timestamp = now()
    members = [*inventory.components, *artifacts]
    metadata: dict[str, Any] = {
        "timestamp": timestamp.isoformat(),
        "tools": {
            "components": [{"type": "application", "name": "liturgia", "version": __version__}]
        },
    }
    if inventory.warnings:
        metadata["properties"] = [
            {"name": WARNING_PROPERTY, "value": warning} for warning in inventory.warnings
        ]
    refs = [c.ref for c in members]
    if inventory.root is not None:
        metadata["component"] = _component(inventory.root)
        refs.insert(0, inventory.root.ref)
    known = set(refs)
    edges = {d.ref: d.depends_on for d in inventory.dependencies}

    def dependencies() -> Iterator[dict[str, Any]]:
        for ref in sorted(known):
            entry: dict[str, Any] = {"ref": ref}
            targets = [t for t in edges.get(ref, ()) if t in known]
            if targets:
                entry["dependsOn"] = targets
            yield entry

    return {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial_number(inventory, artifacts, timestamp).urn,
        "version": 1,
        "metadata": metadata,
        "components": Stream(_component(c) for c in members),
        "dependencies": Stream(dependencies()),
    }


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
        tests check every corpus input); validating costs several times writing, so callers
        that gate on it (the release gate) call :func:`validate_cyclonedx_json` themselves.
    """
    buffer = io.BytesIO()
    write_cyclonedx_json(inventory, buffer, artifacts=artifacts)
    return buffer.getvalue()


def write_cyclonedx_json(
    inventory: Inventory, out: IO[bytes], *, artifacts: Sequence[Component] = ()
) -> None:
    """Stream the document of :func:`to_cyclonedx_json` to ``out``.

    Components and dependency entries are encoded one per line as they are produced
    (:mod:`liturgia._internal.jsonstream`): time and memory stay linear in the inventory.

    Raises:
        OSError: writing to ``out`` failed.
    """
    write_json(out, _document(inventory, artifacts))


def to_cyclonedx_xml(inventory: Inventory, *, artifacts: Sequence[Component] = ()) -> bytes:
    """Render the same document as :func:`to_cyclonedx_json` in CycloneDX 1.6 XML.

    Returns:
        UTF-8 XML bytes (namespace ``http://cyclonedx.org/schema/bom/1.6``), reproducible like the
        JSON form; valid against the official XSD (:func:`validate_cyclonedx_xml`).
    """
    from liturgia.sbom.formats._cyclonedx_lib import render_xml  # noqa: PLC0415 - heavy

    return (render_xml(inventory, artifacts) + "\n").encode("utf-8")


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
    from cyclonedx.schema import SchemaVersion  # noqa: PLC0415
    from cyclonedx.validation.xml import XmlValidator  # noqa: PLC0415 - lxml, only when used

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
    text, _ = versioned_json(data, prefix=prefix, key="specVersion", expected="1.6")
    # Imported here: jsonschema's format checkers cost ~1.7 s to import (rfc3987-syntax builds a
    # grammar), which every `liturgia sbom` run would otherwise pay without validating.
    from cyclonedx.schema import SchemaVersion  # noqa: PLC0415
    from cyclonedx.validation.json import JsonStrictValidator  # noqa: PLC0415

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        message = str(getattr(error, "data", error)).splitlines()[0]
        raise PolicyError(f"{prefix}: {message}")
