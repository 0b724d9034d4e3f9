"""SBOM document formats; CycloneDX and SPDX objects exist only inside this package.

Writers (:func:`to_cyclonedx_json`, :func:`to_cyclonedx_xml`, :func:`to_spdx_json`), their
validators, and one reader for all of them: :func:`read_sbom`.
"""

from __future__ import annotations

from liturgia.sbom.formats.cyclonedx import (
    artifact_digests,
    to_cyclonedx_json,
    to_cyclonedx_xml,
    validate_cyclonedx_json,
    validate_cyclonedx_xml,
)
from liturgia.sbom.formats.read import SbomFormat, detect_format, read_sbom
from liturgia.sbom.formats.spdx import to_spdx_json, validate_spdx_json

__all__ = [
    "SbomFormat",
    "artifact_digests",
    "detect_format",
    "read_sbom",
    "to_cyclonedx_json",
    "to_cyclonedx_xml",
    "to_spdx_json",
    "validate_cyclonedx_json",
    "validate_cyclonedx_xml",
    "validate_spdx_json",
]
