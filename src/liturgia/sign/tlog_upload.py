"""Upload a bundle's signature to a Rekor v1 log and write the log entry into the bundle.

The client side of ``liturgia sign --tlog-url URL`` (issue 6, item 5): the proposed entry of
:func:`~liturgia.sign.rekor.proposed_entry` is POSTed to ``URL/api/v1/log/entries``; a 201
answer is the new entry, a 409 (an equivalent entry is already logged, as after a retry) names
the existing one in its ``Location`` header, which is fetched. The answer becomes the bundle's
``TransparencyLogEntry`` (:func:`~liturgia.sign.rekor.tlog_entry_from_rekor`), and the bundle
is rebuilt around the **same** signature (ECDSA signatures are randomised: signing again would
make another entry).

HTTP goes through the shared :class:`~liturgia._internal.http.HttpClient` (standard library
only, so signing needs no extra). Redirects are refused (urllib would re-send the POST as a
GET, and a log has one URL). The POST is retried (up to :data:`UPLOAD_ATTEMPTS` times, with
exponential backoff and jitter, within the client's overall deadline) after a transport failure
or a 429/5xx: a Rekor log deduplicates entries, so a repeat of an entry that was stored before
its answer was lost gets a 409 naming it, which is fetched and verified like a 201's entry. A
503, a 507 or a timeout therefore does not mean "not stored", and a 409 is success. A log that
keeps refusing connections opens the client's circuit breaker: further calls fail at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from liturgia._internal.http import HttpClient, HttpResponse, check_base_url
from liturgia._internal.transparency.rekor import (
    MAX_ANSWER_BYTES,
    LogEntry,
    check_entry_inclusion,
    verify_log_entry,
)
from liturgia.errors import BundleError, InputError, NetworkError, ProofError, SignatureError
from liturgia.sign.bundle import dsse_bundle, message_signature_bundle, parse_bundle
from liturgia.sign.keys import PublicKey
from liturgia.sign.rekor import (
    check_entry_bodies,
    check_entry_key,
    proposed_entry,
    tlog_entry_from_rekor,
)

__all__ = [
    "MAX_ANSWER_BYTES",
    "UPLOAD_ATTEMPTS",
    "add_log_entry",
    "record_in_log",
    "upload_entry",
]

#: Exchanges one upload may make (the first and its retries), within the deadline.
UPLOAD_ATTEMPTS = 5

#: Statuses with which a log refuses an entry it read (the entry, not the log, is at fault).
_REFUSED = frozenset({400, 413, 415, 422})

_ENTRIES = "/api/v1/log/entries"


def _exchange(
    http: HttpClient, method: str, url: str, body: bytes | None = None
) -> tuple[int, Any, str | None]:
    """Send one request (retried by ``http``); return (status, parsed JSON or None, Location)."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        # A POST is retried too: the log answers a repeat with 409 (see the module docstring).
        answer: HttpResponse = http.send(method, url, body=body, headers=headers, retry=True)
    except NetworkError as exc:
        raise NetworkError(f"transparency log {exc}") from exc
    try:
        document = json.loads(answer.body) if answer.body else None
    except ValueError:
        document = None
    return answer.status, document, answer.headers.get("location")


def _entry_value(document: Any, url: str) -> dict[str, Any]:
    if not isinstance(document, dict) or len(document) != 1:
        raise NetworkError(f"transparency log {url}: the answer is not one Rekor log entry")
    (value,) = document.values()
    if not isinstance(value, dict):
        raise NetworkError(f"transparency log {url}: the answer is not one Rekor log entry")
    return value


