"""Read load on ``liturgia serve`` beside a bare FastAPI route (the floor), in the same run.

Builds a log of ``--entries`` real hashedrekord entries (P-256 signatures made with the
``cryptography`` library, verified by the log as a submission would be) over a fresh SQLite
database (or PostgreSQL on a throwaway local cluster with ``--backend postgres``), starts the
real ``liturgia serve --workers N`` on it, and beside it the **floor**: a bare FastAPI route
on the same uvicorn stack and worker count returning a fixed body of about 1.3 KB (the size of
an entry answer). Then ``--clients`` kept-alive asyncio HTTP/1.1 connections read, for
``--duration`` seconds per kind, at random over the whole log:

* the floor: ``GET /floor`` on the bare route;
* ``entry_by_index``: ``GET /api/v1/log/entries?logIndex=R`` (entry, inclusion proof, SET);
* ``entry_by_uuid``: ``GET /api/v1/log/entries/<uuid>``;
* ``consistency``: ``GET /api/v1/log/proof?firstSize=R&lastSize=<size>``;
* ``log_info``: ``GET /api/v1/log``;
* ``tile``: ``GET /tile/0/<N>`` (a full leaf tile, c2sp.org/tlog-tiles).

The floor is measured right before each kind (other load on a shared machine comes and goes),
``--rounds`` times (floor, then the kind), and the round with the median throughput ratio is
reported with every round's ratio beside it. Printed per kind: requests/s, p50/p95 latency,
failures, the ratio to that floor's throughput and p95, and whether the issue's goal holds (p95
under 50 ms, or within 1.5x the floor's p95 when the floor itself is above 50 ms; throughput at
least 0.8x the floor's). Memory: the RSS of each ``liturgia serve`` worker right after start
and after all the reads, and their ratio (goal: within 2x). A JSON summary is printed last.

Usage::

    .venv/bin/python benchmarks/tlog_read_bench.py --entries 20000 --duration 4
    .venv/bin/python benchmarks/tlog_read_bench.py --backend postgres --entries 20000
    .venv/bin/python benchmarks/tlog_read_bench.py --entries 1000000 --log-file /var/tmp/1m.db

``--log-file`` keeps the SQLite log (and its key, ``<file>.key.pem``) and reuses it when it
exists, so that a million-entry log is built once (it takes minutes) and read in later runs;
it is read at random over the whole of it, whatever ``--entries`` says then.

Bounded: loopback only, every request has a timeout, the servers and the cluster are stopped
and the temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.responses import Response
from tlog_http_bench import HOST, Cluster, _run, free_port, pct, start_server, wait_ready

from liturgia.server import instance
from liturgia.tlog import rekor, tiles
from liturgia.tlog.entries import accept_entry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from rekor_requests import hashedrekord

#: The floor's fixed answer as the issue sets it: 1.3 KB. (An entry answer with its proof of
#: about 15 hashes and its checkpoint is nearer 2.4 KB: ``--floor-bytes`` sets another size.)
FLOOR_BYTES = 1302
#: How the floor's size reaches its uvicorn factory (another process).
FLOOR_VARIABLE = "LITURGIA_BENCH_FLOOR_BYTES"
GOAL_P95_MS = 50.0
#: UUIDs read by ``entry_by_uuid``: a uniform sample of the log.
SAMPLE = 5000


def floor_app() -> FastAPI:
    """The bare FastAPI route the reads are measured against (a uvicorn factory)."""
    app = FastAPI()
    size = int(os.environ.get(FLOOR_VARIABLE, FLOOR_BYTES))
    body = b'{"floor":"' + b"x" * max(0, size - 12) + b'"}'

    @app.get("/floor")
    async def floor() -> Response:
        return Response(body, media_type="application/json")

    return app


def build_log(db_url: str, key_path: Path, count: int) -> tuple[list[str], int]:
    """Fill a log up to ``count`` entries; return a sample of their UUIDs and the tree size.

    The UUIDs are a uniform random sample of the whole log (:data:`SAMPLE` of them). A log
    that has entries already (``--log-file``) gets only the missing ones.
    """
    signer = ec.generate_private_key(ec.SECP256R1())
    log, storage = instance.open_log(db_url, host=HOST, key_path=key_path, wait_timeout=120)
    uuids: list[str] = []
    try:
        had = seen = log.tree_size
        pick = random.Random(2)
        if had:
            sample = pick.sample(range(had), min(had, SAMPLE))
            stored = storage.read_entries(sample)
            uuids = [rekor.entry_id(stored[i].body) for i in sample if i in stored]
        for start in range(had, count, 2000):
            if start and start % 100_000 == 0:
                print(f"building: {start} entries", file=sys.stderr, flush=True)
            batch = [
                accept_entry(hashedrekord(signer, b"read bench %d" % n))
                for n in range(start, min(count, start + 2000))
            ]
            for entry, _ in log.commit(batch):
                # A uniform sample of the whole log (reservoir), not its first entries: the
                # reads by UUID then touch the tiles of the whole log, as those by index do.
                seen += 1
                if len(uuids) < SAMPLE:
                    uuids.append(rekor.entry_id(entry.body))
                elif (slot := pick.randrange(seen)) < SAMPLE:
                    uuids[slot] = rekor.entry_id(entry.body)
        size = log.tree_size
    finally:
        log.close()
        storage.close()
    return uuids, size


def start_floor(folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "tlog_read_bench:floor_app"]
    command += ["--app-dir", str(Path(__file__).parent), "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    with (folder / "floor.err").open("wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://{HOST}:{port}"
    wait_ready(process, f"{url}/floor", folder / "floor.err")
    return process, url


def worker_rss(parent: int) -> dict[int, int]:
    """RSS in KiB of each child process of ``parent`` (the uvicorn workers), Linux."""
    found: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != parent:
                continue
            status = (stat.parent / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found[int(stat.parent.name)] = int(line.split()[1])
    return found


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(head[9:12])


async def load(
    url: str, paths: list[str], clients: int, duration: float
) -> tuple[list[float], int, float]:
    """GET ``paths`` (cycled) from ``clients`` kept-alive connections for ``duration`` s."""
    host, port = url.removeprefix("http://").split(":")
    requests = [
        b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path.encode(), host.encode()) for path in paths
    ]
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + duration

    async def client(number: int) -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, int(port))
        position = number * 7919
        try:
            while time.perf_counter() < deadline:
                request = requests[position % len(requests)]
                position += 1
                started = time.perf_counter()
                try:
                    status = await asyncio.wait_for(_get(reader, writer, request), 30)
                except (OSError, asyncio.IncompleteReadError, TimeoutError):
                    failures += 1
                    return
                if status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failures += 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return latencies, failures, time.perf_counter() - began


def measure(url: str, paths: list[str], clients: int, duration: float) -> dict[str, float]:
    latencies, failures, elapsed = _run(load(url, paths, clients, duration))
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(latencies, 0.50) * 1000, 1),
        "p95_ms": round(pct(latencies, 0.95) * 1000, 1),
        "failed": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--entries", type=int, default=20_000, help="entries in the log")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="liturgia serve --workers")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of load per kind")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="floor-then-kind pairs per kind; the pair with the median ratio is reported",
    )
    parser.add_argument("--only", nargs="*", help="kinds to run (default: all)")
    parser.add_argument(
        "--log-file",
        type=Path,
        help="SQLite log to keep and reuse (built up to --entries when shorter; key beside it)",
    )
    parser.add_argument(
        "--floor-bytes",
        type=int,
        default=FLOOR_BYTES,
        help="size of the floor's fixed answer (default: the issue's 1.3 KB)",
    )
    args = parser.parse_args()
    os.environ[FLOOR_VARIABLE] = str(args.floor_bytes)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, not {args.rounds}")
    if args.log_file and args.backend != "sqlite":
        parser.error("--log-file is a SQLite file: not with --backend postgres")
    folder = Path(tempfile.mkdtemp(prefix="tlog-read-bench-"))
    cluster = Cluster() if args.backend == "postgres" else None
    if args.log_file:
        log_file = args.log_file.resolve()
        db_url = f"sqlite://{log_file}"
        key_path = log_file.with_name(log_file.name + ".key.pem")
    else:
        db_url = cluster.url if cluster else f"sqlite://{folder / 'log.db'}"
        key_path = folder / "log.key.pem"
    processes: list[subprocess.Popen[bytes]] = []
    results: dict[str, dict[str, Any]] = {}
    try:
        began = time.perf_counter()
        uuids, size = build_log(db_url, key_path, args.entries)
        print(f"built: {size} entries in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        floor, floor_url = start_floor(folder, args.workers)
        processes.append(floor)
        os.environ["LITURGIA_LOG_KEY"] = str(key_path)
        server, url = start_server(db_url, folder, args.workers)
        processes.append(server)
        time.sleep(1.0)
        fresh = worker_rss(server.pid)
        rng = random.Random(1)
        full_tiles = size // 256
        kinds: dict[str, tuple[str, list[str]]] = {
            "floor": (floor_url, ["/floor"]),
            "entry_by_index": (
                url,
                [f"/api/v1/log/entries?logIndex={rng.randrange(size)}" for _ in range(20_000)],
            ),
            "entry_by_uuid": (
                url,
                [f"/api/v1/log/entries/{u}" for u in rng.sample(uuids, len(uuids))],
            ),
            "consistency": (
                url,
                [
                    f"/api/v1/log/proof?firstSize={rng.randrange(1, size + 1)}&lastSize={size}"
                    for _ in range(20_000)
                ],
            ),
            "log_info": (url, ["/api/v1/log"]),
            "tile": (
                url,
                [
                    "/"
                    + tiles.tile_path(tiles.TileKey(level=0, index=rng.randrange(full_tiles)), size)
                    for _ in range(2_000)
                ]
                if full_tiles
                else ["/checkpoint"],
            ),
        }
        floor_paths = kinds.pop("floor")[1]
        for kind, (target, paths) in kinds.items():
            if args.only and kind not in args.only:
                continue
            # The floor runs right before each round of a kind: other load on a shared
            # machine comes and goes, and each ratio compares two runs made seconds apart.
            # Of --rounds such pairs, the one with the median throughput ratio is kept.
            rounds: list[dict[str, float]] = []
            for _ in range(args.rounds):
                base = measure(floor_url, floor_paths, args.clients, args.duration)
                figures: dict[str, Any] = measure(target, paths, args.clients, args.duration)
                figures["floor_rps"] = base["rps"]
                figures["floor_p95_ms"] = base["p95_ms"]
                print(f"floor: {base}\n{kind}: {figures}", file=sys.stderr)
                rounds.append(figures)
            ratios = [r["rps"] / r["floor_rps"] if r["floor_rps"] else 0.0 for r in rounds]
            results[kind] = rounds[
                sorted(range(len(rounds)), key=ratios.__getitem__)[len(rounds) // 2]
            ]
            results[kind]["round_ratios"] = [round(r, 2) for r in ratios]
        after = worker_rss(server.pid)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if cluster:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    summary: dict[str, Any] = {
        "backend": args.backend,
        "entries": size,
        "clients": args.clients,
        "workers": args.workers,
        "seconds_per_kind": args.duration,
        "floor_bytes": args.floor_bytes,
        "cpus": os.cpu_count(),
    }
    for kind, figures in results.items():
        floor_rps, floor_p95 = figures["floor_rps"], figures["floor_p95_ms"]
        goal_ms = max(GOAL_P95_MS, 1.5 * floor_p95)
        throughput = figures["rps"] / floor_rps if floor_rps else 0.0
        summary[kind] = {
            **figures,
            "rps_vs_floor": round(throughput, 2),
            "p95_vs_floor": round(figures["p95_ms"] / floor_p95, 2) if floor_p95 else 0,
            "goal_met": bool(
                figures["p95_ms"] <= goal_ms and throughput >= 0.8 and not figures["failed"]
            ),
        }
    fresh_kib = max(fresh.values()) if fresh else 0
    after_kib = max(after.values()) if after else 0
    summary["worker_rss_mib_fresh"] = round(fresh_kib / 1024, 1)
    summary["worker_rss_mib_after_reads"] = round(after_kib / 1024, 1)
    summary["worker_rss_ratio"] = round(after_kib / fresh_kib, 2) if fresh_kib else 0
    for name, value in summary.items():
        print(f"{name}: {value}")
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
