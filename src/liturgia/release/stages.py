"""The release stages, one function each; :mod:`liturgia.release.pipeline` runs them in order.

Each stage takes plain values, calls one subsystem (``sbom``, ``vuln``, ``sign``) and writes its
files into the staging folder atomically. A gate records a failed check; only bad configuration or
input raises (``ConfigError``/``InputError``, exit 2).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from liturgia import sbom, sign, vuln
from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_bytes, atomic_write_text, read_bytes
from liturgia._internal.text import utf8_name
from liturgia.config import LoadedConfig
from liturgia.errors import ConfigError, InputError, LiturgiaError
from liturgia.model import Component, ComponentType, Dependency, Inventory
from liturgia.release.artifact_sboms import (
    artifact_contents,
    release_inventory,
    render_artifact_sbom,
    versioned,
)
from liturgia.release.build import (
    CommandResult,
    expand,
    find_program,
    run_command,
)
from liturgia.release.builds import (
    BuildStep,
    Built,
    all_builds,
    build_steps,
    check_go_sources,
    run_builds,
)
from liturgia.release.commits import ConventionalCommit
from liturgia.release.notes import changelog_text
from liturgia.release.plan import VersionPlan
from liturgia.release.shipped import portable_text, ship_report
from liturgia.release.version import Version

__all__ = [
    "CHANGELOG_NAME",
    "PUBLIC_KEY_NAME",
    "SBOM_NAME",
    "VULNERABILITIES_NAME",
    "ConventionalCommit",
    "SbomOutcome",
    "ScanOutcome",
    "ShippedReports",
    "build",
    "check_programs",
    "dependency_changes",
    "interpreter",
    "program_problems",
    "run_scan",
    "run_tests",
    "ship_test_reports",
    "sign_into",
    "write_changelog",
    "write_sbom",
]

_T = TypeVar("_T")

SBOM_NAME = "sbom.cdx.json"
#: The suffix of each artifact's own SBOM, written beside it: ``<artifact>.cdx.json``.
ARTIFACT_SBOM_SUFFIX = ".cdx.json"
VULNERABILITIES_NAME = "vulnerabilities.json"
PUBLIC_KEY_NAME = "release-key.pub"
CHANGELOG_NAME = "CHANGELOG.md"
#: Names of the shipped test reports: ``junit.xml`` (``junit-1.xml``... when several), and
#: the Cobertura report.
JUNIT_STEM = "junit"
COVERAGE_NAME = "coverage.xml"


def _junit_names(count: int) -> tuple[str, ...]:
    """The release folder's names of ``count`` JUnit reports, in configured order."""
    if count == 1:
        return (f"{JUNIT_STEM}.xml",)
    return tuple(f"{JUNIT_STEM}-{number}.xml" for number in range(1, count + 1))


def interpreter(config: LoadedConfig) -> Path | None:
    """The interpreter ``python`` means in the project's commands, or ``None`` (``PATH``'s).

    ``LITURGIA_PYTHON`` (relative to the current folder) wins over ``[build].python`` (relative
    to the project folder); a bare name is looked up on ``PATH``.

    Raises:
        ConfigError: the named interpreter is not found or not executable.
    """
    env = os.environ.get("LITURGIA_PYTHON", "").strip()
    if env:
        where, base, value = "LITURGIA_PYTHON", Path.cwd(), env
    elif config.settings.build.python:
        where = f"{config.path.name}: build.python"
        base, value = config.project_dir, config.settings.build.python
    else:
        return None
    if os.sep not in value:
        found = shutil.which(value)
        if found is None:
            raise ConfigError(f"{where}: {value!r}: interpreter not found on PATH")
        return Path(found)
    path = Path(os.path.normpath(base / Path(value).expanduser()))
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ConfigError(
            f"{where}: {value!r}: interpreter not found (or not executable) at {path}; "
            "create that environment or name another interpreter"
        )
    return path


def check_programs(config: LoadedConfig, values: Mapping[str, str]) -> int:
    """Preflight: every build and test command's program exists, before anything is built,
    and every local folder a Go build's module file takes a module from (see
    :func:`~liturgia.release.builds.check_go_sources`).

    Returns:
        The number of command lines checked.

    Raises:
        ConfigError: a program, the configured interpreter or a Go replacement folder is
            missing (the message names the setting and what is missing, and how to install a
            known toolchain), or a line cannot be parsed: the first of
            :func:`program_problems`.
        InputError: a Go module file cannot be read.
    """
    problems, count = program_problems(config, values)
    if problems:
        raise problems[0]
    return count


