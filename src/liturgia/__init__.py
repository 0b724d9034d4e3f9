"""liturgia: a software release as a verifiable, gated event.

Subpackages, one per capability (dependencies point down):

- ``liturgia.sbom``: catalogers and CycloneDX/SPDX documents.
- ``liturgia.vuln``: OSV advisory databases and matching.
- ``liturgia.sign``: keys, Sigstore bundles, DSSE envelopes.
- ``liturgia.tlog``: the RFC 9162 Merkle transparency log.
- ``liturgia.release``: versioning, notes, gates and the release pipeline.
- ``liturgia.cli``: the ``liturgia`` command (nothing imports it).
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
