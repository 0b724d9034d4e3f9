"""``liturgia log``: watch a transparency log (``log monitor URL``), as a witness does, and
publish one's own as static tiles (``log export DIR``, c2sp.org/tlog-tiles)."""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from liturgia._internal.xdg import user_dir
from liturgia.cli._common import add_command, add_group, env_option, positive_seconds

__all__ = ["register", "run", "run_export"]


def register(subparsers: Any) -> None:
    """Add the ``log`` command group."""
    about = "Commands about a Rekor v1 transparency log seen from outside."
    commands = add_group(
        subparsers, "log", "watch a transparency log", dest="log_command", description=about
    )
    monitor = add_command(
        commands,
        "monitor",
        run,
        "verify the log's checkpoint extends every one recorded before, and record it",
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
    monitor.add_argument(
        "--tiles",
        action="store_true",
        help="read URL as a c2sp.org/tlog-tiles prefix (URL/checkpoint, URL/tile/...; static "
        "files will do) and compute the consistency proof from its tiles; on first use the "
        "log key comes from --log-key, else from URL/api/v1/log/publicKey",
    )
    export = add_command(
        commands,
        "export",
        run_export,
        "write the log's tiles and checkpoint as static files (c2sp.org/tlog-tiles)",
        description=(
            "Write the stored log's checkpoint, tiles and entry bundles under DIR as "
            "c2sp.org/tlog-tiles lays them out (checkpoint, tile/<L>/<N>[.p/<W>], "
            "tile/entries/<N>[.p/<W>]), for a plain web server or an object store to serve. "
            "Incremental: files already there are kept (full tiles are never rewritten) and "
            "the checkpoint is written last. Exit 3 when the storage cannot be read or does "
            "not match its checkpoint."
        ),
    )
    export.add_argument("directory", type=Path, metavar="DIR", help="the export folder")
    env_option(export, "--db", "LITURGIA_DB", "sqlite:///PATH or postgresql://...; default: "
               "the one liturgia serve uses", metavar="URL")  # fmt: skip


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
    result = monitor_log(
        args.url, state, log_key_pem=key, timeout=args.timeout, use_tiles=args.tiles
    )
    checkpoint = result.checkpoint
    previous = "first use" if result.previous_size is None else f"from {result.previous_size}"
    sys.stdout.write(
        f"consistent {checkpoint.origin!r} size {checkpoint.size} root "
        f"{checkpoint.root_hash.hex()} ({previous})\n"
    )
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Run ``log export DIR``; 0 once the folder holds the stored tree's tiles and checkpoint.

    Raises:
        ConfigError: a bad database URL.
        StorageError: the storage cannot be read, does not match its checkpoint, or the
            folder cannot be written (exit 3).
    """
    from liturgia.server.instance import default_db_url  # noqa: PLC0415 - keep --help fast
    from liturgia.tlog.storage import open_storage  # noqa: PLC0415
    from liturgia.tlog.tiled import export  # noqa: PLC0415

    storage = open_storage(args.db or default_db_url())
    try:
        report = export(storage, args.directory)
    finally:
        storage.close()
    sys.stdout.write(
        f"exported tree size {report.tree_size}: {report.written} files written, "
        f"{report.kept} kept\n"
    )
    return 0
