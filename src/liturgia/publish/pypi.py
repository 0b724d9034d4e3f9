"""A PyPI-compatible index as a publishing target: wheels and sdists.

* **Upload**: the legacy upload API that twine uses (PyPI's "Upload API", warehouse's
  ``/legacy/``): one ``multipart/form-data`` POST (RFC 7578) per file, with ``:action`` =
  ``file_upload``, ``protocol_version`` = ``1``, the file as ``content``, its
  ``sha256_digest``, ``filetype`` (``bdist_wheel`` or ``sdist``), ``pyversion``, and the core
  metadata fields read from the file itself (a wheel's ``*.dist-info/METADATA``, an sdist's
  ``PKG-INFO``; core metadata spec), named as twine names them. Credentials are sent with HTTP
  basic auth (RFC 7617), as twine does. An index that already holds the file name answers 400
  (PyPI) or 409 (pypiserver): the publisher then looks it up and decides.
* **Lookup and read-back**: the simple repository API: ``<index>/<normalized name>/``
  (PEP 503 names and HTML, PEP 691 JSON when the index offers it; the file's SHA-256 from
  the link's ``#sha256=`` fragment or the JSON ``hashes``). A redirect to another host (a
  pypiserver's fallback to pypi.org for a project it does not hold) means "not held here".
* **Withdrawal** (``liturgia rollback``): the upload API has no yank (PEP 592 yanking is done
  in the index's web interface: PyPI's "Options > Yank"; pypiserver has none), so
  :meth:`PypiTarget.withdraw` reads the simple API: files marked yanked (PEP 592
  ``data-yanked``, PEP 691 ``yanked``) are ``withdrawn``; otherwise the outcome is ``manual``,
  naming the project and version to yank by hand, and a later rollback run records the yank.

No PEP 740 ``attestations`` field is sent: an attestation object needs a signing certificate
(liturgia signs with keys, no certificate) and PyPI accepts attestations only on a Trusted
Publishing upload, verified against that OIDC identity (docs/publish.md says more).

Every exchange goes through :class:`liturgia._internal.http.HttpClient` (timeouts, a size
cap, retries). The upload POST is retried after a failure because the index deduplicates by
file name: a repeat of a stored upload is answered "exists" and resolved by a lookup.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import tarfile
import urllib.parse
import zipfile
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any, NamedTuple

from packaging.metadata import parse_email
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from liturgia._internal.http import HttpClient, HttpResponse, check_base_url
from liturgia.errors import ConfigError, InputError, NetworkError, PolicyError
from liturgia.publish._exchange import download, first_line, top_level_member
from liturgia.publish.credentials import Credentials, env_prefix
from liturgia.publish.target import ReleaseFile, Sent, Withdrawal, scaled

__all__ = ["PypiTarget", "core_metadata", "multipart_body"]

#: PEP 691 content negotiation: JSON first, HTML (PEP 503) accepted.
_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
#: Largest simple page read, in bytes.
_PAGE_BYTES = 16 << 20
#: Core metadata fields (``packaging.metadata.RawMetadata`` keys) sent under another form name,
#: as twine names them.
_FORM_NAMES = {
    "platforms": "platform",
    "supported_platforms": "supported_platform",
    "license_files": "license_file",
}
#: Fields newer than what the upload API knows of; left out.
_NOT_SENT = frozenset({"import_names", "import_namespaces"})


def _distribution(name: str) -> tuple[str, str, str] | None:
    """``(project, filetype, pyversion)`` of a wheel or sdist file name, else ``None``."""
    if name.endswith(".whl"):
        try:
            project, _version, _build, tags = parse_wheel_filename(name)
        except InvalidWheelFilename:
            return None
        pyversion = ".".join(sorted({tag.interpreter for tag in tags}))
        return str(project), "bdist_wheel", pyversion
    if name.endswith((".tar.gz", ".zip")):
        try:
            project, _version = parse_sdist_filename(name)
        except InvalidSdistFilename:
            return None
        return str(project), "sdist", "source"
    return None


def _version(name: str) -> str:
    """The version in a wheel or sdist file name (``""`` when it is neither)."""
    try:
        if name.endswith(".whl"):
            return str(parse_wheel_filename(name)[1])
        return str(parse_sdist_filename(name)[1])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return ""


def core_metadata(name: str, data: bytes) -> dict[str, Any]:
    """The core metadata of a wheel (``*.dist-info/METADATA``) or sdist (``PKG-INFO``).

    Args:
        name: the file name (says which kind it is).
        data: its bytes.

    Returns:
        ``packaging.metadata.RawMetadata`` as a dict (``name``, ``version``, ``summary``, lists
        such as ``classifiers``, ``project_urls`` as a dict, ...).

    Raises:
        InputError: not a readable archive, no metadata file, or no name and version.
    """
    try:
        if name.endswith(".whl"):
            text = top_level_member(data, ".dist-info/METADATA", zipped=True)
        else:
            text = top_level_member(data, "/PKG-INFO", zipped=name.endswith(".zip"))
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, KeyError) as exc:
        raise InputError(f"{name}: not a readable distribution archive: {exc}") from exc
    if text is None:
        raise InputError(f"{name}: no core metadata in it (METADATA or PKG-INFO)")
    raw, _unparsed = parse_email(text)
    if not raw.get("name") or not raw.get("version"):
        raise InputError(f"{name}: its core metadata has no Name or no Version")
    return dict(raw)


def _form_fields(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """The upload form's metadata fields, in a stable order (lists repeat the field)."""
    fields: list[tuple[str, str]] = []
    for key in sorted(metadata):
        if key in _NOT_SENT:
            continue
        value = metadata[key]
        form = _FORM_NAMES.get(key, key)
        if key == "keywords":
            fields.append((form, ", ".join(value)))
        elif key == "project_urls":
            fields.extend((form, f"{label}, {url}") for label, url in value.items())
        elif isinstance(value, list):
            fields.extend((form, str(item)) for item in value)
        else:
            fields.append((form, str(value)))
    return fields


