"""An npm registry as a publishing target: the release's npm package tarballs.

``npm publish`` semantics over the npm registry API (the CouchDB-style "packument" API that
registry.npmjs.org, verdaccio and other registries speak):

* **Upload**: ``PUT <registry>/<name>`` (a scoped name's ``/`` as ``%2f``) of a package document
  holding one version (the tarball's own ``package.json`` plus ``_id`` and ``dist``: the
  ``shasum`` (SHA-1 hex) and ``integrity`` (Subresource Integrity ``sha512-<base64>``) npm
  writes), the ``dist-tags`` for it and the tarball base64-encoded in ``_attachments``. A final
  version is tagged ``latest``; a pre-release (a SemVer version with ``-``) is tagged ``next``
  and never ``latest``, as ``npm publish --tag next`` does. A registry that already has the
  version answers 409 (or 403 "cannot publish over"): the publisher then looks it up.
* **Lookup and read-back**: ``GET <registry>/<name>`` (the packument); the version's
  ``dist.tarball`` is downloaded and hashed (the registry records SHA-1 and SHA-512, not
  SHA-256, so the bytes themselves are compared).
* **Withdrawal** (``liturgia rollback``): ``npm deprecate`` semantics: the packument is read
  (``?write=true``, as npm reads it to change it), ``versions[V].deprecated`` set to the
  rollback's message, and the document ``PUT`` back without attachments; npm then warns
  whoever installs that version. The tarball must be the release's (same SHA-256): another
  file under that version is not ours to deprecate. A version already deprecated is left as it
  is; nothing is ever unpublished.

A tarball is an npm package when it holds ``<top folder>/package.json`` (``npm pack`` writes
``package/``) with a ``name`` and a ``version``. Credentials (``~/.npmrc``'s ``_authToken`` or
``_auth``, or the environment) are sent as ``Authorization: Bearer`` or ``Basic``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tarfile
import urllib.parse
from collections.abc import Sequence
from typing import Any

from liturgia._internal.http import HttpClient, HttpResponse, check_base_url
from liturgia.config import PublishTarget
from liturgia.errors import ConfigError, InputError, LiturgiaError, NetworkError, PolicyError
from liturgia.publish._exchange import download, first_line, top_level_member
from liturgia.publish.credentials import Credentials, env_prefix, npm_credentials
from liturgia.publish.target import ReleaseFile, Sent, Withdrawal, scaled

__all__ = ["NpmTarget", "dist_tag", "from_settings", "package_manifest"]

#: Largest packument read, in bytes.
_DOCUMENT_BYTES = 64 << 20


def package_manifest(name: str, data: bytes) -> dict[str, Any]:
    """The ``package.json`` inside an npm package tarball (``<top folder>/package.json``).

    Raises:
        InputError: not a gzip tarball, no ``package.json`` under its top folder, or one
            without a string ``name`` and ``version`` (names the file).
    """
    try:
        text = top_level_member(data, "/package.json")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(f"{name}: not a readable package tarball: {exc}") from exc
    if text is None:
        raise InputError(
            f"{name}: not an npm package (no package.json in its top folder, as npm pack writes)"
        )
    try:
        manifest = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{name}: its package.json is not JSON: {exc}") from exc
    if not (
        isinstance(manifest, dict)
        and isinstance(manifest.get("name"), str)
        and isinstance(manifest.get("version"), str)
    ):
        raise InputError(f"{name}: its package.json has no name or no version")
    return manifest


def dist_tag(version: str) -> str:
    """The dist-tag a version is published under: ``latest``, or ``next`` for a SemVer
    pre-release (``1.2.0-rc.1``), which must never become what ``npm install`` picks."""
    return "next" if "-" in version.split("+", 1)[0] else "latest"


class NpmTarget:
    """An npm registry: package tarballs published with ``npm publish`` semantics.

    Args:
        name: the target's configured name.
        url: the registry's base URL (``https://registry.npmjs.org/``, a verdaccio).
        credentials: sent with every request.
        http: the HTTP client (default: 60 s per exchange, 3 attempts).

    Raises:
        ConfigError: ``url`` is not an absolute http(s) URL.
    """

    kind = "npm"

    def __init__(
        self, name: str, url: str, *, credentials: Credentials, http: HttpClient | None = None
    ) -> None:
        self.name = name
        self.registry = check_base_url(url, what=f"publish.{name}.url") + "/"
        self.location = self.registry
        self._credentials = credentials
        self._http = http or HttpClient(timeout=60.0, deadline=300.0)
        self._manifests: dict[str, dict[str, Any]] = {}

    def select(self, names: Sequence[str]) -> tuple[str, ...]:
        """The ``.tgz`` files among ``names`` (``npm pack``'s extension)."""
        return tuple(sorted(n for n in names if n.endswith(".tgz")))

    def _manifest(self, file: ReleaseFile) -> dict[str, Any]:
        if file.sha256 not in self._manifests:
            data = file.path.read_bytes()
            self._manifests[file.sha256] = package_manifest(file.name, data)
        return self._manifests[file.sha256]

    def _document_url(self, package: str) -> str:
        return self.registry + urllib.parse.quote(package, safe="@")

    def _packument(self, package: str, *, write: bool = False) -> dict[str, Any] | None:
        url = self._document_url(package) + ("?write=true" if write else "")
        response = self._http.send(
            "GET",
            url,
            headers={"Accept": "application/json", **self._credentials.bearer()},
            max_bytes=_DOCUMENT_BYTES,
        )
        if response.status == 404:
            return None
        if response.status in (401, 403):
            raise ConfigError(self._refused(response, f"reading {package}"))
        if response.status != 200:
            raise NetworkError(f"{url}: answered {response.status} to a package read")
        try:
            document = json.loads(response.body)
        except (ValueError, RecursionError) as exc:
            raise NetworkError(f"{url}: not a package document: {exc}") from exc
        if not isinstance(document, dict):
            raise NetworkError(f"{url}: not a package document")
        return document

    def _tarball_url(self, file: ReleaseFile) -> str | None:
        manifest = self._manifest(file)
        document = self._packument(manifest["name"])
        versions = (document or {}).get("versions") or {}
        entry = versions.get(manifest["version"])
        if not isinstance(entry, dict):
            return None
        tarball = (entry.get("dist") or {}).get("tarball")
        if not isinstance(tarball, str):
            raise NetworkError(
                f"{self.registry}: {manifest['name']}@{manifest['version']} has no dist.tarball"
            )
        return tarball

    def lookup(self, file: ReleaseFile) -> str | None:
        """SHA-256 of the tarball the registry has for the file's name and version, or ``None``.

        Raises:
            InputError: the file is not an npm package.
            NetworkError: the registry cannot be read.
            ConfigError: it refused the credentials.
        """
        tarball = self._tarball_url(file)
        if tarball is None:
            return None
        return hashlib.sha256(self._get(tarball)).hexdigest()

    def download(self, file: ReleaseFile) -> bytes:
        """The tarball the registry serves for the file's name and version.

        Raises:
            NetworkError: the registry cannot be read or does not list the version.
        """
        tarball = self._tarball_url(file)
        if tarball is None:
            manifest = self._manifest(file)
            raise NetworkError(
                f"{self.registry}: does not list {manifest['name']}@{manifest['version']} "
                "after its upload"
            )
        return self._get(tarball)

    def _get(self, url: str) -> bytes:
        return download(self._http, url, self._credentials.bearer())

    def upload(self, file: ReleaseFile, data: bytes, *, sent: Sent | None = None) -> bool:
        """``PUT`` the package document with the tarball attached; ``False`` when the registry
        already has that version. ``sent`` follows the document's bytes, scaled to the file's.

        Raises:
            InputError: the file is not an npm package.
            ConfigError: the registry refused the credentials (401, or 403 not about the
                version existing).
            PolicyError: the registry refused the package (another 4xx, its message quoted).
            NetworkError: no answer, or a 5xx after the retries.
        """
        manifest = package_manifest(file.name, data)
        package, version = manifest["name"], manifest["version"]
        base = package.rsplit("/", 1)[-1]
        attachment = f"{package}-{version}.tgz"
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        entry = {
            **manifest,
            "_id": f"{package}@{version}",
            "dist": {
                "integrity": integrity,
                "shasum": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
                "tarball": f"{self._document_url(package)}/-/{base}-{version}.tgz",
            },
        }
        document = {
            "_id": package,
            "name": package,
            "description": manifest.get("description", ""),
            "dist-tags": {dist_tag(version): version},
            "versions": {version: entry},
            "access": None,
            "_attachments": {
                attachment: {
                    "content_type": "application/octet-stream",
                    "data": base64.b64encode(data).decode("ascii"),
                    "length": len(data),
                }
            },
        }
        body = json.dumps(document, sort_keys=True).encode()
        response = self._http.send(
            "PUT",
            self._document_url(package),
            body=body,
            headers={"Content-Type": "application/json", **self._credentials.bearer()},
            max_bytes=1 << 20,
            sent=scaled(sent, file.size, len(body)),
        )
        if 200 <= response.status < 300:
            return True
        text = response.body.decode("utf-8", "replace").lower()
        if response.status == 409 or (
            response.status == 403 and ("over" in text or "exist" in text or "present" in text)
        ):
            return False
        raise self._write_error(response, f"publishing {package}@{version}")

    def withdraw(self, files: Sequence[ReleaseFile], *, reason: str) -> Withdrawal:
        """Deprecate each file's ``name@version`` with ``rolled back: REASON`` (npm deprecate).

        Returns:
            ``withdrawn`` once every version the registry has is deprecated (read back), by
            this run or before; ``absent`` when it has none of them.

        Raises:
            InputError: a file is not an npm package.
            PolicyError: the registry holds another tarball under a version (not ours), or
                refused the change.
            ConfigError: it refused the credentials.
            NetworkError: it cannot be reached, or does not show the deprecation after it.
        """
        message = f"rolled back: {' '.join(reason.split())}"
        done: list[str] = []
        for file in sorted(files, key=lambda file: file.name):
            manifest = self._manifest(file)
            spec = f"{manifest['name']}@{manifest['version']}"
            held = self.lookup(file)
            if held is None:
                continue
            if held != file.sha256:
                raise PolicyError(
                    f"{self.registry}: {spec} is another tarball (SHA-256 {held}, the "
                    f"release's {file.sha256}): not deprecated"
                )
            already = self._deprecation(manifest["name"], manifest["version"])
            if already:
                done.append(f"{spec} was already deprecated ({already!r})")
                continue
            self._deprecate(manifest["name"], manifest["version"], message)
            if self._deprecation(manifest["name"], manifest["version"]) != message:
                raise NetworkError(
                    f"{self.registry}: accepted the deprecation of {spec} but does not show it"
                )
            done.append(f"{spec} deprecated ({message!r})")
        if not done:
            return Withdrawal(
                state="absent",
                action="deprecate",
                detail=f"{self.registry}: holds none of these versions: nothing to deprecate",
            )
        return Withdrawal(
            state="withdrawn", action="deprecate", detail=f"{self.registry}: {'; '.join(done)}"
        )

    def _deprecation(self, package: str, version: str) -> str:
        """The version's ``deprecated`` message (``""`` when it is not deprecated)."""
        document = self._packument(package) or {}
        entry = (document.get("versions") or {}).get(version)
        value = entry.get("deprecated") if isinstance(entry, dict) else None
        return value if isinstance(value, str) else ""

    def _deprecate(self, package: str, version: str, message: str) -> None:
        """``PUT`` the packument back with ``versions[version].deprecated = message``."""
        document = self._packument(package, write=True)
        entry = ((document or {}).get("versions") or {}).get(version)
        if document is None or not isinstance(entry, dict):
            raise NetworkError(f"{self.registry}: {package}@{version} vanished while deprecating")
        entry["deprecated"] = message
        document.pop("_attachments", None)
        response = self._http.send(
            "PUT",
            self._document_url(package),
            body=json.dumps(document, sort_keys=True).encode(),
            headers={"Content-Type": "application/json", **self._credentials.bearer()},
            max_bytes=1 << 20,
        )
        if 200 <= response.status < 300:
            return
        raise self._write_error(response, f"deprecating {package}@{version}")

    def _write_error(self, response: HttpResponse, doing: str) -> LiturgiaError:
        """The error of a write the registry did not take: its credentials refused (401, 403:
        ConfigError), the registry failing (5xx: NetworkError), else a refusal (PolicyError)."""
        if response.status in (401, 403):
            return ConfigError(self._refused(response, doing))
        if response.status >= 500:
            return NetworkError(f"{self.registry}: answered {response.status} to {doing}")
        return PolicyError(
            f"{self.registry}: refused {doing} ({response.status}): {_message(response)}"
        )

    def _refused(self, response: HttpResponse, doing: str) -> str:
        return (
            f"{self.registry}: refused the credentials ({self._credentials}) {doing} "
            f"({response.status}); set {env_prefix(self.name)}TOKEN, or a "
            f"//host/:_authToken line for it in ~/.npmrc"
        )


def _message(response: HttpResponse) -> str:
    """The registry's ``error`` field, or the first line of its answer (200 characters)."""
    try:
        document = json.loads(response.body)
    except (ValueError, RecursionError):
        document = None
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, str):
        return error[:200]
    return first_line(response)


def from_settings(name: str, settings: PublishTarget) -> NpmTarget:
    """The target of a ``[publish.NAME]`` table with ``kind = "npm"``.

    Raises:
        ConfigError: the URL is invalid or ``~/.npmrc``'s entry for it is malformed.
    """
    return NpmTarget(name, settings.url, credentials=npm_credentials(name, settings.url))
