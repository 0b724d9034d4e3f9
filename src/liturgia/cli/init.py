"""``liturgia init``: write a commented starter ``liturgia.toml`` fitted to the project.

Write a commented starter liturgia.toml into the project folder, with build and test commands for
each ecosystem found (Python, JavaScript, Go, Rust; in the folder and its direct sub-folders) and
the name from the project's manifest.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from liturgia.cli._common import add_command, doc_body, stderr_console, write_generated_file
from liturgia.config import CONFIG_FILE
from liturgia.errors import UsageError
from liturgia.release.starter import ProjectName, render_starter

__all__ = ["register", "run"]

#: What ``[project].name`` accepts (see :class:`liturgia.config.ProjectSettings`).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def register(subparsers: Any) -> None:
    """Add the ``init`` command."""
    help_ = "write a commented starter liturgia.toml"
    parser = add_command(subparsers, "init", run, help_, description=doc_body(__doc__))
    parser.add_argument("--project", type=Path, default=Path(), help="project folder")
    parser.add_argument(
        "--name", help="project name (default: from the manifest, else the folder's name)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    """Write the starter file; refuse to overwrite one without ``--force`` (exit 2)."""
    project: Path = args.project
    if not project.is_dir():
        raise UsageError(f"{project}: project folder not found")
    chosen = None
    if args.name is not None:
        if not _NAME.fullmatch(args.name):
            raise UsageError(
                f"--name {args.name!r}: use letters, digits, '.', '_' and '-', starting with a "
                "letter or digit"
            )
        chosen = ProjectName(name=args.name, source="--name")
    text, name, projects = render_starter(project, name=chosen)
    write_generated_file(project / CONFIG_FILE, text, force=args.force)
    found = ", ".join(f"{p.ecosystem.value} in {p.folder}" for p in projects) or "no project"
    stderr_console().print(f"{name.name} (from {name.source}); {found}", markup=False)
    return 0
