"""The build and test stages: run configured commands, collect artifacts by glob.

Commands are split with :func:`shlex.split` and run without a shell, from the project folder, with
placeholders substituted (``{build_dir}``, ``{reports_dir}``, ``{version}``, ``{project}``) and
``LITURGIA_VERSION`` / ``SOURCE_DATE_EPOCH`` in their environment.

Programs are found as the user's shell would find them: a bare name on ``PATH``, a name with a
slash relative to the project folder. ``python`` is no exception (a project's tests run in the
project's environment, never in liturgia's); only when the project names an interpreter
(``[build].python`` or ``LITURGIA_PYTHON``) does a first word ``python`` or ``python3`` mean it.
:func:`find_program` is also the release's preflight: a missing tool is named before anything is
built.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.clock import now
from liturgia.errors import ConfigError, InputError

__all__ = [
    "INSTALL_HINTS",
    "PYTHON_WORDS",
    "CommandResult",
    "collect_artifacts",
    "expand",
    "find_program",
    "run_command",
]

#: First words of a command line that mean the configured interpreter, when there is one.
PYTHON_WORDS = frozenset({"python", "python3"})

#: How to install the toolchains builds commonly name, for the preflight's message.
INSTALL_HINTS = {
    "go": "the Go toolchain: `apt-get install golang-go` on Debian, or https://go.dev/dl/",
    "npm": "Node.js and npm: `apt-get install nodejs npm` on Debian, or https://nodejs.org/",
    "npx": "Node.js and npm: `apt-get install nodejs npm` on Debian, or https://nodejs.org/",
    "node": "Node.js: `apt-get install nodejs` on Debian, or https://nodejs.org/",
    "cargo": "Rust: `apt-get install cargo` on Debian, or https://rustup.rs/",
}

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


def _split(command: str, where: str) -> list[str]:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(f"{where}: cannot parse {command!r}: {exc}") from exc
    if not argv:
        raise ConfigError(f"{where}: empty command")
    return argv


def find_program(command: str, *, cwd: Path, python: Path | None, where: str) -> str:
    """Return the executable the command line's first word names, as it will be run.

    A bare name is looked up on ``PATH`` (the environment's, as the user has it); a name with a
    slash is taken relative to ``cwd``. A first word in :data:`PYTHON_WORDS` means ``python``
    when it is given (the project's explicit interpreter setting).

    Args:
        command: the expanded command line.
        cwd: the folder the command runs in.
        python: the configured interpreter, or ``None`` to take ``python`` from ``PATH`` too.
        where: the setting name used in error messages, e.g. ``"build.commands[0]"``.

    Returns:
        The absolute path of the program.

    Raises:
        ConfigError: the line cannot be split, or its program is not found or not executable
            (the message names it, and for ``python`` the setting that names an interpreter).
    """
    word = _split(command, where)[0]
    if word in PYTHON_WORDS and python is not None:
        word = str(python)
    if os.sep in word or (os.altsep and os.altsep in word):
        candidate = Path(word) if Path(word).is_absolute() else cwd / word
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise ConfigError(
            f"{where}: {word!r}: program not found (or not executable) at {candidate}"
        )
    found = shutil.which(word)
    if found is not None:
        return found
    if word in PYTHON_WORDS:
        hint = (
            "; set [build].python (or LITURGIA_PYTHON) to the interpreter the project's "
            "commands use"
        )
    elif word in INSTALL_HINTS:
        hint = f"; install it ({INSTALL_HINTS[word]}), or name it by its path"
    else:
        hint = "; install it, or name it by its path"
    raise ConfigError(f"{where}: {word!r}: program not found on PATH{hint}")


def run_command(
    command: str,
    *,
    cwd: Path,
    version: str,
    check: bool,
    where: str,
    python: Path | None = None,
    timeout_s: float = 3600.0,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run one configured command line and capture its output.

    Args:
        command: the expanded command line.
        cwd: the folder to run it in.
        version: the release version, exported as ``LITURGIA_VERSION``.
        check: raise when the command fails (build commands) instead of returning the result
            (test commands, whose failure the gate records).
        where: the setting name used in error messages, e.g. ``"build.commands[0]"``.
        python: the configured interpreter that a first word ``python``/``python3`` means;
            ``None`` runs ``python`` from ``PATH`` like any program (see :func:`find_program`).
        timeout_s: wall-clock limit in seconds.
        env: extra environment variables (a build's ``env``), over the inherited ones.

    Raises:
        ConfigError: the line cannot be split or its program does not exist.
        InputError: ``check`` is true and the command exits non-zero or times out; the message
            quotes the end of its output.
    """
    argv = _split(command, where)
    argv[0] = find_program(command, cwd=cwd, python=python, where=where)
    environment = {**os.environ, **(env or {})}
    environment["LITURGIA_VERSION"] = version
    environment["SOURCE_DATE_EPOCH"] = str(int(now().timestamp()))
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            check=False,
        )
    except OSError as exc:
        raise ConfigError(f"{where}: {argv[0]!r}: cannot run: {exc.strerror or exc}") from exc
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