def program_problems(
    config: LoadedConfig, values: Mapping[str, str]
) -> tuple[tuple[LiturgiaError, ...], int]:
    """Every problem :func:`check_programs` finds, in the order a release meets them.

    Each setting is checked on its own: the interpreter, each build (its folder and
    placeholders), each command line's program, each Go build step's replacement folders (the
    first missing one of a step). A command after a wrong interpreter is looked up as if
    none were configured.

    Returns:
        The problems (each names its setting) and the number of command lines checked.
    """
    found: list[LiturgiaError] = []

    def attempt(step: Callable[[], _T]) -> _T | None:
        try:
            return step()
        except LiturgiaError as exc:
            found.append(exc)
            return None

    python = attempt(partial(interpreter, config))
    go_steps: list[BuildStep] = []
    steps: list[tuple[str, str, Path | None]] = []
    for spec in attempt(partial(all_builds, config)) or ():
        planned = attempt(partial(build_steps, config, spec, values)) or ()
        steps += [(step.where, step.command, step.cwd) for step in planned]
        if spec.ecosystem == "go":
            go_steps.extend(planned)
    for index, template in enumerate(config.settings.test.commands):
        where = f"test.commands[{index}]"
        command = attempt(partial(expand, template, values, where=where))
        if command is not None:
            steps.append((where, command, None))
    for where, command, cwd in steps:
        folder = cwd or config.project_dir
        attempt(partial(find_program, command, cwd=folder, python=python, where=where))
    for go_step in go_steps:
        attempt(partial(check_go_sources, [go_step]))
    return tuple(found), len(steps)


def build(config: LoadedConfig, values: Mapping[str, str], staging: Path) -> tuple[Built, ...]:
    """Run every build (``[build]`` and ``[[builds]]``) and copy the artifacts into ``staging``.

    Returns:
        The artifacts (their ``path`` is now in ``staging``), sorted by file name.

    Raises:
        ConfigError: no artifacts, bad placeholders or a missing program.
        InputError: a build command fails, a pattern matches nothing, or a name is reserved.
    """
    if not all_builds(config):
        raise ConfigError("build.artifacts: no artifact patterns configured")
    built = run_builds(config, values, python=interpreter(config))
    reserved = {
        SBOM_NAME,
        VULNERABILITIES_NAME,
        PUBLIC_KEY_NAME,
        CHANGELOG_NAME,
        "SHA256SUMS",
        COVERAGE_NAME,
        *_junit_names(len(config.settings.test.junit)),
    }
    copied = []
    for item in built:
        path = item.path
        # Checked before anything is copied or signed: the name is published (SBOM, SHA256SUMS,
        # bundles, gate report) and looked up exactly by `liturgia verify`.
        utf8_name(path, what="build.artifacts: a build artifact's")
        if (
            path.name in reserved
            or path.name.endswith(sign.BUNDLE_SUFFIX)
            or path.name.endswith(ARTIFACT_SBOM_SUFFIX)
        ):
            raise InputError(f"build.artifacts: {path.name}: name is reserved for liturgia output")
        shutil.copyfile(path, staging / path.name)
        if os.access(path, os.X_OK):
            (staging / path.name).chmod(0o755)
        copied.append(replace(item, path=staging / path.name))
    return tuple(copied)


def run_tests(config: LoadedConfig, values: Mapping[str, str]) -> tuple[CommandResult, ...]:
    """Run ``[test].commands``; their failures are recorded, not raised (the gate judges them).

    Raises:
        ConfigError: bad placeholders or a missing program.
    """
    results = []
    python = interpreter(config)
    for index, template in enumerate(config.settings.test.commands):
        where = f"test.commands[{index}]"
        results.append(
            run_command(
                expand(template, values, where=where),
                cwd=config.project_dir,
                version=values["version"],
                check=False,
                where=where,
                python=python,
            )
        )
    return tuple(results)


@dataclass(frozen=True, slots=True, kw_only=True)
class SbomOutcome:
    """What the sbom stage wrote and what the later stages read.

    Attributes:
        scanned: what the scan checks: the project's inventory (its sources' locked
            dependencies) and every versioned component an artifact contains that the sources
            do not name (e.g. the Go standard library a binary was linked with).
        document: what ``sbom.cdx.json`` holds (artifacts excepted), for the notes' dependency
            changes against the previous release's SBOM.
        artifact_sboms: the per-artifact SBOMs' file names.
        summary: one line for people.
    """

    scanned: Inventory
    document: Inventory
    artifact_sboms: tuple[str, ...]
    summary: str


