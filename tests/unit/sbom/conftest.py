"""Fixtures of the SBOM tests: the shared corpus of real lockfiles."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ../shared/corpus/sbom relative to the project root, computed from this file's location.
SBOM_CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "sbom"


@pytest.fixture
def corpus() -> Path:
    """The read-only SBOM corpus folder."""
    assert SBOM_CORPUS.is_dir(), SBOM_CORPUS
    return SBOM_CORPUS
