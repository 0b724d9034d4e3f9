"""Provenance: in-toto Statements v1, SLSA provenance predicates, signed attestations."""

from __future__ import annotations

from liturgia.provenance.attest import attest, verify_attestation_bundle
from liturgia.provenance.statement import (
    STATEMENT_TYPE,
    Statement,
    Subject,
    parse_statement,
    statement_for_files,
    subject_for_file,
)

__all__ = [
    "STATEMENT_TYPE",
    "Statement",
    "Subject",
    "attest",
    "parse_statement",
    "statement_for_files",
    "subject_for_file",
    "verify_attestation_bundle",
]
