"""Release notifications: a JSON event POSTed to each configured webhook, HMAC-signed.

``liturgia serve --webhook URL`` (repeatable; the key in ``LITURGIA_WEBHOOK_SECRET``) sends

* ``release.started`` when a run's first event arrives,
* ``release.passed`` or ``release.failed`` when its record is stored (GO or NO-GO),

as ``{"event", "project", "version", "run", "decision"}`` (``version`` and ``decision`` are
``null`` for ``release.started``). The body is signed with HMAC-SHA256 under the key and the
signature sent as ``X-Liturgia-Signature: sha256=<hex>`` (the receiver recomputes it over the
exact bytes, as GitHub's ``X-Hub-Signature-256`` works). Each write is notified once, by the
process that stored it, and only when it was new (a repeat notifies nothing).

Delivery never delays a write nor a release: the answer is sent first, the POST runs on a
worker thread through the one HTTP client with a few retries and a short deadline, and a
webhook that is down is logged as a warning.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from typing import Any

from liturgia._internal.http import HttpClient, check_base_url
from liturgia.errors import NetworkError

__all__ = ["SIGNATURE_HEADER", "Webhooks", "signature"]

#: The header carrying ``sha256=<hex HMAC-SHA256 of the body>``.
SIGNATURE_HEADER = "X-Liturgia-Signature"
_LOG = logging.getLogger(__name__)


def signature(secret: bytes, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` under ``secret`` (RFC 2104)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class Webhooks:
    """Posts release events to ``urls`` in the background.

    Args:
        urls: the webhooks' URLs.
        secret: the HMAC key.
        client: the HTTP client (default: 3 attempts, 5 s deadline per event).

    Raises:
        ConfigError: a URL is not an http(s) URL.
    """

    def __init__(
        self, urls: Sequence[str], secret: bytes, client: HttpClient | None = None
    ) -> None:
        self.urls = tuple(check_base_url(url, what="--webhook") for url in urls)
        self._secret = secret
        self._client = client or HttpClient(attempts=3, backoff=0.2, timeout=2.0, deadline=5.0)
        self._pending: set[asyncio.Future[None]] = set()

    def notify(self, event: str, **fields: Any) -> None:
        """Queue ``event`` for every webhook; returns at once (call it from the event loop)."""
        body = json.dumps({"event": event, **fields}, sort_keys=True).encode("utf-8")
        loop = asyncio.get_running_loop()
        for url in self.urls:
            future = loop.run_in_executor(None, self._deliver, url, body)
            self._pending.add(future)
            future.add_done_callback(self._pending.discard)

    def _deliver(self, url: str, body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, body),
        }
        try:
            answer = self._client.send("POST", url, body=body, headers=headers, retry=True)
        except NetworkError as exc:
            _LOG.warning("webhook %s not notified: %s", url, exc)
            return
        if not 200 <= answer.status < 300:
            _LOG.warning("webhook %s answered HTTP %d", url, answer.status)
