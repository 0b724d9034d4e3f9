"""Fixtures shared by every test: paths to the project, its example and the test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "vertice"
#: The committed test fixtures (advisories, lockfiles, Merkle vectors, keys); see its README.md.
CORPUS = ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep keys and caches out of the real home folder; no password unless a test sets one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # A release records its bundles in the embedded transparency log under the state folder.
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("LITURGIA_TLOG_URL", raising=False)
    monkeypatch.delenv("LITURGIA_TLOG_KEY", raising=False)
    monkeypatch.delenv("LITURGIA_KEY", raising=False)
    monkeypatch.delenv("LITURGIA_PASSWORD", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
