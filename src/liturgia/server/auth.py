"""Bearer tokens on the cockpit's routes: writes always, reads with ``liturgia serve --private``.

A token (``liturgia serve token create PROJECT``) is sent as ``Authorization: Bearer <token>``
and checked against the record store (:meth:`~liturgia.server.records.RecordStore.project_of`,
a constant-time comparison of digests). 401 (with ``WWW-Authenticate: Bearer``) without one or
with an unknown or revoked one; a write with another project's token is a 403. The
transparency log's own API stays public: it is a public log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from starlette.requests import HTTPConnection

from liturgia.server.context import AppContext
from liturgia.server.errors import ApiError, records_errors

__all__ = ["BEARER_CHALLENGE", "read_guard", "token_project"]

#: The challenge sent with a 401 (RFC 6750 §3).
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="liturgia"'}


async def token_project(context: AppContext, connection: HTTPConnection, what: str) -> str:
    """The project of the bearer token ``connection`` presents.

    Raises:
        ApiError: 401 without a token or with an unknown or revoked one; 503 when the store
            fails.
    """
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or context.records is None:
        raise ApiError(
            401, f"a bearer token is required to {what} (Authorization: Bearer ...)",
            BEARER_CHALLENGE,
        )  # fmt: skip
    store = context.records
    with records_errors():
        owner = await anyio.to_thread.run_sync(store.project_of, token.strip())
    if owner is None:
        raise ApiError(401, "the token is unknown or revoked", BEARER_CHALLENGE)
    return owner


def read_guard(context: AppContext) -> Callable[[HTTPConnection], Awaitable[None]]:
    """A FastAPI dependency: with ``context.private``, a read needs any valid token (401)."""

    async def guard(connection: HTTPConnection) -> None:
        if context.private:
            await token_project(context, connection, "read (the server is private)")

    return guard
