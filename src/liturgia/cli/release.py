"""``liturgia release``: run every stage and write ``dist/<name>-<version>/``.

Run the release stages in order (version, build, test, sbom, scan, sign, notes, gate, checksums,
tag) and write dist/<name>-<version>/. Exit 0 on GO, 1 on NO-GO, 2 on usage or input errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from liturgia.cli._common import (
    OutputFormat,
    add_command,
    add_format_option,
    add_tlog_options,
    doc_body,
    env_option,
    explain_key_password,
    password_from_env_or_prompt,
    stderr_console,
)
from liturgia.cli._reproducible import check_reproducible_command
from liturgia.cli.publish import publish_release_folder, publish_targets
from liturgia.config import LoadedConfig, load_config
from liturgia.errors import ConfigError, InputError, KeyPasswordError, NetworkError
from liturgia.release.gates import Status
from liturgia.release.pipeline import ReleaseOptions, ReleaseResult, run_release

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``release`` command."""
    help_ = "build, SBOM, scan, sign, notes, gate and tag one release"
    parser = add_command(subparsers, "release", run, help_, description=doc_body(__doc__))
    parser.add_argument("--project", type=Path, default=Path(), help="project folder (default: .)")
    parser.add_argument("--out", type=Path, help="output folder (default: <project>/dist)")
    parser.add_argument(
        "--version",
        dest="release_version",
        metavar="X.Y.Z",
        help="release this version instead of the one computed from the commits",
    )
    parser.add_argument(
        "--pre",
        metavar="TOKEN",
        help="release a pre-release: --pre rc gives X.Y.Z-rc.1, then rc.2 (SemVer §9)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="every check of the real run; no commit, no tag, project files untouched",
    )
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="release although tracked files have uncommitted changes",
    )
    parser.add_argument(
        "--from-tag",
        metavar="TAG",
        help="build the release of this existing tag, which must name HEAD (CI on a tag push)",
    )
    parser.add_argument(
        "--push",
        nargs="?",
        const="origin",
        metavar="REMOTE",
        help="push the new tag to REMOTE (default origin); a failed push undoes the release",
    )
    parser.add_argument(
        "--check-reproducible",
        action="store_true",
        help="only build, twice, into fresh folders with one SOURCE_DATE_EPOCH (else the last "
        "commit's time), and compare every artifact's SHA-256; exit 1 naming those that differ",
    )
    add_tlog_options(
        parser,
        what="every bundle of the release (default: [signing].tlog_url, else the embedded "
        "log in $XDG_STATE_HOME/liturgia/tlog; a log that is down fails the release, exit 3)",
    )
    env_option(parser, "--server", "LITURGIA_SERVER", "send the release, live, to this cockpit "
               "server (liturgia serve) with the token in LITURGIA_TOKEN; default: [server].url; "
               "a server that is down is an advisory 'cockpit' row of the gate report and a "
               "warning, a blocking row (NO-GO) with [server].required",
               metavar="URL")  # fmt: skip
    env_option(parser, "--server-deadline", "LITURGIA_SERVER_DEADLINE", "seconds the gate, "
               "then the end of the release, wait for the cockpit server to take what is "
               "still unsent; a server down at the gate is waited for once (default: 20)",
               type=float, default=20.0, metavar="SECONDS")  # fmt: skip
    parser.add_argument(
        "--publish",
        action="append",
        default=[],
        metavar="NAME",
        help="after a GO release, publish it to the [publish.NAME] target (repeatable, in "
        "order), as liturgia publish does; not with --dry-run",
    )
    add_format_option(parser)


