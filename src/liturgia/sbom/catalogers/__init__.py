"""The catalogers, one module per file format; :func:`default_catalogers` lists them in order.

When two catalogers could claim a file the first listed wins (none overlap today).
"""

from __future__ import annotations

from liturgia.sbom.cataloger import Cataloger
from liturgia.sbom.catalogers.cargo import CargoLockCataloger
from liturgia.sbom.catalogers.composer import ComposerLockCataloger
from liturgia.sbom.catalogers.gem import GemfileLockCataloger
from liturgia.sbom.catalogers.gobinary import GoBinaryCataloger
from liturgia.sbom.catalogers.gomod import GoModCataloger
from liturgia.sbom.catalogers.installed import InstalledPythonCataloger
from liturgia.sbom.catalogers.java import GradleLockCataloger, MavenPomCataloger
from liturgia.sbom.catalogers.npm import NpmLockCataloger
from liturgia.sbom.catalogers.nuget import NugetLockCataloger
from liturgia.sbom.catalogers.os_packages import ApkInstalledCataloger, DpkgStatusCataloger
from liturgia.sbom.catalogers.pdm import PdmLockCataloger
from liturgia.sbom.catalogers.pipenv import PipfileLockCataloger
from liturgia.sbom.catalogers.pnpm import PnpmLockCataloger
from liturgia.sbom.catalogers.poetry import PoetryLockCataloger
from liturgia.sbom.catalogers.pyproject import PyprojectCataloger
from liturgia.sbom.catalogers.requirements import RequirementsCataloger
from liturgia.sbom.catalogers.uv import UvLockCataloger
from liturgia.sbom.catalogers.yarn import YarnLockCataloger

__all__ = [
    "ApkInstalledCataloger",
    "CargoLockCataloger",
    "ComposerLockCataloger",
    "DpkgStatusCataloger",
    "GemfileLockCataloger",
    "GoBinaryCataloger",
    "GoModCataloger",
    "GradleLockCataloger",
    "InstalledPythonCataloger",
    "MavenPomCataloger",
    "NpmLockCataloger",
    "NugetLockCataloger",
    "PdmLockCataloger",
    "PipfileLockCataloger",
    "PnpmLockCataloger",
    "PoetryLockCataloger",
    "PyprojectCataloger",
    "RequirementsCataloger",
    "UvLockCataloger",
    "YarnLockCataloger",
    "default_catalogers",
]


def default_catalogers() -> tuple[Cataloger, ...]:
    """One instance of every cataloger: Python, JavaScript, Go, Rust, Ruby, PHP, .NET, Java,
    and the Debian and Alpine package databases of a root file system."""
    return (
        PyprojectCataloger(),
        RequirementsCataloger(),
        PoetryLockCataloger(),
        UvLockCataloger(),
        PipfileLockCataloger(),
        PdmLockCataloger(),
        InstalledPythonCataloger(),
        NpmLockCataloger(),
        YarnLockCataloger(),
        PnpmLockCataloger(),
        GoModCataloger(),
        CargoLockCataloger(),
        GemfileLockCataloger(),
        ComposerLockCataloger(),
        NugetLockCataloger(),
        MavenPomCataloger(),
        GradleLockCataloger(),
        DpkgStatusCataloger(),
        ApkInstalledCataloger(),
    )
