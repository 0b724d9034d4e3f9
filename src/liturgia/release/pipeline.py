"""The release pipeline: the only place that composes every subsystem.

``run_release`` runs the stages in order — version, build, test, sbom, scan, sign, notes, gate,
checksums, tag — into a staging folder beside the final one, then renames it into place, so
``dist/`` never holds half a release: on a usage or input error (exit 2) the staging folder is
removed and nothing else is touched. A NO-GO release is still written (the gate report says why and
a ``NO-GO`` file marks the folder) but never tagged.

``SHA256SUMS`` is computed after the gate so that it covers the notes and the gate reports too;
it is then signed like every artifact.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_bytes, atomic_write_text
from liturgia.config import LoadedConfig, default_signing_key_path
from liturgia.errors import InputError, StorageError
from liturgia.release import stages
from liturgia.release.changelog import render_release_notes
from liturgia.release.checksums import render_sha256sums
from liturgia.release.gates import GateReport, gate_report_json, render_gate_markdown
from liturgia.release.git import (
    commit_paths,
    create_annotated_tag,
    is_git_repo,
    last_release_tag,
    read_commits,
    tag_exists,
    working_tree_dirty,
)
from liturgia.release.stages import CHANGELOG_NAME
from liturgia.release.version import Version, next_version
from liturgia.sign import PasswordProvider

__all__ = [
    "PasswordProvider",
    "ReleaseOptions",
    "ReleaseResult",
    "StageListener",
    "run_release",
]


class StageListener(Protocol):
    """Receives progress; the CLI draws it, tests may record it."""

    def stage_started(self, name: str) -> None:
        """A stage (``"version"``, ``"build"``...) begins."""

    def stage_finished(self, name: str, summary: str, *, ok: bool = True) -> None:
        """A stage ended; ``summary`` is one line for people, ``ok`` false when it found a
        problem the gate will record (failed tests, NO-GO)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseOptions:
    """What the caller asks of one release.

    Attributes:
        dry_run: build and verify everything but neither tag nor touch the project's files.
        version: a forced version instead of the one computed from the commits.
        out_dir: where ``<name>-<version>/`` goes (default ``<project>/dist``).
        password: provider of the signing key's password.
    """

    dry_run: bool = False
    version: str | None = None
    out_dir: Path | None = None
    password: PasswordProvider


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseResult:
    """A finished release.

    Attributes:
        directory: the release folder.
        version: the released version.
        report: the gate report (``report.go`` is the decision).
        tagged: the tag created, or ``None`` (dry run, NO-GO, or not a git repository).
        files: the release folder's files, sorted.
    """

    directory: Path
    version: Version
    report: GateReport
    tagged: str | None
    files: tuple[str, ...] = field(default=())


class _NullListener:
    def stage_started(self, name: str) -> None:
        del name

    def stage_finished(self, name: str, summary: str, *, ok: bool = True) -> None:
        del name, summary, ok


