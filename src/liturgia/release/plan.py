"""The next version of a project and the checks a release must pass before anything is written.

:func:`plan_version` reads the project's history (tags in its format and scheme, the commits on its
paths) and computes the next version; ``liturgia version``, ``liturgia notes`` and
``liturgia release`` all use it, so they never disagree. :func:`check_releasable` applies every
refusal of a release — the same ones for a dry run and a real run, so a dry run predicts the real
one: an incomplete history (shallow clone, clone without tags), a detached ``HEAD``, uncommitted
changes, a tag that exists, a version at or below the latest release.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from liturgia.config import ProjectSettings
from liturgia.errors import InputError
from liturgia.release.commits import Commit, ConventionalCommit, conventional_commits
from liturgia.release.git import (
    current_branch,
    head_commit,
    history_problem,
    is_git_repo,
    is_top_level,
    read_commits,
    read_release_tags,
    tag_commit,
    tag_exists,
    working_tree_dirty,
)
from liturgia.release.tags import TagFormat, VersionScheme
from liturgia.release.version import Version, next_version

__all__ = ["VersionPlan", "check_releasable", "check_tagged", "plan_version", "tag_format_of"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionPlan:
    """What the history says about the next release.

    Attributes:
        version: the next version (computed, or the one requested).
        tag: its tag name in the project's tag format.
        git: whether the project is in a git work tree (without git there is no version
            history and no tag).
        last: the highest final release tag reachable from ``HEAD`` and its version, or ``None``.
        latest: the highest release tag, pre-releases included, or ``None``.
        since: the tag whose later commits the notes describe, or ``None`` (whole history).
        commits: the commits the notes describe, oldest first (merges included).
        parsed: the Conventional Commits among them, squash-merge bodies expanded.
        unparsed: the commits that are not Conventional Commits (listed, never fatal).
        warnings: tags the scheme could not read, and other things a person should know.
    """

    version: Version
    tag: str
    git: bool
    last: tuple[str, Version] | None
    latest: tuple[str, Version] | None
    since: str | None
    commits: tuple[Commit, ...]
    parsed: tuple[ConventionalCommit, ...]
    unparsed: tuple[Commit, ...]
    warnings: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One line for people, e.g. ``1.3.0 (since v1.2.0, 4 commits, 1 not conventional)``."""
        if not self.git:
            return f"{self.version} (no git repository: no version history, no tag)"
        where = f"since {self.since}" if self.since else "first release"
        odd = f", {len(self.unparsed)} not conventional" if self.unparsed else ""
        return f"{self.version} ({where}, {len(self.commits)} commits{odd})"


def tag_format_of(settings: ProjectSettings) -> TagFormat:
    """The project's :class:`TagFormat` (``project.tag_format``, ``project.version_scheme``).

    Raises:
        ConfigError: the format is malformed.
    """
    return TagFormat(pattern=settings.tag_format, scheme=VersionScheme(settings.version_scheme))


