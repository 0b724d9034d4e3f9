"""Staged load test of ``liturgia serve`` with Locust (as a library): p95 per stage, writes/s.

Starts the real ``liturgia serve --workers 2`` on a free loopback port over a fresh SQLite
database (``--backend postgres``: a throwaway local PostgreSQL cluster), seeds it with signed
entries, then runs Locust users against it through a ``LoadTestShape``, the seed plan's staged
profile:

=========  =====================================================  ==================
stage      full profile (``--profile full``, about 4 min 45 s)    ``--profile short``
=========  =====================================================  ==================
ramp-50    0 -> 50 users in 30 s                                   0 -> 12 in 5 s
hold-50    50 users for 60 s                                       12 for 10 s
ramp-100   50 -> 100 in 10 s                                       12 -> 25 in 3 s
hold-100   100 users for 90 s                                      25 for 12 s
spike-200  100 -> 200 in 5 s                                       25 -> 50 in 2 s
hold-200   200 users for 60 s                                      50 for 12 s
ramp-down  200 -> 0 in 30 s                                        50 -> 0 in 5 s
=========  =====================================================  ==================

The short profile (about 50 s, user counts divided by 4 so the server and Locust share the 2
cores of this machine) is what ``tests/load`` runs in CI; the full one is::

    .venv/bin/python benchmarks/load_bench.py --out load-results

Each user waits 0.5-1.5 s between requests (think time) and picks, by weight: the log's info
(``GET /api/v1/log``, 4), an entry by index (3) and by UUID (3) -- each answer carries the
entry's inclusion proof, which is checked to name that entry --, a consistency proof between two
sizes (``GET /api/v1/log/proof``, 2), and a submission (``POST /api/v1/log/entries``, 2) of a
hashedrekord made beforehand with a real P-256 signature (``liturgia.sign``), which must get a
201 carrying its inclusion proof. A wrong status or body is a failure. When the server keeps release
records (``GET /api/v1/projects`` answers), they join the mix: a project's records (2), one
record with its run's events (2), the projects (1), and writes with the project's token (made
with ``liturgia serve token create``): a stage event (1) and a new release record (1); the
cockpit's pages join too when served (``OPTIONAL_READS``: the projects list, the project's
timeline, a release page, the quality page, the log page; 3 in all).

Pass/fail (exit 0/1) uses Locust's collected statistics over the whole run: p95 < 500 ms and
failure ratio < 1 % (the seed's thresholds). Printed beside them: the client-side p95 of each
stage (reads and writes apart), our goal (p95 < 50 ms for reads, < 150 ms for writes at 200
users), the server-side p95 of every latency histogram ``/metrics`` exposes (the difference
between a scrape before and after the run; "no /metrics" when the server has none), and the
durable writes/s sustained (201 answers, each durable and in a signed checkpoint). A checker
then reads every acknowledged entry back by UUID at the index its 201 gave, and the tree must
have grown by at least the acknowledged and at most the sent submissions (a submission without
an answer may be stored: a client retries and accepts 409). Client figures include Locust's own
overhead on the shared cores.

Written into ``--out`` (created; files replaced):

* ``load.json``, the shape documented in ``docs/load.md``::

    {"profile": "full", "backend": "sqlite" | "postgres", "server_workers": 2, "duration_s": 285.0,
     "thresholds": {"p95_ms": 500, "failure_ratio": 0.01},
     "goals": {"read_p95_ms": 50, "write_p95_ms": 150},
     "passed": true, "broken": [],
     "overall": {"requests", "failures", "failure_ratio", "p50_ms", "p95_ms", "p99_ms",
                 "requests_per_s"},
     "requests": {"GET /api/v1/log": {"requests", "failures", "p50_ms", "p95_ms", "p99_ms"}},
     "stages": [{"name", "users", "start_s", "end_s", "requests", "failures", "p95_ms",
                 "read_p95_ms", "write_p95_ms", "writes", "writes_per_s"}],
     "writes": {"acknowledged", "sent", "read_back", "tree_size_before",
                "tree_size_after", "per_s"},
     "server": {"metrics": false} | {"metrics": true, "histograms": {KEY: {"count",
                "p95_ms"}}},   # KEY: each series, and "reads"/"writes" (GET; POST and PUT)
     "server_cpu_s": 123.4, "csv": ["load_stats.csv", ...]}

* Locust's CSV files (``load_stats.csv``, ``load_stats_history.csv``, ``load_failures.csv``,
  ``load_exceptions.csv``), as ``locust --csv load --csv-full-history`` writes them.

Bounded: loopback only, at most the profile's users and duration (plus 60 s of grace before
the run is stopped), every request has a 30 s timeout, the server is stopped at the end.
"""
# ruff: noqa: I001 - Locust patches the standard library with gevent; it must come first.

