"""Chaos experiment "memory leak" on PostgreSQL: ``liturgia serve --workers 2`` in a cgroup v1
memory limit with a leaking companion process (``test_server_memory.py`` is the same fault on
SQLite, with a companion that holds its memory; here it grows without end and is started
again each time it is killed).

Hypothesis: when a process sharing the server's memory limit leaks until the kernel's OOM
killer ends a process of the group, the log keeps its promises: a killed worker is restarted
by its supervisor (the ``liturgia serve`` process stays up), the other worker keeps answering,
writes resume once the leak stops without anyone restarting liturgia, and no acknowledged
entry is lost.

Fault: a memory cgroup (v1: cgroup v2's memory controller is not available on these machines)
holding the server from its start; once it is warm the limit is set to its usage plus
``HEADROOM_MIB`` (swap included, ``memory.memsw.limit_in_bytes``). A companion in the same
cgroup allocates and touches ``STEP_MIB`` every 20 ms; when the OOM killer ends it, it is
started again, for ``FAULT_SECONDS``. Which process the kernel kills is its choice (workers
raise their ``oom_score_adj`` by 500, so it takes a worker before a leaker of its size).

Load: 4 writer threads submitting distinct signed hashedrekords back to back (a 503 or no
answer is retried after 0.2 s; a 409 names the entry) and one reader (log info and the newest
entry), on PostgreSQL (a throwaway cluster outside the cgroup).

Checker: every acknowledged entry is read back at its ``logIndex`` with an inclusion proof,
checkpoint and SET verifying under the log key; the supervisor is alive at the end; writes
resumed after the fault. Availability counts transport errors (a worker killed mid-request) as
failures. Figures (OOM kills by the kernel, leaker and worker deaths) are printed and written
to ``$LITURGIA_CHAOS_OUT``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from liturgia import sign
from tests.chaos.checker import log_public_key, lost_entries, stop_clients
from tests.chaos.load import Seen, refusal, start_load
from tests.chaos.results import record_result
from tests.chaos.serve import Serve, signed_bundles
from tests.contract.tlog.pgcluster import pg_url, throwaway_cluster

pytestmark = pytest.mark.postgres

MEMORY = Path("/sys/fs/cgroup/memory")
WRITERS = 4
BEFORE_SECONDS = 2.0
FAULT_SECONDS = 6.0
AFTER_SECONDS = 10.0
HEADROOM_MIB = 96
STEP_MIB = 4

#: The leaking companion: allocates and touches STEP_MIB every 20 ms, forever.
LEAKER = f"""
import time
leak = []
while True:
    leak.append(bytearray(b"x" * ({STEP_MIB} << 20)))
    time.sleep(0.02)
