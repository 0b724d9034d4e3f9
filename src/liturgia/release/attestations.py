"""The release's attestations: SLSA provenance, the SBOM and the scan result (issue 12, item 4).

Three in-toto Statements v1 (https://in-toto.io/Statement/v1), each signed into a DSSE bundle
(``application/vnd.in-toto+json``) with the release key and recorded in the release's
transparency log like every other bundle:

* ``provenance.intoto.sigstore.json``: one SLSA Provenance v1 predicate
  (https://slsa.dev/provenance/v1) for the whole release. Subjects: every artifact and every
  SBOM (``*.cdx.json``) of the folder, by file name and SHA-256. ``buildDefinition``: our
  ``buildType``, every build command as configured (templates, so no path of the build
  machine; ``[[builds]]`` entries also with their folder, targets and environment),
  the source repository and ref, the version, and the git commit as the one resolved
  dependency; ``internalParameters``: ``SOURCE_DATE_EPOCH``, dry run or not, the log.
  ``runDetails``: the builder's identity (``LITURGIA_BUILDER_ID``; GitHub Actions' workflow or
  GitLab's project runner when run there; else ``urn:liturgia:builder:local``) with the versions
  of liturgia and of each build tool, the invocation (the CI run's URL, else a UUID derived from
  source, commit, version and start time) and start and end times (the reproducible clock).
* ``sbom.intoto.sigstore.json``: the release SBOM as a CycloneDX predicate
  (``https://cyclonedx.org/bom``), subjects the artifacts it describes.
* ``vulnerabilities.intoto.sigstore.json``: the scan as a vulns v0.2 predicate
  (``https://in-toto.io/attestation/vulns/v0.2``): scanner, advisory database, every finding not
  suppressed; subjects the artifacts.

``liturgia verify DIR`` checks each subject against its file (:mod:`liturgia.release.verify`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liturgia import __version__, provenance, vuln
from liturgia._internal.clock import source_date_epoch
from liturgia._internal.files import atomic_write_bytes
from liturgia.config import BuildSpec
from liturgia.provenance import BuildRun, GitSource, PredicateType, Scanner, VulnFinding
from liturgia.release.git import head_commit, remote_url
from liturgia.sign import Signer

__all__ = [
    "ATTESTATION_SUFFIX",
    "PROVENANCE_NAME",
    "SBOM_ATTESTATION_NAME",
    "SCAN_ATTESTATION_NAME",
    "ReleaseSource",
    "build_run",
    "write_attestations",
]

#: Every attestation bundle of a release ends so (a DSSE bundle: it has no subject file).
ATTESTATION_SUFFIX = ".intoto.sigstore.json"
PROVENANCE_NAME = "provenance" + ATTESTATION_SUFFIX
SBOM_ATTESTATION_NAME = "sbom" + ATTESTATION_SUFFIX
SCAN_ATTESTATION_NAME = "vulnerabilities" + ATTESTATION_SUFFIX

_LOCAL_BUILDER = "urn:liturgia:builder:local"
_VERSION_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseSource:
    """What the provenance says of the release being built.

    Attributes:
        project: the project folder (read for git facts; never published).
        name: the project's name.
        version: the version released.
        tag: its tag name (``refs/tags/<tag>`` is the ref recorded).
        git: whether the project is a git work tree.
        commands: the ``[build]`` commands as configured (unexpanded templates).
        builds: the ``[[builds]]`` entries (each with its folder, targets, environment and
            commands, as configured).
        interpreter: what ``python`` means in them (``None``: ``PATH``'s).
        dry_run: a rehearsal (no tag is made).
        log_url: the base URL of the log the bundles are recorded in.
        started_on: when the release started (the reproducible clock).
    """

    project: Path
    name: str
    version: str
    tag: str
    git: bool
    commands: tuple[str, ...]
    builds: tuple[BuildSpec, ...] = ()
    interpreter: Path | None
    dry_run: bool
    log_url: str
    started_on: datetime


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _tool_version(argv: Sequence[str]) -> str | None:
    """The first line a tool prints for its version, or ``None`` when it cannot say."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=_VERSION_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    line = _first_line(done.stdout) or _first_line(done.stderr)
    return line if done.returncode == 0 and line else None


def _tool_versions(source: ReleaseSource) -> dict[str, str]:
    """liturgia's version and each build tool's (``python`` the build interpreter; go's
    ``go version``; others ``--version``), keyed by the name the commands use."""
    versions = {"liturgia": __version__}
    programs: dict[str, None] = {}
    for command in _all_commands(source):
        try:
            words = shlex.split(command)
        except ValueError:
            continue
        if words:
            programs[words[0]] = None
    if source.git:
        programs["git"] = None
    for program in programs:
        if program == "python" and source.interpreter is not None:
            path: str | None = str(source.interpreter)
        else:
            path = shutil.which(program)
        if path is None:
            continue
        found = _tool_version([path, "version"] if program == "go" else [path, "--version"])
        if found is not None:
            versions[Path(program).name] = found
    return versions


def _all_commands(source: ReleaseSource) -> tuple[str, ...]:
    """Every build command line: ``[build]``'s, then each ``[[builds]]`` entry's in order."""
    return (*source.commands, *(c for build in source.builds for c in build.commands))


def _build_parameters(build: BuildSpec) -> dict[str, Any]:
    """One ``[[builds]]`` entry as the provenance's external parameters record it."""
    described: dict[str, Any] = {"name": build.name, "ecosystem": build.ecosystem}
    described["dir"] = build.dir
    if build.targets:
        described["targets"] = list(build.targets)
    if build.env:
        described["env"] = dict(sorted(build.env.items()))
    described["commands"] = list(build.commands)
    if build.archive is not None:
        described["archive"] = {"name": build.archive.name, "root": build.archive.root}
    return described


def _builder() -> tuple[str, str | None]:
    """The builder's identity and this run's invocation ID from the environment, if any."""
    env = os.environ
    explicit = env.get("LITURGIA_BUILDER_ID", "").strip()
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_RUN_ID"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        run = (
            f"{server}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env['GITHUB_RUN_ID']}"
            f"/attempts/{env.get('GITHUB_RUN_ATTEMPT', '1')}"
        )
        workflow = env.get("GITHUB_WORKFLOW_REF", "")
        return explicit or (f"{server}/{workflow}" if workflow else server), run
    if env.get("GITLAB_CI") == "true" and env.get("CI_JOB_URL"):
        server, project = env.get("CI_SERVER_URL", ""), env.get("CI_PROJECT_PATH", "")
        runner = env.get("CI_RUNNER_ID", "")
        return explicit or f"{server}/{project}/-/runners/{runner}", env["CI_JOB_URL"]
    return explicit or _LOCAL_BUILDER, None


