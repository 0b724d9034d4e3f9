"""Signing and logging time per release artifact (issue 12: "signing and logging add under 1 s
per artifact").

What the release's sign stage does for each artifact, timed: sign the file into a Sigstore
bundle, then record the bundle in the release's transparency log (submit, wait for a signed
checkpoint, verify the answer under the log key, rewrite the bundle). Against the embedded log
(an SQLite file in a temporary state folder, as a release with nothing configured uses) and,
with ``--tlog-url``, a served log (``liturgia serve``). Each artifact is a distinct file of
``--size-kib`` KiB; the first artifact (which opens the log) is reported apart.

usage: .venv/bin/python benchmarks/release_log_bench.py [--artifacts 20] [--size-kib 512]
       [--tlog-url URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.release.transparency import open_release_log
from liturgia.sign import sign_file
from liturgia.sign.backends.file import FileSigner

TARGET_S = 1.0


def _measure(tlog_url: str | None, count: int, size_kib: int, folder: Path) -> dict[str, float]:
    signer = FileSigner(ec.generate_private_key(ec.SECP256R1()))
    files = []
    for i in range(count):
        path = folder / f"artifact-{i}.bin"
        path.write_bytes(i.to_bytes(8, "little") + os.urandom(size_kib * 1024 - 8))
        files.append(path)
    start = time.perf_counter()
    log = open_release_log(tlog_url, embedded_dir=folder / "state" / "tlog")
    opened = time.perf_counter() - start
    sign_s, log_s = [], []
    with log:
        for path in files:
            start = time.perf_counter()
            bundle = sign_file(path, signer)
            signed = time.perf_counter()
            log.record(bundle, signer.public_key)
            sign_s.append(signed - start)
            log_s.append(time.perf_counter() - signed)
    total = [s + lg for s, lg in zip(sign_s, log_s, strict=True)]
    return {
        "artifacts": count,
        "size_kib": size_kib,
        "open_log_s": round(opened, 4),
        "sign_median_s": round(statistics.median(sign_s), 4),
        "log_median_s": round(statistics.median(log_s), 4),
        "per_artifact_median_s": round(statistics.median(total), 4),
        "per_artifact_max_s": round(max(total), 4),
        "first_artifact_s": round(total[0], 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=int, default=20)
    parser.add_argument("--size-kib", type=int, default=512)
    parser.add_argument("--tlog-url", help="also measure against this served log")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="release-log-bench-") as tmp:
        results["embedded"] = _measure(None, args.artifacts, args.size_kib, Path(tmp))
    if args.tlog_url:
        with tempfile.TemporaryDirectory(prefix="release-log-bench-") as tmp:
            results["served"] = _measure(args.tlog_url, args.artifacts, args.size_kib, Path(tmp))
    ok = all(r["per_artifact_max_s"] < TARGET_S for r in results.values())
    if args.json:
        print(json.dumps({"results": results, "target_met": ok}, indent=2))
    else:
        for name, r in results.items():
            print(
                f"{name} log, {r['artifacts']} artifacts of {r['size_kib']} KiB: sign "
                f"{r['sign_median_s'] * 1000:.1f} ms + log {r['log_median_s'] * 1000:.1f} ms = "
                f"{r['per_artifact_median_s'] * 1000:.1f} ms per artifact (median; max "
                f"{r['per_artifact_max_s'] * 1000:.1f} ms, first {r['first_artifact_s'] * 1000:.1f}"
                f" ms; opening the log {r['open_log_s'] * 1000:.1f} ms); target < {TARGET_S} s"
            )
        print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