"""


@pytest.fixture
def cgroup() -> Iterator[Path]:
    """A new memory cgroup (v1), emptied (SIGKILL) and removed afterwards."""
    if not (MEMORY / "memory.limit_in_bytes").exists():
        pytest.fail(f"no cgroup v1 memory controller at {MEMORY}: the experiment cannot run here")
    group = MEMORY / f"liturgia-chaos-{uuid.uuid4().hex[:10]}"
    try:
        group.mkdir()
    except OSError as exc:
        pytest.fail(f"cannot make a memory cgroup under {MEMORY} (needs root): {exc}")
    try:
        yield group
    finally:
        for _ in range(50):
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        group.rmdir()


@pytest.fixture
def cluster() -> Iterator[str]:
    with throwaway_cluster(max_connections=50) as dsn:
        yield dsn


def _joining(group: Path) -> list[str]:
    """A command prefix that moves the shell into ``group``, then execs the command."""
    return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(group)]


def _workers(pid: int) -> set[int]:
    """The uvicorn worker processes of the server ``pid`` (not multiprocessing's helpers)."""
    found = Path(f"/proc/{pid}/task/{pid}/children")
    workers = set()
    for child in found.read_text().split() if found.exists() else ():
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.add(int(child))
    return workers


def _oom_kills(group: Path) -> int:
    for line in (group / "memory.oom_control").read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == "oom_kill":
            return int(value)
    raise AssertionError(f"{group}/memory.oom_control has no oom_kill count (kernel too old)")


def _leak(group: Path, until: float, stop: threading.Event, deaths: list[int]) -> None:
    """Run the leaker in ``group`` until ``until``, starting it again each time it dies."""
    while time.monotonic() < until and not stop.is_set():
        leaker = subprocess.Popen([*_joining(group), sys.executable, "-c", LEAKER])
        try:
            leaker.wait(timeout=max(0.0, until - time.monotonic()))
            deaths.append(leaker.returncode)
        except subprocess.TimeoutExpired:
            leaker.kill()
            leaker.wait()


def test_a_memory_leak_beside_the_server_loses_nothing_and_writes_resume(
    tmp_path: Path, cluster: str, cgroup: Path, started: list[Serve]
) -> None:
    key_path = tmp_path / "log.key.pem"
    bundles, signer = signed_bundles(tmp_path, 1500)
    proposals = [sign.proposed_entry(sign.parse_bundle(b), signer.public_key) for b in bundles]
    server = Serve(pg_url(cluster), key_path, tmp_path, "--workers", "2", prefix=_joining(cgroup))
    started.append(server)
    workers_before = _workers(server.process.pid)
    assert len(workers_before) == 2, workers_before
    seen = Seen(url=server.url)
    stop = threading.Event()
    threads = start_load(
        seen,
        proposals,
        stop,
        writers=WRITERS,
        write_refusal=refusal(503),
        read_refusal=refusal(503),
    )
    leaker_deaths: list[int] = []
    try:
        time.sleep(BEFORE_SECONDS)
        usage = int((cgroup / "memory.usage_in_bytes").read_text())
        limit = usage + (HEADROOM_MIB << 20)
        (cgroup / "memory.limit_in_bytes").write_text(str(limit))
        (cgroup / "memory.memsw.limit_in_bytes").write_text(str(limit))
        fault_at = time.monotonic()
        seen.phase = "fault"
        _leak(cgroup, fault_at + FAULT_SECONDS, stop, leaker_deaths)
        released_at = time.monotonic()
        seen.phase = "after"
        time.sleep(AFTER_SECONDS)
    finally:
        stop_clients(stop, threads)

    supervisor_alive = server.process.poll() is None
    workers_after = _workers(server.process.pid) if supervisor_alive else set()
    oom_kills = _oom_kills(cgroup)
    lost = len(lost_entries(server.url, seen.acked, log_public_key(key_path)))
    fault_answers = seen.between(fault_at, released_at)
    after = [when for when in seen.created if when >= released_at]
    result = record_result(
        experiment="memory-leak-postgresql",
        fault=(
            f"a companion leaking {STEP_MIB} MiB per 20 ms in liturgia serve's memory cgroup "
            f"(v1, limit = the server's usage + {HEADROOM_MIB} MiB) for {FAULT_SECONDS:g} s"
        ),
        duration_s=released_at - fault_at,
        load=f"{WRITERS} writers back to back (retrying a 503 after 0.2 s) and 1 reader",
        availability=(
            sum(ok for _, ok, _ in fault_answers) / len(fault_answers) if fault_answers else 0.0
        ),
        time_to_recover_s=(min(after) - released_at) if after else None,
        acknowledged=len(seen.acked),
        lost=lost,
        limit_mib=round(limit / (1 << 20), 1),
        oom_kills=oom_kills,
        leaker_deaths=len(leaker_deaths),
        workers_replaced=len(workers_before - workers_after),
        supervisor_alive=supervisor_alive,
        statuses=dict(seen.statuses),
    )
    assert oom_kills > 0, f"the leak never met the limit: no fault happened: {result}"
    assert supervisor_alive, f"the OOM killer ended liturgia serve itself: {result}"
    assert len(workers_after) == 2, f"workers not restarted: {result}"
    assert lost == 0, result
    assert after, f"writes did not resume without a restart: {result}"