from __future__ import annotations

import locust  # noqa: F401 - imported first: it monkey-patches sockets and threads (gevent)

import argparse
import json
import math
import random
import re
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
import httpx
from locust import FastHttpUser, LoadTestShape, between, task
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter, stats_history

from tlog_http_bench import Cluster, cpu_seconds, proposals, start_server

HOST = "127.0.0.1"
P95_MS = 500.0
FAILURE_RATIO = 0.01
GOAL_READ_P95_MS = 50.0
GOAL_WRITE_P95_MS = 150.0
SEED_ENTRIES = 64
TIMEOUT_S = 30.0
#: The project whose release records the users read and write (``serve token create``).
PROJECT = "loadtest"
#: The cockpit's pages the mix adds when the server answers them with 200 once the releases
#: are seeded (weight, path): the projects list, the project's timeline, a release page, the
#: quality charts' page and the log page.
OPTIONAL_READS = (
    (2, "/"),
    (3, f"/projects/{PROJECT}"),
    (3, f"/projects/{PROJECT}/releases/1.0.0"),
    (1, f"/projects/{PROJECT}/quality"),
    (1, "/log?q=0"),
)
SEED_RELEASES = 5


def release_record(version: str, run: str) -> dict[str, Any]:
    """A release record (``PUT /api/v1/projects/{project}/releases/{version}``) of PROJECT."""
    return {
        "project": PROJECT,
        "version": version,
        "run": run,
        "decision": "GO",
        "gates": [{"name": "tests", "passed": True, "summary": "5 tests, 0 failures"}],
        "sbom": {"components": 222},
        "findings": {"by_severity": {"HIGH": 0}},
        "tests": {"summary": "5 tests", "passed": True, "coverage": "100.00%"},
        "artifacts": [{"name": f"a-{version}.whl", "sha256": "ab" * 32, "log_index": 3}],
    }


def stage_event(seq: int) -> dict[str, Any]:
    """One stage event (``POST /api/v1/projects/{project}/runs/{run}/events``)."""
    kind = "stage-started" if seq % 2 else "stage-finished"
    return {"seq": seq, "kind": kind, "stage": "build", "at": "2026-12-05T07:00:00Z"}


@dataclass(frozen=True)
class Stage:
    """One stage of a profile: from the previous stage's end to ``end_s``, ``users`` users."""

    name: str
    end_s: float
    users: int
    spawn_rate: float


def _stages(scale: int, times: tuple[float, ...]) -> tuple[Stage, ...]:
    """The seed's profile (50, 100, 200 users) divided by ``scale``, with stage lengths."""
    low, mid, high = (math.ceil(users / scale) for users in (50, 100, 200))
    ramp, _, ramp2, _, spike, _, down = times
    ends = [sum(times[: i + 1]) for i in range(7)]
    return (
        Stage("ramp-50", ends[0], low, low / ramp),
        Stage("hold-50", ends[1], low, low / ramp),
        Stage("ramp-100", ends[2], mid, (mid - low) / ramp2),
        Stage("hold-100", ends[3], mid, (mid - low) / ramp2),
        Stage("spike-200", ends[4], high, (high - mid) / spike),
        Stage("hold-200", ends[5], high, (high - mid) / spike),
        Stage("ramp-down", ends[6], 0, high / down),
    )