def _quote(value: str) -> str:
    """A ``Content-Disposition`` parameter value (RFC 7578 §4.2: quotes and line breaks are
    percent-encoded, as browsers and urllib3 do)."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart_body(
    fields: Sequence[tuple[str, str]], file_field: str, file_name: str, data: bytes
) -> tuple[bytes, str]:
    """Encode ``multipart/form-data`` (RFC 7578): text fields, then one file.

    Returns:
        ``(body, content type with its boundary)``.
    """
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"'.encode()
            + b"\r\n\r\n"
            + value.encode("utf-8")
            + b"\r\n"
        )
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(file_field)}"; '
            f'filename="{_quote(file_name)}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Held(NamedTuple):
    """A file an index lists on a project's simple page.

    Attributes:
        url: where it is downloaded (absolute).
        sha256: its hex SHA-256 as the page gives it, or ``None``.
        yanked: the page marks it yanked (PEP 592).
    """

    url: str
    sha256: str | None
    yanked: bool = False


class _Links(HTMLParser):
    """The anchors of a PEP 503 page: ``[(text, href, yanked)]`` (PEP 592 ``data-yanked``)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, bool]] = []
        self._href: str | None = None
        self._yanked = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            self._href = found.get("href") or ""
            self._yanked = "data-yanked" in found
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append(("".join(self._text).strip(), self._href, self._yanked))
            self._href = None


def _files_of_page(response: HttpResponse, page: str) -> dict[str, Held]:
    """``{file name: Held(absolute URL, sha256 or None, yanked)}`` of a simple project page.

    Yanked (PEP 592): an HTML link with a ``data-yanked`` attribute (with or without a
    reason); a PEP 691 file whose ``yanked`` is ``true`` or a reason.

    Raises:
        NetworkError: a PEP 691 JSON page that does not parse.
    """
    content_type = response.headers.get("content-type", "")
    found: dict[str, Held] = {}
    if "json" in content_type:
        try:
            files = json.loads(response.body)["files"]
            for entry in files:
                url = urllib.parse.urljoin(page, entry["url"])
                yanked = entry.get("yanked", False)
                found[entry["filename"]] = Held(
                    url,
                    (entry.get("hashes") or {}).get("sha256"),
                    yanked is True or isinstance(yanked, str),
                )
        except (ValueError, KeyError, TypeError) as exc:
            raise NetworkError(f"{page}: not a PEP 691 project page: {exc}") from exc
        return found
    parser = _Links()
    parser.feed(response.body.decode("utf-8", "replace"))
    for text, href, yanked in parser.links:
        url, _, fragment = urllib.parse.urljoin(page, href).partition("#")
        algorithm, _, digest = fragment.partition("=")
        name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]) or text
        sha256 = digest.lower() if algorithm == "sha256" and digest else None
        found[name] = Held(url, sha256, yanked)
    return found


