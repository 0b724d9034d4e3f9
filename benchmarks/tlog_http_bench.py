"""HTTP load generator for ``liturgia serve``: durable writes/s at N concurrent clients.

Starts the real ``liturgia serve --workers N`` (``--workers``, default 2: one per core here) on a
free loopback port over a fresh SQLite database (or PostgreSQL on a throwaway local cluster with
``--backend postgres``), then runs ``--clients`` kept-alive asyncio HTTP/1.1 connections that
POST pre-signed hashedrekord entries (real P-256 signatures made with ``liturgia.sign``) for
``--duration`` seconds. The server's CPU time (its worker processes included) is reported too:
writes per server CPU-second is the figure least disturbed by other load on a shared machine.

A 201 is only sent once the entry is durable *and* integrated in a signed checkpoint (the
answer carries the inclusion proof and that checkpoint), so the latency to 201 is also the
latency to inclusion in a signed checkpoint; the benchmark checks this on a sample by
verifying the proofs offline.

Usage::

    .venv/bin/python benchmarks/tlog_http_bench.py --clients 64 --duration 10
    .venv/bin/python benchmarks/tlog_http_bench.py --backend postgres --duration 10 --workers 1

Bounded: loopback only, at most ``--entries`` submissions, each request has a timeout, the
server and cluster are stopped at the end. Prints one line per figure and a JSON summary last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization

from liturgia import sign
from liturgia.tlog import rekor

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` and its live children (Linux).

    ``liturgia serve --workers N`` serves from child processes, so they are counted too.
    """
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if stat.parent.name == str(pid) or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def proposals(folder: Path, count: int) -> list[dict[str, Any]]:
    """``count`` distinct hashedrekord proposals signed by one real P-256 key."""
    sign.generate_key_pair(folder / "bench.key", folder / "bench.pub", password=b"pw")
    signer = sign.load_signer(str(folder / "bench.key"), password=b"pw")
    made = []
    for number in range(count):
        bundle = sign.parse_bundle(sign.sign_bytes(b"bench artifact %d\n" % number * 8, signer))
        made.append(sign.proposed_entry(bundle, signer.public_key))
    return made


