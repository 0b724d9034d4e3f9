"""The HTTP server of liturgia: the transparency log's Rekor v1 REST API (needs ``server``).

:func:`create_app` builds the ASGI application over a started
:class:`~liturgia.tlog.log.RekorLog`; ``liturgia serve`` runs it on uvicorn.
"""

from __future__ import annotations

from liturgia.server.app import DEFAULT_MAX_BODY_BYTES, ApiError, create_app

__all__ = ["DEFAULT_MAX_BODY_BYTES", "ApiError", "create_app"]
