"""``GET /docs``: the API's documentation page, with nothing loaded from another site.

``GET /`` sends a browser there (307) when the server has no dashboard.

FastAPI's own page loads Swagger UI from a CDN, which an offline or locked-down server cannot
reach (and the Content-Security-Policy forbids). This page is rendered by the server from the
application's OpenAPI document: a table of every operation, readable without JavaScript;
with JavaScript on, Swagger UI (:mod:`liturgia.server.api.assets`) replaces it, started by
``/static/docs.js`` (no inline script).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from liturgia.server.rendering import render

__all__ = ["router"]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def router(
    openapi: Callable[[], dict[str, Any]], openapi_url: str = "/openapi.json", *, home: bool = True
) -> APIRouter:
    """Build ``GET /docs`` over the OpenAPI document ``openapi()`` returns.

    With ``home``, ``GET /`` leads there too (a server without the dashboard's pages).
    """
    routes = APIRouter(include_in_schema=False)

    if home:

        @routes.get("/")
        async def front() -> RedirectResponse:
            """The front page is the API page (a path: no host taken from the request)."""
            return RedirectResponse("/docs", status_code=307)

    @routes.get("/docs")
    async def docs() -> HTMLResponse:
        document = openapi()
        operations = [
            {
                "method": method.upper(),
                "path": path,
                "operation_id": operation.get("operationId", ""),
                "summary": operation.get("summary", ""),
            }
            for path, methods in sorted(document.get("paths", {}).items())
            for method, operation in methods.items()
            if method in _METHODS
        ]
        info = document.get("info", {})
        return render(
            "docs.html",
            title=info.get("title", "API"),
            description=info.get("description", ""),
            openapi_url=openapi_url,
            openapi_version=document.get("openapi", ""),
            operations=operations,
        )

    return routes