def run_release(
    config: LoadedConfig,
    options: ReleaseOptions,
    listener: StageListener | None = None,
) -> ReleaseResult:
    """Run every release stage and write ``<out>/<name>-<version>/``.

    Args:
        config: the project's validated configuration.
        options: dry run, forced version, output folder, password provider.
        listener: progress receiver.

    Returns:
        The release; ``result.report.go`` tells Go (exit 0) from No-Go (exit 1).

    Raises:
        ConfigError, InputError: bad configuration or input (exit 2); nothing is left in the
            output folder.
        StorageError: the output cannot be written (exit 3).
    """
    listen: StageListener = listener or _NullListener()
    settings = config.settings
    project = config.project_dir
    git = is_git_repo(project)
    if git and not options.dry_run and working_tree_dirty(project):
        raise InputError(f"{project}: the git working tree has uncommitted changes")

    listen.stage_started("version")
    last = last_release_tag(project) if git else None
    # Only the commits that touch the project's folder: a project may live in a sub-folder of a
    # larger repository (as examples/vertice does in liturgia's).
    commits = read_commits(project, last[0] if last else None, paths=["."]) if git else ()
    parsed = stages.conventional(commits)
    if options.version is not None:
        version = Version.parse(options.version)
    else:
        version = next_version(
            last[1] if last else None,
            parsed,
            initial=Version.parse(settings.project.initial_version),
            major_on_zero=settings.project.major_on_zero,
        )
    tag = f"v{version}"
    if git and not options.dry_run and tag_exists(project, tag):
        raise InputError(f"{project}: tag {tag} already exists (pass --version for another)")
    previous = f"since {last[0]}" if last else "first release"
    listen.stage_finished("version", f"{version} ({previous}, {len(commits)} commits)")

    out_root = options.out_dir or (project / "dist")
    final_dir = out_root / f"{settings.project.name}-{version}"
    if final_dir.exists() and not _is_release_dir(final_dir):
        raise InputError(f"{final_dir}: exists and is not a liturgia release folder; remove it")
    staging = _make_staging(out_root, final_dir.name)
    try:
        with tempfile.TemporaryDirectory(prefix="liturgia-work-") as work_name:
            report = _stages(
                config=config,
                options=options,
                listen=listen,
                staging=staging,
                work=Path(work_name),
                version=version,
                previous=last[1] if last else None,
                parsed=parsed,
            )
        _finish(staging, final_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    tagged: str | None = None
    listen.stage_started("tag")
    if options.dry_run:
        listen.stage_finished("tag", f"skipped (dry run): would tag {tag}")
    elif not report.go:
        listen.stage_finished("tag", "skipped: NO-GO")
    elif not git:
        listen.stage_finished("tag", "skipped: not a git repository")
    else:
        # The changelog the notes stage updated is committed first, so the tag contains it.
        commit_paths(project, [project / CHANGELOG_NAME], f"chore(release): {version}")
        create_annotated_tag(project, tag, f"{settings.project.name} {version}")
        tagged = tag
        listen.stage_finished("tag", f"created {tag}")
    files = tuple(sorted(p.name for p in final_dir.iterdir()))
    return ReleaseResult(
        directory=final_dir, version=version, report=report, tagged=tagged, files=files
    )


def _stages(
    *,
    config: LoadedConfig,
    options: ReleaseOptions,
    listen: StageListener,
    staging: Path,
    work: Path,
    version: Version,
    previous: Version | None,
    parsed: Sequence[stages.ConventionalCommit],
) -> GateReport:
    settings = config.settings
    project = config.project_dir
    values = {
        "build_dir": str(work / "build"),
        "reports_dir": str(work / "reports"),
        "version": str(version),
        "project": str(project),
    }
    (work / "build").mkdir()
    (work / "reports").mkdir()

    # Fail fast: the advisory database and the signing key are opened before anything is built,
    # so a wrong password or a missing database costs no build time.
    listen.stage_started("preflight")
    advisories = stages.open_advisories(config)
    signing = stages.open_signing_key(
        settings.signing.key or default_signing_key_path(),
        options.password,
        base=config.project_dir,
    )
    listen.stage_finished(
        "preflight",
        f"{advisories.database.info.record_count} advisories, key {signing.key_id[:16]}",
    )

    listen.stage_started("build")
    artifacts = stages.build(config, values, staging)
    listen.stage_finished("build", f"{len(artifacts)} artifacts: " + ", ".join(artifacts))

    listen.stage_started("test")
    test_runs = stages.run_tests(config, values)
    failed = [run for run in test_runs if run.returncode != 0]
    listen.stage_finished(
        "test",
        f"{len(test_runs)} commands, {len(failed)} failed" if test_runs else "no test commands",
        ok=not failed,
    )

    listen.stage_started("sbom")
    inventory, sbom_summary = stages.write_sbom(config, staging, artifacts, version)
    listen.stage_finished("sbom", sbom_summary)

    listen.stage_started("scan")
    scan = stages.run_scan(advisories, staging, inventory)
    listen.stage_finished("scan", scan.summary)

    listen.stage_started("sign")
    signed = [*artifacts, stages.SBOM_NAME]
    for name in signed:
        stages.sign_into(staging, name, signing)
    atomic_write_bytes(staging / stages.PUBLIC_KEY_NAME, signing.public_pem())
    listen.stage_finished("sign", f"{len(signed)} bundles, key {signing.key_id[:16]}")

    listen.stage_started("notes")
    today = now().date()
    notes = render_release_notes(
        settings.project.name, version, today, parsed, findings_summary=scan.summary
    )
    if previous is not None:
        old_sbom = staging.parent / f"{settings.project.name}-{previous}" / stages.SBOM_NAME
        changes = stages.dependency_changes(old_sbom, inventory)
        if changes is not None:
            notes = notes.rstrip("\n") + "\n\n" + changes + "\n"
    atomic_write_text(staging / "RELEASE_NOTES.md", notes)
    changelog = stages.write_changelog(
        config=config,
        staging=staging,
        version=version,
        today=today,
        commits=parsed,
        dry_run=options.dry_run,
    )
    listen.stage_finished("notes", f"RELEASE_NOTES.md, {changelog}")

    listen.stage_started("gate")
    report = stages.evaluate_gates(
        config,
        values,
        staging=staging,
        version=version,
        test_runs=test_runs,
        scan=scan,
        signed=signed,
        public_key=signing.public_key,
    )
    atomic_write_text(staging / "gate-report.md", render_gate_markdown(report))
    atomic_write_bytes(staging / "gate-report.json", gate_report_json(report))
    if not report.go:
        failing = [check.name for check in report.checks if not check.passed]
        atomic_write_text(staging / "NO-GO", "NO-GO: failed checks: " + ", ".join(failing) + "\n")
    listen.stage_finished("gate", "GO" if report.go else "NO-GO", ok=report.go)

    listen.stage_started("checksums")
    names = [p.name for p in staging.iterdir() if not p.name.startswith("SHA256SUMS")]
    atomic_write_text(staging / "SHA256SUMS", render_sha256sums(staging, names))
    stages.sign_into(staging, "SHA256SUMS", signing)
    listen.stage_finished("checksums", f"SHA256SUMS over {len(names)} files, signed")
    return report


def _is_release_dir(folder: Path) -> bool:
    """A folder liturgia wrote: only files, among them SHA256SUMS and gate-report.json."""
    if not folder.is_dir() or not (folder / "SHA256SUMS").is_file():
        return False
    return (folder / "gate-report.json").is_file() and all(p.is_file() for p in folder.iterdir())


def _make_staging(out_root: Path, name: str) -> Path:
    """Create the staging folder; a new output folder gets a ``.gitignore`` of ``*``."""
    try:
        if not out_root.exists():
            out_root.mkdir(parents=True)
            # Release folders are build output: keep them out of the project's git status.
            atomic_write_text(out_root / ".gitignore", "# written by liturgia\n*\n")
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_root))
        staging.chmod(0o755)  # mkdtemp's 0700 would make the published folder private
    except (OSError, StorageError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise InputError(f"{out_root}: cannot create the output folder: {reason}") from exc
    return staging


def _finish(staging: Path, final_dir: Path) -> None:
    """Move the staging folder into place, replacing an earlier release folder of that name."""
    old: Path | None = None
    try:
        if final_dir.exists():
            old = final_dir.with_name(f".{final_dir.name}.old")
            if old.exists():
                shutil.rmtree(old)
            final_dir.rename(old)
        staging.rename(final_dir)
    except OSError as exc:
        raise InputError(f"{final_dir}: cannot move the release into place: {exc}") from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
