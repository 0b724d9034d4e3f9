"""``liturgia version`` and ``liturgia notes``: the next version and its notes, no release."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_text, read_bytes
from liturgia.cli._common import OutputFormat, add_command, add_format_option
from liturgia.config import load_config
from liturgia.release.notes import changelog_text, notes_text
from liturgia.release.plan import VersionPlan, plan_version

__all__ = ["register", "run_notes", "run_version"]

_CHANGELOG = "CHANGELOG.md"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path(), help="project folder (default: .)")
    parser.add_argument(
        "--pre",
        metavar="TOKEN",
        help="a pre-release: --pre rc gives X.Y.Z-rc.1, then rc.2 (SemVer §9, §11)",
    )


def register(subparsers: Any) -> None:
    """Add the ``version`` and ``notes`` commands."""
    version = add_command(
        subparsers,
        "version",
        run_version,
        "the next version from the Conventional Commits since the last release tag",
        description=(
            "Compute the next SemVer 2.0.0 version from the Conventional Commits 1.0.0 since the "
            "last release tag (in the project's tag format and version scheme). Exit 2 when the "
            "history is incomplete (shallow clone, no tags fetched) or nothing calls for a release."
        ),
    )
    _common(version)
    version.add_argument(
        "--print", action="store_true", help="print only the version on stdout (for scripts)"
    )
    add_format_option(version)

    notes = add_command(
        subparsers,
        "notes",
        run_notes,
        "release notes of the next version (Markdown), and optionally CHANGELOG.md",
        description=(
            "Print RELEASE_NOTES.md of the next version on stdout (or -o FILE); with "
            "--changelog, also add its section to the project's CHANGELOG.md (Keep a Changelog "
            "1.1.0; running it twice adds nothing twice)."
        ),
    )
    _common(notes)
    notes.add_argument(
        "--version",
        dest="release_version",
        metavar="X.Y.Z",
        help="notes for this version instead of the computed one",
    )
    notes.add_argument("-o", "--output", type=Path, help="write the notes to FILE (atomically)")
    notes.add_argument(
        "--changelog", action="store_true", help="also update the project's CHANGELOG.md"
    )


def _plan(args: argparse.Namespace, requested: str | None = None) -> tuple[Any, VersionPlan]:
    config = load_config(args.project)
    return config, plan_version(
        config.project_dir, config.settings.project, requested=requested, prerelease=args.pre
    )


def run_version(args: argparse.Namespace) -> int:
    """Print the next version; 0 on success, 2 when it cannot be computed."""
    _, plan = _plan(args)
    if args.print:
        sys.stdout.write(f"{plan.version}\n")
    elif args.format == OutputFormat.JSON:
        sys.stdout.write(json.dumps(_as_json(plan), indent=2, sort_keys=True) + "\n")
    else:
        lines = [f"{plan.version}  tag {plan.tag}", plan.summary]
        lines += [f"not conventional: {c.sha[:7]} {c.subject}" for c in plan.unparsed]
        sys.stdout.write("\n".join(lines) + "\n")
    for warning in plan.warnings:
        sys.stderr.write(f"liturgia: warning: {warning}\n")
    return 0


def _as_json(plan: VersionPlan) -> dict[str, Any]:
    return {
        "version": str(plan.version),
        "tag": plan.tag,
        "git": plan.git,
        "last": plan.last[0] if plan.last else None,
        "latest": plan.latest[0] if plan.latest else None,
        "since": plan.since,
        "commits": len(plan.commits),
        "conventional": len(plan.parsed),
        "not_conventional": [{"sha": c.sha, "subject": c.subject} for c in plan.unparsed],
        "warnings": list(plan.warnings),
    }


def run_notes(args: argparse.Namespace) -> int:
    """Print (or write) the next version's release notes; optionally update CHANGELOG.md."""
    config, plan = _plan(args, args.release_version)
    today = now().date()
    path = config.project_dir / _CHANGELOG
    existing = read_bytes(path).decode("utf-8") if path.is_file() else None
    notes = notes_text(plan, config.settings.project.name, today, existing_changelog=existing)
    if args.output is not None:
        atomic_write_text(args.output, notes)
    else:
        sys.stdout.write(notes)
    if args.changelog:
        fold = config.settings.project.prerelease_changelog == "fold"
        text = changelog_text(plan, today, existing=existing, fold_prereleases=fold)
        atomic_write_text(path, text)
    for warning in plan.warnings:
        sys.stderr.write(f"liturgia: warning: {warning}\n")
    return 0
