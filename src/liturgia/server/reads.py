"""The log's hot reads answered before the web framework, off the write path.

A read is the log's most frequent request (verifiers, monitors, witnesses); FastAPI's
routing, middleware and parameter validation cost about as much CPU as the log's own answer.
:func:`read_handler` answers the well-formed common requests directly as ASGI, with the same
bytes, statuses and errors as the FastAPI routes (which stay declared for the OpenAPI document
and answer everything else, e.g. a query with extra parameters or a malformed one):

* ``GET /api/v1/log/entries?logIndex=N`` and ``GET /api/v1/log/entries/<UUID or entry ID>``;
* ``GET /api/v1/log`` and ``GET /api/v1/log/proof?firstSize=M&lastSize=N``;
* ``GET /checkpoint`` and ``GET /tile/...`` (c2sp.org/tlog-tiles).

Each answer is computed and serialised in one call: on the event loop when the log's storage
reads wait for nothing (SQLite, memory: see ``create_app``), else on the read threads
(:class:`ReadSettings`), a small pool of its own: reads neither wait behind submissions nor
open a database connection per request thread.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.types import Receive, Scope, Send

from liturgia._internal.text import clip
from liturgia.errors import ConfigError
from liturgia.server.errors import ApiError, error_bytes
from liturgia.server.tiles import Run, TileAnswer, checkpoint_answer, tile_answer
from liturgia.server.wire import encode_json, send_answer
from liturgia.tlog.log import RekorLog

__all__ = [
    "DEFAULT_READ_CACHE_MIB",
    "DEFAULT_READ_THREADS",
    "ReadHandler",
    "ReadSettings",
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

#: Answers a request if it is one of the hot reads; returns whether it did.
ReadHandler = Callable[[Scope, Receive, Send], Awaitable[bool]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadSettings:
    """How much a server process spends on reads: threads and bounded caches.

    Memory stays flat as the log grows: every cache is bounded here, whatever the log's size.

    Attributes:
        threads: read threads (each holds one database connection); PostgreSQL's hot reads
            and the framework's routes use them, SQLite's hot reads are answered on the loop.
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


def read_handler(log: RekorLog, run: Run) -> ReadHandler:
    """Build the ASGI handler of the hot reads of ``log``.

    Args:
        log: the started log.
        run: runs a blocking call on the read threads, mapping library errors to
            :class:`~liturgia.server.errors.ApiError`.

    Returns:
        A coroutine function answering ``(scope, receive, send)`` and returning ``True``, or
        returning ``False`` without sending anything for a request it leaves to the framework.
    """

    async def json_answer(func: Callable[[], bytes]) -> TileAnswer:
        return await run(func), "application/json", {}

    def route(scope: Scope) -> Callable[[], Awaitable[TileAnswer]] | None:
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        if path == _ENTRIES:
            match = _LOG_INDEX.fullmatch(query)
            if match is None:
                return None
            index = int(match[1])
            lookup = partial(log.entry_json, index)
            return partial(
                json_answer, partial(_entry_json, lookup, "no entry at log index {}", index)
            )
        if path.startswith(_ENTRIES + "/"):
            entry_id = path[len(_ENTRIES) + 1 :]
            if query or not _ENTRY_ID.fullmatch(entry_id):
                return None
            lookup = partial(log.entry_json_by_id, entry_id.lower())
            return partial(
                json_answer,
                partial(_entry_json, lookup, "no entry with UUID {}", entry_id),
            )
        if path == "/api/v1/log":
            return None if query else partial(json_answer, lambda: encode_json(log.info()))
        if path == "/api/v1/log/proof":
            sizes = _sizes(query)
            if sizes is None:
                return None
            return partial(json_answer, lambda: encode_json(log.consistency(*sizes)))
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
