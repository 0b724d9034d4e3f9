"""``liturgia serve``: the transparency log's Rekor v1 REST API on uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value and value.isdigit() else default


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the transparency log (Rekor v1 REST API) over HTTP",
        description=(
            "Serve a Rekor v1-compatible transparency log. The log's signing key (ECDSA P-256) "
            "is created on first start beside an SQLite database (DB.key.pem). The stored tree "
            "is verified against its signed checkpoint first: a tree that does not match is "
            "not served (exit 3). Needs the 'server' extra."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("LITURGIA_DB"),
        metavar="URL",
        help="sqlite:///PATH or postgresql://...; default: sqlite under "
        "$XDG_DATA_HOME/liturgia/tlog/log.db [env LITURGIA_DB]",
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("LITURGIA_SERVE_HOST", "127.0.0.1"),
        help="address to listen on [env LITURGIA_SERVE_HOST]",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=_env_int("LITURGIA_SERVE_PORT", 8080),
        help="TCP port to listen on [env LITURGIA_SERVE_PORT]",
    )
    parser.add_argument(
        "--key",
        type=Path,
        default=os.environ.get("LITURGIA_LOG_KEY"),
        metavar="PATH",
        help="the log's signing key (PEM); default: beside the database [env LITURGIA_LOG_KEY]",
    )
    parser.add_argument(
        "--log-host",
        default=os.environ.get("LITURGIA_LOG_HOST"),
        metavar="NAME",
        help="host name of the log's base URL, in its checkpoints; default: --host "
        "[env LITURGIA_LOG_HOST]",
    )
    parser.add_argument(
        "--tree-id",
        type=int,
        metavar="N",
        help="tree ID (a positive int64); default: derived from the log key",
    )
    parser.add_argument(
        "--index-offset",
        type=int,
        default=0,
        metavar="N",
        help="added to tree-local indexes to give global logIndex values (earlier shards)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=1 << 20,
        metavar="N",
        help="largest request body accepted (larger ones get 413)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Verify the stored log, then serve it until interrupted; 0 on a clean stop.

    Raises:
        ConfigError: the ``server`` extra is missing, or a bad URL or key file.
        StorageError: the storage failed or the stored tree does not match its checkpoint.
        NetworkError: the address cannot be listened on.
    """
    from liturgia.errors import ConfigError, NetworkError  # noqa: PLC0415 - keep --help fast
    from liturgia.server import instance  # noqa: PLC0415

    try:
        import uvicorn  # noqa: PLC0415

        from liturgia.server.app import create_app  # noqa: PLC0415
    except ImportError as exc:
        raise ConfigError(
            f"liturgia serve needs the 'server' extra (pip install 'liturgia[server]'): {exc}"
        ) from exc
    if args.max_body_bytes < 1:
        raise ConfigError(f"--max-body-bytes must be positive, not {args.max_body_bytes}")
    db_url = args.db or instance.default_db_url()
    log, storage = instance.open_log(
        db_url,
        host=args.log_host or args.host,
        key_path=args.key,
        tree_id=args.tree_id,
        index_offset=args.index_offset,
    )
    try:
        key = instance.load_or_create_log_key(args.key or instance.default_key_path(db_url))
        app = create_app(log, max_body_bytes=args.max_body_bytes, public_key=key.public_key())
        info = log.info()
        sys.stderr.write(
            f"liturgia: serving log {log.origin!r} (tree size {info['treeSize']}) "
            f"on http://{args.host}:{args.port}\n"
        )
        sys.stderr.flush()
        config = uvicorn.Config(
            app, host=args.host, port=args.port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        try:
            server.run()
        except SystemExit as exc:  # uvicorn exits when it cannot listen
            raise NetworkError(f"cannot listen on {args.host}:{args.port}") from exc
        return 0
    finally:
        log.close()
        storage.close()
