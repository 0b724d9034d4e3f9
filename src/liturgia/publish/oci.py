"""Publish a release to an OCI registry: one artifact per version, its evidence as referrers.

Implements, through oras-py (the ORAS project's Python client; extra ``publish``), the client
side of the OCI distribution spec 1.1 and image-spec 1.1 artifacts:

* **The artifact** (image-spec 1.1 "Guidelines for Artifact Usage", case "config.mediaType is
  the empty descriptor"): one image manifest tagged ``<version>`` in ``<registry>/<repository>``,
  ``artifactType`` :data:`RELEASE_ARTIFACT_TYPE`, config the empty descriptor ``{}``, one layer
  per release file (the Go binaries and every other file of the release folder), sorted by name,
  each annotated with its path (``org.opencontainers.image.title``, what ``oras pull`` names the
  file by) and its role (``dev.liturgia.role``). The manifest is serialised with sorted keys and
  no spaces, so the same release gives the same manifest digest.
* **Referrers** (distribution spec 1.1 "Listing Referrers"): each SBOM, provenance statement and
  signature bundle is also pushed as its own manifest whose ``subject`` is the artifact, with the
  ``artifactType`` of its kind (:data:`REFERRER_ARTIFACT_TYPES`). A registry that implements the
  referrers API answers the push with an ``OCI-Subject`` header and lists them under
  ``GET /v2/<name>/referrers/<digest>``; otherwise (CNCF distribution 2.8, Debian's
  ``docker-registry``) the client keeps the list itself as the spec's "Referrers Tag Schema"
  says: an image index tagged ``sha256-<hex of the artifact's digest>``, read, extended without
  duplicates and pushed again. ``oras discover`` reads either.

Safety (issue 19): files are hashed and checked against the digests given before anything is
sent; a tag that already holds a different manifest is refused before any upload
(:class:`~liturgia.errors.PolicyError`, exit 1, naming the first file that differs); blobs are
content-addressed, so a run stopped midway (a registry that died) leaves only whole blobs, and
the next run sends only what is missing, then the tag, then the referrers; a run that finds
everything in place writes nothing (``OciPushResult.changed`` is ``False``). The tag is pushed
after every blob it names, so a reader never sees a tag whose files are missing.

Credentials, never from the command line and never logged (only their source is): the
environment, ``LITURGIA_PUBLISH_<NAME>_USERNAME`` and ``..._PASSWORD`` (``NAME`` the target's
name upper-cased, other characters than letters and digits as ``_``), else the OCI auth file:
``$REGISTRY_AUTH_FILE``, else ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``
(``auths`` entries and credential helpers, as oras-py reads them), else none.

Errors: :class:`~liturgia.errors.NetworkError` (exit 3) when the registry cannot be reached or
answers out of shape; :class:`~liturgia.errors.ConfigError` (exit 2) for a bad repository or
version, or refused credentials; :class:`~liturgia.errors.InputError` (exit 2) for an unreadable
file; :class:`~liturgia.errors.DigestError` (exit 1) when a file's bytes (on disk or downloaded
back) do not hash to the digest given; :class:`~liturgia.errors.PolicyError` (exit 1) for a
different release under an existing tag, or a registry that does not allow deletion
(:meth:`OciTarget.untag`; :meth:`OciTarget.withdraw`, ``liturgia rollback``, reports that
as a ``manual`` outcome).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from liturgia._internal.counted import CountedBody
from liturgia._internal.extras import import_extra
from liturgia._internal.files import CHUNK_SIZE
from liturgia.config import PublishTarget
from liturgia.errors import (
    ConfigError,
    DigestError,
    InputError,
    NetworkError,
    PolicyError,
)
from liturgia.publish.credentials import env_prefix
from liturgia.publish.target import ReleaseFile, Sent, Withdrawal
from liturgia.sign.bundle import BUNDLE_SUFFIX

__all__ = [
    "REFERRER_ARTIFACT_TYPES",
    "RELEASE_ARTIFACT_TYPE",
    "OciEvent",
    "OciFile",
    "OciListing",
    "OciPushResult",
    "OciReferrer",
    "OciRole",
    "OciTarget",
    "from_settings",
    "oci_tag",
    "role_of",
]

_log = logging.getLogger(__name__)

#: ``artifactType`` of a release's artifact manifest (image-spec 1.1 §"artifactType").
RELEASE_ARTIFACT_TYPE = "application/vnd.liturgia.release.v1"
_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_INDEX = "application/vnd.oci.image.index.v1+json"
_EMPTY = "application/vnd.oci.empty.v1+json"
_EMPTY_BYTES = b"{}"
_EMPTY_DIGEST = "sha256:" + hashlib.sha256(_EMPTY_BYTES).hexdigest()
_TITLE = "org.opencontainers.image.title"
_VERSION = "org.opencontainers.image.version"
_ROLE = "dev.liturgia.role"
# distribution spec 1.1 §"Pulling manifests": tag and repository name grammars.
_TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
_REPOSITORY = re.compile(
    r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*"
)


class OciRole(enum.StrEnum):
    """What a release file is; SBOMs, provenance and signatures also become referrers."""

    BINARY = "binary"
    FILE = "file"
    SBOM = "sbom"
    PROVENANCE = "provenance"
    SIGNATURE = "signature"


#: ``artifactType`` of each referrer kind: CycloneDX's and in-toto's registered media types,
#: and the Sigstore bundle's (as cosign attaches bundles). An SPDX SBOM (``*.spdx.json``) is
#: ``application/spdx+json``.
REFERRER_ARTIFACT_TYPES: Mapping[OciRole, str] = {
    OciRole.SBOM: "application/vnd.cyclonedx+json",
    OciRole.PROVENANCE: "application/vnd.in-toto+json",
    OciRole.SIGNATURE: "application/vnd.dev.sigstore.bundle.v0.3+json",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class OciFile:
    """One file of the release to publish.

    Attributes:
        name: its path in the release folder, ``/``-separated, relative (the layer's title).
        path: where it is on disk.
        sha256: its lower-case hex SHA-256 (as the release's ``SHA256SUMS`` lists it).
        role: what it is (:class:`OciRole`).
    """

    name: str
    path: Path
    sha256: str
    role: OciRole


@dataclass(frozen=True, slots=True, kw_only=True)
class OciReferrer:
    """A manifest whose ``subject`` is the release's artifact.

    Attributes:
        digest: the referrer manifest's digest (``sha256:<hex>``).
        artifact_type: its ``artifactType``.
        title: the file it carries (its ``org.opencontainers.image.title`` annotation).
        role: its ``dev.liturgia.role`` annotation (``sbom``, ``provenance``, ``signature``;
            ``""`` for a referrer another tool attached).
    """

    digest: str
    artifact_type: str
    title: str
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OciListing:
    """What the registry holds under one version's tag.

    Attributes:
        reference: ``<registry>/<repository>:<tag>``.
        manifest_digest: the tagged manifest's digest.
        files: file name -> hex SHA-256, from the manifest's layers.
        referrers: the manifests that refer to it, sorted by digest.
    """

    reference: str
    manifest_digest: str
    files: Mapping[str, str]
    referrers: tuple[OciReferrer, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OciPushResult:
    """The outcome of :meth:`OciTarget.publish`.

    Attributes:
        reference: ``<registry>/<repository>:<tag>``.
        manifest_digest: the artifact's manifest digest.
        uploaded: names of the files whose bytes this run sent, sorted.
        present: names of the files the registry already held, sorted.
        referrers: the SBOM, provenance and signature referrers, sorted by digest.
        changed: ``False`` when the run wrote nothing (everything was already there).
    """

    reference: str
    manifest_digest: str
    uploaded: tuple[str, ...]
    present: tuple[str, ...]
    referrers: tuple[OciReferrer, ...]
    changed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class OciEvent:
    """Progress of a push, for a progress bar: one event per file, after it is in place.

    Attributes:
        name: the file.
        size: its size in bytes.
        state: ``"uploaded"`` or ``"present"``.
    """

    name: str
    size: int
    state: str


def oci_tag(version: str) -> str:
    """The tag of ``version``: ``+`` (semver build metadata) becomes ``_``, as Helm does.

    Raises:
        ConfigError: the result is not a valid tag (distribution spec 1.1 tag grammar).
    """
    tag = version.replace("+", "_")
    if not _TAG.fullmatch(tag):
        raise ConfigError(
            f"version {version!r} cannot be an OCI tag: a tag is up to 128 letters, digits, "
            "'.', '_' or '-', not starting with '.' or '-'"
        )
    return tag


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _descriptor(media_type: str, data: bytes) -> dict[str, Any]:
    return {
        "mediaType": media_type,
        "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }


def _media_type(file: OciFile) -> str:
    if file.role is OciRole.SBOM and file.name.endswith(".spdx.json"):
        return "application/spdx+json"
    if file.role is OciRole.PROVENANCE and file.name.endswith(BUNDLE_SUFFIX):
        # An in-toto statement inside a Sigstore bundle (DSSE), as cosign attaches one.
        return REFERRER_ARTIFACT_TYPES[OciRole.SIGNATURE]
    return REFERRER_ARTIFACT_TYPES.get(file.role, "application/octet-stream")


def _check_name(name: str) -> None:
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or ".." in parts or "\\" in name:
        raise InputError(f"{name}: not a relative path inside the release folder")


def _hash_file(file: OciFile) -> int:
    """Hash ``file`` and compare with its given digest; return its size in bytes."""
    digest = hashlib.sha256()
    size = 0
    try:
        with file.path.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise InputError(f"{file.path}: cannot read: {exc.strerror or exc}") from exc
    if digest.hexdigest() != file.sha256.lower():
        raise DigestError(
            f"{file.name}: its bytes hash to sha256:{digest.hexdigest()}, not the "
            f"sha256:{file.sha256} the release lists: the release folder changed; verify it"
        )
    return size


def _env_credentials(target: str) -> tuple[str, str] | None:
    prefix = env_prefix(target)
    username = os.environ.get(prefix + "USERNAME")
    password = os.environ.get(prefix + "PASSWORD")
    if not (username or password):
        return None
    if not (username and password):
        raise ConfigError(
            f"{prefix}USERNAME and {prefix}PASSWORD go together: set both, or neither"
        )
    return username, password


def _auth_file() -> str | None:
    explicit = os.environ.get("REGISTRY_AUTH_FILE")
    if explicit:
        return explicit
    docker_config = os.environ.get("DOCKER_CONFIG")
    return str(Path(docker_config) / "config.json") if docker_config else None


class OciTarget:
    """One repository of an OCI registry that releases are published to.

    Args:
        name: the target's configured name (``staging``, ...), for credentials and messages.
        url: the registry's base URL: ``https://registry.example`` (``http://`` for a
            registry without TLS, such as one on loopback).
        repository: the repository in it (``acme/vertice``).
        attempts: how many times one request is tried when the connection fails (at least 1);
            the waits between tries are ``backoff`` seconds, then twice the previous one.
        backoff: the first wait between tries, in seconds.
        timeout: seconds to wait for the registry to connect, and then for each read.

    Raises:
        ConfigError: the URL or the repository is malformed.
        MissingExtraError: the ``publish`` extra (oras) is not installed.
    """

    kind = "oci"

    def __init__(
        self,
        *,
        name: str,
        url: str,
        repository: str,
        attempts: int = 3,
        backoff: float = 0.5,
        timeout: float = 60.0,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
            raise ConfigError(
                f"[publish.{name}] url {url!r}: an OCI registry is http(s)://HOST[:PORT], "
                "with no path (the repository goes in 'repository')"
            )
        if not _REPOSITORY.fullmatch(repository):
            raise ConfigError(
                f"[publish.{name}] repository {repository!r}: lower-case letters and digits, "
                "'.', '_' or '-' between them, parts joined by '/' (distribution spec 1.1)"
            )
        self.name = name
        self.host = parts.netloc
        self.repository = repository
        self.location = f"{parts.scheme}://{self.host}/{repository}"
        self._scheme = parts.scheme
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._timeout = timeout
        feature = "publishing to an OCI registry"
        self._oras = import_extra("oras.provider", extra="publish", feature=feature)
        self._oras_auth = import_extra("oras.auth", extra="publish", feature=feature)
        self._requests = import_extra("requests", extra="publish", feature=feature)
        self._client: Any = None
        # The per-file interface's plan, per version: every file looked up, and those sent.
        self._planned: dict[str, dict[str, OciFile]] = {}
        self._sent: dict[str, set[str]] = {}
        self._listings: dict[str, OciListing | None] = {}
        # Told the bytes sent of the blob being uploaded (upload progress), else None.
        self._sending: Sent | None = None

    # -- the oras client ---------------------------------------------------------------------

    def _registry(self) -> Any:
        """The oras client, made on first use, its auth chosen by the registry's challenge."""
        if self._client is not None:
            return self._client
        insecure = self._scheme == "http"
        client = self._oras.Registry(hostname=self.host, insecure=insecure)
        # oras-py retries a failed connection after 3, 5, 11, 29 and 83 s: ours is bounded.
        # oras-py sets no timeout: a registry that accepts and never answers would hang us.
        client.session.request = functools.partial(client.session.request, timeout=self._timeout)
        unwrapped = type(client).do_request.__wrapped__
        client.do_request = functools.partial(self._retrying, functools.partial(unwrapped, client))
        # The challenge is read without oras's auth retry, which would answer it first.
        probe = self._retrying(
            lambda url, method: client.session.request(method, url),
            f"{self._scheme}://{self.host}/v2/",
        )
        challenge = probe.headers.get("WWW-Authenticate", "") if probe.status_code == 401 else ""
        if challenge.lower().startswith("basic"):
            # oras-py's default backend asks a token service; a Basic realm takes the password.
            client.auth = self._oras_auth.get_auth_backend(
                "basic", client.session, insecure, tls_verify=True
            )
        found = _env_credentials(self.name)
        source = "none"
        if found is not None:
            client.auth.set_basic_auth(*found)
            source = "environment"
        else:
            auth_file = _auth_file()
            client.auth.load_configs(
                client.get_container(f"{self.host}/{self.repository}"),
                configs=[auth_file] if auth_file else None,
            )
            if getattr(client.auth, "_basic_auth", None):
                source = auth_file or "~/.docker/config.json"
        _log.debug("%s: credentials from %s", self.location, source)
        if challenge.lower().startswith("basic") and source == "none":
            raise ConfigError(
                f"{self.location}: the registry asks for a password and none was found: set "
                f"{env_prefix(self.name)}USERNAME and _PASSWORD, or log in to the registry "
                "(REGISTRY_AUTH_FILE, ~/.docker/config.json)"
            )
        self._client = client
        return client

    def _retrying(
        self, call: Callable[..., Any], url: str, method: str = "GET", **kwargs: Any
    ) -> Any:
        delay = self._backoff
        data = kwargs.get("data")
        if self._sending is not None and method == "PUT" and isinstance(data, bytes) and data:
            # oras-py PUTs a blob's bytes in one request: sent as counted chunks for a bar
            # (requests streams an iterable body, its Content-Length from len()).
            kwargs["data"] = CountedBody(data, self._sending)
        for attempt in range(1, self._attempts + 1):
            try:
                return call(url, method, **kwargs)
            except (self._requests.ConnectionError, self._requests.Timeout) as exc:
                path = urllib.parse.urlsplit(url).path
                if attempt == self._attempts:
                    raise NetworkError(
                        f"{self.location}: {method} {path} failed after {attempt} "
                        f"attempt(s): {type(exc).__name__}: the registry is unreachable or "
                        "broke off; run again to complete the publication"
                    ) from exc
                _log.info(
                    "%s: %s %s failed, retrying in %.1f s", self.location, method, path, delay
                )
                time.sleep(delay)
                delay *= 2
            except self._requests.RequestException as exc:
                raise NetworkError(
                    f"{self.location}: {method} {urllib.parse.urlsplit(url).path}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _container(self) -> Any:
        """The oras container of the repository (its tag is unused: each call names one)."""
        return self._registry().get_container(f"{self.host}/{self.repository}:latest")

    def _check(self, response: Any, what: str, ok: Sequence[int]) -> Any:
        """Return ``response`` if its status is in ``ok``; raise the error that fits if not."""
        if response.status_code in ok:
            return response
        if response.status_code in (401, 403):
            raise ConfigError(
                f"{self.location}: {what}: the registry refused the credentials "
                f"({response.status_code}): set {env_prefix(self.name)}USERNAME and _PASSWORD, "
                "or log in to the registry (REGISTRY_AUTH_FILE, ~/.docker/config.json)"
            )
        try:
            errors = response.json().get("errors") or []
            detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
        except (ValueError, AttributeError):
            detail = ""
        raise NetworkError(
            f"{self.location}: {what}: the registry answered {response.status_code} "
            f"{detail or response.reason or ''}".rstrip()
        )

    def _manifest_url(self, reference: str) -> str:
        return f"{self._scheme}://{self._container().manifest_url(reference)}"

    def _get_manifest(self, reference: str, media_type: str) -> tuple[str, bytes] | None:
        """The digest and exact bytes of manifest ``reference``, or ``None`` when absent."""
        response = self._registry().do_request(
            self._manifest_url(reference), "GET", headers={"Accept": media_type}
        )
        self._check(response, f"reading manifest {reference}", (200, 404))
        if response.status_code == 404:
            return None
        body: bytes = response.content
        return "sha256:" + hashlib.sha256(body).hexdigest(), body

    def _put_manifest(self, reference: str, media_type: str, body: bytes) -> Any:
        # oras-py's upload_manifest re-serialises a dict; the digest is of these exact bytes.
        response = self._registry().do_request(
            self._manifest_url(reference), "PUT", data=body, headers={"Content-Type": media_type}
        )
        return self._check(response, f"pushing manifest {reference}", (201,))

    def _ensure_blob(
        self, path: Path, descriptor: Mapping[str, Any], *, sent: Sent | None = None
    ) -> bool:
        """Upload the blob at ``path`` unless the registry holds it; ``True`` if it was sent.

        ``sent`` is told the bytes of the blob sent so far (only when it is sent).
        """
        client = self._registry()
        container = self._container()
        layer = dict(descriptor)
        if client.blob_exists(layer, container):
            return False
        self._sending = sent
        try:
            response = client.put_upload(str(path), container, layer)
        finally:
            self._sending = None
        self._check(response, f"uploading {descriptor['digest']}", (201,))
        return True

    # -- reading -----------------------------------------------------------------------------

    def existing(self, version: str) -> OciListing | None:
        """What the registry holds under ``version``'s tag, or ``None`` when the tag is absent.

        Raises:
            NetworkError: the registry is unreachable or answers out of shape.
            ConfigError: credentials refused; ``version`` is not a valid tag.
        """
        tag = oci_tag(version)
        found = self._get_manifest(tag, _MANIFEST)
        if found is None:
            return None
        digest, body = found
        manifest = self._parse(body, f"manifest {tag}")
        files: dict[str, str] = {}
        for layer in manifest.get("layers") or []:
            title = (layer.get("annotations") or {}).get(_TITLE) or layer.get("digest", "")
            files[str(title)] = str(layer.get("digest", "")).removeprefix("sha256:")
        return OciListing(
            reference=f"{self.host}/{self.repository}:{tag}",
            manifest_digest=digest,
            files=files,
            referrers=self.referrers(digest),
        )

    def _parse(self, body: bytes, what: str) -> dict[str, Any]:
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise NetworkError(f"{self.location}: {what} is not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise NetworkError(f"{self.location}: {what} is not a JSON object")
        return document

    def referrers(self, digest: str) -> tuple[OciReferrer, ...]:
        """The manifests whose ``subject`` is ``digest``, sorted by digest.

        Asks the referrers API (distribution spec 1.1 §"Listing Referrers"); a registry
        without it (404) is read through the referrers tag schema (``sha256-<hex>``).

        Raises:
            NetworkError: the registry is unreachable or answers out of shape.
        """
        client = self._registry()
        url = f"{self._scheme}://{self.host}/v2/{self.repository}/referrers/{digest}"
        response = client.do_request(url, "GET", headers={"Accept": _INDEX})
        self._check(response, f"listing referrers of {digest}", (200, 404))
        index: dict[str, Any] | None = None
        if response.status_code == 200 and response.headers.get("Content-Type", "").startswith(
            _INDEX
        ):
            index = self._parse(response.content, f"referrers of {digest}")
        else:
            found = self._get_manifest(_referrers_tag(digest), _INDEX)
            index = None if found is None else self._parse(found[1], _referrers_tag(digest))
        if index is None:
            return ()
        return tuple(
            sorted(
                (
                    OciReferrer(
                        digest=str(entry.get("digest", "")),
                        artifact_type=str(entry.get("artifactType", "")),
                        title=str((entry.get("annotations") or {}).get(_TITLE, "")),
                        role=str((entry.get("annotations") or {}).get(_ROLE, "")),
                    )
                    for entry in index.get("manifests") or []
                ),
                key=lambda referrer: referrer.digest,
            )
        )

    # -- writing -----------------------------------------------------------------------------

    def publish(
        self,
        version: str,
        files: Sequence[OciFile],
        *,
        progress: Callable[[OciEvent], None] | None = None,
    ) -> OciPushResult:
        """Push ``files`` as the artifact tagged ``version``, then its referrers.

        Args:
            version: the release's version (its tag, see :func:`oci_tag`).
            files: every file of the release folder; SBOMs, provenance and signatures are
                also attached as referrers.
            progress: called once per file, after its blob is in the registry.

        Returns:
            What was sent and what was there; ``changed`` is ``False`` for a no-op.

        Raises:
            InputError: a name is not a relative path, appears twice, or a file is unreadable.
            DigestError: a file does not hash to its given digest (nothing was sent).
            PolicyError: the tag holds a different release (nothing was sent); the message
                names the first file that differs.
            NetworkError: the registry failed midway (whole blobs may be stored: run again).
            ConfigError: credentials refused, or ``version`` is not a valid tag.
        """
        tag = oci_tag(version)
        ordered = sorted(files, key=lambda file: file.name)
        names = [file.name for file in ordered]
        for name in names:
            _check_name(name)
        if len(set(names)) != len(names):
            twice = next(name for name in names if names.count(name) > 1)
            raise InputError(f"{twice}: given twice")
        sizes = {file.name: _hash_file(file) for file in ordered}
        layers = [
            {
                "mediaType": _media_type(file),
                "digest": "sha256:" + file.sha256.lower(),
                "size": sizes[file.name],
                "annotations": {_ROLE: str(file.role), _TITLE: file.name},
            }
            for file in ordered
        ]
        body = _canonical(
            {
                "schemaVersion": 2,
                "mediaType": _MANIFEST,
                "artifactType": RELEASE_ARTIFACT_TYPE,
                "config": _descriptor(_EMPTY, _EMPTY_BYTES),
                "layers": layers,
                "annotations": {_VERSION: version},
            }
        )
        subject = _descriptor(_MANIFEST, body)
        reference = f"{self.host}/{self.repository}:{tag}"
        held = self._get_manifest(tag, _MANIFEST)
        if held is not None and held[0] != subject["digest"]:
            raise PolicyError(self._difference(reference, held[1], ordered))
        changed = False
        uploaded: list[str] = []
        present: list[str] = []
        changed |= self._ensure_empty_blob()
        for file in ordered:
            sent = self._ensure_blob(file.path, layers[names.index(file.name)])
            (uploaded if sent else present).append(file.name)
            changed |= sent
            if progress is not None:
                progress(
                    OciEvent(
                        name=file.name,
                        size=sizes[file.name],
                        state="uploaded" if sent else "present",
                    )
                )
        if held is None:
            self._put_manifest(tag, _MANIFEST, body)
            changed = True
            _log.info("%s: pushed %s", reference, subject["digest"])
        referrers, referrers_changed = self._attach(ordered, layers, subject)
        return OciPushResult(
            reference=reference,
            manifest_digest=subject["digest"],
            uploaded=tuple(uploaded),
            present=tuple(present),
            referrers=referrers,
            changed=changed or referrers_changed,
        )

    def _difference(self, reference: str, held: bytes, files: Sequence[OciFile]) -> str:
        """The refusal message for a tag that holds another release: the first differing file."""
        manifest = self._parse(held, reference)
        there = {
            str((layer.get("annotations") or {}).get(_TITLE, "")): str(layer.get("digest", ""))
            for layer in manifest.get("layers") or []
        }
        ours = {file.name: "sha256:" + file.sha256.lower() for file in files}
        for name in sorted(set(there) | set(ours)):
            if name not in ours:
                why = "is published there but not in this release"
            elif name not in there:
                why = "is in this release but not in the published one"
            elif there[name] != ours[name]:
                why = f"is published there as {there[name]}, this release has {ours[name]}"
            else:
                continue
            break
        else:
            name, why = "(manifest)", "the published manifest differs in its annotations"
        return (
            f"{reference} already holds another release: {name} {why}; a published version "
            "is never changed: publish a new version (or roll this one back first)"
        )

    def _ensure_empty_blob(self) -> bool:
        """The empty config blob ``{}`` (image-spec 1.1 §"Guidance for an Empty Descriptor")."""
        with tempfile.TemporaryDirectory(prefix="liturgia-oci-") as folder:
            path = Path(folder) / "empty.json"
            path.write_bytes(_EMPTY_BYTES)
            return self._ensure_blob(path, _descriptor(_EMPTY, _EMPTY_BYTES))

    def _attach(
        self,
        files: Sequence[OciFile],
        layers: Sequence[Mapping[str, Any]],
        subject: Mapping[str, Any],
    ) -> tuple[tuple[OciReferrer, ...], bool]:
        """Push one referrer manifest per SBOM, provenance and signature; keep the list."""
        changed = False
        entries: list[dict[str, Any]] = []
        needs_tag_schema = False
        for file, layer in zip(files, layers, strict=True):
            if file.role not in REFERRER_ARTIFACT_TYPES:
                continue
            annotations = {_ROLE: str(file.role), _TITLE: file.name}
            artifact_type = _media_type(file)
            body = _canonical(
                {
                    "schemaVersion": 2,
                    "mediaType": _MANIFEST,
                    "artifactType": artifact_type,
                    "config": _descriptor(_EMPTY, _EMPTY_BYTES),
                    "layers": [layer],
                    "subject": dict(subject),
                    "annotations": annotations,
                }
            )
            entry = _descriptor(_MANIFEST, body)
            if self._get_manifest(entry["digest"], _MANIFEST) is None:
                response = self._put_manifest(entry["digest"], _MANIFEST, body)
                changed = True
                # distribution spec 1.1 §"Pushing Manifests with Subject": no OCI-Subject
                # header means the registry keeps no referrers list: the client keeps it.
                needs_tag_schema |= "OCI-Subject" not in response.headers
            entries.append({**entry, "artifactType": artifact_type, "annotations": annotations})
        if entries and (needs_tag_schema or not self._has_referrers_api(subject["digest"])):
            changed |= self._update_referrers_tag(subject["digest"], entries)
        return self.referrers(subject["digest"]), changed

    def _has_referrers_api(self, digest: str) -> bool:
        url = f"{self._scheme}://{self.host}/v2/{self.repository}/referrers/{digest}"
        response = self._registry().do_request(url, "GET", headers={"Accept": _INDEX})
        return bool(
            response.status_code == 200
            and response.headers.get("Content-Type", "").startswith(_INDEX)
        )

    def _update_referrers_tag(self, digest: str, entries: Sequence[Mapping[str, Any]]) -> bool:
        """Add ``entries`` to the ``sha256-<hex>`` index, without duplicates (spec 1.1
        §"Referrers Tag Schema"); ``True`` if the index was pushed."""
        tag = _referrers_tag(digest)
        found = self._get_manifest(tag, _INDEX)
        index: dict[str, Any] = {"schemaVersion": 2, "mediaType": _INDEX, "manifests": []}
        if found is not None:
            index = self._parse(found[1], tag)
            if index.get("mediaType") != _INDEX or not isinstance(index.get("manifests"), list):
                raise NetworkError(
                    f"{self.location}: tag {tag} is not a referrers index (OCI image index): "
                    "another tool wrote it; remove it and publish again"
                )
        listed = {str(entry.get("digest")) for entry in index["manifests"]}
        missing = [dict(entry) for entry in entries if entry["digest"] not in listed]
        if not missing:
            return False
        index["manifests"] = sorted(
            [*index["manifests"], *missing], key=lambda entry: str(entry.get("digest"))
        )
        self._put_manifest(tag, _INDEX, _canonical(index))
        return True

    # -- the per-file interface of liturgia.publish (select, lookup, upload, download) ---------

    def select(self, names: Sequence[str]) -> tuple[str, ...]:
        """Every file of the release folder goes into the artifact: return ``names`` sorted."""
        return tuple(sorted(names))

    def lookup(self, file: ReleaseFile) -> str | None:
        """The hex SHA-256 the version's tag lists under ``file.name``, or ``None``.

        The version is the release folder's (its ``gate-report.json``). Every file looked up is
        part of the artifact that :meth:`upload` pushes once the last missing one is sent.

        Raises:
            InputError: the release folder has no readable ``gate-report.json`` version.
            NetworkError: the registry is unreachable or answers out of shape.
        """
        version = _release_version(file)
        self._planned.setdefault(version, {})[file.name] = _as_oci(file)
        if version not in self._listings:
            self._listings[version] = self.existing(version)
        listing = self._listings[version]
        return None if listing is None else listing.files.get(file.name)

    def upload(self, file: ReleaseFile, data: bytes, *, sent: Sent | None = None) -> bool:
        """Send ``file``'s blob (``sent`` told its bytes as they go); once every looked-up file
        missing from the tag is sent, push the artifact and its referrers (:meth:`publish`).
        Always ``True``.

        Raises:
            As :meth:`publish`; ``PolicyError`` when the tag holds another release.
        """
        version = _release_version(file)
        planned = self._planned.setdefault(version, {})
        planned.setdefault(file.name, _as_oci(file))
        oci_file = planned[file.name]
        self._ensure_blob(oci_file.path, _descriptor(_media_type(oci_file), data), sent=sent)
        done = self._sent.setdefault(version, set())
        done.add(file.name)
        listing = self._listings.get(version)
        held = {} if listing is None else listing.files
        if all(
            name in done or held.get(name) == planned_file.sha256
            for name, planned_file in planned.items()
        ):
            self.publish(version, list(planned.values()))
            self._listings.pop(version, None)
            self._sent.pop(version, None)
            self._planned.pop(version, None)
        return True

    def download(self, file: ReleaseFile) -> bytes:
        """The bytes the registry serves for ``file`` under its version's tag.

        Raises:
            NetworkError: the tag is absent or does not list the file, or the registry fails.
        """
        version = _release_version(file)
        listing = self.existing(version)
        digest = None if listing is None else listing.files.get(file.name)
        if digest is None:
            raise NetworkError(
                f"{self.location}:{oci_tag(version)} does not list {file.name}: publish again"
            )
        client = self._registry()
        response = client.get_blob(self._container(), f"sha256:{digest}")
        self._check(response, f"downloading {file.name}", (200,))
        body: bytes = response.content
        return body

    # -- validation and rollback -------------------------------------------------------------

    def fetch_back(self, version: str, files: Sequence[OciFile]) -> tuple[str, ...]:
        """Download every file of ``version`` back and compare it digest by digest.

        Post-deployment validation: the tag must list exactly ``files``, every blob must hash
        to its file's SHA-256, and every SBOM, provenance and signature must be listed as a
        referrer of the artifact.

        Returns:
            The names verified, sorted.

        Raises:
            PolicyError: the tag is absent, lists other files, or a referrer is missing.
            DigestError: a downloaded blob does not hash to its file's digest (names it).
            NetworkError: the registry is unreachable or answers out of shape.
        """
        listing = self.existing(version)
        reference = f"{self.host}/{self.repository}:{oci_tag(version)}"
        if listing is None:
            raise PolicyError(f"{reference}: not in the registry: publish it (again)")
        wanted = {file.name: file.sha256.lower() for file in files}
        if set(listing.files) != set(wanted):
            odd = sorted(set(listing.files) ^ set(wanted))[0]
            raise PolicyError(f"{reference}: {odd} is not both in the release and published")
        client = self._registry()
        container = self._container()
        for name in sorted(wanted):
            if listing.files[name] != wanted[name]:
                raise DigestError(
                    f"{reference}: {name} is published as sha256:{listing.files[name]}, "
                    f"the release has sha256:{wanted[name]}"
                )
            digest = hashlib.sha256()
            response = client.get_blob(container, "sha256:" + wanted[name], stream=True)
            with response:
                self._check(response, f"downloading {name}", (200,))
                for chunk in response.iter_content(chunk_size=CHUNK_SIZE):
                    digest.update(chunk)
            if digest.hexdigest() != wanted[name]:
                raise DigestError(
                    f"{reference}: {name} downloaded back hashes to sha256:{digest.hexdigest()}, "
                    f"not sha256:{wanted[name]}: the registry serves other bytes"
                )
        titles = {referrer.title for referrer in listing.referrers}
        for file in sorted(files, key=lambda file: file.name):
            if file.role in REFERRER_ARTIFACT_TYPES and file.name not in titles:
                raise PolicyError(
                    f"{reference}: {file.name} is not listed as a referrer of "
                    f"{listing.manifest_digest}: publish again to attach it"
                )
        return tuple(sorted(wanted))

    def withdraw(self, files: Sequence[ReleaseFile], *, reason: str) -> Withdrawal:
        """Untag the version ``files`` were published as (:meth:`untag`), if its tag still
        holds exactly those files.

        Returns:
            ``withdrawn`` (untagged now), ``absent`` (no such tag), or ``manual`` when the
            registry does not allow deletion (405).

        Raises:
            InputError: the release folder has no readable version.
            PolicyError: the tag holds other files than ``files`` (not untagged).
            NetworkError: the registry is unreachable or answers out of shape.
            ConfigError: credentials refused.
        """
        del reason  # a registry keeps no message with a deletion
        versions = sorted({_release_version(file) for file in files})
        done: list[str] = []
        for version in versions:
            reference = f"{self.host}/{self.repository}:{oci_tag(version)}"
            listing = self.existing(version)
            if listing is None:
                continue
            ours = {f.name: f.sha256.lower() for f in files if _release_version(f) == version}
            if dict(listing.files) != ours:
                raise PolicyError(
                    f"{reference} holds other files than the release published there: not "
                    "untagged; look at it with `oras manifest fetch`"
                )
            try:
                digest = self.untag(version)
            except PolicyError as exc:
                return Withdrawal(state="manual", action="untag", detail=str(exc))
            done.append(f"{reference} untagged ({digest}; blobs and referrers kept)")
        if not done:
            return Withdrawal(
                state="absent",
                action="untag",
                detail=f"{self.location}: no tag {', '.join(map(oci_tag, versions))}: "
                "nothing to untag",
            )
        return Withdrawal(state="withdrawn", action="untag", detail="; ".join(done))

    def untag(self, version: str) -> str | None:
        """Untag ``version``: delete the tag (spec 1.1), or the manifest where tags cannot be.

        The blobs and the referrers stay (a registry's garbage collection removes what nothing
        references). Deleting by digest removes every tag of that manifest.

        Returns:
            The digest of the manifest that was untagged, or ``None`` when the tag was absent.

        Raises:
            PolicyError: the registry does not allow deletion (405: distribution's
                ``storage.delete.enabled`` is off).
            NetworkError: the registry is unreachable or answers out of shape.
        """
        tag = oci_tag(version)
        held = self._get_manifest(tag, _MANIFEST)
        if held is None:
            return None
        client = self._registry()
        response = client.do_request(self._manifest_url(tag), "DELETE")
        if response.status_code != 202:
            # distribution 2.8 deletes manifests by digest only (tag deletion is optional).
            response = client.do_request(self._manifest_url(held[0]), "DELETE")
        if response.status_code == 405:
            raise PolicyError(
                f"{self.host}/{self.repository}:{tag}: the registry does not allow deletion "
                "(405): untag it in the registry's own interface, or enable deletion"
            )
        self._check(response, f"deleting {tag}", (202,))
        _log.info("%s/%s: untagged %s (%s)", self.host, self.repository, tag, held[0])
        return held[0]


def _referrers_tag(digest: str) -> str:
    """The referrers tag schema's tag of ``digest``: ``<alg>-<ref>`` (spec 1.1)."""
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}-{encoded}"[:128]


def from_settings(name: str, settings: PublishTarget) -> OciTarget:
    """The target of a ``[publish.NAME]`` table with ``kind = "oci"``.

    Raises:
        ConfigError: ``repository`` is missing or malformed, or ``url`` is.
        MissingExtraError: the ``publish`` extra (oras) is not installed.
    """
    if not settings.repository:
        raise ConfigError(
            f'[publish.{name}]: an oci target needs repository = "OWNER/NAME" (the '
            "repository in the registry)"
        )
    return OciTarget(name=name, url=settings.url, repository=settings.repository)


#: First bytes of executables: ELF, PE (``MZ``), Mach-O (32/64-bit, both orders) and fat Mach-O.
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def role_of(name: str, path: Path) -> OciRole:
    """The role of a release file, from its name (liturgia's release folder names) or, for a
    binary, its first bytes.

    ``*.intoto.sigstore.json`` and ``*.intoto.jsonl`` are in-toto attestations (provenance, and
    the SBOM and scan attestations: role ``provenance``); any other ``*.sigstore.json`` is a
    signature bundle; ``*.cdx.json``, ``*.spdx.json`` an SBOM; an ELF, PE or Mach-O file a
    binary; anything else a file.

    Raises:
        InputError: ``path`` cannot be read.
    """
    if name.endswith((f".intoto{BUNDLE_SUFFIX}", ".intoto.jsonl")):
        return OciRole.PROVENANCE
    if name.endswith(BUNDLE_SUFFIX):
        return OciRole.SIGNATURE
    if name.endswith((".cdx.json", ".spdx.json")):
        return OciRole.SBOM
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return OciRole.BINARY if head.startswith(_EXECUTABLE_MAGIC) else OciRole.FILE


def _as_oci(file: ReleaseFile) -> OciFile:
    return OciFile(
        name=file.name, path=file.path, sha256=file.sha256, role=role_of(file.name, file.path)
    )


def _release_version(file: ReleaseFile) -> str:
    """The version of the release folder ``file`` is in, from its ``gate-report.json``."""
    folder = file.path
    for _part in PurePosixPath(file.name).parts:
        folder = folder.parent
    report = folder / "gate-report.json"
    try:
        version = json.loads(report.read_bytes()).get("version")
    except (OSError, ValueError, AttributeError) as exc:
        raise InputError(f"{report}: cannot read the release's version: {exc}") from exc
    if not isinstance(version, str) or not version:
        raise InputError(f"{report}: no version: is this a liturgia release folder?")
    return version
