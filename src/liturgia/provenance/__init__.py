"""Provenance: in-toto Statements v1, SLSA provenance predicates, signed attestations."""

from __future__ import annotations

from liturgia.provenance.attest import attest, verify_attestation_bundle
from liturgia.provenance.predicates import (
    PredicateType,
    Scanner,
    VulnFinding,
    build_test_result_predicate,
    resource_descriptor,
    sbom_predicate,
    vulns_predicate,
)
from liturgia.provenance.slsa import (
    LITURGIA_BUILD_TYPE,
    BuildRun,
    GitSource,
    provenance_statement,
    slsa_provenance_predicate,
)
from liturgia.provenance.statement import (
    STATEMENT_TYPE,
    Statement,
    Subject,
    parse_statement,
    statement_for_files,
    subject_for_file,
)

__all__ = [
    "LITURGIA_BUILD_TYPE",
    "STATEMENT_TYPE",
    "BuildRun",
    "GitSource",
    "PredicateType",
    "Scanner",
    "Statement",
    "Subject",
    "VulnFinding",
    "attest",
    "build_test_result_predicate",
    "parse_statement",
    "provenance_statement",
    "resource_descriptor",
    "sbom_predicate",
    "slsa_provenance_predicate",
    "statement_for_files",
    "subject_for_file",
    "verify_attestation_bundle",
    "vulns_predicate",
]
