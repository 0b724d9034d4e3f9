"""Transparency-log benchmark: durable writes/s into SQLite, proof latency at a large size.

Three bounded phases, all in-process, so they measure the log library without HTTP
(``benchmarks/tlog_http_bench.py`` drives the real ``liturgia serve`` over loopback):

1. ``writes``: N client threads call ``Sequencer.add`` (durable: SQLite WAL, synchronous=FULL)
   and then, as a Rekor v1 client does, wait until the entry is in a signed checkpoint. Reports
   durable writes/s, the acknowledgement latency and the submission-to-checkpoint latency.
2. ``rekor``: N client threads call ``RekorLog.submit`` with pre-signed hashedrekord entries:
   signature check, durable write, integration, and the answer with proof and SET.
3. ``proofs``: builds a log of ``--size`` entries through the same storage and tile code (large
   batches, no client threads), then times inclusion proofs for random leaves served from the
   stored tiles (read + hash + verify), and reports storage bytes per entry.

Usage::

    .venv/bin/python benchmarks/tlog_bench.py --clients 64 --duration 10 --size 1000000
    .venv/bin/python benchmarks/tlog_bench.py --backend postgres --phase writes

With ``--backend postgres`` and no ``--dsn`` it starts a throwaway local cluster (Debian's
PostgreSQL, run as the ``postgres`` user when root) and stops it at the end.

Prints one line per figure on stderr-free stdout and a JSON summary as the last line.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from liturgia.tlog import merkle, tiles
from liturgia.tlog.checkpoint import Checkpoint, EcdsaNoteSigner, rekor_origin, sign_checkpoint
from liturgia.tlog.log import RekorLog
from liturgia.tlog.sequencer import Sequencer
from liturgia.tlog.storage.base import TreeState
from liturgia.tlog.storage.postgres import PostgresStorage
from liturgia.tlog.storage.sqlite import SqliteStorage

ORIGIN = rekor_origin("localhost", 1)


def body(prefix: str, i: int, size: int) -> bytes:
    """A hashedrekord-shaped entry body of about ``size`` bytes, unique per (prefix, i)."""
    digest = merkle.leaf_hash(f"{prefix}-{i}".encode()).hex()
    head = (
        '{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":'
        f'{{"algorithm":"sha256","value":"{digest}"}}}},"signature":{{"content":"'
    )
    pad = max(0, size - len(head) - 4)
    return (head + ("A" * pad) + '"}}}').encode()


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def db_bytes(path: Path) -> int:
    """Bytes of the database file and its WAL / shared-memory companions."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


