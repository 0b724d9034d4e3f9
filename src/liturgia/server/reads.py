"""The log's hot reads answered before the web framework, off the write path.

A read is the log's most frequent request (verifiers, monitors, witnesses); FastAPI's
routing, middleware and parameter validation cost about as much CPU as the log's own answer.
:func:`read_handler` answers the well-formed common requests directly as ASGI, with the same
bytes, statuses and errors as the FastAPI routes (which stay declared for the OpenAPI document
and answer everything else, e.g. a query with extra parameters or a malformed one):

* ``GET /api/v1/log/entries?logIndex=N`` and ``GET /api/v1/log/entries/<UUID or entry ID>``;
* ``GET /api/v1/log`` and ``GET /api/v1/log/proof?firstSize=M&lastSize=N``;
* ``GET /checkpoint`` and ``GET /tile/...`` (c2sp.org/tlog-tiles).

The reads are **gathered** (:class:`Gathering`): those asked while earlier ones are being
answered are answered together, in one call, with one storage read for all their entries
(``IN`` on SQLite, ``= ANY`` on PostgreSQL) and one read of the tree for all their log infos.
Where depends on the log's storage (see ``create_app``): on the event loop when its reads
wait for nothing (SQLite, memory), the reads of one pass of the loop together; else on the
read threads (:class:`ReadSettings`), a small pool of its own, so that reads neither wait
behind submissions nor open a database connection per request thread. Each hand-off to a
thread, each database round trip and each SQLite statement costs about as much as an answer;
gathered, they are paid once per gathering (tens of requests under load) instead of once per
request, and a single request still goes at once. The other reads of a gathering (proofs,
tiles, the checkpoint) share its hand-off but make their own storage reads, one after
another, when the caches miss. Every answer stays as fresh as one computed alone: a
gathering reads the storage after all its requests arrived.
"""

from __future__ import annotations

import asyncio
import contextvars
import operator
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.types import Receive, Scope, Send

from liturgia._internal.text import clip
from liturgia.errors import ConfigError
from liturgia.server.errors import ApiError, api_errors, error_bytes
from liturgia.server.tiles import TileAnswer, checkpoint_answer, tile_answer
from liturgia.server.wire import encode_json, send_answer
from liturgia.tlog.log import RekorLog

__all__ = [
    "DEFAULT_READ_CACHE_MIB",
    "DEFAULT_READ_THREADS",
    "GATHERINGS",
    "Gathering",
    "ReadHandler",
    "ReadSettings",
    "Submit",
    "read_handler",
]

#: Read threads of a server process by default.
DEFAULT_READ_THREADS = 8
#: Memory for a server process's read caches by default, in MiB.
DEFAULT_READ_CACHE_MIB = 64
_ENTRIES = "/api/v1/log/entries"
_LOG_INDEX = re.compile(rb"logIndex=([0-9]{1,15})")
_ENTRY_ID = re.compile(r"(?:[0-9a-fA-F]{16})?[0-9a-fA-F]{64}")
_SIZE = re.compile(rb"(firstSize|lastSize)=([1-9][0-9]{0,15})")
_JSON = b"application/json"

#: Gatherings of reads (:class:`Gathering`) on the read threads at once, per process: one
#: reads the database while the next gathers what arrives meanwhile. (8 at once made
#: gatherings smaller: PostgreSQL entry reads fell from 0.70-0.73x to 0.49-0.54x of the
#: floor in ``benchmarks/tlog_read_bench.py``.)
GATHERINGS = 2