def write_sbom(
    config: LoadedConfig, staging: Path, artifacts: Sequence[Built], version: Version
) -> SbomOutcome:
    """Catalog ``[project].sbom_paths`` and each artifact; write ``sbom.cdx.json`` and each
    artifact's ``<artifact>.cdx.json`` (CycloneDX 1.6 JSON).

    The release SBOM describes the release itself: ``metadata.component`` is
    ``<name>@<version>`` (an ``application``), which depends on the project the catalog found at
    the top (itself depending on the other projects of a polyglot tree). The artifacts are
    ``file`` components with their SHA-256, each with a ``dependencies`` edge to what it
    contains (see :mod:`liturgia.release.artifact_sboms`), whose components are merged in.

    Raises:
        ConfigError: an SBOM path does not exist.
        InputError: an artifact is not what its build says (see
            :func:`~liturgia.release.artifact_sboms.artifact_contents`).
    """
    project = config.settings.project
    paths = []
    for index, relative in enumerate(project.sbom_paths):
        path = config.resolve(relative)
        if not path.exists():
            raise ConfigError(f"{config.path}: project.sbom_paths[{index}]: {relative!r} not found")
        paths.append(path)
    inventory = _as_release(
        sbom.catalog(paths, root=config.project_dir, exclude_dev=project.exclude_dev),
        name=project.name,
        version=version,
    )
    contents = [artifact_contents(item, version=str(version)) for item in artifacts]
    written = []
    for item, content in zip(artifacts, contents, strict=True):
        name = f"{item.path.name}{ARTIFACT_SBOM_SUFFIX}"
        atomic_write_bytes(staging / name, render_artifact_sbom(content))
        written.append(name)
    document = release_inventory(inventory, contents)
    files = [content.file for content in contents]
    atomic_write_bytes(staging / SBOM_NAME, sbom.to_cyclonedx_json(document, artifacts=files))
    # A component an artifact contains with a version the sources do not name is checked too
    # (a Go binary's standard library is the toolchain's, not go.mod's `go` line). One without
    # a version (a module replaced by a local folder, a wheel's requirement range) cannot be
    # matched; the sources' locked version of it is what the scan checks.
    known = {component.ref for component in inventory.components}
    extra = {
        component.ref: component
        for content in contents
        for component in content.contents
        if component.version is not None
        and component.ref not in known
        and component.type is not ComponentType.APPLICATION
    }
    scanned = replace(inventory, components=(*inventory.components, *extra.values()))
    warned = f", {_count(len(inventory.warnings), 'input')} not read" if inventory.warnings else ""
    return SbomOutcome(
        scanned=scanned,
        document=document,
        artifact_sboms=tuple(written),
        summary=f"{len(document.components)} components, {len(files)} artifacts, "
        f"{_count(len(written), 'artifact SBOM')}{warned}",
    )


