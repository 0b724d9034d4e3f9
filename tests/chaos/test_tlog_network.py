"""Chaos experiment "network latency and loss" between the log's clients and a real server.

Hypothesis: with 500 ms ± 250 ms of latency and one connection in five dropped (half before
the request reaches the server, half after it did, so that the answer is lost), liturgia's
clients still log every entry: they retry with exponential backoff and jitter inside an
overall deadline, a retry of an entry the server stored meets a 409 and takes the entry it
names (after verifying it), so no entry is logged twice; when the server then looks dead
(connections refused for 3 s) the shared HTTP client's circuit breaker stops calling it
after 5 refusals instead of hammering it, and the clients recover within seconds of the
server coming back.

Fault: :class:`tests.chaos.proxy.FaultProxy` on loopback between the clients and
``liturgia serve`` (this kernel has no netem): 15 s of latency and drops, then 3 s down.

Load: 4 client threads, each logging distinct signed bundles back to back with
:func:`liturgia.sign.add_log_entry` (the code behind ``liturgia sign --tlog-url``) through one
shared :class:`~liturgia._internal.http.HttpClient` (circuit breaker: 5 refusals, 1 s
cooldown), retrying a bundle whose upload failed after 0.2 s; plus one real ``liturgia sign
--tlog-url`` process during the latency phase.

Checker (reading the server directly, not through the proxy): every acknowledged entry is at
its ``logIndex`` with the acknowledged body and an inclusion proof, checkpoint and SET that
verify under the log key; every artifact is in the log at most once and the tree holds
nothing else; the circuit breaker let at most a handful of requests reach the dead server.
Figures (availability, time to recover, acknowledged, lost) are printed and written to
``$LITURGIA_CHAOS_OUT`` (:mod:`tests.chaos.results`).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization

from liturgia import sign
from liturgia._internal.http import CircuitBreaker, CircuitOpenError, HttpClient
from liturgia.errors import NetworkError
from liturgia.sign.tlog_upload import MAX_ANSWER_BYTES, add_log_entry
from tests.chaos.checker import log_public_key, lost_entries, stop_clients
from tests.chaos.proxy import FaultProxy
from tests.chaos.results import record_result
from tests.chaos.serve import Serve, signed_bundles

CLIENTS = 4
FAULT_SECONDS = 15.0
DOWN_SECONDS = 3.0
AFTER_SECONDS = 5.0
BREAKER = {"threshold": 5, "cooldown": 1.0}


@dataclass
class Outcomes:
    """What the clients saw: each upload call's end time and result."""

    acked: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # bundle -> index, body
    acked_at: dict[int, float] = field(default_factory=dict)  # bundle -> when acknowledged
    calls: list[tuple[float, bool]] = field(default_factory=list)  # (ended at, succeeded)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client_loop(
    number: int,
    bundles: list[bytes],
    signer: sign.Signer,
    log_key: sign.PublicKey,
    url: str,
    http: HttpClient,
    stop: threading.Event,
    seen: Outcomes,
) -> None:
    """Log bundles ``number``, ``number + CLIENTS``, ... until ``stop``; retry a failed one."""
    for index in range(number, len(bundles), CLIENTS):
        while not stop.is_set():
            try:
                logged = add_log_entry(
                    bundles[index], signer.public_key, url, log_key=log_key, http=http
                )
            except NetworkError as exc:
                kind = "circuit open" if isinstance(exc.__cause__, CircuitOpenError) else str(exc)
                with seen.lock:
                    seen.calls.append((time.monotonic(), False))
                    seen.errors[kind] += 1
                stop.wait(0.2)
                continue
            (entry,) = sign.parse_bundle(logged).tlog_entries
            body = base64.b64decode(entry["canonicalizedBody"])
            with seen.lock:
                seen.calls.append((time.monotonic(), True))
                seen.acked[index] = (int(entry["logIndex"]), body)
                seen.acked_at[index] = time.monotonic()
            break
        if stop.is_set():
            return


def _artifact_digest(body: bytes) -> str:
    return str(json.loads(body)["spec"]["data"]["hash"]["value"])


