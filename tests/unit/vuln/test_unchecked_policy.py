"""Unchecked is not clean (issue 10 item 5): what could not be matched makes a scan incomplete.

Inputs are real lockfiles and SBOMs written in a temporary folder, scanned by the real CLI
against a made-up OSV record (the tiny release project's, OSV schema 1.6).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.integration.release.tiny import ADVISORY

from liturgia.cli import main
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType
from liturgia.vuln import (
    UncheckedCause,
    UncheckedRule,
    load_osv_directory,
    load_unchecked_rules,
    scan,
)

FRESH = ["--max-age-days", "100000"]


def _osv(tmp_path: Path) -> Path:
    """One HIGH advisory for PyPI pyyaml < 5.4 (the only package the database knows)."""
    folder = tmp_path / "osv"
    folder.mkdir()
    (folder / "TEST-2020-1.json").write_text(json.dumps(ADVISORY))
    return folder


def _project(tmp_path: Path, requirements: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(requirements)
    return project


def test_a_version_its_ecosystem_cannot_order_is_unchecked_whatever_is_loaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The failing input: no advisory names foo, so its invalid version used to pass (exit 0).
    project = _project(tmp_path, "foo===1.0-custom!x\npyyaml==6.0.1\n")
    args = ["scan", str(project), "--osv", str(_osv(tmp_path)), *FRESH, "--format", "json"]
    assert main(args) == 2
    captured = capsys.readouterr()
    (unchecked,) = json.loads(captured.out)["unchecked"]
    assert unchecked == {
        "accepted": None,
        "cause": "component",
        "name": "foo",
        "reason": "version '1.0-custom!x' is not valid under PEP 440: "
        "advisory ranges could not be evaluated",
        "ref": "pkg:pypi/foo@1.0-custom%21x",
        "version": "1.0-custom!x",
    }
    error = captured.err.strip().splitlines()[-1]
    assert error.startswith("liturgia: error: 1 components could not be checked")
    assert "first: foo@1.0-custom!x" in error
    assert main([*args, "--accept-unchecked"]) == 0


def test_an_unpinned_requirement_fails_the_scan_unless_accepted_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, "requests>=2\npyyaml==5.3\n")
    osv = _osv(tmp_path)
    args = ["scan", str(project), "--osv", str(osv), *FRESH, "--format", "json"]
    assert main(args) == 2  # 2 (incomplete) wins over 1 (the HIGH pyyaml finding)
    report = json.loads(capsys.readouterr().out)
    assert [(u["name"], u["cause"]) for u in report["unchecked"]] == [("requests", "component")]
    assert report["summary"]["unchecked_not_accepted"] == 1

    policy = tmp_path / "ignore.toml"
    policy.write_text(
        '[[unchecked]]\ncomponent = "pkg:pypi/requests"\n'
        'reason = "the deployment pins it"\nexpires = 2999-12-31\n'
    )
    assert main([*args, "--ignore", str(policy)]) == 1  # complete now: the finding decides
    report = json.loads(capsys.readouterr().out)
    assert report["unchecked"][0]["accepted"] == "the deployment pins it"
    assert report["summary"]["unchecked_not_accepted"] == 0

    policy.write_text(
        '[[unchecked]]\ncomponent = "requests"\nreason = "old decision"\nexpires = 2020-01-01\n'
    )
    assert main([*args, "--ignore", str(policy)]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["unchecked"][0]["accepted"] is None
    assert "[[unchecked]] entry for requests expired on 2020-01-01" in captured.err


def test_fail_on_none_never_fails_on_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, "pyyaml==5.3\n")
    args = ["scan", str(project), "--osv", str(_osv(tmp_path)), *FRESH]
    assert main(args) == 1
    assert main([*args, "--fail-on", "none"]) == 0
    assert "1 findings (0 suppressed)" in capsys.readouterr().err
    # The threshold "none" never makes a finding blocking, whatever its severity.
    assert main([*args, "--fail-on", "none", "--unknown-severity-as", "critical"]) == 0


def test_a_file_is_listed_but_not_a_missing_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbom = tmp_path / "sbom.cdx.json"
    sbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": [
                    {"type": "file", "name": "app-1.0.tar.gz", "bom-ref": "file:app"},
                    {
                        "type": "library",
                        "name": "pyyaml",
                        "version": "6.0.1",
                        "purl": "pkg:pypi/pyyaml@6.0.1",
                    },
                ],
            }
        )
    )
    args = ["scan", str(sbom), "--osv", str(_osv(tmp_path)), *FRESH, "--format", "json"]
    assert main(args) == 0
    (unchecked,) = json.loads(capsys.readouterr().out)["unchecked"]
    assert (unchecked["name"], unchecked["cause"]) == ("app-1.0.tar.gz", "not-a-package")


def test_acceptance_rules_in_the_library(tmp_path: Path) -> None:
    database = load_osv_directory(_osv(tmp_path))
    components = [
        Component(name="PyYAML", version=None, ecosystem="PyPI"),
        Component(name="mystery", version="1.0"),
        Component(name="app.whl", version=None, type=ComponentType.FILE, bom_ref="file-1"),
    ]
    rules = [
        UncheckedRule(component="pyyaml", reason="pinned elsewhere"),
        UncheckedRule(component="mystery@1.0", reason="vendored, reviewed"),
    ]
    report = scan(components, database, accept=rules, today=date(2026, 1, 1))
    accepted = {u.component_ref: (u.cause, u.accepted) for u in report.unchecked}
    assert accepted == {
        "PyYAML@": (UncheckedCause.COMPONENT, "pinned elsewhere"),  # PEP 503 name matched
        "mystery@1.0": (UncheckedCause.COMPONENT, "vendored, reviewed"),  # matched by ref
        "file-1": (UncheckedCause.NOT_A_PACKAGE, None),
    }
    assert report.incomplete == ()
    assert scan(components, database, today=date(2026, 1, 1)).incomplete != ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[unchecked]]\nreason = "x"\n', "unchecked[0].component: required"),
        ('[[unchecked]]\ncomponent = "a"\n', "unchecked[0].reason: required"),
        ('[[unchecked]]\ncomponent = "a"\nreason = "x"\nid = "X"\n', "unknown key 'id'"),
        ("unchecked = 1\n", "'unchecked' must be an array of tables"),
        ("[[accept]]\n", "unknown key 'accept' (expected [[ignore]] or [[unchecked]])"),
    ],
)
def test_bad_unchecked_entries_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ignore.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=r"ignore\.toml") as info:
        load_unchecked_rules(path)
    assert message in str(info.value)
