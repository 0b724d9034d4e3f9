"""liturgia: a software release as a verifiable, gated event.

Subpackages, one per capability (dependencies point down; import-linter checks the layers):

- ``liturgia.cli``: the ``liturgia`` command, a thin adapter (nothing imports it).
- ``liturgia.server``: ``liturgia serve``, the transparency log's HTTP API (needs ``server``).
- ``liturgia.publish``: ``liturgia publish``: a verified release uploaded to registries
  (PyPI-compatible, npm, OCI), each file once, read back and recorded.
- ``liturgia.release``: versioning, notes, gates, the release pipeline and ``verify``.
- ``liturgia.provenance``: in-toto statements, SLSA provenance, signed attestations.
- ``liturgia.vuln``: OSV advisory databases and matching, scans, VEX and reports.
- ``liturgia.sbom``: catalogers and CycloneDX/SPDX documents (written and read back).
- ``liturgia.sign``: keys and signer backends, Sigstore bundles, DSSE envelopes.
- ``liturgia.tlog``: the RFC 9162 Merkle transparency log and its storage.
- ``liturgia._internal``: private helpers below them all (files, clock, HTTP, XDG folders,
  optional extras, and the transparency-log verification that sign, tlog and release share).

Modules at the bottom: ``liturgia.config`` (the configuration file), ``liturgia.model`` (the
values subsystems hand each other) and ``liturgia.errors`` (the one error tree, exit codes).
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
