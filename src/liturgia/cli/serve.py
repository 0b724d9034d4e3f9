"""``liturgia serve``: the transparency log's Rekor v1 REST API on uvicorn.

Serve a Rekor v1-compatible transparency log. The log's signing key (ECDSA P-256) is created on
first start beside an SQLite database (DB.key.pem). The address is bound first (a port in use:
exit 3, nothing created). The stored tree is verified against its signed checkpoint and the
stored entry bodies against their leaf hashes first: a tree that does not match or an altered
entry is not served (exit 3). Needs the 'server' extra.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liturgia.cli._common import add_command, doc_body, env_option

if TYPE_CHECKING:
    from liturgia.server.reads import ReadSettings
    from liturgia.tlog.log import RekorLog
    from liturgia.tlog.storage import LogStorage

__all__ = ["register", "run"]


_STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start
#: Seconds a stopping server waits for requests in flight (a stalled client cannot hold it).
_GRACE_SECONDS = 10


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    help_ = "serve the transparency log (Rekor v1 REST API) over HTTP"
    parser = add_command(
        subparsers, "serve", run, help_, description=doc_body(__doc__), show_defaults=True
    )
    env_option(parser, "--db", "LITURGIA_DB", "sqlite:///PATH or postgresql://...; default: "
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
               "reads in each process (each holds one database connection)", type=int,
               default=8, metavar="N")  # fmt: skip
    env_option(parser, "--read-cache-mib", "LITURGIA_SERVE_READ_CACHE_MIB", "memory of each "
               "process's read caches (tiles, proofs' subtree hashes, SETs), bounded whatever "
               "the log's size", type=int, default=64, metavar="MIB")  # fmt: skip


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
    _read_settings(args)  # a bad size is a usage error before anything starts
    if args.workers == 1:
        return _serve_one(args)
    return _serve_many(args)


@contextmanager
def _server_signals() -> Iterator[None]:
    """Let the server own SIGINT and SIGTERM while it runs; restore the handlers after.

    uvicorn re-raises the signal it handled once it has shut down (and its supervisor never
    restores the handlers it sets). For a server, SIGTERM or Ctrl-C is the normal way to stop,
    not the "terminated"/"interrupted" of a command cut short: both are ignored until the
    previous handlers are back, so a clean stop exits 0.
    """
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, signal.SIG_IGN)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _open_log(
    args: argparse.Namespace, db_url: str, key_path: Path | None
) -> tuple[RekorLog, LogStorage]:
    """Open and start the log the options name: ``(RekorLog, LogStorage)``.

    ``--log-host``, ``--tree-id`` and ``--index-offset`` default to what the log was created
    with (``--host`` names a new log). Raises what :func:`instance.open_log` raises.
    """
    from liturgia.server import instance  # noqa: PLC0415

    return instance.open_log(
        db_url,
        host=None if args.log_host is None else instance.check_log_host(args.log_host),
        default_host=instance.check_log_host(args.host),
        key_path=key_path,
        tree_id=args.tree_id,
        index_offset=args.index_offset,
        **_read_settings(args).log_options(),
    )


def _read_settings(args: argparse.Namespace) -> ReadSettings:
    """The read threads and caches ``--read-threads`` and ``--read-cache-mib`` ask for."""
    from liturgia.server.reads import ReadSettings  # noqa: PLC0415

    return ReadSettings.with_budget(threads=args.read_threads, cache_mib=args.read_cache_mib)


def _announce(origin: str, tree_size: int, args: argparse.Namespace, port: int) -> None:
    workers = f" with {args.workers} workers" if args.workers > 1 else ""
    sys.stderr.write(
        f"liturgia: serving log {origin!r} (tree size {tree_size}) "
        f"on http://{args.host}:{port}{workers}\n"
    )
    sys.stderr.flush()


def _serve_one(args: argparse.Namespace) -> int:
    """Serve in this process: one event loop, one sequencer."""
    import uvicorn  # noqa: PLC0415

    from liturgia.server import instance  # noqa: PLC0415
    from liturgia.server.app import create_app  # noqa: PLC0415

    # Bind first: a port in use must fail before a database, key or lock file is created.
    sock = instance.listen(args.host, args.port)
    try:
        log, storage = _open_log(args, args.db or instance.default_db_url(), args.key)
        try:
            app = create_app(
                log,
                max_body_bytes=args.max_body_bytes,
                public_key=log.public_key,
                read_threads=args.read_threads,
            )
            _announce(log.origin, log.info()["treeSize"], args, sock.getsockname()[1])
            config = uvicorn.Config(
                app,
                log_level="warning",
                lifespan="off",
                timeout_graceful_shutdown=_GRACE_SECONDS,
            )
            with _server_signals():
                uvicorn.Server(config).run(sockets=[sock])
        finally:
            log.close()
            storage.close()
    finally:
        sock.close()
    sys.stderr.write(f"liturgia: stopped; tree size {log.tree_size}\n")
    return 0


def _serve_many(args: argparse.Namespace) -> int:
    """Check the log here, then serve it from ``args.workers`` processes on one socket."""
    import uvicorn  # noqa: PLC0415
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    from liturgia.errors import StorageError  # noqa: PLC0415
    from liturgia.server import instance, worker  # noqa: PLC0415

    db_url = args.db or instance.default_db_url()
    key_path = args.key or instance.log_key_path_for_db(db_url)
    # Bind first: a port in use must fail before a database, key or lock file is created.
    sock = instance.listen(args.host, args.port)
    try:
        # Refuse a tree that does not match its checkpoint before any worker starts (and create
        # the key once, so that the workers do not race to create it).
        log, storage = _open_log(args, db_url, key_path)
    except BaseException:
        sock.close()
        raise
    try:
        origin, tree_size = log.origin, log.info()["treeSize"]
        # The workers get the values the log was created with (now stored), not the options.
        tree_id, index_offset, log_host = log.tree_id, log.index_offset, log.host
    finally:
        log.close()
        storage.close()
    options = worker.WorkerOptions(
        db_url=db_url,
        log_host=log_host,
        key_path=str(Path(key_path).absolute()),
        tree_id=tree_id,
        index_offset=index_offset,
        max_body_bytes=args.max_body_bytes,
        read_threads=args.read_threads,
        read_cache_mib=args.read_cache_mib,
        parent_pid=os.getpid(),
    )
    os.environ[worker.ENVIRONMENT_VARIABLE] = options.to_environment()
    config = uvicorn.Config(
        "liturgia.server.worker:app_from_environment",
        factory=True,
        workers=args.workers,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=_GRACE_SECONDS,
    )
    _announce(origin, tree_size, args, sock.getsockname()[1])
    try:
        with _server_signals():
            supervisor = Multiprocess(config, sockets=[sock])
            supervisor.run()
    finally:
        sock.close()
    if any(process.exitcode == _STARTUP_FAILURE for process in supervisor.processes):
        raise StorageError("a worker could not open the log (its error is above)")
    sys.stderr.write("liturgia: stopped\n")
    return 0