def plan_version(
    project: Path,
    settings: ProjectSettings,
    *,
    requested: str | None = None,
    prerelease: str | None = None,
) -> VersionPlan:
    """Compute the next version of the project in ``project`` (a folder in a git work tree).

    Rules (SemVer 2.0.0, Conventional Commits 1.0.0; details in
    :func:`liturgia.release.version.next_version`):

    * commits are those touching ``settings.paths`` since the highest final release tag of
      ``settings.tag_format`` reachable from ``HEAD``;
    * tags that are only pre-releases count as history: with ``v1.0.0-rc.1`` and no final tag,
      the next final release is ``1.0.0``, not the initial version;
    * with ``prerelease`` (``"rc"``), the result is a pre-release whose counter continues the
      latest pre-release of the same version and token, and restarts when either changes;
    * notes describe the commits since the latest tag for a pre-release, and for a final
      release since the last final tag (``prerelease_changelog = "fold"``) or the latest tag
      (``"keep"``);
    * without git there is no history: ``requested`` or ``initial_version``.

    Args:
        project: the project folder.
        settings: its ``[project]`` settings.
        requested: a version to release instead of the computed one (``--version``); a tag
            spelling such as ``v1.2.3`` is refused (SemVer FAQ).
        prerelease: a pre-release token (``--pre rc``), or ``None``.

    Raises:
        InputError: the clone is shallow or was made without tags (the message says how to
            fetch them); the requested version is not SemVer; the token is invalid; or no commit
            since the last release calls for one (the message says to pass ``--version``).
        ConfigError: the tag format is malformed.
    """
    tag_format = tag_format_of(settings)
    initial = Version.parse(settings.initial_version)
    if not is_git_repo(project):
        version = Version.parse(requested) if requested is not None else initial
        if prerelease is not None and requested is None:
            version = next_version(None, (), initial=initial, prerelease=prerelease)
        return VersionPlan(
            version=version,
            tag=tag_format.name(version),
            git=False,
            last=None,
            latest=None,
            since=None,
            commits=(),
            parsed=(),
            unparsed=(),
            warnings=("no git repository: no version history, no tag",),
        )
    every, warnings = read_release_tags(project, tag_format=tag_format)
    problem = history_problem(project, have_tags=bool(every))
    if problem is not None:
        raise InputError(problem)
    finals = [item for item in every if not item[1].is_prerelease and not item[1].build]
    last = finals[-1] if finals else None
    latest = every[-1] if every else None
    paths = _pathspecs(project, settings.paths)
    bump_commits = read_commits(project, last[0] if last else None, paths=paths)
    bump_parsed = conventional_commits(bump_commits)
    if requested is not None:
        version = Version.parse(requested)
    else:
        base_last = last[1] if last else (latest[1] if latest else None)
        version = next_version(
            base_last,
            bump_parsed,
            initial=initial,
            major_on_zero=settings.major_on_zero,
            prerelease=prerelease,
            latest=latest[1] if latest else None,
        )
    if version.is_prerelease or settings.prerelease_changelog == "keep":
        since = latest[0] if latest else None
    else:
        since = last[0] if last else None
    if since == (last[0] if last else None):
        commits, parsed = bump_commits, bump_parsed
    else:
        commits = read_commits(project, since, paths=paths)
        parsed = conventional_commits(commits)
    conventional_shas = {c.sha for c in parsed}
    return VersionPlan(
        version=version,
        tag=tag_format.name(version),
        git=True,
        last=last,
        latest=latest,
        since=since,
        commits=commits,
        parsed=parsed,
        unparsed=tuple(c for c in commits if c.sha not in conventional_shas),
        warnings=warnings,
    )


def _pathspecs(project: Path, paths: tuple[str, ...]) -> list[str]:
    """``paths`` as pathspecs; none for ``.`` at the top of the work tree (the whole history,
    read without git's slower path filtering)."""
    if tuple(paths) == (".",) and is_top_level(project):
        return []
    return list(paths)


def check_tagged(plan: VersionPlan, project: Path) -> None:
    """Check that ``plan.tag`` exists and names ``HEAD`` (a release built from its tag, in CI).

    Raises:
        InputError: no git repository, the tag does not exist, or it names another commit.
    """
    if not plan.git:
        raise InputError(f"{project}: --from-tag needs a git repository")
    if not tag_exists(project, plan.tag):
        raise InputError(f"{project}: tag {plan.tag} does not exist (git fetch --tags)")
    if tag_commit(project, plan.tag) != head_commit(project):
        raise InputError(
            f"{project}: tag {plan.tag} does not name HEAD: check out the tag "
            f"(`git checkout {plan.tag}`)"
        )


def check_releasable(plan: VersionPlan, project: Path, *, allow_dirty: bool = False) -> None:
    """Refuse a release the history or the work tree does not allow (dry run and real run alike).

    Raises:
        InputError: (each a one-line message naming the project folder and what to do) ``HEAD``
            is detached; tracked files have uncommitted
            changes and not ``allow_dirty``; the version's tag exists; the version is at or
            below the latest release (SemVer §11 precedence, pre-releases included).
    """
    if not plan.git:
        return
    if current_branch(project) is None:
        raise InputError(
            f"{project}: HEAD is detached: check out the branch to release "
            "(`git switch BRANCH`) so the release commit lands on it"
        )
    if not allow_dirty and working_tree_dirty(project):
        raise InputError(
            f"{project}: the git work tree has uncommitted changes to tracked files: commit or "
            "stash them, or pass --allow-dirty"
        )
    if tag_exists(project, plan.tag):
        raise InputError(
            f"{project}: tag {plan.tag} already exists: {plan.version} is released; "
            "pass --version for another"
        )
    if plan.latest is not None and plan.version <= plan.latest[1]:
        raise InputError(
            f"{project}: version {plan.version} is not above the latest release "
            f"{plan.latest[1]} (tag {plan.latest[0]}, SemVer §11 precedence); "
            "pass a higher --version"
        )
