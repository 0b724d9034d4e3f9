"""What every answer of the server carries, whichever path serves it: headers, request ID, logs.

:class:`Hardening` wraps the whole ASGI application (the bare write and read paths as well as
the FastAPI routes) and

* gives each request an ID: the client's ``X-Request-ID`` when it is a short token
  (``[A-Za-z0-9._-]{1,64}``), else a new random one; it is sent back in ``X-Request-ID`` and
  added to every log record written while the request is served (:class:`RequestIdFilter`);
* adds the security headers of :data:`SECURITY_HEADERS` to every answer: a
  Content-Security-Policy allowing only the server's own scripts, styles and images (no
  ``unsafe-inline``, ``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff``,
  ``X-Frame-Options: DENY`` (for browsers without CSP level 2) and ``Referrer-Policy:
  no-referrer``. No ``Access-Control-Allow-*`` header is ever sent: CORS is off, so a page of
  another site cannot read the server's answers nor post JSON to it;
* refuses a body over the limit on every route, before the route runs (413 by
  ``Content-Length``; a chunked body is counted as it is read);
* observes each request's duration by route template (:mod:`liturgia.server.metrics`);
* writes one access-log record per request (``liturgia.server.access``, level INFO) with the
  method, the path, the status, the duration in milliseconds and the request ID;
  :func:`use_json_logging` makes every server log record one JSON object per line.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import logging
import os
import re
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from liturgia.server.errors import ApiError, error_bytes
from liturgia.server.metrics import REQUESTS
from liturgia.server.wire import check_declared_length, send_answer

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "SECURITY_HEADERS",
    "Hardening",
    "RequestIdFilter",
    "current_request_id",
    "json_logging",
    "route_template",
    "use_json_logging",
]

#: Only the server's own resources; nothing inline, nothing framed (CSP level 3).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: Added to every answer (raw ASGI header pairs).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_REQUEST_ID = contextvars.ContextVar("liturgia_request_id", default="-")
_CLIENT_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_ACCESS = logging.getLogger("liturgia.server.access")


def current_request_id() -> str:
    """The ID of the request being served in this context (``"-"`` outside a request)."""
    return _REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the request being served, or ``"-"``) to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Set ``record.request_id``; never drops a record."""
        record.request_id = _REQUEST_ID.get()
        return True


#: The route templates of the requests answered before the framework (bounded label values).
_BARE_ROUTES = (
    ("/api/v1/log/entries/", "/api/v1/log/entries/{entryUUID}"),
    ("/tile/", "/tile/{path}"),
)
_BARE_EXACT = frozenset({"/api/v1/log/entries", "/api/v1/log", "/api/v1/log/proof", "/checkpoint"})


def route_template(scope: Scope) -> str:
    """The route template a request matched (``/projects/{project}``), for metric labels.

    A request the framework routed names its route; one answered before it (the write path,
    the hot reads) is classified by its path; anything else is ``unmatched``, so that a
    client cannot create label values at will.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    path = scope.get("path", "")
    if path in _BARE_EXACT:
        return str(path)
    for prefix, name in _BARE_ROUTES:
        if path.startswith(prefix):
            return name
    return "unmatched"


class _RequestIds:
    """Request IDs of this process: 16 random hex digits, then a 16-hex-digit counter.

    Unique across the server's processes (a random prefix each, drawn again in a forked
    child) without a system call per request, which ``secrets.token_hex`` made (3 us of a
    hot read's 30). A request ID names a request in the logs; it is no secret.
    """

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        """Draw a new prefix and restart the counter."""
        self._prefix = secrets.token_hex(8)
        self._count = itertools.count()

    def next(self) -> str:
        """A new request ID (32 lower-case hex digits)."""
        return f"{self._prefix}{next(self._count):016x}"


_REQUEST_IDS = _RequestIds()


@functools.lru_cache(maxsize=1024)
def _observed(method: str, route: str, status: int) -> Any:
    """The :data:`REQUESTS` child of one method, route template and status, looked up once.

    Bounded: methods and route templates are a fixed set (:func:`route_template`), statuses
    a few; beyond 1,024 the least recent is looked up again.
    """
    return REQUESTS.labels(method, route, str(status))


class Hardening:
    """ASGI wrapper adding request IDs, security headers, a body limit and access logs.

    Args:
        app: the application served.
        max_body_bytes: largest request body any route accepts (413 beyond).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection's request (HTTP) or pass it through (lifespan, WebSocket)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        declared: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:  # one pass over the headers for all three
            if name == b"x-request-id":
                if request_id is None and _CLIENT_ID.fullmatch(value):
                    request_id = value.decode("ascii")
            elif name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        request_id = request_id or _REQUEST_IDS.next()
        token = _REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 0
        extra = (*SECURITY_HEADERS, (b"x-request-id", request_id.encode("ascii")))

        async def send_hardened(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        try:
            if declared is not None:
                try:
                    check_declared_length(declared.decode("latin-1"), self.max_body_bytes)
                except ApiError as exc:
                    body = error_bytes({"code": 413, "message": exc.message})
                    await send_answer(send_hardened, 413, body)
                    return
            # A request with neither header has no body (RFC 9112 §6.3): nothing to count.
            limited = receive if declared is None and not chunked else self._limited(receive)
            await self.app(scope, limited, send_hardened)
        finally:
            elapsed = time.perf_counter() - started
            _observed(scope["method"], route_template(scope), status).observe(elapsed)
            if _ACCESS.isEnabledFor(logging.INFO):
                _ACCESS.info(
                    "%s %s %d",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                    },
                )
            _REQUEST_ID.reset(token)

    def _limited(self, receive: Receive) -> Receive:
        """``receive`` counting body bytes: over the limit raises ``ApiError`` (413)."""
        limit = self.max_body_bytes
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise ApiError(413, f"request body is over the {limit}-byte limit")
            return message

        return receive_limited


_SERVER_LOGGERS = ("liturgia", "uvicorn")


def use_json_logging(level: int, stream: Any = None) -> None:
    """Write the server's log records as JSON lines from now on (a worker process's whole life).

    Each line holds ``time`` (ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` and
    whatever the record adds (the access log: ``method``, ``path``, ``status``,
    ``duration_ms``). Applies to the ``liturgia`` and ``uvicorn`` loggers.

    Args:
        level: the lowest level written (``logging.INFO`` adds the access log).
        stream: where to write; standard error by default.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    for name in _SERVER_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


@contextmanager
def json_logging(level: int, stream: Any = None) -> Iterator[None]:
    """:func:`use_json_logging` while the block runs; the loggers as they were after."""
    saved = [
        (logger, logger.level, logger.propagate, list(logger.handlers))
        for logger in map(logging.getLogger, _SERVER_LOGGERS)
    ]
    use_json_logging(level, stream)
    try:
        yield
    finally:
        for logger, old_level, propagate, handlers in saved:
            logger.handlers = handlers
            logger.setLevel(old_level)
            logger.propagate = propagate
