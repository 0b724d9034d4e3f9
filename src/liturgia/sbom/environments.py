"""Installed environments: where a Python environment keeps its distributions.

A folder is a Python environment when it holds ``pyvenv.cfg`` (PEP 405 virtual environment) or is
itself a ``site-packages`` / ``dist-packages`` folder. An interpreter given with ``--python``
names its environment: ``<venv>/bin/python`` directly, any other interpreter by asking it
(``sysconfig`` purelib/platlib and ``site.getsitepackages()``, the one time liturgia runs a
program to catalog).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from liturgia.errors import InputError

__all__ = ["distribution_metadata", "python_site_packages", "site_packages_of"]

_PATHS_SCRIPT = (
    "import json, site, sysconfig; p = sysconfig.get_paths(); "
    "print(json.dumps(sorted({p['purelib'], p['platlib'], *site.getsitepackages()})))"
)


def site_packages_of(directory: Path) -> list[Path] | None:
    """The distribution folders of the environment at ``directory``, or ``None`` if not one."""
    if directory.name in {"site-packages", "dist-packages"}:
        return [directory]
    if not (directory / "pyvenv.cfg").is_file():
        return None
    candidates = [
        *sorted(directory.glob("lib*/python*/site-packages")),
        *sorted(directory.glob("Lib/site-packages")),
    ]
    unique: dict[Path, Path] = {}
    for candidate in candidates:  # lib64 is often a symlink to lib
        unique.setdefault(candidate.resolve(), candidate)
    return list(unique.values())


def python_site_packages(interpreter: Path, *, timeout: float = 30.0) -> list[Path]:
    """The site-packages folders of a Python interpreter.

    Raises:
        InputError: the interpreter does not exist or does not answer.
    """
    venv = interpreter.absolute().parent.parent
    found = site_packages_of(venv)
    if found:
        return found
    if not interpreter.exists():
        raise InputError(f"{interpreter}: Python interpreter not found")
    try:
        completed = subprocess.run(
            [str(interpreter), "-I", "-c", _PATHS_SCRIPT],
            capture_output=True,
            check=True,
            timeout=timeout,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
        )
        paths = json.loads(completed.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise InputError(f"{interpreter}: cannot ask the interpreter for its paths: {exc}") from exc
    return [Path(p) for p in paths if isinstance(p, str) and Path(p).is_dir()]


def distribution_metadata(site_packages: Path) -> list[Path]:
    """Core-metadata files of the distributions installed in one folder, sorted.

    ``X.dist-info/METADATA``, ``X.egg-info/PKG-INFO`` and single-file ``X.egg-info``.
    """
    found: list[Path] = []
    try:
        entries = sorted(os.scandir(site_packages), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        if entry.name.endswith(".dist-info"):
            found.append(Path(entry.path) / "METADATA")
        elif entry.name.endswith(".egg-info"):
            found.append(Path(entry.path) / "PKG-INFO" if entry.is_dir() else Path(entry.path))
    return found
