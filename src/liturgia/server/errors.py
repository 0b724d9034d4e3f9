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

from liturgia.errors import ExternalError, LiturgiaError, UsageError, VerificationError

__all__ = ["ApiError", "api_errors", "error_bytes", "error_response"]

_LOG = logging.getLogger("liturgia.server.app")


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


@contextmanager
def api_errors() -> Iterator[None]:
    """Map the library's errors to API errors: 400 for bad input or a failed check, 503 when
    the storage fails."""
    try:
        yield
    except (UsageError, VerificationError) as exc:
        raise ApiError(400, str(exc)) from exc
    except ExternalError as exc:
        _LOG.warning("log unavailable: %s", exc)
        raise ApiError(503, f"the log is unavailable: {exc}") from exc
    except LiturgiaError as exc:  # pragma: no cover - no other family is raised
        raise ApiError(500, str(exc)) from exc
