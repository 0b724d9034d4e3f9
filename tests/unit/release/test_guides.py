"""The shell examples of docs/adopting.md run, in order, with the real CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "adopting.md"


def test_every_shell_example_of_the_adoption_guide_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 4
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "LITURGIA_PASSWORD": "demo",
        "HOME": str(tmp_path / "home"),
        "SOURCE_DATE_EPOCH": "1767225600",
    }
    env.pop("LITURGIA_KEY", None)
    for number, block in enumerate(blocks, start=1):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"block {number}:\n{block}\n{done.stdout}{done.stderr}"
    bundle = json.loads((tmp_path / "sbom.cdx.json.sigstore.json").read_text())
    entries = bundle["verificationMaterial"]["tlogEntries"]  # logged in the guide's own log
    assert [entry["logIndex"] for entry in entries] == ["0"]
    assert entries[0]["inclusionProof"]["checkpoint"]["envelope"]
    assert list((tmp_path / "monitor").iterdir())  # the monitor recorded the checkpoint
    assert (tmp_path / "docs" / "release-playbook.md").is_file()
