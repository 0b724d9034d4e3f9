"""The Rekor v1 REST API over a :class:`~liturgia.tlog.log.RekorLog` (a FastAPI router).

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
``GET /api/v1/log/publicKey``          ``getPublicKey`` (PEM)
``GET /api/v1/log/proof``              ``getLogProof``: ``firstSize`` (default 1), ``lastSize``
``POST /api/v1/index/retrieve``        ``searchIndex``: ``hash``, ``publicKey`` (x509), ``operator``
=====================================  ====================================================

The write and the hot reads are answered before the framework (:mod:`liturgia.server.writes`,
:mod:`liturgia.server.reads`); these routes declare them for the OpenAPI document and serve
whatever the bare handlers leave (and everything when the application is mounted inside
another).
"""

from __future__ import annotations

import base64
import binascii
from functools import partial
from typing import Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from liturgia._internal.text import clip
from liturgia.server.context import AppContext
from liturgia.server.errors import ApiError
from liturgia.server.wire import JSON_BODY, MAX_DIGITS, MAX_INT, read_json
from liturgia.server.writes import ENTRIES_PATH
from liturgia.tlog import rekor
from liturgia.tlog.entries import accept_entry

__all__ = ["MAX_SEARCH_QUERIES", "router"]

#: Most items one search may ask for (Rekor's ``maxSearchQueries``).
MAX_SEARCH_QUERIES = 10


def router(context: AppContext) -> APIRouter:
    """Build the Rekor v1 API's routes over ``context.log``.

    ``GET /api/v1/log/publicKey`` is declared when ``context.public_key`` is given.
    """
    routes = APIRouter()
    log, call, read = context.log, context.call, context.read

    def answer(entry: rekor.LogEntry) -> dict[str, Any]:
        return entry.to_api_json(tree_id=log.tree_id)

    @routes.post(
        ENTRIES_PATH,
        status_code=201,
        operation_id="createLogEntry",
        tags=["entries"],
        openapi_extra=JSON_BODY,
        responses={400: {}, 409: {}, 413: {}},
    )
    async def create_log_entry(request: Request) -> JSONResponse:
        """Verify and add a proposed ``hashedrekord`` or ``dsse`` v0.0.1 entry."""
        proposed = await read_json(request, context.max_body_bytes)
        headers, document = await context.writer.create(proposed)
        return JSONResponse(document, status_code=201, headers=headers)

    @routes.get(ENTRIES_PATH, operation_id="getLogEntryByIndex", tags=["entries"])
    async def get_log_entry_by_index(
        log_index: int = Query(alias="logIndex", ge=0, le=MAX_INT),
    ) -> JSONResponse:
        """Return the entry at a global ``logIndex`` with its inclusion proof."""
        entry = await read(partial(log.entry, log_index))
        if entry is None:
            raise ApiError(404, f"no entry at log index {log_index}")
        return JSONResponse(answer(entry))

    @routes.post(
        f"{ENTRIES_PATH}/retrieve",
        operation_id="searchLogQuery",
        tags=["entries"],
        openapi_extra=JSON_BODY,
        responses={400: {}, 413: {}},
    )
    async def search_log_query(request: Request) -> JSONResponse:
        """Return the entries named by UUID, by log index, or by proposed entry."""
        query = await read_json(request, context.max_body_bytes)
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

    @routes.get(f"{ENTRIES_PATH}/{{entryUUID}}", operation_id="getLogEntryByUUID", tags=["entries"])
    async def get_log_entry_by_uuid(entry_uuid: str = Path(alias="entryUUID")) -> JSONResponse:
        """Return the entry with this UUID (64 hex) or entry ID (80 hex) with its proof."""
        if entry_uuid == "retrieve":  # POST-only searchLogQuery, not an entry ID
            raise ApiError(405, "Method Not Allowed", {"Allow": "POST"})
        entry = await read(partial(log.entry_by_id, entry_uuid.lower()))
        if entry is None:
            raise ApiError(404, f"no entry with UUID {clip(entry_uuid)}")
        return JSONResponse(answer(entry))

    @routes.get("/api/v1/log", operation_id="getLogInfo", tags=["tlog"])
    async def get_log_info() -> JSONResponse:
        """Return the tree size, root hash, signed checkpoint and tree ID."""
        return JSONResponse(await read(log.info))

    if context.public_key is not None:
        pem = context.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

        @routes.get("/api/v1/log/publicKey", operation_id="getPublicKey", tags=["pubkey"])
        async def get_public_key() -> Response:
            """Return the log's public key (PEM), which signs checkpoints and SETs."""
            return Response(pem, media_type="application/x-pem-file")

    @routes.get("/api/v1/log/proof", operation_id="getLogProof", tags=["tlog"])
    async def get_log_proof(
        last_size: int = Query(alias="lastSize", ge=1, le=MAX_INT),
        first_size: int = Query(default=1, alias="firstSize", ge=1, le=MAX_INT),
        tree_id: str | None = Query(
            default=None, alias="treeID", pattern=rf"^[0-9]{{1,{MAX_DIGITS}}}$"
        ),
    ) -> JSONResponse:
        """Return a consistency proof from ``firstSize`` to ``lastSize``."""
        if tree_id is not None and int(tree_id) != log.tree_id:
            raise ApiError(400, f"tree {tree_id} is not this log's tree {log.tree_id}")
        return JSONResponse(await read(partial(log.consistency, first_size, last_size)))

    @routes.post(
        "/api/v1/index/retrieve",
        operation_id="searchIndex",
        tags=["index"],
        openapi_extra=JSON_BODY,
        responses={400: {}, 413: {}},
    )
    async def search_index(request: Request) -> JSONResponse:
        """Return the entry IDs filed under an artifact hash and/or a signer's public key."""
        query = await read_json(request, context.max_body_bytes)
        artifact_hash, key_pem, operator = _index_query(query)
        found = await call(
            partial(log.search, artifact_hash=artifact_hash, public_key=key_pem, operator=operator)
        )
        return JSONResponse(list(found))

    return routes


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
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT
            ):
                raise ApiError(
                    400, f"search field {where} must be a non-negative integer below 2**63"
                )
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
