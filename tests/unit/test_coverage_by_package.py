"""scripts/coverage_by_package.py: per-subpackage line and branch figures (issue 16 item 6).

The report is made by coverage.py itself over a tiny ``liturgia`` package in a temporary folder,
so the script is checked against the format it reads in CI, not a hand-written imitation.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "coverage_by_package.py"

SBOM = """\
def pick(flag):
    if flag:
        return 1
    return 2
"""
TLOG = """\
def size(items):
    total = 0
    for item in items:
        total += item
    return total


def unused():
    return 0
"""
RUN = """\
import sys

sys.path.insert(0, "src")  # this liturgia, not the installed one
from liturgia.sbom.pick import pick
from liturgia.tlog.deep.size import size
pick(True)
size([1, 2])
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def _report(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "liturgia"
    for folder, name, text in (
        (package / "sbom", "pick.py", SBOM),
        (package / "tlog" / "deep", "size.py", TLOG),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    for folder in (package, package / "sbom", package / "tlog", package / "tlog" / "deep"):
        (folder / "__init__.py").write_text("")
    (tmp_path / "run.py").write_text(RUN)
    ran = _run("-m", "coverage", "run", "--branch", "--source=src", "run.py", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    made = _run("-m", "coverage", "xml", "-o", "coverage.xml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    return tmp_path / "coverage.xml"


def test_figures_per_subpackage_from_a_real_coverage_report(tmp_path: Path) -> None:
    report = _report(tmp_path)
    result = _run(str(SCRIPT), str(report), "--json", str(tmp_path / "by.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    figures = json.loads((tmp_path / "by.json").read_text())
    sbom = figures["subpackages"]["liturgia.sbom"]
    tlog = figures["subpackages"]["liturgia.tlog"]  # tlog/deep counts in liturgia.tlog
    # pick(): 4 statements (an empty __init__ has none), 3 run (`return 2` does not);
    # its `if` has 2 branches, 1 taken.
    assert (sbom["lines_covered"], sbom["lines_valid"]) == (3, 4)
    assert (sbom["branches_covered"], sbom["branches_valid"]) == (1, 2)
    # size()/unused(): the loop's 2 branches both taken; unused's body never runs.
    assert (tlog["lines_covered"], tlog["lines_valid"]) == (6, 7)
    assert (tlog["branches_covered"], tlog["branches_valid"]) == (2, 2)
    assert figures["total"]["lines_valid"] == sum(
        row["lines_valid"] for row in figures["subpackages"].values()
    )
    assert figures["total"]["combined_percent"] == round(
        100.0
        * (figures["total"]["lines_covered"] + figures["total"]["branches_covered"])
        / (figures["total"]["lines_valid"] + figures["total"]["branches_valid"]),
        2,
    )
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert rows["liturgia.sbom"][1:3] == ["3/4", "1/2"]
    assert list(rows)[-1] == "TOTAL"


def test_a_report_that_is_not_coverage_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "coverage.xml"
    bad.write_text("<testsuites/>")
    result = _run(str(SCRIPT), str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(bad) in result.stderr
    assert "not a Cobertura report" in result.stderr
    bad.write_text(
        "<coverage><packages><class filename='src/liturgia/a.py'><lines>"
        "<line number='1' hits='x'/></lines></class></packages></coverage>"
    )
    result = _run(str(SCRIPT), str(bad), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert "hits='x' not a count" in result.stderr
