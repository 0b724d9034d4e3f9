"""History benchmark: the next version and its notes for 100,000 commits, beside git-cliff.

Run: ``.venv/bin/python benchmarks/history_bench.py [--commits N] [--keep DIR]``

1. Writes a git repository of ``N`` commits (default 100,000) with ``git fast-import``: a
   ``v1.0.0`` tag on the first commit, then commits whose messages cycle through features,
   fixes with footers, breaking changes, docs, squash-merge bodies, reverts, non-ASCII text and
   non-conventional subjects; each commit changes one file, as real commits do.
2. Times ``liturgia version --print`` and ``liturgia notes`` (the library calls the commands
   make, in this process: plan_version + notes_text) over the whole history since ``v1.0.0``.
3. Times git-cliff on the same repository (``git-cliff --bumped-version`` and
   ``git-cliff --unreleased``, default configuration) and prints the ratio.

Exits 1 when liturgia's version + notes take 5 s or more of wall time (issue 14's target). The
CPU time (this process and its git children) is printed too: on a shared, loaded machine it is
the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from liturgia.config import ProjectSettings
from liturgia.release.notes import notes_text
from liturgia.release.plan import plan_version

_MESSAGES = (
    "feat(api): add endpoint {i}",
    "fix: handle empty input {i}\n\nThe parser crashed on an empty line.\n\nRefs: #{i}",
    "docs: explain option {i}",
    "perf(index): faster lookup {i}",
    "chore: bump dependency {i}",
    "Update README {i}",
    "fix(ui)!: rename button {i}\n\nBREAKING CHANGE: the button is now called Send.",
    "feat(i18n): añadir idioma {i} 🚀",
    "Merge feature {i} (#{i})\n\n* feat: part one of {i}\n\n* fix: part two of {i}",
    "refactor: split module {i}\n\nReviewed-by: Zoë Ångström",
)
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _stream(commits: int) -> bytes:
    """A fast-import stream: ``commits`` commits on main, each changing one file."""
    parts: list[bytes] = []
    stamp = 1_700_000_000
    authors = ("Bench <bench@example.invalid>", "Zoë Ångström <zoe@example.invalid>")
    for i in range(commits):
        message = "chore: initial import" if i == 0 else _MESSAGES[i % len(_MESSAGES)].format(i=i)
        raw = message.encode("utf-8")
        content = f"line {i}\n".encode()
        who = authors[i % 2].encode("utf-8")
        parts.append(b"commit refs/heads/main\n")
        parts.append(b"mark :%d\n" % (i + 1))
        parts.append(b"author %s %d +0000\n" % (who, stamp + i))
        parts.append(b"committer Bench <bench@example.invalid> %d +0000\n" % (stamp + i))
        parts.append(b"data %d\n%s\n" % (len(raw), raw))
        if i:
            parts.append(b"from :%d\n" % i)
        parts.append(b"M 100644 inline file%d.txt\ndata %d\n%s\n" % (i % 97, len(content), content))
        if i == 0:
            parts.append(b"reset refs/tags/v1.0.0\nfrom :1\n\n")
    return b"".join(parts)


def make_repository(path: Path, commits: int) -> float:
    """Create the repository; return the seconds it took."""
    env = {**os.environ, **_GIT_ENV}
    started = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input=_stream(commits),
        check=True,
        env=env,
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True, env=env)
    (path / "liturgia.toml").write_text('[project]\nname = "bench"\n')
    return time.perf_counter() - started


def _cpu() -> float:
    """CPU seconds of this process and its finished children (git), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_liturgia(path: Path) -> tuple[float, float, str, int]:
    """Wall and CPU seconds for version + notes, the version, and the notes' length."""
    settings = ProjectSettings(name="bench")
    cpu = _cpu()
    started = time.perf_counter()
    plan = plan_version(path, settings)
    notes = notes_text(plan, "bench", date(2026, 1, 1), existing_changelog=None)
    return time.perf_counter() - started, _cpu() - cpu, str(plan.version), len(notes)


def time_git_cliff(path: Path) -> tuple[float, str] | None:
    """Seconds for git-cliff's bumped version + unreleased changelog, and its version."""
    cliff = shutil.which("git-cliff") or str(Path(sys.executable).parent / "git-cliff")
    if not Path(cliff).exists():
        return None
    started = time.perf_counter()
    bumped = subprocess.run(
        [cliff, "--bumped-version"], cwd=path, capture_output=True, text=True, check=True
    )
    subprocess.run(
        [cliff, "--unreleased", "-o", os.devnull], cwd=path, capture_output=True, check=True
    )
    return time.perf_counter() - started, bumped.stdout.strip()


def main() -> int:
    """Build the history, time both tools, print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liturgia-history-") as tmp:
        path = args.keep or Path(tmp) / "repo"
        built = make_repository(path, args.commits)
        print(f"repository: {args.commits:,} commits written with git fast-import in {built:.2f} s")
        ours, cpu, version, size = time_liturgia(path)
        print(
            f"liturgia version + notes: {ours:.2f} s wall, {cpu:.2f} s CPU with git's "
            f"(version {version}, notes {size:,} chars; load average {os.getloadavg()[0]:.1f})"
        )
        peer = time_git_cliff(path)
        if peer is None:
            print("git-cliff: not installed (pip install -e '.[test]')")
        else:
            theirs, bumped = peer
            print(f"git-cliff --bumped-version + --unreleased: {theirs:.2f} s (version {bumped})")
            print(f"ratio liturgia / git-cliff: {ours / theirs:.2f}")
    if ours >= 5.0:
        print(f"MISSED: version + notes took {ours:.2f} s >= 5 s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