class _Progress:
    """Stage progress on stderr: a live spinner line on a terminal, plain lines otherwise."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._status: Any = None

    def stage_started(self, name: str) -> None:
        if self._console.is_terminal:
            self._status = self._console.status(f"[bold]{name}[/bold] …")
            self._status.start()

    def stage_finished(self, name: str, summary: str, *, ok: bool = True) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        mark = "[green]✓[/green]" if ok else "[red]✗[/red]"
        self._console.print(f"{mark} {name:<9} {escape(summary)}", markup=True)

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()


def run(args: argparse.Namespace) -> int:
    """Run the release; 0 on GO, 1 on NO-GO (3 when a required record was lost after the gate)."""
    config = load_config(args.project)
    console = stderr_console()
    if args.check_reproducible:
        return check_reproducible_command(args, config, console)
    targets = publish_targets(config, args.publish, dry_run=args.dry_run)
    progress = _Progress(console)
    sender = _cockpit(args, config, progress)
    result: ReleaseResult | None = None
    try:
        result = run_release(
            config,
            ReleaseOptions(
                dry_run=args.dry_run,
                version=args.release_version,
                prerelease=args.pre,
                out_dir=args.out,
                allow_dirty=args.allow_dirty,
                push=args.push,
                from_tag=args.from_tag,
                tlog_url=args.tlog_url,
                log_key=args.log_key,
                password=password_from_env_or_prompt,
                late_checks=()
                if sender is None
                else (
                    partial(
                        sender.gate_check,
                        deadline=max(0.0, args.server_deadline),
                        required=config.settings.server.required,
                    ),
                ),
            ),
            progress if sender is None else sender,
        )
    except KeyPasswordError as exc:
        raise explain_key_password(exc, other_key=_other_key(config)) from exc
    finally:
        progress.close()
        if sender is not None:
            _finish_cockpit(sender, result, config, console, args)
    if args.format == OutputFormat.JSON:
        sys.stdout.write(json.dumps(_as_json(result), indent=2, sort_keys=True) + "\n")
    else:
        _print_summary(console, result)
    if result.report.go and targets:
        publish_release_folder(result.directory, targets, output=args.format)
    return 0 if result.report.go else 1


def _cockpit(args: argparse.Namespace, config: LoadedConfig, progress: _Progress) -> Any:
    """A :class:`CockpitSender` when a server is named (``--server`` or ``[server].url``).

    Raises:
        ConfigError: a server is named but ``LITURGIA_TOKEN`` is not set, or a bad URL.
    """
    url = args.server or config.settings.server.url
    if not url:
        return None
    from liturgia.release.cockpit import CockpitSender  # noqa: PLC0415 - only when asked

    token = os.environ.get("LITURGIA_TOKEN", "").strip()
    if not token:
        raise ConfigError(
            f"cockpit server {url}: LITURGIA_TOKEN is not set (create one with "
            f"`liturgia serve token create {config.settings.project.name}` on the server)"
        )
    return CockpitSender(url, token, config.settings.project.name, progress)


def _finish_cockpit(
    sender: Any,
    result: ReleaseResult | None,
    config: LoadedConfig,
    console: Console,
    args: argparse.Namespace,
) -> None:
    """Send the final record, wait for the sender (bounded); warn, or fail when required.

    When the gate's ``cockpit`` row already failed, the gate report says so (and with
    ``[server].required`` the release is NO-GO): a warning only.

    Raises:
        NetworkError: ``[server].required`` and something was not sent after the gate's row
            said the server took everything (only after a release that finished: an error of
            the release itself is never hidden).
    """
    from liturgia.release.record import build_record  # noqa: PLC0415

    record = None
    problems: list[str] = []
    if result is not None:
        try:
            record = build_record(result.directory, run=sender.run)
        except InputError as exc:
            problems.append(f"record not built: {exc}")
    report = sender.finish(record, deadline=max(0.0, args.server_deadline))
    problems += report.problems
    if not problems:
        return
    for problem in problems:
        console.print(f"warning: cockpit {sender.url}: {problem}", markup=False)
    console.print(f"warning: record not sent to {sender.url}", markup=False)
    if result is not None and config.settings.server.required and not sender.gate_failed:
        raise NetworkError(
            f"cockpit server {sender.url}: the release record was not sent and "
            f"[server].required is true ({problems[0]})"
        )


def _other_key(config: LoadedConfig) -> str:
    """How this project's release is given another signing key (for error messages)."""
    if config.settings.signing.key:
        return f"point [signing].key in {config.path} at another key"
    return (
        f"use another key with LITURGIA_KEY=PATH or [signing].key in {config.path} "
        "(a new key pair is created at a PATH that does not exist yet)"
    )


def _as_json(result: ReleaseResult) -> dict[str, Any]:
    return {
        "decision": "GO" if result.report.go else "NO-GO",
        "directory": str(result.directory),
        "version": str(result.version),
        "tag": result.tagged,
        "files": list(result.files),
        "checks": [
            {
                "name": c.name,
                "passed": c.passed,
                "status": c.outcome.value,
                "summary": c.summary,
                "evidence": list(c.evidence),
            }
            for c in result.report.checks
        ],
    }


_MARKS = {
    Status.PASS: "[green]pass[/green]",
    Status.FAIL: "[red]FAIL[/red]",
    Status.WAIVED: "[yellow]waived[/yellow]",
    Status.NOT_APPLICABLE: "[dim]n/a[/dim]",
}

#: Evidence lines of each failed check printed under the summary table.
_SHOWN_EVIDENCE = 10


def _print_summary(console: Console, result: ReleaseResult) -> None:
    table = Table(title=f"{result.report.project} {result.version}", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("summary", overflow="fold")
    for check in result.report.checks:
        mark = _MARKS[check.outcome]
        table.add_row(check.name, mark, check.summary)
    console.print(table)
    for check in result.report.failed:  # why it is NO-GO, without opening gate-report.md
        for item in check.evidence[:_SHOWN_EVIDENCE]:
            console.print(f"  {check.name}: {item}", markup=False)
        if len(check.evidence) > _SHOWN_EVIDENCE:
            more = len(check.evidence) - _SHOWN_EVIDENCE
            console.print(f"  {check.name}: ... {more} more in gate-report.md", markup=False)
    decision = "[bold green]GO[/bold green]" if result.report.go else "[bold red]NO-GO[/bold red]"
    console.print(f"{decision}: {result.directory}")
