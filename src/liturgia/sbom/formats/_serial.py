"""The content-derived ``serialNumber`` of a CycloneDX document (CycloneDX 1.6 §serialNumber).

Shared by the JSON writer (:mod:`liturgia.sbom.formats.cyclonedx`) and the XML one
(:mod:`liturgia.sbom.formats._cyclonedx_lib`), so both forms of one inventory carry one serial.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime

from liturgia import __version__
from liturgia.model import Component, Inventory

__all__ = ["SERIAL_NAMESPACE", "WARNING_PROPERTY", "content_digest", "serial_number"]

#: Namespace of the content-derived serial numbers (a UUIDv5 of a fixed URL).
SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://liturgia.invalid/sbom/serial")

#: ``metadata.properties`` name of each cataloging warning (CycloneDX 1.6 §properties: a name in
#: the tool's own namespace): an input that could not be read is said in the document itself,
#: so an SBOM missing an ecosystem never reads as complete.
WARNING_PROPERTY = "liturgia:warning"


def content_digest(inventory: Inventory, artifacts: Sequence[Component], *extra: str) -> str:
    """SHA-256 (hex) of everything a document says: the reprs of the frozen values, one by one.

    Hashed incrementally, so a 100,000-component inventory is never held as one string.
    """
    digest = hashlib.sha256()
    for value in (inventory.root, *inventory.components, *inventory.dependencies, *artifacts):
        digest.update(repr(value).encode("utf-8"))
        digest.update(b"\n")
    for warning in inventory.warnings:  # the document records them (WARNING_PROPERTY)
        digest.update(f"warning {warning}".encode())
        digest.update(b"\n")
    for text in extra:
        digest.update(text.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def serial_number(
    inventory: Inventory, artifacts: Sequence[Component], timestamp: datetime
) -> uuid.UUID:
    """UUIDv5 of :func:`content_digest` (with the timestamp and liturgia's version)."""
    return uuid.uuid5(
        SERIAL_NAMESPACE,
        content_digest(inventory, artifacts, timestamp.isoformat(), __version__),
    )
