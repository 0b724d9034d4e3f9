"""The starter ``liturgia.toml`` that ``liturgia init`` writes, fitted to the project found.

The project folder and its direct sub-folders are searched for the manifests and lockfiles of
each ecosystem liturgia catalogs (a polyglot repository holds several: a Python service in
``backend/``, a JavaScript front end in ``frontend/``, a Go command in ``cli/``):

* Python: ``pyproject.toml``, ``setup.py``, ``setup.cfg``, ``requirements*.txt``, ``Pipfile``,
  ``poetry.lock``, ``uv.lock``, ``pdm.lock``;
* JavaScript: ``package.json``, ``package-lock.json``, ``yarn.lock``, ``pnpm-lock.yaml``;
* Go: ``go.mod``; Rust: ``Cargo.toml``.

The starter gets build and test commands for each project found, the SBOM paths, and a scan of
the advisory index ``liturgia vulndb`` maintains. The release name comes from the manifest at the
top of the project (``[project].name`` or ``[tool.poetry].name`` of pyproject.toml, ``name`` of
package.json, the last element of go.mod's ``module`` path, ``[package].name`` of Cargo.toml), and
only without one from the folder's name.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from liturgia.errors import InputError

__all__ = [
    "DetectedProject",
    "Ecosystem",
    "ProjectName",
    "detect_projects",
    "project_name",
    "render_starter",
]


class Ecosystem(StrEnum):
    """The ecosystems a starter knows how to build and test."""

    PYTHON = "Python"
    JAVASCRIPT = "JavaScript"
    GO = "Go"
    RUST = "Rust"


#: Manifests and lockfiles that mark a folder as a project of each ecosystem (file names; a
#: trailing ``*`` is a prefix, as in ``requirements*.txt``).
_MARKERS: dict[Ecosystem, tuple[str, ...]] = {
    Ecosystem.PYTHON: (
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements*.txt",
        "Pipfile",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
    ),
    Ecosystem.JAVASCRIPT: ("package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml"),
    Ecosystem.GO: ("go.mod",),
    Ecosystem.RUST: ("Cargo.toml",),
}

#: Sub-folders never searched: dependencies, environments and build output.
_SKIPPED = frozenset(
    {"node_modules", "vendor", "target", "dist", "build", "venv", "env", "site-packages"}
)

#: OSV ecosystem names, for the `liturgia vulndb update` hint.
_OSV_NAMES = {
    Ecosystem.PYTHON: "PyPI",
    Ecosystem.JAVASCRIPT: "npm",
    Ecosystem.GO: "Go",
    Ecosystem.RUST: "crates.io",
}

_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectedProject:
    """One ecosystem's project inside the folder ``liturgia init`` runs on.

    Attributes:
        ecosystem: its ecosystem.
        folder: its folder relative to the project root, POSIX style, ``"."`` for the root.
        markers: the manifests and lockfiles found there, sorted.
    """

    ecosystem: Ecosystem
    folder: str
    markers: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectName:
    """The release name and where it came from.

    Attributes:
        name: a valid ``[project].name`` (letters, digits, ``.``, ``_``, ``-``).
        source: the manifest it was read from (e.g. ``"package.json"``), or ``"folder name"``.
    """

    name: str
    source: str


def _markers_in(folder: Path, ecosystem: Ecosystem) -> tuple[str, ...]:
    found: set[str] = set()
    for marker in _MARKERS[ecosystem]:
        if marker.endswith("*.txt"):
            found.update(p.name for p in folder.glob(marker) if p.is_file())
        elif (folder / marker).is_file():
            found.add(marker)
    return tuple(sorted(found))


def detect_projects(root: Path) -> tuple[DetectedProject, ...]:
    """Find the projects of each ecosystem in ``root`` and its direct sub-folders.

    Hidden folders and dependency or build folders (``node_modules``, ``vendor``, ``target``,
    ``dist``...) are not searched.

    Returns:
        The projects, the root's first, then by folder name, each folder's in the order
        Python, JavaScript, Go, Rust.
    """
    children = (
        child
        for child in root.iterdir()
        if child.is_dir() and not child.name.startswith(".") and child.name not in _SKIPPED
    )
    folders = [root, *sorted(children, key=lambda child: child.name)]
    projects = []
    for folder in folders:
        relative = "." if folder == root else folder.relative_to(root).as_posix()
        for ecosystem in Ecosystem:
            markers = _markers_in(folder, ecosystem)
            if markers:
                projects.append(
                    DetectedProject(ecosystem=ecosystem, folder=relative, markers=markers)
                )
    return tuple(projects)


def _clean(name: str) -> str:
    return _NAME_RE.sub("-", name).strip("-.")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{path}: cannot read the manifest: {exc}") from exc


def _table(value: object) -> dict[str, Any]:
    """``value`` when it is a table (a dict), else an empty one: a manifest of another shape
    states no name."""
    return value if isinstance(value, dict) else {}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{path}: cannot read the manifest: {exc}") from exc
    return _table(document)


def _name_in(path: Path) -> str | None:
    """The project name a manifest states, or ``None`` when it states none."""
    match path.name:
        case "pyproject.toml":
            document = _read_toml(path)
            poetry = _table(_table(document.get("tool")).get("poetry"))
            name = _table(document.get("project")).get("name") or poetry.get("name")
        case "package.json":
            name = _read_json(path).get("name")
            if isinstance(name, str):
                name = name.removeprefix("@").replace("/", "-")  # @scope/pkg -> scope-pkg
        case "go.mod":
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError) as exc:
                raise InputError(f"{path}: cannot read the manifest: {exc}") from exc
            found = re.search(r"^module\s+\"?([^\s\"]+)", text, re.MULTILINE)
            parts = found.group(1).split("/") if found else []
            # A major-version suffix (example.com/tool/v2) names the version, not the module.
            if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
                parts.pop()
            name = parts[-1] if parts else None
        case "Cargo.toml":
            name = _table(_read_toml(path).get("package")).get("name")
        case _:
            name = None
    return (_clean(name) or None) if isinstance(name, str) else None


def project_name(root: Path) -> ProjectName:
    """The release name: from the manifest at the top of ``root``, else the folder's name.

    Manifests are read in the order pyproject.toml, package.json, go.mod, Cargo.toml; the first
    that states a name wins.

    Raises:
        InputError: a manifest at the top cannot be parsed (it names the file).
    """
    for manifest in ("pyproject.toml", "package.json", "go.mod", "Cargo.toml"):
        path = root / manifest
        if path.is_file():
            name = _name_in(path)
            if name:
                return ProjectName(name=name, source=manifest)
    return ProjectName(name=_clean(root.resolve().name) or "project", source="folder name")


def _label(folder: str) -> str:
    return "root" if folder == "." else _clean(folder.replace("/", "-"))


#: Artifact globs of each ecosystem's build commands.
_ARTIFACTS: dict[Ecosystem, tuple[str, ...]] = {
    Ecosystem.PYTHON: ("{build_dir}/*.whl", "{build_dir}/*.tar.gz"),
    Ecosystem.JAVASCRIPT: ("{build_dir}/*.tgz",),
    Ecosystem.GO: ("{build_dir}/go/**/*",),
    Ecosystem.RUST: ("{build_dir}/cargo/package/*.crate",),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Lines:
    build: tuple[str, ...]
    tests: tuple[str, ...]
    junit: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _lines(root: Path, project: DetectedProject, *, count: int) -> _Lines:
    """The build and test commands of one project; ``count`` projects share its ecosystem."""
    folder = project.folder
    here = folder == "."
    match project.ecosystem:
        case Ecosystem.PYTHON:
            junit = (
                "{reports_dir}/junit.xml"
                if count == 1
                else (f"{{reports_dir}}/junit-{_label(folder)}.xml")
            )
            return _Lines(
                build=(f"python -m build --outdir {{build_dir}} {folder}",),
                tests=(
                    f"python -m coverage run --append --branch --source={folder} "
                    f"--data-file={{reports_dir}}/.coverage -m pytest {folder} --junitxml={junit}",
                ),
                junit=(junit,),
            )
        case Ecosystem.JAVASCRIPT:
            # Install from the lockfile, the package's own build and test scripts when
            # package.json has them, and `npm pack` for the artifact.
            manifest = root / folder / "package.json"
            scripts = _table(_read_json(manifest).get("scripts")) if manifest.is_file() else {}
            npm = "npm" if here else f"npm --prefix {folder}"
            run_build = (f"{npm} run build",) if "build" in scripts else ()
            pack = f"npm pack{'' if here else f' ./{folder}'} --pack-destination {{build_dir}}"
            return _Lines(
                build=(f"{npm} ci", *run_build, pack),
                tests=(f"{npm} test",) if "test" in scripts else (),
                notes=()
                if "test" in scripts
                else (f"{manifest.relative_to(root).as_posix()} has no test script to run",),
            )
        case Ecosystem.GO:
            go = "go" if here else f"go -C {folder}"  # -C: Go 1.20 or later
            out = "{build_dir}/go/" if here else f"{{build_dir}}/go/{_label(folder)}/"
            return _Lines(
                build=(f"{go} build -trimpath -o {out} ./...",),
                tests=(f"{go} test ./...",),
                notes=() if here else (f"`go -C {folder}` needs Go 1.20 or later",),
            )
        case Ecosystem.RUST:
            cargo_toml = "" if here else f" --manifest-path {folder}/Cargo.toml"
            return _Lines(
                build=(
                    f"cargo package --no-verify --allow-dirty{cargo_toml} "
                    "--target-dir {build_dir}/cargo",
                ),
                tests=(f"cargo test{cargo_toml}",),
            )


def _toml_strings(items: list[str], indent: str = "  ") -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"{indent}{json.dumps(item)},\n" for item in items) + "]"


def render_starter(
    root: Path, *, name: ProjectName | None = None
) -> tuple[str, ProjectName, tuple[DetectedProject, ...]]:
    """Return a commented starter ``liturgia.toml`` fitted to the projects found in ``root``.

    The text is valid configuration (:func:`liturgia.config.load_config` accepts it): build and
    test commands for each project found, artifacts by ecosystem, the SBOM paths, the advisory
    index ``liturgia vulndb`` maintains as the scan's database, and the explicit interpreter
    setting (``[build].python``: set when ``.venv/bin/python`` exists, else commented).

    Args:
        root: the project folder.
        name: the release name chosen by the caller; by default :func:`project_name`'s.

    Returns:
        The text, the release name and where it came from, and the projects found.

    Raises:
        InputError: a manifest at the top cannot be parsed for the name.
    """
    name = name or project_name(root)
    projects = detect_projects(root)
    by_ecosystem = {e: [p for p in projects if p.ecosystem is e] for e in Ecosystem}
    build: list[str] = []
    tests: list[str] = []
    artifacts: list[str] = []
    junit: list[str] = []
    notes: list[str] = []
    for ecosystem in Ecosystem:
        for project in by_ecosystem[ecosystem]:
            lines = _lines(root, project, count=len(by_ecosystem[ecosystem]))
            build += lines.build
            tests += lines.tests
            junit += lines.junit
            notes += lines.notes
        if by_ecosystem[ecosystem]:
            artifacts += _ARTIFACTS[ecosystem]
        if ecosystem is Ecosystem.PYTHON and by_ecosystem[ecosystem]:
            tests.append(
                "python -m coverage xml --data-file={reports_dir}/.coverage "
                "-o {reports_dir}/coverage.xml"
            )
    folders = sorted({p.folder for p in projects})
    sbom_paths = ["."] if not folders or "." in folders else folders
    found = (
        "\n".join(
            f"#   {p.ecosystem.value:<10} {p.folder:<12} ({', '.join(p.markers)})" for p in projects
        )
        or "#   (none: fill in the commands below)"
    )
    osv_names = " ".join(f"--ecosystem {_OSV_NAMES[e]}" for e in Ecosystem if by_ecosystem[e])
    python_setting = (
        'python = ".venv/bin/python"'
        if (root / ".venv" / "bin" / "python").exists()
        else '# python = ".venv/bin/python"'
    )
    junit_note = (
        ""
        if junit
        else "# The tests gate reads JUnit XML: point `junit` at your test runner's report (e.g.\n"
        "# jest-junit for npm, `gotestsum --junitfile {reports_dir}/junit-go.xml` for Go,\n"
        "# cargo2junit for Rust); with none the gate is NO-GO, never a silent pass.\n"
    )
    notes_text = "".join(f"# Note: {note}.\n" for note in notes)
    coverage_line = (
        'coverage = "{reports_dir}/coverage.xml"'
        if by_ecosystem[Ecosystem.PYTHON]
        else '# coverage = "{reports_dir}/coverage.xml"   # a Cobertura XML report'
    )
    text = f"""# liturgia configuration written by `liturgia init` (README, "Configuration").
