"""``liturgia dashboard export``: a Grafana dashboard over the server's metrics.

Write a Grafana dashboard (JSON, built with grafana-foundation-sdk) over liturgia serve's
/metrics: coverage, test pass rate and findings by severity of each project's last release,
releases by outcome, gate failures, p95 latency and error rate, log append rate and size.
Import it into Grafana with a Prometheus data source that scrapes the server.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from liturgia.cli._common import add_command, add_group, doc_body

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``dashboard`` command group."""
    group = add_group(
        subparsers,
        "dashboard",
        "export a Grafana dashboard over liturgia serve's metrics",
        dest="dashboard_command",
        description=doc_body(__doc__),
    )
    export = add_command(group, "export", run, "write the Grafana dashboard JSON")
    export.add_argument(
        "--grafana",
        type=Path,
        required=True,
        metavar="FILE",
        help="where to write it (- for stdout)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the dashboard; 0.

    Raises:
        ConfigError: the ``server`` extra is missing.
    """
    from liturgia._internal.extras import import_extra  # noqa: PLC0415 - keep --help fast
    from liturgia._internal.files import atomic_write_bytes  # noqa: PLC0415

    import_extra("grafana_foundation_sdk", extra="server", feature="liturgia dashboard export")
    from liturgia.server.grafana import grafana_dashboard  # noqa: PLC0415

    body = grafana_dashboard()
    if str(args.grafana) == "-":
        sys.stdout.buffer.write(body)
    else:
        atomic_write_bytes(args.grafana, body)
        sys.stderr.write(f"liturgia: wrote the Grafana dashboard to {args.grafana}\n")
    return 0
