"""A known-vulnerable pin makes the release NO-GO (exit 1), still written and marked."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from liturgia.cli import main
from tests.conftest import CORPUS
from tests.integration.release.conftest import commit_all, git
from tests.integration.release.test_release_vertice import _published_texts


def test_vulnerable_pin_is_no_go(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    requirements = repo / "backend" / "requirements.txt"
    # PYSEC-2018-28 (CVE-2018-18074): requests < 2.20.0 leaks Authorization headers on
    # https->http redirects; the PyPA record's ECOSYSTEM range is introduced 0, fixed 2.20.0.
    text = requirements.read_text().replace("requests==2.32.3", "requests==2.19.0")
    requirements.write_text(text)
    commit_all(repo, "fix(deps): pin requests")
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    assert code == 1, out.err
    summary = json.loads(out.out)
    assert summary["decision"] == "NO-GO"
    assert summary["version"] == "0.2.0"
    folder = Path(summary["directory"])
    assert (folder / "NO-GO").read_text().startswith("NO-GO: failed checks: vulnerabilities")
    gate = (folder / "gate-report.md").read_text()
    assert "NO-GO" in gate
    assert "PYSEC-2018-28" in gate
    assert "requests" in gate
    vulns = json.loads((folder / "vulnerabilities.json").read_text())
    assert "PYSEC-2018-28" in json.dumps(vulns)
    # A NO-GO release is complete and every signature verifies, but a consumer is told it is
    # NO-GO (exit 1), and it is never tagged.
    capsys.readouterr()
    assert main(["verify", str(folder), "--key", str(signing_env.with_suffix(".pub"))]) == 1
    err = capsys.readouterr().err
    assert "gate-report.json: the release is NO-GO, not GO" in err
    assert "FAILED" in err
    assert err.count("✗") == 1, err
    assert git(repo, "tag", "--list") == "v0.1.0\n"


def test_real_release_tags_and_updates_changelog(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    code = main(["release", "--project", str(repo), "--out", str(repo.parent / "out")])
    assert code == 0, capsys.readouterr().err
    assert git(repo, "tag", "--list") == "v0.1.0\nv0.2.0\n"
    assert "## [0.2.0]" in (repo / "CHANGELOG.md").read_text()
    assert (repo.parent / "out" / "vertice-0.2.0" / "SHA256SUMS").is_file()
    assert git(repo, "log", "-1", "--format=%s") == "chore(release): 0.2.0\n"
    assert git(repo, "status", "--porcelain") == ""

    # The next release's notes say what changed in the dependencies since 0.2.0.
    requirements = repo / "backend" / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("idna==3.20", "idna==3.21"))
    commit_all(repo, "fix(deps): idna 3.21")
    code = main(["release", "--project", str(repo), "--out", str(repo.parent / "out")])
    assert code == 0, capsys.readouterr().err
    notes = (repo.parent / "out" / "vertice-0.2.1" / "RELEASE_NOTES.md").read_text()
    assert "## Dependency changes" in notes
    assert "Compared with `vertice-0.2.0`." in notes
    assert "- idna 3.20 → 3.21" in notes
    assert "- vertice-backend 0.2.0 → 0.2.1" in notes


def test_components_the_database_cannot_check_fail_the_gate(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A Rust part with no crates.io advisories in the database: nothing was checked for it,
    # which must not read as "no vulnerabilities".
    repo = make_vertice()
    rust = repo / "engine"
    rust.mkdir()
    for name in ("Cargo.toml", "Cargo.lock"):
        (rust / name).write_bytes((CORPUS / "sbom" / "rust" / name).read_bytes())
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace('"cli"]', '"cli", "engine"]'))
    commit_all(repo, "feat(engine): a Rust engine")
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    assert code == 1, out.err
    checks = {c["name"]: c for c in json.loads(out.out)["checks"]}
    assert not checks["vulnerabilities"]["passed"]
    gate = (Path(json.loads(out.out)["directory"]) / "gate-report.md").read_text()
    assert "components could not be checked and are not accepted" in gate
    assert "crates.io" in gate

    config.write_text(
        config.read_text().replace(
            "max_age_days = 3650", "max_age_days = 3650\naccept_unchecked = true"
        )
    )
    commit_all(repo, "chore: accept unchecked Rust components")
    assert main(["release", "--dry-run", "--project", str(repo)]) == 0, capsys.readouterr().err


FAILING_TEST = """
import json


def test_reads_its_settings(tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text("{")
    # The failure's traceback names this machine's folders: the temporary one, this file's,
    # the interpreter's (under the home folder, or not).
    assert json.loads(settings.read_text()) == {}
"""


def test_failing_tests_are_no_go_and_publish_no_machine_path(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failing test's report names the machine's folders; the shipped copy does not."""
    repo = make_vertice()
    (repo / "backend" / "tests" / "test_settings.py").write_text(FAILING_TEST)
    commit_all(repo, "test: settings")
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    assert code == 1, out.err
    folder = Path(json.loads(out.out)["directory"])
    report = json.loads((folder / "gate-report.json").read_text())
    tests = next(c for c in report["checks"] if c["name"] == "tests")
    assert not tests["passed"]
    assert tests["figure"] == "6 tests, 1 failures, 0 errors, 0 skipped"
    assert any("test_reads_its_settings" in item for item in tests["evidence"])
    junit = (folder / "junit.xml").read_text()
    assert "JSONDecodeError" in junit  # the failure is shipped, its folders relabelled
    assert "$TMPDIR/pytest-of-" in junit
    assert "backend/tests/test_settings.py:" in junit
    machine = {str(repo), tempfile.gettempdir() + "/", str(Path.home()) + "/"}
    found = [
        (name, path)
        for name, data in _published_texts(folder)
        for path in machine
        if path.encode() in data
    ]
    assert found == []
