"""The Rekor v1 REST API over a :class:`~liturgia.tlog.log.RekorLog` (FastAPI/Starlette).

Implements the subset of Rekor's published OpenAPI document (``sigstore/rekor`` ``openapi.yaml``,
swagger 2.0) that Sigstore clients use:

=====================================  ====================================================
``POST /api/v1/log/entries``           ``createLogEntry``: 201 + ``Location``/``ETag``; 409
                                       with the existing entry's ``Location`` (as Rekor)
``GET /api/v1/log/entries?logIndex=``  ``getLogEntryByIndex`` (global index); 404 if absent
``GET /api/v1/log/entries/{entryUUID}``  ``getLogEntryByUUID`` (64-hex UUID or 80-hex ID)
``POST /api/v1/log/entries/retrieve``  ``searchLogQuery``: ``entryUUIDs``, ``logIndexes``,
                                       ``entries`` (proposed entries)
``GET /api/v1/log``                    ``getLogInfo``: ``rootHash``, ``treeSize``,
                                       ``signedTreeHead``, ``treeID``
``GET /api/v1/log/proof``              ``getLogProof``: ``firstSize`` (default 1), ``lastSize``
``POST /api/v1/index/retrieve``        ``searchIndex``: ``hash``, ``publicKey`` (x509), ``operator``
=====================================  ====================================================

Errors are Rekor's ``Error`` object ``{"code": <HTTP status>, "message": ...}``, as ASCII JSON:
400 for bad content (malformed JSON, unknown kinds or versions, bad signatures, unsupported
keys, sizes beyond the tree, negative or non-numeric indexes), 404, 405, 409, 413 for a body
over ``max_body_bytes``, 415 for a body not sent as ``application/json``, 503 when the storage
fails. Nothing is stored for a refused request.

The library is synchronous: every call into the log runs in a worker thread (anyio), so a
submission waiting for its checkpoint never blocks the event loop. A small hashedrekord is
verified on the event loop as it arrives (DSSE entries and bodies over 16 KiB in a worker
thread) and handed to the log in batches (:class:`_Committer`): one
worker-thread call stores a whole batch, waits for the checkpoint covering it and builds every
answer, while the next batch gathers. This replaces a thread per waiting request, whose wake-ups
and GIL hand-offs cost more than the work itself.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any, TypeVar

import anyio
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from liturgia._internal.text import clip
from liturgia.errors import LiturgiaError
from liturgia.server.errors import ApiError, api_errors, error_bytes, error_response
from liturgia.server.reads import DEFAULT_READ_THREADS, ReadHandler, read_handler
from liturgia.server.tiles import add_tile_routes
from liturgia.tlog import rekor
from liturgia.tlog.entries import AcceptedEntry, accept_entry
from liturgia.tlog.log import RekorLog

__all__ = ["DEFAULT_MAX_BODY_BYTES", "MAX_SEARCH_QUERIES", "ApiError", "create_app"]

_LOG = logging.getLogger(__name__)

#: Default request body limit: 1 MiB (a hashedrekord is about 1 KiB; DSSE envelopes larger).
DEFAULT_MAX_BODY_BYTES = 1 << 20
#: Largest submission checked on the event loop; larger ones (and DSSE) in a worker thread.
_INLINE_BYTES = 16 * 1024
#: Most items one search may ask for (Rekor's ``maxSearchQueries``).
MAX_SEARCH_QUERIES = 10
_ENTRIES = "/api/v1/log/entries"
_JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
_T = TypeVar("_T")


def _check_content_type(value: str | None) -> None:
    """Refuse a request body that is not declared ``application/json`` (415), as Rekor does.

    A browser sends ``text/plain``, form and multipart bodies to another site without asking
    first; requiring JSON keeps such cross-site posts out of the log.
    """
    media_type = (value or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        shown = f"{clip(value, 60)!r}" if value else "none"
        raise ApiError(
            415, f"request body must be sent as application/json (Content-Type: {shown})"
        )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def _read_json(request: Request, limit: int) -> Any:
    """Read the request body (at most ``limit`` bytes) and parse it as JSON.

    Raises:
        ApiError: 413 over the limit (by ``Content-Length`` or by the bytes read), 415 when not
            sent as JSON, 400 when not JSON or when the client went away mid-body.
    """
    _check_declared_length(request.headers.get("content-length"), limit)
    _check_content_type(request.headers.get("content-type"))
    try:
        return _parse_json(await _receive_body(request.receive, limit))
    except _Disconnected as exc:
        raise ApiError(400, "the client closed the connection before its body ended") from exc


def _check_declared_length(declared: str | None, limit: int) -> None:
    """Refuse a ``Content-Length`` over ``limit`` before reading the body (413)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"request body of {declared} bytes is over the {limit}-byte limit")


