"""``liturgia verify``: check a release folder, or one file against its bundle."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from liturgia import sign
from liturgia._internal.files import read_bytes
from liturgia.cli._common import OutputFormat, stderr_console
from liturgia.config import default_key_path
from liturgia.errors import UsageError
from liturgia.release.verify import check_release_dir

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``verify`` command."""
    parser = subparsers.add_parser(
        "verify",
        help="verify a release folder, or a file against its Sigstore bundle",
        description=(
            "Verify a release folder (checksums, every bundle, SBOM digests) or a single FILE "
            "with --bundle. Exit 0 when everything verifies, 1 naming each file and reason "
            "otherwise."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("path", type=Path, metavar="DIR|FILE")
    parser.add_argument(
        "--key",
        type=Path,
        help="public key PEM to trust (default: the configured key's .pub, "
        "or release-key.pub inside DIR with a warning)",
    )
    parser.add_argument("--bundle", type=Path, help="bundle of FILE (default FILE.sigstore.json)")
    parser.add_argument(
        "--format", type=OutputFormat, choices=list(OutputFormat), default=OutputFormat.TABLE
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Verify; 0 when everything verifies, 1 otherwise."""
    path: Path = args.path
    if not path.exists():
        raise UsageError(f"{path}: not found")
    key_path = _key_path(args.key, path)
    public_key = sign.load_public_key(key_path)
    if path.is_dir():
        problems = [str(p) for p in check_release_dir(path, public_key)]
    else:
        bundle_path: Path = args.bundle or path.with_name(path.name + ".sigstore.json")
        bundle = read_bytes(bundle_path, what="bundle")
        sign.verify_file_bundle(path, bundle, public_key, bundle_name=bundle_path.name)
        problems = []
    if args.format == OutputFormat.JSON:
        document = {"path": str(path), "key": str(key_path), "verified": not problems}
        document["problems"] = problems
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    console = stderr_console()
    for problem in problems:
        console.print(f"[red]✗[/red] {problem}", markup=True, highlight=False)
    if problems:
        console.print(f"[bold red]FAILED[/bold red]: {path}: {len(problems)} problems")
        return 1
    console.print(f"[bold green]verified[/bold green]: {path} (key {key_path})")
    return 0


def _key_path(explicit: Path | None, target: Path) -> Path:
    if explicit is not None:
        return explicit
    configured = default_key_path().with_suffix(".pub")
    if configured.is_file():
        return configured
    shipped = (target if target.is_dir() else target.parent) / "release-key.pub"
    if shipped.is_file():
        stderr_console().print(
            f"[yellow]warning[/yellow]: trusting {shipped} shipped inside the release; "
            "pass --key to pin the publisher's key",
            markup=True,
        )
        return shipped
    raise UsageError("no public key: pass --key PUBLIC_KEY_PEM")
