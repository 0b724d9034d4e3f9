"""Predicate type URIs of the attestations liturgia makes (in-toto attestation framework)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PredicateType"]


class PredicateType(StrEnum):
    """Well-known predicate types (in-toto/attestation ``spec/predicates``; slsa.dev)."""

    #: SLSA Provenance v1 (slsa.dev/spec/v1.0/provenance).
    SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
    #: A CycloneDX BOM as the predicate (predicates/cyclonedx.md).
    CYCLONEDX = "https://cyclonedx.org/bom"
    #: An SPDX 2.x document as the predicate (predicates/spdx.md).
    SPDX = "https://spdx.dev/Document"
    #: Vulnerability scan results, v0.2 (predicates/vulns_02.md).
    VULNS = "https://in-toto.io/attestation/vulns/v0.2"
    #: Test results (predicates/test-result.md).
    TEST_RESULT = "https://in-toto.io/attestation/test-result/v0.1"
