"""Development-only components (scope excluded) are reported in their own group and do not block
unless asked (issue 17 item 1: every JavaScript project with dev tooling was NO-GO)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.model import Component, Scope
from liturgia.sbom.formats import read_sbom
from liturgia.vuln import Severity, load_osv_directory, report_to_json, scan
from liturgia.vuln.formats import to_markdown

from .conftest import CORPUS

LODASH = "pkg:npm/lodash@4.17.15"  # three GHSA records in the committed corpus (two HIGH)
BASE = ["--osv", str(CORPUS / "ghsa" / "npm"), "--max-age-days", "100000", "--format", "json"]


def _cyclonedx(tmp_path: Path, scope: str) -> Path:
    path = tmp_path / f"{scope}.cdx.json"
    component = {"type": "library", "name": "lodash", "version": "4.17.15", "purl": LODASH}
    path.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [{**component, "scope": scope}],
            }
        )
    )
    return path


def _spdx(tmp_path: Path) -> Path:
    path = tmp_path / "dev.spdx.json"
    packages = [
        {"SPDXID": "SPDXRef-app", "name": "app", "versionInfo": "1.0.0",
         "downloadLocation": "NONE"},
        {
            "SPDXID": "SPDXRef-lodash",
            "name": "lodash",
            "versionInfo": "4.17.15",
            "downloadLocation": "NOASSERTION",
            "externalRefs": [
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                 "referenceLocator": LODASH}
            ],
        },
    ]  # fmt: skip
    path.write_text(
        json.dumps(
            {
                "spdxVersion": "SPDX-2.3",
                "dataLicense": "CC0-1.0",
                "SPDXID": "SPDXRef-DOCUMENT",
                "name": "app",
                "documentNamespace": "https://example.com/app",
                "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: test"]},
                "packages": packages,
                "relationships": [
                    {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                     "relatedSpdxElement": "SPDXRef-app"},
                    {"spdxElementId": "SPDXRef-lodash", "relationshipType": "DEV_DEPENDENCY_OF",
                     "relatedSpdxElement": "SPDXRef-app"},
                ],
            }
        )
    )  # fmt: skip
    return path


def _npm_project(tmp_path: Path) -> Path:
    project = tmp_path / "web"
    project.mkdir()
    (project / "package.json").write_text(
        json.dumps({"name": "web", "version": "1.0.0", "devDependencies": {"lodash": "4.17.15"}})
    )
    (project / "package-lock.json").write_text(
        json.dumps(
            {
                "name": "web",
                "version": "1.0.0",
                "lockfileVersion": 3,
                "packages": {
                    "": {"name": "web", "version": "1.0.0",
                         "devDependencies": {"lodash": "4.17.15"}},
                    "node_modules/lodash": {"version": "4.17.15", "dev": True,
                                            "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz"},
                },
            }
        )
    )  # fmt: skip
    return project


@pytest.mark.parametrize("kind", ["cyclonedx", "spdx", "lockfile"])
def test_dev_only_findings_do_not_block_unless_included(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    target = {
        "cyclonedx": lambda: _cyclonedx(tmp_path, "excluded"),
        "spdx": lambda: _spdx(tmp_path),
        "lockfile": lambda: _npm_project(tmp_path),
    }[kind]()
    assert main(["scan", str(target), *BASE]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["findings"] == []
    assert {f["id"] for f in report["excluded_scope_findings"]} == {
        "GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw",
    }  # fmt: skip
    assert {f["scope"] for f in report["excluded_scope_findings"]} == {"excluded"}
    assert report["summary"]["excluded_scope_findings"] == 3
    assert "3 in development-only components, not blocking (--include-dev)" in captured.err
    assert main(["scan", str(target), *BASE, "--include-dev"]) == 1
    capsys.readouterr()


def test_runtime_scope_still_blocks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(_cyclonedx(tmp_path, "required")), *BASE]) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report["findings"]) == 3
    assert report["excluded_scope_findings"] == []


def test_library_groups_and_markdown(tmp_path: Path) -> None:
    database = load_osv_directory(CORPUS / "ghsa" / "npm")
    components = read_sbom(_cyclonedx(tmp_path, "excluded").read_bytes(), source="x").components
    runtime = Component(name="lodash", version="4.17.20", purl="pkg:npm/lodash@4.17.20")
    report = scan([*components, runtime], database)
    assert {f.scope for f in report.excluded_scope_findings} == {Scope.EXCLUDED}
    assert report.runtime_findings
    assert all(f.version == "4.17.20" for f in report.runtime_findings)
    assert all(f.scope is Scope.REQUIRED for f in report.blocking(Severity.LOW))
    assert len(report.blocking(Severity.LOW, include_dev=True)) == len(report.findings)
    markdown = to_markdown(report)
    assert "## Development-only components" in markdown
    assert markdown.index("4.17.20") < markdown.index("## Development-only components")
    assert b'"excluded_scope_findings"' in report_to_json(report)