PROFILES = {
    "full": _stages(1, (30, 60, 10, 90, 5, 60, 30)),
    "short": _stages(4, (5, 10, 3, 12, 2, 12, 5)),
}


class StagedShape(LoadTestShape):
    """The profile's stages as Locust ticks: (users, spawn rate) until the last stage ends."""

    stages: tuple[Stage, ...] = PROFILES["full"]

    def current(self) -> Stage | None:
        run_time = self.get_run_time()
        return next((stage for stage in self.stages if run_time < stage.end_s), None)

    def tick(self) -> tuple[int, float] | None:
        stage = self.current()
        return None if stage is None else (stage.users, stage.spawn_rate)


@dataclass
class Shared:
    """What the users share: entries known to be in the log, proposals left, the samples."""

    uuids: list[str] = field(default_factory=list)
    size: int = 0
    seeded: int = 0
    work: list[dict[str, Any]] = field(default_factory=list)
    extra_reads: list[tuple[int, str]] = field(default_factory=list)
    token: str | None = None  # PROJECT's write token when the server keeps release records
    # (stage name, "read" | "write" | "entry" (a log submission), response time ms, failed)
    samples: list[tuple[str, str, float, bool]] = field(default_factory=list)
    acknowledged: int = 0
    sent: int = 0  # submissions sent, answered or not
    acked: dict[str, int] = field(default_factory=dict)  # UUID -> logIndex of each 201
    shape: StagedShape | None = None


SHARED = Shared()


def _fail(response: Any, why: str) -> None:
    response.failure(f"{why}: HTTP {response.status_code} {response.text[:120]!r}")


