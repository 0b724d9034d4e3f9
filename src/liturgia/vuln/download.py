"""Download osv.dev's per-ecosystem exports (``<base>/<ecosystem>/all.zip``) for the index.

osv.dev publishes every ecosystem's records as one zip of OSV JSON files in a public bucket
(osv.dev documentation "Data dumps"). Transient failures (connection errors, HTTP 429 and 5xx)
are retried with exponential backoff, honouring ``Retry-After`` when the server sends one; after
the last attempt the error names the URL and the reason. Nothing here imports: the caller hands
the downloaded zip to ``index.import_advisories``, which rejects a truncated archive.
"""

from __future__ import annotations

import http.client
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from liturgia._internal.files import CHUNK_SIZE
from liturgia.errors import AdvisorySourceError, NetworkError, StorageError
from liturgia.vuln.limits import limit_text

__all__ = ["MAX_EXPORT_BYTES", "OSV_EXPORT_BASE", "download_export"]

#: The public bucket holding osv.dev's exports.
OSV_EXPORT_BASE = "https://osv-vulnerabilities.storage.googleapis.com"

_RETRYABLE = frozenset({429, 500, 502, 503, 504})

#: Largest export accepted, in bytes: 4 GiB (osv.dev's largest per-ecosystem zip is far
#: smaller); the download streams to disk, so memory use stays constant below it.
MAX_EXPORT_BYTES = 4 << 30


def _delay(error: urllib.error.HTTPError | None, attempt: int, backoff: float) -> float:
    if error is not None:
        retry_after = str(error.headers.get("Retry-After", "")) if error.headers else ""
        if retry_after.isdigit():
            return min(float(retry_after), 60.0)
    return float(backoff * 2.0**attempt)


def _stream_to(response: BinaryIO, destination: Path, url: str) -> None:
    """Copy the answer to ``destination`` in chunks (constant memory), then rename it in place.

    Raises:
        AdvisorySourceError: the answer exceeds :data:`MAX_EXPORT_BYTES`.
        StorageError: the file cannot be written.
        ConnectionError, TimeoutError: the transfer broke off (retried by the caller).
    """
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed or removed below
            dir=destination.parent, prefix=f".{destination.name}.", delete=False
        )
    except OSError as exc:
        raise StorageError(f"{destination}: cannot write: {exc.strerror or exc}") from exc
    temporary = Path(handle.name)
    try:
        with handle:
            size = 0
            while chunk := response.read(CHUNK_SIZE):
                size += len(chunk)
                if size > MAX_EXPORT_BYTES:
                    raise AdvisorySourceError(
                        f"{url}: export is over the {limit_text(MAX_EXPORT_BYTES)} limit"
                    )
                handle.write(chunk)
        missing = getattr(response, "length", None)
        if missing:  # read(n) stops quietly at EOF: the answer broke off
            raise ConnectionError(f"broken HTTP answer: {missing} bytes short of its length")
        temporary.replace(destination)
    except OSError as exc:
        if isinstance(exc, ConnectionError | TimeoutError):
            raise
        raise StorageError(f"{destination}: cannot write: {exc.strerror or exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)


def download_export(
    ecosystem: str,
    destination: Path,
    *,
    base_url: str = OSV_EXPORT_BASE,
    attempts: int = 3,
    backoff: float = 0.5,
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download ``<base_url>/<ecosystem>/all.zip`` to ``destination`` (written atomically).

    Args:
        ecosystem: OSV ecosystem name (``PyPI``, ``npm``, ``Go``, ``crates.io``...).
        destination: the zip file to write.
        base_url: the export location (a test server in tests).
        attempts: tries before giving up (>= 1).
        backoff: first retry delay in seconds, doubled each time.
        timeout: per-request timeout in seconds.
        sleep: the delay function (injectable for tests).

    Returns:
        ``destination``.

    Raises:
        NetworkError: the server could not be reached after every attempt.
        AdvisorySourceError: the server answered with an error status (after retries for
            429/5xx), naming the URL and status, or sent more than :data:`MAX_EXPORT_BYTES`.
        StorageError: ``destination`` cannot be written.
    """
    url = f"{base_url.rstrip('/')}/{urllib.parse.quote(ecosystem)}/all.zip"
    if not url.startswith(("http://", "https://")):
        raise NetworkError(f"{url}: only http(s) URLs are supported")
    last: Exception | None = None
    for attempt in range(max(1, attempts)):
        http_error: urllib.error.HTTPError | None = None
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
                _stream_to(response, destination, url)
        except urllib.error.HTTPError as exc:
            exc.close()  # the error carries the open response
            if exc.code not in _RETRYABLE:
                raise AdvisorySourceError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
            http_error, last = exc, exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            last = exc
        except ValueError as exc:  # e.g. "Invalid IPv6 URL": no retry can help
            raise NetworkError(f"{url}: not a valid URL: {exc}") from exc
        except http.client.HTTPException as exc:  # e.g. IncompleteRead: the answer broke off
            last = NetworkError(f"broken HTTP answer: {type(exc).__name__}: {exc}")
        else:
            return destination
        if attempt + 1 < attempts:
            sleep(_delay(http_error, attempt, backoff))
    if isinstance(last, urllib.error.HTTPError):
        raise AdvisorySourceError(
            f"{url}: HTTP {last.code} {last.reason} after {attempts} attempts"
        ) from last
    reason = getattr(last, "reason", last)
    raise NetworkError(f"{url}: cannot download after {attempts} attempts: {reason}") from last