def _parse_json(body: bytes) -> Any:
    """Parse a request body as JSON (RFC 8259; ``NaN`` and ``Infinity`` refused).

    Raises:
        ApiError: 400 when the body is not JSON.
    """
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ApiError(400, "request body is not JSON: nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"request body is not JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"request body is not JSON: not UTF-8 ({exc.reason})") from exc
    except ValueError as exc:  # NaN/Infinity, or an integer of more digits than Python reads
        problem = "a number is too long" if "digits" in str(exc) else str(exc)
        raise ApiError(400, f"request body is not JSON: {problem}") from exc


async def _receive_body(receive: Receive, limit: int) -> bytes:
    """Read an ASGI request body of at most ``limit`` bytes.

    Raises:
        ApiError: 413 over the limit.
        _Disconnected: the client went away first.
    """
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        body += message.get("body", b"")
        if len(body) > limit:
            raise ApiError(413, f"request body is over the {limit}-byte limit")
        if not message.get("more_body", False):
            return bytes(body)


class _Disconnected(Exception):
    """The client closed the connection before sending its whole request."""


def _entry_id_of(entry: rekor.LogEntry, log: RekorLog) -> str:
    return rekor.entry_id(entry.body, log.tree_id)


class _Committer:
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

    def __init__(
        self,
        log: RekorLog,
        call: Callable[[Callable[[], Any]], Awaitable[Any]],
        parallel: int = 2,
    ) -> None:
        self._log = log
        self._call = call
        self._parallel = parallel
        self._queued: list[tuple[AcceptedEntry, asyncio.Future[tuple[rekor.LogEntry, bool]]]] = []
        self._draining = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, accepted: AcceptedEntry) -> tuple[rekor.LogEntry, bool]:
        """Queue ``accepted`` and return ``(entry, created)`` once it is in a checkpoint.

        Raises:
            ApiError: 503 when the batch could not be stored or integrated.
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


class _LogApp(FastAPI):
    """The FastAPI application, with ``POST /api/v1/log/entries`` served before its stack.

    Every submission is a write the log must sign and store; the framework's middleware,
    routing and dependency resolution cost about as much CPU as the log's own work per entry,
    so that one route is answered by a bare ASGI handler (:attr:`create_entry_asgi`) with the
    same checks, answers and errors. The FastAPI route stays declared for the OpenAPI document
    (and serves the request when this application is mounted inside another).
    """

    create_entry_asgi: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None
    #: The hot reads, answered the same way before the framework (:mod:`.reads`).
    read_asgi: ReadHandler | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the submission and the hot reads directly; everything else through FastAPI."""
        if scope["type"] == "http":
            method = scope["method"]
            if method == "POST" and scope["path"] == _ENTRIES and self.create_entry_asgi:
                await self.create_entry_asgi(scope, receive, send)
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
            :class:`~liturgia.server.reads.ReadSettings`).

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

    committer = _Committer(log, call)
    app.read_asgi = read_handler(log, read)

    def answer(entry: rekor.LogEntry) -> dict[str, Any]:
        return entry.to_api_json(tree_id=log.tree_id)

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

    @app.post(
        _ENTRIES,
        status_code=201,
        operation_id="createLogEntry",
        tags=["entries"],
        openapi_extra=_JSON_BODY,
        responses={400: {}, 409: {}, 413: {}},
    )
    async def create_log_entry(request: Request) -> JSONResponse:
        """Verify and add a proposed ``hashedrekord`` or ``dsse`` v0.0.1 entry."""
        headers, document = await create_entry(await _read_json(request, max_body_bytes))
        return JSONResponse(document, status_code=201, headers=headers)

    async def create_entry(
        proposed: Any, size: int = _INLINE_BYTES + 1
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """Verify ``proposed`` (a ``size``-byte request), log it; return the 201's headers and body.

        A small hashedrekord (one signature to check) is checked on the event loop; anything
        else in a worker thread, so that no request holds the loop for long.

        Raises:
            ApiError: 400 for a bad entry, 409 (with ``Location``) for one already logged,
                503 when the storage fails.
        """
        if (
            size <= _INLINE_BYTES
            and isinstance(proposed, dict)
            and (proposed.get("kind") == "hashedrekord")
        ):
            with api_errors():
                accepted = accept_entry(proposed)
        else:
            accepted = await call(partial(accept_entry, proposed))
        entry, created = await committer.submit(accepted)
        entry_id = _entry_id_of(entry, log)
        headers = {"Location": f"{_ENTRIES}/{entry_id}", "ETag": entry_id}
        if not created:
            raise ApiError(
                409,
                f"an equivalent entry already exists in the transparency log with UUID {entry_id}",
                headers,
            )
        return headers, answer(entry)

    async def create_entry_asgi(scope: Scope, receive: Receive, send: Send) -> None:
        """``createLogEntry`` as a bare ASGI handler: the write path without the framework."""
        declared = content_type = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
        try:
            _check_declared_length(declared, max_body_bytes)
            _check_content_type(content_type)
            raw = await _receive_body(receive, max_body_bytes)
            proposed = (
                _parse_json(raw)
                if len(raw) <= _INLINE_BYTES
                else await call(partial(_parse_json, raw))
            )
            headers, document = await create_entry(proposed, len(raw))
            body = json.dumps(
                document, ensure_ascii=False, allow_nan=False, separators=(",", ":")
            ).encode("utf-8")
            status = 201
        except _Disconnected:
            return
        except ApiError as exc:
            status, headers = exc.status, exc.headers
            body = error_bytes({"code": exc.status, "message": exc.message})
        raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    app.create_entry_asgi = create_entry_asgi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _rekor_errors(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get(_ENTRIES, operation_id="getLogEntryByIndex", tags=["entries"])
    async def get_log_entry_by_index(
        log_index: int = Query(alias="logIndex", ge=0),
    ) -> JSONResponse:
        """Return the entry at a global ``logIndex`` with its inclusion proof."""
        entry = await read(partial(log.entry, log_index))
        if entry is None:
            raise ApiError(404, f"no entry at log index {log_index}")
        return JSONResponse(answer(entry))

    @app.post(
        f"{_ENTRIES}/retrieve",
        operation_id="searchLogQuery",
        tags=["entries"],
        openapi_extra=_JSON_BODY,
        responses={400: {}, 413: {}},
    )
    async def search_log_query(request: Request) -> JSONResponse:
        """Return the entries named by UUID, by log index, or by proposed entry."""
        query = await _read_json(request, max_body_bytes)
        lookups = _log_query(query)
        found: list[dict[str, Any]] = []
        for kind, value in lookups:
            if kind == "uuid":
                entry = await call(partial(log.entry_by_id, value.lower()))
            elif kind == "index":
                entry = await call(partial(log.entry, value))
            else:
                accepted = await call(partial(accept_entry, value))
                entry = await call(partial(log.entry_by_id, rekor.entry_id(accepted.body)))
            if entry is not None:
                found.append(answer(entry))
        return JSONResponse(found)

    @app.get(f"{_ENTRIES}/{{entryUUID}}", operation_id="getLogEntryByUUID", tags=["entries"])
    async def get_log_entry_by_uuid(entry_uuid: str = Path(alias="entryUUID")) -> JSONResponse:
        """Return the entry with this UUID (64 hex) or entry ID (80 hex) with its proof."""
        if entry_uuid == "retrieve":  # POST-only searchLogQuery, not an entry ID
            raise ApiError(405, "Method Not Allowed", {"Allow": "POST"})
        entry = await read(partial(log.entry_by_id, entry_uuid.lower()))
        if entry is None:
            raise ApiError(404, f"no entry with UUID {clip(entry_uuid)}")
        return JSONResponse(answer(entry))

    @app.get("/api/v1/log", operation_id="getLogInfo", tags=["tlog"])
    async def get_log_info() -> JSONResponse:
        """Return the tree size, root hash, signed checkpoint and tree ID."""
        return JSONResponse(await read(log.info))

    if public_key is not None:
        pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

        @app.get("/api/v1/log/publicKey", operation_id="getPublicKey", tags=["pubkey"])
        async def get_public_key() -> Response:
            """Return the log's public key (PEM), which signs checkpoints and SETs."""
            return Response(pem, media_type="application/x-pem-file")

    @app.get("/api/v1/log/proof", operation_id="getLogProof", tags=["tlog"])
    async def get_log_proof(
        last_size: int = Query(alias="lastSize", ge=1),
        first_size: int = Query(default=1, alias="firstSize", ge=1),
        tree_id: str | None = Query(default=None, alias="treeID", pattern=r"^[0-9]+$"),
    ) -> JSONResponse:
        """Return a consistency proof from ``firstSize`` to ``lastSize``."""
        if tree_id is not None and int(tree_id) != log.tree_id:
            raise ApiError(400, f"tree {tree_id} is not this log's tree {log.tree_id}")
        return JSONResponse(await read(partial(log.consistency, first_size, last_size)))

    @app.post(
        "/api/v1/index/retrieve",
        operation_id="searchIndex",
        tags=["index"],
        openapi_extra=_JSON_BODY,
        responses={400: {}, 413: {}},
    )
    async def search_index(request: Request) -> JSONResponse:
        """Return the entry IDs filed under an artifact hash and/or a signer's public key."""
        query = await _read_json(request, max_body_bytes)
        artifact_hash, public_key, operator = _index_query(query)
        found = await call(
            partial(
                log.search, artifact_hash=artifact_hash, public_key=public_key, operator=operator
            )
        )
        return JSONResponse(list(found))

    add_tile_routes(app, log, read)
    return app


_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
    "required": ["code", "message"],
}
_ERROR_STATUSES = {
    "400": "the request is malformed or asks for what the log cannot answer",
    "404": "no such entry",
    "405": "method not allowed",
    "409": "an equivalent entry is already in the log (Location names it)",
    "413": "the request body is over the limit",
    "415": "the request body is not application/json",
    "503": "the log's storage is unavailable",
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
                wanted |= {"413", "415"}
            if operation.get("operationId", "").startswith("getLogEntryBy"):
                wanted.add("404")
            for code in sorted(wanted):
                responses[code] = {"description": _ERROR_STATUSES[code], "content": reference}
    return document


def _log_query(query: Any) -> list[tuple[str, Any]]:
    """Validate a ``SearchLogQuery``; return its lookups in Rekor's order.

    Raises:
        ApiError: 400 for a malformed query or one asking more than :data:`MAX_SEARCH_QUERIES`.
    """
    if not isinstance(query, dict):
        raise ApiError(400, "search query must be a JSON object")
    lookups: list[tuple[str, Any]] = []
    for field, kind in (("entryUUIDs", "uuid"), ("logIndexes", "index"), ("entries", "entry")):
        values = query.get(field)
        if values is None:
            continue
        if not isinstance(values, list):
            raise ApiError(400, f"search field {field!r} must be a list")
        for position, value in enumerate(values):
            where = f"{field}[{position}]"
            if kind == "uuid" and not isinstance(value, str):
                raise ApiError(400, f"search field {where} must be a string")
            if kind == "index" and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ApiError(400, f"search field {where} must be a non-negative integer")
            lookups.append((kind, value))
    if not lookups:
        raise ApiError(400, "search query needs entryUUIDs, logIndexes or entries")
    if len(lookups) > MAX_SEARCH_QUERIES:
        raise ApiError(
            400, f"search query asks for {len(lookups)} items; at most {MAX_SEARCH_QUERIES}"
        )
    return lookups


def _index_query(query: Any) -> tuple[str | None, bytes | None, str]:
    """Validate a ``SearchIndex``; return ``(hash, PEM public key, operator)``.

    Raises:
        ApiError: 400 for a malformed query, a search by e-mail or key URL, or a key format
            other than ``x509`` (a PEM public key or certificate).
    """
    if not isinstance(query, dict):
        raise ApiError(400, "index query must be a JSON object")
    if "email" in query:
        raise ApiError(400, "search by email is not supported (entries are signed by keys)")
    artifact_hash = query.get("hash")
    if artifact_hash is not None and not isinstance(artifact_hash, str):
        raise ApiError(400, "index query field 'hash' must be a string")
    operator = query.get("operator", "and")
    if not isinstance(operator, str):
        raise ApiError(400, "index query field 'operator' must be 'and' or 'or'")
    key_obj = query.get("publicKey")
    public_key: bytes | None = None
    if key_obj is not None:
        if not isinstance(key_obj, dict):
            raise ApiError(400, "index query field 'publicKey' must be an object")
        key_format = key_obj.get("format")
        if key_format != "x509":
            raise ApiError(
                400, f"public key format {key_format!r} is not supported (supported: x509)"
            )
        if "url" in key_obj:
            raise ApiError(400, "publicKey.url is not supported: send publicKey.content")
        content = key_obj.get("content")
        if not isinstance(content, str):
            raise ApiError(400, "index query field 'publicKey.content' must be a base64 string")
        try:
            public_key = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(400, "index query field 'publicKey.content' is not base64") from exc
    return artifact_hash, public_key, operator
