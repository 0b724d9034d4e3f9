"""``/docs`` and the static files: served by the package itself, nothing inline, no CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal
from tests.unit.server.test_server_app import TestClient

from liturgia.server import create_app
from liturgia.server.records import open_records
from liturgia.tlog.log import RekorLog


@pytest.fixture
def client(portal: BlockingPortal, log: RekorLog, tmp_path: Path) -> Iterator[TestClient]:
    """The app as ``liturgia serve`` builds it: with the dashboard's pages and records."""
    records = open_records(f"sqlite://{tmp_path / 'records.db'}")
    test_client = TestClient(portal, create_app(log, records=records))
    yield test_client
    test_client.close()
    records.close()


def test_without_records_the_front_page_is_the_api_page(
    portal: BlockingPortal, log: RekorLog
) -> None:
    client = TestClient(portal, create_app(log))
    home = client.get("/")
    assert (home.status_code, home.headers["location"]) == (307, "/docs")
    assert client.get("/projects/x").status_code == 404
    client.close()


def test_docs_page_links_only_the_servers_own_files(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    html = page.text
    assert "http://" not in html and "https://" not in html  # no CDN, no other site
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline script
    assert "style=" not in html and "<style" not in html  # no inline style
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    # Every operation of the OpenAPI document is listed (readable without JavaScript).
    document = client.get("/openapi.json").json()
    for methods in document["paths"].values():
        for operation in methods.values():
            assert f"<td>{operation['operationId']}</td>" in html


def test_static_files_and_their_types(client: TestClient) -> None:
    css = client.get("/static/liturgia.css")
    assert (css.status_code, css.headers["content-type"]) == (200, "text/css; charset=utf-8")
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert js.content.startswith(b"/*! For license information")
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    for missing in ("/static/nothing.css", "/static/..%2Fapp.py", "/docs/assets/index.html"):
        answer = client.get(missing)
        assert answer.status_code == 404, missing
        assert answer.json()["code"] == 404, missing
    # FastAPI's own pages (Swagger UI and ReDoc from a CDN) are gone.
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404
