"""The log API's error answers: Rekor's ``Error`` object and the mapping of library errors.

Shared by the application's FastAPI routes and its bare ASGI handlers (the write path, the hot
reads), so that both answer a failure with the same status and bytes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.responses import JSONResponse

from liturgia._internal.logthrottle import ThrottledLog
from liturgia.errors import (
    ExternalError,
    LiturgiaError,
    StorageFullError,
    UsageError,
    VerificationError,
)

__all__ = [
    "RETRY_AFTER_FULL",
    "RETRY_AFTER_UNAVAILABLE",
    "ApiError",
    "api_errors",
    "error_bytes",
    "error_response",
    "records_errors",
]

_LOG = logging.getLogger("liturgia.server.app")
#: A failing storage fails every request alike: one line per kind and interval, with a count.
_TROUBLE = ThrottledLog(_LOG)
#: Seconds a client is asked to wait before retrying (``Retry-After``, RFC 9110 §10.2.3).
RETRY_AFTER_UNAVAILABLE = 5
RETRY_AFTER_FULL = 60


class ApiError(Exception):
    """An answer other than success: becomes ``{"code": status, "message": message}``.

    Args:
        status: the HTTP status code (also the ``code`` field, as Rekor answers).
        message: one line saying what was wrong.
        headers: extra response headers (``Location`` for a 409).
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class _ErrorResponse(JSONResponse):
    """Rekor's ``Error`` object, non-ASCII escaped: a message may quote a lone surrogate that a
    request smuggled in with a ``\\ud800`` escape, which has no UTF-8 form."""

    def render(self, content: Any) -> bytes:
        """Serialize ``content`` as ASCII JSON."""
        return error_bytes(content)


def error_bytes(document: Any) -> bytes:
    return json.dumps(document, allow_nan=False, separators=(",", ":")).encode("ascii")


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return _ErrorResponse({"code": status, "message": message}, status_code=status, headers=headers)


def _out_of_space(exc: BaseException) -> bool:
    """Whether ``exc`` or one of its causes is a :class:`StorageFullError`."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, StorageFullError):
            return True
        seen = seen.__cause__
    return False


def _unavailable(kind: str, exc: ExternalError, message: str) -> ApiError:
    """A 503 with ``Retry-After``, logged as ``kind`` (throttled: one line per interval)."""
    _TROUBLE.log(logging.WARNING, kind, "%s: %s", kind, exc)
    return ApiError(503, message, {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})


@contextmanager
def api_errors() -> Iterator[None]:
    """Map the log's errors to API errors.

    400 for bad input or a failed check; 507 Insufficient Storage (RFC 4918 §11.5) when the
    storage is full, 503 when it fails otherwise, both with ``Retry-After``. Neither means
    the entry was not stored: a write may have been made durable before the failure, so a
    client retries and takes a 409 (naming the entry) as "already logged".
    """
    try:
        yield
    except (UsageError, VerificationError) as exc:
        raise ApiError(400, str(exc)) from exc
    except ExternalError as exc:
        if _out_of_space(exc):
            _TROUBLE.log(logging.WARNING, "storage full", "log storage full: %s", exc)
            raise ApiError(
                507,
                f"the log's storage is full ({exc}): new entries cannot be logged until space "
                "is freed; reads keep working. An entry sent now may already be stored: retry "
                "later and take a 409 naming it as logged",
                {"Retry-After": str(RETRY_AFTER_FULL)},
            ) from exc
        raise _unavailable(
            "log unavailable",
            exc,
            f"the log is unavailable: {exc}. An entry sent now may already be stored: retry "
            "later and take a 409 naming it as logged",
        ) from exc
    except LiturgiaError as exc:  # pragma: no cover - no other family is raised
        raise ApiError(500, str(exc)) from exc


@contextmanager
def records_errors() -> Iterator[None]:
    """Map the cockpit record store's errors to API errors (its own words, not the log's).

    503 with ``Retry-After`` when the records' database fails (busy, unreachable, full,
    read-only). A write that failed so may still have been committed: the client sends it
    again, and a repeat of the same content is stored once (200). A conflict (409) is the
    caller's to map.
    """
    try:
        yield
    except ExternalError as exc:
        raise _unavailable(
            "records unavailable",
            exc,
            f"the release records are unavailable: {exc}. A record or event sent now may "
            "already be stored: send it again later (the same content is stored once)",
        ) from exc