def build_run(source: ReleaseSource, *, finished_on: datetime) -> BuildRun:
    """The SLSA provenance facts of this release (see the module docstring).

    Raises:
        InputError: git cannot be read although the project is a git work tree.
    """
    commit = head_commit(source.project) if source.git else None
    remote = remote_url(source.project) if source.git else None
    uri = f"git+{remote}" if remote else f"urn:liturgia:source:{source.name}"
    builder_id, invocation = _builder()
    started = source.started_on.astimezone(UTC)
    if invocation is None:
        seed = f"{uri}@{commit}#{source.version}@{started.isoformat()}"
        invocation = uuid.uuid5(uuid.NAMESPACE_URL, seed).urn
    internal: dict[str, Any] = {"dryRun": source.dry_run, "transparencyLog": source.log_url}
    # Recorded either way: null says the build's timestamps were the real time.
    epoch = source_date_epoch()
    internal["SOURCE_DATE_EPOCH"] = str(epoch) if epoch is not None else None
    parameters: dict[str, Any] = {"name": source.name, "version": source.version}
    if source.builds:
        parameters["builds"] = [_build_parameters(build) for build in source.builds]
    return BuildRun(
        commands=_all_commands(source),
        source=GitSource(uri=uri, commit=commit, ref=f"refs/tags/{source.tag}"),
        builder_id=builder_id,
        started_on=started,
        finished_on=max(finished_on, started),
        invocation_id=invocation,
        builder_version=_tool_versions(source),
        internal_parameters=internal,
        parameters=parameters,
    )


def _scan_predicate(report: vuln.ScanReport, when: datetime) -> dict[str, Any]:
    """The scan as a vulns v0.2 predicate: every finding not suppressed, with its package."""
    database = report.database
    last = database.imported_at or database.newest_modified
    last_update = datetime.fromisoformat(last.replace("Z", "+00:00")) if last else when
    scanner = Scanner(
        uri=f"pkg:pypi/liturgia@{__version__}",
        version=__version__,
        db_uri=f"urn:liturgia:advisories:{database.kind}",
        db_version=f"{database.record_count} advisories",
        db_last_update=last_update,
    )
    findings = [
        VulnFinding(
            id=finding.id,
            severities=(("osv", str(finding.severity)),),
            annotations={
                "package": finding.name,
                "version": finding.version,
                **({"purl": finding.purl} if finding.purl else {}),
                **({"fixed": ", ".join(finding.fixed_versions)} if finding.fixed_versions else {}),
            },
        )
        for finding in report.findings
        if not finding.suppressed
    ]
    return provenance.vulns_predicate(
        scanner=scanner, findings=findings, started_on=when, finished_on=when
    )


def write_attestations(
    staging: Path,
    *,
    artifacts: Sequence[str],
    sboms: Sequence[str],
    sbom_name: str,
    run: BuildRun,
    scan: vuln.ScanReport,
    signer: Signer,
    record: Callable[[bytes], bytes],
) -> tuple[str, ...]:
    """Write the provenance, SBOM and scan attestation bundles into ``staging``.

    Args:
        staging: the release folder being written.
        artifacts: the artifacts' file names in ``staging``.
        sboms: the SBOMs' file names (the release SBOM and any per-artifact one).
        sbom_name: the release SBOM, the predicate of the SBOM attestation.
        run: the provenance facts (:func:`build_run`).
        scan: the scan's report.
        signer: the release key.
        record: logs a bundle and returns it with its entry (the release's log).

    Returns:
        The bundles' file names.

    Raises:
        InputError: a file cannot be read, or the provenance facts are invalid.
        NetworkError, StorageError: the log failed (``record``).
    """
    artifact_paths = [staging / name for name in artifacts]
    statements: list[tuple[str, provenance.Statement]] = [
        (
            PROVENANCE_NAME,
            provenance.provenance_statement(
                [*artifact_paths, *(staging / name for name in sboms)], run
            ),
        )
    ]
    kind, document = provenance.sbom_predicate(staging / sbom_name)
    statements.append(
        (
            SBOM_ATTESTATION_NAME,
            provenance.statement_for_files(
                artifact_paths, predicate_type=kind.value, predicate=document
            ),
        )
    )
    statements.append(
        (
            SCAN_ATTESTATION_NAME,
            provenance.statement_for_files(
                artifact_paths,
                predicate_type=PredicateType.VULNS.value,
                predicate=_scan_predicate(scan, run.finished_on),
            ),
        )
    )
    for name, statement in statements:
        atomic_write_bytes(staging / name, record(provenance.attest(statement, signer)))
    return tuple(name for name, _ in statements)
