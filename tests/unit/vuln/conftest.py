"""Fixtures for the vulnerability tests: real OSV records (tests/fixtures/osv) in subsets."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import CORPUS as FIXTURES

from liturgia.vuln import AdvisoryDatabase, load_osv_directory

#: The committed OSV corpus subset (tests/fixtures/osv; its NOTICE.md says which records and why).
CORPUS = FIXTURES / "osv"

PYPI_PINS = ("django", "requests", "pyyaml", "jinja2", "urllib3", "flask", "cryptography", "pillow")


def copy_subset(target: Path, *relative: str) -> Path:
    """Copy corpus files or folders (paths relative to the corpus) under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for item in relative:
        source = CORPUS / item
        destination = target / item
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            shutil.copy2(source, destination)
    return target


@pytest.fixture(scope="session")
def pypi_db(tmp_path_factory: pytest.TempPathFactory) -> AdvisoryDatabase:
    """The PyPA records of the eight pinned packages, loaded from a copy."""
    root = tmp_path_factory.mktemp("pypi")
    copy_subset(root, *(f"pypi/vulns/{name}" for name in PYPI_PINS))
    return load_osv_directory(root)


@pytest.fixture(scope="session")
def ghsa_db() -> AdvisoryDatabase:
    """The whole GHSA extract (43 records) loaded in place."""
    return load_osv_directory(CORPUS / "ghsa")


@pytest.fixture
def subset_db(tmp_path: Path) -> Callable[..., AdvisoryDatabase]:
    """Factory: load a database from the given corpus paths."""

    def make(*relative: str) -> AdvisoryDatabase:
        return load_osv_directory(copy_subset(tmp_path / "db", *relative))

    return make
