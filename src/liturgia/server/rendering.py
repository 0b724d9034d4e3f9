"""Server-rendered HTML: one Jinja2 environment over ``liturgia/server/templates``.

Every value is escaped (``autoescape`` on for every template) and an undefined name is an
error (``StrictUndefined``), so untrusted text from a request or a record is shown, never
run. Pages link only the server's own scripts and styles (``/static/...``), which the
Content-Security-Policy of :mod:`liturgia.server.hardening` requires: nothing inline.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

__all__ = ["environment", "render"]


@cache
def environment() -> Environment:
    """The templates' environment (built once per process)."""
    return Environment(
        loader=PackageLoader("liturgia.server", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """Render ``template`` with ``values`` as an HTML answer (``text/html; charset=utf-8``).

    Raises:
        jinja2.TemplateError: the template is missing or uses a name not given.
    """
    return HTMLResponse(environment().get_template(template).render(**values), status_code=status)
