"""The log's c2sp.org/tlog-tiles routes, served beside the Rekor v1 API from the same storage.

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
from liturgia.tlog.log import RekorLog
from liturgia.tlog.tiled import CHECKPOINT_PATH

__all__ = ["FULL_CACHE_CONTROL", "PARTIAL_CACHE_CONTROL", "add_tile_routes"]

#: Cache-Control of a full tile or bundle: final bytes, cached for a year.
FULL_CACHE_CONTROL = "public, max-age=31536000, immutable"
#: Cache-Control of a partial tile or bundle: final bytes at that width, but may be dropped.
PARTIAL_CACHE_CONTROL = "public, max-age=86400"
#: Cache-Control of the checkpoint: revalidated on every use (the spec: "a few seconds").
CHECKPOINT_CACHE_CONTROL = "no-cache"
_OCTETS = "application/octet-stream"


def _accepts_gzip(value: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header lists gzip with a non-zero weight."""
    for item in (value or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            weight = params.strip().lower().removeprefix("q=")
            return not weight or weight.replace("0", "").strip(".") != ""
    return False


def add_tile_routes(
    app: FastAPI,
    log: RekorLog,
    call: Callable[[Callable[[], Any]], Awaitable[Any]],
    error: Callable[[int, str], Response],
) -> None:
    """Add ``/checkpoint`` and ``/tile/...`` (c2sp.org/tlog-tiles) to ``app``.

    Args:
        app: the log's application.
        log: the started log.
        call: runs a blocking library call in a worker thread, mapping library errors to
            API errors (503 for a storage failure).
        error: builds an error response (the application's error format).
    """

    @app.get(f"/{CHECKPOINT_PATH}", include_in_schema=False)
    async def get_checkpoint() -> Response:
        """Return the latest signed checkpoint (c2sp.org/tlog-checkpoint)."""
        note: bytes = await call(log.checkpoint)
        return Response(
            note,
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": CHECKPOINT_CACHE_CONTROL},
        )

    @app.get("/tile/{path:path}", include_in_schema=False)
    async def get_tile(path: str, request: Request) -> Response:
        """Return a tile or entry bundle (c2sp.org/tlog-tiles)."""
        gzip_ok = path.startswith("entries/") and _accepts_gzip(
            request.headers.get("accept-encoding")
        )
        try:
            found = await call(partial(log.tiles.resource, f"tile/{path}", gzip_ok=gzip_ok))
        except ValueError:
            return error(404, f"not a tlog-tiles path: tile/{clip(path)}")
        if found is None:
            return error(404, f"tile/{clip(path)} is not in the log's tree (yet)")
        headers = {
            "Cache-Control": FULL_CACHE_CONTROL if found.full else PARTIAL_CACHE_CONTROL,
        }
        if path.startswith("entries/"):
            headers["Vary"] = "Accept-Encoding"
        if found.gzipped:
            headers["Content-Encoding"] = "gzip"
        return Response(found.body, media_type=_OCTETS, headers=headers)
