"""Upload a bundle's signature to a Rekor v1 log and write the log entry into the bundle.

The client side of ``liturgia sign --tlog-url URL`` (issue 6, item 5): the proposed entry of
:func:`~liturgia.sign.rekor.proposed_entry` is POSTed to ``URL/api/v1/log/entries``; a 201
answer is the new entry, a 409 (an equivalent entry is already logged, as after a retry) names
the existing one in its ``Location`` header, which is fetched. The answer becomes the bundle's
``TransparencyLogEntry`` (:func:`~liturgia.sign.rekor.tlog_entry_from_rekor`), and the bundle
is rebuilt around the **same** signature (ECDSA signatures are randomised: signing again would
make another entry). Only the standard library speaks HTTP here, so signing needs no extra.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from liturgia.errors import BundleError, ConfigError, InputError, NetworkError
from liturgia.sign.bundle import dsse_bundle, message_signature_bundle, parse_bundle
from liturgia.sign.keys import PublicKey
from liturgia.sign.rekor import proposed_entry, tlog_entry_from_rekor

__all__ = ["MAX_ANSWER_BYTES", "add_log_entry", "upload_entry"]

#: Statuses with which a log refuses an entry it read (the entry, not the log, is at fault).
_REFUSED = frozenset({400, 413, 415, 422})

#: Largest answer read from the log (an entry with its proof is a few KiB).
MAX_ANSWER_BYTES = 1 << 20
_ENTRIES = "/api/v1/log/entries"


def _check_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"transparency log URL {base_url!r} is not an http(s) URL")
    return base_url.rstrip("/")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would re-send a POST as a GET, and a log has one URL."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Follow no redirect: the 3xx reaches the caller as an HTTPError."""
        del args, kwargs


_OPENER = urllib.request.build_opener(_NoRedirects)


def _exchange(request: urllib.request.Request, timeout: float) -> tuple[int, Any, str | None]:
    """Send ``request``; return (status, parsed JSON answer or None, Location header)."""
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            status, location, data = (
                answer.status,
                answer.headers.get("Location"),
                answer.read(MAX_ANSWER_BYTES + 1),
            )
    except urllib.error.HTTPError as exc:
        status, location = exc.code, exc.headers.get("Location")
        data = exc.read(MAX_ANSWER_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkError(f"transparency log {request.full_url}: {reason}") from exc
    if len(data) > MAX_ANSWER_BYTES:
        raise NetworkError(f"transparency log {request.full_url}: answer over {MAX_ANSWER_BYTES}")
    try:
        document = json.loads(data) if data else None
    except ValueError:
        document = None
    return status, document, location


def _entry_value(document: Any, url: str) -> dict[str, Any]:
    if not isinstance(document, dict) or len(document) != 1:
        raise NetworkError(f"transparency log {url}: the answer is not one Rekor log entry")
    (value,) = document.values()
    if not isinstance(value, dict):
        raise NetworkError(f"transparency log {url}: the answer is not one Rekor log entry")
    return value


def upload_entry(
    base_url: str, proposed: Mapping[str, Any], *, timeout: float = 30.0
) -> dict[str, Any]:
    """POST a proposed entry to a Rekor v1 log; return the logged ``LogEntry`` value.

    Args:
        base_url: the log's base URL (``http://127.0.0.1:8080``).
        proposed: the proposed entry (``hashedrekord`` or ``dsse`` v0.0.1).
        timeout: seconds per HTTP exchange.

    Returns:
        The object under the entry ID in Rekor's answer (``body``, ``integratedTime``,
        ``logID``, ``logIndex``, ``verification``); the existing entry on a 409.

    Raises:
        ConfigError: ``base_url`` is not an http(s) URL.
        InputError: the log refused the entry as bad (400, 413, 415, 422; its message is
            kept), e.g. a key type it does not take.
        NetworkError: the log cannot be reached, fails, or answers something other than one
            log entry.
    """
    base = _check_url(base_url)
    url = base + _ENTRIES
    request = urllib.request.Request(  # noqa: S310 - http(s) checked
        url,
        data=json.dumps(proposed).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    status, document, location = _exchange(request, timeout)
    if status == 409 and location:
        existing = urljoin(base + "/", location)
        if urlsplit(existing).netloc != urlsplit(base).netloc:
            raise NetworkError(f"transparency log {url}: 409 points to another host {existing}")
        fetch = urllib.request.Request(existing, headers={"Accept": "application/json"})  # noqa: S310
        status, document, _ = _exchange(fetch, timeout)
        url = existing
        if status == 200:
            return _entry_value(document, url)
    elif status == 201:
        return _entry_value(document, url)
    message = document.get("message") if isinstance(document, dict) else None
    detail = f"transparency log {url} answered {status}" + (f": {message}" if message else "")
    if 300 <= status < 400:
        detail += " (a redirect: give the log's own URL)"
    if status in _REFUSED:
        raise InputError(detail)  # the log read the entry and refused it: the input is wrong
    raise NetworkError(detail)


def add_log_entry(
    bundle: bytes, public_key: PublicKey, base_url: str, *, timeout: float = 30.0
) -> bytes:
    """Log ``bundle``'s signature in a Rekor v1 log; return the bundle with the entry in it.

    Args:
        bundle: a bundle made by :func:`~liturgia.sign.sign_file` or a DSSE bundle.
        public_key: the key that signed it.
        base_url: the log's base URL.
        timeout: seconds per HTTP exchange.

    Returns:
        The same bundle (same signature) with ``verificationMaterial.tlogEntries`` holding the
        log's entry: body, SET, inclusion proof and checkpoint.

    Raises:
        BundleError: the bundle cannot be logged as hashedrekord/dsse.
        ConfigError: a bad URL.
        NetworkError: see :func:`upload_entry`; also an answer that is not a well-formed entry.
    """
    parsed = parse_bundle(bundle)
    value = upload_entry(base_url, proposed_entry(parsed, public_key), timeout=timeout)
    try:
        logged = tlog_entry_from_rekor(value)
    except BundleError as exc:  # the log's answer, not the bundle, is malformed
        raise NetworkError(
            f"transparency log {base_url} answered a malformed entry: {exc}"
        ) from exc
    entries = [*parsed.tlog_entries, logged]
    if parsed.envelope is not None:
        return dsse_bundle(parsed.envelope, public_key, tlog_entries=entries)
    signature = parsed.message_signature
    if signature is None:  # pragma: no cover - parse_bundle guarantees one of the two
        raise BundleError("bundle has no content")
    return message_signature_bundle(signature, public_key, tlog_entries=entries)