def _as_release(inventory: Inventory, *, name: str, version: Version) -> Inventory:
    release = Component(
        name=name,
        version=str(version),
        type=ComponentType.APPLICATION,
        bom_ref=f"release:{name}@{version}",
    )
    found = inventory.root
    if found is None:
        return replace(inventory, root=release)
    # The projects of the tree (the root found and the other projects it depends on) are built
    # for this release: when their own files state no version, theirs is the release's.
    components = tuple(
        versioned(component, str(version)) for component in (*inventory.components, found)
    )
    renamed = {
        old.ref: new.ref
        for old, new in zip((*inventory.components, found), components, strict=True)
    }
    dependencies = tuple(
        Dependency(
            ref=renamed.get(dep.ref, dep.ref),
            depends_on=tuple(renamed.get(ref, ref) for ref in dep.depends_on),
        )
        for dep in inventory.dependencies
    )
    return replace(
        inventory,
        root=release,
        components=components,
        dependencies=(
            Dependency(ref=release.ref, depends_on=(renamed[found.ref],)),
            *dependencies,
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanOutcome:
    """The scan stage's result as the gate needs it.

    Attributes:
        report: the scanner's report.
        summary: one line for people.
        stale: why the database is too old (the gate fails), or ``None``.
        warnings: advisory files that could not be used (file and reason).
        labels: the machine's folders the scan read and their portable names (see
            :func:`machine_labels`), for everything published about the scan.
    """

    report: vuln.ScanReport
    summary: str
    stale: str | None = None
    warnings: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisories:
    """The advisory database and suppressions, opened before the build (fail fast).

    Attributes:
        opened: what :func:`liturgia.vuln.open_advisories` opened (database, ignore file's
            rules, the database's age problem when ``[scan].stale = "gate"``: the gate fails).
        labels: the machine's folders and their portable names, for ``vulnerabilities.json``.
    """

    opened: vuln.OpenedAdvisories
    labels: Mapping[str, str]


def open_advisories(config: LoadedConfig) -> Advisories:
    """Open the advisory database (``[scan].osv`` folders or the ``liturgia vulndb`` index) and
    the ignore file, and judge the database's age.

    Raises:
        ConfigError: no advisory database is configured (never a silent "no vulnerabilities"),
            or both kinds are.
        InputError: an advisory folder, the index or the ignore file is missing, unreadable or
            empty, or the newest advisory is older than ``max_age_days`` and
            ``stale = "error"``.
    """
    settings = config.settings.scan
    labels = machine_labels(config, {})
    if settings.osv and settings.vulndb:
        raise ConfigError(
            f"{config.path}: scan.osv and scan.vulndb are both set; choose one advisory database"
        )
    if not (settings.osv or settings.vulndb):
        raise ConfigError(
            f"{config.path}: scan.osv: no advisory database configured (set scan.osv to OSV "
            "folders or scan.vulndb = true); a release is never scanned against nothing"
        )
    index = vuln.default_index_path() if settings.vulndb else None
    if index is not None:
        labels[str(index)] = index.name  # the index's folder is the machine's, not the release's
    opened = vuln.open_advisories(
        osv=[config.resolve(path) for path in settings.osv],
        index=index,
        ignore=config.resolve(settings.ignore) if settings.ignore else None,
        max_age=timedelta(days=settings.max_age_days),
        at=now(),
        index_hint=f"scan.vulndb in {config.path.name}",
    )
    if opened.stale is not None and settings.stale == "error":
        raise InputError(f"{opened.stale} (scan.max_age_days in {config.path.name})")
    return Advisories(opened=opened, labels=labels)


def run_scan(advisories: Advisories, staging: Path, inventory: Inventory) -> ScanOutcome:
    """Scan the inventory's components and write ``vulnerabilities.json``."""
    components = inventory.components
    opened = advisories.opened
    report = vuln.scan(components, opened.database, ignore=opened.rules, accept=opened.accept)
    # Advisory folders and files are named as the project names them, never by the absolute
    # paths of the machine that made the release.
    published = portable_text(vuln.report_to_json(report).decode(), advisories.labels)
    atomic_write_text(staging / VULNERABILITIES_NAME, published)
    active = [f for f in report.findings if not f.suppressed]
    warnings = opened.database.warnings
    return ScanOutcome(
        report=report,
        labels=advisories.labels,
        stale=opened.stale,
        warnings=tuple(warnings),
        summary=(
            f"{_count(len(components), 'component')}, {_count(len(active), 'finding')}"
            f" ({len(report.findings) - len(active)} suppressed), {len(report.unchecked)} unchecked"
            + (f", {_count(len(warnings), 'unusable advisory file')}" if warnings else "")
        ),
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def sign_into(staging: Path, name: str, key: sign.KeyPair) -> None:
    """Sign ``staging/name`` and write its Sigstore bundle ``staging/name.sigstore.json``."""
    bundle = sign.sign_file(staging / name, key.signer)
    atomic_write_bytes(staging / f"{name}{sign.BUNDLE_SUFFIX}", bundle)


def write_changelog(
    *,
    config: LoadedConfig,
    staging: Path,
    plan: VersionPlan,
    today: date,
    dry_run: bool,
) -> str:
    """Write the project's CHANGELOG.md with this version's section into the release folder.

    The project's own file is only replaced by the tag stage of a real GO release (and put back
    if the commit, tag or push fails), so a dry run and a failed release leave it untouched.

    Returns:
        A one-line summary.
    """
    project_file = config.project_dir / CHANGELOG_NAME
    existing = read_bytes(project_file).decode("utf-8") if project_file.is_file() else None
    fold = config.settings.project.prerelease_changelog == "fold"
    text = changelog_text(plan, today, existing=existing, fold_prereleases=fold)
    atomic_write_text(staging / CHANGELOG_NAME, text)
    if dry_run:
        return f"{CHANGELOG_NAME} section {plan.version} (project file untouched: dry run)"
    return f"{CHANGELOG_NAME} section {plan.version} (committed with the tag on GO)"


def machine_labels(
    config: LoadedConfig, values: Mapping[str, str], *, staging: Path | None = None
) -> dict[str, str]:
    """The build machine's folders and the names a published file uses for them.

    Files in the release folder are named as a reader of the release sees them, the work
    folders by their placeholders, files of the project relative to it, the home folder ``~``,
    the temporary folder ``$TMPDIR``:
    no absolute path of the machine that made the release is published, and the same input
    gives the same bytes wherever it is released.

    Args:
        config: the project's configuration (its folder).
        values: the placeholder values (``build_dir``, ``reports_dir``), possibly empty.
        staging: the staging folder, when files in it are named.
    """
    labels = {str(config.project_dir): ""}
    home = str(Path.home())
    if len(home) > 1:  # a home of "/" names nothing worth hiding
        labels[home] = "~"
    # A project's failing test may print its own temporary folders (pytest's tmp_path).
    temporary = tempfile.gettempdir()
    if len(temporary) > 1:
        labels[temporary] = "$TMPDIR"
    for placeholder in ("build_dir", "reports_dir"):
        if placeholder in values:
            labels[values[placeholder]] = "{" + placeholder + "}"
    if staging is not None:
        labels[str(staging)] = ""
    return labels


@dataclass(frozen=True, slots=True, kw_only=True)
class ShippedReports:
    """The test reports as the release folder holds them, for the gate to read.

    Attributes:
        junit: each configured JUnit report, shipped as ``junit.xml`` (``junit-1.xml``... when
            several), or its configured path when there was nothing to ship.
        coverage: the coverage report shipped as ``coverage.xml`` (or its configured path), or
            ``None`` when ``test.coverage`` is not set.
    """

    junit: tuple[Path, ...]
    coverage: Path | None


def ship_test_reports(
    config: LoadedConfig, values: Mapping[str, str], staging: Path, labels: Mapping[str, str]
) -> ShippedReports:
    """Copy the configured test reports into ``staging``, without the machine's folders.

    Nothing is shipped when ``gates.require_tests = false`` (the gate does not read them).
    """
    settings = config.settings
    if not settings.gates.require_tests:
        return ShippedReports(junit=(), coverage=None)
    junit = tuple(
        ship_report(config.resolve(expand(p, values, where="test.junit")), staging / name, labels)
        for p, name in zip(settings.test.junit, _junit_names(len(settings.test.junit)), strict=True)
    )
    coverage = None
    if settings.test.coverage:
        source = config.resolve(expand(settings.test.coverage, values, where="test.coverage"))
        coverage = ship_report(source, staging / COVERAGE_NAME, labels)
    return ShippedReports(junit=junit, coverage=coverage)


def dependency_changes(previous_sbom: Path, inventory: Inventory) -> str | None:
    """Markdown for the release notes: what changed since the previous release's SBOM.

    Args:
        previous_sbom: ``<out>/<name>-<previous version>/sbom.cdx.json``; when it does not
            exist (first release, or released elsewhere) there is nothing to compare.
        inventory: this release's inventory.

    Returns:
        A ``## Dependency changes`` section, or ``None`` when there is no previous SBOM.
    """
    if not previous_sbom.is_file():
        return None
    try:
        old = sbom.read_sbom(read_bytes(previous_sbom), source=str(previous_sbom))
    except LiturgiaError:
        return None  # an unreadable old SBOM is not this release's problem; the notes say less
    diff = sbom.diff_inventories(old, inventory)
    lines = ["## Dependency changes", "", f"Compared with `{previous_sbom.parent.name}`."]
    if diff.empty:
        return "\n".join([*lines, "", "No dependency changed."])
    for title, items in (
        ("Added", [f"{c.name} {c.version or ''}".rstrip() for c in diff.added]),
        ("Removed", [f"{c.name} {c.version or ''}".rstrip() for c in diff.removed]),
        ("Upgraded", [f"{c.name} {c.old} → {c.new}" for c in diff.upgraded]),
        ("Downgraded", [f"{c.name} {c.old} → {c.new}" for c in diff.downgraded]),
        (
            "Licence changes",
            [
                f"{c.name} {c.version or ''}: {' AND '.join(c.old) or 'none'} → "
                f"{' AND '.join(c.new) or 'none'}"
                for c in diff.licence_changes
            ],
        ),
    ):
        if items:
            lines += ["", f"### {title}", "", *(f"- {item}" for item in items)]
    return "\n".join(lines)
