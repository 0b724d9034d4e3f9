"""liturgia releases itself: a dry run on a clone of this repository is GO and verifies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from liturgia.cli import main
from tests.conftest import ROOT


@pytest.mark.slow
def test_dry_run_release_of_this_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "liturgia"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    # The clone stands alone: its tests read only committed fixtures (tests/fixtures).
    monkeypatch.setenv("LITURGIA_KEY", str(tmp_path / "keys" / "release.key"))
    monkeypatch.setenv("LITURGIA_PASSWORD", "dogfood")
    # The clone has no .venv of its own (its [build].python): use the one running the tests.
    monkeypatch.setenv("LITURGIA_PYTHON", sys.executable)
    code = main(["release", "--dry-run", "--project", str(clone), "--format", "json"])
    out = capsys.readouterr()
    assert out.out, out.err
    summary = json.loads(out.out)
    assert code == 0, out.err + json.dumps(summary["checks"], indent=1)
    assert summary["decision"] == "GO"
    folder = Path(summary["directory"])
    version = summary["version"]
    assert {f"liturgia-{version}-py3-none-any.whl", f"liturgia-{version}.tar.gz"} <= set(
        summary["files"]
    )
    assert main(["verify", str(folder), "--key", str(tmp_path / "keys" / "release.pub")]) == 0
    # CI keeps the gate report of liturgia's own release as an output ($LITURGIA_DOGFOOD_OUT).
    keep = os.environ.get("LITURGIA_DOGFOOD_OUT")
    if keep:
        out_folder = Path(keep)
        out_folder.mkdir(parents=True, exist_ok=True)
        for name in ("gate-report.html", "gate-report.json"):
            shutil.copyfile(folder / name, out_folder / name)
