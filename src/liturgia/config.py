"""Project configuration: ``liturgia.toml`` or ``[tool.liturgia]`` in ``pyproject.toml``.

Precedence (STYLE.md "Configuration"): command-line flag > ``LITURGIA_*`` environment variable >
``liturgia.toml`` > ``[tool.liturgia]`` in ``pyproject.toml`` > defaults. The two files are never
merged: the first one found in the project folder wins. Validation forbids unknown keys, so a typo
is a :class:`~liturgia.errors.ConfigError` naming the file and the key.

Paths in the file are relative to the project folder. Secrets never live in the file: the signing
key is referenced by path and its password comes from ``LITURGIA_PASSWORD`` or a prompt.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from liturgia._internal.xdg import user_dir
from liturgia.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "ArchiveSettings",
    "BuildSettings",
    "BuildSpec",
    "GateSettings",
    "LoadedConfig",
    "PolicyCheck",
    "ProjectSettings",
    "PublishTarget",
    "ScanSettings",
    "ServerSettings",
    "Settings",
    "SigningSettings",
    "TestSettings",
    "Waiver",
    "default_signing_key_path",
    "find_config",
    "load_config",
    "validation_problem",
]

#: The name of the dedicated configuration file.
CONFIG_FILE = "liturgia.toml"


#: A TOML array of strings (TOML arrays arrive as lists; the rest of the document is strict).
_Strings = Annotated[tuple[str, ...], Strict(strict=False)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ProjectSettings(_Section):
    """``[project]``: what is released.

    Attributes:
        name: the release name, used in ``dist/<name>-<version>/``.
        initial_version: SemVer of the first release when no ``vX.Y.Z`` tag exists.
        major_on_zero: whether a breaking change in 0.x bumps the major version.
        sbom_paths: folders or lockfiles to catalog, relative to the project folder.
        exclude_dev: leave development-only dependencies out of the SBOM.
        tag_format: release tag names, ``{version}`` once: ``v{version}`` (default), or
            ``cli/v{version}`` for one component of a monorepo.
        version_scheme: how tags spell versions: ``semver`` (SemVer 2.0.0) or ``pep440``
            (``v3.0.0rc1``).
        paths: git pathspecs, relative to the project folder, whose commits make this
            project's version and notes (a monorepo component lists its own folders).
        prerelease_changelog: how a final release's changelog treats its pre-releases:
            ``fold`` (the final section lists every change since the last final release and
            the pre-release sections are removed) or ``keep`` (pre-release sections stay and
            the final section lists only what came after the last pre-release).
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    initial_version: str = "0.1.0"
    major_on_zero: bool = False
    sbom_paths: _Strings = (".",)
    exclude_dev: bool = False
    tag_format: str = "v{version}"
    version_scheme: Literal["semver", "pep440"] = "semver"
    paths: _Strings = (".",)
    prerelease_changelog: Literal["fold", "keep"] = "fold"


class BuildSettings(_Section):
    """``[build]``: commands run in order from the project folder, and the artifacts to collect.

    Commands are split like a POSIX shell line (no shell runs them) and run as written: programs
    are found on ``PATH`` as the user has it (a name with a slash is relative to the project
    folder), and a missing one is an error before anything is built. Placeholders:
    ``{build_dir}`` (a fresh, empty folder for this build), ``{version}``, ``{project}``.
    ``LITURGIA_VERSION`` and ``SOURCE_DATE_EPOCH`` are set in the commands' environment.

    Attributes:
        commands: build command lines.
        artifacts: glob patterns, relative to the project folder (``{build_dir}`` allowed).
        python: the interpreter that a first word ``python`` or ``python3`` means in build and
            test commands, e.g. ``".venv/bin/python"`` (relative to the project folder) or a
            name on ``PATH``; ``LITURGIA_PYTHON`` overrides it. Unset: ``python`` is found on
            ``PATH`` like any program.
    """

    commands: _Strings = ()
    artifacts: _Strings = ()
    python: str | None = Field(default=None, min_length=1)