class PypiTarget:
    """A PyPI-compatible index: wheels and sdists through the legacy upload API.

    Args:
        name: the target's configured name.
        url: the upload endpoint (``https://upload.pypi.org/legacy/``; a pypiserver's root).
        index_url: the simple API (default ``url`` + ``simple/``).
        credentials: sent with each upload (and each read, for an index that protects them).
        http: the HTTP client (default: one with 60 s per exchange, 3 attempts).

    Raises:
        ConfigError: a URL is not an absolute http(s) URL.
    """

    kind = "pypi"

    def __init__(
        self,
        name: str,
        url: str,
        *,
        index_url: str | None = None,
        credentials: Credentials,
        http: HttpClient | None = None,
    ) -> None:
        self.name = name
        self.upload_url = check_base_url(url, what=f"publish.{name}.url") + "/"
        self.index_url = (
            check_base_url(index_url, what=f"publish.{name}.index_url") + "/"
            if index_url
            else self.upload_url + "simple/"
        )
        self.location = self.upload_url
        self._credentials = credentials
        self._http = http or HttpClient(timeout=60.0, deadline=300.0)

    def select(self, names: Sequence[str]) -> tuple[str, ...]:
        """The wheels and sdists among ``names`` (by their PEP 427 / sdist file names)."""
        return tuple(sorted(n for n in names if _distribution(n) is not None))

    def _project(self, file: ReleaseFile) -> str:
        found = _distribution(file.name)
        if found is None:
            raise InputError(f"{file.name}: not a wheel or sdist file name")
        return canonicalize_name(found[0])

    def _page(self, project: str) -> dict[str, Held] | None:
        """The project's files on the index, or ``None`` when it holds none (PEP 503/691)."""
        url = f"{self.index_url}{project}/"
        origin = urllib.parse.urlsplit(url)[:2]
        for _hop in range(4):
            response = self._http.send(
                "GET",
                url,
                headers={"Accept": _ACCEPT, **self._credentials.basic()},
                max_bytes=_PAGE_BYTES,
            )
            if response.status in (301, 302, 303, 307, 308):
                location = urllib.parse.urljoin(url, response.headers.get("location", ""))
                if urllib.parse.urlsplit(location)[:2] != origin:
                    return None  # a fallback to another index: not held here
                url = location
                continue
            if response.status == 404:
                return None
            if response.status in (401, 403):
                raise ConfigError(self._refused(response, "reading the index"))
            if response.status != 200:
                raise NetworkError(f"{url}: answered {response.status} to a simple API read")
            return _files_of_page(response, url)
        raise NetworkError(f"{url}: too many redirects")

    def lookup(self, file: ReleaseFile) -> str | None:
        """The SHA-256 the index has for ``file``'s name, or ``None`` (PEP 503/691).

        A link without a ``sha256`` hash is downloaded and hashed.

        Raises:
            NetworkError: the index cannot be read.
            ConfigError: it refused the credentials.
        """
        page = self._page(self._project(file))
        held = page.get(file.name) if page else None
        if held is None:
            return None
        if held.sha256 is not None:
            return held.sha256
        return hashlib.sha256(self._get(held.url)).hexdigest()

    def download(self, file: ReleaseFile) -> bytes:
        """The bytes the index serves for ``file`` (found through its simple page).

        Raises:
            NetworkError: the index cannot be read, or does not list the file.
        """
        page = self._page(self._project(file))
        held = page.get(file.name) if page else None
        if held is None:
            raise NetworkError(f"{self.index_url}: does not list {file.name} after its upload")
        return self._get(held.url)

    def _get(self, url: str) -> bytes:
        return download(self._http, url, self._credentials.basic())

    def upload(self, file: ReleaseFile, data: bytes, *, sent: Sent | None = None) -> bool:
        """POST ``file`` with the legacy upload API; ``False`` when the index says it exists.

        ``sent`` follows the form's bytes as they go, scaled to the file's size.

        Raises:
            InputError: the file holds no readable core metadata.
            ConfigError: the index refused the credentials (401/403).
            PolicyError: the index refused the file (another 4xx; its message is quoted).
            NetworkError: no answer, or a 5xx after the retries.
        """
        found = _distribution(file.name)
        if found is None:
            raise InputError(f"{file.name}: not a wheel or sdist file name")
        _project, filetype, pyversion = found
        metadata = core_metadata(file.name, data)
        fields = [
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("filetype", filetype),
            ("pyversion", pyversion),
            ("sha256_digest", file.sha256),
            *_form_fields(metadata),
        ]
        body, content_type = multipart_body(fields, "content", file.name, data)
        response = self._http.send(
            "POST",
            self.upload_url,
            body=body,
            headers={"Content-Type": content_type, **self._credentials.basic()},
            retry=True,  # the index refuses a second file of the same name (module docstring)
            max_bytes=1 << 20,
            sent=scaled(sent, file.size, len(body)),
        )
        if 200 <= response.status < 300:
            return True
        if response.status in (400, 409) and b"exist" in response.body.lower():
            return False
        if response.status in (401, 403):
            raise ConfigError(self._refused(response, f"uploading {file.name}"))
        if response.status >= 500:
            raise NetworkError(
                f"{self.upload_url}: answered {response.status} to the upload of {file.name}"
            )
        raise PolicyError(
            f"{self.upload_url}: refused {file.name} ({response.status}): {first_line(response)}"
        )

    def withdraw(self, files: Sequence[ReleaseFile], *, reason: str) -> Withdrawal:
        """Yank is not in the upload API: report whether the index shows ``files`` yanked.

        ``withdrawn`` when every file of ``files`` the index lists is marked yanked (PEP 592:
        someone yanked the version in the index's web interface); ``absent`` when it lists
        none of them; else ``manual``, naming the project and version to yank there. Nothing is
        sent to the index. ``reason`` is for the yank's own reason field, typed by hand.

        Raises:
            NetworkError: the index cannot be read.
            ConfigError: it refused the credentials.
        """
        del reason  # the index keeps it only when it is typed in its web interface
        listed: list[tuple[ReleaseFile, Held]] = []
        projects: dict[str, dict[str, Held] | None] = {}
        versions = set()
        for file in sorted(files, key=lambda file: file.name):
            project = self._project(file)
            versions.add(_version(file.name))
            if project not in projects:
                projects[project] = self._page(project)
            held = (projects[project] or {}).get(file.name)
            if held is not None:
                listed.append((file, held))
        names = " ".join(sorted(projects)) or "(none)"
        what = f"{names} {', '.join(sorted(versions))}"
        if not listed:
            return Withdrawal(
                state="absent",
                action="yank",
                detail=f"{self.index_url}: lists no file of {what}: nothing to yank",
            )
        if all(held.yanked for _file, held in listed):
            return Withdrawal(
                state="withdrawn",
                action="yank",
                detail=f"{self.index_url}: {what} is yanked (PEP 592): pip no longer picks it",
            )
        return Withdrawal(
            state="manual",
            action="yank",
            detail=(
                f"not possible on this index through its upload API: yank {what} in its web "
                f"interface ({len(listed)} files listed, not yanked), then run `liturgia "
                "rollback` again to record it"
            ),
        )

    def _refused(self, response: HttpResponse, doing: str) -> str:
        return (
            f"{self.upload_url}: refused the credentials ({self._credentials}) {doing} "
            f"({response.status}); set {env_prefix(self.name)}USERNAME and ..._PASSWORD (or "
            f"..._TOKEN), or a [{self.name}] section in ~/.pypirc"
        )
