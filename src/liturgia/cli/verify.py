"""``liturgia verify``: check a release folder, or one file against its bundle."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape

from liturgia import sign
from liturgia._internal.files import read_bytes
from liturgia.cli._common import OutputFormat, add_format_option, stderr_console
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
            "otherwise (a NO-GO release is reported too), 2 on usage or input errors."
        ),
    )
    parser.add_argument("path", type=Path, metavar="DIR|FILE")
    parser.add_argument(
        "--key",
        type=Path,
        help="public key PEM to trust (default: the configured signing key's .pub)",
    )
    parser.add_argument("--bundle", type=Path, help="bundle of FILE (default FILE.sigstore.json)")
    parser.add_argument(
        "--log-key",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="public key of a transparency log to trust (repeatable): every bundle must carry "
        "an entry of it, checked offline (signed entry timestamp, checkpoint, inclusion proof)",
    )
    parser.add_argument(
        "--trusted-root",
        type=Path,
        metavar="JSON",
        help="TrustedRoot JSON (liturgia trust-root export) whose logs to trust, as --log-key",
    )
    add_format_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Verify; 0 when everything verifies, 1 otherwise."""
    path: Path = args.path
    if not path.exists():
        raise UsageError(f"{path}: not found")
    if path.is_dir() and args.bundle is not None:
        raise UsageError(f"{path}: --bundle goes with a FILE, not a release folder")
    key_path = _key_path(args.key)
    public_key = sign.load_public_key(key_path)
    log_keys = sign.load_log_keys(args.log_key, args.trusted_root)
    if path.is_dir():
        problems = [str(p) for p in check_release_dir(path, public_key, log_keys=log_keys)]
    else:
        bundle_path: Path = args.bundle or path.with_name(path.name + ".sigstore.json")
        bundle = read_bytes(bundle_path, what="bundle")
        sign.verify_file_bundle(
            path, bundle, public_key, bundle_name=bundle_path.name, log_keys=log_keys
        )
        problems = []
    if args.format == OutputFormat.JSON:
        document = {"path": str(path), "key": str(key_path), "verified": not problems}
        document["problems"] = problems
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    console = stderr_console()
    for problem in problems:
        console.print(f"[red]✗[/red] {escape(problem)}", markup=True, highlight=False)
    if problems:
        count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
        console.print(f"[bold red]FAILED[/bold red]: {path}: {count}")
        return 1
    console.print(f"[bold green]verified[/bold green]: {path} (key {key_path})")
    return 0


def _key_path(explicit: Path | None) -> Path:
    """The key to trust: ``--key``, else the configured key's public half.

    Never the ``release-key.pub`` shipped inside a release: whoever could alter the release
    could replace that key too, so trusting it would verify a forgery.
    """
    if explicit is not None:
        return explicit
    configured = default_key_path().with_suffix(".pub")
    if configured.is_file():
        return configured
    raise UsageError(
        f"no public key to trust: pass --key PUBLIC_KEY_PEM (no {configured}); "
        "take the publisher's key from a source you trust, not from the release folder"
    )
