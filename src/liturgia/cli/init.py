"""``liturgia init``: write a commented starter ``liturgia.toml``."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from liturgia.cli._common import write_generated_file
from liturgia.config import CONFIG_FILE, starter_config
from liturgia.errors import UsageError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``init`` command."""
    parser = subparsers.add_parser(
        "init",
        help="write a commented starter liturgia.toml",
        description="Write a commented starter liturgia.toml into the project folder.",
    )
    parser.add_argument("--project", type=Path, default=Path(), help="project folder")
    parser.add_argument("--name", help="project name (default: the folder's name)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the starter file; refuse to overwrite one without ``--force`` (exit 2)."""
    project: Path = args.project
    if not project.is_dir():
        raise UsageError(f"{project}: project folder not found")
    name = args.name or re.sub(r"[^A-Za-z0-9._-]+", "-", project.resolve().name).strip("-.")
    write_generated_file(project / CONFIG_FILE, starter_config(name or "project"), force=args.force)
    return 0
