"""`liturgia gate`, `check` and `playbook` with the real CLI on a released tiny project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from tests.integration.release.conftest import commit_all
from tests.integration.release.tiny import make_tiny


@pytest.fixture(autouse=True)
def _key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITURGIA_KEY", str(tmp_path / "keys" / "release.key"))
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764400000")  # 2025-11-29


def _append(repo: Path, text: str) -> None:
    config = repo / "liturgia.toml"
    config.write_text(config.read_text() + text)


def test_gate_reruns_the_checks_on_a_release_folder_without_changing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(tmp_path / "tiny")
    assert main(["release", "--dry-run", "--project", str(repo)]) == 0
    release = repo / "dist" / "tiny-0.1.1"
    before = {p.name: p.read_bytes() for p in release.iterdir()}
    capsys.readouterr()

    assert main(["gate", "--project", str(repo), "--format", "json"]) == 0  # the newest release
    report = json.loads(capsys.readouterr().out)
    assert report["decision"] == "GO"
    assert [c["name"] for c in report["checks"]] == [
        "tests", "coverage", "vulnerabilities", "sbom", "inputs", "signatures", "changelog",
    ]  # fmt: skip
    assert {p.name: p.read_bytes() for p in release.iterdir()} == before
    out = repo / "dist" / "tiny-0.1.1.gate"
    assert sorted(p.name for p in out.iterdir()) == [
        "gate-report.html", "gate-report.json", "gate-report.md", "vulnerabilities.json",
    ]  # fmt: skip
    vulnerabilities = next(c for c in report["checks"] if c["name"] == "vulnerabilities")
    assert [f["name"] for f in vulnerabilities["files"]] == ["vulnerabilities.json"]

    # The policy grows a blocking rollback plan: the same evidence is now NO-GO (exit 1).
    _append(
        repo, '[[gates.checks]]\nkind = "changelog"\n[[gates.checks]]\nkind = "rollback-plan"\n'
    )
    assert main(["gate", "--project", str(repo), "--release", str(release)]) == 1
    err = capsys.readouterr().err
    assert "FAIL rollback-plan: no rollback plan at docs/rollback.md" in err
    assert "NO-GO: " in err
    (repo / "docs").mkdir()
    (repo / "docs" / "rollback.md").write_text("# Rollback\n\n0.1.1: reinstall 0.1.0.\n")
    assert main(["gate", "--project", str(repo), "--release", str(release)]) == 0


def test_gate_on_a_folder_that_is_no_release_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(tmp_path / "tiny")
    assert main(["gate", "--project", str(repo)]) == 2
    assert "no release folder of tiny in it" in capsys.readouterr().err
    (tmp_path / "elsewhere").mkdir()
    assert main(["gate", "--project", str(repo), "--release", str(tmp_path / "elsewhere")]) == 2
    assert "not a release folder of tiny" in capsys.readouterr().err


def test_check_names_every_problem_without_running_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(tmp_path / "tiny")
    assert main(["check", "--project", str(repo)]) == 0
    assert "liturgia.toml: valid; 7 checks: tests, coverage, vulnerabilities" in (
        capsys.readouterr().err
    )
    config = repo / "liturgia.toml"
    config.write_text(
        config.read_text().replace("cp payload.txt", "no-such-program payload.txt")
        + '[[gates.checks]]\nkind = "rollback-plan"\n'
        '[[gates.waivers]]\ncheck = "rollback-plan"\nby = "Ana"\nreason = "draft"\n'
        "expires = 2025-11-01\n"
    )
    (repo / "requirements.txt").unlink()
    assert main(["check", "--project", str(repo)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4, err
    assert "gates.waivers[0]: the waiver of 'rollback-plan' by Ana expired on 2025-11-01" in err[0]
    assert "build" in err[1] and "no-such-program" in err[1]
    assert "gates.checks[0].path: no rollback plan at docs/rollback.md; write it" in err[2]
    assert "project.sbom_paths[0]: 'requirements.txt' not found (4 problems)" in err[3]
    assert not (repo / "dist").exists()

    config.write_text(config.read_text() + '[[gates.checks]]\nkind = "smoke-tests"\n')
    assert main(["check", "--project", str(repo)]) == 2
    assert "gates.checks[1].kind: unknown check kind 'smoke-tests'" in capsys.readouterr().err


def test_check_opens_the_approvers_keys_and_finds_the_rollback_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a person writes before a release (approvers' keys, the plan) is checked by `check`:
    found missing there, not only when the gate runs after a whole build."""
    repo = make_tiny(tmp_path / "tiny")
    (repo / "keys").mkdir()
    (repo / "keys" / "not-a-key.pub").write_text("hello\n")
    _append(
        repo,
        '[[gates.checks]]\nkind = "rollback-plan"\npath = "ops/rollback.md"\n'
        '[[gates.checks]]\nkind = "approvals"\n[gates.checks.roles.security]\n'
        'keys = ["keys/nobody.pub", "keys/not-a-key.pub"]\n',
    )
    assert main(["check", "--project", str(repo)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3, err
    assert "liturgia.toml: gates.checks[0].path: no rollback plan at ops/rollback.md" in err[0]
    assert "gates.checks[1].roles.security.keys[0]: keys/nobody.pub: " in err[1]
    assert "gates.checks[1].roles.security.keys[1]: keys/not-a-key.pub: " in err[2]
    assert err[2].endswith("(3 problems)")

    # The plan written and a real key in place of both: check is satisfied.
    (repo / "ops").mkdir()
    (repo / "ops" / "rollback.md").write_text("# Rollback\n")
    assert main(["keys", "generate", "--prefix", str(repo / "keys" / "sec")]) == 0
    config = repo / "liturgia.toml"
    config.write_text(
        config.read_text().replace('"keys/nobody.pub", "keys/not-a-key.pub"', '"keys/sec.pub"')
    )
    capsys.readouterr()
    assert main(["check", "--project", str(repo)]) == 0, capsys.readouterr().err


def test_check_names_every_problem_of_each_kind_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(tmp_path / "tiny", build=("no-such-a payload.txt", "no-such-b payload.txt"))
    config = repo / "liturgia.toml"
    config.write_text(
        config.read_text()
        .replace(
            'sbom_paths = ["requirements.txt"]',
            'sbom_paths = ["requirements.txt", "a.lock", "b.lock"]',
        )
        .replace('osv = ["osv"]', 'osv = ["osv", "osv-a", "osv-b"]')
        + '[[gates.checks]]\nkind = "nope"\n'
        '[[gates.checks]]\nkind = "chaos"\nmin_uptime = "high"\n'
        '[[gates.checks]]\nkind = "changelog"\n'
        '[[gates.checks]]\nkind = "changelog"\n'
        '[[gates.waivers]]\ncheck = "missing"\nby = "Ana"\nreason = "r"\nexpires = 2027-01-01\n'
    )
    assert main(["check", "--project", str(repo)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 10, err
    expected = [
        "gates.checks[0].kind: unknown check kind 'nope'",
        "gates.checks[1].min_uptime",
        "gates.checks[3].name: 'changelog' is the name of an earlier check",
        "gates.waivers[0].check: 'missing' names no check of the policy",
        "build.commands[0]",
        "build.commands[1]",
        "project.sbom_paths[1]: 'a.lock' not found",
        "project.sbom_paths[2]: 'b.lock' not found",
        "osv-a",
        "osv-b",
    ]
    for line, words in zip(err, expected, strict=True):
        assert line.startswith("liturgia: error: ") and words in line, (words, line)
    assert "no-such-a" in err[4] and "no-such-b" in err[5]
    assert err[-1].endswith("(10 problems)")
    assert not (repo / "dist").exists()


def test_playbook_is_written_from_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(tmp_path / "tiny")
    _append(
        repo,
        '[[gates.checks]]\nkind = "vulnerabilities"\n'
        '[[gates.checks]]\nkind = "chaos"\nseverity = "advisory"\nmin_uptime = 99.5\n'
        '[[gates.checks]]\nkind = "rollback-plan"\npath = "ops/rollback.md"\n'
        '[[gates.checks]]\nkind = "approvals"\n[gates.checks.roles.security]\n'
        'keys = ["keys/sec.pub"]\n'
        '[[gates.waivers]]\ncheck = "chaos"\nby = "Ana (SRE)"\nreason = "rig rebuilt"\n'
        "expires = 2026-03-01\n",
    )
    commit_all(repo, "chore: policy")
    assert main(["playbook", "--project", str(repo)]) == 0
    text = (repo / "docs" / "release-playbook.md").read_text()
    assert text.startswith("# Release playbook: tiny\n")
    assert (
        "| chaos | advisory | Chaos tests executed: uptime at or above the minimum, no "
        "acknowledged entry lost. | `docs/chaos/report.json` |"
    ) in text
    assert "- `chaos`, accepted by Ana (SRE) until 2026-03-01: rig rebuilt" in text
    assert "The rollback plan is `ops/rollback.md`" in text
    assert "`liturgia rollback VERSION --reason TEXT`, which marks the release" in text
    assert (
        "7. sign (every artifact and SBOM, each bundle recorded in the transparency log)\n8. "
        "attest (SLSA provenance" in text
    )
    assert (
        "- security: 1 of `keys/sec.pub` (`liturgia approve VERSION --role security --key KEY`)"
    ) in text
    assert main(["playbook", "--project", str(repo)]) == 0
    assert (repo / "docs" / "release-playbook.md").read_text() == text  # same policy, same bytes


def test_deploy_runs_a_stage_and_the_gate_reads_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_tiny(tmp_path / "tiny")
    (repo / "smoke.py").write_text(
        "import os, sys\nprint('GET /health for', os.environ['LITURGIA_VERSION'])\n"
        "sys.exit(int(os.environ.get('SMOKE_EXIT', '0')))\n"
    )
    _append(
        repo,
        '[[gates.checks]]\nkind = "changelog"\n'
        '[[gates.checks]]\nkind = "deploy"\nname = "smoke"\nstage = "smoke"\n'
        'report = "reports/smoke.json"\ncommand = "python smoke.py"\n',
    )
    commit_all(repo, "chore: a smoke stage")
    assert main(["release", "--dry-run", "--project", str(repo)]) == 1  # no smoke report yet
    capsys.readouterr()
    assert main(["deploy", "smoke", "--version", "0.1.1", "--project", str(repo)]) == 0
    report = json.loads((repo / "reports" / "smoke.json").read_text())
    assert report == {
        "command": "python smoke.py", "exit_status": 0, "output": "GET /health for 0.1.1\n",
        "stage": "smoke", "version": "0.1.1",
    }  # fmt: skip
    release = repo / "dist" / "tiny-0.1.1"
    assert main(["gate", "--project", str(repo), "--release", str(release)]) == 0
    assert "PASS smoke: smoke exited 0 for 0.1.1" in capsys.readouterr().err

    # --format json: the same data on stdout, the report's path beside it; a failure is 1.
    argv = ["deploy", "smoke", "--version", "0.1.1", "--project", str(repo), "--format", "json"]
    monkeypatch.setenv("SMOKE_EXIT", "7")
    assert main(argv) == 1
    document = json.loads(capsys.readouterr().out)
    assert document == {
        **json.loads((repo / "reports" / "smoke.json").read_text()),
        "report": str(repo / "reports" / "smoke.json"),
    }
    assert (document["exit_status"], document["output"]) == (7, "GET /health for 0.1.1\n")

    assert main(["deploy", "staging", "--version", "0.1.1", "--project", str(repo)]) == 2
    assert "no deploy check has stage 'staging' (stages: smoke)" in capsys.readouterr().err


def test_rollback_marks_and_deletes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(tmp_path / "tiny")
    assert main(["rollback", "0.1.1", "--reason", "x", "--project", str(repo)]) == 2
    assert "no release of tiny 0.1.1 to roll back" in capsys.readouterr().err
    assert main(["release", "--dry-run", "--project", str(repo)]) == 0
    release = repo / "dist" / "tiny-0.1.1"
    before = {p.name: p.read_bytes() for p in release.iterdir()}
    capsys.readouterr()
    argv = ["rollback", "0.1.1", "--reason", "login broken", "--project", str(repo)]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert (
        "tiny 0.1.1 marked rolled back (it was never published); no file and no log entry was "
        "deleted" in err
    )
    assert "no earlier release is in dist/: release a fix" in err
    record = json.loads((repo / "dist" / "tiny-0.1.1.rolled-back.json").read_text())
    assert record == {
        "complete": True, "previous": None, "project": "tiny", "reason": "login broken",
        "rolled_back_at": "2025-11-29T07:06:40Z", "targets": {}, "version": "0.1.1",
    }  # fmt: skip
    assert {p.name: p.read_bytes() for p in release.iterdir()} == before
    assert main(argv) == 2
    assert "already marked rolled back" in capsys.readouterr().err
