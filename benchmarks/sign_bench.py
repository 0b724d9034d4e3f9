"""Signing and verification speed (issue 5 "Speed").

1. Sign a large file (default 1 GiB): wall time against ``sha256sum`` of the same file (target
   <= 1.2x) and the signing process's peak RSS (target < 64 MB). Each is run in a child process
   which reports its own peak RSS (``VmHWM``); the file is read once beforehand so both runs
   find it in the page cache.
2. Verify 1,000 small bundles: per-bundle cost of ``verify_bytes_bundle`` against raw
   ``cryptography`` ECDSA verification of the same signatures (target within 2x).

usage: .venv/bin/python benchmarks/sign_bench.py [--size-mib 1024] [--bundles 1000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.sign import parse_bundle, sign_bytes, verify_bytes_bundle
from liturgia.sign.backends.file import FileSigner
from liturgia.sign.keys import encrypt_private_key

SIGN_CHILD = """
import sys
from pathlib import Path
from liturgia.sign import load_signer, sign_file
signer = load_signer(sys.argv[1], password=b"bench")
Path(sys.argv[3]).write_bytes(sign_file(Path(sys.argv[2]), signer))
# VmHWM is this image's own peak RSS (ru_maxrss would carry the parent's over fork/exec).
status = Path("/proc/self/status").read_text()
print(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")))
"""


def _run_child(args: list[str]) -> tuple[float, int]:
    """Run a child; return (wall seconds, peak RSS in bytes it printed, else 0)."""
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed with {proc.returncode}: {proc.stderr}")
    last = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
    peak_kib = int(last[0]) if last and last[0].isdigit() else 0
    return elapsed, peak_kib * 1024


def _make_file(path: Path, size_mib: int) -> None:
    block = os.urandom(1 << 20)
    with path.open("wb") as handle:
        for i in range(size_mib):
            # Vary each MiB so the content is not one repeated block.
            handle.write(i.to_bytes(8, "little") + block[8:])


def bench_sign(size_mib: int, workdir: Path, repeats: int = 3) -> dict[str, float]:
    artifact = workdir / "artifact.bin"
    _make_file(artifact, size_mib)
    small = workdir / "small.bin"
    _make_file(small, 1)
    private = ec.generate_private_key(ec.SECP256R1())
    key = workdir / "bench.key"
    key.write_bytes(encrypt_private_key(private, b"bench"))
    plain = workdir / "plain.pem"
    plain.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    _run_child(["sha256sum", str(artifact)])  # warm the page cache
    sha_times, sign_times, peaks = [], [], []
    for _ in range(repeats):
        sha_times.append(_run_child(["sha256sum", str(artifact)])[0])
        elapsed, peak = _run_child(
            [sys.executable, "-c", SIGN_CHILD, str(key), str(artifact), str(workdir / "b.json")]
        )
        sign_times.append(elapsed)
        peaks.append(peak)
    sha, signing = min(sha_times), min(sign_times)
    out = str(workdir / "b.json")
    _, small_peak = _run_child([sys.executable, "-c", SIGN_CHILD, str(key), str(small), out])
    _, plain_peak = _run_child([sys.executable, "-c", SIGN_CHILD, str(plain), str(artifact), out])
    mib = 1 << 20
    return {
        "file_mib": size_mib,
        "sha256sum_s": round(sha, 3),
        "liturgia_sign_s": round(signing, 3),
        "ratio": round(signing / sha, 3),
        # Whole process: interpreter + imports (~27 MiB) + cosign's scrypt KDF (N=32768, r=8:
        # 32 MiB, fixed by the key format) + the 1 MiB read buffer.
        "peak_rss_mib": round(max(peaks) / mib, 1),
        # The same key and a 1 MiB file: equal peaks show memory does not grow with file size.
        "peak_rss_1mib_file_mib": round(small_peak / mib, 1),
        # A plaintext PKCS#8 key (no KDF) on the large file: what signing itself costs.
        "peak_rss_no_kdf_mib": round(plain_peak / mib, 1),
    }


def bench_verify(count: int) -> dict[str, float]:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = FileSigner(key)
    artifacts = [f"artifact {i}\n".encode() * 10 for i in range(count)]
    bundles = [sign_bytes(data, signer) for data in artifacts]
    public = signer.public_key
    raw = [
        (parse_bundle(b).message_signature.signature, data)  # type: ignore[union-attr]
        for b, data in zip(bundles, artifacts, strict=True)
    ]
    raw_key = key.public_key()
    rounds = 3
    ours, theirs = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for data, bundle in zip(artifacts, bundles, strict=True):
            verify_bytes_bundle(data, bundle, public)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        for signature, data in raw:
            raw_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        theirs.append(time.perf_counter() - start)
    per_ours = min(ours) / count * 1e6
    per_raw = min(theirs) / count * 1e6
    return {
        "bundles": count,
        "liturgia_us_per_bundle": round(per_ours, 1),
        "raw_cryptography_us_per_signature": round(per_raw, 1),
        "ratio": round(per_ours / per_raw, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--bundles", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sign-bench-") as tmp:
        signing = bench_sign(args.size_mib, Path(tmp))
    verifying = bench_verify(args.bundles)
    ok = signing["ratio"] <= 1.2 and signing["peak_rss_mib"] < 64 and verifying["ratio"] <= 2.0
    result = {"sign": signing, "verify": verifying, "targets_met": ok}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"sign {signing['file_mib']} MiB: {signing['liturgia_sign_s']} s vs sha256sum "
            f"{signing['sha256sum_s']} s (x{signing['ratio']}, target <= 1.2), "
            f"peak RSS {signing['peak_rss_mib']} MiB (target < 64; 1 MiB file: "
            f"{signing['peak_rss_1mib_file_mib']} MiB; without the scrypt KDF: "
            f"{signing['peak_rss_no_kdf_mib']} MiB)"
        )
        print(
            f"verify {verifying['bundles']} bundles: {verifying['liturgia_us_per_bundle']} us each"
            f" vs raw ECDSA {verifying['raw_cryptography_us_per_signature']} us "
            f"(x{verifying['ratio']}, target <= 2)"
        )
        print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
