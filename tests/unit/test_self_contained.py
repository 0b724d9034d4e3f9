"""The repository stands alone: nothing reads the workplace folder beside it (issue 10 item 1).

scripts/check-self-contained.sh is the check .ci/run runs first; here it passes on this project
and fails, naming the file and line, on a tree that reads that folder in each way seen before.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import CORPUS, ROOT

SCRIPT = ROOT / "scripts" / "check-self-contained.sh"
FOLDERS = ("src", "tests", "benchmarks", "scripts", ".ci")


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(root / "scripts" / SCRIPT.name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_this_project_reads_nothing_beside_it() -> None:
    result = _check(ROOT)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert CORPUS == ROOT / "tests" / "fixtures"
    assert (CORPUS / "README.md").is_file()


#: The folder's name, spelled so that this file does not trip the check it tests.
NAME = "sha" + "red"


@pytest.mark.parametrize(
    "line",
    [
        'CORPUS = ROOT.parent / "{}" / "corpus"',
        "PEER = Path(__file__).resolve().parents[3].parent / '{}' / 'peers'",
        'SOURCE = Path("../{}/corpus/osv")',
        '    / "{}"',
        "bash /work/{}/peers/sigstore-js/install.sh",
    ],
)
def test_a_read_of_the_folder_beside_fails_the_check(tmp_path: Path, line: str) -> None:
    for folder in FOLDERS:
        (tmp_path / folder).mkdir()
    shutil.copy2(SCRIPT, tmp_path / "scripts" / SCRIPT.name)
    line = line.format(NAME)
    (tmp_path / "tests" / "test_x.py").write_text(f"ok = '{NAME}'\n{line}\n")
    result = _check(tmp_path)
    assert result.returncode == 1
    assert f"tests/test_x.py:2:{line}" in result.stderr
    assert "tests/test_x.py:1:" not in result.stderr  # the word alone is not a path


def test_the_check_itself_and_plain_words_pass(tmp_path: Path) -> None:
    for folder in FOLDERS:
        (tmp_path / folder).mkdir()
    shutil.copy2(SCRIPT, tmp_path / "scripts" / SCRIPT.name)
    (tmp_path / "src" / "m.py").write_text(
        '"""Values shared by every subsystem."""\nx = b"shared"\n'
    )
    result = _check(tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_missing_folder_is_an_error_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy2(SCRIPT, tmp_path / "scripts" / SCRIPT.name)
    result = _check(tmp_path)
    assert result.returncode == 2
    assert "cannot tell" in result.stderr
