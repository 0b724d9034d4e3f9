"""Request bodies and answers on the wire, shared by the bare ASGI paths and the FastAPI routes.

The log answers its write path and its hot reads before the web framework (:mod:`.writes`,
:mod:`.reads`) and everything else through FastAPI (:mod:`.api`). Both read a body, parse it
and encode an answer with the functions here, so that one request gets the same checks,
statuses and bytes whichever path serves it:

* a body must be declared ``application/json`` (415) and be at most the configured size (413,
  by ``Content-Length`` or by the bytes read);
* a body must arrive within :data:`BODY_TIMEOUT_SECONDS` (408, and the connection is closed):
  a client that declares a ``Content-Length`` and sends less would otherwise hold its
  connection, and a task, forever (found under faults: 500 such connections stayed open);
* a body is JSON as RFC 8259 has it (``NaN`` and ``Infinity`` refused, 400);
* an answer is compact JSON as Starlette's ``JSONResponse`` writes it (:func:`encode_json`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anyio
from starlette.requests import Request
from starlette.types import Receive, Send

from liturgia._internal.text import clip
from liturgia.server.errors import ApiError

__all__ = [
    "BODY_TIMEOUT_SECONDS",
    "JSON_BODY",
    "MAX_DIGITS",
    "MAX_INT",
    "Disconnected",
    "check_content_type",
    "check_declared_length",
    "encode_json",
    "parse_json",
    "read_json",
    "receive_body",
    "send_answer",
]

#: The OpenAPI ``requestBody`` of a route taking a JSON object (its ``openapi_extra``).
JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


#: Largest integer a query or body may give (an index, a size, a tree ID): an int64, as the
#: storage's integers and Rekor's OpenAPI ``int64`` are. Longer input is refused (400), before
#: ``int()`` reads it (Python refuses over 4,300 digits: it was a 500).
MAX_INT = (1 << 63) - 1
#: Digits of :data:`MAX_INT`.
MAX_DIGITS = len(str(MAX_INT))


#: Seconds a request body may take to arrive, in all (a log entry is about 1 KiB).
BODY_TIMEOUT_SECONDS = 10.0


class Disconnected(Exception):
    """The client closed the connection before sending its whole request."""


def check_content_type(value: str | None) -> None:
    """Refuse a request body that is not declared ``application/json`` (415), as Rekor does.

    A browser sends ``text/plain``, form and multipart bodies to another site without asking
    first; requiring JSON keeps such cross-site posts out of the log.

    Raises:
        ApiError: 415.
    """
    media_type = (value or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        shown = f"{clip(value, 60)!r}" if value else "none"
        raise ApiError(
            415, f"request body must be sent as application/json (Content-Type: {shown})"
        )


def check_declared_length(declared: str | None, limit: int) -> None:
    """Refuse a ``Content-Length`` over ``limit`` bytes before reading the body.

    Raises:
        ApiError: 413.
    """
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and (len(declared) > MAX_DIGITS or int(declared) > limit)
    ):
        raise ApiError(413, f"request body of {declared} bytes is over the {limit}-byte limit")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
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


async def receive_body(
    receive: Receive, limit: int, *, timeout: float = BODY_TIMEOUT_SECONDS
) -> bytes:
    """Read an ASGI request body of at most ``limit`` bytes within ``timeout`` seconds.

    Raises:
        ApiError: 413 over the limit; 408 (RFC 9110 §15.5.9) when the body did not arrive in
            time, with ``Connection: close`` so that the server closes the connection (its
            unread rest cannot be told from a next request).
        Disconnected: the client went away first.
    """
    body = bytearray()
    try:
        with anyio.fail_after(timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise Disconnected
                body += message.get("body", b"")
                if len(body) > limit:
                    raise ApiError(413, f"request body is over the {limit}-byte limit")
                if not message.get("more_body", False):
                    return bytes(body)
    except TimeoutError as exc:
        raise ApiError(
            408,
            f"request body not received within {timeout:g} s ({len(body)} bytes came): "
            "send the whole body its Content-Length declares",
            {"Connection": "close"},
        ) from exc


async def read_json(request: Request, limit: int) -> Any:
    """Read a FastAPI request's body (at most ``limit`` bytes) and parse it as JSON.

    Raises:
        ApiError: 413 over the limit (by ``Content-Length`` or by the bytes read), 415 when not
            sent as JSON, 400 when not JSON or when the client went away mid-body.
    """
    check_declared_length(request.headers.get("content-length"), limit)
    check_content_type(request.headers.get("content-type"))
    try:
        return parse_json(await receive_body(request.receive, limit))
    except Disconnected as exc:
        raise ApiError(400, "the client closed the connection before its body ended") from exc


def encode_json(document: Any) -> bytes:
    """Serialise ``document`` as Starlette's ``JSONResponse`` does (the FastAPI routes' bytes)."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
        "utf-8"
    )


async def send_answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = b"application/json",
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send a whole HTTP answer from a bare ASGI handler: status, headers, then ``body``."""
    raw_headers = [
        (b"content-length", b"%d" % len(body)),
        (b"content-type", content_type),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
