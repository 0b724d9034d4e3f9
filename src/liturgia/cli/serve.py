"""``liturgia serve``: the transparency log's Rekor v1 REST API on uvicorn.

Serve a Rekor v1-compatible transparency log. The log's signing key (ECDSA P-256) is created on
first start beside an SQLite database (DB.key.pem). The address is bound first (a port in use:
exit 3, nothing created). The stored tree is verified against its signed checkpoint and the
stored entry bodies against their leaf hashes first: a tree that does not match or an altered
entry is not served (exit 3). A full disk gets 507 on writes while reads keep working; a failing
storage gets 503 (both with Retry-After). Neither means an entry was not stored: clients retry
and take a 409 (already logged, Location names it) as success. Needs the 'server' extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from liturgia.cli._common import add_command, add_group, doc_body, env_option

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    help_ = "serve the transparency log (Rekor v1 REST API) over HTTP"
    parser = add_command(
        subparsers, "serve", run, help_, description=doc_body(__doc__), show_defaults=True
    )
    env_option(parser, "--db", "LITURGIA_DB", "sqlite:///PATH or postgresql://... (with "
               "?pool_size=N&pool_timeout=S: reader sessions per process, default 10, and how "
               "long a read waits for one, default 5 s); default: "
               "sqlite under $XDG_DATA_HOME/liturgia/tlog/log.db", metavar="URL")  # fmt: skip
    env_option(parser, "--host", "LITURGIA_SERVE_HOST", "address to listen on",
               default="127.0.0.1")  # fmt: skip
    # Lenient (as before): a port that is not a number in the environment leaves the default.
    env_option(parser, "--port", "LITURGIA_SERVE_PORT", "TCP port to listen on", type=int,
               default=8080, lenient=True)  # fmt: skip
    env_option(parser, "--key", "LITURGIA_LOG_KEY", "the log's signing key (PEM); default: "
               "beside the database", type=Path, metavar="PATH")  # fmt: skip
    env_option(parser, "--log-host", "LITURGIA_LOG_HOST", "host name of the log's base URL, in "
               "its checkpoints; default: the one the log was created with, --host for a new "
               "log", metavar="NAME")  # fmt: skip
    parser.add_argument(
        "--tree-id",
        type=int,
        metavar="N",
        help="tree ID (a positive int64), stored with the log at its first start; default: "
        "what the log was created with, derived from the log key for a new log",
    )
    parser.add_argument(
        "--index-offset",
        type=int,
        metavar="N",
        help="added to tree-local indexes to give global logIndex values (earlier shards), "
        "stored with the log at its first start; default: what the log was created with, "
        "0 for a new log",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=1 << 20,
        metavar="N",
        help="largest request body accepted (larger ones get 413)",
    )
    env_option(parser, "--workers", "LITURGIA_SERVE_WORKERS", "worker processes sharing the "
               "database (one per core for the most writes/s)", type=int, default=1,
               metavar="N", lenient=True)  # fmt: skip
    env_option(parser, "--read-threads", "LITURGIA_SERVE_READ_THREADS", "threads answering "
               "reads in each process (each holds one database connection; SQLite's hot reads "
               "are answered on the event loop)", type=int,
               default=8, metavar="N")  # fmt: skip
    env_option(parser, "--read-cache-mib", "LITURGIA_SERVE_READ_CACHE_MIB", "memory of each "
               "process's read caches (tiles, proofs' subtree hashes, SETs), bounded whatever "
               "the log's size", type=int, default=64, metavar="MIB")  # fmt: skip
    env_option(parser, "--log-level", "LITURGIA_SERVE_LOG_LEVEL", "lowest level of the JSON "
               "log lines on stderr (info adds an access line per request, with its request "
               "ID)", choices=("debug", "info", "warning", "error"), default="warning")  # fmt: skip
    parser.add_argument(
        "--webhook",
        action="append",
        metavar="URL",
        help="POST release events (started, passed, failed) to URL, signed with HMAC-SHA256 "
        "under LITURGIA_WEBHOOK_SECRET (X-Liturgia-Signature); repeatable",
    )
    env_option(parser, "--private", "LITURGIA_SERVE_PRIVATE", "reading the release records, "
               "pages and metrics needs a valid token too (the log stays public)",
               action="store_true")  # fmt: skip
    commands = parser.add_subparsers(dest="serve_command", metavar="COMMAND", required=False)
    tokens = add_group(
        commands,
        "token",
        "create or revoke a project's write token (release records)",
        dest="token_command",
    )
    create = add_command(
        tokens,
        "create",
        _token_create,
        "create a token that may write PROJECT's release records; printed once on stdout",
    )
    create.add_argument("project", metavar="PROJECT", help="the project the token may write to")
    revoke = add_command(tokens, "revoke", _token_revoke, "revoke a token (by id or whole token)")
    revoke.add_argument("token_id", metavar="ID", help="the token's id (or the token itself)")
    for sub in (create, revoke):
        env_option(sub, "--db", "LITURGIA_DB", "the server's database (as serve --db)",
                   metavar="URL")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Verify the stored log, then serve it until SIGTERM or Ctrl-C; 0 on a clean stop.

    Raises:
        ConfigError: the ``server`` extra is missing, a bad option, URL or key file.
        StorageError: the storage failed or the stored tree does not match its checkpoint.
        NetworkError: the address cannot be listened on.
    """
    from liturgia._internal.extras import import_extra  # noqa: PLC0415 - keep --help fast
    from liturgia.errors import ConfigError  # noqa: PLC0415

    import_extra("uvicorn", extra="server", feature="liturgia serve")
    if args.max_body_bytes < 1:
        raise ConfigError(f"--max-body-bytes must be positive, not {args.max_body_bytes}")
    if not 1 <= args.workers <= 64:
        raise ConfigError(f"--workers must be between 1 and 64, not {args.workers}")
    from liturgia import server  # noqa: PLC0415

    options = server.ServeOptions(
        db_url=args.db,
        host=args.host,
        port=args.port,
        key_path=args.key,
        log_host=args.log_host,
        tree_id=args.tree_id,
        index_offset=args.index_offset,
        max_body_bytes=args.max_body_bytes,
        workers=args.workers,
        read_threads=args.read_threads,
        read_cache_mib=args.read_cache_mib,
        log_level=args.log_level,
        webhooks=tuple(args.webhook or ()),
        private=args.private,
    )
    return server.run(options, announce=_announce)


