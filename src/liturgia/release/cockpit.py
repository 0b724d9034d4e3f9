"""Sending a release to a cockpit server (``liturgia serve``) as it runs, without waiting on it.

:class:`CockpitSender` is a stage listener: each stage start and finish becomes a
:class:`~liturgia.release.record.StageEvent` queued for a background thread, which sends it
(``POST /api/v1/projects/{project}/runs/{run}/events``) through the one HTTP client
(:class:`~liturgia._internal.http.HttpClient`), retrying with backoff, in order, while the
server is down or failing (a restarted server gets the rest); the release never waits for it.
At the end :meth:`CockpitSender.finish` queues the final record (``PUT
/api/v1/projects/{project}/releases/{version}``) and waits for the queue to drain, at most
``deadline`` seconds, then reports what was not sent. A server that is down or slow costs the
release at most that deadline and a warning.

Every write is idempotent on the server (an event is named by its run and sequence number, a
record by project and version), so a retry after a lost answer stores nothing twice.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from pydantic import BaseModel

from liturgia._internal.http import HttpClient, check_base_url
from liturgia.errors import NetworkError
from liturgia.release.pipeline import StageListener
from liturgia.release.record import ReleaseRecord, StageEvent

__all__ = ["CockpitSender", "SendReport"]

_LOG = logging.getLogger(__name__)
#: Answers that will not change on a retry: the request is wrong or not allowed.
_FINAL = frozenset({400, 401, 403, 404, 409, 413, 415})


@dataclass(slots=True)
class SendReport:
    """What reached the server.

    Attributes:
        sent: events and records the server acknowledged (stored or already stored).
        problems: one line per item not sent, saying why.
    """

    sent: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether everything queued was acknowledged."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class _Item:
    method: str
    path: str
    body: BaseModel
    what: str


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class CockpitSender:
    """Stage listener that forwards to ``inner`` and sends each event to a cockpit server.

    Args:
        url: the server's base URL (``http://host:port``).
        token: the project's bearer token (``LITURGIA_TOKEN``).
        project: the project name (the token's project).
        inner: the listener that draws progress (called first, on the release's thread).
        client: the HTTP client (default: 5 attempts, backoff 0.2 s, 10 s per send).
        now: the events' timestamp source (RFC 3339 UTC text).

    Raises:
        ConfigError: ``url`` is not an http(s) base URL.
    """

    def __init__(
        self,
        url: str,
        token: str,
        project: str,
        inner: StageListener | None = None,
        *,
        client: HttpClient | None = None,
        now: Callable[[], str] = _utc_now,
    ) -> None:
        self.url = check_base_url(url, what="cockpit server").rstrip("/")
        self.project = project
        #: This release run's identifier (32 hex digits), shared by its events and record.
        self.run = secrets.token_hex(16)
        self._token = token
        self._inner = inner
        self._client = client or HttpClient(attempts=5, backoff=0.2, timeout=5.0, deadline=10.0)
        self._now = now
        self._seq = 0
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._give_up_at: float | None = None
        self.report = SendReport()
        self._thread = threading.Thread(target=self._work, name="liturgia-cockpit", daemon=True)
        self._thread.start()

    # -- StageListener ---------------------------------------------------------------------

    def stage_started(self, name: str) -> None:
        """Forward, then queue a ``stage-started`` event."""
        if self._inner is not None:
            self._inner.stage_started(name)
        self._event("stage-started", name)

    def stage_finished(self, name: str, summary: str, *, ok: bool = True) -> None:
        """Forward, then queue a ``stage-finished`` event with the stage's one line."""
        if self._inner is not None:
            self._inner.stage_finished(name, summary, ok=ok)
        self._event("stage-finished", name, summary=summary[:2000], ok=ok)

    def _event(self, kind: str, stage: str, *, summary: str = "", ok: bool = True) -> None:
        self._seq += 1
        fields = {"seq": self._seq, "kind": kind, "stage": stage, "summary": summary}
        event = StageEvent.model_validate({**fields, "ok": ok, "at": self._now()})
        path = f"/api/v1/projects/{quote(self.project, safe='')}/runs/{self.run}/events"
        self._queue.put(_Item("POST", path, event, f"event {self._seq} ({kind} {stage})"))

    # -- the end ---------------------------------------------------------------------------

    def finish(self, record: ReleaseRecord | None, *, deadline: float = 20.0) -> SendReport:
        """Queue the final record (if any), wait for everything to be sent; return the report.

        Waits at most ``deadline`` seconds; what is still queued then is reported as not sent
        (the thread is a daemon and dies with the process).
        """
        if record is not None:
            path = (
                f"/api/v1/projects/{quote(record.project, safe='')}/releases/"
                f"{quote(record.version, safe='')}"
            )
            self._queue.put(_Item("PUT", path, record, f"record of {record.version}"))
        self._queue.put(None)
        self._give_up_at = time.monotonic() + deadline
        self._thread.join(deadline)
        if self._thread.is_alive():
            left = self._queue.qsize()
            self.report.problems.append(
                f"{self.url}: {left} item(s) not sent within {deadline:g} s (server slow or down)"
            )
        return self.report

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            delay = 0.2
            while True:
                problem, transient = self._send(item.method, item.path, item.body)
                if problem is None:
                    self.report.sent += 1
                    break
                give_up = self._give_up_at is not None and time.monotonic() >= self._give_up_at
                if not transient or give_up:
                    self.report.problems.append(f"{item.what} not sent: {problem}")
                    break
                # A server that is down or failing: the same item again, in order, until it is
                # stored or finish()'s deadline passes (the release never waits for this).
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _send(self, method: str, path: str, body: BaseModel) -> tuple[str | None, bool]:
        """Send one item: ``(None, False)`` when acknowledged, else ``(why not, transient)``."""
        try:
            answer = self._client.send(
                method,
                self.url + path,
                body=body.model_dump_json().encode("utf-8"),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {self._token}",
                },
                retry=True,  # the server stores a repeat once
            )
        except NetworkError as exc:
            return str(exc), True
        if 200 <= answer.status < 300:
            return None, False
        message = answer.body[:300].decode("utf-8", "replace")
        return f"HTTP {answer.status}: {message}", answer.status not in _FINAL
