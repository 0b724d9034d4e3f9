"""Steps every registry target takes the same way: download a file, read a refusal, read one
file of a package archive."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Mapping

from liturgia._internal.http import HttpClient, HttpResponse
from liturgia.errors import NetworkError

__all__ = ["FILE_BYTES", "download", "first_line", "top_level_member"]

#: Largest file read back from a registry, in bytes (PyPI's default upload limit is 100 MiB).
FILE_BYTES = 1 << 30


def download(http: HttpClient, url: str, headers: Mapping[str, str]) -> bytes:
    """GET ``url`` (redirects followed) and return its body.

    Raises:
        NetworkError: no answer, or another status than 200 (the URL and status named).
    """
    response = http.send("GET", url, headers=headers, follow_redirects=True, max_bytes=FILE_BYTES)
    if response.status != 200:
        raise NetworkError(f"{url}: answered {response.status} to a download")
    return response.body


def first_line(response: HttpResponse) -> str:
    """The first non-blank line of an answer (at most 200 characters): the registry's reason."""
    text = response.body.decode("utf-8", "replace")
    return next((line.strip()[:200] for line in text.splitlines() if line.strip()), "(empty)")


def top_level_member(data: bytes, suffix: str, *, zipped: bool = False) -> bytes | None:
    """The bytes of the first file (by name) one folder deep whose name ends with ``suffix``
    (``/PKG-INFO``, ``.dist-info/METADATA``, ``/package.json``) in a gzip tarball, or a zip
    with ``zipped``; ``None`` when there is none.

    Raises:
        tarfile.TarError, zipfile.BadZipFile, OSError, EOFError: not a readable archive.
    """
    if zipped:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found = sorted(
                n for n in archive.namelist() if n.count("/") == 1 and n.endswith(suffix)
            )
            return archive.read(found[0]) if found else None
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = sorted(
            (m for m in archive.getmembers() if m.isfile() and m.name.count("/") == 1),
            key=lambda m: m.name,
        )
        member = next((m for m in members if m.name.endswith(suffix)), None)
        handle = archive.extractfile(member) if member is not None else None
        return handle.read() if handle is not None else None
