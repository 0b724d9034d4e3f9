"""The load of the chaos experiments over HTTP: writers and a reader, and what they saw.

:func:`start_load` starts ``writers`` threads submitting distinct proposed entries back to
back (a refused or unanswered write is retried after 0.2 s; a 409 names the entry, fetched
from its ``Location``) and one reader alternating ``GET /api/v1/log`` and the newest entry by
index. Each answer is noted in :class:`Seen` with the phase it came in, whether it is what the
experiment's hypothesis allows (``allowed``: a refusal the hypothesis expects, e.g. a 507 on a
full disk) and how long it took.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

#: Whether a non-2xx answer is one the experiment's hypothesis expects.
Allowed = Callable[[httpx.Response], bool]


def refusal(status: int, *, message_starts: str = "") -> Allowed:
    """Allow answers of ``status`` carrying Rekor's error object (its ``code`` the status, its
    message starting with ``message_starts``) and a delta-seconds ``Retry-After``."""

    def allowed(answer: httpx.Response) -> bool:
        try:
            body = answer.json()
            code, message = body["code"], str(body["message"])
        except (ValueError, KeyError, TypeError):
            return False
        return (
            code == answer.status_code == status
            and message.startswith(message_starts)
            and answer.headers.get("retry-after", "").isdigit()
        )

    return allowed


@dataclass
class Seen:
    """What the clients saw.

    Attributes:
        url: the server's base URL (changed when a test restarts the server).
        phase: a label the test moves on ("before", "fault", "after"...).
        acked: ``UUID -> (logIndex, body)`` of every acknowledged entry (201, or 409's entry).
        answers: ``(when, kind, correct, seconds taken)``, ``kind`` "write" or "read".
        created: when each acknowledgement came.
        statuses: ``"<phase>: <kind> <status>"`` counts.
        messages: counts of the causes named by the refusals' messages.
    """

    url: str
    phase: str = "before"
    acked: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    answers: list[tuple[float, str, bool, float]] = field(default_factory=list)
    created: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, label: str, correct: bool, took: float) -> None:
        """Record one answer (or ``label`` "no answer")."""
        with self.lock:
            self.answers.append((time.monotonic(), kind, correct, took))
            self.statuses[f"{self.phase}: {kind} {label}"] += 1

    def between(self, start: float, end: float) -> list[tuple[str, bool, float]]:
        """``(kind, correct, took)`` of the answers that came in ``[start, end)``."""
        return [(k, ok, took) for when, k, ok, took in self.answers if start <= when < end]

    def _refusal(self, answer: httpx.Response, allowed: Allowed) -> bool:
        try:
            message = str(answer.json()["message"])
        except (ValueError, KeyError, TypeError):
            message = answer.text[:60]
        with self.lock:
            self.messages[message.split(". An entry", 1)[0][:200]] += 1
        return allowed(answer)


def _index_body(value: dict[str, Any]) -> tuple[int, bytes]:
    return int(value["logIndex"]), base64.b64decode(value["body"])


def _writer(
    work: Sequence[dict[str, Any]], seen: Seen, stop: threading.Event, allowed: Allowed
) -> None:
    with httpx.Client(timeout=60) as http:
        for proposed in work:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    answer = http.post(f"{seen.url}/api/v1/log/entries", json=proposed)
                except httpx.TransportError:
                    seen.note("write", "no answer", False, time.monotonic() - began)
                    stop.wait(0.2)
                    continue
                took = time.monotonic() - began
                if answer.status_code in (201, 409):
                    if answer.status_code == 201:
                        ((entry_id, value),) = answer.json().items()
                    else:
                        # "Already logged": read the entry it names. That read failing as
                        # a write can (no answer from a killed worker, a 503) counts as the
                        # write's answer, judged by the experiment's own rules, and is
                        # retried; an entry the log says it holds but cannot find is a defect.
                        entry_id = answer.headers["location"].rsplit("/", 1)[1]
                        try:
                            named = http.get(f"{seen.url}/api/v1/log/entries/{entry_id}")
                        except httpx.TransportError:
                            seen.note("write", "no answer", False, took)
                            stop.wait(0.2)
                            continue
                        if named.status_code == 503:
                            seen.note("write", "503", seen._refusal(named, allowed), took)
                            stop.wait(0.2)
                            continue
                        assert named.status_code == 200, named.text
                        ((_, value),) = named.json().items()
                    with seen.lock:
                        seen.acked[entry_id[-64:]] = _index_body(value)
                        seen.created.append(time.monotonic())
                    seen.note("write", str(answer.status_code), True, took)
                    break
                seen.note("write", str(answer.status_code), seen._refusal(answer, allowed), took)
                stop.wait(0.2)
            if stop.is_set():
                return


def _reader(seen: Seen, stop: threading.Event, allowed: Allowed) -> None:
    with httpx.Client(timeout=60) as http:
        while not stop.wait(0.05):
            began = time.monotonic()
            try:
                answer = http.get(f"{seen.url}/api/v1/log")
                if answer.status_code == 200 and answer.json()["treeSize"]:
                    index = int(answer.json()["treeSize"]) - 1
                    answer = http.get(f"{seen.url}/api/v1/log/entries", params={"logIndex": index})
            except httpx.TransportError:
                seen.note("read", "no answer", False, time.monotonic() - began)
                continue
            ok = answer.status_code == 200 or seen._refusal(answer, allowed)
            seen.note("read", str(answer.status_code), ok, time.monotonic() - began)


def start_load(
    seen: Seen,
    proposals: Sequence[dict[str, Any]],
    stop: threading.Event,
    *,
    writers: int,
    write_refusal: Allowed,
    read_refusal: Allowed,
) -> list[threading.Thread]:
    """Start ``writers`` writer threads (sharing out ``proposals``) and one reader."""
    threads = [
        threading.Thread(
            target=_writer, args=(proposals[n::writers], seen, stop, write_refusal), daemon=True
        )
        for n in range(writers)
    ]
    threads.append(threading.Thread(target=_reader, args=(seen, stop, read_refusal), daemon=True))
    for thread in threads:
        thread.start()
    return threads
