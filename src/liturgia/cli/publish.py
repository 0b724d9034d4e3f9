"""``liturgia publish``: verify a release folder, then upload it to a configured target.

Verify RELEASE_DIR as `liturgia verify` does, under the publisher's key (--key, default: the
configured signing key's public half); a release that does not verify, is NO-GO, or is a dry
run is refused (exit 1) and nothing is uploaded. Then upload its files to the target named by
--to, a [publish.NAME] table of the configuration (kind = "pypi": wheels and sdists; "npm": npm
package tarballs), each file once: what the registry already holds with the same SHA-256 is
left as it is; another file under a published name is refused (exit 1, naming it) before any
upload. Every file is then downloaded back and its SHA-256 compared. What was done is recorded
in RELEASE_DIR.publish.json beside the folder, so a run stopped midway (exit 3: the registry is
down) is completed by the next. Credentials come from LITURGIA_PUBLISH_<NAME>_USERNAME/_PASSWORD
or _TOKEN, or ~/.pypirc (~/.npmrc for npm); never from the command line, never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liturgia.cli._common import (
    OutputFormat,
    add_command,
    add_format_option,
    doc_body,
    env_option,
    stderr_console,
)
from liturgia.cli.verify import add_trust_options, trusted_keys
from liturgia.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from liturgia.config import LoadedConfig
    from liturgia.publish import Progress, PublishEvent, Target

__all__ = ["progress_printer", "publish_progress", "register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``publish`` command."""
    help_ = "verify a release folder, then upload it to a configured registry and read it back"
    parser = add_command(subparsers, "publish", run, help_, description=doc_body(__doc__))
    parser.add_argument("release", type=Path, metavar="RELEASE_DIR")
    env_option(
        parser,
        "--to",
        "LITURGIA_PUBLISH_TO",
        "the target: a [publish.NAME] table of the configuration (staging, production, ...)",
        metavar="NAME",
        required=False,
        default=None,
    )
    env_option(
        parser,
        "--project",
        "LITURGIA_PROJECT",
        "project folder whose configuration names the targets (default: .)",
        type=Path,
        default=Path(),
    )
    add_trust_options(parser)
    add_format_option(parser)


_LINES = {
    "verified": "[green]✓[/green] the release verifies",
    "upload": "↑ {file} ({size:,} bytes)",
    "uploaded": "[green]✓[/green] {file} uploaded",
    "present": "= {file} already published with the same SHA-256",
    "checked": "[green]✓[/green] {file} read back: SHA-256 matches",
}


def progress_printer(console: Console | None = None) -> Progress:
    """A :data:`liturgia.publish.Progress` printing one line per step on stderr (no bytes
    counts: a log stays one line per file)."""
    from rich.markup import escape  # noqa: PLC0415

    out = console or stderr_console()

    def show(event: PublishEvent) -> None:
        line = _LINES.get(event.step)
        if line is not None:
            out.print(line.format(file=escape(event.file), size=event.size), highlight=False)

    return show


@contextlib.contextmanager
def publish_progress(output: OutputFormat) -> Iterator[Progress]:
    """The progress of uploads on stderr: a bar per file (bytes sent, rate, time left) when
    stderr is a terminal and the output is not ``json``; else :func:`progress_printer`'s lines.
    The bars stay on screen once done, above the summary."""
    console = stderr_console()
    if output == OutputFormat.JSON or not console.is_terminal:
        yield progress_printer(console)
        return
    from rich.markup import escape  # noqa: PLC0415
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        DownloadColumn,
        TaskID,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as Bars  # noqa: PLC0415

    lines = progress_printer(console)
    with Bars(
        TextColumn("↑ {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def show(event: PublishEvent) -> None:
            if event.step == "upload":
                tasks[event.file] = bars.add_task(escape(event.file), total=event.size)
            elif event.step == "sending" and event.file in tasks:
                bars.update(tasks[event.file], completed=event.sent)
            elif event.step == "uploaded" and event.file in tasks:
                bars.update(tasks[event.file], completed=event.size)
            else:
                lines(event)

        yield show


def run(args: argparse.Namespace) -> int:
    """Publish; 0 once every file is at the target and read back."""
    from liturgia.config import load_config  # noqa: PLC0415
    from liturgia.publish import configured_target, publish_release  # noqa: PLC0415

    if not args.to:
        raise UsageError(
            "name the target: --to NAME (a [publish.NAME] table), or set LITURGIA_PUBLISH_TO"
        )
    release: Path = args.release
    if not release.is_dir():
        raise UsageError(f"{release}: release folder not found")
    config = load_config(args.project)
    target = configured_target(config, args.to)
    _key, public_key, log_keys = trusted_keys(args, release)
    with publish_progress(args.format) as progress:
        result = publish_release(
            release, target, public_key=public_key, log_keys=log_keys, progress=progress
        )
    if args.format == OutputFormat.JSON:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n")
    document = result.to_json()
    stderr_console().print(
        f"published {result.release} to {result.target} ({result.location}): "
        f"{document['uploaded']} uploaded, {document['present']} already there, "
        f"{len(result.files)} read back; record {result.record}",
        markup=False,
    )
    return 0


def publish_targets(config: LoadedConfig, names: list[str], *, dry_run: bool) -> list[Target]:
    """The targets of ``liturgia release --publish NAME...``, built before the release runs so
    a wrong name or credentials file stops it at once.

    Raises:
        UsageError: ``--publish`` with ``--dry-run``.
        ConfigError: as :func:`liturgia.publish.configured_target`.
    """
    from liturgia.publish import configured_target  # noqa: PLC0415

    if names and dry_run:
        raise UsageError("--publish: a dry run is not published; drop one of them")
    return [configured_target(config, name) for name in names]


def publish_release_folder(
    folder: Path, targets: list[Target], *, output: OutputFormat = OutputFormat.TABLE
) -> None:
    """Publish a release this process has just written and signed, to each target in turn.

    The key it is verified under is the folder's ``release-key.pub``, which this run wrote from
    its own signer a moment ago (``liturgia publish`` of a folder from elsewhere never trusts
    that copy: it takes ``--key``).

    Raises:
        LiturgiaError: as :func:`liturgia.publish.publish_release`; the release itself is kept
            (and tagged), and the message says how to publish it again.
    """
    from liturgia import sign  # noqa: PLC0415
    from liturgia.errors import LiturgiaError  # noqa: PLC0415
    from liturgia.publish import publish_release  # noqa: PLC0415

    public_key = sign.load_public_key(folder / "release-key.pub")
    console = stderr_console()
    for target in targets:
        try:
            with publish_progress(output) as progress:
                result = publish_release(folder, target, public_key=public_key, progress=progress)
        except LiturgiaError:
            console.print(
                f"the release {folder.name} is written; publish it again with `liturgia publish "
                f"{folder} --to {target.name}`",
                markup=False,
            )
            raise
        console.print(
            f"published {result.release} to {result.target} ({result.location}): "
            f"{len(result.files)} files, read back",
            markup=False,
        )
