"""The OCI target's cost against Debian's ``docker-registry`` (distribution 2.8) on loopback.

Publishes a synthetic release (``--binaries`` Go-binary-sized files of ``--mib`` MiB each,
random bytes, plus an SBOM, a provenance bundle and a signature bundle per binary) with
:class:`~liturgia.publish.oci.OciTarget`, then: the no-op second publish (every blob HEADed,
the tag and the referrers index read), :meth:`fetch_back` (every blob downloaded and hashed),
and :meth:`rollback`. Printed: wall seconds of each step, the median of ``--runs`` runs (each
run on a fresh repository), and the upload rate in MiB/s.

Usage::

    .venv/bin/python benchmarks/oci_publish_bench.py
    .venv/bin/python benchmarks/oci_publish_bench.py --binaries 4 --mib 20 --runs 3

Loopback only; the registry is stopped and the temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from liturgia.publish.oci import OciFile, OciRole, OciTarget


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _release(folder: Path, binaries: int, mib: int) -> list[OciFile]:
    files = []
    for index in range(binaries):
        name = f"vertice-{index}"
        contents = {
            f"bin/{name}": (os.urandom(mib << 20), OciRole.BINARY),
            f"bin/{name}.sigstore.json": (os.urandom(4096), OciRole.SIGNATURE),
            f"{name}.cdx.json": (os.urandom(65536), OciRole.SBOM),
            f"{name}.intoto.sigstore.json": (os.urandom(8192), OciRole.PROVENANCE),
        }
        for file_name, (data, role) in contents.items():
            path = folder / file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            files.append(
                OciFile(
                    name=file_name, path=path, sha256=hashlib.sha256(data).hexdigest(), role=role
                )
            )
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binaries", type=int, default=4)
    parser.add_argument("--mib", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = shutil.which("docker-registry")
    if binary is None:
        raise SystemExit("docker-registry is needed: apt-get install docker-registry")
    with tempfile.TemporaryDirectory(prefix="oci-bench-") as tmp:
        root = Path(tmp)
        port = _free_port()
        config = root / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n"
            f"storage:\n  filesystem:\n    rootdirectory: {root / 'storage'}\n"
            f"  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n"
        )
        registry = subprocess.Popen(
            [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(f"{url}/v2/", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.05)
            files = _release(root / "release", args.binaries, args.mib)
            total = sum(file.path.stat().st_size for file in files) / (1 << 20)
            steps: dict[str, list[float]] = {
                "publish": [],
                "no-op": [],
                "fetch_back": [],
                "rollback": [],
            }
            for run in range(args.runs):
                target = OciTarget(name="bench", url=url, repository=f"bench/run{run}")
                for step, call in (
                    ("publish", lambda t=target: t.publish("1.0.0", files)),
                    ("no-op", lambda t=target: t.publish("1.0.0", files)),
                    ("fetch_back", lambda t=target: t.fetch_back("1.0.0", files)),
                    ("rollback", lambda t=target: t.rollback("1.0.0")),
                ):
                    started = time.perf_counter()
                    call()
                    steps[step].append(time.perf_counter() - started)
        finally:
            registry.terminate()
            registry.wait(timeout=10)
    print(
        f"release: {len(files)} files, {total:.1f} MiB "
        f"({args.binaries} binaries of {args.mib} MiB); median of {args.runs} runs"
    )
    for step, times in steps.items():
        median = statistics.median(times)
        rate = f"  {total / median:7.1f} MiB/s" if step in ("publish", "fetch_back") else ""
        print(f"{step:>10}: {median:7.3f} s{rate}")


if __name__ == "__main__":
    main()
