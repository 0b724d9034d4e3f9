"""Static files of the server's pages, served by the package itself (no CDN).

=====================================  ====================================================
``GET /static/<name>``                 a file of ``liturgia/server/static`` (styles, scripts)
``GET /static/vendor/<name>``          a vendored library (Chart.js, from its npm package by
                                       ``scripts/vendor-assets.sh``)
``GET /docs/assets/<name>``            Swagger UI's ``swagger-ui-bundle.js`` and
                                       ``swagger-ui.css``, from the installed
                                       ``fastapi-swagger`` package (Swagger UI 5, MIT)
=====================================  ====================================================

Only the files present when the application is built are served (a fixed table: no path from
a request reaches the file system). Answers carry ``Cache-Control: public, max-age=3600`` and
the type of their file; an unknown name is a 404.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from liturgia.server.errors import ApiError

__all__ = ["router"]

_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
_SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")
_CACHE = "public, max-age=3600"


def _files(package: str, folder: str | None, names: tuple[str, ...] | None) -> dict[str, bytes]:
    root = resources.files(package)
    for part in (folder or "").split("/"):
        if part:
            root = root / part
    found: dict[str, bytes] = {}
    for item in root.iterdir():
        name = item.name
        if item.is_file() and (names is None or name in names) and _suffix(name) in _TYPES:
            found[name] = item.read_bytes()
    return found


def _suffix(name: str) -> str:
    return name[name.rfind(".") :] if "." in name else ""


def _answer(files: dict[str, bytes], name: str) -> Response:
    body = files.get(name)
    if body is None:
        raise ApiError(404, "no such file")
    return Response(body, media_type=_TYPES[_suffix(name)], headers={"Cache-Control": _CACHE})


def router() -> APIRouter:
    """Build the static files' routes (read into memory once, at build time)."""
    routes = APIRouter(include_in_schema=False)
    own = _files("liturgia.server", "static", None)
    vendored = _files("liturgia.server", "static/vendor", None)
    swagger = _files("fastapi_swagger", "resources", _SWAGGER_FILES)

    @routes.get("/static/{name}")
    async def static_file(name: str) -> Response:
        return _answer(own, name)

    @routes.get("/static/vendor/{name}")
    async def vendored_file(name: str) -> Response:
        return _answer(vendored, name)

    @routes.get("/docs/assets/{name}")
    async def swagger_file(name: str) -> Response:
        return _answer(swagger, name)

    return routes
