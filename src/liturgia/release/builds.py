"""The builds of a release: ``[build]`` and each ``[[builds]]`` entry, one per component.

A project declares its builds in the configuration (see :class:`liturgia.config.BuildSpec`):
each runs its commands in its own folder, once or once per ``os/arch`` target, with its own
environment, may pack an output folder into a reproducible tarball, and names its artifacts by
glob. The classic ``[build]`` section is the build named ``build`` (ecosystem found from the
artifacts' contents). :func:`build_steps` lists every command line with its folder and
environment, so the release's preflight finds every missing program (``go``, ``npm``...) before
anything runs; :func:`run_builds` runs them.
"""

from __future__ import annotations

import gzip
import os
import shlex
import stat
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_writer
from liturgia.config import ArchiveSettings, BuildSpec, LoadedConfig
from liturgia.errors import ConfigError, InputError
from liturgia.release.build import collect_artifacts, expand, run_command
from liturgia.sbom.catalogers.gomod import local_replacements

__all__ = [
    "BuildStep",
    "Built",
    "all_builds",
    "build_steps",
    "check_go_sources",
    "run_builds",
    "write_reproducible_tgz",
]

#: The name ``[build]`` has among the builds.
CLASSIC_NAME = "build"


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildStep:
    """One command line of one build, ready to run.

    Attributes:
        where: the setting it comes from, for messages (``builds[cli].commands[0] (linux/arm64)``).
        command: the expanded command line.
        cwd: the folder it runs in.
        env: the extra environment variables (expanded).
    """

    where: str
    command: str
    cwd: Path
    env: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Built:
    """A released file and the build that made it.

    Attributes:
        path: the file, where the build left it.
        build: the build's name.
        ecosystem: the build's ecosystem (``go``, ``npm``, ``python``, ``generic``); the
            classic ``[build]`` says ``auto`` (its SBOM source is found from the file).
        lockfile: the npm lockfile whose production part the file contains, or ``None``.
    """

    path: Path
    build: str
    ecosystem: str
    lockfile: Path | None = None


def all_builds(config: LoadedConfig) -> tuple[BuildSpec, ...]:
    """``[build]`` (when it has commands or artifacts) followed by the ``[[builds]]`` entries.

    Raises:
        ConfigError: two builds share a name.
    """
    classic = config.settings.build
    builds: list[BuildSpec] = []
    if classic.commands or classic.artifacts:
        builds.append(
            BuildSpec(name=CLASSIC_NAME, commands=classic.commands, artifacts=classic.artifacts)
        )
    builds.extend(config.settings.builds)
    seen: set[str] = set()
    for spec in builds:
        if spec.name in seen:
            raise ConfigError(f"{config.path}: builds: two builds are named {spec.name!r}")
        seen.add(spec.name)
    return tuple(builds)


def _prefix(spec: BuildSpec) -> str:
    return "build" if spec.name == CLASSIC_NAME else f"builds[{spec.name}]"