class LogUser(FastHttpUser):
    """A client of the log: mostly reads, some signed submissions, think time between."""

    wait_time = between(0.5, 1.5)
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S

    @task(4)
    def log_info(self) -> None:
        with self.client.get("/api/v1/log", catch_response=True) as response:
            if response.status_code != 200:
                return _fail(response, "log info")
            size = response.json().get("treeSize")
            # Not compared with the newest size seen: another worker process may still serve
            # the checkpoint before the one a 201 just carried (stale, not rolled back).
            if not isinstance(size, int) or size < SHARED.seeded:
                return _fail(response, f"treeSize {size!r} below the {SHARED.seeded} seeded")
            SHARED.size = max(SHARED.size, size)
        return None

    def _check_entry(self, response: Any, index: int | None, uuid: str | None) -> None:
        if response.status_code != 200:
            return _fail(response, "entry")
        body = response.json()
        entries = body if isinstance(body, list) else [body]
        ((entry_id, value),) = entries[0].items()
        proof = value.get("verification", {}).get("inclusionProof", {})
        if index is not None and value.get("logIndex") != index:
            return _fail(response, f"asked index {index}, got {value.get('logIndex')}")
        if uuid is not None and entry_id[-64:] != uuid:
            return _fail(response, f"asked {uuid}, got {entry_id}")
        if proof.get("logIndex") is None or not proof.get("checkpoint"):
            return _fail(response, "no inclusion proof")
        return None

    @task(3)
    def entry_by_index(self) -> None:
        index = random.randrange(max(1, SHARED.size))
        path = f"/api/v1/log/entries?logIndex={index}"
        name = "/api/v1/log/entries?logIndex=[index]"
        with self.client.get(path, name=name, catch_response=True) as response:
            self._check_entry(response, index, None)

    @task(3)
    def entry_by_uuid(self) -> None:
        uuid = random.choice(SHARED.uuids)
        name = "/api/v1/log/entries/[uuid]"
        with self.client.get(f"/api/v1/log/entries/{uuid}", name=name, catch_response=True) as r:
            self._check_entry(r, None, uuid)

    @task(2)
    def consistency_proof(self) -> None:
        last = max(2, SHARED.size)
        first = random.randrange(1, last)
        path = f"/api/v1/log/proof?firstSize={first}&lastSize={last}"
        name = "/api/v1/log/proof?firstSize=[m]&lastSize=[n]"
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                return _fail(response, "consistency proof")
            hashes = response.json().get("hashes")
            if not isinstance(hashes, list) or not hashes:
                return _fail(response, "no consistency proof hashes")
        return None

    @task(2)
    def submit(self) -> None:
        if not SHARED.work:
            return self.log_info()  # none left: the run was longer than estimated
        proposal = SHARED.work.pop()
        SHARED.sent += 1
        with self.client.post(
            "/api/v1/log/entries", json=proposal, catch_response=True
        ) as response:
            if response.status_code != 201:
                return _fail(response, "submission")
            ((entry_id, value),) = response.json().items()
            if not value.get("verification", {}).get("inclusionProof"):
                return _fail(response, "201 without an inclusion proof")
            SHARED.uuids.append(entry_id[-64:])
            SHARED.acked[entry_id[-64:]] = int(value["logIndex"])
            SHARED.acknowledged += 1
            SHARED.size = max(SHARED.size, int(value["logIndex"]) + 1)
        return None

    def on_start(self) -> None:
        self.run = f"{random.getrandbits(128):032x}"
        self.seq = 0
        self.releases = 0

    def list_releases(self) -> None:
        """A project's release records (weight 2, with the records API)."""
        path = f"/api/v1/projects/{PROJECT}/releases"
        with self.client.get(path, catch_response=True) as response:
            if response.status_code != 200 or not isinstance(response.json(), list):
                return _fail(response, "release records")
        return None

    def one_release(self) -> None:
        """One release record with its run's events (weight 2)."""
        version = f"1.0.{random.randrange(SEED_RELEASES)}"
        path = f"/api/v1/projects/{PROJECT}/releases/{version}"
        name = f"/api/v1/projects/{PROJECT}/releases/[version]"
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                return _fail(response, "release record")
        return None

    def list_projects(self) -> None:
        """Every project and its latest release (weight 1)."""
        with self.client.get("/api/v1/projects", catch_response=True) as response:
            if response.status_code != 200:
                return _fail(response, "projects")
        return None

    def add_event(self) -> None:
        """A stage event of this user's release run (weight 1): 201 new."""
        self.seq += 1
        path = f"/api/v1/projects/{PROJECT}/runs/{self.run}/events"
        name = f"/api/v1/projects/{PROJECT}/runs/[run]/events"
        headers = {"Authorization": f"Bearer {SHARED.token}"}
        body = stage_event(self.seq)
        with self.client.post(
            path, json=body, headers=headers, name=name, catch_response=True
        ) as response:
            if response.status_code != 201:
                return _fail(response, "stage event")
        return None

    def put_release(self) -> None:
        """A new release record of this user's run (weight 1): 201 new."""
        self.releases += 1
        version = f"2.{self.run[:8]}.{self.releases}"
        path = f"/api/v1/projects/{PROJECT}/releases/{version}"
        name = f"/api/v1/projects/{PROJECT}/releases/[new version]"
        headers = {"Authorization": f"Bearer {SHARED.token}"}
        body = release_record(version, self.run)
        with self.client.put(
            path, json=body, headers=headers, name=name, catch_response=True
        ) as response:
            if response.status_code != 201:
                return _fail(response, "release record")
        return None

    def optional_page(self) -> None:
        """A release record or dashboard page (weight 3; in the mix only when served)."""
        weights = [weight for weight, _ in SHARED.extra_reads]
        ((_, path),) = random.choices(SHARED.extra_reads, weights=weights)
        with self.client.get(path, catch_response=True) as response:
            if response.status_code != 200:
                return _fail(response, path)
        return None


