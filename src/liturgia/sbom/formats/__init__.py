"""SBOM document formats; CycloneDX and SPDX objects exist only inside this package.

The writers (:func:`to_cyclonedx_json`, :func:`to_cyclonedx_xml`, :func:`to_spdx_json`) and the
one reader for all of them, :func:`read_sbom`. Each format's validator lives beside its writer
(:mod:`.cyclonedx`, :mod:`.spdx`).
"""

from __future__ import annotations

from liturgia.sbom.formats.cyclonedx import to_cyclonedx_json, to_cyclonedx_xml
from liturgia.sbom.formats.read import SbomFormat, detect_format, read_sbom
from liturgia.sbom.formats.spdx import to_spdx_json

__all__ = [
    "SbomFormat",
    "detect_format",
    "read_sbom",
    "to_cyclonedx_json",
    "to_cyclonedx_xml",
    "to_spdx_json",
]
