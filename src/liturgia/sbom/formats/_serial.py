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

__all__ = ["SERIAL_NAMESPACE", "serial_number"]

#: Namespace of the content-derived serial numbers (a UUIDv5 of a fixed URL).
SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://liturgia.invalid/sbom/serial")


def serial_number(
    inventory: Inventory, artifacts: Sequence[Component], timestamp: datetime
) -> uuid.UUID:
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