def _record(request_type: str, name: str, response_time: float, exception: Any, **_: Any) -> None:
    shape = SHARED.shape
    stage = shape.current() if shape is not None else None
    kind = "write" if request_type in {"POST", "PUT"} else "read"
    if request_type == "POST" and name == "/api/v1/log/entries":
        kind = "entry"  # a log submission: a write, and counted as a durable one
    SHARED.samples.append(
        (stage.name if stage else "after", kind, response_time, exception is not None)
    )


def pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else None


_BUCKET = re.compile(r'^(\w+)_bucket\{(.*?)le="([^"]+)"(.*?)\}\s+(\S+)')


def scrape(url: str) -> dict[tuple[str, str], list[tuple[float, float]]] | None:
    """Histogram buckets of ``url/metrics`` (Prometheus text format), or None without it.

    Returns ``{(metric, labels without le): [(upper bound s, cumulative count), ...]}``.
    """
    try:
        answer = httpx.get(f"{url}/metrics", timeout=10)
    except httpx.HTTPError:
        return None
    if answer.status_code != 200:
        return None
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for line in answer.text.splitlines():
        match = _BUCKET.match(line)
        if match:
            labels = (match[2] + match[4]).strip(",")
            bound = math.inf if match[3] == "+Inf" else float(match[3])
            found.setdefault((match[1], labels), []).append((bound, float(match[5])))
    return found


def _quantile_ms(counts: list[tuple[float, float]], q: float) -> float | None:
    """Quantile (ms) of cumulative bucket counts, interpolated in its bucket as Prometheus's
    ``histogram_quantile`` does; None without observations."""
    total = counts[-1][1] if counts else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in counts:
        if count >= rank:
            if math.isinf(bound):
                return round(lower * 1000, 1)
            share = (rank - below) / (count - below) if count > below else 1.0
            return round((lower + (bound - lower) * share) * 1000, 1)
        lower, below = bound, count
    return None


def _during(
    before: dict[tuple[str, str], list[tuple[float, float]]],
    key: tuple[str, str],
    buckets: list[tuple[float, float]],
) -> list[tuple[float, float]]:
    earlier = dict(before.get(key, []))
    return sorted((bound, count - earlier.get(bound, 0.0)) for bound, count in buckets)


def histogram_p95(
    before: dict[tuple[str, str], list[tuple[float, float]]],
    after: dict[tuple[str, str], list[tuple[float, float]]],
) -> dict[str, dict[str, float | None]]:
    """p95 (ms) of each histogram series over the run (the difference of two scrapes).

    Also ``reads`` and ``writes``: the request-duration series (a metric named
    ``*_request_duration_seconds`` with a ``method`` label) summed over GET, and over POST and
    PUT, without ``/metrics`` itself -- the figures our goal (reads < 50 ms, writes < 150 ms)
    is about.
    """
    figures: dict[str, dict[str, float | None]] = {}
    summed: dict[str, dict[float, float]] = {"reads": {}, "writes": {}}
    for key, buckets in sorted(after.items()):
        counts = _during(before, key, buckets)
        name = f"{key[0]}{{{key[1]}}}" if key[1] else key[0]
        total = counts[-1][1] if counts else 0.0
        figures[name] = {"count": total, "p95_ms": _quantile_ms(counts, 0.95)}
        if key[0].endswith("_request_duration_seconds") and 'route="/metrics"' not in key[1]:
            kind = "reads" if 'method="GET"' in key[1] else "writes"
            if 'method="POST"' in key[1] or 'method="PUT"' in key[1] or kind == "reads":
                for bound, count in counts:
                    summed[kind][bound] = summed[kind].get(bound, 0.0) + count
    for kind, by_bound in summed.items():
        counts = sorted(by_bound.items())
        total = counts[-1][1] if counts else 0.0
        figures[kind] = {"count": total, "p95_ms": _quantile_ms(counts, 0.95)}
    return figures


