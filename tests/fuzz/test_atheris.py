"""Coverage-guided fuzzing with atheris (``tests/fuzz/atheris_targets.py``), a short run of each
target from real seeds: it must end without a crash (libFuzzer exits 0 after ``-runs``).

``LITURGIA_FUZZ=long`` gives each target 20 times the runs; the README's long command gives
atheris as long as you like (``-max_total_time=SECONDS``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia.tlog.checkpoint import Checkpoint, sign_checkpoint, signer_for
from tests.conftest import ROOT
from tests.fuzz.test_load_and_chaos_summaries import CHAOS, K6, LOCUST_CSV, LOCUST_JSON

SCRIPT = Path(__file__).with_name("atheris_targets.py")
RUNS = 4000 * (20 if os.environ.get("LITURGIA_FUZZ") == "long" else 1)
FIXTURES = ROOT / "tests" / "fixtures" / "sbom"


def _seeds(target: str, folder: Path) -> dict[str, bytes]:
    if target == "sbom":
        project = FIXTURES / "python" / "requirements"
        written = {}
        for form in ("cyclonedx-json", "cyclonedx-xml", "spdx-json"):
            out = folder / form
            subprocess.run(
                [sys.executable, "-m", "liturgia", "sbom", str(project), "-o", f"{form}={out}"],
                check=True, capture_output=True,
            )  # fmt: skip
            written[form] = out.read_bytes()
        return written
    if target == "checkpoint":
        key = ed25519.Ed25519PrivateKey.generate()
        checkpoint = Checkpoint(origin="log.example - 1", size=42, root_hash=bytes(range(32)))
        return {"note": sign_checkpoint(checkpoint, (signer_for("log", key),))}
    return {
        "csv": b"\x00" + LOCUST_CSV,
        "k6": b"\x01" + json.dumps(K6).encode(),
        "locust": b"\x02" + json.dumps(LOCUST_JSON).encode(),
        "chaos": b"\x03" + json.dumps(CHAOS).encode(),
    }


@pytest.mark.parametrize("target", ["sbom", "checkpoint", "summaries"])
def test_atheris_target_runs_without_a_crash(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, data in _seeds(target, tmp_path).items():
        (corpus / name).write_bytes(data)
    run = subprocess.run(
        [sys.executable, str(SCRIPT), target, str(corpus), f"-runs={RUNS}", "-max_len=65536"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    crashes = sorted(p.name for p in tmp_path.glob("crash-*"))
    assert run.returncode == 0 and not crashes, (crashes, run.stderr[-3000:])
    assert f"Done {RUNS} runs" in run.stderr, run.stderr[-1000:]