# Paths are relative to this file's folder. Secrets never go here.
#
# Projects found:
{found}

[project]
# From {name.source}.
name = {json.dumps(name.name)}
# SemVer of the first release when no vX.Y.Z tag exists yet.
initial_version = "0.1.0"
# In 0.x a breaking change bumps the minor version unless this is true.
major_on_zero = false
# Folders or lockfiles to catalog into the SBOM.
sbom_paths = {_toml_strings(sbom_paths)}
# Development-only dependencies are kept with CycloneDX scope "excluded" unless this is true.
exclude_dev = false

[build]
# Run in order from this folder, as written: programs are found on PATH as you have it (a name
# with a slash is relative to this folder); a missing one is an error before anything is built.
# {{build_dir}} is a fresh folder, {{version}} the release version (also in LITURGIA_VERSION).
{notes_text}commands = {_toml_strings(build)}
# Artifacts to release (globs).
artifacts = {_toml_strings(artifacts)}
# The interpreter that `python` / `python3` means in build and test commands (relative to this
# folder, or a name on PATH); LITURGIA_PYTHON overrides it. Unset: the `python` PATH finds.
{python_setting}

[test]
# {{reports_dir}} is a fresh folder for the reports the gate reads.
commands = {_toml_strings(tests)}
{junit_note}junit = {_toml_strings(junit)}
{coverage_line}

[scan]
# The advisory index `liturgia vulndb` maintains (LITURGIA_VULNDB, else
# ~/.cache/liturgia/advisories.sqlite3). Fill and refresh it with:
#   liturgia vulndb update {osv_names or "--ecosystem PyPI"}
vulndb = true
# Or folders of OSV advisories (JSON or YAML) instead of the index:
# osv = ["advisories"]
# ignore = "liturgia-ignore.toml"
# The newest advisory may be at most this many days old.
max_age_days = 7
# How a finding with no severity counts for the gate.
unknown_severity = "high"

[signing]
# Encrypted private key (cosign format); default: ~/.config/liturgia/keys/release.key.
# key = "~/.config/liturgia/keys/release.key"

[gates]
coverage_min = 80
fail_on = "high"
require_tests = true
"""
    return text, name, projects
