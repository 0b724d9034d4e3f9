"""``liturgia release --check-reproducible``: the command's output for a reproducibility check.

Build twice into fresh folders with one SOURCE_DATE_EPOCH and compare every artifact's SHA-256
(see :mod:`liturgia.release.reproducible`); exit 0 when all are byte-identical, 1 naming those
that differ.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from rich.console import Console

from liturgia.cli._common import OutputFormat
from liturgia.config import LoadedConfig
from liturgia.errors import InputError
from liturgia.release.plan import plan_version
from liturgia.release.reproducible import check_reproducible, pinned_epoch

__all__ = ["check_reproducible_command"]


def check_reproducible_command(
    args: argparse.Namespace, config: LoadedConfig, console: Console
) -> int:
    """Build twice and compare; 0 when every artifact is byte-identical, 1 naming the others."""
    if args.push is not None or args.from_tag is not None:
        raise InputError(
            "--check-reproducible only builds (nothing is tagged): drop --push and --from-tag"
        )
    project = config.project_dir
    plan = plan_version(
        project, config.settings.project, requested=args.release_version, prerelease=args.pre
    )
    epoch = pinned_epoch(project, fallback=int(time.time()))
    # Both runs, and every command they start, see one SOURCE_DATE_EPOCH.
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    console.print(
        f"building {config.settings.project.name} {plan.version} twice (SOURCE_DATE_EPOCH={epoch})"
    )
    report = check_reproducible(config, version=str(plan.version))
    if args.format == OutputFormat.JSON:
        document = {
            "version": report.version,
            "source_date_epoch": epoch,
            "reproducible": report.reproducible,
            "differing": list(report.differing),
            "artifacts": [
                {"name": a.name, "first": a.first, "second": a.second, "same": a.same}
                for a in report.artifacts
            ],
        }
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    for item in report.artifacts:
        if item.same:
            console.print(f"same     {item.name} sha256:{item.first}", markup=False)
        else:
            console.print(
                f"DIFFERS  {item.name}: sha256:{item.first or '(not made)'} then "
                f"sha256:{item.second or '(not made)'}",
                markup=False,
            )
    if report.reproducible:
        console.print(f"reproducible: {len(report.artifacts)} artifacts byte-identical")
        return 0
    console.print(
        f"not reproducible: {len(report.differing)} of {len(report.artifacts)} artifacts "
        "differ: " + ", ".join(report.differing),
        markup=False,
    )
    return 1
