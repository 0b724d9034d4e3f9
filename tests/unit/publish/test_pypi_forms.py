"""The PyPI target's pieces: file selection, core metadata, the multipart form, simple pages."""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import tarfile
import zipfile

import pytest

from liturgia._internal.http import HttpResponse
from liturgia.errors import InputError
from liturgia.publish.credentials import ANONYMOUS
from liturgia.publish.pypi import PypiTarget, _files_of_page, core_metadata, multipart_body

METADATA = (
    b"Metadata-Version: 2.3\nName: demo-pkg\nVersion: 1.2.0\nSummary: a demo\n"
    b"Classifier: A :: B\nClassifier: C :: D\nProject-URL: Home, https://demo.test/\n"
    b"Keywords: one,two\n\nThe long description.\n"
)


def wheel_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo_pkg/__init__.py", "")
        archive.writestr("demo_pkg-1.2.0.dist-info/METADATA", METADATA)
    return buffer.getvalue()


def sdist_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("demo_pkg-1.2.0/PKG-INFO")
        info.size = len(METADATA)
        archive.addfile(info, io.BytesIO(METADATA))
    return buffer.getvalue()


def test_select_takes_wheels_and_sdists_only() -> None:
    target = PypiTarget("staging", "http://index.test/", credentials=ANONYMOUS)
    names = [
        "SHA256SUMS",
        "demo_pkg-1.2.0-py3-none-any.whl",
        "demo_pkg-1.2.0-py3-none-any.whl.sigstore.json",
        "demo_pkg-1.2.0.tar.gz",
        "vertice-frontend-1.2.0.tgz",
        "not a wheel.whl",
    ]
    assert target.select(names) == ("demo_pkg-1.2.0-py3-none-any.whl", "demo_pkg-1.2.0.tar.gz")
    assert target.index_url == "http://index.test/simple/"


@pytest.mark.parametrize(
    ("name", "data"),
    [("demo_pkg-1.2.0-py3-none-any.whl", wheel_bytes()), ("demo_pkg-1.2.0.tar.gz", sdist_bytes())],
)
def test_core_metadata_of_wheel_and_sdist(name: str, data: bytes) -> None:
    metadata = core_metadata(name, data)
    assert (metadata["name"], metadata["version"]) == ("demo-pkg", "1.2.0")
    assert metadata["classifiers"] == ["A :: B", "C :: D"]
    assert metadata["project_urls"] == {"Home": "https://demo.test/"}


def test_core_metadata_refuses_a_broken_archive() -> None:
    with pytest.raises(InputError, match="not a readable distribution archive"):
        core_metadata("demo_pkg-1.2.0.tar.gz", b"not gzip")
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(InputError, match="no core metadata"):
        core_metadata("demo_pkg-1.2.0-py3-none-any.whl", empty.getvalue())


def test_multipart_body_reads_back_with_a_mime_parser() -> None:
    fields = [(":action", "file_upload"), ("classifiers", "A"), ("classifiers", "B"),
              ("summary", 'quote " and é')]  # fmt: skip
    body, content_type = multipart_body(fields, "content", "x.whl", b"\x00\x01binary\r\n")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    parts = [
        (p.get_param("name", header="content-disposition"), p.get_payload(decode=True))
        for p in message.iter_parts()
    ]
    assert parts[:3] == [(":action", b"file_upload"), ("classifiers", b"A"), ("classifiers", b"B")]
    assert parts[3] == ("summary", 'quote " and é'.encode())
    assert parts[4] == ("content", b"\x00\x01binary\r\n")


def test_simple_pages_html_and_json() -> None:
    page = "http://index.test/simple/demo-pkg/"
    html = (
        b'<html><body><a href="../../packages/demo_pkg-1.2.0.tar.gz#sha256=AB12">x</a>'
        b'<a href="/packages/demo_pkg-1.2.0-py3-none-any.whl#md5=ff">y</a></body></html>'
    )
    found = _files_of_page(
        HttpResponse(status=200, body=html, headers={"content-type": "text/html"}), page
    )
    assert found == {
        "demo_pkg-1.2.0.tar.gz": (
            "http://index.test/packages/demo_pkg-1.2.0.tar.gz",
            "ab12",
            False,
        ),
        "demo_pkg-1.2.0-py3-none-any.whl": (
            "http://index.test/packages/demo_pkg-1.2.0-py3-none-any.whl",
            None,
            False,
        ),
    }
    document = {
        "meta": {"api-version": "1.1"},
        "name": "demo-pkg",
        "files": [
            {"filename": "demo_pkg-1.2.0.tar.gz", "url": "f/x.tgz", "hashes": {"sha256": "cd"}}
        ],
    }
    found = _files_of_page(
        HttpResponse(
            status=200,
            body=json.dumps(document).encode(),
            headers={"content-type": "application/vnd.pypi.simple.v1+json"},
        ),
        page,
    )
    assert found == {
        "demo_pkg-1.2.0.tar.gz": ("http://index.test/simple/demo-pkg/f/x.tgz", "cd", False)
    }


def test_simple_pages_say_which_files_are_yanked() -> None:
    """PEP 592: ``data-yanked`` with or without a reason; PEP 691: ``yanked`` true or a reason."""
    page = "http://index.test/simple/demo/"
    html = (
        b'<a href="demo-1.0.tar.gz#sha256=aa" data-yanked="">a</a>'
        b'<a href="demo-1.1.tar.gz#sha256=bb" data-yanked="broken">b</a>'
        b'<a href="demo-1.2.tar.gz#sha256=cc">c</a>'
    )
    found = _files_of_page(
        HttpResponse(status=200, body=html, headers={"content-type": "text/html"}), page
    )
    assert {name: held.yanked for name, held in found.items()} == {
        "demo-1.0.tar.gz": True,
        "demo-1.1.tar.gz": True,
        "demo-1.2.tar.gz": False,
    }
    files = [
        {"filename": f"demo-1.{n}.tar.gz", "url": f"d{n}", "hashes": {}, **extra}
        for n, extra in enumerate([{"yanked": True}, {"yanked": "broken"}, {"yanked": False}, {}])
    ]
    found = _files_of_page(
        HttpResponse(
            status=200,
            body=json.dumps({"meta": {"api-version": "1.0"}, "files": files}).encode(),
            headers={"content-type": "application/vnd.pypi.simple.v1+json"},
        ),
        page,
    )
    assert [found[f"demo-1.{n}.tar.gz"].yanked for n in range(4)] == [True, True, False, False]
