"""The full release of examples/vertice, every artifact built (issue 12: "the example's full
release, all seven artifacts, in under 60 s on this 2-core machine with warm caches").

A copy of the example in a fresh git repository (tagged v0.1.0, then a feat: release 0.2.0) is
released with ``--dry-run`` through :func:`liturgia.release.pipeline.run_release`, as
``liturgia release`` does: four Go binaries (``go build`` from Debian's Go packages), the front
end (``npm ci`` from the warm npm cache, ``tsc``, the tarball), the wheel and sdist, the tests,
the SBOMs, the scan, the signatures and their log entries (the embedded log, in a temporary
state folder), the notes, the gate and the checksums. One warm-up run fills the Go build cache
and the npm cache (not counted); then ``--runs`` timed runs, each stage timed apart.

GoReleaser's published timings are not available offline (no network but the package
registries here), so no comparison with them is printed; the figures stand alone.

usage: .venv/bin/python benchmarks/polyglot_release_bench.py [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from liturgia.config import load_config
from liturgia.release.pipeline import ReleaseOptions, run_release

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "vertice"
TARGET_S = 60.0
_GIT = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.test",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class _Timer:
    """A stage listener that records each stage's wall time."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def stage_started(self, name: str) -> None:
        self.started[name] = time.perf_counter()

    def stage_finished(self, name: str, summary: str, *, ok: bool = True) -> None:
        del summary, ok
        self.seconds[name] = time.perf_counter() - self.started[name]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env={**os.environ, **_GIT},
        check=True,
        capture_output=True,
    )


def _repository(folder: Path) -> Path:
    repo = folder / "vertice"
    shutil.copytree(
        EXAMPLE, repo, ignore=shutil.ignore_patterns("dist", "__pycache__", "node_modules")
    )
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "feat: vertice")
    _git(repo, "tag", "-a", "v0.1.0", "-m", "vertice 0.1.0")
    graph = repo / "backend" / "src" / "vertice_backend" / "graph.py"
    graph.write_text(graph.read_text() + "\nVERTEX_LIMIT = 10_000\n")
    _git(repo, "commit", "-q", "-am", "feat(graph): limit the number of vertices")
    return repo


def _release(repo: Path) -> tuple[float, dict[str, float], int]:
    timer = _Timer()
    start = time.perf_counter()
    result = run_release(
        load_config(repo),
        ReleaseOptions(dry_run=True, password=lambda _purpose, _confirm: b"bench"),
        timer,
    )
    total = time.perf_counter() - start
    if not result.report.go:
        raise SystemExit(f"the release is NO-GO: {result.directory}/gate-report.md")
    # Each artifact has its own SBOM, <artifact>.cdx.json (the release's is sbom.cdx.json).
    artifacts = sum(
        1 for name in result.files if name.endswith(".cdx.json") and name != "sbom.cdx.json"
    )
    return total, timer.seconds, artifacts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polyglot-bench-") as name:
        folder = Path(name)
        os.environ.update(
            LITURGIA_PYTHON=sys.executable,
            LITURGIA_KEY=str(folder / "keys" / "release.key"),
            LITURGIA_PASSWORD="bench",
            SOURCE_DATE_EPOCH="1764400000",
            XDG_STATE_HOME=str(folder / "state"),
        )
        repo = _repository(folder)
        warm, _, artifacts = _release(repo)
        totals: list[float] = []
        stages: dict[str, list[float]] = {}
        for _ in range(args.runs):
            total, seconds, artifacts = _release(repo)
            totals.append(total)
            for stage, value in seconds.items():
                stages.setdefault(stage, []).append(value)
    medians = {stage: round(statistics.median(v), 2) for stage, v in stages.items()}
    figures = {
        "artifacts": artifacts,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "warm_up_s": round(warm, 1),
        "total_median_s": round(statistics.median(totals), 1),
        "total_min_s": round(min(totals), 1),
        "total_max_s": round(max(totals), 1),
        "stage_median_s": medians,
        "target_s": TARGET_S,
        "goreleaser": "published figures not available offline; not compared",
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"vertice full dry-run release, {artifacts} artifacts (each with bundle and SBOM), "
        f"{os.cpu_count()} CPUs, warm caches, {args.runs} runs"
    )
    print(f"  warm-up (not counted): {warm:.1f} s")
    print(
        f"  total: median {figures['total_median_s']} s (min {figures['total_min_s']}, "
        f"max {figures['total_max_s']}); target under {TARGET_S:.0f} s"
    )
    for stage, value in medians.items():
        print(f"  {stage:<10} {value:6.2f} s")
    print("  GoReleaser: its published figures are not available offline; no comparison made")


if __name__ == "__main__":
    main()