class Cluster:
    """A throwaway PostgreSQL cluster (Debian's packages) on a free loopback port."""

    def __init__(self) -> None:
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1].parent
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.root = Path(tempfile.mkdtemp(prefix="tlog-http-bench-pg-"))
        self.root.chmod(0o755)
        data = self.root / "data"
        data.mkdir()
        if as_user:
            shutil.chown(self.root, "postgres")
            shutil.chown(data, "postgres")
        self.port = free_port()
        initdb = [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres"]
        subprocess.run([*initdb, "--auth=trust"], check=True, capture_output=True)
        self.ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-w"]
        options = f"-p {self.port} -k {self.root} -c listen_addresses={HOST}"
        start = [*self.ctl, "-l", str(self.root / "log"), "-o", options, "start"]
        subprocess.run(start, check=True, capture_output=True)
        self.url = f"postgresql://postgres@{HOST}:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run([*self.ctl, "-m", "fast", "stop"], check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def start_server(
    db_url: str, folder: Path, workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "liturgia", "serve", "--db", db_url]
    command += ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "XDG_DATA_HOME": str(folder / "data")}
    with (folder / "serve.err").open("wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
    wait_ready(process, f"{url}/api/v1/log", folder / "serve.err")
    return process, url


def wait_ready(process: subprocess.Popen[bytes], probe: str, errors: Path) -> None:
    """Wait until ``probe`` answers 200 (30 s at most); stop ``process`` if it never does."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{probe}: server exited: {errors.read_text()}")
        try:
            if httpx.get(probe, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{probe}: server did not start within 30 s")


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one pre-serialised HTTP/1.1 request on a kept-alive connection; return the answer."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def load(
    url: str, work: list[dict[str, Any]], clients: int, duration: float
) -> tuple[list[float], list[dict[str, Any]], int, float]:
    """Submit ``work`` from ``clients`` connections for ``duration`` s; return latencies, answers.

    Each client is one kept-alive HTTP/1.1 connection sending pre-serialised requests and
    reading ``Content-Length`` answers: a load generator costing a few tens of microseconds
    per request, so the 2 cores go to the server (an httpx client per connection cost about
    2 ms of CPU per request, as much as the server).
    """
    host, port = url.removeprefix("http://").split(":")
    requests = []
    for proposed in reversed(work):
        body = json.dumps(proposed).encode()
        requests.append(
            b"POST /api/v1/log/entries HTTP/1.1\r\nHost: %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (host.encode(), len(body), body)
        )
    latencies: list[float] = []
    answers: list[dict[str, Any]] = []
    failures = 0
    errors: list[str] = []
    deadline = time.perf_counter() + duration

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while requests and time.perf_counter() < deadline:
                request = requests.pop()
                started = time.perf_counter()
                try:
                    status, body = await asyncio.wait_for(_post(reader, writer, request), 60)
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    failures += 1
                    errors.append(f"{type(exc).__name__}: {exc}")
                    return
                if status == 201:
                    latencies.append(time.perf_counter() - started)
                    if len(answers) < 200:
                        answers.append(json.loads(body))
                else:
                    failures += 1
                    errors.append(f"{status}: {body[:200]!r}")
        finally:
            writer.close()

    began = time.perf_counter()
    client_cpu = time.process_time()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    print(f"client_cpu_s: {time.process_time() - client_cpu:.2f}", file=sys.stderr)
    for error in sorted(set(errors))[:5]:
        print(f"error: {error}", file=sys.stderr)
    return latencies, answers, failures, elapsed


def _run(coroutine: Any) -> Any:
    """Run on uvloop when installed (cheaper per request), else on asyncio's loop."""
    try:
        import uvloop  # noqa: PLC0415

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="liturgia serve --workers")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--entries", type=int, default=40000, help="most submissions")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tlog-http-bench-"))
    cluster = Cluster() if args.backend == "postgres" else None
    db_url = cluster.url if cluster else f"sqlite://{folder / 'log.db'}"
    process = None
    try:
        work = proposals(folder, args.entries)
        process, url = start_server(db_url, folder, args.workers)
        cpu_before = cpu_seconds(process.pid)
        latencies, answers, failures, elapsed = _run(load(url, work, args.clients, args.duration))
        server_cpu = cpu_seconds(process.pid) - cpu_before
        info = httpx.get(f"{url}/api/v1/log", timeout=10).json()
        key_pem = httpx.get(f"{url}/api/v1/log/publicKey", timeout=10).content
        key = serialization.load_pem_public_key(key_pem)
        for answer in answers:  # the 201 carries a proof verifying against a signed checkpoint
            rekor.verify_log_entry(
                rekor.LogEntry.from_api_json(answer),
                key,  # type: ignore[arg-type]
                key_name=HOST,
                origin=f"{HOST} - {info['treeID']}",
            )
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            sys.stderr.write((folder / "serve.err").read_text()[-2000:])
        if cluster:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    summary = {
        "backend": args.backend,
        "clients": args.clients,
        "seconds": round(elapsed, 2),
        "created": len(latencies),
        "failed": failures,
        "tree_size": info["treeSize"],
        "writes_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms_to_201": round(pct(latencies, 0.50) * 1000, 1),
        "p95_ms_to_201": round(pct(latencies, 0.95) * 1000, 1),
        "p95_ms_to_signed_checkpoint": round(pct(latencies, 0.95) * 1000, 1),
        "proofs_verified": len(answers),
        "server_cpu_s": round(server_cpu, 2),
        "writes_per_server_cpu_s": round(len(latencies) / server_cpu, 1) if server_cpu else 0,
        "cpus": os.cpu_count(),
    }
    for name, value in summary.items():
        print(f"{name}: {value}")
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
