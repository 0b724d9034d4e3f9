"""``liturgia log``: watch a transparency log (``log monitor URL``), as a witness does."""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from liturgia._internal.xdg import user_dir
from liturgia.cli._common import positive_seconds

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``log`` command group."""
    parser = subparsers.add_parser(
        "log",
        help="watch a transparency log",
        description="Commands about a Rekor v1 transparency log seen from outside.",
    )
    commands = parser.add_subparsers(dest="log_command", metavar="COMMAND", required=True)
    monitor = commands.add_parser(
        "monitor",
        help="verify the log's checkpoint extends every one recorded before, and record it",
        description=(
            "Fetch the log's signed checkpoint, verify its signature under the log's key "
            "(fetched on first use, then pinned in the state folder; or --log-key), prove it "
            "consistent with the checkpoints recorded earlier, and record it. Exit 0 when "
            "consistent, 1 on a bad signature, rollback, fork or inconsistent proof, 3 when "
            "the log cannot be reached."
        ),
    )
    monitor.add_argument("url", metavar="URL", help="the log's base URL")
    monitor.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="state folder; default: $XDG_STATE_HOME/liturgia/log-monitor/<host>_<port>",
    )
    monitor.add_argument(
        "--log-key", type=Path, metavar="PEM", help="the log's public key (PEM) to trust"
    )
    monitor.add_argument(
        "--timeout",
        type=positive_seconds,
        default=30.0,
        metavar="S",
        help="seconds per HTTP exchange",
    )
    parser.set_defaults(func=run)


def _default_state(url: str) -> Path:
    parts = urllib.parse.urlsplit(url)
    name = f"{parts.hostname or 'log'}_{parts.port or parts.scheme}"
    return user_dir("state") / "log-monitor" / name


def run(args: argparse.Namespace) -> int:
    """Run ``log monitor``; 0 when the log's checkpoint is consistent and recorded.

    Raises:
        InputError: ``--log-key`` cannot be read.
        VerificationError: an inconsistent, rolled back, forked or badly signed log (exit 1).
        NetworkError: the log cannot be reached (exit 3).
    """
    from liturgia._internal.files import read_bytes  # noqa: PLC0415 - keep --help fast
    from liturgia.tlog.client import monitor_log  # noqa: PLC0415

    key = read_bytes(args.log_key, what="log key") if args.log_key else None
    state = args.state or _default_state(args.url)
    result = monitor_log(args.url, state, log_key_pem=key, timeout=args.timeout)
    checkpoint = result.checkpoint
    previous = "first use" if result.previous_size is None else f"from {result.previous_size}"
    sys.stdout.write(
        f"consistent {checkpoint.origin!r} size {checkpoint.size} root "
        f"{checkpoint.root_hash.hex()} ({previous})\n"
    )
    return 0
