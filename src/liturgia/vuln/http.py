"""The advisory services' HTTP: a disk cache with expiry and an offline mode over the one client.

Every online source goes through :class:`CachedClient`: answers are cached on disk (keyed by the
SHA-256 of method, URL and body) for ``ttl``; requests go through the shared
:class:`~liturgia._internal.http.HttpClient`, which retries transient failures (connection
errors, HTTP 429 and 5xx) with exponential backoff and jitter honouring ``Retry-After``; after
the last attempt the error names the source and the reason. ``offline=True`` serves fresh cache
entries and refuses everything else: a source that cannot answer is an error, never an empty
answer. The transport is injectable (:data:`~liturgia._internal.http.Transport`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_bytes
from liturgia._internal.http import (
    RETRYABLE_STATUSES,
    AnswerTooLargeError,
    HttpClient,
    HttpRequest,
    HttpResponse,
    Transport,
    check_base_url,
    urllib_transport,
)
from liturgia.errors import AdvisorySourceError, InputError, NetworkError
from liturgia.vuln.limits import MAX_HTTP_BYTES, limit_text, read_limited

__all__ = [
    "CachedClient",
    "HttpRequest",
    "HttpResponse",
    "Transport",
    "check_base_url",
    "urllib_transport",
]


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
        self._http = HttpClient(
            transport=transport,
            timeout=timeout,
            max_bytes=MAX_HTTP_BYTES,
            attempts=attempts,
            backoff=backoff,
            sleep=sleep,
        )

    @property
    def requests(self) -> int:
        """HTTP exchanges made so far (each retry counts)."""
        return self._http.requests

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
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            # Advisory queries only read, POSTs included (OSV's querybatch): all are retried.
            response = self._http.send(method, url, body=data, headers=headers, retry=True)
        except AnswerTooLargeError as exc:
            raise AdvisorySourceError(
                f"{url}: answer is over the {limit_text(MAX_HTTP_BYTES)} limit; not read"
            ) from exc
        except NetworkError as exc:
            raise NetworkError(f"{self.source}: {exc}") from exc
        if 200 <= response.status < 300 or (response.status == 404 and method == "GET"):
            result = response.body if response.status != 404 else b""
            if path is not None:
                entry = {"stored": now().timestamp(), "body": result.hex()}
                atomic_write_bytes(path, json.dumps(entry).encode())
            return result
        message = f"{self.source}: {url}: HTTP {response.status}"
        if response.status in RETRYABLE_STATUSES:
            message += f" after {response.attempts} attempts"
        raise AdvisorySourceError(message)
