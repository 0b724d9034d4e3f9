"""``liturgia verify``: check a release folder, or one file against its bundle.

Verify a release folder, one named line per check (files, checksums, signatures, log entries,
log consistency, sbom, provenance, source, decision), or a single FILE with --bundle. Exit 0
when everything verifies, 1 naming each file and reason otherwise (a NO-GO release is reported
too), 2 on usage or input errors, 3 when --online cannot reach the log. Without --online
nothing is fetched. Trust only keys from a source you trust: --key is the publisher's, --log-key
the log's (never the copies inside the release folder).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape

from liturgia import sign
from liturgia._internal.files import read_bytes
from liturgia._internal.text import fs_text
from liturgia.cli._common import (
    OutputFormat,
    add_command,
    add_format_option,
    doc_body,
    env_option,
    positive_seconds,
    stderr_console,
)
from liturgia.config import default_signing_key_path
from liturgia.errors import LiturgiaError, UsageError
from liturgia.release.verify import OnlineCheck, OnlineLogChecker, ReleaseCheck, release_checks
from liturgia.sign.tlog_verify import load_log_urls

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``verify`` command."""
    help_ = "verify a release folder, or a file against its Sigstore bundle"
    parser = add_command(subparsers, "verify", run, help_, description=doc_body(__doc__))
    parser.add_argument("path", type=Path, metavar="DIR|FILE")
    parser.add_argument("--bundle", type=Path, help="bundle of FILE (default FILE.sigstore.json)")
    add_trust_options(parser)
    parser.add_argument(
        "--online",
        action="store_true",
        help="also fetch each entry's log's current signed checkpoint and prove it consistent "
        "with the entry's checkpoint (RFC 9162 consistency proof); needs --log-key or "
        "--trusted-root, and --log-url or the trusted root's baseUrl",
    )
    env_option(
        parser,
        "--log-url",
        "LITURGIA_TLOG_URL",
        "with --online: the log's base URL, for every entry (default: each log's baseUrl "
        "in --trusted-root)",
        metavar="URL",
    )
    parser.add_argument(
        "--tiles",
        action="store_true",
        help="with --online: read the log through its c2sp.org/tlog-tiles resources "
        "(URL/checkpoint and URL/tile/...; static files will do) and compute the consistency "
        "proof from its tiles, instead of asking its Rekor API",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=30.0,
        metavar="S",
        help="with --online: seconds per HTTP exchange with the log (default: 30)",
    )
    env_option(
        parser,
        "--source",
        "LITURGIA_VERIFY_SOURCE",
        "with a release folder: a git folder or repository URL; the provenance's commit must "
        "be in it and the tag the provenance names must point at that commit",
        metavar="DIR|URL",
    )
    add_format_option(parser)


def add_trust_options(parser: argparse.ArgumentParser) -> None:
    """``--key`` (the publisher's public key), ``--log-key`` and ``--trusted-root`` (the logs
    to trust): what ``verify`` and ``publish`` check a release folder with."""
    parser.add_argument(
        "--key",
        type=Path,
        help="public key PEM to trust (default: the configured signing key's .pub)",
    )
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


def trusted_keys(
    args: argparse.Namespace, folder: Path
) -> tuple[Path, sign.PublicKey, tuple[sign.PublicKey, ...] | None]:
    """The options of :func:`add_trust_options`, loaded for checking ``folder``: the key's
    path, the key, and the logs' keys (``None``: no log key given).

    Raises:
        UsageError: no key to trust, or a log key taken from inside ``folder``.
        InputError: a key file is missing or malformed.
    """
    key_path = _key_path(args.key)
    public_key = sign.load_public_key(key_path)
    if folder.is_dir():
        _refuse_shipped_log_keys(folder, [*args.log_key, *filter(None, [args.trusted_root])])
    return key_path, public_key, sign.load_log_keys(args.log_key, args.trusted_root)


def run(args: argparse.Namespace) -> int:
    """Verify; 0 when everything verifies, 1 otherwise."""
    path: Path = args.path
    if not path.exists():
        raise UsageError(f"{path}: not found")
    if path.is_dir() and args.bundle is not None:
        raise UsageError(f"{path}: --bundle goes with a FILE, not a release folder")
    key_path, public_key, log_keys = trusted_keys(args, path)
    online = _online_checker(args, log_keys)
    notes: list[str] = []
    bundle_path: Path | None = None
    checks: tuple[ReleaseCheck, ...] = ()
    if path.is_dir():
        checks = release_checks(
            path, public_key, log_keys=log_keys, online=online, source=args.source
        )
        problems = [str(p) for check in checks for p in check.problems]
    else:
        if args.source is not None:
            raise UsageError("--source goes with a release folder, not a FILE")
        bundle_path = args.bundle or path.with_name(path.name + sign.BUNDLE_SUFFIX)
        bundle = read_bytes(bundle_path, what="bundle")
        sign.verify_file_bundle(
            path, bundle, public_key, bundle_name=bundle_path.name, log_keys=log_keys
        )
        if online is not None:
            online.check_bundle(bundle, name=bundle_path.name)
        problems = []
    if log_keys is None:
        bundles = [bundle_path] if bundle_path else sorted(path.glob("*" + sign.BUNDLE_SUFFIX))
        notes = _unchecked_log_entries(bundles)
    entries = online.checks if online is not None else ()
    if args.format == OutputFormat.JSON:
        document: dict[str, Any] = {"path": str(path), "key": str(key_path)}
        document |= {"verified": not problems, "problems": problems, "notes": notes}
        if path.is_dir():
            document["checks"] = [check.to_json() for check in checks]
        if online is not None:
            document["online"] = [entry.to_json() for entry in entries]
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    console = stderr_console()
    for entry in entries:
        console.print(f"[green]✓[/green] {escape(_online_line(entry))}", highlight=False)
    for check in checks:
        _print_check(check)
    if not checks:
        for problem in problems:
            console.print(f"[red]✗[/red] {escape(fs_text(problem))}", highlight=False)
    for note in notes:
        console.print(f"note: {escape(note)}", highlight=False)
    if problems:
        count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
        console.print(f"[bold red]FAILED[/bold red]: {escape(fs_text(path))}: {count}")
        return 1
    shown, key_shown = escape(fs_text(path)), escape(fs_text(key_path))
    console.print(f"[bold green]verified[/bold green]: {shown} (key {key_shown})")
    return 0