def seed_releases(http: httpx.Client, db_url: str, folder: Path) -> str:
    """Make PROJECT's write token (``liturgia serve token create``) and SEED_RELEASES records."""
    made = subprocess.run(
        [sys.executable, "-m", "liturgia", "serve", "token", "create", PROJECT, "--db", db_url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "XDG_DATA_HOME": str(folder / "data")},
    )
    token = made.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    for number in range(SEED_RELEASES):
        version, run = f"1.0.{number}", f"{number:032x}"
        path = f"/api/v1/projects/{PROJECT}/releases/{version}"
        http.put(path, json=release_record(version, run), headers=headers).raise_for_status()
        events = f"/api/v1/projects/{PROJECT}/runs/{run}/events"
        for seq in (1, 2):
            http.post(events, json=stage_event(seq), headers=headers).raise_for_status()
    return token


def read_back(url: str, acked: dict[str, int]) -> list[str]:
    """The checker: each acknowledged UUID is served at the index its 201 gave; else problems."""
    problems = []
    uuids = sorted(acked)
    with httpx.Client(base_url=url, timeout=TIMEOUT_S) as http:
        for start in range(0, len(uuids), 10):
            asked = uuids[start : start + 10]
            answer = http.post("/api/v1/log/entries/retrieve", json={"entryUUIDs": asked})
            if answer.status_code != 200:
                problems.append(f"retrieve {asked[0]}...: HTTP {answer.status_code}")
                continue
            found = {
                entry_id[-64:]: int(value["logIndex"])
                for item in answer.json()
                for entry_id, value in item.items()
            }
            problems += [
                f"acknowledged {uuid} at {acked[uuid]} is served at {found.get(uuid)}"
                for uuid in asked
                if found.get(uuid) != acked[uuid]
            ]
    return problems[:20]


def _stage_rows(stages: tuple[Stage, ...]) -> list[dict[str, Any]]:
    rows = []
    start = 0.0
    for stage in stages:
        mine = [sample for sample in SHARED.samples if sample[0] == stage.name]
        reads = [ms for _, kind, ms, failed in mine if kind == "read" and not failed]
        writes = [ms for _, kind, ms, failed in mine if kind != "read" and not failed]
        entries = [ms for _, kind, ms, failed in mine if kind == "entry" and not failed]
        span = stage.end_s - start
        rows.append(
            {
                "name": stage.name,
                "users": stage.users,
                "start_s": start,
                "end_s": stage.end_s,
                "requests": len(mine),
                "failures": sum(1 for sample in mine if sample[3]),
                "p95_ms": pct([ms for _, _, ms, _ in mine], 0.95),
                "read_p95_ms": pct(reads, 0.95),
                "write_p95_ms": pct(writes, 0.95),
                "writes": len(entries),
                "writes_per_s": round(len(entries) / span, 1),
            }
        )
        start = stage.end_s
    return rows


def _estimate_writes(stages: tuple[Stage, ...]) -> int:
    """Most submissions a profile can make: user-seconds x 2 requests/s x the write share."""
    user_seconds, start, users = 0.0, 0.0, 0
    for stage in stages:
        user_seconds += (stage.end_s - start) * max(users, stage.users)
        start, users = stage.end_s, stage.users
    return int(user_seconds * 2 * 2 / 14) + 100


