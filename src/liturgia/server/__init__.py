"""The HTTP server of liturgia: the transparency log's Rekor v1 REST API (needs ``server``).

:func:`create_app` builds the ASGI application over a started
:class:`~liturgia.tlog.log.RekorLog` from one router per API group (:mod:`liturgia.server.api`);
:func:`run` serves it on uvicorn as :class:`ServeOptions` say (``liturgia serve``).
"""

from __future__ import annotations

from liturgia.server.app import DEFAULT_MAX_BODY_BYTES, ApiError, create_app
from liturgia.server.process import ServeOptions, run

__all__ = ["DEFAULT_MAX_BODY_BYTES", "ApiError", "ServeOptions", "create_app", "run"]
