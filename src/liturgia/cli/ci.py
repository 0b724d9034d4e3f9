"""``liturgia ci init``: write the CI pipeline that runs liturgia (GitHub Actions or GitLab CI).

Write the pipeline validate -> security (every push and pull request) -> build -> sign -> release
(on a version tag), with a notification, into the repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from liturgia.cli._common import add_command, add_group, doc_body, write_generated_file
from liturgia.errors import UsageError
from liturgia.release.ci import (
    GITHUB_WORKFLOW_PATH,
    GITLAB_CI_PATH,
    CiOptions,
    render_github_workflow,
    render_gitlab_ci,
)

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``ci`` command group (``ci init``)."""
    about = "CI pipelines that run liturgia"
    commands = add_group(subparsers, "ci", about, dest="ci_command", description=f"{about}.")
    help_ = f"write {GITHUB_WORKFLOW_PATH} or {GITLAB_CI_PATH}"
    init = add_command(commands, "init", run, help_, description=doc_body(__doc__))
    forge = init.add_mutually_exclusive_group(required=True)
    forge.add_argument("--github", action="store_true", help=f"write {GITHUB_WORKFLOW_PATH}")
    forge.add_argument("--gitlab", action="store_true", help=f"write {GITLAB_CI_PATH}")
    init.add_argument("--project", type=Path, default=Path(), help="repository folder")
    init.add_argument("--branch", default="main", help="default branch (default: main)")
    init.add_argument("--python", default="3.12", help="Python version of the jobs")
    init.add_argument(
        "--install",
        default="python -m pip install liturgia",
        help="command that installs liturgia in the jobs",
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    """Write the pipeline file; refuse to overwrite one without ``--force`` (exit 2)."""
    project: Path = args.project
    if not project.is_dir():
        raise UsageError(f"{project}: folder not found")
    options = CiOptions(branch=args.branch, python=args.python, install=args.install)
    if args.github:
        target, text = project / GITHUB_WORKFLOW_PATH, render_github_workflow(options)
    else:
        target, text = project / GITLAB_CI_PATH, render_gitlab_ci(options)
    write_generated_file(target, text, force=args.force)
    return 0
