"""Sending a release to a cockpit server (``liturgia serve``) as it runs, without waiting on it.

:class:`CockpitSender` is a stage listener: each stage start and finish becomes a
:class:`~liturgia.release.record.StageEvent` queued for a background thread, which sends it
(``POST /api/v1/projects/{project}/runs/{run}/events``) through the one HTTP client
(:class:`~liturgia._internal.http.HttpClient`), retrying with backoff, in order, while the
server is down or failing (a restarted server gets the rest); the release never waits for it.
At the gate, :meth:`CockpitSender.gate_check` waits (at most ``deadline`` seconds) for the
server to take every event so far and gives the gate report its ``cockpit`` row: failed
("record not sent") when the server did not, advisory unless ``[server] required = true``,
then blocking (the release is NO-GO and never tagged). At the end
:meth:`CockpitSender.finish` queues the final record (``PUT
/api/v1/projects/{project}/releases/{version}``) and waits for the queue to drain, then
reports what was not sent; after a failed gate row it waits no longer. A server that is down
or slow costs the release that deadline once, a gate-report line and a warning.

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

from liturgia._internal.http import CircuitOpenError, HttpClient, check_base_url
from liturgia.errors import ConfigError, InputError, NetworkError
from liturgia.release.gates import CheckResult
from liturgia.release.pipeline import StageListener
from liturgia.release.record import ReleaseRecord, RollbackMark, StageEvent

__all__ = ["GATE_ROW", "CockpitSender", "SendReport", "send_rollback"]

_LOG = logging.getLogger(__name__)
#: Answers that will not change on a retry: the request is wrong or not allowed.
_FINAL = frozenset({400, 401, 403, 404, 409, 413, 415})
#: The gate report's row for the delivery to the cockpit server.
GATE_ROW = "cockpit"


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
    body: bytes
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
        self._queued = 0
        self._done = 0  # items sent or given up, in queue order
        self._progress = threading.Condition()
        self._last_problem = ""
        #: Whether the gate's row said the server did not take the events (see gate_check).
        self.gate_failed = False
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
        body = event.model_dump_json().encode("utf-8")
        self._put(_Item("POST", path, body, f"event {self._seq} ({kind} {stage})"))

    def _put(self, item: _Item) -> None:
        with self._progress:
            self._queued += 1
        self._queue.put(item)

    # -- the gate ---------------------------------------------------------------------------

    def gate_check(self, *, deadline: float, required: bool) -> CheckResult:
        """The gate report's ``cockpit`` row: did the server take every event queued so far?

        Waits at most ``deadline`` seconds for them. When it did not, the row fails with
        "record not sent" (the record follows the events to the same server, after the gate),
        blocking when ``required`` (``[server] required = true``), else advisory; and
        :meth:`finish` then waits no longer than what is left of this ``deadline``.

        Returns:
            A check named :data:`GATE_ROW`; its texts name the server and never a timing.
        """
        with self._progress:
            target = self._queued
            self._give_up_at = time.monotonic() + deadline
            self._progress.wait_for(lambda: self._done >= target, timeout=deadline)
            done, sent, problems = self._done, self.report.sent, list(self.report.problems)
        rule = (
            "[server].required = true: blocking"
            if required
            else "[server].required = false: advisory"
        )
        threshold = f"every event taken within {deadline:g} s"
        if done >= target and not problems:
            self._give_up_at = None  # the server is up: finish() gets its own deadline
            return CheckResult(
                name=GATE_ROW,
                passed=True,
                summary=f"{self.url} took every event so far ({sent})",
                evidence=(rule,),
                figure=f"{sent} of {target} events taken",
                threshold=threshold,
                blocking=required,
            )
        self.gate_failed = True
        last = self._last_problem or "none yet (the first attempt is still waiting for an answer)"
        waiting = [f"{target - done} event(s) still unsent, last error: {last}"]
        return CheckResult(
            name=GATE_ROW,
            passed=False,
            summary=f"record not sent: {self.url} took {sent} of {target} events",
            evidence=(*problems, *(waiting if done < target else []), rule),
            figure=f"{sent} of {target} events taken",
            threshold=threshold,
            blocking=required,
        )

    # -- the end ---------------------------------------------------------------------------

    def finish(self, record: ReleaseRecord | None, *, deadline: float = 20.0) -> SendReport:
        """Queue the final record (if any), wait for everything to be sent; return the report.

        Waits at most ``deadline`` seconds (after a failed :meth:`gate_check`, at most what
        is left of its deadline); what is still queued then is reported as not sent (the
        thread is a daemon and dies with the process).
        """
        if record is not None:
            path = (
                f"/api/v1/projects/{quote(record.project, safe='')}/releases/"
                f"{quote(record.version, safe='')}"
            )
            self._put(_Item("PUT", path, record.canonical(), f"record of {record.version}"))
        self._queue.put(None)
        give_up_at = time.monotonic() + deadline
        if self.gate_failed and self._give_up_at is not None:
            give_up_at = min(give_up_at, self._give_up_at)
        self._give_up_at = give_up_at
        self._thread.join(max(0.0, give_up_at - time.monotonic()))
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
                    with self._progress:
                        self.report.sent += 1
                    break
                self._last_problem = problem
                give_up = self._give_up_at is not None and time.monotonic() >= self._give_up_at
                if not transient or give_up:
                    with self._progress:
                        self.report.problems.append(f"{item.what} not sent: {problem}")
                    break
                # A server that is down or failing: the same item again, in order, until it is
                # stored or the deadline passes (the release never waits for this).
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            with self._progress:
                self._done += 1
                self._progress.notify_all()

    def _send(self, method: str, path: str, body: bytes) -> tuple[str | None, bool]:
        """Send one item: ``(None, False)`` when acknowledged, else ``(why not, transient)``."""
        try:
            answer = self._client.send(
                method,
                self.url + path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {self._token}",
                },
                retry=True,  # the server stores a repeat once
            )
        except CircuitOpenError:
            # Not tried: the cause is the failure that opened the circuit (said already).
            return self._last_problem or f"{self.url}: unreachable", True
        except NetworkError as exc:
            # Named by the server's URL: the run's path would make every report differ.
            return str(exc).replace(self.url + path, self.url, 1), True
        if 200 <= answer.status < 300:
            return None, False
        message = answer.body[:300].decode("utf-8", "replace")
        return f"HTTP {answer.status}: {message}", answer.status not in _FINAL


def send_rollback(
    url: str, token: str, mark: RollbackMark, *, client: HttpClient | None = None
) -> bool:
    """Mark a release rolled back on the cockpit server (``PUT
    /api/v1/projects/{project}/releases/{version}/rollback``), retried while the server is
    down or failing (the server stores a repeat once).

    Returns:
        ``True`` when the server stored the mark now, ``False`` when it held it already.

    Raises:
        ConfigError: a bad URL, or the token was refused (401, 403).
        InputError: the server has no record of that release (404), or holds another mark
            of it (409), or refused the mark (400).
        NetworkError: the server could not be reached or kept failing (exit 3).
    """
    base = check_base_url(url, what="cockpit server").rstrip("/")
    path = (
        f"/api/v1/projects/{quote(mark.project, safe='')}/releases/"
        f"{quote(mark.version, safe='')}/rollback"
    )
    sender = client or HttpClient(attempts=5, backoff=0.2, timeout=5.0, deadline=20.0)
    answer = sender.send(
        "PUT",
        base + path,
        body=mark.canonical(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        retry=True,
    )
    message = answer.body[:300].decode("utf-8", "replace").strip()
    if answer.status in (200, 201):
        return answer.status == 201
    if answer.status in (401, 403):
        raise ConfigError(
            f"cockpit server {base}: HTTP {answer.status}: the token in LITURGIA_TOKEN is not "
            f"a write token of {mark.project} ({message})"
        )
    if answer.status in (400, 404, 409):
        raise InputError(f"cockpit server {base}: HTTP {answer.status}: {message}")
    raise NetworkError(f"cockpit server {base}: HTTP {answer.status}: {message}")
