"""The PyPI target's cost against a real pypiserver on loopback.

Builds ``--files`` synthetic wheels of ``--mib`` MiB each (a real zip with core metadata and a
random payload), then with :class:`~liturgia.publish.pypi.PypiTarget`: uploads each (legacy
upload API), looks each up again (the no-op check of a second publish: one PEP 503 page read),
and downloads each back (post-deployment validation). Printed: the median wall seconds of each
step over ``--runs`` runs (each on an empty package folder) and the upload and read-back rates
in MiB/s. The release's own verification (``liturgia verify``) is not included.

Usage::

    .venv/bin/python benchmarks/pypi_publish_bench.py
    .venv/bin/python benchmarks/pypi_publish_bench.py --files 4 --mib 20 --runs 3

Loopback only; the server is stopped and the temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

from liturgia.publish.credentials import ANONYMOUS
from liturgia.publish.pypi import PypiTarget
from liturgia.publish.target import ReleaseFile


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wheel(index: int, mib: int) -> tuple[str, bytes]:
    name = f"benchpkg{index}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}/payload.bin", os.urandom(mib << 20))
        archive.writestr(
            f"{name}-1.0.0.dist-info/METADATA",
            f"Metadata-Version: 2.3\nName: {name}\nVersion: 1.0.0\nSummary: bench\n",
        )
    return f"{name}-1.0.0-py3-none-any.whl", buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--mib", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pypi-bench-"))
    packages = root / "packages"
    packages.mkdir()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pypiserver", "run", "--host", "127.0.0.1", "--port", str(port),
         "-a", ".", "-P", ".", "--disable-fallback", "--backend", "simple-dir",
         "--hash-algo", "sha256", str(packages)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        files = []
        for index in range(args.files):
            name, data = _wheel(index, args.mib)
            path = root / name
            path.write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            files.append((ReleaseFile(name=name, path=path, sha256=digest, size=len(data)), data))
        total = sum(len(data) for _file, data in files) / (1 << 20)
        steps: dict[str, list[float]] = {"upload": [], "lookup (no-op)": [], "read back": []}
        for _run in range(args.runs):
            for stored in packages.iterdir():
                stored.unlink()
            target = PypiTarget("bench", url, credentials=ANONYMOUS)
            start = time.perf_counter()
            for file, data in files:
                assert target.upload(file, data)
            steps["upload"].append(time.perf_counter() - start)
            start = time.perf_counter()
            for file, _data in files:
                assert target.lookup(file) == file.sha256
            steps["lookup (no-op)"].append(time.perf_counter() - start)
            start = time.perf_counter()
            for file, _data in files:
                assert hashlib.sha256(target.download(file)).hexdigest() == file.sha256
            steps["read back"].append(time.perf_counter() - start)
        print(
            f"{args.files} wheels of {args.mib} MiB ({total:.0f} MiB), {args.runs} runs, medians:"
        )
        for step, times in steps.items():
            median = statistics.median(times)
            rate = f", {total / median:.0f} MiB/s" if step != "lookup (no-op)" else ""
            print(f"  {step:15} {median:7.3f} s{rate}")
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