def _target_values(spec: BuildSpec, values: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The placeholder values of each run of the build's commands (one per target)."""
    base = {**values, "name": spec.name, "os": "", "arch": "", "exe": ""}
    if not spec.targets:
        yield base
        return
    for target in spec.targets:
        os_name, arch = target.split("/", 1)
        yield {**base, "os": os_name, "arch": arch, "exe": ".exe" if os_name == "windows" else ""}


def build_steps(
    config: LoadedConfig, spec: BuildSpec, values: Mapping[str, str]
) -> tuple[BuildStep, ...]:
    """Every command line of one build, expanded, in the order they run.

    Raises:
        ConfigError: an unknown placeholder, or ``dir`` is not a folder of the project.
    """
    prefix = _prefix(spec)
    cwd = config.resolve(spec.dir)
    if not cwd.is_dir():
        raise ConfigError(f"{config.path}: {prefix}.dir: {spec.dir!r} is not a folder")
    steps = []
    for run_values in _target_values(spec, values):
        target = f" ({run_values['os']}/{run_values['arch']})" if spec.targets else ""
        env = {
            key: expand(value, run_values, where=f"{prefix}.env.{key}")
            for key, value in sorted(spec.env.items())
        }
        for index, template in enumerate(spec.commands):
            where = f"{prefix}.commands[{index}]{target}"
            steps.append(
                BuildStep(
                    where=where,
                    command=expand(template, run_values, where=where),
                    cwd=cwd,
                    env=env,
                )
            )
    return tuple(steps)


#: Where Debian's golang-*-dev packages install Go module sources.
DEBIAN_GOCODE = "/usr/share/gocode/src/"


def check_go_sources(steps: Sequence[BuildStep]) -> None:
    """Preflight of a Go build: every folder a ``replace`` directive names exists.

    For each ``go`` command, the module file is its ``-modfile`` (relative to the command's
    folder), else ``go.mod`` there. An offline build takes modules from local folders (e.g.
    Debian's golang-*-dev packages under ``/usr/share/gocode/src``); a missing one would
    otherwise fail the build halfway, after other builds ran.

    Raises:
        ConfigError: a replacement folder is missing (the message names the command, the module
            file, the module and, for a Debian folder, the package that likely provides it).
        InputError: the module file cannot be read.
    """
    for step in steps:
        argv = shlex.split(step.command)
        if not argv or Path(argv[0]).name != "go":
            continue
        modfile = "go.mod"
        for index, word in enumerate(argv):
            if word.startswith("-modfile="):
                modfile = word.split("=", 1)[1]
            elif word == "-modfile" and index + 1 < len(argv):
                modfile = argv[index + 1]
        path = step.cwd / modfile
        if not path.is_file():
            continue  # not a module build: go says what it needs
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        for module, folder in local_replacements(data, found_in=str(path)):
            if (step.cwd / folder).is_dir():  # an absolute folder stays itself
                continue
            hint = ""
            if folder.startswith(DEBIAN_GOCODE):
                hint = f"; on Debian install {_debian_package(module)}"
            raise ConfigError(
                f"{step.where}: {modfile} replaces {module} by {folder}, which is not a "
                f"folder{hint}"
            )


def _debian_package(module: str) -> str:
    """Debian's name for a Go module's source package (Debian Go Packaging Team policy):
    ``github.com/spf13/pflag`` -> ``golang-github-spf13-pflag-dev``."""
    host, *rest = module.lower().split("/")
    return "-".join(["golang", host.split(".")[0], *rest]) + "-dev"


def run_builds(
    config: LoadedConfig, values: Mapping[str, str], *, python: Path | None
) -> tuple[Built, ...]:
    """Run every build's commands, pack its archive, and collect its artifacts.

    Args:
        config: the project's configuration.
        values: the placeholders (``build_dir``, ``version``, ``project``).
        python: the interpreter a first word ``python`` means, or ``None``.

    Returns:
        The released files, sorted by file name.

    Raises:
        ConfigError: a bad placeholder, folder or program.
        InputError: a command fails, a pattern matches nothing after the build, an archive's
            folder is missing, or two artifacts share a file name.
    """
    found: list[Built] = []
    for spec in all_builds(config):
        for step in build_steps(config, spec, values):
            run_command(
                step.command,
                cwd=step.cwd,
                version=values["version"],
                check=True,
                where=step.where,
                python=python,
                env=step.env,
            )
        prefix = _prefix(spec)
        lockfile = config.resolve(spec.lockfile) if spec.lockfile else None
        ecosystem = "auto" if spec.name == CLASSIC_NAME else spec.ecosystem
        paths: list[Path] = []
        if spec.archive is not None:
            paths.append(_pack(config, spec, spec.archive, values))
        for index, template in enumerate(spec.artifacts):
            where = f"{prefix}.artifacts[{index}]"
            pattern = expand(template, {**values, "name": spec.name}, where=where)
            try:
                paths.extend(collect_artifacts([pattern], base=config.project_dir))
            except InputError as exc:
                # Name the pattern as configured, not with the temporary folder it expanded to.
                raise InputError(f"{where}: {template!r} matches no file after the build") from exc
        if not paths:
            raise ConfigError(f"{config.path}: {prefix}: no artifacts and no archive configured")
        found.extend(
            Built(path=path, build=spec.name, ecosystem=ecosystem, lockfile=lockfile)
            for path in paths
        )
    names: dict[str, Built] = {}
    for item in found:
        other = names.setdefault(item.path.name, item)
        if other is item or (other.path == item.path and other.build == item.build):
            continue
        if other.path == item.path:
            # e.g. one build's "{build_dir}/*.tar.gz" matching another build's archive
            raise InputError(
                f"build artifacts: {item.path.name} is matched by the builds {other.build!r} "
                f"and {item.build!r}; narrow one of their artifact patterns"
            )
        raise InputError(
            f"build artifacts: {other.path} ({other.build}) and {item.path} ({item.build}) "
            "have the same file name"
        )
    return tuple(sorted(names.values(), key=lambda item: item.path.name))


def _pack(
    config: LoadedConfig, spec: BuildSpec, archive: ArchiveSettings, values: Mapping[str, str]
) -> Path:
    prefix = _prefix(spec)
    local = {**values, "name": spec.name}
    name = expand(archive.name, local, where=f"{prefix}.archive.name")
    root = config.resolve(expand(archive.root, local, where=f"{prefix}.archive.root"))
    if not root.is_dir():
        raise InputError(f"{prefix}.archive.root: {archive.root!r} is not a folder after the build")
    top = archive.prefix or name.removesuffix(".tgz").removesuffix(".tar.gz")
    out = Path(values["build_dir"]) / name
    write_reproducible_tgz(root, out, prefix=top)
    return out


def write_reproducible_tgz(root: Path, out: Path, *, prefix: str) -> None:
    """Pack the regular files and folders under ``root`` into a gzip'd tar, reproducibly.

    Entries are sorted by path under ``prefix/``; owner and group ``0`` with empty names; modes
    ``0755`` for folders and executables, ``0644`` otherwise; every time, and the gzip header's,
    is ``SOURCE_DATE_EPOCH`` (the current time when unset); the gzip header names no file
    (reproducible-builds.org, "Archive metadata"). Symbolic links are refused: a release
    archive holds what was built, not pointers to the build machine.

    Raises:
        InputError: ``root`` holds a symbolic link or something other than files and folders,
            or cannot be read.
    """
    mtime = int(now().timestamp())
    entries = sorted(_walk(root), key=lambda item: item[0])
    with (
        atomic_writer(out) as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=mtime) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for relative, path in entries:
            info = tarfile.TarInfo(f"{prefix}/{relative}" if relative else prefix)
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
                continue
            info.size = path.stat().st_size
            info.mode = 0o755 if mode & stat.S_IXUSR else 0o644
            with path.open("rb") as handle:
                tar.addfile(info, handle)


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    yield "", root
    try:
        for folder, dirs, files in os.walk(root):
            base = Path(folder)
            for name in (*dirs, *files):
                path = base / name
                mode = path.lstat().st_mode
                relative = path.relative_to(root).as_posix()
                if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                    raise InputError(
                        f"{root}: {relative}: not a file or folder (links are not packed)"
                    )
                yield relative, path
    except OSError as exc:
        raise InputError(f"{root}: cannot read: {exc.strerror or exc}") from exc
