"""Severity ratings and their derivation from CVSS vectors (OSV schema §severity).

Scores are computed from the vector with the ``cvss`` package (CVSS v3.0/v3.1 base score per the
FIRST v3.1 specification §7, CVSS v4.0 per the v4.0 specification's MacroVector lookup); the
rating uses the qualitative scale shared by v3.1 §5 and v4.0 §6: 0.0 None, 0.1-3.9 Low,
4.0-6.9 Medium, 7.0-8.9 High, 9.0-10.0 Critical.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

__all__ = ["Severity", "SeverityAssessment", "assess_severity", "rating_for_score"]


class Severity(StrEnum):
    """Qualitative severity of a finding; ``UNKNOWN`` when no advisory states one.

    ``rank`` orders the ratings for gates (NONE 0 ... CRITICAL 4). UNKNOWN has no inherent
    rank: :meth:`rank_with` places it where the unknown-severity policy says; ``rank`` uses the
    default policy, which ranks it with HIGH so that it fails a HIGH gate (never fail open).
    """

    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"

    @property
    def rank(self) -> int:
        """Rank under the default policy (UNKNOWN ranked as HIGH)."""
        return self.rank_with(unknown_as=Severity.HIGH)

    def rank_with(self, *, unknown_as: Severity) -> int:
        """Rank with UNKNOWN placed as ``unknown_as`` (itself not UNKNOWN).

        Raises:
            ValueError: ``unknown_as`` is UNKNOWN.
        """
        if unknown_as is Severity.UNKNOWN:
            raise ValueError("unknown_as must be a known severity")
        if self is Severity.UNKNOWN:
            return _RANKS[unknown_as]
        return _RANKS[self]


_RANKS = {
    Severity.NONE: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}

#: GitHub's ``database_specific.severity`` words (GHSA) -> rating.
_WORDS = {
    "NONE": Severity.NONE,
    "LOW": Severity.LOW,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "HIGH": Severity.HIGH,
    "CRITICAL": Severity.CRITICAL,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SeverityAssessment:
    """A rating with where it came from.

    Attributes:
        severity: the rating.
        score: CVSS base score (0.0-10.0) when derived from a vector, else ``None``.
        source: human-readable provenance, e.g. ``"CVSS_V3 CVSS:3.1/AV:N/... = 9.8"``.
        vector: the CVSS vector the score came from, else ``None``.
    """

    severity: Severity
    score: float | None
    source: str
    vector: str | None = None


def rating_for_score(score: float) -> Severity:
    """Return the CVSS qualitative rating of a base score (CVSS v3.1 §5 / v4.0 §6)."""
    if score <= 0.0:
        return Severity.NONE
    if score < 4.0:
        return Severity.LOW
    if score < 7.0:
        return Severity.MEDIUM
    if score < 9.0:
        return Severity.HIGH
    return Severity.CRITICAL


@lru_cache(maxsize=16384)
def _score(kind: str, vector: str) -> float | None:
    try:
        if kind == "CVSS_V4":
            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V3":
            return float(CVSS3(vector).scores()[0])
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def assess_severity(
    vectors: tuple[tuple[str, str], ...], database_severity: str | None
) -> tuple[SeverityAssessment, tuple[str, ...]]:
    """Rate one advisory from its ``severity`` entries, else its database's own word.

    CVSS v4.0 is preferred over v3.x when both are given (the newer method); an invalid vector
    is reported and skipped. ``database_specific.severity`` (GHSA's LOW/MODERATE/HIGH/CRITICAL)
    is the fallback; with neither the rating is UNKNOWN (Go's vulndb states no severity).

    Args:
        vectors: ``(type, score)`` pairs from OSV ``severity[]`` (``CVSS_V3``, ``CVSS_V4``...).
        database_severity: ``database_specific.severity`` when present.

    Returns:
        The assessment and problems found (one line each, e.g. an invalid vector).
    """
    problems: list[str] = []
    for wanted in ("CVSS_V4", "CVSS_V3"):
        for kind, vector in vectors:
            if kind != wanted:
                continue
            score = _score(kind, vector)
            if score is None:
                problems.append(f"invalid {kind} vector {vector!r}")
                continue
            return (
                SeverityAssessment(
                    severity=rating_for_score(score),
                    score=score,
                    source=f"{kind} {vector} = {score:.1f}",
                    vector=vector,
                ),
                tuple(problems),
            )
    if database_severity is not None:
        word = _WORDS.get(database_severity.strip().upper())
        if word is not None:
            return (
                SeverityAssessment(
                    severity=word,
                    score=None,
                    source=f"database_specific.severity {database_severity}",
                ),
                tuple(problems),
            )
        problems.append(f"unknown database_specific.severity {database_severity!r}")
    return (
        SeverityAssessment(
            severity=Severity.UNKNOWN, score=None, source="the advisory states no severity"
        ),
        tuple(problems),
    )