#: Answers a request if it is one of the hot reads; returns whether it did.
ReadHandler = Callable[[Scope, Receive, Send], Awaitable[bool]]
#: Hands a call to the read threads: ``loop.run_in_executor(executor, call)``.
Submit = Callable[[Callable[[], Any]], "asyncio.Future[Any]"]
#: What a gathered read asks: by log index, by entry ID, the log info, or any call.
_INDEX, _ID, _INFO, _CALL = range(4)
#: An answer on a read thread: ``(True, value)``, or ``(False, the exception to raise)``.
_Outcome = tuple[bool, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadSettings:
    """How much a server process spends on reads: threads and bounded caches.

    Memory stays flat as the log grows: every cache is bounded here, whatever the log's size.

    Attributes:
        threads: read threads (each holds one database connection) for the framework's
            routes and PostgreSQL's hot reads, whose gatherings use at most
            :data:`GATHERINGS` of them at once; SQLite's hot reads are answered on the loop.
        node_cache: full-subtree hashes kept for proofs (about 200 bytes each).
        tile_levels_bytes: full tiles' folded inner nodes kept for proofs (16 KiB a tile).
        tile_cache_bytes: tiles and entry bundles kept for c2sp.org/tlog-tiles reads.
        set_cache_bytes: SignedEntryTimestamps kept (about 72 bytes each).
    """

    threads: int = DEFAULT_READ_THREADS
    node_cache: int = 1 << 16
    tile_levels_bytes: int = 16 << 20
    tile_cache_bytes: int = 32 << 20
    set_cache_bytes: int = 4 << 20

    @classmethod
    def with_budget(cls, *, threads: int, cache_mib: int) -> ReadSettings:
        """Split ``cache_mib`` MiB among the caches (``liturgia serve --read-cache-mib``).

        Half for tiles and bundles, a quarter for folded tiles, 1/16 for SETs, the rest for
        subtree hashes (64 MiB gives the defaults).

        Raises:
            ConfigError: ``threads`` is not 1..256 or ``cache_mib`` not 1..65536.
        """
        if not 1 <= threads <= 256:
            raise ConfigError(f"--read-threads must be between 1 and 256, not {threads}")
        if not 1 <= cache_mib <= 65536:
            raise ConfigError(f"--read-cache-mib must be between 1 and 65536, not {cache_mib}")
        budget = cache_mib << 20
        return cls(
            threads=threads,
            node_cache=max(1, budget * 3 // 16 // 192),
            tile_levels_bytes=budget // 4,
            tile_cache_bytes=budget // 2,
            set_cache_bytes=budget // 16,
        )

    def log_options(self) -> dict[str, Any]:
        """The keyword arguments of :class:`~liturgia.tlog.log.RekorLog` these settings set."""
        return {
            "node_cache": self.node_cache,
            "tile_levels_bytes": self.tile_levels_bytes,
            "tile_cache_bytes": self.tile_cache_bytes,
            "set_cache_bytes": self.set_cache_bytes,
        }


def _entry_json(lookup: Callable[[], bytes | None], missing: str, key: str | int) -> bytes:
    """The answer of ``lookup``, or 404 ``missing`` (a ``{}`` format) naming ``key``."""
    answer = lookup()
    if answer is None:
        raise ApiError(404, missing.format(clip(str(key))))
    return answer


def _sizes(query: bytes) -> tuple[int, int] | None:
    """``firstSize`` (default 1) and ``lastSize`` of a plain proof query, else ``None``."""
    found: dict[bytes, int] = {}
    for part in query.split(b"&"):
        match = _SIZE.fullmatch(part)
        if match is None or match[1] in found:
            return None
        found[match[1]] = int(match[2])
    if b"lastSize" not in found:
        return None
    return found.get(b"firstSize", 1), found[b"lastSize"]


def _outcome(func: Callable[[], Any]) -> _Outcome:
    """Call ``func`` on a read thread; its error, mapped as ``api_errors`` maps it, is kept
    for the request that asked (and raised there), not for the others of its gathering."""
    try:
        with api_errors():
            return True, func()
    except Exception as exc:  # noqa: BLE001 - raised again in the request that asked
        return False, exc


def _read_then(
    read: _Outcome,
    needed: Callable[[], object],
    lookup: Callable[[], bytes | None],
    missing: str,
    key: str | int,
) -> _Outcome:
    """The outcome of an entry ``lookup`` answered from ``read`` (what was read ahead for it):
    the answer, or 404 ``missing`` naming ``key``.

    If that read failed, its failure goes only to a request that needed it, as the lookup
    alone would have answered: ``needed`` raises for a request refused before any read (a
    malformed ID or another tree's: 400), returns false for one answered without a read (an
    index below the log's offset: 404), and true for one that needed the read.
    """
    if read[0]:
        return _outcome(partial(_entry_json, lookup, missing, key))
    wanted = _outcome(needed)
    if not wanted[0]:
        return wanted
    if not wanted[1]:
        return _outcome(partial(_entry_json, lookup, missing, key))
    return read


def _answer_all(log: RekorLog, jobs: list[tuple[int, Any]]) -> list[_Outcome]:
    """Answer a gathering's reads, on the event loop or a read thread (:class:`Gathering`).

    The entries asked for by index, and those by ID, are each read in one storage read; the
    log info is read once and given to every request for it. A failed read fails only the
    requests that needed it.
    """
    indexes = {arg for kind, arg in jobs if kind == _INDEX}
    ids = {arg[0] for kind, arg in jobs if kind == _ID}
    stored = _outcome(partial(log.stored_entries, indexes)) if indexes else (True, {})
    found = _outcome(partial(log.found_entries, ids)) if ids else (True, {})
    info: _Outcome | None = None
    outcomes: list[_Outcome] = []
    for kind, arg in jobs:
        if kind == _INDEX:
            lookup = partial(log.entry_json, arg, stored=stored[1] if stored[0] else None)
            needed = partial(operator.ge, arg, log.index_offset)
            outcome = _read_then(stored, needed, lookup, "no entry at log index {}", arg)
        elif kind == _ID:
            entry_id, asked = arg
            lookup = partial(log.entry_json_by_id, entry_id, found=found[1] if found[0] else None)
            needed = partial(log.entry_leaf, entry_id)
            outcome = _read_then(found, needed, lookup, "no entry with UUID {}", asked)
        elif kind == _INFO:
            info = info or _outcome(lambda: encode_json(log.info()))
            outcome = info
        else:
            outcome = _outcome(arg)
        outcomes.append(outcome)
    return outcomes


class Gathering:
    """Reads gathered while earlier ones are answered, then answered together.

    Two ways, by where the log's storage reads wait:

    * **on the event loop** (``submit`` is ``None``: SQLite, memory): the reads asked in one
      pass of the loop are answered in one callback scheduled after them (``call_soon``), one
      storage read for all their entries;
    * **on the read threads** (``submit`` given: PostgreSQL): a read asked while fewer than
      ``depth`` gatherings run starts one at once; otherwise it joins the next, which starts
      when a running one ends. A gathering is one call on a read thread: one hand-off, one
      database round trip for all its entries by index, one for those by UUID, one for its
      log infos; its other reads (proofs, tiles, the checkpoint) read what the caches miss,
      one after another.

    Either way a gathering reads the storage only after all its requests arrived, so that no
    answer is older than one computed alone (what a client saw acknowledged before it asked is
    in it), and each request gets its own answer or error (:func:`_answer_all`).

    Not thread-safe: used on the event loop only.

    Args:
        log: the started log.
        submit: hands a call to the read threads and returns its asyncio future, or ``None``
            to answer on the event loop.
        depth: gatherings on the read threads at once (:data:`GATHERINGS`).
    """

    def __init__(self, log: RekorLog, submit: Submit | None, depth: int = GATHERINGS) -> None:
        self._log = log
        self._submit = submit
        self._depth = depth if submit is not None else 1
        self._jobs: list[tuple[int, Any]] = []
        self._waiting: list[asyncio.Future[Any]] = []
        self._running = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def ask(self, kind: int, arg: Any) -> asyncio.Future[Any]:
        """Queue one read; its future gets the answer (bytes) or the error to raise."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # an application served again on a new loop starts afresh
            self._loop, self._jobs, self._waiting, self._running = loop, [], [], 0
        future: asyncio.Future[Any] = loop.create_future()
        self._jobs.append((kind, arg))
        self._waiting.append(future)
        if self._running < self._depth:
            self._running += 1
            if self._submit is None:
                # In a context of its own: not the first asker's (its request ID in logs).
                loop.call_soon(self._answer_here, context=contextvars.Context())
            else:
                self._start(self._submit)
        return future

    async def run(self, func: Callable[[], Any]) -> Any:
        """Run ``func`` in the next gathering (a :data:`~liturgia.server.tiles.Run`)."""
        return await self.ask(_CALL, func)

    def _take(self) -> tuple[list[tuple[int, Any]], list[asyncio.Future[Any]]]:
        taken = self._jobs, self._waiting
        self._jobs, self._waiting = [], []
        return taken

    def _answer_here(self) -> None:
        """Answer every read asked so far, on the loop (scheduled by the first of them)."""
        jobs, waiting = self._take()
        self._running -= 1
        try:
            outcomes = _answer_all(self._log, jobs)
        except Exception as exc:  # noqa: BLE001 # pragma: no cover - each read keeps its own error
            outcomes = [(False, exc)] * len(waiting)
        _settle(waiting, outcomes)

    def _start(self, submit: Submit) -> None:
        """Hand the reads asked so far to a read thread (``_running`` counts it already)."""
        jobs, waiting = self._take()
        try:
            done = submit(partial(_answer_all, self._log, jobs))
        except Exception as exc:  # noqa: BLE001 - e.g. the read threads shut down: each asker raises it
            self._running -= 1
            _settle(waiting, [(False, exc)] * len(waiting))
            return
        done.add_done_callback(partial(self._finish, submit, waiting))

    def _finish(
        self, submit: Submit, waiting: list[asyncio.Future[Any]], done: asyncio.Future[Any]
    ) -> None:
        if self._jobs:
            self._start(submit)  # the next gathering takes this one's place
        else:
            self._running -= 1
        if done.cancelled():  # the read threads were shut down with their queue cancelled
            failed = RuntimeError("the read threads stopped before answering")
            outcomes: list[_Outcome] = [(False, failed)] * len(waiting)
        elif (exc := done.exception()) is not None:
            outcomes = [(False, exc)] * len(waiting)
        else:
            outcomes = done.result()
        _settle(waiting, outcomes)


def _settle(waiting: list[asyncio.Future[Any]], outcomes: list[_Outcome]) -> None:
    """Give each waiting request its outcome (a request that gave up is skipped).

    Each on its own: an outcome a future refuses (``StopIteration`` as an exception) becomes a
    ``RuntimeError`` for that request, and never leaves the others of the gathering waiting.
    """
    for future, (ok, value) in zip(waiting, outcomes, strict=True):
        if future.done():
            continue
        try:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        except (TypeError, RuntimeError) as exc:
            if not future.done():
                future.set_exception(RuntimeError(f"a read could not be answered: {exc!r}"))


async def _gathered(gathering: Gathering, kind: int, arg: Any) -> TileAnswer:
    answer: bytes = await gathering.ask(kind, arg)
    return answer, "application/json", {}


def read_handler(log: RekorLog, submit: Submit | None) -> ReadHandler:
    """Build the ASGI handler of the hot reads of ``log``, gathered (:class:`Gathering`).

    Args:
        log: the started log.
        submit: hands a call to the read threads (``loop.run_in_executor``) for a log whose
            storage reads wait for a database; ``None`` to answer on the event loop.

    Returns:
        A coroutine function answering ``(scope, receive, send)`` and returning ``True``, or
        returning ``False`` without sending anything for a request it leaves to the framework.
    """
    gathering = Gathering(log, submit)
    run = gathering.run

    def route(scope: Scope) -> Callable[[], Awaitable[TileAnswer]] | None:
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        if path == _ENTRIES:
            match = _LOG_INDEX.fullmatch(query)
            if match is None:
                return None
            return partial(_gathered, gathering, _INDEX, int(match[1]))
        if path.startswith(_ENTRIES + "/"):
            entry_id = path[len(_ENTRIES) + 1 :]
            if query or not _ENTRY_ID.fullmatch(entry_id):
                return None
            return partial(_gathered, gathering, _ID, (entry_id.lower(), entry_id))
        if path == "/api/v1/log":
            return None if query else partial(_gathered, gathering, _INFO, None)
        if path == "/api/v1/log/proof":
            sizes = _sizes(query)
            if sizes is None:
                return None
            return partial(
                _gathered, gathering, _CALL, lambda: encode_json(log.consistency(*sizes))
            )
        if path == "/checkpoint":
            return None if query else partial(checkpoint_answer, log, run)
        if path.startswith("/tile/") and not query:
            accept = None
            for name, value in scope["headers"]:
                if name == b"accept-encoding":
                    accept = value.decode("latin-1")
            return partial(tile_answer, log, run, path[1:], accept)
        return None

    async def handle(scope: Scope, receive: Receive, send: Send) -> bool:
        del receive
        answer = route(scope)
        if answer is None:
            return False
        status = 200
        try:
            body, media_type, headers = await answer()
            content_type = media_type.encode("latin-1")
        except ApiError as exc:
            status, headers, content_type = exc.status, exc.headers, _JSON
            body = error_bytes({"code": exc.status, "message": exc.message})
        await send_answer(send, status, body, content_type, headers)
        return True

    return handle