def test_latency_loss_and_a_dead_server_lose_and_duplicate_nothing(
    tmp_path: Path, started: list[Serve]
) -> None:
    seed = int(os.environ.get("LITURGIA_CHAOS_SEED", str(time.time_ns() % 1_000_000)))
    key_path = tmp_path / "log.key.pem"
    server = Serve(f"sqlite://{tmp_path / 'log.db'}", key_path, tmp_path)
    started.append(server)
    proxy = FaultProxy(server.port, seed=seed)
    try:
        log_public = log_public_key(key_path)
        (tmp_path / "log.pub").write_bytes(
            log_public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        log_key = sign.load_public_key(tmp_path / "log.pub")
        bundles, signer = signed_bundles(tmp_path, 600)
        http = HttpClient(
            timeout=5,
            attempts=6,
            backoff=0.2,
            deadline=20,
            max_bytes=MAX_ANSWER_BYTES,
            breaker=CircuitBreaker(**BREAKER),  # type: ignore[arg-type]
        )
        seen = Outcomes()
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=_client_loop,
                args=(n, bundles, signer, log_key, proxy.url, http, stop, seen),
            )
            for n in range(CLIENTS)
        ]

        # The fault: latency and drops, with one real `liturgia sign` through it.
        proxy.faults.latency, proxy.faults.jitter = 0.5, 0.25
        proxy.faults.drop_before, proxy.faults.drop_after = 0.1, 0.1
        fault_start = time.monotonic()
        for thread in threads:
            thread.start()
        artifact = tmp_path / "app-1.0.tar.gz"
        artifact.write_bytes(b"through a bad network\n" * 64)
        # In the background: the phases last what they say, however long it takes to start.
        cli_began = time.monotonic()
        cli = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "liturgia",
                "sign",
                str(artifact),
                "--key",
                str(tmp_path / "signer.key"),
                "--tlog-url",
                proxy.url,
                "--log-key",
                str(tmp_path / "log.pub"),
            ],
            env={**os.environ, "LITURGIA_PASSWORD": "pw"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        cli_ended: list[tuple[float, str]] = []

        def wait_for_cli() -> None:
            errors = cli.communicate()[1]
            cli_ended.append((time.monotonic(), errors))

        waiter = threading.Thread(target=wait_for_cli, daemon=True)
        waiter.start()
        time.sleep(max(0.0, fault_start + FAULT_SECONDS - time.monotonic()))

        # The server looks dead: connections refused.
        requests_before = http.requests
        down_start = time.monotonic()
        proxy.down()
        time.sleep(DOWN_SECONDS)
        requests_while_down = http.requests - requests_before
        breaker_opened = http.breaker.is_open(proxy.url)

        # The fault is removed.
        proxy.faults.latency = proxy.faults.jitter = 0.0
        proxy.faults.drop_before = proxy.faults.drop_after = 0.0
        proxy.up()
        restored = time.monotonic()
        time.sleep(AFTER_SECONDS)
        stop_clients(stop, threads)
        waiter.join(timeout=150)  # within its own deadline (120 s), through whatever it met
    finally:
        stop.set()
        if cli.poll() is None:
            cli.kill()
            cli.wait(timeout=10)
        proxy.close()
    assert cli_ended, "liturgia sign did not end"
    cli_seconds = cli_ended[0][0] - cli_began
    assert cli.returncode == 0, cli_ended[0][1]
    cli_bundle = sign.parse_bundle((tmp_path / "app-1.0.tar.gz.sigstore.json").read_bytes())
    (cli_entry,) = cli_bundle.tlog_entries

    down_calls = [ok for ended, ok in seen.calls if down_start <= ended < restored]
    lossy_calls = [ok for ended, ok in seen.calls if fault_start <= ended < down_start]
    after = [ended for ended, ok in seen.calls if ended >= restored and ok]
    assert after, f"no upload succeeded in the {AFTER_SECONDS} s after the fault: {seen.errors}"
    time_to_recover = after[0] - restored

    # The checker: the server, read directly.
    acked = dict(seen.acked)
    acked[-1] = (int(cli_entry["logIndex"]), base64.b64decode(cli_entry["canonicalizedBody"]))
    lost = lost_entries(server.url, acked, log_public)
    with httpx.Client(base_url=server.url, timeout=20) as direct:
        info = direct.get("/api/v1/log").json()
        size = int(info["treeSize"])
        logged: list[bytes] = []
        for start in range(0, size, 10):
            asked = list(range(start, min(start + 10, size)))
            answer = direct.post("/api/v1/log/entries/retrieve", json={"logIndexes": asked})
            for found in answer.json():
                ((_, value),) = found.items()
                logged.append(base64.b64decode(value["body"]))
    server.stop()
    copies = Counter(_artifact_digest(body) for body in logged)
    twice = [digest for digest, count in copies.items() if count > 1]
    in_latency = {n for n, when in seen.acked_at.items() if when < down_start} | {-1}
    lost_latency = len(lost & in_latency)
    common = {"seed": seed, "tree_size": size, "duplicates": len(twice)}
    result = record_result(
        experiment="network-latency-loss",
        fault=(
            "TCP proxy: 500 ms ± 250 ms latency, 10 % of connections reset before and 10 % "
            "after the request reached the server"
        ),
        duration_s=down_start - fault_start,
        load=f"{CLIENTS} clients logging signed bundles back to back, plus one liturgia sign",
        availability=sum(lossy_calls) / len(lossy_calls) if lossy_calls else 0.0,
        time_to_recover_s=None,  # the clients kept logging through it
        acknowledged=len(in_latency),
        lost=lost_latency,
        liturgia_sign_s=round(cli_seconds, 3),
        proxy_resets_before=proxy.counts.dropped_before,
        proxy_resets_after=proxy.counts.dropped_after,
        connections=proxy.counts.connections,
        **common,
    )
    partition = record_result(
        experiment="network-partition",
        fault=f"TCP proxy down: connections refused for {DOWN_SECONDS:g} s",
        duration_s=restored - down_start,
        load=f"{CLIENTS} clients retrying their upload every 0.2 s",
        availability=sum(down_calls) / len(down_calls) if down_calls else 0.0,
        time_to_recover_s=time_to_recover,
        acknowledged=len(acked) - len(in_latency),
        lost=len(lost) - lost_latency,
        requests_reaching_the_dead_server=requests_while_down,
        refused_by_the_circuit_breaker=seen.errors["circuit open"],
        **common,
    )
    print(f"errors seen by the clients: {dict(seen.errors)}")
    assert not lost, f"seed {seed}: {len(lost)} acknowledged entries lost"
    assert not twice, f"seed {seed}: logged more than once: {twice[:3]}"
    assert size == len(copies), f"seed {seed}: {size} entries for {len(copies)} artifacts"
    assert proxy.counts.dropped_after > 0 and proxy.counts.dropped_before > 0, result
    assert sum(lossy_calls) > CLIENTS, result
    # The breaker: 5 refusals open it; then one trial a cooldown (1 s) at most.
    assert breaker_opened, result
    limit = BREAKER["threshold"] + CLIENTS + int(DOWN_SECONDS / BREAKER["cooldown"]) + 1
    assert requests_while_down <= limit, partition