def run_locust(url: str, stages: tuple[Stage, ...], out: Path) -> tuple[Environment, float]:
    """Run the profile against ``url``; Locust's CSV files go to ``out/load_*.csv``."""
    shape = StagedShape()
    shape.stages = stages
    SHARED.shape = shape
    if SHARED.extra_reads:
        LogUser.tasks = [*LogUser.tasks, *[LogUser.optional_page] * 3]
    if SHARED.token is not None:
        records = {
            LogUser.list_releases: 2,
            LogUser.one_release: 2,
            LogUser.list_projects: 1,
            LogUser.add_event: 1,
            LogUser.put_release: 1,
        }
        LogUser.tasks = [
            *LogUser.tasks,
            *(func for func, weight in records.items() for _ in range(weight)),
        ]
    # Users stopped by the ramp-down finish the request in flight first (a killed user's
    # submission could be stored without its answer being counted).
    environment = Environment(
        user_classes=[LogUser], shape_class=shape, host=url, stop_timeout=TIMEOUT_S
    )
    environment.events.request.add_listener(_record)
    runner = environment.create_local_runner()
    writer = StatsCSVFileWriter(environment, PERCENTILES_TO_REPORT, str(out / "load"), True)
    writer_greenlet = gevent.spawn(writer.stats_writer)
    history = gevent.spawn(stats_history, runner)
    began = time.monotonic()
    runner.start_shape()
    deadline = stages[-1].end_s + 60
    runner.shape_greenlet.join(timeout=deadline)
    runner.quit()
    elapsed = time.monotonic() - began
    gevent.sleep(1.5)  # one more pass of the CSV writer over the final figures
    for flush in (writer.requests_flush, writer.stats_history_flush, writer.failures_flush):
        flush()
    writer.exceptions_flush()
    writer_greenlet.kill()
    history.kill()
    writer.close_files()
    return environment, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--out", type=Path, default=Path("load-results"))
    parser.add_argument("--workers", type=int, default=2, help="liturgia serve --workers")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="the log's database: a fresh SQLite file, or a throwaway local PostgreSQL cluster",
    )
    args = parser.parse_args()
    stages = PROFILES[args.profile]
    args.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="load-bench-"))
    process = None
    cluster = Cluster() if args.backend == "postgres" else None
    db_url = cluster.url if cluster else f"sqlite://{folder / 'log.db'}"
    try:
        count = _estimate_writes(stages)
        print(f"signing {count + SEED_ENTRIES} hashedrekord proposals", file=sys.stderr)
        SHARED.work = proposals(folder, count + SEED_ENTRIES)
        process, url = start_server(db_url, folder, args.workers)
        with httpx.Client(base_url=url, timeout=TIMEOUT_S) as http:
            for _ in range(SEED_ENTRIES):
                answer = http.post("/api/v1/log/entries", json=SHARED.work.pop())
                answer.raise_for_status()
                ((entry_id, _value),) = answer.json().items()
                SHARED.uuids.append(entry_id[-64:])
            size_before = int(http.get("/api/v1/log").json()["treeSize"])
            SHARED.size = SHARED.seeded = size_before
            if http.get("/api/v1/projects").status_code == 200:
                SHARED.token = seed_releases(http, db_url, folder)
            for weight, path in OPTIONAL_READS:
                if http.get(path).status_code == 200:
                    SHARED.extra_reads.append((weight, path))
        metrics_before = scrape(url)
        cpu_before = cpu_seconds(process.pid)
        environment, elapsed = run_locust(url, stages, args.out)
        server_cpu = cpu_seconds(process.pid) - cpu_before
        metrics_after = scrape(url)
        size_after = int(httpx.get(f"{url}/api/v1/log", timeout=TIMEOUT_S).json()["treeSize"])
        missing = read_back(url, SHARED.acked)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            sys.stderr.write((folder / "serve.err").read_text()[-2000:])
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)

    total = environment.stats.total
    requests = {
        f"{entry.method} {entry.name}": {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.50),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
        }
        for entry in sorted(environment.stats.entries.values(), key=lambda e: (e.name, e.method))
    }
    overall = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "failure_ratio": round(total.fail_ratio, 5),
        "p50_ms": total.get_response_time_percentile(0.50),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "requests_per_s": round(total.num_requests / elapsed, 1),
    }
    broken = []
    if not overall["p95_ms"] < P95_MS:
        broken.append(f"p95 {overall['p95_ms']} ms is not below {P95_MS:g} ms")
    if not overall["failure_ratio"] < FAILURE_RATIO:
        broken.append(f"failure ratio {overall['failure_ratio']:.2%} is not below 1 %")
    # Every 201 grew the tree; a submission without an answer may have too (never more).
    if not SHARED.acknowledged <= size_after - size_before <= SHARED.sent:
        broken.append(
            f"the tree grew by {size_after - size_before}: not between the "
            f"{SHARED.acknowledged} acknowledged and the {SHARED.sent} sent submissions"
        )
    broken += missing
    if total.num_requests == 0:
        broken.append("no request was made")
    server: dict[str, Any] = {"metrics": metrics_after is not None}
    if metrics_after is not None:
        server["histograms"] = histogram_p95(metrics_before or {}, metrics_after)
    stage_rows = _stage_rows(stages)
    result = {
        "profile": args.profile,
        "backend": args.backend,
        "server_workers": args.workers,
        "duration_s": round(elapsed, 1),
        "thresholds": {"p95_ms": P95_MS, "failure_ratio": FAILURE_RATIO},
        "goals": {"read_p95_ms": GOAL_READ_P95_MS, "write_p95_ms": GOAL_WRITE_P95_MS},
        "passed": not broken,
        "broken": broken,
        "overall": overall,
        "requests": requests,
        "stages": stage_rows,
        "writes": {
            "acknowledged": SHARED.acknowledged,
            "sent": SHARED.sent,
            "read_back": len(SHARED.acked) if not missing else None,
            "tree_size_before": size_before,
            "tree_size_after": size_after,
            "per_s": round(SHARED.acknowledged / elapsed, 1),
        },
        "server": server,
        "server_cpu_s": round(server_cpu, 1),
        "csv": sorted(path.name for path in args.out.glob("load_*.csv")),
    }
    (args.out / "load.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")

    print(f"profile {args.profile} on {args.backend}: ", end="")
    print(f"{overall['requests']} requests in {elapsed:.0f} s, ", end="")
    print(f"{overall['failure_ratio']:.2%} failed, p95 {overall['p95_ms']} ms (threshold 500 ms)")
    print("client-side p95 per stage (ms; reads / writes; goal at 200 users: 50 / 150):")
    for row in stage_rows:
        print(
            f"  {row['name']:<10} {row['users']:>4} users  {row['requests']:>6} requests  "
            f"p95 {row['p95_ms']}  reads {row['read_p95_ms']}  writes {row['write_p95_ms']}  "
            f"{row['writes_per_s']} writes/s"
        )
    if metrics_after is None:
        print("server-side: no /metrics on this server")
    else:
        histograms = server["histograms"]
        print(
            f"server-side p95 over the run: reads {histograms['reads']['p95_ms']} ms (goal "
            f"{GOAL_READ_P95_MS:g}), writes {histograms['writes']['p95_ms']} ms (goal "
            f"{GOAL_WRITE_P95_MS:g})"
        )
        for name, figures in histograms.items():
            if not figures["count"] or name in {"reads", "writes"}:
                continue
            print(
                f"server-side {name}: {figures['count']:.0f} observed, p95 {figures['p95_ms']} ms"
            )
    print(
        f"durable writes: {SHARED.acknowledged} acknowledged (tree {size_before} -> "
        f"{size_after}; every one read back at its index: {not missing}), "
        f"{result['writes']['per_s']} writes/s sustained over the run"
    )
    print(f"server CPU {server_cpu:.1f} s; results in {args.out}/load.json and load_*.csv")
    for problem in broken:
        print(f"THRESHOLD BROKEN: {problem}")
    return 0 if not broken else 1


if __name__ == "__main__":
    sys.exit(main())
