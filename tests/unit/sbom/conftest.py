"""Fixtures of the SBOM tests: the committed corpus of real lockfiles (tests/fixtures/sbom)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import CORPUS

#: The SBOM corpus: lockfiles of 15 projects and Syft 1.18.1's output for each.
SBOM_CORPUS = CORPUS / "sbom"


@pytest.fixture
def corpus() -> Path:
    """The read-only SBOM corpus folder."""
    assert SBOM_CORPUS.is_dir(), SBOM_CORPUS
    return SBOM_CORPUS


def apt_install(*packages: str) -> None:
    """Install Debian packages (root; the Debian archive is reachable, the apt lock may be held).

    A fresh machine may have no package lists yet: on failure, ``apt-get update`` and retry once.
    """
    command = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", *packages]
    if subprocess.run(command, timeout=1800, capture_output=True, check=False).returncode:
        subprocess.run(
            ["apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=600"],
            check=True,
            timeout=1800,
            capture_output=True,
        )
        subprocess.run(command, check=True, timeout=1800, capture_output=True)


#: Added to the corpus's large npm project so the installed tree passes 800 packages.
EXTRA_NPM_PACKAGES = (
    "@angular/core",
    "@angular/cli",
    "aws-sdk",
    "@babel/preset-env",
    "rollup",
    "sass",
    "less",
    "@nestjs/core",
    "@nestjs/common",
    "rxjs",
    "mongoose",
    "sequelize",
)


@pytest.fixture(scope="session")
def npm_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real npm project installed from the npm registry: node_modules of 800+ packages.

    The corpus's ``js/npm-large`` project plus :data:`EXTRA_NPM_PACKAGES`, installed by Debian's
    npm (installed when missing) with ``--ignore-scripts``. Tests must leave it as they found it.
    """
    if shutil.which("npm") is None:
        apt_install("npm")
    project = tmp_path_factory.mktemp("npm-project")
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(SBOM_CORPUS / "js/npm-large" / name, project / name)
    subprocess.run(
        [
            "npm",
            "install",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--legacy-peer-deps",
            *EXTRA_NPM_PACKAGES,
        ],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=1200,
    )
    return project


@pytest.fixture(scope="session")
def large_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv from PyPI: the corpus's 71 pins, Jupyter and Matplotlib (150+ dists)."""
    venv = tmp_path_factory.mktemp("large") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    freeze = SBOM_CORPUS / "python/venv-freeze/requirements-freeze.txt"
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(freeze),
            "jupyter",
            "matplotlib",
        ],
        check=True,
        timeout=1800,
        capture_output=True,
    )
    return venv
