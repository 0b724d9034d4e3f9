"""The gate's evidence from outside the release folder ships in it, under ``evidence/``.

A real release of the tiny project whose policy reads a rollback plan and a metrics file from
the project: both are copied byte for byte, listed in ``SHA256SUMS``, named by
``gate-report.json``, and ``liturgia verify`` checks them (a changed or removed copy fails it,
naming the file).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.release.checksums import parse_sha256sums
from liturgia.release.gates._evidence import evidence_name
from tests.integration.release.conftest import commit_all
from tests.integration.release.tiny import make_tiny

POLICY = """
[[gates.checks]]
kind = "vulnerabilities"
[[gates.checks]]
kind = "sbom"
[[gates.checks]]
kind = "signatures"
[[gates.checks]]
kind = "changelog"
[[gates.checks]]
kind = "rollback-plan"
path = "ops/rollback.md"
[[gates.checks]]
kind = "metrics"
file = "ops/metrics.json"
"""
ROLLBACK = b"# Rollback\n\n0.1.1: reinstall 0.1.0 with `pip install tiny==0.1.0`.\n"
METRICS = b'{"coverage": 97.5}\n'


@pytest.fixture(autouse=True)
def _key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITURGIA_KEY", str(tmp_path / "keys" / "release.key"))
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764400000")


def _verify(tmp_path: Path, folder: Path) -> int:
    return main(["verify", str(folder), "--key", str(tmp_path / "keys" / "release.pub")])


def test_evidence_files_ship_listed_and_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(
        tmp_path / "tiny", files={"ops/rollback.md": ROLLBACK, "ops/metrics.json": METRICS}
    )
    (repo / "liturgia.toml").write_text((repo / "liturgia.toml").read_text() + POLICY)
    commit_all(repo, "chore: the policy reads a rollback plan and metrics")
    assert main(["release", "--dry-run", "--project", str(repo), "--format", "json"]) == 0
    folder = repo / "dist" / "tiny-0.1.1"
    listed = json.loads(capsys.readouterr().out)["files"]
    assert "evidence/ops/rollback.md" in listed and "evidence" not in listed
    evidence = folder / "evidence" / "ops"
    assert sorted(p.name for p in evidence.iterdir()) == ["metrics.json", "rollback.md"]
    assert (evidence / "rollback.md").read_bytes() == ROLLBACK  # the bytes the check read
    assert (evidence / "metrics.json").read_bytes() == METRICS
    sums = parse_sha256sums((folder / "SHA256SUMS").read_text())
    assert {"evidence/ops/rollback.md", "evidence/ops/metrics.json"} <= set(sums)
    report = json.loads((folder / "gate-report.json").read_text())
    named = {f["name"]: f["sha256"] for c in report["checks"] for f in c["files"]}
    assert named["evidence/ops/rollback.md"] == sums["evidence/ops/rollback.md"]
    assert named["evidence/ops/metrics.json"] == sums["evidence/ops/metrics.json"]
    assert str(tmp_path) not in (folder / "gate-report.json").read_text()
    capsys.readouterr()
    assert _verify(tmp_path, folder) == 0

    (evidence / "rollback.md").write_bytes(ROLLBACK.replace(b"0.1.0", b"0.0.9"))
    assert _verify(tmp_path, folder) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert "evidence/ops/rollback.md" in text
    assert "SHA-256 differs from SHA256SUMS" in text
    assert "not the file gate-report.json's check read" in text
    (evidence / "rollback.md").unlink()
    (evidence / "extra.txt").write_text("rides along\n")
    assert _verify(tmp_path, folder) == 1
    text = "".join(capsys.readouterr())
    assert "evidence/ops/rollback.md" in text and "missing" in text
    assert "evidence/ops/extra.txt" in text and "not listed in SHA256SUMS" in text


def test_evidence_names_are_portable() -> None:
    assert evidence_name("ops/rollback.md") == "evidence/ops/rollback.md"
    assert evidence_name("~/reports/k6.json") == "evidence/home/reports/k6.json"
    assert evidence_name("$TMPDIR/chaos.json") == "evidence/tmp/chaos.json"
    assert evidence_name("{reports_dir}/junit.xml") == "evidence/reports_dir/junit.xml"
    assert evidence_name("../common/plan.md") == "evidence/_parent/common/plan.md"
    assert evidence_name("/srv/plan.md") == "evidence/srv/plan.md"
