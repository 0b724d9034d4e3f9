"""SBOM document formats; CycloneDX and SPDX objects exist only inside this package."""

from __future__ import annotations

from liturgia.sbom.formats.cyclonedx import (
    artifact_digests,
    to_cyclonedx_json,
    validate_cyclonedx_json,
)

__all__ = ["artifact_digests", "to_cyclonedx_json", "validate_cyclonedx_json"]