def upload_entry(
    base_url: str,
    proposed: Mapping[str, Any],
    *,
    timeout: float = 30.0,
    http: HttpClient | None = None,
) -> dict[str, Any]:
    """POST a proposed entry to a Rekor v1 log; return the logged ``LogEntry`` value.

    Args:
        base_url: the log's base URL (``http://127.0.0.1:8080``).
        proposed: the proposed entry (``hashedrekord`` or ``dsse`` v0.0.1).
        timeout: seconds per HTTP exchange.
        http: the HTTP client (default: a new one with ``timeout``, a
            :data:`MAX_ANSWER_BYTES` cap and :data:`UPLOAD_ATTEMPTS` attempts).

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
    base = check_base_url(base_url, what="transparency log URL")
    client = http or HttpClient(
        timeout=timeout, max_bytes=MAX_ANSWER_BYTES, attempts=UPLOAD_ATTEMPTS
    )
    url = base + _ENTRIES
    status, document, location = _exchange(
        client, "POST", url, json.dumps(proposed).encode("utf-8")
    )
    if status == 409 and location:
        existing = urljoin(base + "/", location)
        if urlsplit(existing).netloc != urlsplit(base).netloc:
            raise NetworkError(f"transparency log {url}: 409 points to another host {existing}")
        status, document, _ = _exchange(client, "GET", existing)
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
    bundle: bytes,
    public_key: PublicKey,
    base_url: str,
    *,
    timeout: float = 30.0,
    log_key: PublicKey | None = None,
    http: HttpClient | None = None,
) -> bytes:
    """Log ``bundle``'s signature in a Rekor v1 log; return the bundle with the entry in it.

    The log's answer is verified before it goes into the bundle (see :func:`record_in_log`).
    Without ``log_key`` the log's signatures are not checked (say so to the user: a log can
    sign its own lies).

    Args:
        bundle: a bundle made by :func:`~liturgia.sign.sign_file` or a DSSE bundle.
        public_key: the key that signed it.
        base_url: the log's base URL.
        timeout: seconds per HTTP exchange.
        log_key: the log's public key, when known.
        http: the HTTP client (see :func:`upload_entry`).

    Returns:
        The same bundle (same signature) with ``verificationMaterial.tlogEntries`` holding the
        log's entry: body, SET, inclusion proof and checkpoint.

    Raises:
        BundleError: the bundle cannot be logged as hashedrekord/dsse.
        ConfigError: a bad URL.
        NetworkError: see :func:`upload_entry`; also an answer that is not a well-formed entry,
            or an entry that does not verify (the log is lying or broken: exit 3).
    """

    def submit(proposed: Mapping[str, Any]) -> Mapping[str, Any]:
        return upload_entry(base_url, proposed, timeout=timeout, http=http)

    return record_in_log(bundle, public_key, submit, log_name=base_url, log_key=log_key)


def record_in_log(
    bundle: bytes,
    public_key: PublicKey,
    submit: Callable[[Mapping[str, Any]], Mapping[str, Any]],
    *,
    log_name: str,
    log_key: PublicKey | None = None,
) -> bytes:
    """Log ``bundle``'s signature through ``submit``; return the bundle with the entry in it.

    The one path every log takes (a served one over HTTP, the release's embedded one in
    process): the proposed entry (:func:`~liturgia.sign.rekor.proposed_entry`) goes to
    ``submit``, whose answer (a Rekor v1 ``LogEntry`` value) is verified before it goes into
    the bundle: its body records this bundle's signature, digest (payload hash for DSSE) and
    key; its inclusion proof leads to the tree its checkpoint states (RFC 9162 §2.1.3.2);
    and, with ``log_key``, the log ID is that key's and the SET and the checkpoint verify
    under it.

    Args:
        bundle: a bundle made by :func:`~liturgia.sign.sign_file` or a DSSE bundle.
        public_key: the key that signed it.
        submit: takes the proposed entry, returns the logged entry's value (``body``,
            ``integratedTime``, ``logID``, ``logIndex``, ``verification``).
        log_name: how messages name the log (its URL or its file).
        log_key: the log's public key, when known.

    Returns:
        The same bundle (same signature) with the log's entry appended to its ``tlogEntries``.

    Raises:
        BundleError: the bundle cannot be logged as hashedrekord/dsse.
        NetworkError: an answer that is not a well-formed entry, or an entry that does not
            verify (the log is lying or broken: exit 3); and what ``submit`` raises.
    """
    parsed = parse_bundle(bundle)
    value = submit(proposed_entry(parsed, public_key))
    try:
        logged = tlog_entry_from_rekor(value)
    except BundleError as exc:  # the log's answer, not the bundle, is malformed
        raise NetworkError(
            f"transparency log {log_name} answered a malformed entry: {exc}"
        ) from exc
    entries = [*parsed.tlog_entries, logged]
    if parsed.envelope is not None:
        result = dsse_bundle(parsed.envelope, public_key, tlog_entries=entries)
    else:
        signature = parsed.message_signature
        if signature is None:  # pragma: no cover - parse_bundle guarantees one of the two
            raise BundleError("bundle has no content")
        result = message_signature_bundle(signature, public_key, tlog_entries=entries)
    try:
        _check_logged(result, logged, public_key, log_key)
    except (BundleError, ProofError, SignatureError) as exc:
        raise NetworkError(
            f"transparency log {log_name} answered an entry that does not verify, refused: {exc}"
        ) from exc
    return result


def _check_logged(
    bundle: bytes, logged: Mapping[str, Any], public_key: PublicKey, log_key: PublicKey | None
) -> None:
    """Check the log's entry for ``bundle`` (see :func:`add_log_entry`).

    Raises:
        BundleError: the body is about other content or another key.
        SignatureError: with ``log_key``: another log ID, a bad SET or checkpoint signature.
        ProofError: the inclusion proof does not lead to the checkpoint's tree.
    """
    check_entry_bodies(parse_bundle(bundle), name="the logged entry")
    entry = LogEntry.from_bundle_json(logged)
    check_entry_key(entry.body, public_key)
    if log_key is None:
        check_entry_inclusion(entry)
    else:
        verify_log_entry(entry, log_key.key)
