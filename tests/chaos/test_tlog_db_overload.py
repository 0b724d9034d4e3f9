"""Chaos experiment "database overload": PostgreSQL with its connections exhausted and the
log's entries table locked.

Hypothesis: while another client holds every free connection slot of the database and an
``ACCESS EXCLUSIVE`` lock on the entries table, ``liturgia serve`` answers quickly with 503 and
``Retry-After`` (its statements give up after the lock timeout instead of waiting for the
lock as long as the lock is held) and keeps answering what it can from memory; once the
lock and the connections are released it takes writes again without a restart, and no
acknowledged entry is lost.

Fault: a throwaway PostgreSQL cluster (``max_connections=30``); an overload client takes
``LOCK TABLE tlog_entries IN ACCESS EXCLUSIVE MODE`` in an open transaction, ends every
other session (the log's connections break, as when an operator sheds load) and opens
connections until PostgreSQL refuses ("too many clients already"), for 6 s.

Load: 4 writer threads submitting distinct signed hashedrekords back to back (a 503 or no
answer is retried after 0.2 s; a 409 names the entry, fetched from its ``Location``), and one
reader thread alternating ``GET /api/v1/log`` and the newest entry by index.

Checker: every acknowledged entry is read back at its ``logIndex`` with an inclusion proof,
checkpoint and SET verifying under the log key; every answer during the fault is a 2xx, a
409 or a 503 carrying ``Retry-After`` (no transport error, no other status); a 503 says the
lock timed out. Figures are printed and written to ``$LITURGIA_CHAOS_OUT``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from liturgia import sign
from tests.chaos.checker import log_public_key, lost_entries, stop_clients
from tests.chaos.load import Seen, refusal, start_load
from tests.chaos.results import record_result
from tests.chaos.serve import Serve, signed_bundles
from tests.contract.tlog.pgcluster import pg_url, throwaway_cluster

pytestmark = pytest.mark.postgres

WRITERS = 4
BEFORE_SECONDS = 2.0
FAULT_SECONDS = 6.0
AFTER_SECONDS = 3.0


@pytest.fixture
def cluster() -> Iterator[str]:
    with throwaway_cluster(max_connections=30) as dsn:
        yield dsn


def _overload(dsn: str, stack: ExitStack) -> int:
    """End the log's sessions, lock the entries table and take every free connection; return
    how many connections were taken."""
    import psycopg  # noqa: PLC0415 - the postgres extra, installed for the tests

    locker = stack.enter_context(psycopg.connect(dsn))
    locker.execute("LOCK TABLE tlog_entries IN ACCESS EXCLUSIVE MODE")  # held until rollback
    with psycopg.connect(dsn, autocommit=True) as admin:  # as an operator shedding load does
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid NOT IN "
            "(pg_backend_pid(), %s) AND backend_type = 'client backend'",
            (locker.info.backend_pid,),
        )
    taken = 1
    while taken < 200:
        try:
            stack.enter_context(psycopg.connect(dsn, connect_timeout=5))
        except psycopg.OperationalError as exc:
            assert "too many clients" in str(exc), exc
            return taken
        taken += 1
    raise AssertionError("PostgreSQL took 200 connections: max_connections was not applied")


def test_an_overloaded_database_fails_fast_with_503_and_recovers_without_restart(
    tmp_path: Path, cluster: str, started: list[Serve]
) -> None:
    key_path = tmp_path / "log.key.pem"
    bundles, signer = signed_bundles(tmp_path, 1500)
    proposals = [sign.proposed_entry(sign.parse_bundle(b), signer.public_key) for b in bundles]
    server = Serve(pg_url(cluster), key_path, tmp_path)
    started.append(server)
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
    try:
        time.sleep(BEFORE_SECONDS)
        with ExitStack() as overload:
            fault_at = time.monotonic()
            seen.phase = "fault"
            taken = _overload(cluster, overload)
            time.sleep(max(0.0, fault_at + FAULT_SECONDS - time.monotonic()))
        released_at = time.monotonic()
        seen.phase = "after"
        time.sleep(AFTER_SECONDS)
    finally:
        stop_clients(stop, threads)

    lost = len(lost_entries(server.url, seen.acked, log_public_key(key_path)))
    fault_answers = seen.between(fault_at, released_at)
    after = [when for when in seen.created if when >= released_at]
    slowest = max((took for _, _, took in fault_answers), default=0.0)
    result = record_result(
        experiment="db-overload-postgresql",
        fault=(
            "PostgreSQL: the log's sessions terminated, max_connections (30) exhausted and "
            f"tlog_entries locked ACCESS EXCLUSIVE for {FAULT_SECONDS:g} s"
        ),
        duration_s=released_at - fault_at,
        load=f"{WRITERS} writers back to back (retrying a 503 after 0.2 s) and 1 reader",
        availability=(
            sum(ok for _, ok, _ in fault_answers) / len(fault_answers) if fault_answers else 0.0
        ),
        time_to_recover_s=(min(after) - released_at) if after else None,
        acknowledged=len(seen.acked),
        lost=lost,
        connections_taken_by_the_overload=taken,
        slowest_answer_during_fault_s=round(slowest, 3),
        statuses=dict(seen.statuses),
        causes=dict(Counter(m.rsplit(": ", 1)[-1] for m in seen.messages.elements())),
    )
    assert lost == 0, result
    assert after, f"writes did not resume without a restart: {result}"
    assert all(ok for _, ok, _ in fault_answers), result
    assert any(s.startswith("fault: write 503") for s in seen.statuses), result
    expected = ("lock timeout", "too many clients", "administrator command", "connection")
    assert all(any(e in m for e in expected) for m in seen.messages), result
