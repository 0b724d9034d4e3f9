"""The log's write path: ``createLogEntry`` checked, batched into the log and answered.

:class:`EntryWriter` holds what one submission needs: :meth:`EntryWriter.create` verifies a
proposed entry and hands it to the log in batches (:class:`Committer`); :meth:`EntryWriter.asgi`
serves ``POST /api/v1/log/entries`` as a bare ASGI handler before the web framework, and the
FastAPI route of the same operation (:mod:`liturgia.server.api.log`, kept for the OpenAPI
document and for an application mounted inside another) calls :meth:`EntryWriter.create` too.
Both read, parse and encode with :mod:`liturgia.server.wire`, so they answer alike.

Every submission is a write the log must sign and store; the framework's middleware, routing
and dependency resolution cost about as much CPU as the log's own work per entry, hence the
bare path. A small hashedrekord is verified on the event loop as it arrives (DSSE entries and
bodies over 16 KiB in a worker thread) and handed to the log in batches: one worker-thread call
stores a whole batch, waits for the checkpoint covering it and builds every answer, while the
next batch gathers. This replaces a thread per waiting request, whose wake-ups and GIL
hand-offs cost more than the work itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any

from starlette.types import Receive, Scope, Send

from liturgia.errors import LiturgiaError
from liturgia.server.errors import ApiError, api_errors, error_bytes
from liturgia.server.metrics import APPENDS, INTEGRATION
from liturgia.server.tiles import Run
from liturgia.server.wire import (
    Disconnected,
    check_content_type,
    check_declared_length,
    encode_json,
    parse_json,
    receive_body,
    send_answer,
)
from liturgia.tlog import rekor
from liturgia.tlog.entries import AcceptedEntry, accept_entry
from liturgia.tlog.log import RekorLog

__all__ = ["ENTRIES_PATH", "INLINE_BYTES", "Committer", "EntryWriter"]

_LOG = logging.getLogger("liturgia.server.app")

#: The path of ``createLogEntry`` (and of the entry reads).
ENTRIES_PATH = "/api/v1/log/entries"
#: Largest submission checked on the event loop; larger ones (and DSSE) in a worker thread.
INLINE_BYTES = 16 * 1024


class Committer:
    """Hands verified entries to :meth:`RekorLog.commit` in batches, from the event loop.

    Each call of :meth:`submit` queues one entry and waits for its answer. A drain task takes
    everything queued, runs one :meth:`RekorLog.commit` in a worker thread, answers each
    waiter, and repeats while entries are queued; up to ``parallel`` drains run at once, so one
    batch is stored while the previous one is integrated.

    Args:
        log: the started log.
        call: runs a blocking library call in a worker thread, mapping errors to
            :class:`ApiError`.
        parallel: most batches in flight.
    """

    def __init__(self, log: RekorLog, call: Run, parallel: int = 2) -> None:
        self._log = log
        self._call = call
        self._parallel = parallel
        self._queued: list[tuple[AcceptedEntry, asyncio.Future[tuple[rekor.LogEntry, bool]]]] = []
        self._draining = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, accepted: AcceptedEntry) -> tuple[rekor.LogEntry, bool]:
        """Queue ``accepted`` and return ``(entry, created)`` once it is in a checkpoint.

        Raises:
            ApiError: 507 (storage full) or 503 when the batch could not be stored or integrated.
        """
        future: asyncio.Future[tuple[rekor.LogEntry, bool]] = (
            asyncio.get_running_loop().create_future()
        )
        self._queued.append((accepted, future))
        if self._draining < self._parallel:
            self._draining += 1
            task = asyncio.ensure_future(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    answers = await self._call(partial(self._log.commit, [a for a, _ in batch]))
                except Exception as exc:  # noqa: BLE001 - every waiter gets an answer, even from a bug
                    if not isinstance(exc, ApiError | LiturgiaError):
                        _LOG.exception("committing %d entries failed", len(batch))
                        exc = ApiError(500, f"internal error: {type(exc).__name__}: {exc}")
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._draining -= 1


class EntryWriter:
    """Verifies proposed entries, logs them in batches and answers ``createLogEntry``.

    Args:
        log: the started log.
        call: runs a blocking library call in a worker thread, mapping its errors to
            :class:`ApiError`.
        max_body_bytes: largest request body accepted (413 beyond).
    """

    def __init__(self, log: RekorLog, call: Run, max_body_bytes: int) -> None:
        self._log = log
        self._call = call
        self.max_body_bytes = max_body_bytes
        self._committer = Committer(log, call)

    async def create(
        self, proposed: Any, size: int = INLINE_BYTES + 1
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """Verify ``proposed`` (a ``size``-byte request), log it; return the 201's headers and body.

        A small hashedrekord (one signature to check) is checked on the event loop; anything
        else in a worker thread, so that no request holds the loop for long.

        Raises:
            ApiError: 400 for a bad entry, 409 (with ``Location``) for one already logged,
                507 when the storage is full, 503 when it fails otherwise.
        """
        if (
            size <= INLINE_BYTES
            and isinstance(proposed, dict)
            and (proposed.get("kind") == "hashedrekord")
        ):
            with api_errors():
                accepted = accept_entry(proposed)
        else:
            accepted = await self._call(partial(accept_entry, proposed))
        started = time.perf_counter()
        entry, created = await self._committer.submit(accepted)
        if created:
            APPENDS.inc()
            INTEGRATION.observe(time.perf_counter() - started)
        entry_id = rekor.entry_id(entry.body, self._log.tree_id)
        headers = {"Location": f"{ENTRIES_PATH}/{entry_id}", "ETag": entry_id}
        if not created:
            raise ApiError(
                409,
                f"an equivalent entry already exists in the transparency log with UUID {entry_id}",
                headers,
            )
        return headers, entry.to_api_json(tree_id=self._log.tree_id)

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``createLogEntry`` as a bare ASGI handler: the write path without the framework."""
        declared = content_type = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
        try:
            check_declared_length(declared, self.max_body_bytes)
            check_content_type(content_type)
            raw = await receive_body(receive, self.max_body_bytes)
            proposed = (
                parse_json(raw)
                if len(raw) <= INLINE_BYTES
                else await self._call(partial(parse_json, raw))
            )
            headers, document = await self.create(proposed, len(raw))
            body = encode_json(document)
            status = 201
        except Disconnected:
            return
        except ApiError as exc:
            status, headers = exc.status, exc.headers
            body = error_bytes({"code": exc.status, "message": exc.message})
        await send_answer(send, status, body, headers=headers)
