"""What a release could not read or check is never GO by silence (issue 10 items 4 and 5).

The failing inputs: a project with a valid requirements.txt and a truncated package-lock.json
(lodash 4.17.15, express 4.17.1) released GO, the npm packages and their advisories gone, the
only trace "1 warnings"; an unpinned requirement was listed as unchecked while the gate passed.
Each is released here from a real git repository with the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from tests.integration.release.conftest import commit_all
from tests.integration.release.tiny import ADVISORY, make_tiny

LOCK = {
    "name": "shop",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {
            "name": "shop",
            "version": "1.0.0",
            "dependencies": {"express": "4.17.1", "lodash": "4.17.15"},
        },
        "node_modules/express": {"version": "4.17.1", "dependencies": {"qs": "6.7.0"}},
        "node_modules/lodash": {"version": "4.17.15"},
        "node_modules/qs": {"version": "6.7.0"},
    },
}
TRUNCATED = json.dumps(LOCK, indent=2)[:400]
REASON = "not valid JSON"


@pytest.fixture(autouse=True)
def _key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITURGIA_KEY", str(tmp_path / "keys" / "release.key"))
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764400000")


def _release(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    assert out.out, out.err
    return code, json.loads(out.out)


def _checks(summary: dict[str, object]) -> dict[str, dict[str, object]]:
    return {str(c["name"]): c for c in summary["checks"]}  # type: ignore[attr-defined]


def test_a_corrupt_lockfile_is_a_failed_check_unless_waived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(tmp_path / "tiny", files={"package-lock.json": TRUNCATED})
    code, summary = _release(repo, capsys)
    assert (code, summary["decision"]) == (1, "NO-GO")
    inputs = _checks(summary)["inputs"]
    assert inputs["passed"] is False
    (evidence,) = inputs["evidence"]  # type: ignore[misc]
    assert evidence.startswith("not read: package-lock.json: not valid JSON")
    folder = Path(str(summary["directory"]))
    assert f"package-lock.json: {REASON}" in (folder / "gate-report.md").read_text()
    properties = json.loads((folder / "sbom.cdx.json").read_bytes())["metadata"]["properties"]
    assert [p["name"] for p in properties] == ["liturgia:warning"]
    assert properties[0]["value"].startswith(f"package-lock.json: {REASON}")
    # Read back, the SBOM still says it is incomplete: a scan of it is incomplete too.
    scan = ["scan", str(folder / "sbom.cdx.json"), "--osv", str(repo / "osv")]
    assert main([*scan, "--max-age-days", "100000"]) == 2
    assert "(first: sbom.cdx.json: package-lock.json: not valid JSON" in capsys.readouterr().err
    assert main([*scan, "--max-age-days", "100000", "--accept-unchecked"]) == 0
    capsys.readouterr()

    config = repo / "liturgia.toml"
    config.write_text(
        config.read_text() + '[[gates.waivers]]\ncheck = "inputs"\nfile = "package-lock.json"\n'
        'reason = "the shop front end is not shipped in this release"\n'
    )
    commit_all(repo, "chore: waive the shop's lockfile")
    code, summary = _release(repo, capsys)
    assert (code, summary["decision"]) == (0, "GO")
    inputs = _checks(summary)["inputs"]
    assert (inputs["passed"], inputs["status"]) == (True, "waived")
    assert inputs["evidence"][0].endswith(  # type: ignore[index]
        "(waived: the shop front end is not shipped in this release)"
    )
    # Switched off by the configuration, tests and coverage are still rows of the report.
    setting = "gates.require_tests = false in liturgia.toml"
    for name in ("tests", "coverage"):
        row = _checks(summary)[name]
        assert (row["status"], row["passed"]) == ("not-applicable", True)
        assert row["evidence"] == [f"not evaluated: {setting}"]
    markdown = (Path(str(summary["directory"])) / "gate-report.md").read_text()
    assert f"| tests | N/A | not applicable: {setting} |" in markdown
    assert "(4 of 5 checks passed, 1 waived, 2 not applicable)" in markdown


def test_a_waiver_must_say_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_tiny(tmp_path / "tiny")
    config = repo / "liturgia.toml"
    config.write_text(
        config.read_text() + '[[gates.waivers]]\ncheck = "inputs"\nfile = "x.json"\nreason = " "\n'
    )
    assert main(["release", "--dry-run", "--project", str(repo)]) == 2
    assert "gates.waivers.0.reason" in capsys.readouterr().err


def test_sbom_and_scan_refuse_a_named_corrupt_lockfile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "package-lock.json").write_text(TRUNCATED)
    (corrupt / "requirements.txt").write_text("pyyaml==6.0.1\n")
    named = str(corrupt / "package-lock.json")
    assert main(["sbom", named]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"liturgia: error: {named}: {REASON}: ")
    # The folder was named, not the file: an SBOM, which says what it could not read.
    out = tmp_path / "sbom.cdx.json"
    assert main(["sbom", str(corrupt), "-o", f"cyclonedx-json={out}"]) == 0
    (warning,) = json.loads(out.read_bytes())["metadata"]["properties"]
    assert warning["value"].startswith(f"package-lock.json: {REASON}")
    capsys.readouterr()

    osv = tmp_path / "osv"
    osv.mkdir()
    (osv / "a.json").write_text(json.dumps(ADVISORY))
    scan = ["scan", "--osv", str(osv), "--max-age-days", "100000", "--format", "json"]
    assert main([*scan[:1], named, *scan[1:]]) == 2
    assert f"{named}: {REASON}" in capsys.readouterr().err
    assert main([*scan[:1], str(corrupt), *scan[1:]]) == 2
    captured = capsys.readouterr()
    assert "1 inputs could not be read (first: package-lock.json: not valid JSON" in captured.err
    assert any(w.startswith("package-lock.json: ") for w in json.loads(captured.out)["warnings"])
    assert main([*scan[:1], str(corrupt), *scan[1:], "--accept-unchecked"]) == 0


def test_an_unpinned_requirement_fails_the_gate_unless_accepted_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny(
        tmp_path / "tiny",
        files={"requirements.txt": "pyyaml==6.0.1\nrequests>=2\n"},
        scan='ignore = "ignore.toml"',
    )
    (repo / "ignore.toml").write_text("")
    commit_all(repo, "chore: an empty ignore file")
    code, summary = _release(repo, capsys)
    assert (code, summary["decision"]) == (1, "NO-GO")
    vulnerabilities = _checks(summary)["vulnerabilities"]
    assert vulnerabilities["passed"] is False
    assert any(
        "requests@? (pkg:pypi/requests): no version" in item
        for item in vulnerabilities["evidence"]  # type: ignore[attr-defined]
    )
    (repo / "ignore.toml").write_text(
        '[[unchecked]]\ncomponent = "requests"\nreason = "pinned by the deployment"\n'
    )
    commit_all(repo, "chore: accept requests unpinned")
    code, summary = _release(repo, capsys)
    assert (code, summary["decision"]) == (0, "GO")
    evidence = _checks(summary)["vulnerabilities"]["evidence"]
    assert any("accepted: pinned by the deployment" in item for item in evidence)  # type: ignore[attr-defined]


def test_a_policy_replaces_the_built_in_checks_in_its_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """[[gates.checks]]: the report's rows are the policy's, an advisory failure is shown but
    does not block, and an artifact liturgia cannot read a version from is named."""
    repo = make_tiny(tmp_path / "tiny")
    config = repo / "liturgia.toml"
    config.write_text(
        config.read_text()
        + "".join(
            f'[[gates.checks]]\nkind = "{kind}"\n{extra}'
            for kind, extra in (
                ("changelog", ""),
                ("vulnerabilities", ""),
                ("signatures", "require_log = true\n"),
                ("artifact-version", 'unversioned = "allow"\n'),
                ("rollback-plan", 'severity = "advisory"\n'),
            )
        )
    )
    commit_all(repo, "chore: a release policy")
    code, summary = _release(repo, capsys)
    assert (code, summary["decision"]) == (0, "GO")
    checks = _checks(summary)
    assert list(checks) == [
        "changelog", "vulnerabilities", "signatures", "artifact-version", "rollback-plan",
    ]  # fmt: skip
    assert checks["rollback-plan"]["status"] == "fail"
    assert "tiny.txt.sigstore.json: log index " in str(checks["signatures"]["evidence"])
    assert checks["artifact-version"]["evidence"] == [
        "tiny.txt: carries no version liturgia reads (not a wheel, sdist, npm tarball or Go binary)"
    ]
    report = json.loads((Path(str(summary["directory"])) / "gate-report.json").read_text())
    assert [c["severity"] for c in report["checks"]][-1] == "advisory"
    markdown = (Path(str(summary["directory"])) / "gate-report.md").read_text()
    assert "| rollback-plan | FAIL (advisory) | no rollback plan at docs/rollback.md |" in markdown
