"""``liturgia chaos report``: the chaos experiments' results as a report.

Read every JSON result the chaos experiments wrote into DIR (default $LITURGIA_CHAOS_OUT) and
write the report: a Markdown table per experiment (fault, duration, load, availability, time
to recover, acknowledged and lost entries) and the overall uptime and MTTR beside the seed
plan's targets (uptime > 99 %, MTTR 45 s, nothing lost), plus its JSON twin (same name, .json).
Exit 0 once written, 2 when DIR holds no result or a result is malformed (the file is named).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from liturgia.cli._common import add_command, add_group, doc_body, print_path
from liturgia.errors import UsageError

__all__ = ["register", "run_report"]

#: Where the report goes by default, from the project's root (the docs folder).
DEFAULT_REPORT = Path("docs/chaos/report.md")


def register(subparsers: Any) -> None:
    """Add the ``chaos`` command group."""
    commands = add_group(
        subparsers,
        "chaos",
        "report on the chaos experiments",
        dest="chaos_command",
        description="Commands about the chaos experiments' results (tests/chaos).",
    )
    report = add_command(
        commands,
        "report",
        run_report,
        "write the chaos report (Markdown and JSON) from the experiments' results",
        description=doc_body(__doc__),
        show_defaults=True,
    )
    report.add_argument(
        "results",
        type=Path,
        nargs="?",
        default=os.environ.get("LITURGIA_CHAOS_OUT") or None,
        metavar="DIR",
        help="the folder of results [env LITURGIA_CHAOS_OUT]",
    )
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_REPORT,
        metavar="FILE",
        help="the Markdown report; its JSON twin is FILE with the suffix .json",
    )


def run_report(args: argparse.Namespace) -> int:
    """Run ``chaos report``; 0 once the report and its JSON twin are written.

    Raises:
        UsageError: no results folder given (exit 2).
        InputError: the folder holds no result, or a result is malformed (exit 2).
        StorageError: the report cannot be written (exit 3).
    """
    from liturgia._internal.files import atomic_write_text  # noqa: PLC0415 - keep --help fast
    from liturgia.release.chaos import (  # noqa: PLC0415
        read_results,
        render_json,
        render_markdown,
    )

    if args.results is None:
        raise UsageError("chaos report: give the results folder (DIR) or set LITURGIA_CHAOS_OUT")
    report = read_results(Path(args.results))
    output: Path = args.output
    twin = output.with_suffix(".json")
    atomic_write_text(twin, render_json(report))
    atomic_write_text(output, render_markdown(report))
    mttr = "not measured" if report.mttr_s is None else f"{report.mttr_s:.2f} s"
    sys.stderr.write(
        f"{len(report.experiments)} experiments: uptime {100 * report.uptime:.2f} %, MTTR "
        f"{mttr}, {report.lost} of {report.acknowledged} acknowledged entries lost\n"
    )
    print_path(output)
    print_path(twin)
    return 0
