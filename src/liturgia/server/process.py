"""Running the server: bind, verify the stored log, serve on uvicorn, stop cleanly on a signal.

:func:`run` is what ``liturgia serve`` calls with :class:`ServeOptions`. With one worker it
serves in this process (one event loop, one sequencer); with more it checks the log here, then
hands the bound socket to uvicorn's supervisor, whose worker processes each open the log
(:mod:`liturgia.server.worker`). The address is bound first: a port in use fails before a
database, key or lock file is created. SIGTERM and Ctrl-C are the normal way to stop a server:
a clean stop returns 0.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from liturgia.errors import ConfigError, StorageError
from liturgia.server import instance, worker
from liturgia.server.app import DEFAULT_MAX_BODY_BYTES, create_app
from liturgia.server.hardening import json_logging
from liturgia.server.metrics import MULTIPROC_VARIABLE
from liturgia.server.reads import DEFAULT_READ_CACHE_MIB, DEFAULT_READ_THREADS, ReadSettings
from liturgia.server.records import open_records
from liturgia.server.webhooks import Webhooks
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import LogStorage

__all__ = ["LOG_LEVELS", "WEBHOOK_SECRET_VARIABLE", "ServeOptions", "run", "webhooks_from"]

#: The environment variable holding the webhooks' HMAC key (never a flag nor a file).
WEBHOOK_SECRET_VARIABLE = "LITURGIA_WEBHOOK_SECRET"  # noqa: S105 - a variable's name

#: The log levels a server may be started with, lowest first.
LOG_LEVELS = ("debug", "info", "warning", "error")

_STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start
#: Seconds a stopping server waits for requests in flight (a stalled client cannot hold it).
_GRACE_SECONDS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeOptions:
    """How to serve one log.

    Attributes:
        db_url: ``sqlite://PATH`` or ``postgresql://...``; ``None``: SQLite under the user data
            folder (:func:`instance.default_db_url`).
        host: address to listen on.
        port: TCP port to listen on (0: any free port).
        key_path: the log's signing key (PEM); ``None``: beside the database.
        log_host: host name of the log's base URL in its checkpoints; ``None``: the one the log
            was created with, ``host`` for a new log.
        tree_id: tree ID stored at the log's first start; ``None``: the stored one, derived from
            the key for a new log.
        index_offset: added to tree-local indexes to give global ``logIndex`` values, stored at
            the first start; ``None``: the stored one, 0 for a new log.
        max_body_bytes: largest request body accepted, in bytes.
        workers: worker processes sharing the database (1: serve in this process).
        read_threads: threads answering reads in each process.
        read_cache_mib: memory of each process's read caches, in MiB.
        log_level: lowest level of the JSON log lines written to standard error
            (``debug``, ``info`` (adds one access-log line per request), ``warning``,
            ``error``).
        webhooks: URLs that receive release events (:mod:`liturgia.server.webhooks`); their
            HMAC key is ``LITURGIA_WEBHOOK_SECRET``.
        private: reads of the records, pages and metrics need a valid token.
    """

    db_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    key_path: Path | None = None
    log_host: str | None = None
    tree_id: int | None = None
    index_offset: int | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    workers: int = 1
    read_threads: int = DEFAULT_READ_THREADS
    read_cache_mib: int = DEFAULT_READ_CACHE_MIB
    log_level: str = "warning"
    webhooks: tuple[str, ...] = ()
    private: bool = False

    def __post_init__(self) -> None:
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"log level {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")

    def read_settings(self) -> ReadSettings:
        """The read threads and caches these options ask for.

        Raises:
            ConfigError: a thread count or cache size out of range.
        """
        return ReadSettings.with_budget(threads=self.read_threads, cache_mib=self.read_cache_mib)


def webhooks_from(urls: tuple[str, ...] | list[str]) -> Webhooks | None:
    """The webhooks ``urls`` name, keyed by ``LITURGIA_WEBHOOK_SECRET`` (``None``: none).

    Raises:
        ConfigError: webhooks without a key, or a URL that is not http(s).
    """
    if not urls:
        return None
    secret = os.environ.get(WEBHOOK_SECRET_VARIABLE, "")
    if not secret:
        raise ConfigError(
            f"--webhook needs a signing key in {WEBHOOK_SECRET_VARIABLE} (the receivers "
            "check each body's X-Liturgia-Signature with it)"
        )
    return Webhooks(urls, secret.encode("utf-8"))


def _level(options: ServeOptions) -> int:
    return logging.getLevelNamesMapping()[options.log_level.upper()]


def _quiet(message: str) -> None:
    del message


def run(options: ServeOptions, *, announce: Callable[[str], None] = _quiet) -> int:
    """Verify the stored log, then serve it until SIGTERM or Ctrl-C; 0 on a clean stop.

    Args:
        options: what to serve and how.
        announce: receives one line when the server listens and one when it has stopped (the
            CLI writes them to stderr).

    Raises:
        ConfigError: a bad option, URL or key file.
        StorageError: the storage failed, the stored tree does not match its checkpoint, or a
            worker could not open the log.
        NetworkError: the address cannot be listened on.
    """
    options.read_settings()  # a bad size is a usage error before anything starts
    webhooks_from(options.webhooks)  # so is a webhook without a key
    if options.workers == 1:
        return _serve_one(options, announce)
    return _serve_many(options, announce)


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
    options: ServeOptions, db_url: str, key_path: Path | None
) -> tuple[RekorLog, LogStorage]:
    """Open and start the log the options name: ``(RekorLog, LogStorage)``.

    ``log_host``, ``tree_id`` and ``index_offset`` default to what the log was created with
    (``host`` names a new log). Raises what :func:`instance.open_log` raises.
    """
    return instance.open_log(
        db_url,
        host=None if options.log_host is None else instance.check_log_host(options.log_host),
        default_host=instance.check_log_host(options.host),
        key_path=key_path,
        tree_id=options.tree_id,
        index_offset=options.index_offset,
        **options.read_settings().log_options(),
    )


def _listening(origin: str, tree_size: int, options: ServeOptions, port: int) -> str:
    workers = f" with {options.workers} workers" if options.workers > 1 else ""
    return (
        f"serving log {origin!r} (tree size {tree_size}) on http://{options.host}:{port}{workers}"
    )


def _serve_one(options: ServeOptions, announce: Callable[[str], None]) -> int:
    """Serve in this process: one event loop, one sequencer."""
    import uvicorn  # noqa: PLC0415 - the 'server' extra, checked by the caller

    from liturgia.server.protocol import HeaderDeadlineProtocol  # noqa: PLC0415 - uvicorn's

    # Bind first: a port in use must fail before a database, key or lock file is created.
    sock = instance.listen(options.host, options.port)
    try:
        db_url = options.db_url or instance.default_db_url()
        log, storage = _open_log(options, db_url, options.key_path)
        records = None
        try:
            records = open_records(db_url)
            app = create_app(
                log,
                max_body_bytes=options.max_body_bytes,
                public_key=log.public_key,
                read_threads=options.read_threads,
                records=records,
                webhooks=webhooks_from(options.webhooks),
                private=options.private,
            )
            announce(_listening(log.origin, log.info()["treeSize"], options, sock.getsockname()[1]))
            config = uvicorn.Config(
                app,
                log_config=None,  # the JSON lines of json_logging, not uvicorn's text
                log_level=options.log_level,
                access_log=False,  # Hardening writes one JSON access line per request
                lifespan="off",
                timeout_graceful_shutdown=_GRACE_SECONDS,
                http=HeaderDeadlineProtocol,  # headers within 10 s (slowloris)
            )
            with _server_signals(), json_logging(_level(options)):
                uvicorn.Server(config).run(sockets=[sock])
        finally:
            log.close()
            storage.close()
            if records is not None:
                records.close()
    finally:
        sock.close()
    announce(f"stopped; tree size {log.tree_size}")
    return 0


def _serve_many(options: ServeOptions, announce: Callable[[str], None]) -> int:
    """Check the log here, then serve it from ``options.workers`` processes on one socket."""
    import uvicorn  # noqa: PLC0415 - the 'server' extra, checked by the caller
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    from liturgia.server.protocol import HeaderDeadlineProtocol  # noqa: PLC0415 - uvicorn's

    db_url = options.db_url or instance.default_db_url()
    key_path = options.key_path or instance.log_key_path_for_db(db_url)
    # Bind first: a port in use must fail before a database, key or lock file is created.
    sock = instance.listen(options.host, options.port)
    try:
        # Refuse a tree that does not match its checkpoint before any worker starts (and create
        # the key once, so that the workers do not race to create it).
        log, storage = _open_log(options, db_url, key_path)
    except BaseException:
        sock.close()
        raise
    try:
        open_records(db_url).close()  # migrate once, before the workers open it
        origin, tree_size = log.origin, log.info()["treeSize"]
        # The workers get the values the log was created with (now stored), not the options.
        tree_id, index_offset, log_host = log.tree_id, log.index_offset, log.host
    finally:
        log.close()
        storage.close()
    worker_options = worker.WorkerOptions(
        db_url=db_url,
        log_host=log_host,
        key_path=str(Path(key_path).absolute()),
        tree_id=tree_id,
        index_offset=index_offset,
        max_body_bytes=options.max_body_bytes,
        read_threads=options.read_threads,
        read_cache_mib=options.read_cache_mib,
        parent_pid=os.getpid(),
        log_level=options.log_level,
        webhooks=list(options.webhooks),
        private=options.private,
    )
    os.environ[worker.ENVIRONMENT_VARIABLE] = worker_options.to_environment()
    # Each worker writes its metric samples here; /metrics in any of them adds them up.
    metrics_dir = tempfile.mkdtemp(prefix="liturgia-metrics-")
    previous_metrics_dir = os.environ.get(MULTIPROC_VARIABLE)
    os.environ[MULTIPROC_VARIABLE] = metrics_dir
    config = uvicorn.Config(
        "liturgia.server.worker:app_from_environment",
        factory=True,
        workers=options.workers,
        log_config=None,  # each worker writes JSON lines (worker.app_from_environment)
        log_level=options.log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=_GRACE_SECONDS,
        http=HeaderDeadlineProtocol,
    )
    announce(_listening(origin, tree_size, options, sock.getsockname()[1]))
    try:
        with _server_signals(), json_logging(_level(options)):
            supervisor = Multiprocess(config, sockets=[sock])
            supervisor.run()
    finally:
        sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        if previous_metrics_dir is None:
            os.environ.pop(MULTIPROC_VARIABLE, None)
        else:
            os.environ[MULTIPROC_VARIABLE] = previous_metrics_dir
    if any(process.exitcode == _STARTUP_FAILURE for process in supervisor.processes):
        raise StorageError("a worker could not open the log (its error is above)")
    announce("stopped")
    return 0
