"""The release pipeline: the only place that composes every subsystem.

``run_release`` runs the stages in order — version, build, test, sbom, scan, sign, attest,
notes, gate, checksums, tag — into a staging folder beside the final one, then renames it into
place, so ``dist/`` never holds half a release: on a usage or input error (exit 2) the staging
folder is removed and nothing else is touched. A NO-GO release is still written (the gate report
says why and a ``NO-GO`` file marks the folder) but never tagged.

``SHA256SUMS`` is computed after the gate so that it covers the notes and the gate reports too;
it is then signed like every artifact.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from liturgia import sign
from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_bytes, atomic_write_text, read_bytes
from liturgia.config import LoadedConfig, default_signing_key_path
from liturgia.errors import InputError, StorageError
from liturgia.release import attestations, stages
from liturgia.release.checksums import EVIDENCE_FOLDER, release_files, render_sha256sums
from liturgia.release.gates import (
    CheckResult,
    GateContext,
    GateReport,
    Status,
    evaluate_gates,
    gate_report_json,
    render_gate_html,
    render_gate_markdown,
)
from liturgia.release.git import (
    commit_paths,
    create_annotated_tag,
    delete_tag,
    head_commit,
    push_tag,
    undo_commit,
)
from liturgia.release.notes import notes_text
from liturgia.release.plan import (
    VersionPlan,
    check_releasable,
    check_tagged,
    plan_version,
    tag_format_of,
)
from liturgia.release.stages import CHANGELOG_NAME
from liturgia.release.transparency import TRUSTED_ROOT_NAME, ReleaseLog, open_release_log
from liturgia.release.version import Version
from liturgia.sign import PasswordProvider

__all__ = [
    "DRY_RUN_NAME",
    "PasswordProvider",
    "ReleaseOptions",
    "ReleaseResult",
    "StageListener",
    "run_release",
]

#: The file that marks a dry run's release folder (covered by SHA256SUMS); such a folder may be
#: replaced by a later run, a real GO release folder never.
DRY_RUN_NAME = "DRY-RUN"


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
        dry_run: apply every check and write the release folder, but neither commit, tag, push
            nor touch the project's files.
        version: a forced version instead of the one computed from the commits.
        prerelease: a pre-release token (``rc`` gives ``1.3.0-rc.1``, then ``rc.2``).
        out_dir: where ``<name>-<version>/`` goes (default ``<project>/dist``).
        allow_dirty: release although tracked files have uncommitted changes.
        push: a git remote to push the tag to after creating it, or ``None``.
        from_tag: build the release of this existing tag, which must name ``HEAD`` (CI on a
            tag push): no commit and no new tag.
        tlog_url: the transparency log recording every bundle (``--tlog-url``), over
            ``[signing].tlog_url``; neither: the embedded log (:mod:`.transparency`).
        log_key: that log's public key PEM (``--log-key``), over ``[signing].tlog_key``.
        password: provider of the signing key's password.
        late_checks: rows the gate report gets after the policy's checks, each made when the
            gate runs: facts of the release run itself rather than of its evidence (the
            cockpit server's delivery, :meth:`liturgia.release.cockpit.CockpitSender.gate_check`).
    """

    dry_run: bool = False
    version: str | None = None
    prerelease: str | None = None
    out_dir: Path | None = None
    allow_dirty: bool = False
    push: str | None = None
    from_tag: str | None = None
    tlog_url: str | None = None
    log_key: Path | None = None
    password: PasswordProvider
    late_checks: tuple[Callable[[], CheckResult], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseResult:
    """A finished release.

    Attributes:
        directory: the release folder.
        version: the released version.
        report: the gate report (``report.go`` is the decision).
        tagged: the tag created, or ``None`` (dry run, NO-GO, or not a git repository).
        files: the release folder's files as SHA256SUMS names them (``evidence/...`` too), sorted.
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

    # Every refusal comes before anything is written, and a dry run applies the same ones as
    # the real run: only the writes (commit, tag, push, the project's CHANGELOG.md) differ.
    listen.stage_started("version")
    requested = options.version
    if options.from_tag is not None:
        found = tag_format_of(settings.project).parse(options.from_tag)
        if found is None:
            raise InputError(
                f"--from-tag {options.from_tag}: not a release tag of the format "
                f"{settings.project.tag_format!r}"
            )
        requested = str(found)
    plan = plan_version(
        project, settings.project, requested=requested, prerelease=options.prerelease
    )
    if options.from_tag is not None:
        check_tagged(plan, project)
    else:
        check_releasable(plan, project, allow_dirty=options.allow_dirty)
    version, tag, git = plan.version, plan.tag, plan.git
    if options.push is not None and not git:
        raise InputError(f"{project}: --push needs a git repository (no version history, no tag)")
    if options.push is not None and options.from_tag is not None:
        raise InputError(
            f"--push with --from-tag {options.from_tag}: a release built from an existing tag "
            f"creates no tag to push; push that tag with `git push {options.push} {tag}`"
        )
    warned = "".join(f"; warning: {w}" for w in plan.warnings if plan.git)
    listen.stage_finished("version", plan.summary + warned)

    out_root = options.out_dir or (project / "dist")
    final_dir = out_root / f"{settings.project.name}-{version}"
    _check_replaceable(final_dir)
    created_out = not out_root.exists()
    staging = _make_staging(out_root, final_dir.name)
    tagged: str | None = None
    try:
        with (
            tempfile.TemporaryDirectory(prefix="liturgia-work-") as work_name,
            ExitStack() as resources,
        ):
            report = _stages(
                config=config,
                options=options,
                listen=listen,
                staging=staging,
                work=Path(work_name),
                version=version,
                plan=plan,
                resources=resources,
            )
        # Tag (and push) before the folder is moved into place: when the commit, tag or push
        # fails, they are undone and the staging folder removed, so the project is as it was and
        # the same release can be run again.
        listen.stage_started("tag")
        if options.from_tag is not None:
            listen.stage_finished("tag", f"released from the existing tag {tag}")
        elif options.dry_run:
            would_push = f" and push it to {options.push}" if options.push is not None else ""
            listen.stage_finished("tag", f"skipped (dry run): would tag {tag}{would_push}")
        elif not report.go:
            listen.stage_finished("tag", "skipped: NO-GO")
        elif not git:
            listen.stage_finished(
                "tag", "skipped: not a git repository (no version history, no tag)"
            )
        else:
            tagged = _commit_and_tag(
                project,
                staging,
                tag,
                version=version,
                name=settings.project.name,
                remote=options.push,
            )
            pushed = f", pushed to {options.push}" if options.push is not None else ""
            listen.stage_finished("tag", f"created {tag}{pushed}")
        _finish(staging, final_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created_out and [p.name for p in out_root.iterdir()] == [".gitignore"]:
            shutil.rmtree(out_root, ignore_errors=True)  # nothing of this run stays behind
        raise
    files = release_files(final_dir)
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
    plan: VersionPlan,
    resources: ExitStack,
) -> GateReport:
    settings = config.settings
    project = config.project_dir
    started = now()
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
    stages.check_programs(config, values)
    advisories = stages.open_advisories(config)
    # `[signing].key` is relative to the project folder, like every path of the configuration;
    # LITURGIA_KEY, typed on a command line, is relative to the current folder (the README's
    # first command names `.demo-keys/release.key` and then verifies with `.demo-keys/...pub`).
    signing = sign.open_key_pair(
        settings.signing.key or default_signing_key_path(),
        password=options.password,
        create=True,
        base=config.project_dir if settings.signing.key else None,
    )
    # The log too: a configured log that is down fails the release here (exit 3), before
    # anything is built, never an unlogged release.
    tlog = resources.enter_context(_open_log(config, options))
    listen.stage_finished(
        "preflight",
        f"{advisories.opened.database.info.record_count} advisories, key {signing.key_id[:16]}, "
        f"log {tlog.description}",
    )

    listen.stage_started("build")
    built = stages.build(config, values, staging)
    artifacts = tuple(item.path.name for item in built)
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
    cataloged = stages.write_sbom(config, staging, built, version)
    inventory, artifact_sboms = cataloged.scanned, cataloged.artifact_sboms
    sbom_summary = cataloged.summary
    # An input that could not be read fails the gate's "inputs" check (unless waived); say so
    # at once, naming each file and why.
    listen.stage_finished(
        "sbom",
        "; ".join([sbom_summary, *(f"not read: {w}" for w in inventory.warnings)]),
        ok=not inventory.warnings,
    )

    listen.stage_started("scan")
    scan = stages.run_scan(advisories, staging, inventory)
    listen.stage_finished("scan", scan.summary)

    listen.stage_started("sign")
    signed = [*artifacts, *artifact_sboms, stages.SBOM_NAME]
    for name in signed:
        stages.sign_into(staging, name, signing)
        tlog.record_file(staging, name, signing.public_key)
    atomic_write_bytes(staging / stages.PUBLIC_KEY_NAME, signing.public_pem())
    listen.stage_finished("sign", f"{len(signed)} bundles, key {signing.key_id[:16]}, each logged")

    listen.stage_started("attest")
    sboms = [stages.SBOM_NAME, *artifact_sboms]
    source = attestations.ReleaseSource(
        project=project,
        name=settings.project.name,
        version=str(version),
        tag=plan.tag,
        git=plan.git,
        commands=tuple(settings.build.commands),
        builds=settings.builds,
        interpreter=stages.interpreter(config),
        dry_run=options.dry_run,
        log_url=tlog.base_url,
        started_on=started,
    )
    attested = attestations.write_attestations(
        staging,
        artifacts=artifacts,
        sboms=sboms,
        sbom_name=stages.SBOM_NAME,
        run=attestations.build_run(source, finished_on=now()),
        scan=scan.report,
        signer=signing.signer,
        record=lambda bundle: tlog.record(bundle, signing.public_key),
    )
    listen.stage_finished(
        "attest",
        f"SLSA provenance of {len(artifacts) + len(sboms)} subjects, SBOM and scan "
        f"statements: {len(attested)} bundles, each logged",
    )

    listen.stage_started("notes")
    today = now().date()
    project_changelog = project / CHANGELOG_NAME
    existing = (
        read_bytes(project_changelog).decode("utf-8") if project_changelog.is_file() else None
    )
    notes = notes_text(
        plan,
        settings.project.name,
        today,
        existing_changelog=existing,
        findings_summary=scan.summary,
    )
    previous = plan.last[1] if plan.last else None
    if previous is not None:
        old_sbom = staging.parent / f"{settings.project.name}-{previous}" / stages.SBOM_NAME
        changes = stages.dependency_changes(old_sbom, cataloged.document)
        if changes is not None:
            notes = notes.rstrip("\n") + "\n\n" + changes + "\n"
    atomic_write_text(staging / "RELEASE_NOTES.md", notes)
    changelog = stages.write_changelog(
        config=config,
        staging=staging,
        plan=plan,
        today=today,
        dry_run=options.dry_run,
    )
    listen.stage_finished("notes", f"RELEASE_NOTES.md, {changelog}")

    listen.stage_started("gate")
    labels = {**scan.labels, **stages.machine_labels(config, values, staging=staging)}
    reports = stages.ship_test_reports(config, values, staging, labels)
    report = evaluate_gates(
        GateContext(
            config=config,
            release=staging,
            version=version,
            junit=reports.junit,
            coverage=reports.coverage,
            test_runs=tuple(test_runs),
            scan=scan,
            signed=tuple(signed),
            public_key=signing.public_key,
            inputs=tuple(inventory.warnings),
            labels=labels,
            artifacts=tuple(artifacts),
            previous=previous,
        ),
        ship=True,
    )
    if options.late_checks:
        report = replace(report, checks=(*report.checks, *(make() for make in options.late_checks)))
    atomic_write_text(staging / "gate-report.md", render_gate_markdown(report))
    atomic_write_bytes(staging / "gate-report.json", gate_report_json(report))
    atomic_write_text(staging / "gate-report.html", render_gate_html(report))
    _append_gate_summary(staging / "RELEASE_NOTES.md", report)
    if not report.go:
        failing = [check.name for check in report.failed]
        atomic_write_text(staging / "NO-GO", "NO-GO: failed checks: " + ", ".join(failing) + "\n")
    listen.stage_finished("gate", "GO" if report.go else "NO-GO", ok=report.go)

    if options.dry_run:
        atomic_write_text(
            staging / DRY_RUN_NAME, "DRY-RUN: a rehearsal; no tag was made for this folder\n"
        )
    listen.stage_started("checksums")
    atomic_write_bytes(staging / TRUSTED_ROOT_NAME, tlog.trusted_root())
    names = [name for name in release_files(staging) if not name.startswith("SHA256SUMS")]
    atomic_write_text(staging / "SHA256SUMS", render_sha256sums(staging, names))
    stages.sign_into(staging, "SHA256SUMS", signing)
    tlog.record_file(staging, "SHA256SUMS", signing.public_key)
    listen.stage_finished("checksums", f"SHA256SUMS over {len(names)} files, signed")
    return report


def _open_log(config: LoadedConfig, options: ReleaseOptions) -> ReleaseLog:
    """The release's transparency log: flag/environment over ``[signing]``, else embedded.

    ``[signing].tlog_key`` is relative to the project folder; ``--log-key`` to the current one.
    """
    signing = config.settings.signing
    url = options.tlog_url or signing.tlog_url
    key = options.log_key
    if key is None and signing.tlog_key and url == signing.tlog_url:
        key = config.project_dir / signing.tlog_key
    return open_release_log(url, log_key=key if url else None)


def _commit_and_tag(
    project: Path, staging: Path, tag: str, *, version: Version, name: str, remote: str | None
) -> str:
    """Commit CHANGELOG.md, tag, and push the tag; on a failure undo the commit and the tag.

    The changelog the notes stage updated is committed first, so the tag contains it. When the
    push (or the tag) fails, the tag is deleted and the branch reset to the commit it was on,
    so the work tree and the tags are as they were before the release.
    """
    changelog = project / CHANGELOG_NAME
    original = read_bytes(changelog) if changelog.is_file() else None
    before = head_commit(project)
    try:
        shutil.copyfile(staging / CHANGELOG_NAME, changelog)
        commit_paths(project, [changelog], f"chore(release): {version}")
        create_annotated_tag(project, tag, f"{name} {version}")
        if remote is not None:
            try:
                push_tag(project, remote, tag)
            except BaseException:
                delete_tag(project, tag)
                raise
    except BaseException:
        if head_commit(project) != before:
            undo_commit(project, before, [changelog])
        if original is None:
            changelog.unlink(missing_ok=True)
        else:
            atomic_write_bytes(changelog, original)
        raise
    return tag


_NOTE_MARKS = {
    Status.PASS: "pass",
    Status.FAIL: "FAIL",
    Status.WAIVED: "waived",
    Status.NOT_APPLICABLE: "n/a",
}


def _append_gate_summary(notes: Path, report: GateReport) -> None:
    """End RELEASE_NOTES.md with the gate's decision and each check's one-line summary."""
    lines = ["", "## Gate", "", f"{'GO' if report.go else 'NO-GO'} (details in gate-report.md)", ""]
    lines += [
        f"- {check.name}: {_NOTE_MARKS[check.outcome]} — {check.summary}" for check in report.checks
    ]
    text = read_bytes(notes).decode("utf-8").rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    atomic_write_text(notes, text)


def _check_replaceable(final_dir: Path) -> None:
    """Refuse to replace anything but a dry run's or a NO-GO release's folder.

    A GO release folder that is not a dry run is a signed release: it is never replaced (with
    git its tag also stops the release earlier; without git this is the only guard).
    """
    if not final_dir.exists():
        return
    if not _is_release_dir(final_dir):
        raise InputError(f"{final_dir}: exists and is not a liturgia release folder; remove it")
    if not (final_dir / DRY_RUN_NAME).is_file() and not (final_dir / "NO-GO").is_file():
        raise InputError(
            f"{final_dir}: a signed release of this version exists and is never replaced; "
            "release another version or move the folder away"
        )


def _is_release_dir(folder: Path) -> bool:
    """A folder liturgia wrote: only files (and its ``evidence/`` folder), among them SHA256SUMS
    and gate-report.json."""
    if not folder.is_dir() or not (folder / "SHA256SUMS").is_file():
        return False
    return (folder / "gate-report.json").is_file() and all(
        p.is_file() or (p.name == EVIDENCE_FOLDER and p.is_dir()) for p in folder.iterdir()
    )


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
