"""The server's ASGI application: assembles the routers over one started log (FastAPI).

:func:`create_app` builds an :class:`AppContext` (the log, its thread pools, the write path)
and includes one router per API group from :mod:`liturgia.server.api`. The routes themselves,
their OpenAPI operations and their errors are described in each router's module; the app only
adds what they share:

* errors as Rekor's ``Error`` object ``{"code": <HTTP status>, "message": ...}``, as ASCII
  JSON: 400 for bad content and bad parameters (never FastAPI's 422), 404, 405, 408 for a body
  that did not arrive in time, 409, 413 for a body over ``max_body_bytes``, 415 for a body
  not sent as ``application/json``, 507 when the storage is full (reads keep working), 503
  when it fails otherwise (both with ``Retry-After``). Nothing is stored for a refused
  request; a 503 or 507 does not say the entry was not stored (it may have been made durable
  before the failure): a client retries and takes a 409 as logged;
* the write path (:mod:`.writes`) and the hot reads (:mod:`.reads`) answered as bare ASGI
  before the framework, with the same checks and bytes as their FastAPI twins;
* around every path, :class:`~liturgia.server.hardening.Hardening`: a request ID, security
  headers (a CSP without ``unsafe-inline``, ``frame-ancestors 'none'``, ``nosniff``), no CORS
  headers, the body limit on every route, one access-log record per request.

The library is synchronous: every call into the log runs in a worker thread (anyio) or on the
read threads, so a submission waiting for its checkpoint never blocks the event loop. The one
exception is the hot reads of a log whose storage reads wait for nothing
(:attr:`RekorLog.local_reads <liturgia.tlog.log.RekorLog.local_reads>`: SQLite, memory): they
are answered on the event loop itself. Each takes about 0.1 ms there, and handing it to a
thread cost more than the read: the hand-off itself, and the event loop holding the GIL
whenever SQLite released it, so that a read thread waited for the loop's next pass at each
statement (in-process, 290 against 145 us a read by index; see ``benchmarks/tlog_read_bench.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from liturgia.server.api import assets as assets_api
from liturgia.server.api import docs as docs_api
from liturgia.server.api import health as health_api
from liturgia.server.api import live as live_api
from liturgia.server.api import log as log_api
from liturgia.server.api import metrics as metrics_api
from liturgia.server.api import pages as pages_api
from liturgia.server.api import releases as releases_api
from liturgia.server.context import AppContext
from liturgia.server.errors import ApiError, api_errors, error_response
from liturgia.server.hardening import Hardening
from liturgia.server.reads import DEFAULT_READ_THREADS, ReadHandler, read_handler
from liturgia.server.records import RecordStore
from liturgia.server.tiles import add_tile_routes
from liturgia.server.webhooks import Webhooks
from liturgia.server.writes import ENTRIES_PATH, EntryWriter
from liturgia.tlog import rekor
from liturgia.tlog.log import RekorLog

__all__ = ["DEFAULT_MAX_BODY_BYTES", "ApiError", "create_app"]

#: Default request body limit: 1 MiB (a hashedrekord is about 1 KiB; DSSE envelopes larger).
DEFAULT_MAX_BODY_BYTES = 1 << 20
_T = TypeVar("_T")


class _LogApp(FastAPI):
    """The FastAPI application, with ``POST /api/v1/log/entries`` served before its stack.

    The framework's middleware, routing and dependency resolution cost about as much CPU as
    the log's own work per entry, so that route is answered by a bare ASGI handler
    (:meth:`EntryWriter.asgi`) with the same checks, answers and errors, and so are the hot
    reads (:mod:`.reads`). The FastAPI routes stay declared for the OpenAPI document (and serve
    the request when this application is mounted inside another).
    """

    writer: EntryWriter | None = None
    #: The hot reads, answered the same way before the framework (:mod:`.reads`).
    read_asgi: ReadHandler | None = None
    #: Request IDs, security headers, body limit and access log around every path.
    hardening: Hardening | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve every request through :class:`Hardening`, then :meth:`dispatch`."""
        if self.hardening is None:
            await self.dispatch(scope, receive, send)
        else:
            await self.hardening(scope, receive, send)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the submission and the hot reads directly; everything else through FastAPI."""
        if scope["type"] == "http":
            method = scope["method"]
            if method == "POST" and scope["path"] == ENTRIES_PATH and self.writer:
                await self.writer.asgi(scope, receive, send)
                return
            if method == "GET" and self.read_asgi and await self.read_asgi(scope, receive, send):
                return
        await super().__call__(scope, receive, send)


def create_app(
    log: RekorLog,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    public_key: rekor.PublicKey | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    read_threads: int = DEFAULT_READ_THREADS,
    records: RecordStore | None = None,
    webhooks: Webhooks | None = None,
    private: bool = False,
) -> FastAPI:
    """Build the ASGI application serving ``log`` with Rekor's v1 REST API.

    The caller starts the log before serving (:meth:`RekorLog.start` verifies the stored tree)
    and closes it afterwards; the application never does either.

    Args:
        log: a started log.
        max_body_bytes: largest request body accepted; larger ones get 413.
        public_key: the log's public key, served as PEM at ``GET /api/v1/log/publicKey``
            (``getPublicKey``) when given.
        lifespan: the application's lifespan (a worker process closes its log there).
        read_threads: threads answering reads (a pool of their own, see
            :class:`~liturgia.server.reads.ReadSettings`); the hot reads of a local storage
            are answered on the event loop instead.
        records: the release records and project tokens; when given, the records API
            (:mod:`liturgia.server.api.releases`) is served. The caller closes it.
        webhooks: where release events are announced (:mod:`liturgia.server.webhooks`).
        private: reads of the records, the pages and the metrics need a valid token.

    Returns:
        The FastAPI application; its OpenAPI document is at ``/openapi.json``.

    Raises:
        ValueError: ``max_body_bytes`` or ``read_threads`` is not positive.
    """
    if max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be positive, not {max_body_bytes}")
    if read_threads < 1:
        raise ValueError(f"read_threads must be positive, not {read_threads}")
    app = _LogApp(
        title="liturgia transparency log",
        description="A Rekor v1-compatible transparency log (the subset Sigstore clients use).",
        version="1",
        lifespan=lifespan,
        redirect_slashes=False,  # a 307 would point at whatever host the client named
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: api/docs.py serves its own
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    limiter = anyio.CapacityLimiter(256)

    async def call(func: Callable[[], _T]) -> _T:
        """Run a library call in a worker thread, mapping its errors to API errors."""
        with api_errors():
            return await anyio.to_thread.run_sync(func, limiter=limiter)

    readers = ThreadPoolExecutor(max_workers=read_threads, thread_name_prefix="liturgia-read")

    async def read(func: Callable[[], _T]) -> _T:
        """Run a read on the read threads, mapping its errors to API errors."""
        with api_errors():
            return await asyncio.get_running_loop().run_in_executor(readers, func)

    async def read_here(func: Callable[[], _T]) -> _T:
        """Run a read of a local storage on the event loop, mapping its errors to API errors."""
        with api_errors():
            return func()

    hot_read = read_here if log.local_reads else read

    context = AppContext(
        log=log,
        call=call,
        read=read,
        writer=EntryWriter(log, call, max_body_bytes),
        max_body_bytes=max_body_bytes,
        public_key=public_key,
        records=records,
        webhooks=webhooks,
        private=private,
    )
    app.writer = context.writer

    def submit(func: Callable[[], _T]) -> asyncio.Future[_T]:
        """Hand ``func`` to the read threads (the hot reads gather there: see ``reads``)."""
        return asyncio.get_running_loop().run_in_executor(readers, func)

    app.read_asgi = read_handler(log, None if log.local_reads else submit)
    app.hardening = Hardening(app.dispatch, max_body_bytes)
    _add_error_handlers(app)
    app.include_router(log_api.router(context))
    app.include_router(health_api.router(context))
    app.include_router(metrics_api.router(context))
    app.include_router(assets_api.router())
    if records is not None:
        app.include_router(releases_api.router(context, records))
        app.include_router(pages_api.router(context, records))
        app.include_router(live_api.router(context, records))
    add_tile_routes(app, log, hot_read)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            if records is not None:
                schemas = document.setdefault("components", {}).setdefault("schemas", {})
                schemas.update(releases_api.openapi_schemas())
            app.openapi_schema = _rekor_errors(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(docs_api.router(openapi, home=records is None))
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Answer every error as Rekor's ``Error`` object (a validation error as 400, not 422)."""

    @app.exception_handler(ApiError)
    async def _apierror_response(request: Request, exc: ApiError) -> JSONResponse:
        del request
        return error_response(exc.status, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        del request
        problems = [
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}"
            for error in exc.errors()
        ]
        return error_response(400, "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _httperror_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        del request
        return error_response(exc.status_code, str(exc.detail), dict(exc.headers or {}))


_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
    "required": ["code", "message"],
}
_ERROR_STATUSES = {
    "400": "the request is malformed or asks for what the log cannot answer",
    "401": "no bearer token, or an unknown or revoked one",
    "403": "the token is another project's",
    "404": "no such entry",
    "405": "method not allowed",
    "409": "an equivalent entry is already in the log (Location names it)",
    "408": "the request body did not arrive in time (the connection is closed)",
    "413": "the request body is over the limit",
    "415": "the request body is not application/json",
    "503": "the log's storage is unavailable (Retry-After); the entry may still be stored",
    "507": "the log's storage is full (Retry-After); reads keep working",
}


def _rekor_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Describe errors as this server sends them: Rekor's ``Error`` object, never a 422.

    FastAPI documents a 422 validation error for every route with parameters; this server
    answers those as 400 with ``{"code", "message"}`` (Rekor's OpenAPI ``Error``).
    """
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["Error"] = _ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            wanted = {"400", "503"} | {code for code in responses if code in _ERROR_STATUSES}
            if operation.get("requestBody"):
                wanted |= {"408", "413", "415"}
            if operation.get("operationId", "").startswith("getLogEntryBy"):
                wanted.add("404")
            if operation.get("operationId") == "createLogEntry":
                wanted.add("507")
            for code in sorted(wanted):
                responses[code] = {"description": _ERROR_STATUSES[code], "content": reference}
    return document
