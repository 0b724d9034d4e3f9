"""``liturgia release --check-reproducible``: build twice, compare every artifact's digest.

Every build of the project (``[build]`` and each ``[[builds]]``) runs twice, each time into a
fresh, empty build folder, with the same version and the same ``SOURCE_DATE_EPOCH``; each
artifact's SHA-256 from the first run is compared with the second's. An artifact that differs
(or is made by one run only) is named: something in its build depends on the time, the folder,
the order of a listing or the machine's state (reproducible-builds.org, "Definitions").
Nothing is written into the project's release folder; the work folders are removed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.clock import source_date_epoch
from liturgia._internal.files import sha256_file
from liturgia.config import LoadedConfig
from liturgia.errors import ConfigError
from liturgia.release import stages
from liturgia.release.builds import all_builds, run_builds
from liturgia.release.git import head_commit_time, is_git_repo

__all__ = ["ArtifactDigests", "ReproducibilityReport", "check_reproducible", "pinned_epoch"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactDigests:
    """One artifact's SHA-256 in each run.

    Attributes:
        name: the artifact's file name.
        first: lower-case hex SHA-256 in the first run, or ``None`` when it made no such file.
        second: the same for the second run.
    """

    name: str
    first: str | None
    second: str | None

    @property
    def same(self) -> bool:
        """Both runs made this file, byte for byte the same."""
        return self.first is not None and self.first == self.second


@dataclass(frozen=True, slots=True, kw_only=True)
class ReproducibilityReport:
    """The comparison of two builds.

    Attributes:
        version: the version both runs built.
        artifacts: every artifact either run made, sorted by name.
    """

    version: str
    artifacts: tuple[ArtifactDigests, ...]

    @property
    def differing(self) -> tuple[str, ...]:
        """The names of the artifacts that are not byte-identical in both runs."""
        return tuple(item.name for item in self.artifacts if not item.same)

    @property
    def reproducible(self) -> bool:
        """Every artifact is the same in both runs (and there is at least one)."""
        return bool(self.artifacts) and not self.differing


def pinned_epoch(project: Path, *, fallback: int) -> int:
    """The ``SOURCE_DATE_EPOCH`` both runs use: the variable when set, else the time of the
    last commit (reproducible-builds.org's advice: a time that depends only on the sources),
    else ``fallback`` (no git: the time the check started).

    Raises:
        ConfigError: ``SOURCE_DATE_EPOCH`` is set but not a whole number of seconds.
    """
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    return head_commit_time(project) if is_git_repo(project) else fallback


def check_reproducible(config: LoadedConfig, *, version: str) -> ReproducibilityReport:
    """Run every build twice into fresh folders and compare the artifacts' SHA-256.

    ``SOURCE_DATE_EPOCH`` must be the same for both runs: the caller sets it (the CLI pins it to
    the last commit's time when it is unset) before calling.

    Args:
        config: the project's configuration.
        version: the version both runs build (``{version}``, ``LITURGIA_VERSION``).

    Returns:
        The digests of each run; ``report.differing`` names what is not reproducible.

    Raises:
        ConfigError: no builds, a bad placeholder, or a missing program (checked before
            anything runs).
        InputError: a build command fails or an artifact pattern matches nothing.
    """
    if not all_builds(config):
        raise ConfigError(f"{config.path}: build: nothing to build, so nothing to compare")
    runs: list[Mapping[str, str]] = []
    for number in (1, 2):
        with tempfile.TemporaryDirectory(prefix=f"liturgia-repro-{number}-") as work_name:
            work = Path(work_name)
            (work / "build").mkdir()
            values = {
                "build_dir": str(work / "build"),
                "reports_dir": str(work / "reports"),
                "version": version,
                "project": str(config.project_dir),
            }
            if number == 1:
                stages.check_programs(config, values)
            built = run_builds(config, values, python=stages.interpreter(config))
            runs.append({item.path.name: sha256_file(item.path) for item in built})
    first, second = runs
    names = sorted(set(first) | set(second))
    return ReproducibilityReport(
        version=version,
        artifacts=tuple(
            ArtifactDigests(name=name, first=first.get(name), second=second.get(name))
            for name in names
        ),
    )
