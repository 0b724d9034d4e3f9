"""The log's c2sp.org/tlog-tiles resources over HTTP, beside the Rekor v1 API, same storage.

=====================================  ====================================================
``GET /checkpoint``                    the signed checkpoint, ``text/plain; charset=utf-8``,
                                       ``Cache-Control: no-cache`` (mutable)
``GET /tile/<L>/<N>[.p/<W>]``          a Merkle tree tile, ``application/octet-stream``
``GET /tile/entries/<N>[.p/<W>]``      an entry bundle, gzip-encoded when the client accepts it
=====================================  ====================================================

A full tile or bundle never changes: ``Cache-Control: public, max-age=31536000, immutable``.
A partial one's bytes at a given width never change either, but a log may drop it once the
full one exists (c2sp.org/tlog-tiles "Partial Tiles"): cached for a day. A path the spec does
not allow, or a tile the committed tree does not have (yet), is a 404 as a static server would
answer; a storage failure is a 503. These routes are specified by C2SP, not by Rekor's OpenAPI
document, so they stay out of ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from liturgia._internal.text import clip
from liturgia.server.errors import ApiError
from liturgia.tlog.log import RekorLog
from liturgia.tlog.tiled import CHECKPOINT_PATH

__all__ = [
    "CHECKPOINT_CACHE_CONTROL",
    "FULL_CACHE_CONTROL",
    "PARTIAL_CACHE_CONTROL",
    "TileAnswer",
    "add_tile_routes",
    "checkpoint_answer",
    "tile_answer",
]

#: Cache-Control of a full tile or bundle: final bytes, cached for a year.
FULL_CACHE_CONTROL = "public, max-age=31536000, immutable"
#: Cache-Control of a partial tile or bundle: final bytes at that width, but may be dropped.
PARTIAL_CACHE_CONTROL = "public, max-age=86400"
#: Cache-Control of the checkpoint: revalidated on every use (the spec: "a few seconds").
CHECKPOINT_CACHE_CONTROL = "no-cache"
_OCTETS = "application/octet-stream"
_TEXT = "text/plain; charset=utf-8"

#: ``(body, content type, extra headers)`` of a successful answer.
TileAnswer = tuple[bytes, str, dict[str, str]]
Run = Callable[[Callable[[], Any]], Awaitable[Any]]


def _accepts_gzip(value: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header lists gzip with a non-zero weight."""
    for item in (value or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            weight = params.strip().lower().removeprefix("q=")
            return not weight or weight.replace("0", "").strip(".") != ""
    return False


async def checkpoint_answer(log: RekorLog, run: Run) -> TileAnswer:
    """Answer ``GET /checkpoint``: the newest signed checkpoint (c2sp.org/tlog-checkpoint)."""
    note: bytes = await run(log.checkpoint)
    return note, _TEXT, {"Cache-Control": CHECKPOINT_CACHE_CONTROL}


async def tile_answer(
    log: RekorLog, run: Run, path: str, accept_encoding: str | None
) -> TileAnswer:
    """Answer ``GET /<path>`` for a tile or entry bundle path (``tile/...``).

    Raises:
        ApiError: 404 for a path the spec does not allow or a tile the tree does not have,
            503 when the storage fails.
    """
    entries = path.startswith("tile/entries/")
    gzip_ok = entries and _accepts_gzip(accept_encoding)
    try:
        found = await run(partial(log.tiles.resource, path, gzip_ok=gzip_ok))
    except ValueError as exc:
        raise ApiError(404, f"not a tlog-tiles path: {clip(path)}") from exc
    if found is None:
        raise ApiError(404, f"{clip(path)} is not in the log's tree (yet)")
    headers = {"Cache-Control": FULL_CACHE_CONTROL if found.full else PARTIAL_CACHE_CONTROL}
    if entries:
        headers["Vary"] = "Accept-Encoding"
    if found.gzipped:
        headers["Content-Encoding"] = "gzip"
    return found.body, _OCTETS, headers


def add_tile_routes(app: FastAPI, log: RekorLog, run: Run) -> None:
    """Declare ``/checkpoint`` and ``/tile/...`` (c2sp.org/tlog-tiles) on ``app``.

    The application answers them before its framework (:mod:`liturgia.server.reads`); these
    routes serve them when the application is mounted inside another.

    Args:
        app: the log's application (its ``ApiError`` handler renders the errors).
        log: the started log.
        run: runs a blocking library call in a worker thread, mapping library errors to
            :class:`~liturgia.server.errors.ApiError` (503 for a storage failure).
    """

    @app.get(f"/{CHECKPOINT_PATH}", include_in_schema=False)
    async def get_checkpoint() -> Response:
        body, media_type, headers = await checkpoint_answer(log, run)
        return Response(body, media_type=media_type, headers=headers)

    @app.get("/tile/{path:path}", include_in_schema=False)
    async def get_tile(path: str, request: Request) -> Response:
        body, media_type, headers = await tile_answer(
            log, run, f"tile/{path}", request.headers.get("accept-encoding")
        )
        return Response(body, media_type=media_type, headers=headers)