class Backends:
    """Opens storages of the chosen backend; for PostgreSQL, on a throwaway local cluster."""

    def __init__(self, kind: str, folder: Path, dsn: str | None) -> None:
        self.kind = kind
        self.folder = folder
        self.dsn = dsn
        self.cluster: tuple[list[str], Path] | None = None
        if kind == "postgres" and dsn is None:
            self.dsn = self._start_cluster()

    def _start_cluster(self) -> str:
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1].parent
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        root = Path(tempfile.mkdtemp(prefix="tlog-bench-pg-"))
        root.chmod(0o755)
        data = root / "data"
        data.mkdir()
        if as_user:
            shutil.chown(root, "postgres")
            shutil.chown(data, "postgres")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        initdb = [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres"]
        subprocess.run([*initdb, "--auth=trust"], check=True, capture_output=True)
        ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log")]
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        subprocess.run([*ctl, "-o", options, "start"], check=True, capture_output=True)
        self.cluster = (ctl, root)
        return f"host=127.0.0.1 port={port} user=postgres dbname=postgres"

    def open(self, name: str):
        if self.kind == "sqlite":
            return SqliteStorage(self.folder / f"{name}.db")
        import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs it

        assert self.dsn is not None
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS bench_{name}")
            conn.execute(f"CREATE DATABASE bench_{name}")
        return PostgresStorage(self.dsn.replace("dbname=postgres", f"dbname=bench_{name}"))

    def size(self, name: str) -> int:
        if self.kind == "sqlite":
            return db_bytes(self.folder / f"{name}.db")
        import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs it

        assert self.dsn is not None
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
            row = conn.execute(f"SELECT pg_database_size('bench_{name}')").fetchone()
        return int(row[0])

    def close(self) -> None:
        if self.cluster:
            ctl, root = self.cluster
            subprocess.run([*ctl, "-m", "fast", "stop"], check=False, capture_output=True)
            shutil.rmtree(root, ignore_errors=True)


def bench_writes(
    backends: Backends, clients: int, duration: float, body_bytes: int, wait: bool
) -> dict[str, float]:
    storage = backends.open("writes")
    signer = EcdsaNoteSigner("localhost", ec.generate_private_key(ec.SECP256R1()))
    acks: list[float] = []
    inclusions: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    with Sequencer(storage, signer, origin=ORIGIN) as seq:

        def client(k: int) -> None:
            mine_ack: list[float] = []
            mine_inc: list[float] = []
            i = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                assigned = seq.add(body(f"w{k}", i, body_bytes))
                t1 = time.perf_counter()
                mine_ack.append(t1 - t0)
                if wait:
                    seq.wait_integrated(assigned.index)
                    mine_inc.append(time.perf_counter() - t0)
                i += 1
            with lock:
                acks.extend(mine_ack)
                inclusions.extend(mine_inc)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(duration)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        final = seq.state()
    storage.close()
    out = {
        "backend": backends.kind,
        "clients": clients,
        "duration_s": round(elapsed, 2),
        "entries": len(acks),
        "writes_per_s": round(len(acks) / elapsed, 1),
        "ack_p50_ms": round(pct(acks, 50) * 1e3, 2),
        "ack_p95_ms": round(pct(acks, 95) * 1e3, 2),
        "tree_size": final.size,
    }
    if inclusions:
        out["inclusion_p50_ms"] = round(pct(inclusions, 50) * 1e3, 2)
        out["inclusion_p95_ms"] = round(pct(inclusions, 95) * 1e3, 2)
    return out


def bench_rekor(backends: Backends, clients: int, duration: float) -> dict[str, float]:
    """RekorLog.submit end to end, without HTTP: hashedrekord accepted (signature verified),
    stored durably, integrated, answered with proof, checkpoint and SET."""
    signer = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(
        signer.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()

    def request(k: int, i: int) -> dict:
        digest = hashlib.sha256(f"{k}-{i}".encode()).digest()
        signature = signer.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        return {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                "signature": {
                    "content": base64.b64encode(signature).decode(),
                    "publicKey": {"content": public},
                },
            },
        }

    per_client = 400  # signed in advance: client-side cost stays out of the figure
    prepared = [[request(k, i) for i in range(per_client)] for k in range(clients)]
    storage = backends.open("rekor")
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    with RekorLog(
        storage, ec.generate_private_key(ec.SECP256R1()), host="localhost", tree_id=1
    ) as log:

        def client(k: int) -> None:
            mine = []
            for item in prepared[k]:
                if stop.is_set():
                    break
                t0 = time.perf_counter()
                log.submit(item)
                mine.append(time.perf_counter() - t0)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        stop.wait(duration)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    storage.close()
    return {
        "backend": backends.kind,
        "clients": clients,
        "entries": len(latencies),
        "submits_per_s": round(len(latencies) / elapsed, 1),
        "submit_to_answer_p50_ms": round(pct(latencies, 50) * 1e3, 2),
        "submit_to_answer_p95_ms": round(pct(latencies, 95) * 1e3, 2),
    }


def bench_proofs(backends: Backends, size: int, body_bytes: int, samples: int) -> dict[str, float]:
    storage = backends.open("proofs")
    signer = EcdsaNoteSigner("localhost", ec.generate_private_key(ec.SECP256R1()))
    batch = 50_000
    start = time.perf_counter()
    tree = TreeState()
    for first in range(0, size, batch):
        count = min(batch, size - first)
        leaves = []
        for i in range(first, first + count):
            entry = body("p", i, body_bytes)
            leaves.append((merkle.leaf_hash(entry), entry))
        storage.sequence(leaves, integrated_time=int(time.time()))
        result = tiles.integrate(storage, tree.size, [h for h, _ in leaves])
        note = sign_checkpoint(
            Checkpoint(origin=ORIGIN, size=result.size, root_hash=result.root), [signer]
        )
        tree = TreeState(size=result.size, root=result.root, checkpoint=note)
        storage.commit_tree(old_size=first, state=tree, tiles=result.tiles)
    build = time.perf_counter() - start
    rng = random.Random(7)

    def timed(cache: tiles.NodeCache | None) -> list[float]:
        out = []
        for _ in range(samples):
            index = rng.randrange(size)
            entry = body("p", index, body_bytes)
            t0 = time.perf_counter()
            proof = tiles.inclusion_proof(storage, index, size, cache=cache)
            merkle.verify_inclusion(
                leaf_hash=merkle.leaf_hash(entry),
                index=index,
                tree_size=size,
                proof=proof,
                root=tree.root,
            )
            out.append(time.perf_counter() - t0)
        return out

    # Cold: every proof reads and hashes its tiles. Warm: the sequencer's node cache (LRU,
    # 131072 nodes) after one pass of the same number of random proofs.
    latencies = timed(None)
    cache = tiles.NodeCache()
    timed(cache)
    warm = timed(cache)
    t0 = time.perf_counter()
    for _ in range(200):
        s1 = rng.randrange(1, size)
        tiles.consistency_proof(storage, s1, size)
    consistency_ms = (time.perf_counter() - t0) / 200 * 1e3
    storage.close()
    total = backends.size("proofs")
    return {
        "backend": backends.kind,
        "size": size,
        "build_s": round(build, 1),
        "build_entries_per_s": round(size / build, 0),
        "proof_samples": samples,
        "inclusion_proof_p50_ms": round(pct(latencies, 50) * 1e3, 3),
        "inclusion_proof_p95_ms": round(pct(latencies, 95) * 1e3, 3),
        "inclusion_proof_p99_ms": round(pct(latencies, 99) * 1e3, 3),
        "inclusion_proof_mean_ms": round(statistics.fmean(latencies) * 1e3, 3),
        "inclusion_proof_warm_p50_ms": round(pct(warm, 50) * 1e3, 3),
        "inclusion_proof_warm_p95_ms": round(pct(warm, 95) * 1e3, 3),
        "consistency_proof_mean_ms": round(consistency_ms, 3),
        "db_bytes": total,
        "bytes_per_entry": round(total / size, 1),
        "body_bytes": body_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=64, help="concurrent writer threads")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of writes")
    parser.add_argument("--size", type=int, default=1_000_000, help="entries for the proof phase")
    parser.add_argument("--samples", type=int, default=2000, help="inclusion proofs to time")
    parser.add_argument("--body-bytes", type=int, default=400, help="bytes per entry body")
    parser.add_argument("--no-wait", action="store_true", help="clients do not wait for inclusion")
    parser.add_argument("--phase", choices=["all", "writes", "rekor", "proofs"], default="all")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--dsn", default=None, help="PostgreSQL DSN (default: start a throwaway cluster)"
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="folder for the databases (default: a temp folder)"
    )
    args = parser.parse_args()
    folder_ctx = tempfile.TemporaryDirectory(prefix="tlog-bench-") if args.dir is None else None
    folder = Path(folder_ctx.name) if folder_ctx else args.dir
    folder.mkdir(parents=True, exist_ok=True)
    summary: dict[str, object] = {"cpus": os.cpu_count()}
    backends = Backends(args.backend, folder, args.dsn)
    try:
        if args.phase in ("all", "writes"):
            writes = bench_writes(
                backends, args.clients, args.duration, args.body_bytes, not args.no_wait
            )
            summary["writes"] = writes
            for key, value in writes.items():
                print(f"writes.{key}: {value}")
        if args.phase in ("all", "rekor"):
            submits = bench_rekor(backends, args.clients, args.duration)
            summary["rekor"] = submits
            for key, value in submits.items():
                print(f"rekor.{key}: {value}")
        if args.phase in ("all", "proofs"):
            proofs = bench_proofs(backends, args.size, args.body_bytes, args.samples)
            summary["proofs"] = proofs
            for key, value in proofs.items():
                print(f"proofs.{key}: {value}")
    finally:
        backends.close()
        if folder_ctx:
            folder_ctx.cleanup()
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