class ArchiveSettings(_Section):
    """``[builds.archive]``: pack a build's output folder into a reproducible ``.tgz``.

    The archive is written by liturgia (never by ``tar``): entries sorted by name, under one
    top folder, owner ``0:0`` with no user or group names, modes ``0644``/``0755``, every
    modification time and the gzip header's time ``SOURCE_DATE_EPOCH`` (reproducible-builds.org
    "Archive metadata"), so the same files give the same bytes.

    Attributes:
        name: the archive's file name (placeholders allowed), e.g.
            ``"vertice-frontend-{version}.tgz"``; it must end in ``.tgz`` or ``.tar.gz``.
        root: the folder whose files are packed (placeholders allowed, relative to the project
            folder), e.g. ``"{build_dir}/frontend"``.
        prefix: the top folder inside the archive (default: ``name`` without its suffix).
    """

    name: str = Field(min_length=1, pattern=r"\.(tgz|tar\.gz)$")
    root: str = Field(min_length=1)
    prefix: str | None = Field(default=None, min_length=1, pattern=r"^[^/]+$")


class BuildSpec(_Section):
    """One ``[[builds]]`` entry: a component built by its own commands (one per ecosystem).

    Each build's commands run in ``dir`` (relative to the project folder), once, or once per
    target when ``targets`` is set, with the placeholders of :class:`BuildSettings` plus
    ``{os}``, ``{arch}`` (the target's two halves), ``{exe}`` (``.exe`` for ``windows``, else
    empty) and ``{name}`` (the build's name). ``env`` values take the same placeholders and are
    added to the commands' environment (``GOOS = "{os}"``, ``CGO_ENABLED = "0"``).

    Attributes:
        name: the build's name, used in messages and in the SBOM.
        ecosystem: what the artifacts are, which says how they are cataloged: ``go``
            (executables: their embedded build information), ``npm`` (the production part of
            ``lockfile``), ``python`` (wheels and sdists: their core metadata), ``generic``
            (no contents recorded).
        dir: the folder the commands run in, relative to the project folder.
        commands: command lines (split like a POSIX shell line, no shell).
        targets: ``os/arch`` pairs, e.g. ``"linux/amd64"``; empty: the commands run once.
        env: extra environment variables of the commands.
        artifacts: glob patterns of the released files, relative to the project folder.
        archive: pack an output folder into a reproducible tarball, which is then an artifact.
        lockfile: for ``npm``, the lockfile (relative to the project folder) whose production
            packages are the bundle's contents.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    ecosystem: Literal["go", "npm", "python", "generic"] = "generic"
    dir: str = "."
    commands: _Strings = ()
    targets: Annotated[
        tuple[Annotated[str, Field(pattern=r"^[a-z0-9]+/[a-z0-9]+$")], ...], Strict(strict=False)
    ] = ()
    env: dict[str, str] = Field(default_factory=dict)
    artifacts: _Strings = ()
    archive: ArchiveSettings | None = None
    lockfile: str | None = Field(default=None, min_length=1)


class TestSettings(_Section):
    """``[test]``: commands that run the tests, and the reports they leave.

    Attributes:
        commands: test command lines (same rules as :class:`BuildSettings`; ``{reports_dir}``
            is a fresh folder for reports). A failing test command is recorded by the gate.
        junit: JUnit XML report paths (``{reports_dir}`` allowed).
        coverage: Cobertura XML coverage report path, or ``None``.
    """

    __test__ = False  # not a pytest class

    commands: _Strings = ()
    junit: _Strings = ()
    coverage: str | None = None


class ScanSettings(_Section):
    """``[scan]``: the advisory database and suppressions.

    Attributes:
        osv: folders of OSV advisory files (JSON or YAML), relative to the project folder.
        vulndb: scan against the SQLite advisory index ``liturgia vulndb`` maintains
            (``LITURGIA_VULNDB``, else ``$XDG_CACHE_HOME/liturgia/advisories.sqlite3``) instead
            of ``osv`` folders (one or the other, never both).
        ignore: an ignore file (TOML ``[[ignore]]`` entries: id, component, reason, expires).
        unknown_severity: how a finding without severity counts for the gate.
        max_age_days: the newest advisory may be at most this old (a database that has not
            been updated is stale: it would miss everything published since).
        stale: a stale database is an ``"error"`` (exit 2 before the build) or fails the
            vulnerability ``"gate"`` (the release is written, NO-GO).
        accept_unchecked: let the gate pass although some components could not be checked
            (no version, a version their ecosystem cannot order, no advisories for their
            ecosystem); they are still listed. To accept components one by one with a reason,
            use ``[[unchecked]]`` entries in the ignore file instead.
        include_dev: findings in development-only components (scope ``excluded``) fail the
            vulnerability gate like runtime ones (by default they are reported apart and do not).
        uncertain: findings the scanner is not sure of (a Go pseudo-version with no tagged base
            cannot be placed in a range) ``"block"`` the gate like others, or are only
            ``"report"``-ed.
    """

    osv: _Strings = ()
    vulndb: bool = False
    ignore: str | None = None
    max_age_days: int = Field(default=7, ge=1)
    stale: Literal["error", "gate"] = "error"
    accept_unchecked: bool = False
    unknown_severity: Literal["critical", "high", "medium", "low", "none"] = "high"
    uncertain: Literal["block", "report"] = "block"
    include_dev: bool = False


class SigningSettings(_Section):
    """``[signing]``: the key that signs artifacts and the SBOM.

    Attributes:
        key: a key reference, resolved exactly as ``liturgia sign --key`` resolves it: a path
            of an encrypted private key (cosign format; the public key is ``<key>.pub`` with the
            ``.key`` suffix replaced; created on first use), ``file:PATH``, or a backend URI
            (``hashivault://KEY``, ``pkcs11:...``), which is never replaced by a local key.
            Default: :func:`default_signing_key_path`.
        tlog_url: a Rekor v1 transparency log (``liturgia serve``'s URL) that records every
            bundle of a release; unset: the embedded log in the user's state folder. A
            configured log that cannot be reached fails the release (exit 3).
        tlog_key: that log's public key PEM (relative to the project folder); its signed
            entry timestamps and checkpoints must verify under it. Unset: the key the log
            serves is taken and written into the release's trusted root.
    """

    key: str | None = None
    tlog_url: str | None = None
    tlog_key: str | None = None


class Waiver(_Section):
    """One ``[[gates.waivers]]`` entry: a failed check (or item of one) the project accepts.

    Two forms. A waiver of one unreadable input of the ``"inputs"`` check names its ``file``
    (e.g. a lockfile of a part that is not shipped). A waiver of a whole check of the policy
    names the check and says who accepted it and until when: ``by`` and ``expires`` are
    required; from the day after ``expires`` the waiver fails its check (it must be renewed or
    removed), whether or not the check would pass.

    Attributes:
        check: the name of the check it applies to (``"inputs"``, or a ``[[gates.checks]]``
            name).
        file: for ``"inputs"``: the file, as the check names it (relative to the project).
        reason: why the release may go without it (shown in the gate report).
        by: who accepted it (a person or role).
        expires: the last day it holds (a TOML date, ``2026-06-30``).
    """

    check: str = Field(min_length=1)
    file: str | None = Field(default=None, min_length=1)
    reason: str = Field(min_length=1, pattern=r"\S")
    by: str | None = Field(default=None, min_length=1, pattern=r"\S")
    expires: date | None = None

    @model_validator(mode="after")
    def _complete(self) -> Waiver:
        if self.file is None and (self.by is None or self.expires is None):
            raise ValueError(
                "a waiver of a whole check needs 'by' (who accepted it) and 'expires' (a date); "
                "a waiver of one unreadable input names its 'file'"
            )
        if self.file is not None and self.check != "inputs":
            raise ValueError("'file' applies to check = \"inputs\" only")
        return self


class PolicyCheck(BaseModel):
    """One ``[[gates.checks]]`` entry: a check of the golden rule, as the project sets it.

    The keys below are common to every kind; any other key is a setting of the kind
    (``minimum``, ``suites``, ``report``...), validated by the kind itself, so a typo is named.

    Attributes:
        kind: the check kind (``liturgia check`` lists them; e.g. ``"tests"``, ``"coverage"``).
        name: the row's name in the report (default: the kind); unique in the policy.
        severity: ``"blocking"`` (a failure makes the release NO-GO) or ``"advisory"`` (shown,
            never blocking).
        evidence: files the check reads, relative to the project folder, when the kind reads
            files (its settings may name them instead).
    """

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    kind: str = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    severity: Literal["blocking", "advisory"] = "blocking"
    evidence: _Strings = ()

    @property
    def row(self) -> str:
        """The name of its report row."""
        return self.name or self.kind

    @property
    def options(self) -> dict[str, Any]:
        """The kind's own settings (every key but the common ones)."""
        return dict(self.model_extra or {})


class GateSettings(_Section):
    """``[gates]``: the golden rule's thresholds.

    Attributes:
        coverage_min: minimum coverage percent (0-100).
        fail_on: lowest finding severity that fails the vulnerability gate.
        require_tests: whether the tests gate applies.
        waivers: accepted failures, each with its reason (see :class:`Waiver`).
        checks: the golden rule as policy, in report order (see :class:`PolicyCheck`); when
            unset, the built-in checks (tests, coverage, vulnerabilities, sbom, inputs,
            signatures, changelog) as the settings above configure them.
    """

    coverage_min: float = Field(default=80.0, ge=0.0, le=100.0)
    fail_on: Literal["critical", "high", "medium", "low"] = "high"
    require_tests: bool = True
    waivers: Annotated[tuple[Waiver, ...], Strict(strict=False)] = ()
    checks: Annotated[tuple[PolicyCheck, ...], Strict(strict=False)] | None = None


class ServerSettings(_Section):
    """``[server]``: the cockpit server a release is sent to (``liturgia release --server``).

    Attributes:
        url: the server's base URL (``liturgia serve``); unset: the release is sent nowhere.
            Its write token comes from ``LITURGIA_TOKEN`` (never from this file).
        required: a server that did not take the release's events by the gate makes the
            gate report's ``cockpit`` row blocking (NO-GO, never tagged), and a record lost
            after the gate fails the release (exit 3); by default a server that is down or
            slow is an advisory row and a warning.
    """

    url: str | None = None
    required: bool = False


class PublishTarget(_Section):
    """``[publish.NAME]``: one place releases are published to (``liturgia publish --to NAME``).

    Targets are named by the user (``staging``, ``production``, any name). Credentials never
    live here: they come from the environment or the registry's usual file (``~/.pypirc``,
    ``~/.npmrc``), see :mod:`liturgia.publish.credentials`.

    Attributes:
        kind: the registry protocol: ``pypi`` (the legacy upload API and the PEP 503/691 simple
            API), ``npm`` (the npm registry API), ``oci`` (OCI distribution spec 1.1).
        url: where files are uploaded: a PyPI-compatible upload endpoint
            (``https://upload.pypi.org/legacy/``, a pypiserver's root), an npm registry's base
            URL, an OCI registry's base URL.
        index_url: ``pypi`` only: the simple API the uploaded files are read back from
            (default: ``url`` + ``simple/``, as pypiserver serves it).
        repository: ``oci`` only: the repository name in the registry.
        pypirc: ``pypi`` only: the ``~/.pypirc`` section holding the credentials (default: the
            target's name).
        smoke: commands ``liturgia deploy NAME`` runs after publishing, in order, from the
            project folder; each must exit 0. ``{version}`` and ``{url}``/``{index_url}`` are
            replaced.
        after: the target that must have been deployed, smoke tests passed, with the same
            digests, before this one is (``production`` names ``staging``).
    """

    kind: Literal["pypi", "npm", "oci"]
    url: str = Field(min_length=1)
    index_url: str | None = None
    repository: str | None = None
    pypirc: str | None = None
    smoke: _Strings = ()
    after: str | None = None


class Settings(_Section):
    """The whole configuration document (one ``liturgia.toml`` or ``[tool.liturgia]``)."""

    project: ProjectSettings
    build: BuildSettings = BuildSettings()
    builds: Annotated[tuple[BuildSpec, ...], Strict(strict=False)] = ()
    test: TestSettings = TestSettings()
    scan: ScanSettings = ScanSettings()
    signing: SigningSettings = SigningSettings()
    gates: GateSettings = GateSettings()
    server: ServerSettings = ServerSettings()
    publish: Annotated[dict[str, PublishTarget], Strict(strict=False)] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedConfig:
    """A validated configuration and where it came from.

    Attributes:
        settings: the validated document.
        path: the file it was read from.
        project_dir: the folder paths in the file are relative to.
    """

    settings: Settings
    path: Path
    project_dir: Path

    def resolve(self, relative: str) -> Path:
        """Return ``relative`` (``~`` expanded) made absolute against the project folder.

        Symbolic links are not followed here (a link loop is reported by whoever reads the path).
        """
        return Path(os.path.normpath(self.project_dir / Path(relative).expanduser()))


def default_signing_key_path() -> Path:
    """Return the path of the release signing key (private, cosign format) when none is set.

    ``$LITURGIA_KEY``, else ``$XDG_CONFIG_HOME/liturgia/keys/release.key`` (``~/.config`` when
    unset). Not the transparency log's key: see ``server.instance.log_key_path_for_db``.
    """
    env = os.environ.get("LITURGIA_KEY")
    if env:
        return Path(env).expanduser()
    return user_dir("config") / "keys" / "release.key"


def find_config(project_dir: Path) -> Path:
    """Return the configuration file of ``project_dir``.

    ``liturgia.toml`` wins over a ``pyproject.toml`` that has ``[tool.liturgia]``.

    Raises:
        ConfigError: the folder does not exist or holds neither.
    """
    if not project_dir.is_dir():
        raise ConfigError(f"{project_dir}: project folder not found")
    dedicated = project_dir / CONFIG_FILE
    if dedicated.is_file():
        return dedicated
    pyproject = project_dir / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool", {})
        if isinstance(tool, dict) and "liturgia" in tool:
            return pyproject
    raise ConfigError(
        f"{project_dir}: no {CONFIG_FILE} and no [tool.liturgia] in pyproject.toml "
        "(run `liturgia init` to write one)"
    )


def load_config(project_dir: Path) -> LoadedConfig:
    """Find, parse and validate the configuration of ``project_dir``.

    Raises:
        ConfigError: no configuration, invalid TOML, an unknown key or a wrong type; the message
            names the file and the dotted key.
    """
    path = find_config(project_dir)
    document: Any = _read_toml(path)
    if path.name == "pyproject.toml":
        document = document["tool"]["liturgia"]
        prefix = "tool.liturgia."
    else:
        prefix = ""
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: {prefix or 'the document'} must be a table")
    try:
        settings = Settings.model_validate(document)
    except ValidationError as exc:
        # An unknown key is the likeliest cause of everything else (a typo'd required key).
        raise ConfigError(f"{path}: {validation_problem(exc, prefix)}") from exc
    return LoadedConfig(settings=settings, path=path, project_dir=project_dir.resolve())


def validation_problem(exc: ValidationError, prefix: str = "") -> str:
    """``"<key path>: <what is wrong>"`` for the first problem of a validation error.

    An unknown key comes first: it is the likeliest cause of everything else (a typo'd
    required key). ``prefix`` is put before the key path (``"gates.checks[2]."``).
    """
    errors = sorted(exc.errors(), key=lambda e: e.get("type") != "extra_forbidden")
    first = errors[0]
    where = prefix + ".".join(str(part) for part in first["loc"])
    return f"{where.rstrip('.')}: {_describe(first)}"


def _describe(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    expected = _EXPECTED.get(kind)
    if expected is not None:
        return (
            f"expected {expected}, got {type(error.get('input')).__name__} {error.get('input')!r}"
        )
    return str(error.get("msg", "invalid value"))


#: pydantic error types, as a TOML author would say what was expected.
_EXPECTED = {
    "tuple_type": "an array of strings",
    "string_type": "a string",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
    "dict_type": "a table",
    "model_type": "a table",
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
