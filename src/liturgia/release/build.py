"""The build and test stages: run configured commands, collect artifacts by glob.

Commands are split with :func:`shlex.split` and run without a shell, from the project folder, with
placeholders substituted (``{build_dir}``, ``{reports_dir}``, ``{version}``, ``{project}``) and
``LITURGIA_VERSION`` / ``SOURCE_DATE_EPOCH`` in their environment. ``python`` as the first word is
the interpreter running liturgia, so a release run from a virtual environment builds with it.
"""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.clock import now
from liturgia.errors import ConfigError, InputError

__all__ = ["CommandResult", "collect_artifacts", "expand", "run_command"]

#: Characters of a failed command's output quoted in its error message.
_TAIL_CHARS = 400


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandResult:
    """What one command did.

    Attributes:
        command: the command line as configured (placeholders expanded).
        returncode: the process exit status.
        output: combined stdout and stderr, decoded as UTF-8 with replacement.
    """

    command: str
    returncode: int
    output: str


def expand(template: str, values: Mapping[str, str], *, where: str) -> str:
    """Substitute ``{name}`` placeholders in a configured string.

    Raises:
        ConfigError: the string names an unknown placeholder (``where`` names the setting).
    """
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        known = ", ".join("{" + key + "}" for key in sorted(values))
        raise ConfigError(
            f"{where}: {template!r}: unknown placeholder {exc} (known: {known})"
        ) from exc


def run_command(
    command: str,
    *,
    cwd: Path,
    version: str,
    check: bool,
    where: str,
    timeout_s: float = 3600.0,
) -> CommandResult:
    """Run one configured command line and capture its output.

    Args:
        command: the expanded command line.
        cwd: the folder to run it in.
        version: the release version, exported as ``LITURGIA_VERSION``.
        check: raise when the command fails (build commands) instead of returning the result
            (test commands, whose failure the gate records).
        where: the setting name used in error messages, e.g. ``"build.commands[0]"``.
        timeout_s: wall-clock limit in seconds.

    Raises:
        ConfigError: the line cannot be split or its program does not exist.
        InputError: ``check`` is true and the command exits non-zero or times out; the message
            quotes the end of its output.
    """
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(f"{where}: cannot parse {command!r}: {exc}") from exc
    if not argv:
        raise ConfigError(f"{where}: empty command")
    if argv[0] in {"python", "python3"}:
        argv[0] = sys.executable
    env = dict(os.environ)
    env["LITURGIA_VERSION"] = version
    env["SOURCE_DATE_EPOCH"] = str(int(now().timestamp()))
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ConfigError(f"{where}: {argv[0]!r}: program not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"{where}: {command!r} timed out after {timeout_s:.0f} s") from exc
    output = proc.stdout.decode("utf-8", errors="replace")
    if check and proc.returncode != 0:
        tail = " ".join(output.strip().splitlines()[-3:])[-_TAIL_CHARS:]
        raise InputError(
            f"{where}: {command!r} failed with exit code {proc.returncode}"
            + (f": {tail}" if tail else "")
        )
    return CommandResult(command=command, returncode=proc.returncode, output=output)


def collect_artifacts(patterns: Sequence[str], *, base: Path) -> tuple[Path, ...]:
    """Return the files matched by the artifact globs, sorted and without duplicates.

    Args:
        patterns: expanded glob patterns, relative to ``base`` or absolute.
        base: the project folder.

    Raises:
        ConfigError: no patterns are configured.
        InputError: a pattern matches no file (the message names the pattern), or two artifacts
            share a file name (they would overwrite each other in the release folder).
    """
    if not patterns:
        raise ConfigError("build.artifacts: no artifact patterns configured")
    found: dict[Path, None] = {}
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base / pattern)
        matches = sorted(Path(match) for match in glob.glob(full, recursive=True))  # noqa: PTH207 - absolute patterns
        files = [match for match in matches if match.is_file()]
        if not files:
            raise InputError(f"build.artifacts: {pattern!r} matches no file")
        for match in files:
            found[match.resolve()] = None
    names: dict[str, Path] = {}
    for path in found:
        if path.name in names:
            raise InputError(
                f"build.artifacts: {names[path.name]} and {path} have the same file name"
            )
        names[path.name] = path
    return tuple(sorted(found, key=lambda p: p.name))
