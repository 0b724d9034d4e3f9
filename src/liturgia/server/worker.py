"""One ``liturgia serve`` worker process: opens the log and builds its app (uvicorn factory).

``liturgia serve --workers N`` (N > 1) binds the listening socket once and starts N worker
processes under uvicorn's supervisor; each one calls :func:`app_from_environment`, which opens
the storage, verifies the stored tree, starts its own sequencer and returns the application.
All workers share one database: index assignment is serialised by the storage (SQLite's write
lock, PostgreSQL's advisory lock), so every entry gets one dense index whichever worker took it,
and each worker answers with a checkpoint that includes its entries. The log is closed (queued
entries stored and integrated) when the worker shuts down.

The options travel in the environment variable :data:`ENVIRONMENT_VARIABLE` as JSON, because
uvicorn starts workers by importing a factory by name.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI

from liturgia.errors import ConfigError
from liturgia.server import instance
from liturgia.server.app import create_app
from liturgia.server.hardening import use_json_logging
from liturgia.server.reads import DEFAULT_READ_CACHE_MIB, DEFAULT_READ_THREADS, ReadSettings
from liturgia.server.records import open_records

__all__ = ["ENVIRONMENT_VARIABLE", "WorkerOptions", "app_from_environment"]

#: The environment variable carrying a worker's :class:`WorkerOptions` as JSON.
ENVIRONMENT_VARIABLE = "LITURGIA_SERVE_WORKER"


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    """What every worker of one ``liturgia serve`` needs to open the same log.

    Attributes:
        db_url: the database URL (``sqlite://PATH`` or ``postgresql://...``).
        log_host: the log's host name (checkpoint origin and key name).
        key_path: the log key file (already created by the parent).
        tree_id: the tree ID as the parent resolved it (``None``: the one the log was created
            with).
        index_offset: added to tree-local indexes to give global ``logIndex`` values, as the
            parent resolved it (``None``: the one the log was created with).
        max_body_bytes: largest request body accepted.
        read_threads: threads answering reads.
        read_cache_mib: memory of the read caches (see
            :meth:`~liturgia.server.reads.ReadSettings.with_budget`).
        parent_pid: the ``liturgia serve`` process that started the worker (0: none); the
            worker stops when it dies.
        log_level: lowest level of the JSON log lines the worker writes to standard error.
        webhooks: URLs that receive release events (the key: ``LITURGIA_WEBHOOK_SECRET``).
        private: reads of the records, pages and metrics need a valid token.
    """

    db_url: str
    log_host: str
    key_path: str
    tree_id: int | None = None
    index_offset: int | None = None
    max_body_bytes: int = 1 << 20
    read_threads: int = DEFAULT_READ_THREADS
    read_cache_mib: int = DEFAULT_READ_CACHE_MIB
    parent_pid: int = 0
    log_level: str = "warning"
    webhooks: list[str] = field(default_factory=list)
    private: bool = False

    def to_environment(self) -> str:
        """Return the JSON form for :data:`ENVIRONMENT_VARIABLE`."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_environment(cls, value: str | None) -> WorkerOptions:
        """Parse :meth:`to_environment`'s JSON.

        Raises:
            ConfigError: the variable is unset or not this JSON shape.
        """
        if not value:
            raise ConfigError(f"{ENVIRONMENT_VARIABLE} is not set: start workers with serve")
        try:
            fields: dict[str, Any] = json.loads(value)
            return cls(**fields)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{ENVIRONMENT_VARIABLE} is not valid worker options: {exc}") from exc


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop_with_parent(parent_pid: int) -> None:
    """Ask Linux to send this worker SIGTERM (a clean stop) when its parent dies.

    Without it, a ``kill -9`` of ``liturgia serve`` leaves its workers serving the port,
    orphaned. Elsewhere this does nothing.

    Raises:
        ConfigError: the parent is already gone.
    """
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # it died before the request took effect
        raise ConfigError(
            f"the liturgia serve process {parent_pid} that started this worker is gone"
        )


#: How much a worker raises its ``oom_score_adj`` above its supervisor's (Linux, proc(5)).
OOM_SCORE_RAISE = 500


def _prefer_me_under_oom(raise_by: int = OOM_SCORE_RAISE) -> None:
    """Make this worker, not its supervisor, the out-of-memory killer's choice (Linux).

    A worker is cheap to lose: it acknowledges only what its storage committed, and uvicorn's
    supervisor starts a new one within a second. A supervisor killed instead takes the whole
    service down. Raising one's own ``/proc/self/oom_score_adj`` needs no privilege; it is
    capped at 1000. Elsewhere, or if the file cannot be written, nothing changes.
    """
    path = Path("/proc/self/oom_score_adj")
    try:
        current = int(path.read_text(encoding="ascii").strip())
        path.write_text(str(min(1000, current + raise_by)), encoding="ascii")
    except (OSError, ValueError):
        return


def _webhooks(urls: list[str]) -> Any:
    from liturgia.server.process import webhooks_from  # noqa: PLC0415 - process imports worker

    return webhooks_from(urls)


def app_from_environment() -> FastAPI:
    """Open the log named by :data:`ENVIRONMENT_VARIABLE` and return its application.

    The application's lifespan closes the log and its storage when the worker stops.

    Raises:
        ConfigError: bad options, URL or key file.
        StorageError: the storage failed or the stored tree does not match its checkpoint.
    """
    options = WorkerOptions.from_environment(os.environ.get(ENVIRONMENT_VARIABLE))
    if options.parent_pid:  # a process of its own: its JSON log lines last until it ends
        use_json_logging(logging.getLevelNamesMapping()[options.log_level.upper()])
        _stop_with_parent(options.parent_pid)
        _prefer_me_under_oom()
    key_path = Path(options.key_path)
    reads = ReadSettings.with_budget(threads=options.read_threads, cache_mib=options.read_cache_mib)
    log, storage = instance.open_log(
        options.db_url,
        host=options.log_host,
        key_path=key_path,
        tree_id=options.tree_id,
        index_offset=options.index_offset,
        **reads.log_options(),
    )

    try:
        records = open_records(options.db_url)
    except BaseException:
        log.close()
        storage.close()
        raise

    def close() -> None:
        log.close()
        storage.close()
        records.close()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        del app
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(close)

    return create_app(
        log,
        max_body_bytes=options.max_body_bytes,
        public_key=log.public_key,
        lifespan=lifespan,
        read_threads=reads.threads,
        records=records,
        webhooks=_webhooks(options.webhooks),
        private=options.private,
    )
