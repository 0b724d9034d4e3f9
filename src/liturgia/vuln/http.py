"""A small HTTP client for advisory services: disk cache with expiry, retries, offline mode.

Every online source goes through :class:`CachedClient`: answers are cached on disk (keyed by the
SHA-256 of method, URL and body) for ``ttl``; transient failures (connection errors, HTTP 429
and 5xx) are retried with exponential backoff honouring ``Retry-After``; after the last attempt
the error names the source and the reason. ``offline=True`` serves fresh cache entries and
refuses everything else: a source that cannot answer is an error, never an empty answer.
The transport is injectable; the default uses :mod:`urllib`.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_bytes
from liturgia.errors import AdvisorySourceError, ConfigError, InputError, NetworkError
from liturgia.vuln.limits import MAX_HTTP_BYTES, limit_text, read_limited

__all__ = ["CachedClient", "HttpResponse", "Transport", "check_base_url", "urllib_transport"]

_RETRYABLE = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    """An HTTP answer: status, body and headers (names lower-cased)."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


#: ``transport(method, url, body, headers, timeout) -> HttpResponse``; raises OSError on failure.
Transport = Callable[[str, str, bytes | None, Mapping[str, str], float], HttpResponse]


def check_base_url(url: str, *, what: str) -> str:
    """Return ``url`` (without a trailing slash) when it is an absolute http(s) URL with a host.

    Args:
        url: the URL given by the user.
        what: how to name it in the message (``"--source-url"``...).

    Raises:
        ConfigError: another scheme, no host, an invalid port, or spaces (names ``what``).
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:
        raise ConfigError(f"{what}: {url!r} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ConfigError(f"{what}: {url!r} is not an http(s) URL with a host")
    if any(char.isspace() for char in url):
        raise ConfigError(f"{what}: {url!r} contains spaces")
    return url.rstrip("/")


def _read_capped(response: Any, url: str) -> bytes:
    """Read an answer of at most :data:`MAX_HTTP_BYTES` (an advisory answer is small)."""
    body: bytes = response.read(MAX_HTTP_BYTES + 1)
    if len(body) > MAX_HTTP_BYTES:
        raise AdvisorySourceError(
            f"{url}: answer is over the {limit_text(MAX_HTTP_BYTES)} limit; not read"
        )
    missing = getattr(response, "length", None)
    if missing:  # read(n) stops quietly at EOF: a shorter body than Content-Length broke off
        raise OSError(f"broken HTTP answer: {missing} bytes short of its Content-Length")
    return body


def urllib_transport(
    method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float
) -> HttpResponse:
    """Send one request with :mod:`urllib`; HTTP error statuses are returned, not raised.

    Raises:
        OSError: the connection failed (refused, reset, timeout, DNS).
        AdvisorySourceError: the answer is larger than :data:`MAX_HTTP_BYTES`.
    """
    if not url.startswith(("http://", "https://")):
        raise OSError(f"only http(s) URLs are supported: {url}")
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpResponse(
                status=response.status,
                body=_read_capped(response, url),
                headers={k.lower(): v for k, v in response.headers.items()},
            )
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpResponse(
                status=exc.code,
                body=_read_capped(exc, url),
                headers={k.lower(): v for k, v in (exc.headers or {}).items()},
            )
    except urllib.error.URLError as exc:
        raise OSError(str(exc.reason)) from exc
    except http.client.HTTPException as exc:  # e.g. IncompleteRead: the answer broke off
        raise OSError(f"broken HTTP answer: {type(exc).__name__}: {exc}") from exc


class CachedClient:
    """HTTP with a disk cache, retries and an offline switch, for one named source."""

    def __init__(
        self,
        *,
        source: str,
        cache_dir: Path | None,
        ttl: timedelta = timedelta(hours=6),
        offline: bool = False,
        transport: Transport = urllib_transport,
        attempts: int = 3,
        backoff: float = 0.5,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Configure the client.

        Args:
            source: the source's name for messages (``"OSV API"``, ``"PyPI JSON API"``...).
            cache_dir: where answers are cached (``None``: no cache).
            ttl: how long a cached answer is served.
            offline: serve only fresh cached answers; never touch the network.
            transport: sends requests.
            attempts: tries per request (>= 1).
            backoff: first retry delay in seconds, doubled each time.
            timeout: per-request timeout in seconds.
            sleep: the delay function (injectable for tests).
        """
        self.source = source
        self._cache_dir = cache_dir
        self._ttl = ttl
        self._offline = offline
        self._transport = transport
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._timeout = timeout
        self._sleep = sleep
        self.requests = 0

    def _cache_path(self, method: str, url: str, body: bytes | None) -> Path | None:
        if self._cache_dir is None:
            return None
        digest = hashlib.sha256(f"{method}\0{url}\0".encode() + (body or b"")).hexdigest()
        return self._cache_dir / digest[:2] / f"{digest}.json"

    def _cached(self, path: Path | None) -> bytes | None:
        if path is None or not path.is_file():
            return None
        try:
            # An entry holds one answer, hex-encoded: twice the answer limit, plus the wrapper.
            entry = json.loads(read_limited(path, limit=2 * MAX_HTTP_BYTES + 4096, what="entry"))
            stored = float(entry["stored"])
            body = bytes.fromhex(entry["body"])
        except (InputError, ValueError, KeyError, TypeError, RecursionError):
            return None  # a damaged cache entry is a miss, not an answer
        if now().timestamp() - stored > self._ttl.total_seconds():
            return None
        return body

    def request(self, method: str, url: str, body: object = None) -> bytes:
        """Send ``method url`` (``body`` as JSON) and return the 2xx body, cached for ``ttl``.

        Returns:
            The response body of a 2xx answer (or of a 404 when ``method`` is GET and the
            caller treats "unknown" as an answer: 404 bodies are returned with ``b""``).

        Raises:
            NetworkError: offline with no fresh cached answer, or the service is unreachable
                after every attempt (the message names the source and URL).
            AdvisorySourceError: the service answered with an error status (after retries for
                429/5xx).
        """
        data = None if body is None else json.dumps(body, sort_keys=True).encode()
        path = self._cache_path(method, url, data)
        cached = self._cached(path)
        if cached is not None:
            return cached
        if self._offline:
            raise NetworkError(f"{self.source}: {url}: not in the cache and --offline is set")
        headers = {"Accept": "application/json", "User-Agent": "liturgia"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        last = ""
        for attempt in range(self._attempts):
            self.requests += 1
            delay = self._backoff * 2.0**attempt
            try:
                response = self._transport(method, url, data, headers, self._timeout)
            except OSError as exc:
                last = f"unreachable: {exc}"
            else:
                if 200 <= response.status < 300 or (response.status == 404 and method == "GET"):
                    result = response.body if response.status != 404 else b""
                    if path is not None:
                        entry = {"stored": now().timestamp(), "body": result.hex()}
                        atomic_write_bytes(path, json.dumps(entry).encode())
                    return result
                if response.status not in _RETRYABLE:
                    raise AdvisorySourceError(f"{self.source}: {url}: HTTP {response.status}")
                last = f"HTTP {response.status}"
                retry_after = response.headers.get("retry-after", "")
                if retry_after.isdigit():
                    delay = min(float(retry_after), 60.0)
            if attempt + 1 < self._attempts:
                self._sleep(delay)
        message = f"{self.source}: {url}: {last} after {self._attempts} attempts"
        if last.startswith("HTTP"):
            raise AdvisorySourceError(message)
        raise NetworkError(message)