def _announce(line: str) -> None:
    sys.stderr.write(f"liturgia: {line}\n")
    sys.stderr.flush()


def _records(args: argparse.Namespace) -> Any:
    """Open the records of the server's database (``--db``, else the default one)."""
    from liturgia.server import instance  # noqa: PLC0415 - keep --help fast
    from liturgia.server.records import open_records  # noqa: PLC0415

    return open_records(args.db or instance.default_db_url())


def _token_create(args: argparse.Namespace) -> int:
    """Create a write token for ``args.project``; print it once on stdout.

    Raises:
        InputError: a bad project name.
        StorageError: the database cannot be opened or written.
    """
    store = _records(args)
    try:
        token_id, token = store.create_token(args.project)
    finally:
        store.close()
    sys.stdout.write(token + "\n")
    _announce(
        f"token {token_id} may write the release records of project {args.project}; it is "
        "shown once (give it to the release as LITURGIA_TOKEN)"
    )
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    """Revoke a token by id; exit 2 when no active token has that id.

    Raises:
        InputError: no active token has that id.
        StorageError: the database cannot be opened or written.
    """
    from liturgia.errors import InputError  # noqa: PLC0415

    store = _records(args)
    try:
        revoked = store.revoke_token(args.token_id)
    finally:
        store.close()
    if not revoked:
        raise InputError(
            f"no active token has id {args.token_id!r} (the id is what token create printed)"
        )
    _announce(f"token {args.token_id} revoked")
    return 0