def _refuse_shipped_log_keys(folder: Path, given: list[Path]) -> None:
    """Refuse a log key or trusted root taken from the release folder being verified.

    Whoever could alter the release could replace its ``trusted-root.json`` too, and entries
    checked against it would prove nothing: the log key must come from elsewhere.

    Raises:
        UsageError: a ``--log-key`` or ``--trusted-root`` file lies inside ``folder``.
    """
    inside = folder.resolve()
    for file in given:
        if file.resolve().is_relative_to(inside):
            raise UsageError(
                f"{file}: a log key taken from the release folder proves nothing (whoever "
                "altered the release could replace it); pass the log's key from a source you "
                "trust: --log-key PEM"
            )


def _print_check(check: ReleaseCheck) -> None:
    """One line per check: ``✓ name: summary``, ``- name: not checked ...``, or one ``✗ name:
    file: reason`` line per problem."""
    console = stderr_console()
    if check.skipped:
        console.print(f"- {check.name}: {escape(check.summary)}", highlight=False)
    elif check.passed:
        console.print(f"[green]✓[/green] {check.name}: {escape(check.summary)}", highlight=False)
    for problem in check.problems:
        line = f"{check.name}: {fs_text(str(problem))}"
        console.print(f"[red]✗[/red] {escape(line)}", highlight=False)


def _unchecked_log_entries(bundles: list[Path]) -> list[str]:
    """One note per bundle carrying a log entry that was not checked (no log key was given).

    A bundle that does not read or parse is left out: it is a problem of its own already.
    """
    notes = []
    for bundle in bundles:
        try:
            entries = sign.parse_bundle(bundle.read_bytes()).tlog_entries
        except (OSError, LiturgiaError):
            continue
        if entries:
            notes.append(
                f"{bundle.name}: its transparency log entry was not checked (no log key): "
                "pass --log-key PEM (the log's public key) or --trusted-root JSON to check "
                "its signed entry timestamp, checkpoint and inclusion proof"
            )
    return notes


def _online_checker(
    args: argparse.Namespace, log_keys: tuple[sign.PublicKey, ...] | None
) -> OnlineLogChecker | None:
    """The ``--online`` checker, or ``None``; refuses ``--online`` without a log key or URL."""
    if not args.online:
        if args.tiles:
            raise UsageError("--tiles reads the log online: pass --online too")
        return None
    if log_keys is None:
        raise UsageError(
            "--online needs the log's key to check its checkpoint: pass --log-key PEM or "
            "--trusted-root JSON"
        )
    log_urls = load_log_urls(args.trusted_root)
    if not args.log_url and not log_urls:
        raise UsageError(
            "--online needs the log's URL: pass --log-url URL (or set LITURGIA_TLOG_URL), or "
            "a --trusted-root whose tlogs[] have a baseUrl"
        )
    return OnlineLogChecker(
        log_keys,
        log_url=args.log_url,
        log_urls=log_urls,
        timeout=args.timeout,
        use_tiles=args.tiles,
    )


def _online_line(check: OnlineCheck) -> str:
    """One line per entry proven consistent with its log's current checkpoint."""
    return (
        f"online: {check.bundle}: log entry {check.log_index} (tree size {check.entry_size}) is "
        f"consistent with {check.log_url}'s checkpoint of size {check.log_size} "
        f"({check.origin})"
    )


def _key_path(explicit: Path | None) -> Path:
    """The key to trust: ``--key``, else the configured key's public half.

    Never the ``release-key.pub`` shipped inside a release: whoever could alter the release
    could replace that key too, so trusting it would verify a forgery.
    """
    if explicit is not None:
        return explicit
    configured = default_signing_key_path().with_suffix(".pub")
    if configured.is_file():
        return configured
    raise UsageError(
        f"no public key to trust: pass --key PUBLIC_KEY_PEM (no {configured}); "
        "take the publisher's key from a source you trust, not from the release folder"
    )
